"""Only values real buttons send reach the slots (turns.known_values), against
the real servers: made-up ids by the hundred and dictionaries in a button
payload never reach the tracker, the conversation goes on, and a real button
still sets its slot."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest

from tests.e2e.conftest import Conversation, text_of, triage_payloads

MADE_UP = re.compile(r"mu\d{3}")
APOLOGY = "Sorry, something went wrong"


def made_up_payload(entity: str, count: int = 200) -> str:
    return "/inform" + json.dumps({entity: [f"mu{number:03d}" for number in range(count)]})


def tracker_of(chat: Conversation) -> str:
    return json.dumps(chat.server.tracker(chat.sender))


def test_hundreds_of_made_up_values_never_reach_the_tracker(chat: Conversation) -> None:
    for entity in ("finding", "risk_factor", "body_location", "finding"):
        replies = chat.say(made_up_payload(entity))
        assert replies and APOLOGY not in json.dumps(replies)
    assert MADE_UP.search(tracker_of(chat)) is None
    # The conversation goes on: what the person says next is understood.
    chat.say("I get cramps in my calf at night")
    slots = chat.slots()
    assert (slots["cramp_location"], slots["cramp_timing"]) == ("calf", "night")
    assert not slots["findings"] and not slots["risk_factors"]


@pytest.mark.parametrize("value", [{"value": "leg_swelling", "role": "absent"}, {"$ne": ""}, 42, [["calf"]]])
def test_a_value_that_is_not_a_string_is_dropped_and_nothing_breaks(chat: Conversation, value: object) -> None:
    replies = chat.say("/inform" + json.dumps({"finding": value, "body_location": value}))
    assert replies and APOLOGY not in json.dumps(replies)
    slots = chat.slots()
    assert slots["findings"] is None and slots["cramp_location"] is None
    user_events = [e for e in chat.server.tracker(chat.sender)["events"] if e["event"] == "user"]
    assert [(e["text"], e["parse_data"]["entities"]) for e in user_events] == [("/inform", [])]
    assert chat.say("hi")


def test_a_real_button_still_sets_its_slot_and_tells_a_warning_sign(chat: Conversation) -> None:
    chat.say('/inform{"body_location": "calf"}')
    assert chat.slots()["cramp_location"] == "calf"
    replies = chat.say('/inform{"finding": ["leg_swelling", "mu001"]}')
    assert triage_payloads(replies)[0]["triage_level"] == "urgent" and "Get seen today" in text_of(replies)
    assert chat.slots()["findings"] == ["leg_swelling"]
    assert MADE_UP.search(tracker_of(chat)) is None


def test_the_apis_trigger_intent_keeps_only_known_values_too(chat: Conversation) -> None:
    """The HTTP API (its own token) sets slots from `trigger_intent`'s entities: the same check."""
    server = chat.server
    request = urllib.request.Request(
        f"{server.url}/conversations/{urllib.parse.quote(chat.sender, safe='')}/trigger_intent?token={server.token}",
        data=json.dumps({"name": "inform",
                         "entities": {"finding": [f"mu{n:03d}" for n in range(200)] + ["leg_swelling"],
                                      "body_location": {"$ne": ""}}}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
    assert MADE_UP.search(tracker_of(chat)) is None
    slots = chat.slots()
    assert slots["findings"] == ["leg_swelling"] and slots["cramp_location"] is None
