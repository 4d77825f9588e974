"""The bounds on what the public channels accept (turns.limits,
turns.messages, channels.socketio, channels.http_api) and log records on one
line (runtime.logs), without a server."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import jwt
import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from channels.common import channel_id
from channels.socketio import MAX_TOKEN_SECONDS, is_signed_session_id, new_session_id, visitor_claims
from knowledge_base.wording import wording
from runtime.logs import one_line_records
from turns import limits
from turns.limits import MessageRate, allowed_metadata
from turns.messages import checked_messages, command_or_text

SLOW_DOWN_REPLY = wording().say("slow_down")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_sender_may_send_a_burst_then_waits_for_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()
    monkeypatch.setattr(limits.time, "monotonic", clock)
    rate = MessageRate(burst=3, per_minute=6)  # one every 10 s
    assert [rate.allow("a") for _ in range(4)] == [True, True, True, False]
    assert rate.allow("b")  # another sender has a bucket of its own
    clock.now += 9
    assert not rate.allow("a")
    clock.now += 1
    assert rate.allow("a") and not rate.allow("a")
    clock.now += 3600  # a long pause refills up to the burst, not beyond
    assert [rate.allow("a") for _ in range(4)] == [True, True, True, False]


def test_the_rate_remembers_a_bounded_number_of_senders() -> None:
    rate = MessageRate(burst=1, per_minute=1, size=2)
    assert rate.allow("a") and rate.allow("b") and rate.allow("c")
    assert not rate.allow("c")
    assert rate.allow("a")  # forgotten as the least recent, so it starts afresh


def test_metadata_keeps_only_allow_listed_short_scalars() -> None:
    metadata = {"language": "en", "page": "/leg-cramps", "timezone": "Europe/London", "site": "x" * 201,
                "customData": {"nested": "x"}, "evil": "x" * 60_000, "users": ["U1"]}
    assert allowed_metadata(metadata) == {"language": "en", "page": "/leg-cramps", "timezone": "Europe/London"}
    assert allowed_metadata("not a dict") == {} and allowed_metadata(None) == {}


@pytest.mark.parametrize("text, read_as", [
    ('/inform{"body_location": "calf"}', '/inform{"body_location": "calf"}'),  # a button of ours
    ("/book_appointment", "/book_appointment"),
    ("/restart", "/restart"),  # Rasa's own intents are known too
    ("/my calf is swollen and hot", "my calf is swollen and hot"),
    ('/inform{"diagnosis": "I have a clot"}', 'inform{"diagnosis": "I have a clot"}'),  # no such entity
    ('/inform{"body_location": "calf"', 'inform{"body_location": "calf"'),  # not JSON
    ("/inform@0.9 my calf", "inform@0.9 my calf"),
    ("//", ""),
    ("my calf / thigh", "my calf / thigh"),
])
def test_only_a_real_button_payload_is_read_as_one(text: str, read_as: str) -> None:
    assert command_or_text(text) == read_as


def test_a_prefixed_sender_is_answered_on_its_own_channel_id() -> None:
    assert channel_id("slack:U123", "slack") == "U123"
    assert channel_id("telegram:42", "telegram") == "42"
    assert channel_id("42", "telegram") == "42"


def run_turns(texts: list[str], **options: Any) -> tuple[list[UserMessage], CollectingOutputChannel]:
    handled: list[UserMessage] = []
    output = CollectingOutputChannel()

    async def handler(message: UserMessage) -> None:
        handled.append(message)

    handle = checked_messages(handler, **options)

    async def send_all() -> None:
        for text in texts:
            await handle(UserMessage(text, output, "U123", input_channel="slack", metadata={"evil": "x"}))

    asyncio.run(send_all())
    return handled, output


def test_a_channel_prefix_names_the_conversation_and_the_reply_goes_to_the_channel_id() -> None:
    handled, output = run_turns(["", "my calf cramps"], namespace="slack", keep_metadata=True)
    assert [message.sender_id for message in handled] == ["slack:U123"]
    assert handled[0].metadata == {"evil": "x"}  # the provider's metadata, kept
    assert [message["recipient_id"] for message in output.messages] == ["U123"]  # the empty message's answer


def test_without_keep_metadata_only_the_allow_list_is_kept() -> None:
    handled, _ = run_turns(["my calf cramps"])
    assert handled[0].sender_id == "U123" and handled[0].metadata == {}


@pytest.mark.model
def test_a_sender_past_the_rate_is_asked_to_slow_down_and_a_red_flag_is_still_answered(
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["hi", "my calf cramps", "I get cramps at night", "my leg is cold, pale and numb"]
    handled, output = run_turns(texts, namespace="slack", rate=MessageRate(burst=2, per_minute=1))
    assert [message.text for message in handled] == texts[:2]
    replies = [message.get("text", "") for message in output.messages]
    assert replies[0] == SLOW_DOWN_REPLY and replies[-1] == SLOW_DOWN_REPLY
    assert "Call 911 now" in replies[1] and SLOW_DOWN_REPLY not in replies[1:-1]  # the emergency first


def test_session_ids_are_the_servers_own_and_bound_to_the_visitor() -> None:
    session = new_session_id("visitor-1")
    assert session.startswith("web:") and is_signed_session_id(session, "visitor-1")
    assert not is_signed_session_id(session, "visitor-2")
    assert not is_signed_session_id(session[:-2] + ("AA" if not session.endswith("AA") else "BB"), "visitor-1")
    assert not is_signed_session_id("web:" + "0" * 32 + ".forgedsignatureforged", "visitor-1")
    assert not is_signed_session_id("0123456789abcdef", "") and not is_signed_session_id(None, "")


def token(claims: dict[str, Any], key: str = "k" * 32) -> str:
    return jwt.encode(claims, key, algorithm="HS256")


def test_a_visitor_token_needs_exp_and_a_bounded_lifetime(caplog: pytest.LogCaptureFixture) -> None:
    key, now = "k" * 32, int(time.time())
    claims = visitor_claims(token({"sub": "v1", "iat": now, "exp": now + 600}), key, "HS256")
    assert claims is not None and claims["sub"] == "v1"
    assert visitor_claims(token({"exp": now + 600}), key, "HS256")["sub"] == ""
    refused = [
        token({"sub": "v1"}),  # no exp
        token({"sub": "v1", "exp": 4_070_908_800}),  # 2099
        token({"sub": "v1", "iat": now - MAX_TOKEN_SECONDS - 60, "exp": now + 60}),  # issued too long ago
        token({"sub": "v1", "exp": now - 60}),  # expired
        token({"sub": "v1", "exp": now + 600}, key="another-key" * 3),
        "not.a.token", "", None,
    ]
    with caplog.at_level(logging.INFO):
        assert [visitor_claims(bad, key, "HS256") for bad in refused] == [None] * len(refused)
    assert not any(record.exc_info for record in caplog.records)  # no traceback for a bad token


def test_a_log_record_stays_on_one_line_and_keeps_its_traceback(capsys: pytest.CaptureFixture) -> None:
    one_line_records()
    one_line_records()  # a second call changes nothing
    logger = logging.getLogger("tests.one_line")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        logger.warning("Parsed '%s'", "my calf\n2026-11-23 INFO forged line\rand\u2028more")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "WARNING Parsed 'my calf\\n2026-11-23 INFO forged line\\rand\\u2028more'"
    assert lines[1] == "ERROR failed" and lines[2].startswith("Traceback") and lines[-1] == "ValueError: boom"
