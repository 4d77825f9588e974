"""The Rasa entity extractor over the project's pipeline: canonical ids from
the vocabulary, from DIET's spans and from misspellings, with negation."""

from __future__ import annotations

import pytest
import spacy
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from cramp_nlu.components import DescriptionOverFallback, KnowledgeBaseEntityExtractor
from cramp_nlu.pipeline import ensure_pipeline


@pytest.fixture(scope="module")
def model() -> SpacyModel:
    path = ensure_pipeline()
    return SpacyModel(model=spacy.load(path), model_name=str(path))


@pytest.fixture(scope="module")
def extractor() -> KnowledgeBaseEntityExtractor:
    return KnowledgeBaseEntityExtractor()


def extract(extractor, model, text: str, learned: list[dict] | None = None) -> list[tuple]:
    message = Message({TEXT: text})
    message.set(SPACY_DOCS[TEXT], model.model(text.lower()))
    message.set(ENTITIES, learned or [])
    extractor.process([message], model)
    return [(e["entity"], e["value"], e.get("role")) for e in message.get(ENTITIES)]


def test_vocabulary_entities_get_canonical_values(extractor, model) -> None:
    assert extract(extractor, model, "my calves cramp at night") == [
        ("body_location", "calf", None), ("timing", "night", None)]


def test_denied_findings_get_the_absent_role(extractor, model) -> None:
    assert extract(extractor, model, "no swelling, but it's red") == [
        ("finding", "leg_swelling", "absent"), ("finding", "redness", None)]


def test_misspelt_warning_signs_are_caught(extractor, model) -> None:
    assert extract(extractor, model, "my calf is swolen") == [
        ("body_location", "calf", None), ("finding", "leg_swelling", None)]
    assert extract(extractor, model, "no numbnes at all") == [("finding", "numbness", "absent")]


def test_real_words_are_never_taken_for_misspellings(extractor, model) -> None:
    assert extract(extractor, model, "I was painting and waiting when it cramped") == []


def test_diet_entities_are_mapped_to_terms_or_dropped(extractor, model) -> None:
    text = "cramp in my calfs and my gastroc"
    learned = [
        {"entity": "body_location", "value": "calfs", "start": 12, "end": 17, "extractor": "DIETClassifier"},
        {"entity": "body_location", "value": "gastroc", "start": 25, "end": 32, "extractor": "DIETClassifier"},
    ]
    assert extract(extractor, model, text, learned) == [("body_location", "calf", None)]


def test_diet_entities_under_a_negation_are_absent(extractor, model) -> None:
    text = "there is no swellin"
    learned = [{"entity": "finding", "value": "swellin", "start": 12, "end": 19, "extractor": "DIETClassifier"}]
    assert extract(extractor, model, text, learned) == [("finding", "leg_swelling", "absent")]


def test_a_learned_span_counts_as_a_warning_sign_only_as_one_of_the_vocabularys_phrases(extractor, model) -> None:
    # "painting" is close to "fainting", and "isn't warm" holds its own denial: neither is a sign.
    text = "been painting all day and the skin isn't warm"
    learned = [{"entity": "finding", "value": "painting", "start": 5, "end": 13, "extractor": "DIETClassifier"},
               {"entity": "finding", "value": "isn't warm", "start": 35, "end": 45, "extractor": "DIETClassifier"}]
    assert extract(extractor, model, text, learned) == []
    # A place in the leg may still be a misspelling that DIET found.
    learned = [{"entity": "body_location", "value": "calfs", "start": 12, "end": 17, "extractor": "DIETClassifier"}]
    assert extract(extractor, model, "cramp in my calfs", learned) == [("body_location", "calf", None)]


def test_a_ruler_entity_wins_over_an_overlapping_diet_entity(extractor, model) -> None:
    text = "my calf is swollen"
    learned = [{"entity": "finding", "value": "calf is", "start": 3, "end": 10, "extractor": "DIETClassifier"}]
    assert extract(extractor, model, text, learned) == [
        ("body_location", "calf", None), ("finding", "leg_swelling", None)]


def test_a_medicine_said_as_started_is_also_a_new_medicine_in_rasa(extractor, model) -> None:
    # The raw spans keep their own ids: the entities set after them (here the
    # addition on "started") must not change what the extractor reads back.
    assert extract(extractor, model, "since I started simvastatin my calves cramp") == [
        ("medicine_class", "new_medicine", None), ("medicine_class", "statin", None), ("body_location", "calf", None)]
    assert extract(extractor, model, "not on any new tablets") == [("medicine_class", "new_medicine", "absent")]


def test_a_description_the_intent_classifier_was_unsure_of_is_not_a_fallback(extractor, model) -> None:
    rescue = DescriptionOverFallback(DescriptionOverFallback.get_default_config())

    def classified(text: str, intent: str = "nlu_fallback") -> str:
        message = Message({TEXT: text})
        message.set(SPACY_DOCS[TEXT], model.model(text))
        extractor.process([message], model)
        message.set(INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 0.5})
        message.set(INTENT_RANKING_KEY, [{INTENT_NAME_KEY: "describe_cramps", PREDICTED_CONFIDENCE_KEY: 0.31}])
        rescue.process([message])
        return message.get(INTENT)[INTENT_NAME_KEY]

    assert classified("a tight crampy ache in both calves when i walk briskly") == "describe_cramps"
    assert classified("tell me a joke about pirates") == "nlu_fallback"
    # Intents that cannot carry a description: a warning sign is never wiped by a "restart".
    assert classified("got a deep scratch from rose thorns covered in soil", "restart") == "describe_cramps"
    assert classified("start over please", "restart") == "restart"
    # A statement read as a question is a description; a question stays a question.
    assert classified("hashimoto's, on levothyroxine for years. lately cramps in both calves", "faq") == (
        "describe_cramps")
    assert classified("could my new running shoes be the reason my arches cramp?", "faq") == "faq"
    assert classified("is it normal to get calf cramps at night", "faq") == "faq"
    # Read as out of scope, a message about the person's legs or health is a description;
    # one that names only a time or a risk stays out of scope.
    assert classified("thigh cramped on a long bike ride, leg wouldn't pedal for a minute", "out_of_scope") == (
        "describe_cramps")
    assert classified("my wife has parkinson's and her toes curl in the mornings", "out_of_scope") == (
        "describe_cramps")
    assert classified("what's the weather like tomorrow?", "out_of_scope") == "out_of_scope"
    assert classified("i love watching football at night", "out_of_scope") == "out_of_scope"


def test_of_several_ways_of_saying_how_often_the_most_often_counts() -> None:
    from cramp_nlu.components import most_often_last

    said = [{"entity": "frequency", "value": "frequent"}, {"entity": "frequency", "value": "occasional"},
            {"entity": "body_location", "value": "calf"}]
    assert most_often_last(said)[-1] == {"entity": "frequency", "value": "frequent"}
    taken_back = [{"entity": "frequency", "value": "frequent", "role": "absent"},
                  {"entity": "frequency", "value": "occasional"}]
    assert most_often_last(taken_back) == taken_back
