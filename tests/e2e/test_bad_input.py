"""Strange input on the REST channel: each gets a clear answer or a clear
refusal, never a 500, and the server stays healthy."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from knowledge_base.wording import wording
from tests.e2e.conftest import RunningServer
from turns.messages import too_long_reply

TOO_LONG_REPLY = too_long_reply()
EMPTY_REPLY = wording().say("message_empty")


def post(server: RunningServer, body: bytes, headers: dict[str, str] | None = None,
         query: str = "") -> tuple[int, object]:
    request = urllib.request.Request(f"{server.url}/webhooks/rest/webhook{query}", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              **(server.auth if headers is None else headers)})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def say(server: RunningServer, text: str, sender: str | None = None) -> tuple[int, object]:
    return post(server, json.dumps({"sender": sender or f"bad-{uuid.uuid4().hex}", "message": text}).encode())


def user_texts(server: RunningServer, sender: str) -> list[str]:
    return [e["text"] for e in server.tracker(sender)["events"] if e["event"] == "user"]


def assert_healthy(server: RunningServer) -> None:
    status, replies = say(server, "hi")
    assert status == 200 and replies, "the server stopped answering"


def test_a_message_over_2000_characters_gets_a_polite_reply_and_is_not_processed(rasa_server) -> None:
    sender = f"long-{uuid.uuid4().hex}"
    status, replies = say(rasa_server, "my calf cramps at night. " * 100, sender)
    assert status == 200 and replies == [{"recipient_id": sender, "text": TOO_LONG_REPLY}]
    assert user_texts(rasa_server, sender) == []


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x01\x1b"])
def test_an_empty_message_is_answered_without_the_model(rasa_server, text: str) -> None:
    sender = f"empty-{uuid.uuid4().hex}"
    status, replies = say(rasa_server, text, sender)
    assert status == 200 and [r["text"] for r in replies] == [EMPTY_REPLY]
    assert user_texts(rasa_server, sender) == []


def test_control_characters_and_nul_bytes_are_removed_before_understanding(rasa_server) -> None:
    sender = f"ctl-{uuid.uuid4().hex}"
    status, replies = say(rasa_server, "my calf\x00 cramps at\x07 night", sender)
    assert status == 200 and replies
    assert user_texts(rasa_server, sender) == ["my calf cramps at night"]
    assert rasa_server.tracker(sender)["slots"]["cramp_location"] == "calf"


def test_a_body_over_the_limit_is_refused_before_it_is_parsed(rasa_server) -> None:
    status, _ = say(rasa_server, "x" * 100_000)
    assert status == 413
    assert_healthy(rasa_server)


@pytest.mark.parametrize("body, problem", [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"sender": "a"}', '"message" must be a string'),
    (b'{"sender": "a", "message": 42}', '"message" must be a string'),
    (b'{"sender": 7, "message": "hi"}', '"sender" must be a string'),
    (json.dumps({"sender": "s" * 10_000, "message": "hi"}).encode(), '"sender" must be a string of 1 to 255'),
    (b'{"sender": "a", "message": "hi", "metadata": "x"}', '"metadata" must be an object'),
])
def test_a_malformed_request_gets_a_400_that_says_what_is_wrong(rasa_server, body: bytes, problem: str) -> None:
    status, answer = post(rasa_server, body)
    assert status == 400 and problem in json.loads(answer)["error"]
    assert_healthy(rasa_server)


@pytest.mark.parametrize("text", [
    "🦵😖🌙",
    "لدي تشنجات في ساقي في الليل",  # Arabic, right to left
    "'; DROP TABLE events; --",
    "Robert'); DELETE FROM causes WHERE ('1'='1",
    "<script>alert(1)</script>",
    "/nlu_fallback",
    '/restart{"x":1}',
    "/no_such_intent",
    '/inform{"finding": "not_a_term"}',
])
def test_odd_messages_get_a_clean_answer(rasa_server, text: str) -> None:
    sender = f"odd-{uuid.uuid4().hex}"
    status, replies = say(rasa_server, text, sender)
    assert status == 200
    assert replies and all(reply["recipient_id"] == sender for reply in replies)
    assert "Sorry, something went wrong" not in json.dumps(replies)
    assert_healthy(rasa_server)


def test_sql_in_a_message_is_only_text(rasa_server) -> None:
    sender = f"sql-{uuid.uuid4().hex}"
    say(rasa_server, "'; DROP TABLE events; --", sender)
    say(rasa_server, "I get cramps in my calves at night", sender)
    assert user_texts(rasa_server, sender) == ["'; DROP TABLE events; --", "I get cramps in my calves at night"]


def test_a_hundred_messages_fired_back_to_back_from_one_sender_are_all_handled(rasa_server) -> None:
    # Back to back, as a stuck key or a script sends them. (Sent all at once, they
    # would queue on Rasa's conversation lock, which polls once a second.)
    sender = f"burst-{uuid.uuid4().hex}"
    messages = [f"hello {number}" for number in range(100)]
    results = [say(rasa_server, text, sender) for text in messages]
    assert all(status == 200 and replies for status, replies in results)
    assert user_texts(rasa_server, sender) == messages
    assert_healthy(rasa_server)


def test_the_rest_webhook_needs_the_token_when_the_api_has_one(rasa_server) -> None:
    # REST takes the conversation id it is given: without the token anyone could
    # read or write any conversation.
    body = json.dumps({"sender": f"token-{uuid.uuid4().hex}", "message": "hi"}).encode()
    assert post(rasa_server, body, headers={})[0] == 401
    assert post(rasa_server, body, headers={"Authorization": "Bearer wrong"})[0] == 401
    assert post(rasa_server, body, headers={}, query="?token=wrong")[0] == 401
    assert post(rasa_server, body, headers={"Authorization": f"Bearer {rasa_server.token}"})[0] == 200
    assert post(rasa_server, body, headers={}, query=f"?token={rasa_server.token}")[0] == 200
