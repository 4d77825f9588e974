"""Rasa's SQL tracker store (SQLite by default, PostgreSQL in production),
failing at start with a clear message when the database cannot be reached.
Rasa 3.6's own store retries every five seconds, forever, in silence.

Reading and saving a conversation, which Rasa does on every message, use the
same table and rows as Rasa's store, in single Core statements instead of ORM
objects: the ORM's per-row work and statement building were a large share of
the Rasa server's time under load (figures: bench/results/history.md).

A session holds at most MAX_EVENTS_PER_SESSION events. Rasa reads and replays
the whole current session on every message, so a turn got slower the longer
a conversation went on. Past the cap, a new session continues the old one:
it starts with every slot (warning signs, the level told, the answers given)
and the questionnaire where it was, so nothing the person said is lost, and
Rasa reads only the new session from then on. The old events stay stored.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import create_engine_kwargs
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from rasa_adapter.tracker_store import ConversationReadingSQLTrackerStore
from runtime.turn import in_turn

# About 15 turns: enough for a whole questionnaire with questions in between.
MAX_EVENTS_PER_SESSION = 120


class ConversationStoreUnavailable(BaseException):
    """The conversation store failed during a person's turn.

    A BaseException on purpose: Rasa wraps every tracker store in its
    FailSafeTrackerStore, which catches Exception and carries on, after a
    failed read with an empty conversation (forgetting what the person said,
    warning signs included) and after a failed write with one process's
    memory. The turn must stop instead; `turns.messages` catches this and
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


def _conversation_engine(url: str | sa.engine.URL) -> sa.engine.Engine:
    url = sa.engine.make_url(url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        # Each pooled connection is tested before use, so that the first
        # message after the database comes back is answered, not failed on a
        # stale one.
        return sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
    # A SQLite file: SQLAlchemy 1.4 opens and closes it for every statement
    # (2.0 pools it, as here); there is no server whose connection could go stale.
    engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False})
    sa.event.listen(engine, "connect", _sqlite_write_ahead_log)
    return engine


def _sqlite_write_ahead_log(connection: Any, _record: Any) -> None:
    # The write-ahead log lets the purge and a second process read while the
    # server writes, and commits without waiting for the disk each time:
    # after a power cut (not a crash) the last moments may be lost, never
    # the file's consistency. Production uses PostgreSQL.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _events_of(events: sa.Table, columns: list[Any], all_sessions: bool) -> sa.sql.Select:
    """A conversation's events (its id bound as `sender_id`); by default only
    those of its latest session, as Rasa's store reads them."""
    sender_id = sa.bindparam("sender_id")
    query = sa.select(*columns).where(events.c.sender_id == sender_id)
    if not all_sessions:
        session_start = (sa.select(sa.func.max(events.c.timestamp))
                         .where(events.c.sender_id == sender_id, events.c.type_name == SessionStarted.type_name)
                         .scalar_subquery())
        query = query.where(sa.or_(events.c.timestamp >= session_start, session_start.is_(None)))
    return query


class CheckedSQLTrackerStore(ConversationReadingSQLTrackerStore):
    def __init__(self, host: str | None = None, **kwargs: Any) -> None:
        # `host` is the endpoint's `url`: a whole SQLAlchemy URL (TRACKER_STORE_URL).
        engine = None
        if host and "://" in host:
            engine = _conversation_engine(host)
            try:
                engine.connect().close()
            except sa.exc.SQLAlchemyError as error:
                engine.dispose()
                raise SystemExit(
                    f"Cannot reach the conversation store {engine.url!r} (TRACKER_STORE_URL): "
                    f"{str(error.orig or error).splitlines()[0]}. Start the database or fix the URL."
                ) from error
        super().__init__(host=host, **kwargs)
        self.engine.dispose()  # Rasa's, made without the settings above
        self.engine: sa.engine.Engine = engine or _conversation_engine(self.engine.url)
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)

        # Built once; each read and save only binds the conversation's id.
        events = self.SQLEvent.__table__
        self._latest_session_events = _events_of(events, [events.c.data], all_sessions=False).order_by(events.c.id)
        self._all_events = _events_of(events, [events.c.data], all_sessions=True).order_by(events.c.id)
        self._latest_session_size = _events_of(events, [sa.func.count()], all_sessions=False)

    async def read_tracker(self, sender_id: str, all_sessions: bool) -> DialogueStateTracker | None:
        query = self._all_events if all_sessions else self._latest_session_events
        with _stops_the_turn("reading the conversation"), self.engine.connect() as connection:
            rows = connection.execute(query, {"sender_id": sender_id}).scalars().all()
        if not self.domain or not rows:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        events = self.SQLEvent.__table__
        with _stops_the_turn("saving the conversation"), self.engine.begin() as connection:
            stored = connection.execute(self._latest_session_size, {"sender_id": tracker.sender_id}).scalar_one()
            rows = [_row(tracker.sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
            if stored + len(rows) > MAX_EVENTS_PER_SESSION:
                rows += [_row(tracker.sender_id, event) for event in continuation(tracker)]
            if rows:
                connection.execute(events.insert(), rows)


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    data = event.as_dict()
    return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
            "intent_name": (data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"), "data": json.dumps(data)}


def continuation(tracker: DialogueStateTracker) -> list[Event]:
    """A new session that carries on `tracker`'s: every slot that has a value,
    and the active questionnaire."""
    now = max(time.time(), (tracker.events[-1].timestamp if tracker.events else 0) + 0.001)
    events: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=now), SessionStarted(timestamp=now)]
    events += [SlotSet(slot.name, slot.value, timestamp=now) for slot in tracker.slots.values()
               if slot.value != slot.initial_value]
    if tracker.active_loop_name:
        events.append(ActiveLoop(tracker.active_loop_name, timestamp=now))
    events.append(ActionExecuted(ACTION_LISTEN_NAME, timestamp=now))
    return events
