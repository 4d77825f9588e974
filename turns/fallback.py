"""When part of the service fails during a turn (the action server down or
slow, the tracker store unreachable), the person still gets an answer: a
short apology with the clinic's number and, if the message names a warning
sign, the emergency or urgent advice, worked out here in the Rasa server from
the knowledge base, because red-flag replies must not depend on a remote call.

A failed action-server call is noted for the turn where the call is made
(`rasa_adapter.action_calls`, in `runtime.turn`); Rasa itself carries on.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import spacy
from rasa.core.channels.channel import OutputChannel
from sqlalchemy.orm import Session

from cramp_nlu.guarded import read
from cramp_nlu.pipeline import pipeline_path, terms_present
from knowledge_base import queries, replies
from knowledge_base.db import shared_engine
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


async def send_act_now_advice(output_channel: OutputChannel, recipient_id: str, text: str) -> bool:
    """The emergency or urgent advice, if the text names a warning sign, worked
    out here from the knowledge base; True if it was sent."""
    region = settings().clinic.region
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
    clinic = settings().clinic
    safety_net = _safety_net.get(clinic.region)
    try:
        if await send_act_now_advice(output_channel, recipient_id, text):
            safety_net = None
        else:
            safety_net = _safety_net[clinic.region]
    except Exception:  # the knowledge base may be what failed; the apology still goes out
        logger.exception("Could not triage the message locally after a failure.")
    await output_channel.send_text_message(recipient_id, replies.apology(clinic, safety_net))


def has_failed(failures: list[str], error: BaseException | None) -> bool:
    if error is not None:
        logger.error("The turn failed: %s", error.__class__.__name__, exc_info=error)
    elif failures:
        logger.warning("The turn went on without the action server: %s", "; ".join(failures))
    return bool(failures) or error is not None
