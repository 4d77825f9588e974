"""The first conversation through the running Rasa server and action server,
over the REST channel, with slots read back through the tracker API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer


def post_json(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def say(server: RunningServer, sender: str, text: str) -> list[dict[str, Any]]:
    return post_json(f"{server.url}/webhooks/rest/webhook", {"sender": sender, "message": text})


def slots(server: RunningServer, sender: str) -> dict[str, Any]:
    url = f"{server.url}/conversations/{sender}/tracker?token={server.token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())["slots"]


def reply_text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies if "text" in r)


def triage_payloads(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["custom"] for r in replies if "custom" in r]


@pytest.fixture
def sender() -> str:
    return f"e2e-{uuid.uuid4().hex}"


def test_greeting_says_once_that_it_is_not_a_clinician(rasa_server: RunningServer, sender: str) -> None:
    text = reply_text(say(rasa_server, sender, "hi"))
    assert "I'm not a doctor or nurse" in text
    assert "Where in your leg" in text


def test_night_calf_cramps_are_answered_from_the_knowledge_base(rasa_server: RunningServer, sender: str) -> None:
    say(rasa_server, sender, "hello")
    replies = say(rasa_server, sender, "I get cramps in my calves at night")
    text = reply_text(replies)
    assert "1. Ordinary night cramps with no single cause: cramps at night in the calf" in text
    assert "pull your foot and toes up towards you" in text
    assert "Stretch your calves for a few minutes every day, including just before bed." in text
    assert triage_payloads(replies) == [{"triage_level": "self_care"}]
    state = slots(rasa_server, sender)
    assert (state["cramp_location"], state["cramp_timing"], state["triage_level"]) == ("calf", "night", "self_care")
    assert state["red_flags"] == []


def test_a_swollen_red_calf_is_triaged_as_urgent(rasa_server: RunningServer, sender: str) -> None:
    replies = say(rasa_server, sender, "my calf is swollen and red")
    text = reply_text(replies)
    assert text.startswith("Get seen today")
    assert "deep vein thrombosis" in text
    assert "massage" not in text.lower()
    assert triage_payloads(replies) == [{"triage_level": "urgent"}]
    state = slots(rasa_server, sender)
    assert state["triage_level"] == "urgent"
    assert sorted(state["red_flags"]) == ["leg_swelling", "redness"]


def test_breathlessness_gets_call_911_now(rasa_server: RunningServer, sender: str) -> None:
    replies = say(rasa_server, sender, "my leg cramps and I'm short of breath")
    assert reply_text(replies).startswith("⚠️ Call 911 now")
    assert triage_payloads(replies) == [{"triage_level": "emergency"}]


def test_a_denied_finding_never_counts(rasa_server: RunningServer, sender: str) -> None:
    replies = say(rasa_server, sender, "no swelling or redness, just cramps in my calf at night")
    assert triage_payloads(replies) == [{"triage_level": "self_care"}]
    state = slots(rasa_server, sender)
    assert not state["findings"]
    assert state["red_flags"] == []


def test_the_http_api_requires_the_token(rasa_server: RunningServer, sender: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{rasa_server.url}/conversations/{sender}/tracker", timeout=30)
    assert refused.value.code == 401
