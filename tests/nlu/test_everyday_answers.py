"""Answers to the questions in the words people use (issue 15): sport and work
for when, numbers and vague words for how often, slang, plurals and look-alikes
for where, and corrections that take an answer back."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

from cramp_nlu.components import keyboard_mash
from cramp_nlu.pipeline import ensure_pipeline, term_id
from cramp_nlu.said_together import durations


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.load(ensure_pipeline())


def answers(nlp: Language, text: str, kind: str) -> list[str]:
    """The answers of one kind a text gives and does not take back, in order."""
    return [term_id(e) for e in nlp(text.lower()).ents if e.label_ == kind and not e._.negex]


@pytest.mark.parametrize(("text", "timing"), [
    ("my calfs lock up in the 2nd half of basketball games", "exercise"),
    ("on long bike rides my thighs cramp", "exercise"),
    ("toes curl up after a swim", "exercise"),
    ("after a full day laying bricks my thighs cramp", "exercise"),
    ("feet cramp at the end of a double shift", "standing"),
    ("hairdresser, stood up all day, and my soles cramp", "standing"),
    ("HGV driver, long drives, my right calf cramps", "sitting"),
    ("foot cramps when I sit watching TV", "sitting"),
    ("I meant in the morning when I wake up", "night"),
])
def test_when_is_read_from_sport_work_and_daily_life(nlp: Language, text: str, timing: str) -> None:
    assert answers(nlp, text, "timing")[-1:] == [timing]


def test_what_the_cramp_made_the_person_do_is_not_when_it_came_on(nlp: Language) -> None:
    assert answers(nlp, "hamstring cramped in a pickup basketball game, had to sit out", "timing") == ["exercise"]


@pytest.mark.parametrize(("text", "frequency"), [
    ("every other week", "occasional"), ("three or four times a month", "weekly"), ("pretty much nightly", "frequent"),
    ("once in a blue moon", "occasional"), ("2-3x a week", "weekly"), ("most nights", "frequent"),
    ("every week after her match", "weekly"), ("after every match", "frequent"),
])
def test_how_often_is_read_from_numbers_and_vague_words(nlp: Language, text: str, frequency: str) -> None:
    assert answers(nlp, text, "frequency")[-1:] == [frequency]


@pytest.mark.parametrize(("text", "place"), [
    ("right hammy goes when im playing squash", "hamstring"), ("hammies cramping after sprints", "hamstring"),
    ("back of thigh, in bed", "hamstring"), ("Got cramp in both calves at mile 20", "calf"),
    ("both feet cramp", "foot"), ("my calfs cramp", "calf"),
])
def test_where_is_read_from_slang_plurals_and_both_legs(nlp: Language, text: str, place: str) -> None:
    assert answers(nlp, text, "body_location") == [place]


@pytest.mark.parametrize("text", ["I play football and my thigh cramps", "new footwear and my thigh cramps",
                                  "ate a foot-long sub and my thigh cramped", "in calf-length boots my thigh cramps"])
def test_a_word_that_holds_a_place_is_not_that_place(nlp: Language, text: str) -> None:
    assert answers(nlp, text, "body_location") == ["thigh"]


@pytest.mark.parametrize(("text", "kind", "kept"), [
    ("no wait, it's the foot, not the calf", "body_location", ["foot"]),
    ("not my calf, my thigh", "body_location", ["thigh"]),
    ("sorry, I make mistake, is not the calf, is the thigh", "body_location", ["thigh"]),
    ("it's my foot more than the calf", "body_location", ["foot"]),
    ("I meant my calf, the foot bit was wrong", "body_location", ["calf"]),
    ("sorry, I meant every night, not now and again", "frequency", ["frequent"]),
    ("it's not most nights, more like once a fortnight", "frequency", ["occasional"]),
    ("I meant at the gym, not in bed", "timing", ["exercise"]),
])
def test_a_correction_takes_the_old_answer_back(nlp: Language, text: str, kind: str, kept: list[str]) -> None:
    assert answers(nlp, text, kind) == kept


def test_a_taken_back_answer_never_takes_back_a_warning_sign(nlp: Language) -> None:
    doc = nlp("it's not my left calf that's swollen, it's the right")
    assert "leg_swelling" in [term_id(e) for e in doc.ents if not e._.negex]


@pytest.mark.parametrize("text", ["calf cramp on the treadmill, usually about 25 mins in",
                                  "the last 20 mins of games", "20 minutes into my run"])
def test_a_time_into_an_activity_is_not_a_cramps_length(text: str) -> None:
    assert durations(spacy.blank("en")(text)) == []


@pytest.mark.parametrize("text", ["cramping for the last 20 minutes", "cramp lasted 20 mins in my calf"])
def test_a_cramps_length_is_still_read(text: str) -> None:
    assert [length.minutes for length in durations(spacy.blank("en")(text))] == [20]


@pytest.mark.parametrize(("text", "not_a_sign"), [
    ("after a swim in cold open water my calves cramp up", "cold_pale_leg"),
    ("I'm a runner and my calves cramp on hot days", "warmth"),
])
def test_cold_or_hot_surroundings_are_not_a_cold_or_hot_leg(nlp: Language, text: str, not_a_sign: str) -> None:
    assert not_a_sign not in [term_id(e) for e in nlp(text.lower()).ents]


def test_a_cold_leg_in_cold_water_is_still_a_cold_leg(nlp: Language) -> None:
    assert "cold_pale_leg" in [term_id(e) for e in nlp("in the cold water my foot went cold and white").ents]


@pytest.mark.parametrize(("text", "mash"), [
    ("jjjjjjj", True), ("fjfjfj", True), ("???", True), ("la la la", True), ("qwerty", True),
    ("potato", False), ("idk", False), ("no", False), ("thx", False), ("calf", False),
])
def test_keyboard_mash_is_told_from_words(text: str, mash: bool) -> None:
    assert keyboard_mash(text) is mash


@pytest.mark.parametrize(("text", "frequency"), [
    ("most weekends", "weekly"), ("most Saturdays", "weekly"), ("most working days", "frequent"),
    ("maybe two times in one week", "weekly"), ("once a season", "occasional"), ("it's rare", "occasional"),
    ("a few times each summer", "occasional"),
])
def test_how_often_said_with_weekdays_seasons_and_plain_words(nlp: Language, text: str, frequency: str) -> None:
    assert answers(nlp, text, "frequency")[-1:] == [frequency]


def test_every_greeting_the_assistant_learnt_has_a_greeting_word() -> None:
    # NothingSaidIsNotUnderstood reads a "greeting" without one as not understood.
    import re

    import yaml

    from cramp_nlu.components import NothingSaidIsNotUnderstood
    from knowledge_base.db import PROJECT_ROOT

    words = re.compile(NothingSaidIsNotUnderstood.get_default_config()["greeting_words"], re.I)
    blocks = yaml.safe_load((PROJECT_ROOT / "data" / "nlu" / "chitchat.yml").read_text())["nlu"]
    greetings = [line[2:] for block in blocks if block.get("intent") == "greet"
                 for line in block["examples"].splitlines() if line.startswith("- ")]
    assert len(greetings) > 10 and [g for g in greetings if not words.search(g)] == []
    assert not words.search("purple monkey dishwasher")
