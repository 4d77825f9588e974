"""The Rasa adapter (rasa_adapter): each patch does what it says, against
Rasa's own behaviour, and each test fails if Rasa stops using the name the
patch replaces."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
import rasa.core.actions.action
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

import rasa_adapter
from harness import free_port
from rasa_adapter import action_calls
from rasa_adapter import events as event_classes
from runtime import turn

TIMEOUT = 10


@pytest.fixture(scope="module", autouse=True)
def applied() -> None:
    rasa_adapter.apply(action_server_timeout=TIMEOUT)


def test_a_rasa_other_than_the_one_the_patches_were_written_for_stops_the_start() -> None:
    mismatch = r"adapts Rasa 3\.6\.21 \(rasa_adapter\), but Rasa 3\.7\.0 is installed"
    with pytest.raises(rasa_adapter.RasaVersionMismatch, match=mismatch):
        rasa_adapter.check_rasa_version("3.7.0")
    rasa_adapter.check_rasa_version()  # the installed one


def test_applying_twice_changes_nothing() -> None:
    run, session = RemoteAction.run, EndpointConfig.session
    rasa_adapter.apply(action_server_timeout=TIMEOUT)
    assert (RemoteAction.run, EndpointConfig.session) == (run, session)
    assert rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT == TIMEOUT


class StandIn:
    """A stand-in action server: answers each call with `response`, after `delay`
    seconds, and notes each request's body and the client port it came from."""

    def __init__(self, response: dict[str, Any] | None = None, status: int = 200, delay: float = 0) -> None:
        self.response = response if response is not None else {"events": [], "responses": []}
        self.status, self.delay = status, delay
        self.bodies: list[dict[str, Any]] = []
        self.client_ports: list[int] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        self.client_ports.append(request.transport.get_extra_info("peername")[1])
        await asyncio.sleep(self.delay)
        return web.json_response(self.response, status=self.status)


async def call_action(stand_in: StandIn, tracker: DialogueStateTracker, domain: Domain, calls: int = 1,
                      name: str = "action_assess_cramps") -> tuple[list[Any], list[str], float]:
    """Runs Rasa's RemoteAction `calls` times against the stand-in, inside a turn:
    the events of each call (or the exception), the failures noted, and the
    seconds the calls took."""
    app = web.Application()
    app.router.add_post("/webhook", stand_in.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    started = turn.start_turn()
    results: list[Any] = []
    begin = time.monotonic()
    try:
        for _ in range(calls):
            try:
                results.append(await RemoteAction(name, endpoint).run(
                    CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses), tracker, domain))
            except Exception as error:  # noqa: BLE001 (the test reads which)
                results.append(error)
    finally:
        seconds = time.monotonic() - begin
        failures = turn.end_turn(started)
        await runner.cleanup()
    return results, failures, seconds


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.from_path("domain.yml")


@pytest.fixture
def tracker(domain: Domain) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("adapter", [
        UserUttered("hi", {"name": "greet", "confidence": 1.0}, metadata={"page": "x" * 500}),
        UserUttered("my calf cramps", {"name": "describe_cramps", "confidence": 1.0}, metadata={"page": "y"}),
        SlotSet("cramp_location", "calf")], slots=domain.slots)


def test_rasas_action_call_uses_the_bounded_request_the_validator_and_one_session(
        domain: Domain, tracker: DialogueStateTracker, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[dict[str, Any]] = []
    real_is_valid = action_calls._is_valid
    monkeypatch.setattr(action_calls, "_is_valid", lambda result: checked.append(result) or real_is_valid(result))
    stand_in = StandIn({"events": [{"event": "slot", "name": "cramp_timing", "value": "night"}], "responses": []})
    results, failures, _ = asyncio.run(call_action(stand_in, tracker, domain, calls=2))
    assert results[0] == [SlotSet("cramp_timing", "night")] and failures == []
    # RemoteAction.run sent what _action_call_format made: the events since the latest message, no metadata.
    sent = stand_in.bodies[0]["tracker"]
    assert [event["event"] for event in sent["events"]] == ["user", "slot"]
    assert "metadata" not in sent["latest_message"] and sent["latest_message"]["text"] == "my calf cramps"
    # ...checked the response with _validate_action_result...
    assert checked == [stand_in.response, stand_in.response]
    # ...and both calls went out on one connection of the endpoint's one session.
    assert len(set(stand_in.client_ports)) == 1


def test_a_failed_action_call_is_noted_for_the_turn_where_the_call_is_made(
        domain: Domain, tracker: DialogueStateTracker) -> None:
    results, failures, _ = asyncio.run(call_action(StandIn({"error": "boom"}, status=500), tracker, domain))
    assert isinstance(results[0], Exception)
    assert failures == ["the action server failed to run action_assess_cramps (RasaException)"]


def test_an_invalid_response_is_a_failure_with_rasas_own_error(domain: Domain, tracker: DialogueStateTracker) -> None:
    results, failures, _ = asyncio.run(call_action(StandIn({"events": [{"no_event": 1}]}), tracker, domain))
    assert "Failed to validate Action server response" in str(results[0])
    assert failures == ["the action server failed to run action_assess_cramps (ValidationError)"]


def test_a_forms_rejection_is_not_a_failure(domain: Domain, tracker: DialogueStateTracker) -> None:
    rejection = {"action_name": "validate_cramp_form", "error": "no"}
    results, failures, _ = asyncio.run(call_action(StandIn(rejection, status=400), tracker, domain,
                                                name="validate_cramp_form"))
    assert type(results[0]).__name__ == "ActionExecutionRejection" and failures == []


@pytest.fixture
def short_timeout() -> Iterator[None]:
    action_calls.apply(1)
    yield
    action_calls.apply(TIMEOUT)


def test_rasa_waits_for_the_action_server_only_as_long_as_the_timeout(
        domain: Domain, tracker: DialogueStateTracker, short_timeout: None) -> None:
    results, failures, seconds = asyncio.run(call_action(StandIn(delay=5), tracker, domain))
    assert isinstance(results[0], Exception) and failures and seconds < 3


def test_rasa_reads_stored_events_through_resolve_by_type() -> None:
    event_classes._event_classes.clear()
    assert Event.from_parameters({"event": "slot", "name": "cramp_location", "value": "calf"}) == SlotSet(
        "cramp_location", "calf")
    assert event_classes._event_classes == {"slot": SlotSet}


def test_action_server_responses_are_checked_against_rasas_schema_with_one_validator() -> None:
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    from rasa_adapter import action_calls

    action = RemoteAction("action_assess_cramps", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "x", "value": 1}],
                                           "responses": [{"text": "hi"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"no_event_key": 1}], "responses": []})
    assert action_calls.response_validator() is action_calls.response_validator()


