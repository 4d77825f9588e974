"""Clinical safety through the real servers, over REST: an emergency reply
stands alone in its turn, and after a red flag no later reply of the session
suggests rubbing, heating or stretching the leg, on any path a person can take
(a cramp right now, a typed question, the final answer, its buttons)."""

from __future__ import annotations

import re

from tests.actions.test_advice_safeguards import unsafe_sentences
from tests.e2e.conftest import Conversation, text_of, triage_payloads


def test_an_emergency_reply_stands_alone_in_its_turn(chat: Conversation) -> None:
    replies = chat.say("hi, my calf is swollen and I can't breathe")
    assert triage_payloads(replies) == [{"triage_level": "emergency", "banner": "Call 911 now", "call_number": "911"}]
    # The REST channel sends the reply's paragraphs as messages of their own: those
    # two and the payload, and nothing else (no greeting, disclaimer or question).
    texts = [reply["text"] for reply in replies if "text" in reply]
    assert len(texts) == 2 and texts[0].startswith("⚠️ Call 911 now") and texts[1].startswith("Why: this could be")
    assert "don't drive yourself" in texts[0]
    assert chat.slots()["triage_level"] == "emergency"
    # The disclaimer still comes, once, in the next turn.
    assert "I'm not a doctor or nurse" in text_of(chat.say("ok"))


def test_after_a_clot_warning_no_reply_suggests_touching_the_leg(chat: Conversation) -> None:
    first = text_of(chat.say("my left calf has been swollen and warm since yesterday"))
    assert "Get seen today" in first and "don't rub, massage or heat the leg" in first.lower()
    later = {
        "cramp now": chat.say("I have a cramp right now"),
        "relief question": chat.say("how do I stop a cramp?"),
        "prevention question": chat.say("how can I prevent leg cramps?"),
        "does heat help": chat.say("should I put a heating pad on it?"),
    }
    for path, replies in later.items():
        text = text_of(replies)
        buttons = " ".join(f"{b['title']} {b['payload']}" for r in replies for b in r.get("buttons") or [])
        assert unsafe_sentences(f"{text}\n{buttons}") == [], path
    assert chat.slots()["triage_level"] == "urgent"


def test_the_screening_question_comes_first_with_the_new_items(chat: Conversation) -> None:
    replies = chat.say("I get leg cramps")
    question = replies[-1]
    assert question["text"].startswith("First, one safety question")
    titles = [button["title"] for button in question["buttons"]]
    for item in ("Dark urine", "Back pain with bladder trouble", "An injury to the leg",
                 "Surgery, a cast or a long journey", "Pregnant or recently gave birth", "None of these"):
        assert item in titles
    after = text_of(chat.say("none of these"))
    assert re.search(r"Where in your leg", after)


def test_the_cramp_or_clot_and_mimics_answers_are_reachable(chat: Conversation) -> None:
    assert "A cramp comes on suddenly" in text_of(chat.say("how can I tell if it's a cramp or a blood clot?"))
    assert "Restless legs" in text_of(chat.say("what else can feel like a leg cramp?"))
    assert chat.slots()["triage_level"] is None  # questions alone tell no level
