"""rasa_adapter.parsing: the NLU graph runs in a worker thread, gives what
Rasa's own parse gives, and is what Rasa calls for a person's message; past
its budget a message is not understood, with what was already found."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_adapter import parsing

TEXTS = ["hi", "I get cramps in my calves at night", "my calf is swollen and I can't breathe",
         "does quinine help with cramps?", "not that I haven't coughed up blood, I have"]


@pytest.fixture(scope="module")
def processor(trained_model: Path) -> MessageProcessor:
    agent = Agent.load(str(trained_model))
    assert agent.processor is not None
    return agent.processor


def test_the_graph_runs_in_a_worker_thread_and_gives_what_rasas_parse_gives(
        processor: MessageProcessor, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    graph = processor._parse_message_with_graph

    def recorded(*args: Any, **kwargs: Any) -> dict[str, Any]:
        threads.append(threading.current_thread().name)
        return graph(*args, **kwargs)

    monkeypatch.setattr(processor, "_parse_message_with_graph", recorded)
    for text in TEXTS:
        rasas = asyncio.run(parsing._rasa_parse_message(processor, UserMessage(text)))
        ours = asyncio.run(parsing.parse_message(processor, UserMessage(text)))
        assert ours == rasas
    assert threads[0::2] == [threading.main_thread().name] * len(TEXTS)  # Rasa's, on the loop
    assert all(name.startswith("understanding") for name in threads[1::2])


def test_rasa_reads_a_persons_message_through_parse_message(
        processor: MessageProcessor, monkeypatch: pytest.MonkeyPatch) -> None:
    """`_handle_message_with_tracker` (every channel's message, and the API's) calls
    `parse_message`, the name the adapter replaces."""
    calls: list[str] = []

    async def counted(self: MessageProcessor, message: UserMessage, *args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(message.text or "")
        return await parsing.parse_message(self, message, *args, **kwargs)

    monkeypatch.setattr(MessageProcessor, "parse_message", counted)
    tracker = asyncio.run(processor.log_message(UserMessage("my calf is swollen", sender_id="parsing-test"),
                                                should_save_tracker=False))
    assert calls == ["my calf is swollen"]
    assert tracker.latest_message is not None
    assert [e["value"] for e in tracker.latest_message.entities if e["entity"] == "finding"] == ["leg_swelling"]


def test_past_its_budget_a_message_is_not_understood_with_what_was_found(processor: MessageProcessor) -> None:
    tracker = DialogueStateTracker.from_events("parsing-test", [])
    text = "my calf is swollen and red and I can't breathe"
    in_time = parsing.parse_within_budget(processor, UserMessage(text), tracker, True)
    spent = parsing.parse_within_budget(processor, UserMessage(text), tracker, True, seconds=0.0)
    assert in_time["intent"]["name"] != "nlu_fallback"
    assert spent["intent"]["name"] == "nlu_fallback"
    # The warning signs the vocabulary's phrases found are kept, for the red-flag check.
    findings = {e["value"] for e in spent["entities"] if e["entity"] == "finding" and not e.get("role")}
    assert {"leg_swelling", "redness"} <= findings


def test_apply_replaces_rasas_parse_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MessageProcessor, "parse_message", parsing._rasa_parse_message)
    parsing.apply()
    assert MessageProcessor.parse_message is parsing.parse_message
