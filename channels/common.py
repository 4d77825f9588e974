"""What the channel connectors share: the stand-in that takes a channel's
place when the clinic has not set it up, the channels' namespaces for sender
ids and replies addressed to the channel's own ids, the client's address
behind a trusted proxy, and the triage banner first on text-only channels."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from knowledge_base.replies import banner_line
from runtime.settings import IPNetwork

logger = logging.getLogger(__name__)

# The prefixes of the channels' sender ids ("slack:U123", "telegram:42",
# "web:<signed id>"): no channel may write into another's conversations.
SLACK_NAMESPACE = "slack"
TELEGRAM_NAMESPACE = "telegram"
WEB_NAMESPACE = "web"
NAMESPACES = (SLACK_NAMESPACE, TELEGRAM_NAMESPACE, WEB_NAMESPACE)


class ChannelOff(InputChannel):
    """Takes the place of a channel whose variables are not set, so that the
    server starts cleanly and the channel's URL says why nothing answers."""

    def __init__(self, channel: str, variables: list[str]) -> None:
        self.channel = channel
        self.variables = variables
        logger.info("The %s channel is off: set %s to turn it on.", channel, ", ".join(variables))

    def url_prefix(self) -> str:
        return self.channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        off = Blueprint(f"{self.channel}_off", __name__)
        body = {"status": "off", "reason": f"the {self.channel} channel is not set up on this server",
                "set": self.variables}

        @off.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json(body, status=HTTPStatus.NOT_FOUND)

        @off.route("/webhook", methods=["GET", "POST"])
        async def webhook(_: Request) -> HTTPResponse:
            return response.json(body, status=HTTPStatus.NOT_FOUND)

        return off


def channel_id(sender_id: str, namespace: str) -> str:
    """The id the channel itself knows (a Slack channel, a Telegram chat) for a
    sender id with the channel's prefix (turns.messages.checked_messages)."""
    prefix = f"{namespace}:"
    return sender_id[len(prefix):] if sender_id.startswith(prefix) else sender_id


class RepliesToChannelIds:
    """For channels whose sender ids carry a prefix: replies (which Rasa sends
    to the conversation's sender id) go to the channel's own id. Mixed in
    first, before the rest of the output channel."""

    namespace: str

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await super().send_response(channel_id(recipient_id, self.namespace), message)  # type: ignore[misc]


class TriageBannerFirst:
    """For text-only channels (Slack, Telegram): the triage payload is shown as
    its banner line (nothing for levels without one), sent before the reply's
    text so that the banner ("CALL 911 NOW" in the US) is the first thing the person sees. Mixed in
    before Rasa's output channel class; the channel says how to send the line."""

    async def send_banner(self, recipient_id: str, line: str) -> None:
        raise NotImplementedError

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        custom = message.get("custom")
        if isinstance(custom, dict) and "triage_level" in custom:
            await self.send_custom_json(recipient_id, custom)
            message = {key: value for key, value in message.items() if key != "custom"}
        await super().send_response(recipient_id, message)  # type: ignore[misc]

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        if "triage_level" not in json_message:
            await super().send_custom_json(recipient_id, json_message, **kwargs)  # type: ignore[misc]
            return
        line = banner_line(json_message)
        if line:
            await self.send_banner(recipient_id, line)


def _is_trusted(address: str, trusted: tuple[IPNetwork, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)


def client_address(peer: str, forwarded_for: str | None, trusted: tuple[IPNetwork, ...]) -> str:
    """The address a client's limits are kept under: the peer's, unless the
    peer is a trusted proxy (TRUSTED_PROXIES); then the nearest address in
    X-Forwarded-For, from the right, that is not a trusted proxy itself. What
    the client wrote into the header (further left) is never believed."""
    if not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    for hop in reversed(forwarded_for.split(",")):
        hop = hop.strip()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a trusted proxy wrote something that is not an address
        if not _is_trusted(hop, trusted):
            return hop
    return peer
