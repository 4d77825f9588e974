"""Channel set-up from the environment, without a server: off when unset,
a clear error when half set, and the pieces the connectors add to Rasa's."""

from __future__ import annotations

import uuid

import pytest

from channels.settings import ChannelConfigurationError, ChannelOff, banner_line, settings_from_environment
from channels.slack import ClinicSlackInput, RecentEvents
from channels.socketio import ClinicSocketIOInput
from channels.telegram import SecretTokenTelegramInput

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
    assert settings_from_environment("Slack", ["SLACK_BOT_TOKEN"]) is None


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


def test_action_server_responses_are_checked_against_rasas_schema_with_one_validator() -> None:
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    from channels import action_calls

    action = RemoteAction("action_assess_cramps", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "x", "value": 1}],
                                           "responses": [{"text": "hi"}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"no_event_key": 1}], "responses": []})
    assert action_calls.response_validator() is action_calls.response_validator()


def test_the_per_event_type_check_agrees_with_rasas_whole_schema() -> None:
    from datetime import datetime

    from rasa.shared.core import events

    from channels import action_calls

    samples = [event.as_dict() for event in [
        events.UserUttered("my calf hurts", {"name": "inform", "confidence": 0.9},
                           [{"entity": "body_location", "value": "calf", "start": 3, "end": 7}]),
        events.BotUttered("hi", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
        events.SlotSet("findings", ["leg_swelling"]), events.SlotSet("triage_level", None),
        events.ActionExecuted("action_listen"), events.ActiveLoop("cramp_form"), events.ActiveLoop(None),
        events.FollowupAction("action_assess_cramps"), events.AllSlotsReset(), events.Restarted(),
        events.SessionStarted(), events.ConversationPaused(), events.ConversationResumed(),
        events.ReminderScheduled("remind", datetime(2026, 1, 1)), events.ActionReverted(),
        events.UserUtteranceReverted(),
        events.LoopInterrupted(True), events.ActionExecutionRejected("validate_cramp_form"),
        events.EntitiesAdded([{"entity": "finding", "value": "numbness"}]),
    ]]
    broken = [{"event": "slot"}, {"event": "user", "text": 5}, {"event": "no_such_event"}, {"text": "no type"},
              {"event": "action", "name": 3}, {"event": "bot", "text": "hi", "timestamp": "noon"}]
    responses = [{"events": [sample], "responses": []} for sample in samples + broken]
    responses += [{"events": samples, "responses": [{"text": "x"}]}, {"events": "not a list"}, {"responses": 3},
                  {"events": [samples[0], broken[0]]}, {}, []]
    verdicts = [action_calls._is_valid(response) for response in responses]
    assert verdicts == [action_calls.response_validator().is_valid(response) for response in responses]
    assert verdicts[:len(samples)] == [True] * len(samples)
    assert not any(verdicts[len(samples):len(samples) + len(broken)])


def test_what_rasa_sends_the_action_server_is_bounded_and_keeps_what_the_actions_read() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa_sdk import Tracker

    from channels import action_calls

    domain = Domain.from_path("domain.yml")
    big = {"note": "x" * 60_000}
    events = []
    for turn in range(60):
        events += [UserUttered(f"message {turn} " + "y" * 1_900, {"name": "inform", "confidence": 1.0},
                               metadata=big), ActionExecuted("action_listen")]
    events += [UserUttered("my calf is swollen", {"name": "describe_cramps", "confidence": 1.0}, metadata=big),
               SlotSet("cramp_location", "calf")]
    tracker = DialogueStateTracker.from_events("long", events, slots=domain.slots)
    assert RemoteAction._action_call_format is action_calls.bounded_action_call_format
    call = RemoteAction("action_validate_slot_mappings", None)._action_call_format(tracker, domain)
    whole = action_calls._rasa_action_call_format(RemoteAction("x", None), tracker, domain)
    assert len(str(whole["tracker"])) > 4_000_000  # what Rasa alone would send
    assert len(str(call["tracker"])) < 20_000
    sent = Tracker.from_dict(call["tracker"])
    assert sent.latest_message["text"] == "my calf is swollen" and "metadata" not in sent.latest_message
    assert sent.get_slot("cramp_location") == "calf" and sent.slots_to_validate() == {"cramp_location": "calf"}
    assert [event["event"] for event in sent.events] == ["user", "slot"]
