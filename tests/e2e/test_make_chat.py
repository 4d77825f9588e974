"""`make chat` as a member of staff uses it: in a terminal, through the real
`rasa shell` and action server. Staff conversations are stored apart from
patients'. Leaving the shell stops the action server."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pexpect

from harness import free_port, port_is_open
from knowledge_base.db import PROJECT_ROOT

PROMPT = "Your input ->"
STARTUP_SECONDS = 420
ENTER = "\r"
DOWN = "\x1b[B"


def stored_user_messages(database: Path) -> dict[str, list[str]]:
    """Rasa's SQL tracker store: the user messages of each conversation."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id").fetchall()
    conversations: dict[str, list[str]] = {}
    for sender, data in rows:
        conversations.setdefault(sender, []).append(json.loads(data)["text"])
    return conversations


def test_make_chat_answers_from_the_knowledge_base_and_cleans_up(trained_model, server_env, rasa_server,
                                                                  tmp_path: Path) -> None:
    action_port = free_port()
    staff_store = tmp_path / "staff.sqlite3"
    # The patients' store is the running server's, which the other tests fill.
    # Beside the running `make serve`, whose action server has ACTION_PORT.
    env = {**server_env, "ACTION_PORT": str(rasa_server.action_port), "CHAT_ACTION_PORT": str(action_port),
           "CHAT_PORT": str(free_port()), "TERM": "dumb",
           "TRACKER_STORE_URL": f"sqlite:///{rasa_server.tracker_store}",
           "STAFF_TRACKER_STORE_URL": f"sqlite:///{staff_store}"}
    chat = pexpect.spawn("make", ["chat"], cwd=str(PROJECT_ROOT), env=env, encoding="utf-8",
                         timeout=60, dimensions=(50, 200))
    try:
        # Loading the model takes minutes on 2 cores (TensorFlow traces DIET's graph).
        chat.expect_exact(PROMPT, timeout=STARTUP_SECONDS)
        assert port_is_open(action_port)
        chat.sendline("I get cramps in my calves at night")
        # Rasa's shell shows the last message's buttons as a menu: Enter picks the
        # highlighted one and the arrow keys move.
        chat.expect_exact("one safety question")
        chat.send(DOWN * 9 + ENTER)  # "None of these"
        chat.expect_exact("How often do you get them?")
        chat.send(ENTER)  # "Now and then"
        chat.expect_exact("the most likely causes are")
        chat.expect_exact("Ordinary night cramps with no single cause")
        chat.expect_exact("When to see a doctor")
        chat.expect_exact('"triage_level": "self_care"')
        chat.expect_exact(PROMPT)  # the answer ends with its payload, so the buttons are just listed
        chat.sendline("my calf is swollen and red")
        chat.expect_exact("Get seen today")
        # Then the question that would make it an emergency (sepsis), as a menu.
        chat.expect_exact("infection in the blood")
        chat.send(DOWN + ENTER)  # "No, none of these"
        chat.expect_exact(PROMPT)
        chat.sendline("/stop")
        chat.expect(pexpect.EOF)
    finally:
        chat.close(force=True)
    deadline = time.monotonic() + 10
    while port_is_open(action_port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not port_is_open(action_port), "the action server kept running after the shell closed"

    staff_conversations = stored_user_messages(staff_store)
    assert list(staff_conversations.values()) == [
        ["I get cramps in my calves at night", "/deny", '/inform{"frequency": "occasional"}',
         "my calf is swollen and red", '/inform{"deciding_answer": "sepsis_none"}']]
    (staff_sender,) = staff_conversations
    assert staff_sender not in stored_user_messages(rasa_server.tracker_store)


def test_closing_the_terminal_stops_everything_make_chat_started_and_it_printed_no_deprecation_warnings(
        trained_model, server_env, rasa_server, tmp_path: Path) -> None:
    action_port, chat_port = free_port(), free_port()
    env = {**server_env, "ACTION_PORT": str(rasa_server.action_port), "CHAT_ACTION_PORT": str(action_port),
           "CHAT_PORT": str(chat_port), "TERM": "dumb", "STAFF_TRACKER_STORE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    chat = pexpect.spawn("make", ["chat"], cwd=str(PROJECT_ROOT), env=env, encoding="utf-8",
                         timeout=60, dimensions=(50, 200))
    try:
        chat.expect_exact(PROMPT, timeout=STARTUP_SECONDS)
        started = chat.before
        assert port_is_open(action_port) and port_is_open(chat_port)
    finally:
        chat.close(force=True)  # the terminal closes: its processes get SIGHUP
    deadline = time.monotonic() + 15
    while (port_is_open(action_port) or port_is_open(chat_port)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not port_is_open(action_port), "the action server kept running after the terminal closed"
    assert not port_is_open(chat_port), "rasa shell kept running after the terminal closed"
    assert "Rasa server is up and running" in started
    assert "DeprecationWarning" not in started and "deprecated" not in started.lower()
