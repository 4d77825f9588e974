"""A warning sign hidden by the characters phones and copy-paste add (issue 27),
through the real servers over REST: a superscript or circled digit in a clock
time (it made the quantity parser raise, and the person got only "Sorry,
something went wrong"), soft hyphens and zero-width characters inside the
key words (they led to the screening question), full-width letters, bidi
marks. Each still gets "Call 911 now" with its payload, on its own."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Conversation, text_of, triage_payloads

EMERGENCY = {"triage_level": "emergency", "banner": "Call 911 now", "call_number": "911"}
HIDDEN = {
    "superscript digit in a clock time": "my calf is swollen since 10:3⁰ and I can't breathe",
    "circled digit after 'half past'": "my calf is swollen and I can't breathe, started at half past ② and still now",
    "superscript digit after 'quarter past'": "my calf is swollen and I can't breathe since quarter past ³",
    "soft hyphen and zero-width space": "my calf is swol\u00adlen and I can't brea\u200bthe",
    "zero-width joiners and emoji": "😭 my calf is swol\u200dlen and i can\u200dt brea\u200cthe 🦵",
    "full-width letters and bidi marks": "\u202bmy calf is ｓｗｏｌｌｅｎ and I can't ｂｒｅａｔｈｅ\u202c",
}


@pytest.mark.parametrize("text", HIDDEN.values(), ids=HIDDEN.keys())
def test_a_hidden_warning_sign_gets_call_911(chat: Conversation, text: str) -> None:
    replies = chat.say(text)
    assert triage_payloads(replies) == [EMERGENCY], text_of(replies)
    assert text_of(replies).startswith("⚠️ Call 911 now")
    assert chat.slots()["triage_level"] == "emergency"
