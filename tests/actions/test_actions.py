"""Custom actions against a real (SQLite) knowledge base, with Rasa SDK's
CollectingDispatcher and a tracker built from slots (the financial-demo way)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAssessCramps, known_terms
from knowledge_base.db import KNOWLEDGE_DIR, make_engine
from knowledge_base.loader import build_database


@pytest.fixture(scope="module", autouse=True)
def knowledge_base_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge_base.sqlite3'}"
    build_database(KNOWLEDGE_DIR, make_engine(url))
    patcher = pytest.MonkeyPatch()
    patcher.setenv("KB_DATABASE_URL", url)
    yield url
    patcher.undo()


def tracker_with(**slots: Any) -> Tracker:
    return Tracker(
        sender_id="test", slots=slots, latest_message={"text": "", "intent": {}, "entities": []},
        events=[], paused=False, followup_action=None, active_loop={}, latest_action_name=None,
    )


def run_assessment(**slots: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAssessCramps().run(dispatcher, tracker_with(**slots), domain={}))
    return dispatcher.messages, events


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages if m.get("text"))


def payloads(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["custom"] for m in messages if m.get("custom")]


def test_known_terms_reads_every_slot_once() -> None:
    tracker = tracker_with(cramp_location="calf", cramp_timing="night", findings=["redness"],
                           risk_factors=["pregnancy"], medicines=["statin"], conditions=None)
    assert known_terms(tracker) == ["night", "calf", "redness", "pregnancy", "statin"]


def test_night_calf_cramps_get_causes_relief_and_prevention() -> None:
    messages, events = run_assessment(cramp_location="calf", cramp_timing="night")
    reply = texts(messages)
    assert "From what you told me (cramps at night in the calf), the most likely causes are:" in reply
    assert "1. Ordinary night cramps with no single cause: cramps at night in the calf" in reply
    assert "During a cramp:\n• Straighten your leg and pull your foot and toes up towards you" in reply
    assert "To prevent the next one:\n• Stretch your calves for a few minutes every day" in reply
    assert "Call the clinic if cramps become frequent" in reply
    assert payloads(messages) == [{"triage_level": "self_care"}]
    assert events == [SlotSet("red_flags", []), SlotSet("triage_level", "self_care")]


def test_pregnancy_is_ranked_first_with_its_reason() -> None:
    messages, _ = run_assessment(cramp_location="calf", cramp_timing="night", risk_factors=["pregnancy"])
    assert "1. Pregnancy: cramps at night in the calf, and you mentioned you are pregnant" in texts(messages)
    assert "loose" in texts(messages)  # loose bedclothes: advice for pregnancy and night


def test_swollen_red_calf_is_urgent_without_self_care_advice() -> None:
    messages, events = run_assessment(cramp_location="calf", findings=["leg_swelling", "redness"])
    reply = texts(messages)
    assert reply.startswith("Get seen today: go to urgent care or ask for a same-day appointment.")
    assert "deep vein thrombosis" in reply
    assert "massage" not in reply.lower() and "During a cramp" not in reply
    assert payloads(messages) == [{"triage_level": "urgent"}]
    assert events == [SlotSet("red_flags", ["leg_swelling", "redness"]), SlotSet("triage_level", "urgent")]


def test_breathlessness_is_an_emergency() -> None:
    messages, events = run_assessment(findings=["breathlessness"])
    assert texts(messages).startswith("⚠️ Call 911 now")
    assert "pulmonary embolism" in texts(messages)
    assert payloads(messages) == [{"triage_level": "emergency"}]
    assert SlotSet("triage_level", "emergency") in events


def test_frequent_cramps_get_advice_and_a_doctor_visit() -> None:
    messages, events = run_assessment(cramp_location="foot", cramp_frequency="frequent")
    reply = texts(messages)
    assert "Pull your toes up towards your shin" in reply
    assert "See a doctor soon: Book an appointment" in reply
    assert payloads(messages) == [{"triage_level": "see_doctor"}]
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
