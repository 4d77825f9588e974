"""Slack, configured from the environment, answering each event once, and
showing the triage banner as Slack blocks.

Rasa 3.6's connector checks the request signature (`v0:timestamp:body`,
HMAC-SHA256 with the signing secret) and refuses requests older than five
minutes; this one keeps that and adds what it lacks: a retried event is
answered once whatever the retry reason, and a reply goes to the Web API URL
the clinic configures (`SLACK_API_URL`, Slack's own by default).
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import redis
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from slack_sdk.web.async_client import AsyncWebClient

from channels.common import SLACK_NAMESPACE, ChannelOff, RepliesToChannelIds, TriageBannerFirst
from runtime.settings import SLACK_REQUIRED, RedisSettings, settings
from turns.messages import checked_messages, sender_rate

logger = logging.getLogger(__name__)


class RecentEvents:
    """Event ids seen in the last `seconds`, at most `size` of them, in this
    process. Slack retries for up to about an hour (three retries, backing off)."""

    def __init__(self, seconds: float = 3600, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        """True the first time an id is seen, False for a repeat."""
        now = time.monotonic()
        while self._seen and (len(self._seen) >= self.size or next(iter(self._seen.values())) < now - self.seconds):
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True


class SharedRecentEvents:
    """The same, shared by every replica through Redis (when REDIS_URL is set),
    so a retry that reaches another replica is not answered again."""

    def __init__(self, redis_settings: RedisSettings, seconds: int = 3600) -> None:
        self.red = redis.Redis(**redis_settings.connection())
        self.seconds = seconds

    def first_time(self, event_id: str) -> bool:
        return bool(self.red.set(f"slack-event:{event_id}", 1, nx=True, ex=self.seconds))


# Buttons per actions block: Block Kit's older limit, which every Slack client accepts.
SLACK_BUTTONS_PER_BLOCK = 5


class ClinicSlackBot(RepliesToChannelIds, TriageBannerFirst, SlackBot):
    """Rasa's Slack output, posting to the configured Web API URL, with the
    triage payload shown as a banner block."""

    namespace = SLACK_NAMESPACE

    def __init__(self, token: str, slack_channel: str | None = None, thread_id: str | None = None,
                 proxy: str | None = None, api_url: str | None = None) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        if api_url:
            self.client = AsyncWebClient(token, proxy=proxy, base_url=api_url.rstrip("/") + "/")

    async def send_banner(self, recipient_id: str, line: str) -> None:
        await self.post(recipient_id, text=line,
                        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"*{line}*"}}])

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        """Rasa's Slack output drops every button of a message with more than five
        (the screening question has ten); here they go in actions blocks of five."""
        rows = [buttons[start:start + SLACK_BUTTONS_PER_BLOCK]
                for start in range(0, len(buttons), SLACK_BUTTONS_PER_BLOCK)]
        blocks = [{"type": "section", "text": {"type": "plain_text", "text": text}}] + [
            {"type": "actions", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": button["title"]}, "value": button["payload"]}
                for button in row]}
            for row in rows]
        await self.post(recipient_id, text=text, blocks=blocks)

    async def post(self, recipient_id: str, **message: Any) -> None:
        """A message through Slack's Web API (chat.postMessage), to the configured
        channel or the recipient, in the conversation's thread if it has one."""
        thread = {"thread_ts": self.thread_id} if self.thread_id else {}
        await self.client.chat_postMessage(channel=self.slack_channel or recipient_id, as_user=True, **message,
                                           **thread)


class ClinicSlackInput(SlackInput):
    """Slack's Events API webhook (see the module's docstring)."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        slack = settings().slack
        if slack is None:
            return ChannelOff(cls.name(), list(SLACK_REQUIRED))
        options = credentials or {}
        return cls(
            slack.bot_token,
            slack_channel=slack.channel,
            use_threads=options.get("use_threads", False),
            slack_signing_secret=slack.signing_secret,
            conversation_granularity=options.get("conversation_granularity", "sender"),
            api_url=slack.api_url,
        )

    def __init__(self, slack_token: str, *, api_url: str | None = None, **options: Any) -> None:
        super().__init__(slack_token, slack_retry_reason_header="x-slack-retry-reason",
                         slack_retry_number_header="x-slack-retry-num", **options)
        # Every retry gets through to `process_message`, which answers an event
        # only the first time it sees its id: a retry of an event that was
        # lost is answered, a retry of one being answered is not.
        self.errors_ignore_retry = ()
        self.api_url = api_url
        redis_settings = settings().redis
        self.recent_events = SharedRecentEvents(redis_settings) if redis_settings else RecentEvents()

    async def process_message(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                              text: str, sender_id: str | None, metadata: dict | None) -> Any:
        event_id = _event_id(request)
        if event_id and not self.recent_events.first_time(event_id):
            logger.info("Slack sent event %s again (retry %s); it was already answered.",
                        event_id, request.headers.get("x-slack-retry-num"))
            return response.text("", status=HTTPStatus.OK, headers={"X-Slack-No-Retry": "1"})
        return await super().process_message(request, on_new_message, text, sender_id, metadata)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(checked_messages(on_new_message, namespace=ClinicSlackBot.namespace, rate=sender_rate,
                                                  keep_metadata=True))

    def get_output_channel(self, channel: str | None = None, thread_id: str | None = None) -> OutputChannel:
        return ClinicSlackBot(self.slack_token, channel or self.slack_channel, thread_id, self.proxy, self.api_url)


def _event_id(request: Request) -> str | None:
    """Slack's id of an Events API event; button clicks (form-encoded) carry a trigger id instead."""
    if request.headers.get("content-type") == "application/json":
        return (request.json or {}).get("event_id")
    payload = request.form.get("payload")
    if payload:
        return json.loads(payload).get("trigger_id")
    return None
