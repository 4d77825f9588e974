"""What every channel does around a turn. Before: a length limit with a
polite answer, control characters removed, empty messages answered without
asking the model. After: if part of the service failed during the turn, the
fallback reply (channels.fallback)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage

from channels import fallback
from stores.tracker_store import ConversationStoreUnavailable

MAX_MESSAGE_CHARACTERS = 2000
TOO_LONG_REPLY = (
    f"Sorry, that message is too long for me (over {MAX_MESSAGE_CHARACTERS:,} characters). Please shorten it "
    "to the main points: where the cramps are, when they happen, and anything that worries you."
)
EMPTY_REPLY = "I didn't get any text. Tell me about your leg cramps in your own words."
# C0 and C1 control characters, except tab and newline.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: Any) -> str:
    return CONTROL_CHARACTERS.sub("", text).strip() if isinstance(text, str) else ""


def checked_messages(handler: Callable[[UserMessage], Awaitable[Any]]) -> Callable[[UserMessage], Awaitable[Any]]:
    """Wraps a channel's message handler with the checks above."""

    async def handle(message: UserMessage) -> Any:
        text = clean_text(message.text)
        if len(text) > MAX_MESSAGE_CHARACTERS:
            await message.output_channel.send_text_message(message.sender_id, TOO_LONG_REPLY)
            return None
        if not text:
            await message.output_channel.send_text_message(message.sender_id, EMPTY_REPLY)
            return None
        message.text = text
        turn = fallback.start_turn()
        error: BaseException | None = None
        try:
            await handler(message)
        except (Exception, ConversationStoreUnavailable) as exception:  # the person gets the fallback
            error = exception
        finally:
            failures = fallback.end_turn(turn)
        if fallback.has_failed(failures, error):
            await fallback.send_fallback(message.output_channel, message.sender_id, text)
        return None

    return handle
