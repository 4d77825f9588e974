"""`make purge DAYS=N` on Rasa's own SQL tracker store, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from harness import in_schema, postgres_schema
from knowledge_base.db import PROJECT_ROOT
from stores.purge import SECONDS_PER_DAY, purge_old_events

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
NOW = time.time()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'patients.sqlite3'}"
        return
    with postgres_schema("purge_test") as schema:
        yield in_schema(POSTGRES, schema)


def store_conversation(url: str, sender: str, *days_ago: float) -> None:
    """A conversation saved by Rasa's SQL tracker store, with an exchange at each of `days_ago`."""
    events = []
    for days in sorted(days_ago, reverse=True):
        last = NOW - days * SECONDS_PER_DAY
        events += [ActionExecuted("action_listen", timestamp=last - 60),
                   UserUttered("my calf cramps at night", timestamp=last - 30),
                   BotUttered("How often do you get them?", timestamp=last - 29),
                   UserUttered("about once a week", timestamp=last)]
    store = SQLTrackerStore(Domain.empty(), host=url)
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()


def stored_senders(url: str) -> set[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        senders = set(connection.scalars(sa.text("SELECT DISTINCT sender_id FROM events")))
    engine.dispose()
    return senders


def stored_texts(url: str, sender: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT type_name, timestamp FROM events WHERE sender_id = :sender "
                                          "ORDER BY id"), {"sender": sender}).all()
    engine.dispose()
    return [f"{name}@{round((NOW - stamp) / SECONDS_PER_DAY)}" for name, stamp in rows]


def test_purge_deletes_every_event_older_than_the_limit(store_url: str) -> None:
    store_conversation(store_url, "old", 40)
    store_conversation(store_url, "recent", 2)
    store_conversation(store_url, "edge", 29.9)
    report = purge_old_events(sa.create_engine(store_url), days=30, now=NOW)
    assert (report.events, report.conversations_removed) == (4, 1)
    assert stored_senders(store_url) == {"recent", "edge"}


def test_an_active_persons_old_events_are_deleted_too(store_url: str) -> None:
    # A Slack or Telegram id never changes: someone who came back yesterday must not
    # keep last month's conversation for ever.
    store_conversation(store_url, "returning", 40, 1)
    report = purge_old_events(sa.create_engine(store_url), days=30, now=NOW)
    assert (report.events, report.conversations_removed) == (4, 0)
    assert stored_texts(store_url, "returning") == ["action@1", "user@1", "bot@1", "user@1"]


def test_make_purge_cleans_the_patients_and_the_staffs_stores(store_url: str, tmp_path: Path) -> None:
    staff_url = f"sqlite:///{tmp_path / 'staff.sqlite3'}"
    store_conversation(store_url, "old", 100)
    store_conversation(staff_url, "staff-trial", 100, 0.2)
    env = {**os.environ, "TRACKER_STORE_URL": store_url, "STAFF_TRACKER_STORE_URL": staff_url}
    result = subprocess.run(["make", "--no-print-directory", "purge", "DAYS=90"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "deleted 4 events older than 90 days (1 conversations removed entirely) from TRACKER_STORE_URL" \
        in result.stdout
    assert "deleted 4 events older than 90 days (0 conversations removed entirely) from STAFF_TRACKER_STORE_URL" \
        in result.stdout
    assert stored_senders(store_url) == set()
    assert stored_texts(staff_url, "staff-trial") == ["action@0", "user@0", "bot@0", "user@0"]


@pytest.mark.parametrize("days, message", [("", "usage: make purge DAYS=N"), ("-3", "DAYS must be a positive"),
                                           ("soon", "could not convert string to float")])
def test_make_purge_refuses_a_missing_or_bad_days(store_url: str, days: str, message: str) -> None:
    store_conversation(store_url, "old", 100)
    result = subprocess.run(["make", "--no-print-directory", "purge", f"DAYS={days}"], cwd=PROJECT_ROOT,
                            env={**os.environ, "TRACKER_STORE_URL": store_url}, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and message in result.stderr
    assert stored_senders(store_url) == {"old"}
