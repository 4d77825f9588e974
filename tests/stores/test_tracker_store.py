"""The conversation store's own reads and saves, on a real SQLite file."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from knowledge_base.db import PROJECT_ROOT
from stores.tracker_store import CheckedSQLTrackerStore


def test_a_conversation_is_saved_once_and_read_back_from_its_latest_session(tmp_path) -> None:
    domain = Domain.load(PROJECT_ROOT / "domain.yml")
    store = CheckedSQLTrackerStore(host=f"sqlite:///{tmp_path / 'conversations.sqlite3'}", domain=domain)
    tracker = DialogueStateTracker.from_events("patient-1", [
        ActionExecuted("action_session_start", timestamp=1), SessionStarted(timestamp=1),
        UserUttered("my calf cramps", {"name": "describe_cramps", "confidence": 1.0}, timestamp=2),
        SlotSet("cramp_location", "calf", timestamp=2)], domain.slots)
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # nothing new: nothing written twice
    tracker.update(SessionStarted(timestamp=10))
    tracker.update(UserUttered("hello again", {"name": "greet", "confidence": 1.0}, timestamp=11))
    asyncio.run(store.save(tracker))

    with store.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT type_name, intent_name FROM events WHERE sender_id = 'patient-1' "
                                          "ORDER BY id")).all()
        journal = connection.execute(sa.text("PRAGMA journal_mode")).scalar()
    assert [row[0] for row in rows] == ["action", "session_started", "user", "slot", "session_started", "user"]
    assert rows[2][1] == "describe_cramps"
    assert journal == "wal"

    latest = asyncio.run(store.retrieve("patient-1"))
    assert [event.type_name for event in latest.events] == ["session_started", "user"]
    assert latest.latest_message.text == "hello again"
    everything = asyncio.run(store.retrieve_full_tracker("patient-1"))
    assert [event.type_name for event in everything.events] == [row[0] for row in rows]
    assert asyncio.run(store.retrieve("nobody")) is None


def test_a_long_session_is_continued_in_a_new_one_that_keeps_every_slot(tmp_path) -> None:
    from rasa.shared.core.events import ActiveLoop

    from stores.tracker_store import MAX_EVENTS_PER_SESSION

    domain = Domain.load(PROJECT_ROOT / "domain.yml")
    store = CheckedSQLTrackerStore(host=f"sqlite:///{tmp_path / 'conversations.sqlite3'}", domain=domain)
    events = [ActionExecuted("action_session_start", timestamp=1), SessionStarted(timestamp=1),
              SlotSet("red_flags", ["leg_swelling"], timestamp=1), SlotSet("triage_level", "urgent", timestamp=1),
              ActiveLoop("cramp_form", timestamp=1), SlotSet("requested_slot", "cramp_timing", timestamp=1)]
    turn = 0
    while len(events) <= MAX_EVENTS_PER_SESSION:
        turn += 1
        events += [UserUttered(f"message {turn}", {"name": "inform", "confidence": 1.0}, timestamp=1 + turn),
                   ActionExecuted("action_listen", timestamp=1 + turn)]
    tracker = DialogueStateTracker.from_events("long-one", events, domain.slots)
    asyncio.run(store.save(tracker))

    continued = asyncio.run(store.retrieve("long-one"))
    assert len(continued.events) < 20  # Rasa reads only the new session from now on
    assert continued.get_slot("red_flags") == ["leg_swelling"] and continued.get_slot("triage_level") == "urgent"
    assert continued.active_loop_name == "cramp_form" and continued.get_slot("requested_slot") == "cramp_timing"
    assert continued.latest_action_name == "action_listen"
    everything = asyncio.run(store.retrieve_full_tracker("long-one"))
    assert [e.text for e in everything.events if isinstance(e, UserUttered)] == [f"message {n}" for n in
                                                                               range(1, turn + 1)]
    # The next turn is saved into the new session, without writing the continuation twice.
    continued.update(UserUttered("at night", {"name": "inform", "confidence": 1.0}))
    asyncio.run(store.save(continued))
    assert [e.type_name for e in asyncio.run(store.retrieve("long-one")).events][-1] == "user"
    assert len(asyncio.run(store.retrieve("long-one")).events) == len(continued.events)
