"""Rasa NLU components over the project's spaCy pipeline."""

from __future__ import annotations

import difflib
import functools
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME as NLU_FALLBACK
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.models import RasaModel
from spacy.tokens import Doc, Span

from cramp_nlu.guarded import log_failure, read
from cramp_nlu.pipeline import RAW_SPANS, ensure_pipeline, pipeline_path, taken_back, term_id
from cramp_nlu.said_together import ANSWER_KINDS, ANSWERS_IN_OTHER_WORDS, SAID_TOGETHER
from rasa_adapter.tensorflow_models import QuickLoadingDIET, QuickLoadingDIET2BOW, QuickLoadingDIET2DIET

# Role given to an entity the person said they do NOT have ("no swelling").
# Slot mappings without a role never pick these up.
ABSENT_ROLE = "absent"
# How close a misspelling must be to a vocabulary phrase to count as it.
TYPO_CUTOFF = 0.8
# Words shorter than this are never typo-matched ("red" vs "bed").
MIN_TYPO_LENGTH = 5
# Kinds that decide triage. A span DIET learned counts for them only as one of the
# vocabulary's own phrases: what the spaCy pipeline reads (its spelling step, its
# word groups, NegEx) is what the blind sets measure, and a learned span that only
# looks like a sign was one ("painting" taken for "fainting", "isn't warm" for "warm").
TRIAGE_KINDS = frozenset({"finding", "risk_factor", "condition", "medicine_class"})
# The `extractor` of DIET's entities: config.yml's classifier, or Rasa's own.
LEARNED_ENTITY_EXTRACTORS = {"QuickLoadingDIETClassifier", "DIETClassifier"}


ProcessMethod = Callable[..., list[Message]]


def guarded(process: ProcessMethod) -> ProcessMethod:
    """A component's `process` that, if it raises, passes the messages on as
    they are: a failing component never costs the person their triage (Rasa
    would fail the whole turn). Logged by the component's class, never with
    the person's text."""

    @functools.wraps(process)
    def guarded_process(self: GraphComponent, messages: list[Message], *args: Any, **kwargs: Any) -> list[Message]:
        try:
            return process(self, messages, *args, **kwargs)
        except Exception as error:
            log_failure(self.__class__.__name__, error)
            return messages

    return guarded_process


def ignore_false_missing_component_warnings() -> None:
    """Rasa's recipe validator looks for its own DIETClassifier and ResponseSelector
    classes exactly, so `rasa train` would warn that the subclasses below are
    missing from config.yml."""
    for missing in ("a response selector", "an entity extractor trained on your training data"):
        warnings.filterwarnings("ignore", message=f"(?s).*your NLU configuration does not include {missing}")


