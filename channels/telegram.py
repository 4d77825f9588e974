"""Telegram, with the webhook secret Rasa 3.6's connector does not check.

Anyone who learns the webhook URL could post updates to Rasa's own
connector. This one registers the webhook with a secret token and refuses
(403) every update whose `X-Telegram-Bot-Api-Secret-Token` header does not
match, before anything reaches the assistant.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from aiogram.bot.api import TelegramAPIServer
from aiogram.types import User
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import TELEGRAM_NAMESPACE, ChannelOff, RepliesToChannelIds, TriageBannerFirst
from runtime.settings import TELEGRAM_REQUIRED, ChannelConfigurationError, settings
from turns.messages import checked_messages, sender_rate

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class ClinicTelegramOutput(RepliesToChannelIds, TriageBannerFirst, TelegramOutput):
    """Rasa's Telegram output, with the secret on every webhook registration,
    the triage banner as a message of its own, and `getMe` asked once."""

    namespace = TELEGRAM_NAMESPACE

    def __init__(self, access_token: str, secret_token: str, api_url: str | None = None) -> None:
        super().__init__(access_token)
        if api_url:
            self.server = TelegramAPIServer.from_base(api_url)  # aiogram's Bot API server (Telegram's by default)
        self.secret_token = secret_token
        self._me: User | None = None

    async def set_webhook(self, url: str, *args: Any, **kwargs: Any) -> bool:
        # aiogram 2.15 predates `secret_token` (Bot API 6.1), so call the method directly.
        return bool(await self.request("setWebhook", {"url": url, "secret_token": self.secret_token}))

    async def get_me(self) -> User:
        # Rasa's connector asks for the bot's name on every update; it does not change.
        if self._me is None:
            self._me = await super().get_me()
        return self._me

    async def send_banner(self, recipient_id: str, line: str) -> None:
        await self.send_message(recipient_id, line)


class SecretTokenTelegramInput(TelegramInput):
    """Telegram's webhook, answering only Telegram (see the module's docstring)."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        telegram = settings().telegram
        if telegram is None:
            return ChannelOff(cls.name(), list(TELEGRAM_REQUIRED))
        return cls(telegram.token, telegram.bot_name, telegram.webhook_url, secret_token=telegram.secret_token,
                   api_url=telegram.api_url)

    def __init__(self, access_token: str, verify: str, webhook_url: str, secret_token: str,
                 api_url: str | None = None) -> None:
        super().__init__(access_token, verify, webhook_url, debug_mode=False)
        self.secret_token = secret_token
        self.api_url = api_url

    def get_output_channel(self) -> ClinicTelegramOutput:
        return ClinicTelegramOutput(self.access_token, self.secret_token, self.api_url)

    def register_webhook(self) -> None:
        """Tells Telegram where to send updates, and the secret to send with them."""

        async def register() -> None:
            bot = self.get_output_channel()
            try:
                await bot.set_webhook(self.webhook_url)
            finally:
                await bot.close()

        try:
            asyncio.run(register())
        except (TelegramAPIError, OSError) as error:
            raise ChannelConfigurationError(f"Could not register the Telegram webhook: {error}") from error
        logger.info("Telegram webhook registered at %s", self.webhook_url)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self.register_webhook()
        telegram_webhook = super().blueprint(checked_messages(
            on_new_message, namespace=ClinicTelegramOutput.namespace, rate=sender_rate, keep_metadata=True))

        @telegram_webhook.middleware("request")
        async def require_secret(request: Request) -> HTTPResponse | None:
            if request.method == "GET" and request.path.rstrip("/").endswith("/telegram"):
                return None  # the health check
            sent = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(sent.encode(), self.secret_token.encode()):
                logger.warning("Refused a Telegram request without the right secret token.")
                return response.text(f"missing or wrong {SECRET_HEADER}", status=HTTPStatus.FORBIDDEN)
            return None

        return telegram_webhook
