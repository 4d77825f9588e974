"""The project's spaCy pipeline: vocabulary entities with canonical ids, and
negation that never lets an absent finding count as present."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.language import Language

from cramp_nlu.pipeline import RAW_SPANS, ensure_pipeline, pipeline_path, term_id, terms_present
from cramp_nlu.said_together import DAY_MINUTES, SAID_TOGETHER, durations, rates
from knowledge_base.loader import load_knowledge


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.load(ensure_pipeline())


def present_and_absent(nlp: Language, text: str) -> tuple[set[str], set[str]]:
    doc = nlp(text.lower())  # Rasa lower-cases text before spaCy sees it
    present = {ent.ent_id_ for ent in doc.ents if not ent._.negex}
    absent = {ent.ent_id_ for ent in doc.ents if ent._.negex}
    return present, absent


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("I get cramps in my calves at night", {"calf", "night"}, set()),
        ("my calves seize up at night", {"calf", "night"}, set()),
        ("charley horse again!!", {"calf"}, set()),
        ("cramp in the back of my thigh after running", {"hamstring", "exercise"}, set()),
        ("my toes curl up in bed", {"foot", "night"}, set()),
        ("the arch of my foot cramps when I sit at my desk", {"foot", "sitting"}, set()),
        ("my calf is swollen and red", {"calf", "leg_swelling", "redness"}, set()),
        ("Calf cramp and now it's red and HOT TO THE TOUCH", {"calf", "redness", "warmth"}, set()),
        ("I'm short of breath", {"breathlessness"}, set()),
        ("i can't breathe", {"breathlessness"}, set()),
        # "it's cold" said of the foot is also read as a leg gone cold (the same rule).
        ("my foot went pale and it's cold to the touch", {"foot", "cold_pale_leg", "leg_gone_cold"}, set()),
        ("I'm pregnant and take a water pill", {"pregnancy", "diuretic"}, set()),
        ("every night, wakes me up", {"frequent", "night"}, set()),
        # negation
        ("no swelling or anything", set(), {"leg_swelling"}),
        ("I don't have numbness or tingling", set(), {"numbness", "tingling"}),
        ("no redness, warmth or swelling", set(), {"redness", "warmth", "leg_swelling"}),
        ("denies chest pain", set(), {"chest_pain"}),
        ("never had chest pain", set(), {"chest_pain"}),
        ("I'm not pregnant", set(), {"pregnancy"}),
        # a negation must stop where the sentence moves on: under-counting is the danger
        ("no swelling, it's red", {"redness"}, {"leg_swelling"}),
        ("no swelling but my calf is warm", {"calf", "warmth"}, {"leg_swelling"}),
        ("my calf is swollen and warm", {"calf", "leg_swelling", "warmth"}, set()),
        ("no swelling, the calf is red", {"calf", "redness"}, {"leg_swelling"}),
        ("not swollen and I'm short of breath", {"breathlessness"}, {"leg_swelling"}),
        ("no numbness. my leg is cold to the touch", {"cold_pale_leg"}, {"numbness"}),
        # phrases that contain a negation word but deny nothing
        ("it won't go away and my calf is swollen", {"prolonged_cramp", "calf", "leg_swelling"}, set()),
        ("the cramp won't go away my calf is swollen", {"prolonged_cramp", "calf", "leg_swelling"}, set()),
        ("i can't feel my foot", {"numbness", "foot"}, set()),
        ("not sure if it's swollen", {"leg_swelling"}, set()),
    ],
)
def test_entities_and_negation(nlp: Language, text: str, present: set[str], absent: set[str]) -> None:
    assert present_and_absent(nlp, text) == (present, absent)


@pytest.mark.parametrize(("text", "present", "absent"), [
    ("my calf is swolen", {"calf", "leg_swelling"}, set()),  # a letter dropped
    ("my foot is numbb and i cant feel my tose", {"foot", "numbness"}, set()),  # doubled; phrase with a typo
    ("my leg is swolen and i am brethless", {"leg_swelling", "breathlessness"}, set()),
    ("no swelilng at all", set(), {"leg_swelling"}),  # two letters swapped, then denied: still absent
])
def test_misspelt_vocabulary_words_are_read_as_the_words(nlp: Language, text: str, present: set[str],
                                                         absent: set[str]) -> None:
    assert present_and_absent(nlp, text) == (present, absent)


@pytest.mark.parametrize("text", [
    "i was painting and waiting when it cramped",  # real words near "fainting", "wasting"
    "cramps after football in new footwear",  # words that contain a location
    "my calf cramps when i read",  # short words are never changed
])
def test_real_words_are_never_read_as_other_words(nlp: Language, text: str) -> None:
    doc = nlp(text)
    assert all(token.norm_ == token.lower_ for token in doc if token.is_alpha)


def test_every_vocabulary_synonym_is_recognised(nlp: Language) -> None:
    data = load_knowledge()
    missed = []
    for term in data.terms:
        for synonym in term["synonyms"]:
            # What the EntityRuler found, before qualifiers and look-alikes are set aside.
            doc = nlp(synonym.lower())
            ids = {term_id(span) for span in doc.spans[RAW_SPANS]}
            if term["id"] not in ids:
                missed.append((term["id"], synonym))
    assert missed == []


def test_a_new_synonym_gives_a_new_pipeline_that_knows_it(tmp_path: Path) -> None:
    data = load_knowledge()
    before = pipeline_path(data, tmp_path)
    next(t for t in data.terms if t["id"] == "calf")["synonyms"].append("triceps surae")
    after = ensure_pipeline(data, tmp_path)
    assert after != before and after.parent == tmp_path
    assert after.name.startswith("leg_cramps-")
    doc = spacy.load(after)("cramp in my triceps surae")
    assert [(ent.label_, ent.ent_id_) for ent in doc.ents] == [("body_location", "calf")]


def test_the_pipeline_path_is_stable_for_the_same_vocabulary(tmp_path: Path) -> None:
    assert pipeline_path(load_knowledge(), tmp_path) == pipeline_path(load_knowledge(), tmp_path)


@pytest.mark.parametrize(("text", "present", "absent"), [
    ("since i started simvastatin my calves cramp", {"new_medicine", "statin", "calf"}, set()),
    ("lasix started two weeks ago", {"diuretic", "new_medicine"}, set()),  # a brand, the cue after it
    ("they upped my dose of zocor", {"new_medicine", "statin"}, set()),
    ("i have been on frusemide for years", {"diuretic"}, set()),  # another spelling; nothing new
    ("they put me on new tablets", {"new_medicine"}, set()),
    ("cramps started last night after my run", {"night"}, set()),  # "started" without a medicine
    ("i'm not on any tablets", set(), {"any_medicine"}),
    # Any medicine the drug dictionary names, and "since" said in another sentence.
    ("been on bisoprolol six weeks. cramps ever since.", {"any_medicine", "new_medicine"}, set()),
    ("on seroquel for years, one cramp last night, nothing since", {"any_medicine", "night"}, set()),
    ("since i started simvastatin and then they upped it", {"new_medicine", "statin"}, set()),  # one addition
])
def test_medicines_by_any_name_and_a_new_one_by_how_it_is_said(nlp: Language, text: str, present: set[str],
                                                                absent: set[str]) -> None:
    doc = nlp(text)
    assert ({term_id(e) for e in doc.ents if not e._.negex}, {term_id(e) for e in doc.ents if e._.negex}) == (
        present, absent)


def test_the_medicine_names_file_is_what_the_drug_dictionary_gives() -> None:
    from cramp_nlu import medicine_names

    assert medicine_names.read() == medicine_names.generate(), "run: python -m cramp_nlu.medicine_names"


@pytest.mark.parametrize(("text", "minutes"), [
    ("it has lasted 20 mins now", [20]),
    ("half an hour of cramping", [30]),
    ("a good quarter of an hour", [15]),
    ("40min and counting", [40]),
    ("an hour and a half", [90]),
    ("a few seconds", [0.05]),
    ("cramping for 36 hours", [2160]),
    ("30 minits, still going", [30]),
    ("it started 20 minutes ago", []),
    ("every 10 minutes", []),
])
def test_lengths_of_time_are_read_and_times_that_say_when_are_not(text: str, minutes: list[float]) -> None:
    found = durations(spacy.blank("en")(text))
    assert [round(length.minutes, 2) for length in found] == minutes
    assert not any(length.in_days for length in found)


@pytest.mark.parametrize(("text", "minutes"), [
    ("started at 3am. still going at 3:20", 20),
    ("it came on at 4.50 and it's 5.10, still rock hard", 20),
    ("since 6 this morning and it's now quarter to eight, stretching isn't helping", 105),
    ("from ten past midnight till now which is 1am, it won't ease", 50),
    ("it's 3:40pm. the cramp kicked in at 3 and it's still gripping", 40),
    ("went to bed at 10pm and woke at 3am, still tired", None),
    # Two clock times without a word that it is still going say when, not how long.
    ("home from work at 6, had a brief cramp, it's now 9 and I'm fine", None),
])
def test_a_length_is_worked_out_from_clock_times_said_as_began_and_now(text: str, minutes: float | None) -> None:
    found = [length.minutes for length in durations(spacy.blank("en")(text)) if length.clock]
    assert found == ([] if minutes is None else [minutes])


@pytest.mark.parametrize(("text", "days"), [
    ("numb for 5 years", 5 * 365), ("6 weeks on", 42), ("a cut 2 weeks ago", 14), ("for a fortnight", 14)])
def test_lengths_in_days_or_longer_are_read_apart_from_a_cramps_length(text: str, days: float) -> None:
    found = durations(spacy.blank("en")(text))
    assert [(length.in_days, length.minutes / DAY_MINUTES) for length in found] == [(True, days)]


@pytest.mark.parametrize(("text", "per_week"), [
    ("3 or 4 times a week", 3), ("four or five nights a week", 4), ("most nights", 4), ("every other night", 3.5),
    ("twice a month", 2 * 7 / 30), ("pretty much nightly", 7), ("a couple of times a week", 2), ("2x a week", 2),
    ("every 2 weeks", 0.5), ("three of us", None), ("every other week", 0.5), ("every few weeks", 1 / 3),
    ("once every couple of months", 7 / 60), ("three or four shifts a week", 3), ("5 nights out of 7", 5),
    ("fortnightly", 0.5), ("2-3x a week", 2), ("4 a week", 4), ("take 2 a day", None)])
def test_how_often_is_read_as_times_a_week(text: str, per_week: float | None) -> None:
    found = [round(rate.per_week, 3) for rate in rates(spacy.blank("en")(text))]
    assert found == ([] if per_week is None else [round(per_week, 3)])


def test_a_sign_said_in_own_words_keeps_the_words_and_its_negation(nlp: Language) -> None:
    doc = nlp("after the race my wee is the colour of cola")
    assert "dark_urine" in terms_present(doc)
    assert "wee is the colour of cola" in [quote.text for quote in doc.spans[SAID_TOGETHER]]
    assert "cold_pale_leg" not in terms_present(nlp("the leg is not blue"))
    assert "breathlessness" in terms_present(nlp("i can't get enough air"))


def test_a_sign_said_across_clauses_is_read_only_where_its_term_reaches_that_far(nlp: Language) -> None:
    # claudication has `reach: message`: walking and the relief of stopping in different clauses
    assert "claudication" in terms_present(nlp("when i walk to the shops my calf seizes, i stand still and it goes"))
    # ...but not when walking is what relieved the cramp (its not_said_with, anywhere in the message)
    assert "claudication" not in terms_present(nlp("my calf cramped, i walked around and it stopped"))
    # ...and a word of it that is denied denies it all
    assert "bladder_bowel_trouble" not in terms_present(
        nlp("no trouble peeing, but since the cramp i can't feel my foot"))
    # dark urine keeps to one clause: the dark colour of another clause is not the urine's
    assert "dark_urine" not in terms_present(nlp("i need to pee a lot. my toes look brown from the sun"))


def test_an_unless_word_that_is_part_of_the_sign_or_denied_does_not_block_it(nlp: Language) -> None:
    # lingering_leg_pain is not read with "fine" (its not_said_with) unless the "fine" is not said
    assert "lingering_leg_pain" in terms_present(nlp("my calf aches in between the cramps"))
    assert "lingering_leg_pain" not in terms_present(nlp("i'm fine in between the cramps"))
    # weakness is not read with a cramp word, except one that is denied
    assert "weakness" not in terms_present(nlp("the cramp made my leg go floppy"))


def test_a_denial_inside_a_sign_denies_it_and_the_sign_is_not_read_before_the_denial(nlp: Language) -> None:
    doc = nlp("no swelling, the leg isn't hot, just a cramp that's gone now")
    assert "warmth" not in terms_present(doc)
    assert "cold_pale_leg" not in terms_present(nlp("i haven't noticed my leg going blue"))
    assert "cold_pale_leg" in terms_present(nlp("i haven't noticed anything else but my leg has gone blue"))


def test_negex_scope_is_not_ended_by_a_word_of_its_own_trigger(nlp: Language) -> None:
    negex = nlp.get_pipe("negex")
    doc = nlp.make_doc("i haven't noticed my leg going blue")
    preceding, _, terminating = negex.process_negations(doc)
    assert preceding and not [t for t in terminating if t[1] == 4]  # "my" (token 4) is in the trigger
    doc = nlp.make_doc("no swelling my calf is red")
    _, _, terminating = negex.process_negations(doc)
    assert [t[1] for t in terminating] == [2]  # a "my" after the trigger still ends it


def test_weakness_after_the_cramp_is_weakness_days_later(nlp: Language) -> None:
    assert "weakness_after_cramp" in terms_present(nlp("the cramp has gone but my foot is still floppy"))
    later = terms_present(nlp("since the cramp on tuesday my foot has stayed weak"))
    assert "weakness" in later and "weakness_after_cramp" not in later
