"""The local triage that answers when the turn fails or a message is refused
for its rate (turns.fallback.terms_said) on random text: it never raises, and
a warning sign said with noise is still an emergency. It normalises the text
itself: a message refused for its rate comes to it as typed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from tests.fuzz.conftest import failures_logged, level_of
from tests.fuzz.strategies import RED_FLAG_SENTENCES, fuzz, messages, with_noise
from turns.fallback import terms_said


@fuzz(150)
@given(messages())
def test_the_fallback_triage_never_raises(text: str) -> None:
    with failures_logged() as failures:
        assert all(isinstance(term, str) for term in terms_said(text))
    assert [record.getMessage() for record in failures] == []


@fuzz(60)
@given(st.sampled_from(RED_FLAG_SENTENCES).flatmap(with_noise))
def test_a_warning_sign_with_noise_is_still_an_emergency(knowledge: Session, text: str) -> None:
    assert level_of(knowledge, terms_said(text)) == "emergency"
