"""How the Rasa server calls the action server (see the package's docstring
for why each patch is here): a capped wait, failures noted for the turn, the
response checked with validators built once, a bounded request, and one HTTP
session per endpoint."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

import aiohttp
import rasa.core.actions.action
import rasa.utils.endpoints
from jsonschema import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import OutputChannel
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from runtime.turn import note_failure

# Rasa's own, kept before they are replaced.
_rasa_run = RemoteAction.run
_rasa_action_call_format = RemoteAction._action_call_format


@lru_cache(maxsize=1)
def response_validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    return validator_for(schema)(schema)


@lru_cache(maxsize=1)
def _validators_by_event_type() -> tuple[Validator, dict[str, Validator]] | None:
    """The response schema split in two: the response with its events only
    required to be objects, and one schema per event type. None if the
    schema's event types are not told apart by `event` (then the whole
    schema is used)."""
    schema = RemoteAction.action_response_format_spec()
    make = validator_for(schema)
    events = schema["properties"]["events"]
    item = events["items"]
    by_type: dict[str, Validator] = {}
    for branch in item.get("oneOf", []):
        event_type = branch.get("properties", {}).get("event", {}).get("const")
        if not isinstance(event_type, str) or event_type in by_type:
            return None
        by_type[event_type] = make({**{k: v for k, v in item.items() if k != "oneOf"}, "allOf": [branch]})
    if not by_type:
        return None
    response = {**schema, "properties": {**schema["properties"], "events": {**events, "items": {"type": "object"}}}}
    return make(response), by_type


def _is_valid(result: Any) -> bool:
    split = _validators_by_event_type()
    if split is None:
        return response_validator().is_valid(result)
    response, by_type = split
    if not response.is_valid(result):
        return False
    for event in result.get("events") or []:
        validator = by_type.get(event.get("event"))
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result, with the validators built once.
    An invalid response is checked again against the whole schema, for
    Rasa's own error."""
    try:
        if not _is_valid(result):
            response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (". Failed to validate Action server response from API, make sure your response from the "
                          f"Action endpoint is valid. For more information about the format visit "
                          f"{DOCS_BASE_URL}/custom-actions")
        raise error


def bounded_action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> dict[str, Any]:
    """RemoteAction._action_call_format, with the conversation cut to the events
    since the latest message and no metadata (see the package's docstring)."""
    call = _rasa_action_call_format(self, tracker, domain)
    state = call["tracker"]
    events = state.get("events") or []
    latest = max((i for i, event in enumerate(events) if event.get("event") == "user"), default=0)
    state["events"] = [_without_metadata(event) for event in events[latest:]]
    if isinstance(state.get("latest_message"), dict):
        state["latest_message"] = _without_metadata(state["latest_message"])
    return call


def _without_metadata(item: dict[str, Any]) -> dict[str, Any]:
    """The event or parse without metadata (a user event carries it twice: itself and in its parse)."""
    item = {key: value for key, value in item.items() if key != "metadata"}
    if isinstance(item.get("parse_data"), dict):
        item["parse_data"] = _without_metadata(item["parse_data"])
    return item


class _SharedSession:
    """What `EndpointConfig.session()` returns: `async with` gives the
    endpoint's long-lived session and leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_exc: object) -> None:
        return None


def shared_session(self: EndpointConfig) -> _SharedSession:
    """EndpointConfig.session (same headers, authentication and timeout),
    made once per endpoint and event loop."""
    loop = asyncio.get_running_loop()
    session: aiohttp.ClientSession | None = getattr(self, "_shared_session", None)
    if session is None or session.closed or session.loop is not loop:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
        session = aiohttp.ClientSession(headers=self.headers, auth=auth,
                                        timeout=aiohttp.ClientTimeout(total=rasa.utils.endpoints.DEFAULT_REQUEST_TIMEOUT),
                                        connector=aiohttp.TCPConnector(keepalive_timeout=2))
        self._shared_session = session
    return _SharedSession(session)


async def run_noting_failures(self: RemoteAction, output_channel: OutputChannel, nlg: NaturalLanguageGenerator,
                              tracker: DialogueStateTracker, domain: Domain) -> list[Event]:
    """RemoteAction.run; a failed call is noted for the turn, then raised on to
    Rasa as before. A form's rejection of an answer is not a failure."""
    try:
        return await _rasa_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except Exception as error:
        note_failure(f"the action server failed to run {self.name()} ({type(error).__name__})")
        raise


def apply(timeout_seconds: int) -> None:
    # Read by RemoteAction.run at each call.
    rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = timeout_seconds
    RemoteAction.run = run_noting_failures
    RemoteAction._validate_action_result = validate_action_result
    RemoteAction._action_call_format = bounded_action_call_format
    EndpointConfig.session = shared_session
