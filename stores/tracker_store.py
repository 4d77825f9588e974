"""Rasa's SQL tracker store (SQLite by default, PostgreSQL in production),
failing at start with a clear message when the database cannot be reached.
Rasa 3.6's own store retries every five seconds, forever, in silence."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker

from channels.fallback import in_turn


class ConversationStoreUnavailable(BaseException):
    """The conversation store failed during a person's turn.

    A BaseException on purpose: Rasa wraps every tracker store in its
    FailSafeTrackerStore, which catches Exception and carries on, after a
    failed read with an empty conversation (forgetting what the person said,
    warning signs included) and after a failed write with one process's
    memory. The turn must stop instead; `channels.turns` catches this and
    sends the fallback reply. Outside a turn (the HTTP API) errors are left
    to Rasa."""


class CheckedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, host: str | None = None, **kwargs: Any) -> None:
        # `host` is the endpoint's `url`: a whole SQLAlchemy URL (TRACKER_STORE_URL).
        if host and "://" in host:
            engine = sa.create_engine(host, **create_engine_kwargs(host))
            try:
                engine.connect().close()
            except sa.exc.SQLAlchemyError as error:
                raise SystemExit(
                    f"Cannot reach the conversation store {engine.url!r} (TRACKER_STORE_URL): "
                    f"{str(error.orig or error).splitlines()[0]}. Start the database or fix the URL."
                ) from error
            finally:
                engine.dispose()
        super().__init__(host=host, **kwargs)
        # Test each pooled connection before use, so that the first message
        # after the database comes back is answered, not failed on a stale one.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        try:
            return await super().retrieve(sender_id)
        except sa.exc.SQLAlchemyError as error:
            if in_turn():
                raise ConversationStoreUnavailable(f"reading the conversation: {type(error).__name__}") from error
            raise

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
        except sa.exc.SQLAlchemyError as error:
            if in_turn():
                raise ConversationStoreUnavailable(f"saving the conversation: {type(error).__name__}") from error
            raise
