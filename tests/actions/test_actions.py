"""Custom actions against a real (SQLite) knowledge base, with Rasa SDK's
CollectingDispatcher and a tracker built from slots (the financial-demo way)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.events import FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import (
    ActionAnswerFaq,
    ActionDefaultFallback,
    ActionNotUnderstood,
    ActionOfferBooking,
    ActionReliefNow,
    ActionUnderstandTurn,
    ValidateCrampForm,
    known_terms,
)
from tests.actions.helpers import payloads, run, run_assessment, texts, tracker_with


def test_known_terms_reads_every_slot_once() -> None:
    slots = dict(cramp_location="calf", cramp_timing="night", findings=["redness"],
                 risk_factors=["pregnancy"], medicines=["statin"], conditions=None)
    assert known_terms(slots) == ["night", "calf", "redness", "pregnancy", "statin"]


def test_night_calf_cramps_get_causes_relief_and_prevention() -> None:
    messages, events = run_assessment(cramp_location="calf", cramp_timing="night")
    reply = texts(messages)
    assert "From what you told me (cramps at night in the calf), the most likely causes are:" in reply
    assert "1. Ordinary night cramps with no single cause: cramps at night in the calf" in reply
    assert "During a cramp:\n• Straighten your leg and pull your foot and toes up towards you" in reply
    assert "To prevent the next one:\n• Stretching your calves for a few minutes every day" in reply
    assert "Call the clinic if cramps become frequent" in reply
    assert payloads(messages) == [{"triage_level": "self_care"}]
    assert [b["title"] for b in messages[-1]["buttons"]] == ["More on prevention", "When to see a doctor"]
    assert events == [SlotSet("red_flags", []), SlotSet("triage_level", "self_care")]


def test_pregnancy_is_ranked_first_with_its_reason() -> None:
    messages, _ = run_assessment(cramp_location="calf", cramp_timing="night", risk_factors=["pregnancy"])
    assert "1. Pregnancy: cramps at night in the calf, and you mentioned you are pregnant" in texts(messages)
    assert "loose" in texts(messages)  # loose bedclothes: advice for pregnancy and night


def test_swollen_red_calf_ends_with_a_same_day_offer_and_no_self_care_advice(monkeypatch) -> None:
    monkeypatch.setenv("CLINIC_PHONE", "555-0199")
    messages, events = run_assessment(cramp_location="calf", findings=["leg_swelling", "redness"])
    reply = texts(messages)
    assert reply.startswith("Please arrange to be seen today. You can call the clinic on 555-0199")
    assert "During a cramp" not in reply and "To prevent" not in reply
    assert "don't rub, massage or heat the leg" in reply and "call 911" in reply
    assert payloads(messages) == [{"triage_level": "urgent", "banner": "Get seen today"}]
    # Last, the question that would make it an emergency: a red, swollen leg with a sign of sepsis.
    assert "infection in the blood" in messages[-1]["text"] and messages[-1]["buttons"]
    assert events == [SlotSet("answered_questions", ["sepsis_signs"]),
                      SlotSet("red_flags", ["leg_swelling", "redness"]), SlotSet("triage_level", "urgent")]


def test_after_an_emergency_the_answer_only_repeats_to_get_help() -> None:
    messages, events = run_assessment(findings=["breathlessness"])
    assert texts(messages) == ("I've stopped my questions so you can get help now. Call 911 now. Do not wait to "
                               "see if it passes. If you can't call, ask someone near you to call for you.")
    assert payloads(messages) == [{"triage_level": "emergency", "banner": "Call 911 now", "call_number": "911"}]
    assert SlotSet("triage_level", "emergency") in events


def test_frequent_cramps_get_advice_and_a_doctor_visit() -> None:
    messages, events = run_assessment(cramp_location="foot", cramp_frequency="frequent")
    reply = texts(messages)
    assert "Pull your toes up towards your shin" in reply
    assert "See a doctor soon: Book an appointment" in reply
    assert payloads(messages) == [{"triage_level": "see_doctor"}]
    assert messages[-1]["buttons"][0] == {"title": "Book an appointment", "payload": "/book_appointment"}
    assert events == [SlotSet("red_flags", ["frequent"]), SlotSet("triage_level", "see_doctor")]


def test_a_medicine_is_linked_and_sent_to_the_prescriber() -> None:
    messages, _ = run_assessment(cramp_timing="night", medicines=["statin"])
    reply = texts(messages)
    assert "A side effect of a medicine: you take a statin" in reply
    assert "talk to the doctor or pharmacist who prescribed it" in reply
    assert "stop taking" not in reply.lower()


def test_the_action_reads_the_database_named_by_the_environment(tmp_path: Path, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{tmp_path / 'never_built.sqlite3'}")
    with pytest.raises(OperationalError, match="no such table"):
        run_assessment(cramp_location="calf")


# --- every turn: understanding and triage -----------------------------------

def entity(kind: str, value: str, role: str | None = None) -> dict[str, Any]:
    return {"entity": kind, "value": value, **({"role": role} if role else {})}


def slot_sets(events: list) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events}


def test_a_warning_sign_is_told_at_once_before_the_disclaimer() -> None:
    messages, events = run(ActionUnderstandTurn(), {"entities": [entity("finding", "leg_swelling")]},
                           cramp_location="calf")
    assert messages[0]["text"].startswith("Get seen today")
    assert messages[0]["custom"] == {"triage_level": "urgent", "banner": "Get seen today"}
    assert messages[1]["text"].startswith("I'm the clinic's leg-cramp assistant. I'm not a doctor or nurse")
    assert slot_sets(events) == {"findings": ["leg_swelling"], "triage_level": "urgent", "red_flags": ["leg_swelling"],
                                 "announced_level": "urgent", "disclaimer_given": True}


def test_the_warning_signs_are_named_in_the_persons_own_words() -> None:
    text = "i'm struggling for air and my calf is puffed up"
    def said(kind: str, value: str, words: str, role: str | None = None) -> dict[str, Any]:
        return {**entity(kind, value, role), "start": text.index(words), "end": text.index(words) + len(words)}

    message = {"text": text, "entities": [said("finding", "breathlessness", "struggling for air"),
                                          said("finding", "leg_swelling", "my calf is puffed up"),
                                          said("finding", "redness", "i'm", "absent")]}
    messages, _ = run(ActionUnderstandTurn(), message, disclaimer_given=True)
    reply = messages[0]["text"]
    assert reply.startswith("⚠️ Call 911 now")
    assert "You said “struggling for air” and “my calf is puffed up”." in reply


def test_an_announced_level_is_not_repeated_but_a_worse_one_is() -> None:
    same, _ = run(ActionUnderstandTurn(), {"entities": [entity("finding", "redness")]},
                  findings=["leg_swelling"], announced_level="urgent", disclaimer_given=True)
    assert same == []
    worse, events = run(ActionUnderstandTurn(), {"entities": [entity("finding", "chest_pain")]},
                        findings=["leg_swelling"], announced_level="urgent", disclaimer_given=True)
    assert worse[0]["text"].startswith("⚠️ Call 911 now")
    assert slot_sets(events)["findings"] == ["leg_swelling", "chest_pain"]
    assert slot_sets(events)["announced_level"] == "emergency"


def test_a_denied_finding_is_recorded_as_denied_and_never_triaged() -> None:
    messages, events = run(ActionUnderstandTurn(), {"entities": [entity("finding", "leg_swelling", "absent")]},
                           cramp_location="calf", disclaimer_given=True)
    assert messages == []
    # No level is told, so none is set: `triage_level` is the level last told.
    assert slot_sets(events) == {"denied_findings": ["leg_swelling"], "red_flags": []}


def test_nothing_to_triage_leaves_the_level_unset() -> None:
    messages, events = run(ActionUnderstandTurn(), {"intent": {"name": "greet"}})
    assert [m["text"] for m in messages] == [messages[0]["text"]] and "not a doctor" in messages[0]["text"]
    assert slot_sets(events) == {"disclaimer_given": True}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"intent": {"name": "deny"}, "text": "none of these"}, "none"),
        ({"intent": {"name": "inform"}, "entities": [entity("finding", "numbness", "absent")]}, "none"),
        ({"intent": {"name": "inform"}, "entities": [entity("finding", "tingling")]}, "reported"),
        ({"intent": {"name": "inform"}, "text": "not sure really"}, "unsure"),
        ({"intent": {"name": "deny"}, "text": "I'm not sure"}, "unsure"),
    ],
)
def test_the_screening_question_is_answered(message: dict[str, Any], expected: str) -> None:
    _, events = run(ActionUnderstandTurn(), message, requested_slot="warning_screen", disclaimer_given=True)
    assert slot_sets(events)["warning_screen"] == expected


def test_a_finding_given_before_the_screening_question_does_not_skip_it() -> None:
    _, events = run(ActionUnderstandTurn(), {"entities": [entity("finding", "tingling")]},
                    requested_slot="cramp_timing", disclaimer_given=True)
    assert "warning_screen" not in slot_sets(events)


def test_a_question_the_person_cannot_answer_is_not_asked_again() -> None:
    _, events = run(ActionUnderstandTurn(), {"text": "i dont know really"}, requested_slot="cramp_timing",
                    disclaimer_given=True)
    assert slot_sets(events)["unanswered"] == ["cramp_timing"]


def test_a_question_answered_not_sure_is_an_answer_to_the_form() -> None:
    # Rasa's form rejects a turn that validates no slot; the unanswered question must count.
    domain = {"forms": {"cramp_form": {"required_slots": ["cramp_location", "cramp_timing"]}}}
    events = asyncio.run(ValidateCrampForm().run(
        CollectingDispatcher(), tracker_with({"text": "i'm not sure"}, requested_slot="cramp_timing",
                                             unanswered=["cramp_timing"], cramp_location="calf"), domain))
    assert SlotSet("unanswered", ["cramp_timing"]) in events
    events = asyncio.run(ValidateCrampForm().run(
        CollectingDispatcher(), tracker_with({"text": "at night"}, requested_slot="cramp_timing",
                                             cramp_location="calf"), domain))
    assert "unanswered" not in slot_sets(events)


def test_a_warning_sign_said_instead_of_an_answer_ends_the_questions_and_stands() -> None:
    # "and my lips feel tingly" to "Where in your leg?": urgent, told; the turn must not be rejected.
    domain = {"forms": {"cramp_form": {"required_slots": ["cramp_location", "cramp_timing"]}}}
    events = asyncio.run(ValidateCrampForm().run(
        CollectingDispatcher(), tracker_with({"text": "and my lips feel tingly"}, requested_slot="cramp_location",
                                             triage_level="urgent", findings=["perioral_tingling"]), domain))
    assert SlotSet("triage_level", "urgent") in events
    assert SlotSet("requested_slot", None) in events


def required(**slots: Any) -> list[str]:
    form_slots = ["cramp_location", "cramp_timing", "cramp_frequency", "warning_screen"]
    return asyncio.run(ValidateCrampForm().required_slots(form_slots, CollectingDispatcher(),
                                                          tracker_with(**slots), domain={}))


def test_the_form_asks_everything_by_default_and_skips_what_cannot_be_answered() -> None:
    # The warning-sign screen first, unless what was said already matched a warning-sign rule.
    assert required() == ["warning_screen", "cramp_location", "cramp_timing", "cramp_frequency"]
    assert required(unanswered=["cramp_timing"]) == ["warning_screen", "cramp_location", "cramp_frequency"]
    assert required(red_flags=["tingling"]) == ["cramp_location", "cramp_timing", "cramp_frequency", "warning_screen"]
    # A finding that matches no rule on its own ("my calf tightens when I walk") does not move it.
    assert required(findings=["pain_on_walking"])[0] == "warning_screen"


@pytest.mark.parametrize("level", ["emergency", "urgent"])
def test_an_urgent_or_emergency_result_ends_the_questions(level: str) -> None:
    assert required(triage_level=level) == []


def test_relief_right_now_fits_where_the_cramp_is() -> None:
    messages, _ = run(ActionReliefNow(), cramp_location="foot")
    assert texts(messages).startswith("Let's ease it first:\n• Pull your toes up towards your shin")
    messages, _ = run(ActionReliefNow())
    assert "Straighten your leg and pull your foot and toes up towards you" in texts(messages)


def test_a_faq_is_answered_from_the_knowledge_base() -> None:
    selected = {"faq": {"response": {"intent_response_key": "faq/quinine"}}}
    messages, _ = run(ActionAnswerFaq(), {"response_selector": selected})
    assert texts(messages).startswith("Quinine is no longer recommended for leg cramps.")


def test_a_question_that_also_describes_ones_cramps_is_answered_then_the_questions_start() -> None:
    selected = {"faq": {"response": {"intent_response_key": "faq/duration"}}}
    own = {"text": "how long do my calf cramps at night last?", "response_selector": selected,
           "entities": [entity("body_location", "calf"), entity("timing", "night")]}
    messages, events = run(ActionAnswerFaq(), own)
    assert [m.get("response") for m in messages] == [None, "utter_lead_into_questions"]
    assert events == [FollowupAction("cramp_form")]
    # A question alone, one about no one ("can statins cause cramps?"), or one asked after
    # the answer was given, is only answered.
    medicines = {"response": {"intent_response_key": "faq/medicines"}}
    about_no_one = {"text": "can statins cause cramps?", "response_selector": {"faq": medicines},
                    "entities": [entity("medicine_class", "statin")]}
    for message, slots in [({"response_selector": selected}, {}), (about_no_one, {}),
                           (own, {"triage_level": "urgent"})]:
        messages, events = run(ActionAnswerFaq(), message, **slots)
        assert len(messages) == 1 and events == []


def test_an_unknown_faq_topic_asks_to_rephrase() -> None:
    selected = {"faq": {"response": {"intent_response_key": "faq/astrology"}}}
    messages, _ = run(ActionAnswerFaq(), {"response_selector": selected})
    assert messages[0]["response"] == "utter_default"


def test_booking_uses_the_clinic_details_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("CLINIC_NAME", "Wellness and Pain")
    monkeypatch.setenv("CLINIC_PHONE", "555-0142")
    monkeypatch.setenv("CLINIC_BOOKING_URL", "https://wellness.example/book")
    messages, _ = run(ActionOfferBooking())
    assert texts(messages).startswith(
        "You can call Wellness and Pain on 555-0142, or book online at https://wellness.example/book.")


def fallback_after(*events: dict[str, Any]) -> tuple[list[dict[str, Any]], list]:
    dispatcher = CollectingDispatcher()
    tracker = tracker_with({"text": "squash game, something snapped at my heel, can't walk properly now"})
    tracker.events = list(events)
    return dispatcher.messages, asyncio.run(ActionDefaultFallback().run(dispatcher, tracker, domain={}))


def test_a_fallback_keeps_a_turn_that_told_an_urgent_or_emergency_level() -> None:
    user = {"event": "user", "text": "..."}
    told = {"event": "slot", "name": "announced_level", "value": "urgent"}
    # Told in this turn: kept, and nothing more said.
    assert fallback_after(user, told) == ([], [])
    # Told in an earlier turn, or nothing told: asks again and reverts, as Rasa's own does.
    messages, events = fallback_after(user, told, {"event": "user", "text": "hmm"})
    assert [m["response"] for m in messages] == ["utter_default"]
    assert events == [UserUtteranceReverted(), SlotSet("fallbacks_in_a_row", 1.0)]
    messages, events = fallback_after(user)
    assert [m["response"] for m in messages] == ["utter_default"]
    assert events == [UserUtteranceReverted(), SlotSet("fallbacks_in_a_row", 1.0)]


def test_what_a_reverted_turn_told_is_set_again_after_the_revert() -> None:
    user = {"event": "user", "text": "..."}
    said = {"event": "slot", "name": "findings", "value": ["muscle_wasting"]}
    _, events = fallback_after(user, said)
    assert events[0] == UserUtteranceReverted() and SlotSet("findings", ["muscle_wasting"]) in events[1:]


def not_understood(in_a_row_before: int, asked: str | None = "cramp_timing") -> tuple[list[dict[str, Any]], list]:
    dispatcher = CollectingDispatcher()
    tracker = tracker_with({"text": "jjjjjjj"}, fallbacks_before=float(in_a_row_before), requested_slot=asked)
    tracker.active_loop = {"name": "cramp_form"} if asked else {}
    return dispatcher.messages, asyncio.run(ActionNotUnderstood().run(dispatcher, tracker, domain={}))


def test_in_the_questions_not_understood_asks_again_then_offers_to_skip_then_skips() -> None:
    messages, events = not_understood(0)
    assert [m["response"] for m in messages] == ["utter_not_understood_question"]
    assert events == [SlotSet("fallbacks_in_a_row", 1.0)]  # the form then asks its question again
    messages, events = not_understood(1)
    assert [m["response"] for m in messages] == ["utter_offer_skip_question"]
    assert messages[0]["clinic_phone"]  # the offer names the clinic's number
    messages, events = not_understood(2)
    assert [m["response"] for m in messages] == ["utter_question_skipped"]
    assert SlotSet("unanswered", ["cramp_timing"]) in events and SlotSet("fallbacks_in_a_row", 0.0) in events
    _, events = not_understood(2, asked="warning_screen")
    assert SlotSet("warning_screen", "unsure") in events  # a skipped screening question is never "none"


def test_outside_the_questions_not_understood_never_repeats_itself() -> None:
    first, _ = not_understood(0, asked=None)
    second, _ = not_understood(1, asked=None)
    assert [m["response"] for m in first + second] == ["utter_default", "utter_default_offer_clinic"]


def test_how_often_is_kept_as_the_person_said_it() -> None:
    said = {"text": "maybe every other week", "entities": [
        {"entity": "frequency", "value": "occasional", "start": 6, "end": 22}]}
    _, events = run(ActionUnderstandTurn(), said, disclaimer_given=True)
    assert slot_sets(events)["cramp_frequency_words"] == "every other week"
    longer = {"text": "calves in bed, usually every shift so 4-5 days a week at the moment", "entities": [
        {"entity": "body_location", "value": "calf", "start": 0, "end": 6},
        {"entity": "frequency", "value": "frequent", "start": 38, "end": 53}]}
    _, events = run(ActionUnderstandTurn(), longer, disclaimer_given=True)
    assert slot_sets(events)["cramp_frequency_words"] == "4-5 days a week at the moment"
    button = {"text": '/inform{"frequency": "weekly"}', "entities": [{"entity": "frequency", "value": "weekly"}]}
    _, events = run(ActionUnderstandTurn(), button, disclaimer_given=True, cramp_frequency_words="every other week")
    assert slot_sets(events)["cramp_frequency_words"] is None  # the button's answer, worded by the assistant


def test_the_summary_quotes_how_often_as_said() -> None:
    messages, _ = run_assessment(cramp_location="calf", cramp_timing="night", cramp_frequency="occasional",
                                 cramp_frequency_words="every other week")
    assert "From what you told me (cramps at night in the calf, “every other week”)" in texts(messages)


def test_once_a_level_is_told_a_correction_does_not_lower_it() -> None:
    told = {"cramp_location": "calf", "cramp_timing": "night", "cramp_frequency": "occasional",
            "triage_level": "see_doctor", "red_flags": ["frequent"]}
    assert "frequent" in known_terms(told)
    assert "frequent" not in known_terms({**told, "triage_level": None})  # before anything is told, nothing is kept
    messages, _ = run_assessment(**told)
    assert payloads(messages)[-1] == {"triage_level": "see_doctor"}


@pytest.mark.parametrize("text", ["She has none of those", "I've not had any of that", "not one of them",
                                  "Thankfully none.", "he doesn't have any of them"])
def test_the_screening_question_is_answered_none_in_any_words(text: str) -> None:
    _, events = run(ActionUnderstandTurn(), {"text": text, "intent": {"name": "thank"}},
                    requested_slot="warning_screen", disclaimer_given=True)
    assert slot_sets(events)["warning_screen"] == "none"
