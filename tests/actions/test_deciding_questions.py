"""The deciding questions in the conversation: asked first when due, with their
buttons, recorded once asked, and each answer's terms added to what the person
told us (tests/knowledge_base/test_questions.py tests which one is due)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAskDecidingQuestion, ActionNotUnderstood, ActionUnderstandTurn, ValidateCrampForm
from tests.actions.helpers import run, tracker_with

CLOT = "clot_one_leg_lingering"
FORM = ["cramp_location", "cramp_timing", "cramp_frequency", "warning_screen"]


def slot_sets(events: list) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events}


def answer(answer_id: str) -> dict[str, Any]:
    return {"text": f'/inform{{"deciding_answer": "{answer_id}"}}', "intent": {"name": "inform"},
            "entities": [{"entity": "deciding_answer", "value": answer_id}]}


def required(**slots: Any) -> list[str]:
    return asyncio.run(ValidateCrampForm().required_slots(FORM, CollectingDispatcher(), tracker_with(**slots), {}))


def test_a_due_question_comes_first_in_the_form() -> None:
    assert required(risk_factors=["recent_surgery"])[0] == "deciding_question"
    assert required(risk_factors=["recent_surgery"], answered_questions=[CLOT])[0] == "warning_screen"
    assert "deciding_question" not in required(cramp_location="calf", cramp_timing="night")
    assert required(risk_factors=["recent_surgery"], triage_level="urgent") == []


def test_the_question_is_asked_with_its_buttons_and_recorded() -> None:
    messages, events = run(ActionAskDecidingQuestion(), risk_factors=["pregnant_or_postpartum"])
    assert "one leg only" in messages[0]["text"]
    buttons = messages[0]["buttons"]
    assert [b["title"] for b in buttons] == ["Yes: one leg, and it stays between cramps", "Only during a cramp",
                                             "Both legs", "I'm not sure"]
    assert buttons[0]["payload"] == '/inform{"deciding_answer": "clot_one_leg_pain_stays"}'
    assert json.loads(buttons[2]["payload"].removeprefix("/inform")) == {"deciding_answer": "clot_both_legs"}
    assert events == [SlotSet("answered_questions", [CLOT])]
    # Nothing due: nothing asked.
    assert run(ActionAskDecidingQuestion(), risk_factors=["recent_surgery"], answered_questions=[CLOT]) == ([], [])


def test_yes_sets_its_terms_and_tells_urgent_at_once() -> None:
    messages, events = run(ActionUnderstandTurn(), answer("clot_one_leg_pain_stays"), risk_factors=["recent_surgery"],
                           answered_questions=[CLOT], requested_slot="deciding_question", disclaimer_given=True)
    slots = slot_sets(events)
    assert slots["findings"] == ["lingering_leg_pain", "one_sided_leg_pain"]
    assert slots["triage_level"] == slots["announced_level"] == "urgent"
    assert messages[0]["text"].startswith("Get seen today")
    assert messages[0]["custom"] == {"triage_level": "urgent", "banner": "Get seen today"}


def test_both_legs_denies_and_tells_nothing() -> None:
    messages, events = run(ActionUnderstandTurn(), answer("clot_both_legs"), risk_factors=["recent_surgery"],
                           answered_questions=[CLOT], requested_slot="deciding_question", disclaimer_given=True)
    slots = slot_sets(events)
    assert slots["denied_findings"] == ["lingering_leg_pain", "one_sided_leg_pain"]
    assert "findings" not in slots and "triage_level" not in slots and messages == []


def test_not_sure_is_an_answer_and_never_a_no() -> None:
    _, events = run(ActionUnderstandTurn(), answer("clot_not_sure"), risk_factors=["recent_surgery"],
                    requested_slot="deciding_question", disclaimer_given=True)
    slots = slot_sets(events)
    assert slots["answered_questions"] == [CLOT]
    assert "denied_findings" not in slots and "findings" not in slots


def test_a_typed_yes_or_no_gives_the_answer_the_question_names() -> None:
    yes = {"text": "yes", "intent": {"name": "affirm"}, "entities": []}
    _, events = run(ActionUnderstandTurn(), yes, risk_factors=["long_travel"], answered_questions=[CLOT],
                    requested_slot="deciding_question", disclaimer_given=True)
    assert slot_sets(events)["triage_level"] == "urgent"
    no = {"text": "no", "intent": {"name": "deny"}, "entities": []}
    _, events = run(ActionUnderstandTurn(), no, risk_factors=["long_travel"], answered_questions=[CLOT],
                    requested_slot="deciding_question", disclaimer_given=True)
    assert slot_sets(events)["denied_findings"] == ["lingering_leg_pain"]
    # Elsewhere a "yes" is not an answer to it.
    _, events = run(ActionUnderstandTurn(), yes, risk_factors=["long_travel"], answered_questions=[CLOT],
                    requested_slot="cramp_timing", disclaimer_given=True)
    assert "denied_findings" not in slot_sets(events) and "findings" not in slot_sets(events)


def test_any_reply_to_the_question_is_an_answer_to_the_form() -> None:
    # Rasa's form rejects a turn that validates no slot; the deciding question is never asked again.
    domain = {"forms": {"cramp_form": {"required_slots": FORM}}}
    events = asyncio.run(ValidateCrampForm().run(
        CollectingDispatcher(), tracker_with({"text": "hmm, the left one I think"}, requested_slot="deciding_question",
                                             risk_factors=["recent_surgery"], answered_questions=[CLOT]), domain))
    assert SlotSet("answered_questions", [CLOT]) in events
    assert SlotSet("requested_slot", "warning_screen") in events


def test_a_reply_not_understood_goes_on_instead_of_asking_again() -> None:
    tracker = tracker_with({"text": "blorp"}, requested_slot="deciding_question", answered_questions=[CLOT])
    tracker.active_loop = {"name": "cramp_form"}
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionNotUnderstood().run(dispatcher, tracker, {}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_question_skipped"]
