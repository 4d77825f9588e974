"""Production layout, for real: two Rasa servers (each with its action server)
sharing one PostgreSQL tracker store and one Redis lock store; and a restart
of the embedded default (SQLite) in the middle of a conversation."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import redis

from harness import in_schema, postgres_schema
from tests.e2e.conftest import RunningServer, reply_texts, serving

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/2"
pytestmark = pytest.mark.postgres


def user_texts(server: RunningServer, sender: str) -> list[str]:
    return [e["text"] for e in server.tracker(sender)["events"] if e["event"] == "user"]


@pytest.fixture(scope="module")
def replicas(trained_model: Path, server_env: dict[str, str],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[RunningServer]]:
    folder = tmp_path_factory.mktemp("replicas")
    token = secrets.token_hex(16)
    with postgres_schema("tracker_test") as schema, ExitStack() as stack:
        url = in_schema(POSTGRES, schema)
        yield [stack.enter_context(serving(server_env, folder, {"REDIS_URL": REDIS}, url, token=token))
               for _ in range(2)]


def test_the_replicas_share_postgres_and_redis(replicas: list[RunningServer]) -> None:
    for server in replicas:
        assert "Conversation locks are kept in Redis" in server.log.read_text()
    assert redis.Redis.from_url(REDIS).ping()


def test_a_conversation_alternating_between_replicas_keeps_its_slots_and_history(replicas) -> None:
    first, second = replicas
    sender = f"alt-{uuid.uuid4().hex}"
    assert "one safety question" in reply_texts(first.say(sender, "I get cramps in my calves at night"))
    assert "one safety question" in reply_texts(second.say(sender, "about once a week"))
    answer = reply_texts(first.say(sender, "none of these"))
    assert "the most likely causes are" in answer and "calf" in answer
    slots = second.tracker(sender)["slots"]
    assert (slots["cramp_location"], slots["cramp_timing"], slots["cramp_frequency"], slots["triage_level"]) == (
        "calf", "night", "weekly", "self_care")
    assert user_texts(second, sender) == ["I get cramps in my calves at night", "about once a week", "none of these"]


def test_two_messages_of_one_conversation_at_once_on_two_replicas_are_both_handled_in_turn(replicas) -> None:
    first, second = replicas
    sender = f"race-{uuid.uuid4().hex}"
    start = threading.Barrier(2)

    def send(server: RunningServer, text: str) -> list[dict[str, Any]]:
        start.wait()
        return server.say(sender, text)

    with ThreadPoolExecutor(2) as pool:
        one = pool.submit(send, first, "I get cramps in my calves at night")
        two = pool.submit(send, second, "my calf is swollen and red")
        replies = [one.result(), two.result()]
    assert all(replies), "each message gets an answer"
    events = first.tracker(sender)["events"]
    kinds = [e["event"] if e["event"] != "action" else e["name"] for e in events]
    users = [i for i, kind in enumerate(kinds) if kind == "user"]
    assert len(users) == 2
    # One after the other: the first turn ends (action_listen) before the second message.
    assert "action_listen" in kinds[users[0] + 1:users[1]]
    assert first.tracker(sender)["slots"]["triage_level"] == "urgent"


def test_fifty_concurrent_conversations_each_keep_exactly_their_own_events(replicas) -> None:
    places = ["calves", "thighs", "feet", "hamstrings", "calf"]
    expected = {"calves": "calf", "thighs": "thigh", "feet": "foot", "hamstrings": "hamstring", "calf": "calf"}

    def conversation(number: int) -> tuple[str, list[str], str]:
        sender = f"many-{number}-{uuid.uuid4().hex[:8]}"
        place = places[number % len(places)]
        said = [f"I get cramps in my {place} at night", "about once a week"]
        for turn, text in enumerate(said):
            assert replicas[(number + turn) % 2].say(sender, text), f"{sender}: no answer to {text!r}"
        return sender, said, expected[place]

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(conversation, range(50)))
    for sender, said, location in results:
        assert user_texts(replicas[0], sender) == said
        assert replicas[1].tracker(sender)["slots"]["cramp_location"] == location


def test_a_restart_in_the_middle_of_a_conversation_continues_where_it_was(
        trained_model: Path, server_env: dict[str, str], tmp_path: Path) -> None:
    store = tmp_path / "patients.sqlite3"  # the embedded default: a SQLite file
    sender = f"restart-{uuid.uuid4().hex}"
    with serving(server_env, tmp_path, {}, f"sqlite:///{store}") as server:
        server.say(sender, "I get cramps in my calves at night")
        assert "one safety question" in reply_texts(server.say(sender, "about once a week"))
    with serving(server_env, tmp_path, {}, f"sqlite:///{store}") as server:
        answer = reply_texts(server.say(sender, "none of these"))
        assert "the most likely causes are" in answer and "calf" in answer
        assert user_texts(server, sender) == ["I get cramps in my calves at night", "about once a week",
                                              "none of these"]
