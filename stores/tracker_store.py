"""Rasa's SQL tracker store (SQLite by default, PostgreSQL in production),
failing at start with a clear message when the database cannot be reached.
Rasa 3.6's own store retries every five seconds, forever, in silence."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _stops_the_turn(doing: str) -> Iterator[None]:
    """Inside a turn, a database error becomes ConversationStoreUnavailable."""
    try:
        yield
    except sa.exc.SQLAlchemyError as error:
        if in_turn():
            raise ConversationStoreUnavailable(f"{doing}: {type(error).__name__}") from error
        raise


def _pre_pinged_engine(url: str | sa.engine.URL) -> sa.engine.Engine:
    # Each pooled connection is tested before use, so that the first message
    # after the database comes back is answered, not failed on a stale one.
    return sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))


class CheckedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, host: str | None = None, **kwargs: Any) -> None:
        # `host` is the endpoint's `url`: a whole SQLAlchemy URL (TRACKER_STORE_URL).
        engine = None
        if host and "://" in host:
            engine = _pre_pinged_engine(host)
            try:
                engine.connect().close()
            except sa.exc.SQLAlchemyError as error:
                engine.dispose()
                raise SystemExit(
                    f"Cannot reach the conversation store {engine.url!r} (TRACKER_STORE_URL): "
                    f"{str(error.orig or error).splitlines()[0]}. Start the database or fix the URL."
                ) from error
        super().__init__(host=host, **kwargs)
        self.engine.dispose()  # Rasa's, made without the pre-ping
        self.engine = engine or _pre_pinged_engine(self.engine.url)
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        with _stops_the_turn("reading the conversation"):
            return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        with _stops_the_turn("saving the conversation"):
            await super().save(tracker)
