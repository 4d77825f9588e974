"""The sentences around the knowledge base's content (data/knowledge/wording.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.loader import KnowledgeBaseError
from knowledge_base.wording import SENTENCES, load_wording


def test_the_wording_has_every_sentence_the_code_uses() -> None:
    wording = load_wording()
    assert set(wording.sentences) == set(SENTENCES)
    assert wording.say("apology", clinic_name="Leg Clinic", clinic_phone="555-0101", booking_url="x").endswith(
        "or call Leg Clinic on 555-0101.")


def test_a_missing_sentence_or_an_unknown_placeholder_is_named(knowledge_copy: Path) -> None:
    path = knowledge_copy / "wording.yml"
    text = path.read_text()
    text = text.replace("  message_empty:", "  message_blank:")
    text = text.replace("Why: this could be {cause}.", "Why: this could be {cuase}.")
    path.write_text(text)
    with pytest.raises(KnowledgeBaseError) as raised:
        load_wording(knowledge_copy)
    message = str(raised.value)
    assert "entry 'message_empty', field '-': is missing or empty" in message
    assert "entry 'message_blank', field '-': is not a sentence the assistant uses" in message
    assert "entry 'warning_sign_why', field '-': unknown placeholder(s) ['cuase']" in message
