"""Rasa's SQL tracker store, with its read of a conversation made public."""

from __future__ import annotations

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker


class ConversationReadingSQLTrackerStore(SQLTrackerStore):
    """Rasa 3.6 reads a conversation in `_retrieve` (called by `retrieve` and
    `retrieve_full_tracker`); a subclass reads it in `read_tracker` instead."""

    async def read_tracker(self, sender_id: str, all_sessions: bool) -> DialogueStateTracker | None:
        return await super()._retrieve(sender_id, all_sessions)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        return await self.read_tracker(sender_id, fetch_events_from_all_sessions)
