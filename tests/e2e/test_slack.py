"""Slack's Events API against the running Rasa server: events signed the way
Slack signs them, replies posted to a local stand-in for Slack's Web API."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from slack_sdk.signature import SignatureVerifier

from tests.e2e.conftest import RunningServer
from tests.e2e.provider_stand_in import ApiCall, ProviderStandIn


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret (Slack's scheme)."""
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


class SlackUser:
    """A person writing to the bot in a direct message."""

    def __init__(self, server: RunningServer, stand_in: ProviderStandIn) -> None:
        self.server = server
        self.stand_in = stand_in
        self.secret = server.channel_env["SLACK_SIGNING_SECRET"]
        self.user = "U" + uuid.uuid4().hex[:10].upper()
        self.channel = "D" + uuid.uuid4().hex[:10].upper()

    def event(self, text: str) -> dict[str, Any]:
        return {
            "token": "unused", "team_id": "T0CLINIC", "api_app_id": "A0CLINIC", "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:12].upper(), "event_time": int(time.time()),
            "authorizations": [{"user_id": "U0BOT"}],
            "event": {"type": "message", "channel_type": "im", "user": self.user, "text": text,
                      "ts": f"{time.time():.6f}", "channel": self.channel},
        }

    def post(self, event: dict[str, Any], *, timestamp: float | None = None, signature: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
        body = json.dumps(event).encode()
        stamp = str(int(timestamp if timestamp is not None else time.time()))
        request = urllib.request.Request(
            f"{self.server.url}/webhooks/slack/webhook", data=body, method="POST",
            headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                     "X-Slack-Signature": signature or slack_signature(self.secret, stamp, body), **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)

    def replies(self) -> list[ApiCall]:
        return [call for call in self.stand_in.calls_to("slack", "chat.postMessage")
                if call.fields.get("channel") == self.channel]

    def wait_for_reply(self, text: str, ignore_case: bool = True) -> ApiCall:
        def fold(value: str) -> str:
            return value.lower() if ignore_case else value

        return self.stand_in.wait_for("slack", "chat.postMessage",
                                      lambda call: call.fields.get("channel") == self.channel
                                      and fold(text) in fold(json.dumps(call.fields, ensure_ascii=False)))[0]

    def user_messages(self) -> list[str]:
        sender = f"slack:{self.user}"  # conversation_granularity: sender, with the channel's prefix
        return [e["text"] for e in self.server.tracker(sender)["events"] if e["event"] == "user"]


@pytest.fixture
def slack_user(rasa_server: RunningServer, provider_stand_in: ProviderStandIn) -> SlackUser:
    return SlackUser(rasa_server, provider_stand_in)


def test_the_signature_helper_signs_exactly_as_slack_does() -> None:
    body, stamp = b'{"type":"event_callback"}', str(int(time.time()))
    verifier = SignatureVerifier("8f742231b10e8888abcd99yyyzzz85a5")
    assert verifier.is_valid(body, stamp, slack_signature("8f742231b10e8888abcd99yyyzzz85a5", stamp, body))


def test_a_signed_message_is_answered_with_the_buttons_as_slack_blocks(slack_user: SlackUser) -> None:
    status, _ = slack_user.post(slack_user.event("I get cramps in my calves at night"))
    assert status == 200
    question = slack_user.wait_for_reply("one safety question")
    assert question.headers["authorization"] == "Bearer " + slack_user.server.channel_env["SLACK_BOT_TOKEN"]
    actions = [block for block in question.fields["blocks"] if block["type"] == "actions"]
    titles = [element["text"]["text"] for block in actions for element in block["elements"]]
    # Ten buttons, in actions blocks of five (Rasa's own Slack output would drop them all).
    assert [len(block["elements"]) for block in actions] == [5, 5]
    assert titles[:2] == ["Swelling, redness or warmth", "Numbness or weakness"] and titles[-1] == "None of these"
    assert all(element["type"] == "button" and element["value"].startswith(("/inform", "/deny"))
               for block in actions for element in block["elements"])
    assert slack_user.user_messages() == ["I get cramps in my calves at night"]


def test_an_emergency_shows_the_banner_as_a_block(slack_user: SlackUser) -> None:
    slack_user.post(slack_user.event("my calf is swollen and I can't breathe"))
    banner = slack_user.wait_for_reply("CALL 911 NOW", ignore_case=False)
    assert banner.fields["blocks"] == [{"type": "section", "text": {"type": "mrkdwn", "text": "*🚨 CALL 911 NOW*"}}]
    advice = slack_user.wait_for_reply("Call 911 now. Do not wait")
    replies = slack_user.replies()
    assert replies.index(banner) < replies.index(advice), "the banner comes before the advice"


def test_a_bad_signature_or_an_old_timestamp_is_refused_and_nothing_is_answered(slack_user: SlackUser) -> None:
    forged = slack_user.event("I get cramps at night")
    assert slack_user.post(forged, signature=slack_signature("not-the-secret", str(int(time.time())),
                                                             json.dumps(forged).encode()))[0] == 400
    six_minutes_ago = time.time() - 360
    assert slack_user.post(slack_user.event("I get cramps at night"), timestamp=six_minutes_ago)[0] == 400
    time.sleep(2)
    assert slack_user.replies() == []
    assert slack_user.user_messages() == []


@pytest.mark.parametrize("reason", ["http_timeout", "http_error"])
def test_a_retried_event_is_answered_once(slack_user: SlackUser, reason: str) -> None:
    event = slack_user.event("how can I prevent leg cramps?")
    assert slack_user.post(event)[0] == 200
    status, headers = slack_user.post(event, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": reason})
    assert status == 200 and headers.get("X-Slack-No-Retry") == "1"
    slack_user.wait_for_reply("stretch")
    time.sleep(3)  # time for a second answer, were one coming
    assert slack_user.user_messages() == ["how can I prevent leg cramps?"]
    texts = [call.fields.get("text") for call in slack_user.replies()]
    assert len(texts) == len(set(texts)), f"a reply was posted twice: {texts}"


def test_a_retry_of_an_event_that_never_arrived_is_answered(slack_user: SlackUser) -> None:
    event = slack_user.event("hello")
    status, _ = slack_user.post(event, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert status == 200
    slack_user.wait_for_reply("leg-cramp assistant")
    assert slack_user.user_messages() == ["hello"]
