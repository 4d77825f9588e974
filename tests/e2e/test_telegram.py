"""Telegram's webhook against the running Rasa server: `Update` JSON as
Telegram sends it, the secret-token header checked before anything reaches
the assistant, replies sent to a local stand-in for the Bot API."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer
from tests.e2e.provider_stand_in import ApiCall, ProviderStandIn

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramUser:
    """A person in a private chat with the bot."""

    def __init__(self, server: RunningServer, stand_in: ProviderStandIn) -> None:
        self.server = server
        self.stand_in = stand_in
        self.chat_id = random.randrange(10**8, 10**9)
        self.updates = iter(range(random.randrange(10**6), 10**9))

    @property
    def person(self) -> dict[str, Any]:
        return {"id": self.chat_id, "is_bot": False, "first_name": "Pat", "language_code": "en"}

    def message(self, text: str) -> dict[str, Any]:
        return {"update_id": next(self.updates), "message": {
            "message_id": next(self.updates), "date": int(time.time()), "text": text, "from": self.person,
            "chat": {"id": self.chat_id, "type": "private", "first_name": "Pat"}}}

    def button_press(self, data: str) -> dict[str, Any]:
        return {"update_id": next(self.updates), "callback_query": {
            "id": str(next(self.updates)), "from": self.person, "chat_instance": "1", "data": data,
            "message": {"message_id": next(self.updates), "date": int(time.time()), "text": "(the question)",
                        "chat": {"id": self.chat_id, "type": "private"}}}}

    def post(self, update: dict[str, Any], secret: str | None = "the right one", path: str = "webhook") -> int:
        headers = {"Content-Type": "application/json"}
        if secret == "the right one":
            secret = self.server.channel_env["TELEGRAM_SECRET_TOKEN"]
        if secret is not None:
            headers[SECRET_HEADER] = secret
        request = urllib.request.Request(f"{self.server.url}/webhooks/telegram/{path}",
                                         data=json.dumps(update).encode(), method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def replies(self) -> list[ApiCall]:
        return [call for call in self.stand_in.calls_to("telegram", "sendMessage")
                if call.fields.get("chat_id") == str(self.chat_id)]

    def wait_for_reply(self, text: str) -> ApiCall:
        return self.stand_in.wait_for("telegram", "sendMessage",
                                      lambda call: call.fields.get("chat_id") == str(self.chat_id)
                                      and text in call.fields.get("text", ""))[0]

    def user_messages(self) -> list[str]:
        return [e["text"] for e in self.server.tracker(f"telegram:{self.chat_id}")["events"] if e["event"] == "user"]


@pytest.fixture
def telegram_user(rasa_server: RunningServer, provider_stand_in: ProviderStandIn) -> TelegramUser:
    return TelegramUser(rasa_server, provider_stand_in)


def test_the_webhook_was_registered_with_the_secret(rasa_server: RunningServer,
                                                    provider_stand_in: ProviderStandIn) -> None:
    registration = provider_stand_in.calls_to("telegram", "setWebhook")[0]
    assert registration.fields == {"url": rasa_server.channel_env["TELEGRAM_WEBHOOK_URL"],
                                   "secret_token": rasa_server.channel_env["TELEGRAM_SECRET_TOKEN"]}


def test_an_update_with_the_secret_is_answered_and_buttons_arrive_as_a_keyboard(telegram_user: TelegramUser) -> None:
    assert telegram_user.post(telegram_user.message("I get cramps in my calves at night")) == 200
    screen = telegram_user.wait_for_reply("one safety question")
    keyboard = json.loads(screen.fields["reply_markup"])["inline_keyboard"]
    assert [button for row in keyboard for button in row][-1]["text"] == "None of these"

    # Pressing a button sends its payload back as a callback query.
    none_of_these = [button for row in keyboard for button in row][-1]
    assert telegram_user.post(telegram_user.button_press(none_of_these["callback_data"])) == 200
    question = telegram_user.wait_for_reply("How often do you get them?")
    keyboard = json.loads(question.fields["reply_markup"])["inline_keyboard"]
    buttons = [button for row in keyboard for button in row]
    assert [b["text"] for b in buttons] == ["Now and then", "About once a week", "Several times a week or more"]
    assert telegram_user.post(telegram_user.button_press(buttons[1]["callback_data"])) == 200
    telegram_user.wait_for_reply("the most likely causes are")
    slots = telegram_user.server.tracker(f"telegram:{telegram_user.chat_id}")["slots"]
    assert (slots["cramp_location"], slots["cramp_timing"], slots["cramp_frequency"]) == ("calf", "night", "weekly")
    # The channels' ids are apart: a REST sender equal to the chat id reads nothing of it.
    telegram_user.server.say(str(telegram_user.chat_id), "what do you know about me?")
    assert telegram_user.server.tracker(str(telegram_user.chat_id))["slots"]["cramp_location"] is None


def test_an_emergency_sends_the_banner_first(telegram_user: TelegramUser) -> None:
    telegram_user.post(telegram_user.message("my calf is swollen and I can't breathe"))
    telegram_user.wait_for_reply("Why: this could be a pulmonary embolism")
    texts = [call.fields["text"] for call in telegram_user.replies()]
    assert texts.index("🚨 CALL 911 NOW") < texts.index(next(t for t in texts if t.startswith("⚠️ Call 911 now")))


@pytest.mark.parametrize("secret", [None, "wrong-secret", ""])
def test_an_update_without_the_right_secret_is_refused_and_reaches_nothing(telegram_user: TelegramUser,
                                                                           secret: str | None) -> None:
    assert telegram_user.post(telegram_user.message("I get cramps at night"), secret=secret) == 403
    assert telegram_user.post(telegram_user.message("hi"), secret=secret, path="set_webhook") == 403
    time.sleep(1)
    assert telegram_user.replies() == []
    assert telegram_user.user_messages() == []
