"""Crafted messages against the real servers (issue 27): they cannot stall
another conversation, and the HTTP API parses nothing longer than the
channels' cap."""

from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.error
import urllib.request

from bench.crafted import CRAFTED
from tests.e2e.conftest import Conversation, RunningServer
from turns.limits import MESSAGES_PER_MINUTE
from turns.messages import MAX_MESSAGE_CHARACTERS

# The other conversation's message: a knowledge-base reply, as most turns are.
OTHER = "I get cramps in my calves at night"
QUIET_TURNS = 9
# What the security review sent: 8 crafted messages from one client within its
# rate allowance (one connection's sustained rate, turns.limits); the other
# conversation talks while they are sent, at least FEWEST_TURNS turns, at most MOST_TURNS.
CRAFTED_SENT = 8
FEWEST_TURNS, MOST_TURNS = 5, 200


def parse(server: RunningServer, text: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{server.url}/model/parse", method="POST",
                                     data=json.dumps({"text": text}).encode(),
                                     headers={"Content-Type": "application/json", **server.auth})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def reply_ms(server: RunningServer) -> float:
    started = time.perf_counter()
    replies = Conversation(server).say(OTHER)
    assert replies, "the other conversation got no reply"
    return (time.perf_counter() - started) * 1000


def test_another_conversation_is_not_stalled_while_crafted_messages_are_read(rasa_server: RunningServer) -> None:
    reply_ms(rasa_server)  # warm-up
    quiet = statistics.median(reply_ms(rasa_server) for _ in range(QUIET_TURNS))
    sent: list[int] = []

    def attack() -> None:
        for text in list(CRAFTED.values())[:CRAFTED_SENT]:
            started = time.monotonic()
            status, _ = parse(rasa_server, text)
            sent.append(status)
            time.sleep(max(0.0, 60 / MESSAGES_PER_MINUTE - (time.monotonic() - started)))

    attacker = threading.Thread(target=attack)
    attacker.start()
    during: list[float] = []
    while (attacker.is_alive() or len(during) < FEWEST_TURNS) and len(during) < MOST_TURNS:
        during.append(reply_ms(rasa_server))
    attacker.join(timeout=300)
    assert sent == [200] * CRAFTED_SENT
    # The median, and the mean, which one stalled turn (seconds, before issue 27) would raise.
    assert statistics.median(during) <= 2 * quiet, (quiet, during)
    assert statistics.mean(during) <= 2 * quiet, (quiet, during)


def test_the_api_parses_nothing_longer_than_the_channels_cap(rasa_server: RunningServer) -> None:
    status, body = parse(rasa_server, "a" * (MAX_MESSAGE_CHARACTERS + 1))
    assert status == 413
    assert body["max_characters"] == MAX_MESSAGE_CHARACTERS and "not read" in body["error"]
    # Counted as read: invisible characters do not count, and the text is read without them.
    status, body = parse(rasa_server, "my calf is swol\u00adlen" + "\u200b" * MAX_MESSAGE_CHARACTERS)
    assert status == 200
    assert body["text"] == "my calf is swollen"
    assert "leg_swelling" in [e["value"] for e in body["entities"]]


def test_a_conversation_message_over_the_cap_is_refused_and_not_stored(rasa_server: RunningServer) -> None:
    chat = Conversation(rasa_server)
    chat.say("hi")
    request = urllib.request.Request(
        f"{rasa_server.url}/conversations/{chat.sender}/messages", method="POST",
        data=json.dumps({"text": "cramp " * 400, "sender": "user"}).encode(),
        headers={"Content-Type": "application/json", **rasa_server.auth})
    try:
        urllib.request.urlopen(request, timeout=60)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 413
    events = rasa_server.tracker(chat.sender)["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == ["hi"]
