"""When part of the service fails during a turn (the action server down or
slow, the tracker store unreachable), the person still gets an answer: a
short apology with the clinic's number and, if the message names a warning
sign, the emergency or urgent advice, worked out here in the Rasa server from
the knowledge base, because red-flag replies must not depend on a remote call.

An emergency stands alone here too: no apology follows it. A level told here
is recorded in the conversation as the actions record it (`red_flags`,
`triage_level`, `announced_level`), and the warning signs already recorded
count, so the record agrees with what the person was told and nothing told
before is lowered.

A failed action-server call is noted for the turn where the call is made
(`rasa_adapter.action_calls`, in `runtime.turn`); Rasa itself carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import spacy
from rasa.core.channels.channel import OutputChannel
from rasa.shared.core.events import SlotSet
from sqlalchemy.orm import Session

from cramp_nlu.guarded import read
from cramp_nlu.pipeline import pipeline_path, terms_present
from knowledge_base import queries, replies
from knowledge_base.db import shared_engine
from knowledge_base.models import TRIAGE_LEVELS
from rasa_adapter.budget import budget
from rasa_adapter.parsing import PARSE_BUDGET_SECONDS
from runtime.settings import settings
from turns.text import normalise

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _finding_reader() -> spacy.language.Language:
    # The project's own pipeline: the knowledge base's phrases and NegEx.
    return spacy.load(pipeline_path())


def terms_said(text: str) -> list[str]:
    """Knowledge-base terms the text names and does not deny (qualifiers applied).
    The text is read as the model reads it (normalised; turns.text), by the
    guarded pipeline: this runs when something else failed, so a step that
    fails on the text is left out rather than failing it again. It runs on the
    event loop, so within the parse's time budget: past it, what was found
    counts (rasa_adapter.budget)."""
    with budget(PARSE_BUDGET_SECONDS):
        return terms_present(read(_finding_reader(), normalise(text)))


# The safety net last read from the knowledge base, for when the knowledge base is what failed.
_safety_net: dict[str, str | None] = {}

# The server's agent (its tracker store and lock store), registered at start
# (channels.server); None where no server runs (tests of this module alone).
_agent: Callable[[], Any] | None = None


def record_in(agent: Callable[[], Any]) -> None:
    """Where levels told here are recorded: the running server's agent, looked up when needed."""
    global _agent
    _agent = agent


async def _recorded_red_flags(conversation_id: str | None) -> list[str]:
    """The warning signs the conversation already has (the store may be what failed: then none)."""
    agent = _agent() if _agent and conversation_id else None
    if agent is None:
        return []
    try:
        tracker = await agent.tracker_store.retrieve(conversation_id)
    except Exception:
        logger.exception("Could not read the conversation after a failure.")
        return []
    flags = tracker.get_slot("red_flags") if tracker else None
    return [flag for flag in flags if isinstance(flag, str)] if isinstance(flags, list) else []


async def _record(conversation_id: str | None, result: queries.TriageResult) -> None:
    agent = _agent() if _agent and conversation_id else None
    if agent is None:
        return
    try:
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.get_or_create_tracker(conversation_id)
            for event in (SlotSet("red_flags", list(result.findings)), SlotSet("announced_level", result.level),
                          SlotSet("triage_level", result.level)):
                tracker.update(event)
            await agent.tracker_store.save(tracker)
    except Exception:  # the store may be what failed: the person has had the advice all the same
        logger.exception("Could not record the level told after a failure.")


async def send_act_now_advice(output_channel: OutputChannel, recipient_id: str, text: str,
                              conversation_id: str | None = None) -> str | None:
    """The emergency or urgent advice, if the text (with the warning signs the
    conversation already has) names a warning sign, worked out here from the
    knowledge base, and recorded in the conversation; the level told, or None."""
    region = settings().clinic.region
    said = terms_said(text)
    # A text that names nothing tells nothing: the conversation is not read (a flood of
    # refused messages), and a level already told is not told again.
    recorded = await _recorded_red_flags(conversation_id) if said else []
    with Session(shared_engine()) as session:
        result = queries.triage(session, sorted({*said, *recorded}), region)
        _safety_net[region] = queries.triage(session, [], region).safety_net
    if result.level not in replies.ACT_NOW_LEVELS:
        return None
    await output_channel.send_response(recipient_id, {"text": replies.triage_reply(result),
                                                      "custom": replies.triage_payload(result)})
    await _record(conversation_id, result)
    return result.level


async def send_fallback(output_channel: OutputChannel, recipient_id: str, text: str,
                        conversation_id: str | None = None) -> None:
    """The red-flag advice the text calls for, if any, then the apology; an
    emergency stands alone."""
    clinic = settings().clinic
    safety_net = _safety_net.get(clinic.region)
    try:
        told = await send_act_now_advice(output_channel, recipient_id, text, conversation_id)
        if told == TRIAGE_LEVELS[0]:  # the most severe, an emergency: it stands alone
            return
        safety_net = None if told else _safety_net[clinic.region]
    except Exception:  # the knowledge base may be what failed; the apology still goes out
        logger.exception("Could not triage the message locally after a failure.")
    await output_channel.send_text_message(recipient_id, replies.apology(clinic, safety_net))


def has_failed(failures: list[str], error: BaseException | None) -> bool:
    if error is not None:
        logger.error("The turn failed: %s", error.__class__.__name__, exc_info=error)
    elif failures:
        logger.warning("The turn went on without the action server: %s", "; ".join(failures))
    return bool(failures) or error is not None
