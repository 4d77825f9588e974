"""Running custom actions with Rasa SDK's CollectingDispatcher and a tracker
built from slots (the financial-demo way)."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import ActionAssessCramps


def tracker_with(message: dict[str, Any] | None = None, **slots: Any) -> Tracker:
    latest = {"text": "", "intent": {}, "entities": [], **(message or {})}
    return Tracker(
        sender_id="test", slots=slots, latest_message=latest,
        events=[], paused=False, followup_action=None, active_loop={}, latest_action_name=None,
    )


def run(action: Any, message: dict[str, Any] | None = None, **slots: Any) -> tuple[list[dict], list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_with(message, **slots), domain={}))
    return dispatcher.messages, events


def run_assessment(**slots: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return run(ActionAssessCramps(), **slots)


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages if m.get("text"))


def payloads(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["custom"] for m in messages if m.get("custom")]
