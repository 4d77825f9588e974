"""Every environment variable read and checked in one place (runtime.settings)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from knowledge_base.db import PROJECT_ROOT
from runtime.settings import CLINIC_DEFAULTS, ChannelConfigurationError, SettingsError, from_environment


def test_unset_and_blank_variables_give_the_defaults_and_the_clinic_yml_details() -> None:
    current = from_environment({"RASA_PORT": " ", "CLINIC_NAME": ""})
    clinic = yaml.safe_load(CLINIC_DEFAULTS.read_text())["clinic"]
    assert (current.clinic.name, current.clinic.phone, current.clinic.region) == (
        clinic["name"], clinic["phone"], clinic["region"])
    assert (current.rasa_port, current.action_port, current.chat_action_port) == (5005, 5055, 5056)
    assert current.auth_token is None and current.slack is None and current.redis is None


def test_values_are_read_and_the_region_is_lower_case() -> None:
    current = from_environment({"CLINIC_REGION": " UK ", "ACTION_SERVER_TIMEOUT": "4",
                                "RASA_CORS_ORIGINS": "https://a.example  https://b.example"})
    assert current.clinic.region == "uk" and current.action_server_timeout == 4
    assert current.cors_origins == ("https://a.example", "https://b.example")


def test_redis_url_is_parsed_once_with_its_parts() -> None:
    redis = from_environment({"REDIS_URL": "rediss://user:p%40ss@cache.example:6380/3"}).redis
    assert redis is not None
    assert (redis.host, redis.port, redis.db, redis.username, redis.password, redis.ssl) == (
        "cache.example", 6380, 3, "user", "p@ss", True)
    assert redis.connection()["password"] == "p@ss"


def test_every_problem_is_reported_at_once_naming_its_variable() -> None:
    with pytest.raises(SettingsError) as raised:
        from_environment({"RASA_PORT": "http", "ACTION_PORT": "70000", "REDIS_URL": "localhost:6379",
                          "SANIC_WORKERS": "0"})
    message = str(raised.value)
    assert "RASA_PORT must be a whole number, not 'http'" in message
    assert "ACTION_PORT must be from 1 to 65535, not 70000" in message
    assert "REDIS_URL must look like redis://host:6379/0" in message
    assert "SANIC_WORKERS must be at least 1, not 0" in message


def test_several_workers_need_redis_and_a_half_set_channel_is_named() -> None:
    with pytest.raises(SettingsError, match="SANIC_WORKERS=3 needs REDIS_URL"):
        from_environment({"SANIC_WORKERS": "3"})
    with pytest.raises(ChannelConfigurationError, match="set SLACK_BOT_TOKEN as well"):
        from_environment({"SLACK_SIGNING_SECRET": "s"})


def test_secrets_stay_out_of_the_settings_repr() -> None:
    current = from_environment({"RASA_AUTH_TOKEN": "tok-123", "SLACK_BOT_TOKEN": "xoxb-456",
                                "SLACK_SIGNING_SECRET": "sig-789", "REDIS_URL": "redis://u:pw-000@h:6379/0",
                                "TRACKER_STORE_URL": "postgresql://u:pw-111@db/test"})
    shown = repr(current)
    assert all(secret not in shown for secret in ("tok-123", "xoxb-456", "sig-789", "pw-000", "pw-111"))


def test_the_check_command_says_what_is_wrong_and_fails() -> None:
    env = {"PATH": "/usr/bin:/bin", "ACTION_SERVER_TIMEOUT": "soon"}
    result = subprocess.run([sys.executable, "-m", "runtime.settings"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "ACTION_SERVER_TIMEOUT must be a whole number, not 'soon'" in result.stderr
    ok = subprocess.run([sys.executable, "-m", "runtime.settings"], cwd=PROJECT_ROOT, env={"PATH": "/usr/bin"},
                        capture_output=True, text=True, timeout=60)
    assert (ok.returncode, ok.stderr) == (0, "")
