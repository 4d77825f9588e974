"""The whole of the trained model's understanding (Rasa's agent, every
component of config.yml) on random text: it never raises, on the text as
typed or as the door normalises it (turns.text); and a warning sign said
with the noise phones and copy-paste add is still read as the emergency it is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.fuzz.conftest import Understanding, failures_logged, level_of, present_terms
from tests.fuzz.strategies import RED_FLAG_SENTENCES, fuzz, messages, with_noise
from turns.text import normalise


@fuzz(50)
@given(messages(surrogates=False))
def test_understanding_never_raises(understanding: Understanding, text: str) -> None:
    with failures_logged() as failures:
        for said in (text, normalise(text)):
            assert understanding.parse(said)["intent"]["name"]
    assert [record.getMessage() for record in failures] == []


@fuzz(40)
@given(st.sampled_from(RED_FLAG_SENTENCES).flatmap(with_noise))
def test_a_warning_sign_with_noise_is_still_an_emergency(understanding: Understanding, knowledge: Session,
                                                         text: str) -> None:
    parsed = understanding.parse(normalise(text))
    assert level_of(knowledge, present_terms(parsed)) == "emergency", present_terms(parsed)
