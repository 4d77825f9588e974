"""Channel set-up from the environment, without a server: off when unset,
a clear error when half set, and the pieces the connectors add to Rasa's."""

from __future__ import annotations

import uuid

import pytest

from channels.common import ChannelOff
from channels.slack import ClinicSlackInput, RecentEvents
from channels.socketio import ClinicSocketIOInput
from channels.telegram import SecretTokenTelegramInput
from knowledge_base.replies import banner_line
from runtime.settings import ChannelConfigurationError, from_environment, settings

SLACK = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CHANNEL", "SLACK_API_URL"]
TELEGRAM = ["TELEGRAM_TOKEN", "TELEGRAM_BOT_NAME", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_SECRET_TOKEN",
            "TELEGRAM_API_URL"]


@pytest.fixture(autouse=True)
def no_channel_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*SLACK, *TELEGRAM, "SOCKETIO_JWT_KEY"]:
        monkeypatch.delenv(name, raising=False)


def test_a_channel_without_its_variables_is_off_and_says_what_to_set() -> None:
    slack = ClinicSlackInput.from_credentials({"use_threads": False})
    telegram = SecretTokenTelegramInput.from_credentials(None)
    assert isinstance(slack, ChannelOff) and slack.url_prefix() == "slack"
    assert slack.variables == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
    assert isinstance(telegram, ChannelOff) and telegram.url_prefix() == "telegram"


def test_a_half_set_channel_stops_the_start_naming_the_missing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(ChannelConfigurationError, match="set SLACK_SIGNING_SECRET as well"):
        ClinicSlackInput.from_credentials(None)
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_BOT_NAME", "bot")
    with pytest.raises(ChannelConfigurationError, match="TELEGRAM_WEBHOOK_URL, TELEGRAM_SECRET_TOKEN"):
        SecretTokenTelegramInput.from_credentials(None)


def test_blank_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "  ")
    assert from_environment({"SLACK_BOT_TOKEN": "  "}).slack is None


def test_slack_reads_its_secrets_and_api_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    slack = ClinicSlackInput.from_credentials({"conversation_granularity": "channel"})
    assert (slack.slack_token, slack.slack_signing_secret, slack.conversation_granularity) == (
        "xoxb-1", "s3cret", "channel")
    assert slack.get_output_channel("C1").client.base_url == "http://127.0.0.1:9/api/"


def test_telegram_refuses_a_secret_token_telegram_would_reject(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in [("TELEGRAM_TOKEN", "123:abc"), ("TELEGRAM_BOT_NAME", "bot"),
                        ("TELEGRAM_WEBHOOK_URL", "https://x.example/webhooks/telegram/webhook"),
                        ("TELEGRAM_SECRET_TOKEN", "has spaces!")]:
        monkeypatch.setenv(name, value)
    with pytest.raises(ChannelConfigurationError, match="TELEGRAM_SECRET_TOKEN must be"):
        SecretTokenTelegramInput.from_credentials(None)


def test_socketio_requires_a_token_only_when_the_clinic_sets_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    options = {"session_persistence": True}
    assert ClinicSocketIOInput.from_credentials(options).jwt_key is None
    monkeypatch.setenv("SOCKETIO_JWT_KEY", "k" * 32)
    settings.cache_clear()  # as a new start of the server reads them
    channel = ClinicSocketIOInput.from_credentials(options)
    assert channel.jwt_key == "k" * 32 and channel.session_persistence is True


def test_an_event_is_answered_once_until_it_is_forgotten() -> None:
    events = RecentEvents(seconds=3600, size=2)
    assert events.first_time("Ev1") is True
    assert events.first_time("Ev1") is False
    events.first_time("Ev2")
    events.first_time("Ev3")  # the oldest is dropped to stay within size
    assert events.first_time("Ev1") is True


def test_banner_line_shows_the_banner_of_levels_to_act_on_now() -> None:
    assert banner_line({"triage_level": "emergency", "banner": "Call 911 now", "call_number": "911"}) == (
        "🚨 CALL 911 NOW")
    assert banner_line({"triage_level": "urgent", "banner": "Get seen today"}) == "⚠️ GET SEEN TODAY"
    assert banner_line({"triage_level": "self_care"}) is None


def test_with_redis_the_replicas_share_which_events_were_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/2")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    replica_one, replica_two = ClinicSlackInput.from_credentials(None), ClinicSlackInput.from_credentials(None)
    event_id = "Ev" + uuid.uuid4().hex
    assert replica_one.recent_events.first_time(event_id) is True
    assert replica_two.recent_events.first_time(event_id) is False
