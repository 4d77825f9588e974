"""`make purge DAYS=N` on Rasa's own SQL tracker store, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from knowledge_base.db import PROJECT_ROOT
from stores.purge import SECONDS_PER_DAY, purge_conversations

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
NOW = time.time()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'patients.sqlite3'}"
        return
    schema = f"purge_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


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


def test_purge_deletes_only_conversations_idle_longer_than_the_limit(store_url: str) -> None:
    store_conversation(store_url, "old", 40)
    store_conversation(store_url, "recent", 2)
    store_conversation(store_url, "edge", 29.9)
    report = purge_conversations(sa.create_engine(store_url), days=30, now=NOW)
    assert (report.conversations, report.events) == (1, 4)
    assert stored_senders(store_url) == {"recent", "edge"}


def test_a_conversation_still_going_is_kept_whole(store_url: str) -> None:
    store_conversation(store_url, "returning", 40, 1)  # came back yesterday
    assert purge_conversations(sa.create_engine(store_url), days=30, now=NOW).conversations == 0
    assert stored_senders(store_url) == {"returning"}


def test_make_purge(store_url: str) -> None:
    store_conversation(store_url, "old", 100)
    env = {**os.environ, "TRACKER_STORE_URL": store_url}
    result = subprocess.run(["make", "--no-print-directory", "purge", "DAYS=90"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "deleted 1 conversations (4 events) with no message in the last 90 days" in result.stdout
    assert stored_senders(store_url) == set()


@pytest.mark.parametrize("days, message", [("", "usage: make purge DAYS=N"), ("-3", "DAYS must be a positive"),
                                           ("soon", "could not convert string to float")])
def test_make_purge_refuses_a_missing_or_bad_days(store_url: str, days: str, message: str) -> None:
    store_conversation(store_url, "old", 100)
    result = subprocess.run(["make", "--no-print-directory", "purge", f"DAYS={days}"], cwd=PROJECT_ROOT,
                            env={**os.environ, "TRACKER_STORE_URL": store_url}, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0 and message in result.stderr
    assert stored_senders(store_url) == {"old"}