def test_the_per_event_type_check_agrees_with_rasas_whole_schema() -> None:
    from datetime import datetime

    from rasa.shared.core import events

    from rasa_adapter import action_calls

    samples = [event.as_dict() for event in [
        events.UserUttered("my calf hurts", {"name": "inform", "confidence": 0.9},
                           [{"entity": "body_location", "value": "calf", "start": 3, "end": 7}]),
        events.BotUttered("hi", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
        events.SlotSet("findings", ["leg_swelling"]), events.SlotSet("triage_level", None),
        events.ActionExecuted("action_listen"), events.ActiveLoop("cramp_form"), events.ActiveLoop(None),
        events.FollowupAction("action_assess_cramps"), events.AllSlotsReset(), events.Restarted(),
        events.SessionStarted(), events.ConversationPaused(), events.ConversationResumed(),
        events.ReminderScheduled("remind", datetime(2026, 1, 1)), events.ActionReverted(),
        events.UserUtteranceReverted(),
        events.LoopInterrupted(True), events.ActionExecutionRejected("validate_cramp_form"),
        events.EntitiesAdded([{"entity": "finding", "value": "numbness"}]),
    ]]
    broken = [{"event": "slot"}, {"event": "user", "text": 5}, {"event": "no_such_event"}, {"text": "no type"},
              {"event": "action", "name": 3}, {"event": "bot", "text": "hi", "timestamp": "noon"}]
    responses = [{"events": [sample], "responses": []} for sample in samples + broken]
    responses += [{"events": samples, "responses": [{"text": "x"}]}, {"events": "not a list"}, {"responses": 3},
                  {"events": [samples[0], broken[0]]}, {}, []]
    verdicts = [action_calls._is_valid(response) for response in responses]
    assert verdicts == [action_calls.response_validator().is_valid(response) for response in responses]
    assert verdicts[:len(samples)] == [True] * len(samples)
    assert not any(verdicts[len(samples):len(samples) + len(broken)])


def test_what_rasa_sends_the_action_server_is_bounded_and_keeps_what_the_actions_read() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa_sdk import Tracker

    from rasa_adapter import action_calls

    domain = Domain.from_path("domain.yml")
    big = {"note": "x" * 60_000}
    conversation = []
    for number in range(60):
        conversation += [UserUttered(f"message {number} " + "y" * 1_900, {"name": "inform", "confidence": 1.0},
                               metadata=big), ActionExecuted("action_listen")]
    conversation += [UserUttered("my calf is swollen", {"name": "describe_cramps", "confidence": 1.0}, metadata=big),
               SlotSet("cramp_location", "calf")]
    tracker = DialogueStateTracker.from_events("long", conversation, slots=domain.slots)
    assert RemoteAction._action_call_format is action_calls.bounded_action_call_format
    call = RemoteAction("action_validate_slot_mappings", None)._action_call_format(tracker, domain)
    whole = action_calls._rasa_action_call_format(RemoteAction("x", None), tracker, domain)
    assert len(str(whole["tracker"])) > 4_000_000  # what Rasa alone would send
    assert len(str(call["tracker"])) < 20_000
    sent = Tracker.from_dict(call["tracker"])
    assert sent.latest_message["text"] == "my calf is swollen" and "metadata" not in sent.latest_message
    assert sent.get_slot("cramp_location") == "calf" and sent.slots_to_validate() == {"cramp_location": "calf"}
    assert [event["event"] for event in sent.events] == ["user", "slot"]
