"""What every channel does around a turn. Before: a length limit with a
polite answer, the text normalised (turns.text: control and invisible
characters removed, NFKC, digits of any script as ASCII), empty messages answered without
asking the model, a text that only looks like a button's `/intent` payload
read as the text it is, metadata cut to the allow-list, the sender's message
rate, and the channel's prefix on the sender id. After: if part of the
service failed during the turn, the fallback reply (turns.fallback)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.domain import Domain

from knowledge_base.db import PROJECT_ROOT
from knowledge_base.wording import wording
from runtime import turn
from stores.tracker_store import ConversationStoreUnavailable
from turns import fallback, known_values
from turns.limits import MessageRate, allowed_metadata
from turns.text import normalise

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARACTERS = 2000


# How Rasa reads a button's payload: "/intent" then, optionally, a JSON object of entities.
COMMAND = re.compile(r"/(?P<intent>[^{@]+)(?P<entities>\{.+\})?", re.DOTALL)
# One rate for the senders of every public channel (their ids carry the channel's prefix).
sender_rate = MessageRate()


def clean_text(text: Any) -> str:
    """The text as every later step reads it (see turns.text); "" if it is not text."""
    return normalise(text) if isinstance(text, str) else ""


@lru_cache(maxsize=1)
def _domain() -> Domain:
    return Domain.load(PROJECT_ROOT / "domain.yml")


def command_or_text(text: str) -> str:
    """The text as Rasa should read it: a button payload (a known intent, with
    known entities) with only the values buttons send (turns.known_values); any
    other text that starts with "/" without its slashes. Rasa would otherwise
    try to read it as a payload and echo the whole message into its warning log."""
    if not text.startswith("/"):
        return text
    match = COMMAND.fullmatch(text)
    if match and match["intent"] in _domain().intents and _known_entities(match["entities"]):
        return known_values.command_with_known_values(match["intent"], match["entities"], _domain())
    return text.lstrip("/").strip()


def _known_entities(entities: str | None) -> bool:
    if entities is None:
        return True
    try:
        parsed = json.loads(entities)
    except (ValueError, RecursionError):  # not JSON, or nested past what the parser recurses into
        return False
    return isinstance(parsed, dict) and set(parsed) <= set(_domain().entities)


def checked_messages(handler: Callable[[UserMessage], Awaitable[Any]], *, namespace: str | None = None,
                     rate: MessageRate | None = None,
                     keep_metadata: bool = False) -> Callable[[UserMessage], Awaitable[Any]]:
    """Wraps a channel's message handler with the checks above.

    namespace: the channel's prefix for sender ids ("slack" makes "slack:U123"),
    so that no channel can address another's conversations; replies still go to
    the channel's own id. rate: the senders' message rate (`sender_rate` for
    the public channels; REST has its own). keep_metadata: the metadata comes
    from the channel's provider, not from the person, and is kept whole.
    """

    async def handle(message: UserMessage) -> Any:
        text = command_or_text(clean_text(message.text))
        recipient = message.sender_id
        if namespace:
            message.sender_id = f"{namespace}:{recipient}"
        if not keep_metadata:
            message.metadata = allowed_metadata(message.metadata)
        if rate is not None and not rate.allow(message.sender_id):
            logger.info("A %s sender was asked to slow down.", message.input_channel)
            await slow_down(message.output_channel, recipient, text, message.sender_id)
            return None
        if len(text) > MAX_MESSAGE_CHARACTERS:
            await message.output_channel.send_text_message(recipient, too_long_reply())
            return None
        if not text:
            await message.output_channel.send_text_message(recipient, wording().say("message_empty"))
            return None
        message.text = text
        started = turn.start_turn()
        error: BaseException | None = None
        try:
            await handler(message)
        except (Exception, ConversationStoreUnavailable) as exception:  # the person gets the fallback
            error = exception
        finally:
            failures = turn.end_turn(started)
        if fallback.has_failed(failures, error):
            await fallback.send_fallback(message.output_channel, recipient, text, message.sender_id)
        return None

    return handle


async def slow_down(output_channel: Any, recipient_id: str, text: str, conversation_id: str | None = None) -> None:
    """The polite refusal of a message sent too fast; a warning sign in it is
    still answered first, and recorded in the conversation (the message itself
    is not read by the model)."""
    try:
        await fallback.send_act_now_advice(output_channel, recipient_id, clean_text(text)[:MAX_MESSAGE_CHARACTERS],
                                           conversation_id)
    except Exception:  # the knowledge base failed: the refusal still goes out
        logger.exception("Could not triage a message sent too fast.")
    await output_channel.send_text_message(recipient_id, wording().say("slow_down"))


def too_long_reply() -> str:
    return wording().say("message_too_long", max_characters=f"{MAX_MESSAGE_CHARACTERS:,}")
