"""When part of the service fails during a turn (the action server down or
slow, the tracker store unreachable), the person still gets an answer: a
short apology with the clinic's number and, if the message names a warning
sign, the emergency or urgent advice, worked out here in the Rasa server from
the knowledge base, because red-flag replies must not depend on a remote call.

The wait for the action server is capped (`channels.action_calls`).
Rasa 3.6 reports a failed action-server call only in its logs and carries on
with the turn, so a logging handler notes such failures for the turn in which
they happen (a context variable follows the turn's asyncio task).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from functools import lru_cache

import spacy
from rasa.core.channels.channel import OutputChannel
from sqlalchemy.orm import Session

from actions import replies
from actions.clinic import clinic_from_environment
from channels import action_calls  # noqa: F401  (the action-server timeout)
from cramp_nlu.pipeline import pipeline_path, terms_present
from knowledge_base import queries
from knowledge_base.db import shared_engine

logger = logging.getLogger(__name__)

_turn_failures: ContextVar[list[str] | None] = ContextVar("turn_failures", default=None)


class ActionFailureRecorder(logging.Handler):
    """Notes Rasa's reports of a failed custom action for the current turn."""

    def emit(self, record: logging.LogRecord) -> None:
        failures = _turn_failures.get()
        if failures is None or record.levelno < logging.WARNING:
            return
        text = record.getMessage()
        if "custom action" in text or "while running action" in text:
            failures.append(text.split(".", 1)[0])


_recorder = ActionFailureRecorder()
for _name in ("rasa.core.actions.action", "rasa.core.processor"):
    logging.getLogger(_name).addHandler(_recorder)


def in_turn() -> bool:
    """True while a person's message is being handled (between start_turn and end_turn)."""
    return _turn_failures.get() is not None


def start_turn() -> object:
    return _turn_failures.set([])


def end_turn(token: object) -> list[str]:
    """The failures reported since `start_turn`."""
    failures = _turn_failures.get() or []
    _turn_failures.reset(token)
    return failures


@lru_cache(maxsize=1)
def _finding_reader() -> spacy.language.Language:
    # The project's own pipeline: the knowledge base's phrases and NegEx.
    return spacy.load(pipeline_path())


def terms_said(text: str) -> list[str]:
    """Knowledge-base terms the text names and does not deny (qualifiers applied)."""
    return terms_present(_finding_reader()(text))


def apology(safety_net: str | None) -> str:
    """The apology, with the self-care level's safety net (when to get help, and how fast)."""
    clinic = clinic_from_environment()
    text = (f"Sorry, something went wrong on my side and I can't answer that properly right now. Please try again "
            f"in a few minutes, or call {clinic.name} on {clinic.phone}.")
    return f"{text} {safety_net}" if safety_net else text


# The safety net last read from the knowledge base, for when the knowledge base is what failed.
_safety_net: dict[str, str | None] = {}


async def send_act_now_advice(output_channel: OutputChannel, recipient_id: str, text: str) -> bool:
    """The emergency or urgent advice, if the text names a warning sign, worked
    out here from the knowledge base; True if it was sent."""
    region = clinic_from_environment().region
    with Session(shared_engine()) as session:
        result = queries.triage(session, terms_said(text), region)
        _safety_net[region] = queries.triage(session, [], region).safety_net
    if result.level not in replies.ACT_NOW_LEVELS:
        return False
    await output_channel.send_response(recipient_id, {"text": replies.triage_reply(result),
                                                      "custom": replies.triage_payload(result)})
    return True


async def send_fallback(output_channel: OutputChannel, recipient_id: str, text: str) -> None:
    """The red-flag advice the text calls for, if any, then the apology."""
    region = clinic_from_environment().region
    safety_net = _safety_net.get(region)
    try:
        if await send_act_now_advice(output_channel, recipient_id, text):
            safety_net = None
        else:
            safety_net = _safety_net[region]
    except Exception:  # the knowledge base may be what failed; the apology still goes out
        logger.exception("Could not triage the message locally after a failure.")
    await output_channel.send_text_message(recipient_id, apology(safety_net))


def has_failed(failures: list[str], error: BaseException | None) -> bool:
    if error is not None:
        logger.error("The turn failed: %s", error.__class__.__name__, exc_info=error)
    elif failures:
        logger.warning("The turn went on without the action server: %s", "; ".join(failures))
    return bool(failures) or error is not None
