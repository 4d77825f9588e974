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
