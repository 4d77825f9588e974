"""When a part fails: the real action server stopped and started again under a
running Rasa server; a knowledge base that is missing, empty or outdated; a
database or Redis that cannot be reached at start."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness import free_port, in_schema, port_is_open, postgres_schema, start_group, stop_group
from knowledge_base import models
from knowledge_base.db import PROJECT_ROOT
from tests.e2e.conftest import RunningServer, reply_texts, serving, wait_for
from tests.e2e.tcp_proxy import TcpProxy
from tests.e2e.test_hidden_characters import EMERGENCY, HIDDEN

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
RASA = str(PROJECT_ROOT / ".venv" / "bin" / "rasa")
PHONE = "555-0123"  # CLINIC_PHONE in the tests' environment


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return start_group(command, PROJECT_ROOT, env, log)


class ActionServer:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = start([PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.port)],
                             self.env, self.log)
        wait_for(f"http://127.0.0.1:{self.port}/health", self.process, self.log, seconds=60)

    def stop(self) -> None:
        stop_group(self.process)
        assert not port_is_open(self.port)


@pytest.fixture(scope="module")
def separate_servers(trained_model: Path, server_env: dict[str, str],
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, ActionServer]]:
    """The Rasa server and the action server as separate processes, as in production."""
    folder = tmp_path_factory.mktemp("separate")
    server = RunningServer(url="", token=uuid.uuid4().hex, rasa_port=free_port(), action_port=free_port(),
                           tracker_store=folder / "patients.sqlite3", channel_env={})
    server.url = f"http://127.0.0.1:{server.rasa_port}"
    env = {**server_env, "ACTION_PORT": str(server.action_port), "ACTION_SERVER_TIMEOUT": "5",
           "TRACKER_STORE_URL": f"sqlite:///{server.tracker_store}", "RASA_AUTH_TOKEN": server.token,
           "SANIC_HOST": "127.0.0.1"}
    actions = ActionServer(env, server.action_port, folder / "actions.log")
    actions.start()
    rasa = start([PYTHON, "-m", "channels.server", "--interface", "127.0.0.1", "--port", str(server.rasa_port),
                  "--model", str(trained_model), "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"],
                 env, folder / "rasa.log")
    try:
        wait_for(f"{server.url}/", rasa, folder / "rasa.log", seconds=420)
        yield server, actions
    finally:
        stop_group(rasa)
        stop_group(actions.process)


def test_with_the_action_server_down_the_patient_gets_an_apology_and_red_flag_advice(separate_servers) -> None:
    server, actions = separate_servers
    sender = f"down-{uuid.uuid4().hex}"
    assert "Tell me about your leg cramps" in reply_texts(server.say(sender, "hello"))
    actions.stop()
    try:
        plain = reply_texts(server.say(sender, "I get cramps in my calves at night"))
        assert "Sorry, something went wrong on my side" in plain and PHONE in plain

        emergency_sender = f"down-{uuid.uuid4().hex}"
        replies = server.say(emergency_sender, "my calf is swollen and I can't breathe")
        assert {"triage_level": "emergency", "banner": "Call 911 now", "call_number": "911"} in [
            reply.get("custom") for reply in replies]
        emergency = reply_texts(replies)
        assert emergency.startswith("⚠️ Call 911 now") and "pulmonary embolism" in emergency
        # An emergency stands alone, in this mode too: no apology after it.
        assert "Sorry" not in emergency and PHONE not in emergency
        # The record agrees with what the person was told.
        slots = server.tracker(emergency_sender)["slots"]
        assert slots["triage_level"] == "emergency" and "breathlessness" in slots["red_flags"]

        # Nothing counts a denied sign: "no swelling" alone is not an emergency.
        denied = reply_texts(server.say(f"down-{uuid.uuid4().hex}", "no swelling, just a cramp in my calf"))
        assert "Call 911 now (999" not in denied and PHONE in denied
    finally:
        actions.start()
    # Back to normal with the next message, in the same conversation.
    answer = reply_texts(server.say(sender, "I get cramps in my calves at night"))
    assert "one safety question" in answer and "Sorry" not in answer
    # What was told while the action server was down still counts: nothing lowers it.
    server.say(emergency_sender, "I get cramps in my calves at night")
    assert server.tracker(emergency_sender)["slots"]["triage_level"] == "emergency"


def test_with_the_action_server_hanging_the_reply_comes_within_the_timeout(separate_servers) -> None:
    server, actions = separate_servers
    os.killpg(actions.process.pid, signal.SIGSTOP)  # accepts connections, never answers
    try:
        started = time.monotonic()
        reply = reply_texts(server.say(f"hang-{uuid.uuid4().hex}", "my leg is cold and pale"))
        waited = time.monotonic() - started
    finally:
        os.killpg(actions.process.pid, signal.SIGCONT)
    assert reply.startswith("⚠️ Call 911 now") and "Sorry" not in reply
    assert waited < 60, f"the person waited {waited:.0f} s"


def test_with_the_action_server_down_a_hidden_warning_sign_still_gets_call_911(separate_servers) -> None:
    """The local triage (turns.fallback) reads the message as the model does: normalised,
    and with no step of the pipeline able to fail it (issue 27)."""
    server, actions = separate_servers
    actions.stop()
    try:
        for name, text in HIDDEN.items():
            replies = server.say(f"hidden-{uuid.uuid4().hex}", text)
            assert EMERGENCY in [reply.get("custom") for reply in replies], name
            assert reply_texts(replies).startswith("⚠️ Call 911 now"), name
    finally:
        actions.start()


def make_database(path: Path, state: str) -> str:
    url = f"sqlite:///{path}"
    if state != "missing":
        engine = sa.create_engine(url)
        models.Base.metadata.create_all(engine)
        version = models.SCHEMA_VERSION if state == "empty" else "1"
        with engine.begin() as connection:
            connection.execute(sa.insert(models.Metadata.__table__), [
                {"key": "schema_version", "value": version}, {"key": "content_hash", "value": "x"}])
        engine.dispose()
    return url


@pytest.mark.parametrize("state, message", [
    ("missing", "The knowledge base database has not been built."),
    ("empty", "The knowledge base database is empty."),
    ("outdated", "The knowledge base was built by another version (schema 1, expected"),
])
def test_the_action_server_refuses_to_start_on_a_knowledge_base_not_ready(server_env, tmp_path: Path,
                                                                         state: str, message: str) -> None:
    env = {**server_env, "KB_DATABASE_URL": make_database(tmp_path / "kb.sqlite3", state)}
    result = subprocess.run([PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", str(free_port())],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"The action server cannot start: {message}" in result.stderr
    assert "Run `make kb`" in result.stderr


def test_an_action_server_beyond_loopback_refuses_to_start_without_the_secret(server_env) -> None:
    env = {**server_env, "SANIC_HOST": "0.0.0.0", "ACTION_SERVER_SECRET": ""}
    result = subprocess.run([PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", str(free_port())],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "The action server would listen on 0.0.0.0 without a secret: set ACTION_SERVER_SECRET" in (
        result.stdout + result.stderr)


def run_serve(server_env: dict[str, str], tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {**server_env, "RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port()),
           "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'patients.sqlite3'}", **variables}
    return subprocess.run([str(PROJECT_ROOT / "scripts" / "serve.sh")], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_make_serve_shows_why_the_knowledge_base_is_not_ready(server_env, tmp_path: Path) -> None:
    result = run_serve(server_env, tmp_path, KB_DATABASE_URL=make_database(tmp_path / "kb.sqlite3", "missing"))
    assert result.returncode != 0
    assert "The knowledge base database has not been built. Run `make kb` to build it." in result.stderr


@pytest.mark.parametrize("variable, value, message", [
    ("REDIS_URL", "redis://127.0.0.1:1/0", "Cannot reach Redis at 127.0.0.1 (REDIS_URL)"),
    ("TRACKER_STORE_URL", "postgresql://postgres@127.0.0.1:1/test",
     "Cannot reach the conversation store postgresql://postgres@127.0.0.1:1/test (TRACKER_STORE_URL)"),
])
def test_an_unreachable_redis_or_postgres_stops_the_start_with_a_clear_error(server_env, tmp_path: Path,
                                                                             variable: str, value: str,
                                                                             message: str) -> None:
    result = run_serve(server_env, tmp_path, **{variable: value})
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


@pytest.mark.postgres
def test_postgres_or_redis_lost_mid_conversation_gets_an_apology_then_recovers(
        trained_model: Path, server_env: dict[str, str], tmp_path: Path) -> None:
    with postgres_schema("tracker_test") as schema:
        lose_and_recover_the_stores(server_env, tmp_path, schema)


def lose_and_recover_the_stores(server_env: dict[str, str], tmp_path: Path, schema: str) -> None:
    database, cache = TcpProxy(5432), TcpProxy(6379)
    variables = {"REDIS_URL": f"redis://127.0.0.1:{cache.port}/2"}
    url = in_schema(f"postgresql://postgres@127.0.0.1:{database.port}/test", schema)
    sender = f"lost-{uuid.uuid4().hex}"
    try:
        with serving(server_env, tmp_path, variables, url) as server:
            assert "one safety question" in reply_texts(server.say(sender, "I get cramps in my calves at night"))
            for proxy in (database, cache):
                proxy.cut()
                try:
                    apology = reply_texts(server.say(sender, "about once a week"))
                    assert "Sorry, something went wrong on my side" in apology and PHONE in apology
                finally:
                    proxy.restore()
            # The screening question is still open, so it is asked again.
            assert "one safety question" in reply_texts(server.say(sender, "about once a week"))
            tracker = server.tracker(sender)
            assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == [
                "I get cramps in my calves at night", "about once a week"]
            assert (tracker["slots"]["cramp_location"], tracker["slots"]["cramp_frequency"]) == ("calf", "weekly")
    finally:
        database.cut()
        cache.cut()
