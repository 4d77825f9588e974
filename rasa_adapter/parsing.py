"""Understanding a message off the event loop, within a time budget.

Rasa's `MessageProcessor.parse_message` runs the NLU graph (spaCy, DIET, ...)
on the server's only event loop, so while one message is read every other
conversation on the server waits. Here the graph runs in a worker thread and
the loop serves the others meanwhile. Each parse has PARSE_BUDGET_SECONDS
(`rasa_adapter.budget`): the pipeline's loops stop once it is spent, and the
message is then answered as not understood (`nlu_fallback`) with the entities
already found, so that the red-flag check on them (the action server's
`action_validate_slot_mappings`) still tells an emergency.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY

from rasa_adapter.budget import budget

logger = logging.getLogger(__name__)

# The most one message's understanding may take. An ordinary message takes
# 10-60 ms of it on this project's 2-core machine (a 2,000-character one about
# 150 ms, bench/results/history.md), so only a message crafted to be costly,
# or a machine far too busy, comes near it; past it, the others wait no longer.
PARSE_BUDGET_SECONDS = 1.0
# One thread: parses take turns, as they did on the loop (the NLU graph's
# components were written for one caller at a time), but the loop is free.
PARSE_THREADS = 1

# Rasa's own, kept before it is replaced.
_rasa_parse_message = MessageProcessor.parse_message


@lru_cache(maxsize=1)
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=PARSE_THREADS, thread_name_prefix="understanding")


def parse_within_budget(processor: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker,
                        only_output_properties: bool, seconds: float = PARSE_BUDGET_SECONDS) -> dict[str, Any]:
    """Rasa's `_parse_message_with_graph`, with a budget of `seconds`; past it, the
    intent is `nlu_fallback` and the entities found are kept."""
    with budget(seconds) as spent:
        parse_data = processor._parse_message_with_graph(message, tracker, only_output_properties)
    if spent.ran_out:
        logger.warning("A message's understanding ran past its %.1f s budget: answered as not understood.",
                       seconds)
        parse_data[INTENT] = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 1.0}
        parse_data[INTENT_RANKING_KEY] = [parse_data[INTENT]]
    return parse_data


async def parse_message(self: MessageProcessor, message: UserMessage, tracker: DialogueStateTracker | None = None,
                        only_output_properties: bool = True) -> dict[str, Any]:
    """MessageProcessor.parse_message, with the graph run in the worker thread
    (see the module docstring), then Rasa's own steps after it (the full
    retrieval intent, the unseen-features check); Rasa's debug line that logs
    the text is left out. An external NLU server (`http_interpreter`) is Rasa's way."""
    if self.http_interpreter:
        return await _rasa_parse_message(self, message, tracker, only_output_properties)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    context = contextvars.copy_context()
    parse_data = await asyncio.get_running_loop().run_in_executor(
        _executor(), context.run, parse_within_budget, self, message, tracker, only_output_properties)
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


def apply() -> None:
    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]
