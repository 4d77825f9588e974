"""What the project subclasses or relies on in Rasa rather than patching:
each test fails if Rasa stops using the name (see rasa_adapter's docstring)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from channels.socketio import ClinicSocketIOInput
from stores.tracker_store import CheckedSQLTrackerStore


def test_rasa_reads_a_conversation_through_read_tracker(tmp_path: Path) -> None:
    """SQLTrackerStore.retrieve and retrieve_full_tracker call `_retrieve`,
    which the adapter's base class hands to `read_tracker`."""
    domain = Domain.from_path("domain.yml")
    store = CheckedSQLTrackerStore(domain=domain, host=f"sqlite:///{tmp_path / 'patients.sqlite3'}")
    asyncio.run(store.save(DialogueStateTracker.from_events("patient", [], slots=domain.slots)))
    reads: list[bool] = []
    read_tracker = store.read_tracker

    async def counted(sender_id: str, all_sessions: bool) -> DialogueStateTracker | None:
        reads.append(all_sessions)
        return await read_tracker(sender_id, all_sessions)

    store.read_tracker = counted  # type: ignore[method-assign]
    asyncio.run(store.retrieve("patient"))
    asyncio.run(store.retrieve_full_tracker("patient"))
    assert reads == [False, True]


def test_our_socketio_handlers_replace_the_ones_rasa_registers() -> None:
    """Rasa's SocketIOInput.blueprint registers its handlers on `self.sio`;
    ours must be the ones that run."""
    channel = ClinicSocketIOInput.from_credentials({"session_persistence": True})

    async def on_new_message(message: UserMessage) -> None:
        return None

    channel.blueprint(on_new_message)
    handlers = channel.sio.handlers[channel.namespace or "/"]
    for event in ("connect", "disconnect", "session_request", channel.user_message_evt):
        assert handlers[event].__module__ == "channels.socketio", event