ignore_false_missing_component_warnings()


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MODEL_LOADER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER],
    is_trainable=False,
    model_from="KnowledgeBaseSpacyNLP",
)
class KnowledgeBaseSpacyNLP(SpacyNLP):
    """SpacyNLP that loads (building it first if needed) the project's pipeline.

    The default `model` is the content-hashed directory for the current
    vocabulary, so the path, and with it Rasa's cache key, changes whenever
    the vocabulary does.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**SpacyNLP.get_default_config(), "model": str(pipeline_path())}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeBaseSpacyNLP:
        if config.get("model") == str(pipeline_path()):
            ensure_pipeline()
        return super().create(config, model_storage, resource, execution_context)

    def __init__(self, model: SpacyModel, config: dict[str, Any]) -> None:
        super().__init__(model, config)
        self.case_sensitive = bool(config.get("case_sensitive"))

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        """Rasa's reading; if a step of the pipeline fails on a message, the
        message read again without it (cramp_nlu.guarded)."""
        try:
            return super().process(messages, model)
        except Exception as error:
            log_failure(self.__class__.__name__, error)
        for message in messages:
            for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                text = message.get(attribute)
                if text:  # as Rasa prepares it (SpacyNLP: lower case unless case_sensitive)
                    message.set(SPACY_DOCS[attribute], read(model.model, text if self.case_sensitive else text.lower()))
        return messages


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="KnowledgeBaseSpacyNLP"
)
class KnowledgeBaseEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Entities with canonical term ids as values, from two sources:

    1. the vocabulary's EntityRuler (its phrases, misspelled words included:
       the pipeline reads "swolen" as "swollen");
    2. DIET's entities where no ruler entity covers them, mapped to a term by
       their wording (exactly, or as a close misspelling); DIET entities that
       map to no term are dropped, since nothing downstream could use them.

    NegEx then marks what the person denies: such entities keep their type but
    get the role `absent`, so "no swelling" can never fill a slot for findings.
    Last, the vocabulary's qualifiers decide what a finding said with one of
    them means ("I always have cold feet"), as the pipeline does.
    Place this component after the DIET classifier.
    """

    @staticmethod
    def required_components() -> list[type]:
        return [KnowledgeBaseSpacyNLP]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeBaseEntityExtractor:
        return cls()

    def __init__(self) -> None:
        self._phrases_by_label: dict[str, dict[str, str]] | None = None

    def _phrases(self, model: SpacyModel) -> dict[str, dict[str, str]]:
        """label -> {phrase: term id}, read once from the pipeline's EntityRuler."""
        if self._phrases_by_label is None:
            phrases: dict[str, dict[str, str]] = {}
            for pattern in model.model.get_pipe("entity_ruler").patterns:
                phrases.setdefault(pattern["label"], {})[pattern["pattern"]] = pattern["id"]
            self._phrases_by_label = phrases
        return self._phrases_by_label

    def _term_for(self, model: SpacyModel, label: str, wording: str) -> str | None:
        phrases = self._phrases(model).get(label, {})
        wording = wording.lower().strip()
        if wording in phrases:
            return phrases[wording]
        if label in TRIAGE_KINDS or len(wording) < MIN_TYPO_LENGTH:
            return None
        close = difflib.get_close_matches(wording, phrases, n=1, cutoff=TYPO_CUTOFF)
        return phrases[close[0]] if close else None

    @guarded
    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                continue
            try:
                self._entities_from_both_sources(message, doc, model)
            except Exception as error:
                # The pipeline's own reading (its NegEx and qualifiers applied) still tells a warning sign.
                log_failure(self.__class__.__name__, error)
                message.set(ENTITIES, self._others(message) + [{**self._entity(span), "value": term_id(span)}
                                                               for span in doc.ents], add_to_output=True)
        return messages

    @staticmethod
    def _others(message: Message) -> list[dict[str, Any]]:
        """The message's entities from extractors other than DIET."""
        return [e for e in message.get(ENTITIES, []) if e.get("extractor") not in LEARNED_ENTITY_EXTRACTORS]

    def _entities_from_both_sources(self, message: Message, doc: Doc, model: SpacyModel) -> None:
        # The EntityRuler puts the term id in ent_id; every span here carries it as kb_id.
        # Start from what it found before qualifiers, which are applied again below.
        said = doc.spans[RAW_SPANS] if RAW_SPANS in doc.spans else doc.ents
        spans = [Span(doc, e.start, e.end, label=e.label_, kb_id=term_id(e)) for e in said]
        # Copying a doc deep-copies its span groups, which was most of this
        # component's time; the raw spans are read, so the group can go.
        doc.spans.pop(RAW_SPANS, None)
        learned = [e for e in message.get(ENTITIES, []) if e.get("extractor") in LEARNED_ENTITY_EXTRACTORS]
        for entity in learned:
            span = doc.char_span(entity["start"], entity["end"], alignment_mode="expand")
            if span is None or any(span.start < s.end and s.start < span.end for s in spans):
                continue
            term = self._term_for(model, entity["entity"], entity["value"])
            if term:
                spans.append(Span(doc, span.start, span.end, label=entity["entity"], kb_id=term))
        # Re-run NegEx, taken-back answers and the qualifiers over the full set, so learned
        # entities are checked too.
        checked = _with_entities(doc, spans)
        for step in ("negex", "taken_back_answers", "term_qualifiers"):
            checked = model.model.get_pipe(step)(checked)
        quotes = list(doc.spans[SAID_TOGETHER]) if SAID_TOGETHER in doc.spans else []
        entities = [self._entity(span, quotes) for span in sorted(checked.ents, key=lambda s: s.start)]
        entities += self._answers_in_other_words(doc, entities)
        entities = most_often_last(entities)
        message.set(ENTITIES, self._others(message) + entities, add_to_output=True)

    def _answers_in_other_words(self, doc: Doc, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Answers said in words a sign or a qualifier holds (cramp_nlu.said_together:
        ANSWERS_IN_OTHER_WORDS), the first of each kind the message gives no other way."""
        given = {entity["entity"] for entity in entities if not entity.get("role")}
        held = doc.spans[ANSWERS_IN_OTHER_WORDS] if ANSWERS_IN_OTHER_WORDS in doc.spans else ()
        words = [token.lower_ for token in doc] if held else []
        added = []
        for span in held:
            if span.label_ not in given and not taken_back(words, span.start, span.end):
                given.add(span.label_)
                added.append(self._entity(span))
        return added

    def _entity(self, span: Span, quotes: Sequence[Span] = ()) -> dict[str, Any]:
        # An answer said in the person's own words covers all of them ("at most once a
        # month", not "month"), so that the reply can quote it.
        said = next((q for q in quotes if span.label_ in ANSWER_KINDS and q.kb_id_ == span.kb_id_
                     and q.start <= span.start and span.end <= q.end), span)
        return {
            "entity": span.label_,
            "value": span.kb_id_,
            "start": said.start_char,
            "end": said.end_char,
            "confidence_entity": 1.0,
            "extractor": self.__class__.__name__,
            **({"role": ABSENT_ROLE} if span._.negex else {}),
        }


# How often, least to most: of several ways a message says it, the most often counts
# ("daily, sometimes twice", "three times a week, sometimes more"): never under-read.
FREQUENCIES_LEAST_FIRST = ("occasional", "weekly", "frequent")


def most_often_last(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entities with the most often of their frequencies last: Rasa fills a slot
    from the last entity of its type."""
    said = [e for e in entities if e["entity"] == "frequency" and not e.get("role")
            and e["value"] in FREQUENCIES_LEAST_FIRST]
    if len(said) < 2:
        return entities
    most = max(said, key=lambda e: FREQUENCIES_LEAST_FIRST.index(e["value"]))
    return [e for e in entities if e is not most] + [most]


def vocabulary_entities(message: Message) -> list[dict[str, Any]]:
    """The entities the knowledge base's vocabulary found in a message (not DIET's)."""
    return [entity for entity in message.get(ENTITIES) or []
            if entity.get("extractor") == KnowledgeBaseEntityExtractor.__name__]


def _with_entities(doc: Doc, spans: list[Span]) -> Doc:
    """A copy of `doc` whose entities are `spans` (the message's doc stays as spaCy made it)."""
    copy = doc.copy()
    copy.ents = [Span(copy, s.start, s.end, label=s.label_, kb_id=s.kb_id_) for s in spans]  # type: ignore[assignment]  # spaCy's stub: a 1-tuple
    return copy


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class QuickLoadingDIETClassifier(DIETClassifier):
    """Rasa's DIETClassifier; its trained model loads in seconds (rasa_adapter.tensorflow_models)."""

    @staticmethod
    def model_class() -> type[RasaModel]:
        return QuickLoadingDIET

    def process(self, messages: list[Message]) -> list[Message]:
        """DIET's reading; if it fails, the messages are not understood (Rasa's
        FallbackClassifier, next, needs an intent) and the vocabulary's entities
        still count: a warning sign is still told."""
        try:
            return super().process(messages)
        except Exception as error:
            log_failure(self.__class__.__name__, error)
        for message in messages:
            message.set(INTENT, {INTENT_NAME_KEY: NLU_FALLBACK, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class RetrievalIntentResponseSelector(ResponseSelector):
    """Rasa's ResponseSelector, run only on messages classified as its
    retrieval intent (`faq`): nothing reads its choice for any other message,
    and running it on every message was a large share of the Rasa server's
    time (bench/results/history.md). Its
    trained model loads in seconds (rasa_adapter.tensorflow_models)."""

    @staticmethod
    def model_class(use_text_as_label: bool) -> type[RasaModel]:  # type: ignore[override]
        return QuickLoadingDIET2DIET if use_text_as_label else QuickLoadingDIET2BOW

    @guarded
    def process(self, messages: list[Message]) -> list[Message]:
        asked = [message for message in messages
                 if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == self.retrieval_intent]
        super().process(asked)
        return messages


# A person's cramps named in so many words ("cramp problem here").
CRAMP_WORDS = r"\b(cramp\w*|charl[e]?y horses?|spasms?)\b"
# Short words without a vowel that people do write ("thx", "idk").
NO_VOWEL_WORDS = frozenset({"thx", "thnx", "pls", "plz", "nvm", "brb", "tbh", "idk", "dk", "k", "kk", "sry", "srry",
                            "ffs", "shh", "tv", "gp", "mr", "mrs", "dr", "st", "nd", "rd", "th", "x", "xx", "xxx",
                            "hr", "hrs", "km", "wk", "wks", "mth", "mths", "yr", "yrs", "mg", "ml", "bp", "pt"})
VOWELS = frozenset("aeiouy")


def keyboard_mash(text: str) -> bool:
    """Whether a message says nothing in any language: no letters ("???"), only
    letters no word is made of ("jjjjjjj", "fjfjfj", "zzz", "hmm", "qwrtz"), or
    one word said over and over ("la la la", "blah blah")."""
    words = re.findall(r"[a-z]+", text.lower())
    return (len(words) > 1 and len(set(words)) == 1) or all(word not in NO_VOWEL_WORDS and (
        not VOWELS & set(word) or re.search(r"(.)\1\1", word) or re.fullmatch(r"(..)\1+", word)
        or word in ("asdf", "qwerty", "hjkl", "jkl", "asdfgh")) for word in words)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NothingSaidIsNotUnderstood(GraphComponent):
    """A message that says nothing the assistant can use is not understood
    (`nlu_fallback`), whatever intent the classifier guessed for it, so the
    assistant asks its question again rather than answering a guess:
    - keyboard mash or punctuation alone ("jjjjjjj", "???", "la la la"), read
      as anything;
    - a word or two that name nothing it knows ("potato", "what?", "hmm what"),
      read as a question, out of scope or "are you a bot" ("huh?");
    - a greeting without a greeting's words ("purple monkey dishwasher").
    A message in which the vocabulary found anything, or that names cramps, is
    left alone. Place it after the FallbackClassifier."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> NothingSaidIsNotUnderstood:
        return cls(config)

    def __init__(self, config: dict[str, Any]) -> None:
        self.guesses = frozenset(config["guesses"])
        self.most_words = config["most_words"]
        self.greeting = config["greeting"]
        self.greeting_words = re.compile(config["greeting_words"], re.I)
        self.cramp_words = re.compile(config["cramp_words"], re.I)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"guesses": ["faq", "out_of_scope", "bot_challenge"], "most_words": 2,
                "cramp_words": CRAMP_WORDS,
                # A greeting has a greeting's words ("purple monkey dishwasher" is none).
                "greeting": "greet",
                "greeting_words": r"\b(hi+|hello+|hey+|hiya|howdy|yo|greetings|good (morning|afternoon|evening|day)|"
                                  r"morning|evening|afternoon|hallo|helo|heya|sup|g'?day|namaste|salut)\b"}

    @guarded
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/") or vocabulary_entities(message) or self.cramp_words.search(text):
                continue
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if (keyboard_mash(text) or (intent in self.guesses and len(text.split()) <= self.most_words)
                    or (intent == self.greeting and not self.greeting_words.search(text))):
                message.set(INTENT, {INTENT_NAME_KEY: NLU_FALLBACK, PREDICTED_CONFIDENCE_KEY: 1.0},
                            add_to_output=True)
        return messages


# The first word of a message that asks something ("is it normal to...").
QUESTION_WORDS = frozenset({"what", "whats", "what's", "why", "how", "when", "where", "which", "who", "is", "are",
                            "can", "could", "should", "would", "will", "do", "does", "did", "shall", "may", "might",
                            "any", "anything"})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DescriptionOverFallback(GraphComponent):
    """A description of cramps is a description, whatever the intent classifier
    made of it. When the knowledge base's vocabulary found what the person says
    about their cramps in a message that the classifier was unsure of (Rasa's
    FallbackClassifier made it `nlu_fallback`), read as an intent that cannot
    carry a description (`restart` would wipe a warning sign just told: "got a
    deep scratch from rose thorns covered in soil"; `other_language`: "proper
    charley horse in me calf"), or read as a question (`faq`) although nothing
    in it asks one ("Hashimoto's, on levothyroxine for years. Lately cramps in
    both calves most nights."), the message is `describe_cramps`. So is a
    message read as out of scope that names the person's legs or health (a
    place in the leg, a finding, a condition or a medicine): "Thigh cramped on a
    long bike ride, leg wouldn't pedal for about a minute"; one that names only
    a time or a risk ("what's the weather like tomorrow?") stays out of scope.
    A message that names the person's cramps and nothing more ("cramp problem
    here", "I'd like help with my cramps") counts as naming the leg: the
    questions start. Place it after the FallbackClassifier."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> DescriptionOverFallback:
        return cls(config)

    def __init__(self, config: dict[str, Any]) -> None:
        self.intent = config["intent"]
        self.question_intent = config["question_intent"]
        self.never_descriptions = {NLU_FALLBACK, *config["never_descriptions"]}
        self.out_of_scope_intent = config["out_of_scope_intent"]
        self.about_the_person = frozenset(config["about_the_person"])
        self.cramp_words = re.compile(config["cramp_words"], re.I)
        self.correction_words = re.compile(config["correction_words"], re.I)

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent": "describe_cramps", "question_intent": "faq",
                "never_descriptions": ["restart", "other_language", "greet", "goodbye"],
                "out_of_scope_intent": "out_of_scope",
                # Entity kinds that say the message is about the person's legs or health.
                "about_the_person": ["body_location", "finding", "condition", "medicine_class"],
                # The person's cramps named without any detail ("hello, cramp problem here",
                # "asking for my dad, he gets cramps", "I'd like help with my cramps").
                "cramp_words": CRAMP_WORDS,
                # A correction of an answer ("I meant at night, the afternoon bit was wrong"),
                # whatever intent it was read as: the answer is given again with it.
                "correction_words": r"\b(i meant|meant to say|actually|correction|wrong|mistake|no wait|"
                                    r"scratch that|sorry,? (it'?s|i)|not (my|the|her|his))\b"}

    @guarded
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            text = message.get(TEXT) or ""
            said = vocabulary_entities(message)
            names_cramps = bool(self.cramp_words.search(text)) and not text.startswith("/")
            about_the_person = names_cramps or any(entity["entity"] in self.about_the_person for entity in said)
            corrects = bool(self.correction_words.search(text)) and any(
                entity["entity"] in ANSWER_KINDS and not entity.get("role") for entity in said)
            if not corrects and (not (said or names_cramps) or not (
                    intent in self.never_descriptions
                    or (intent == self.question_intent and not asks(text))
                    or (intent == self.out_of_scope_intent and about_the_person))):
                continue
            ranked = {i.get(INTENT_NAME_KEY): i.get(PREDICTED_CONFIDENCE_KEY)
                      for i in message.get(INTENT_RANKING_KEY) or []}
            message.set(INTENT, {INTENT_NAME_KEY: self.intent,
                                 PREDICTED_CONFIDENCE_KEY: ranked.get(self.intent) or 0.0}, add_to_output=True)
        return messages


def asks(text: str) -> bool:
    """Whether a message asks something: a question mark, or a first word that asks."""
    words = text.lower().split()
    return "?" in text or bool(words) and words[0].strip(",.!") in QUESTION_WORDS
