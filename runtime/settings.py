"""Every environment variable the assistant reads, read and checked in one
place (.env.example lists them). Both servers, the scripts and `make purge`
ask `settings()`; nothing else reads the environment.

A value that cannot work (a port that is not a number, a half-set channel,
a malformed REDIS_URL, several workers without Redis) stops the start with
a message that names the variable, rather than failing on the first patient.
`python -m runtime.settings` runs the same checks (scripts/serve.sh and
chat.sh do, before starting anything).
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml


class SettingsError(SystemExit):
    """A variable's value cannot work. A SystemExit, so that a server that
    meets it at start stops with the message alone, without a traceback."""


class ChannelConfigurationError(SettingsError):
    """A channel is half set up: some of its variables are set, others not."""


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Clinic:
    name: str
    phone: str
    booking_url: str
    # Which emergency number and same-day route every reply uses (data/knowledge/regions.yml).
    region: str


@dataclass(frozen=True)
class RedisSettings:
    """REDIS_URL, `redis://[user:password@]host[:port][/db]` (`rediss://` for TLS)."""

    url: str = field(repr=False)
    host: str
    port: int
    db: int
    username: str | None
    password: str | None = field(repr=False)
    ssl: bool

    def connection(self) -> dict[str, Any]:
        """The keyword arguments of a `redis.Redis` (and of Rasa's RedisLockStore, less `ssl`)."""
        return {"host": self.host, "port": self.port, "db": self.db, "username": self.username,
                "password": self.password, "ssl": self.ssl}


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(repr=False)
    signing_secret: str = field(repr=False)
    # The channel the bot also answers in without being mentioned.
    channel: str | None
    # Another Web API base URL (a proxy, or the tests' stand-in).
    api_url: str | None


@dataclass(frozen=True)
class TelegramSettings:
    token: str = field(repr=False)
    bot_name: str
    webhook_url: str
    secret_token: str = field(repr=False)
    # Another Bot API server (self-hosted, or the tests' stand-in).
    api_url: str | None


SLACK_REQUIRED = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
SLACK_OPTIONAL = ("SLACK_CHANNEL", "SLACK_API_URL")
TELEGRAM_REQUIRED = ("TELEGRAM_TOKEN", "TELEGRAM_BOT_NAME", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_SECRET_TOKEN")
TELEGRAM_OPTIONAL = ("TELEGRAM_API_URL",)
# What Telegram accepts as a webhook's secret token (Bot API, setWebhook).
TELEGRAM_SECRET_TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
# The clinic's details when the environment does not give them.
CLINIC_DEFAULTS = Path(__file__).resolve().parent.parent / "data" / "knowledge" / "clinic.yml"
# The conversation stores `make purge` cleans, by the variable that names each.
STORE_VARIABLES = ("TRACKER_STORE_URL", "STAFF_TRACKER_STORE_URL")


@dataclass(frozen=True)
class Settings:
    """Secrets, and URLs that may hold a password, are left out of the repr (logs)."""

    clinic: Clinic
    rasa_port: int
    action_port: int
    chat_port: int
    chat_action_port: int
    web_port: int
    rasa_host: str
    action_host: str
    # The HTTP API's token; the API is off without it.
    auth_token: str | None = field(repr=False)
    # REST's own token (channels.rest): required beyond loopback, never opens the API.
    rest_token: str | None = field(repr=False)
    # The reverse proxies whose X-Forwarded-For names the client (channels.common.client_address).
    trusted_proxies: tuple[IPNetwork, ...]
    # What the Rasa server sends the action server (endpoints.yml), which requires it.
    action_server_secret: str | None = field(repr=False)
    # Where rasa_sdk listens (it reads SANIC_HOST itself; its default is every interface).
    action_listen_host: str
    action_server_timeout: int
    request_max_size: int
    sanic_workers: int
    redis: RedisSettings | None
    cors_origins: tuple[str, ...]
    widget_server_url: str | None
    tracker_store_url: str | None = field(repr=False)
    staff_tracker_store_url: str | None = field(repr=False)
    socketio_jwt_key: str | None = field(repr=False)
    socketio_session_key: str | None = field(repr=False)
    slack: SlackSettings | None
    telegram: TelegramSettings | None
    kb_database_url: str | None = field(repr=False)

    def conversation_stores(self) -> list[tuple[str, str]]:
        """The conversation stores that are set, by their variable's name."""
        urls = {"TRACKER_STORE_URL": self.tracker_store_url, "STAFF_TRACKER_STORE_URL": self.staff_tracker_store_url}
        return [(name, url) for name, url in urls.items() if url]


class _Reader:
    """Reads variables, noting every problem (to report them all at once)."""

    def __init__(self, environment: Mapping[str, str]) -> None:
        self.environment = environment
        self.problems: list[SettingsError] = []

    def check(self) -> None:
        """Raises the problems noted, all in one error of the first one's kind."""
        if self.problems:
            first = self.problems[0]
            raise type(first)("\n".join(str(problem) for problem in self.problems))

    def text(self, name: str) -> str | None:
        """The value, stripped; blank counts as unset (None)."""
        return (self.environment.get(name) or "").strip() or None

    def text_or(self, name: str, default: str) -> str:
        return self.text(name) or default

    def integer(self, name: str, default: int, lowest: int = 1, highest: int | None = None) -> int:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problems.append(SettingsError(f"{name} must be a whole number, not {value!r}."))
            return default
        if number < lowest or (highest is not None and number > highest):
            bounds = f"from {lowest} to {highest}" if highest is not None else f"at least {lowest}"
            self.problems.append(SettingsError(f"{name} must be {bounds}, not {number}."))
            return default
        return number

    def token(self, name: str) -> str | None:
        """A secret token, or None when unset. Set but blank is refused: an
        empty token copied from .env.example would quietly turn a check off."""
        if name in self.environment and self.text(name) is None:
            self.problems.append(SettingsError(
                f"{name} is set but empty. Set it to a long random value (e.g. `openssl rand -hex 32`), "
                "or remove the variable."))
        return self.text(name)

    def networks(self, name: str) -> tuple[IPNetwork, ...]:
        """Addresses or CIDR ranges, separated by spaces or commas."""
        found = []
        for item in (self.text(name) or "").replace(",", " ").split():
            try:
                found.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.problems.append(SettingsError(
                    f"{name} must list addresses or CIDR ranges (10.0.0.0/8 192.168.1.5), not {item!r}."))
        return tuple(found)

    def port(self, name: str, default: int) -> int:
        return self.integer(name, default, 1, 65535)

    def group(self, channel: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, str] | None:
        """A channel's variables, or None when none of the required ones is set.
        Setting only some of them is a mistake the clinic should hear about at
        start, not a channel that silently stays off."""
        values = {name: self.text(name) for name in (*required, *optional)}
        missing = [name for name in required if not values[name]]
        if len(missing) == len(required):
            return None
        if missing:
            self.problems.append(ChannelConfigurationError(
                f"The {channel} channel is only partly set up: set {', '.join(missing)} as well "
                f"(or unset {', '.join(name for name in required if name not in missing)} to turn it off)."))
            return None
        return {name: value for name, value in values.items() if value}

    def redis(self, name: str) -> RedisSettings | None:
        url = self.text(name)
        if url is None:
            return None
        try:
            return redis_settings(url)
        except SettingsError as error:
            self.problems.append(error)
            return None


def redis_settings(url: str) -> RedisSettings:
    """REDIS_URL, checked and parsed (the one place that parses it)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise SettingsError(f"REDIS_URL must look like redis://host:6379/0, not {url!r}")
    database = parts.path.strip("/") or "0"
    try:
        port, db = parts.port or 6379, int(database)
    except ValueError:
        raise SettingsError(f"REDIS_URL must look like redis://host:6379/0, not {url!r}") from None
    return RedisSettings(url=url, host=parts.hostname, port=port, db=db,
                         username=urllib.parse.unquote(parts.username) if parts.username else None,
                         password=urllib.parse.unquote(parts.password) if parts.password else None,
                         ssl=parts.scheme == "rediss")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@cache
def clinic_defaults() -> dict[str, str]:
    content = yaml.safe_load(CLINIC_DEFAULTS.read_text(encoding="utf-8"))
    return {key: str(value) for key, value in content["clinic"].items()}


def from_environment(environment: Mapping[str, str]) -> Settings:
    """The settings the environment gives, checked."""
    read = _Reader(environment)
    defaults = clinic_defaults()
    redis = read.redis("REDIS_URL")
    workers = read.integer("SANIC_WORKERS", 1)
    if workers != 1 and read.text("REDIS_URL") is None:
        # In memory, each worker would lock conversations only for itself.
        read.problems.append(SettingsError(
            f"SANIC_WORKERS={workers} needs REDIS_URL: with locks kept in memory, two workers could handle one "
            "conversation's messages at once and lose some. Set REDIS_URL, or unset SANIC_WORKERS."))
    slack = read.group("Slack", SLACK_REQUIRED, SLACK_OPTIONAL)
    telegram = read.group("Telegram", TELEGRAM_REQUIRED, TELEGRAM_OPTIONAL)
    if telegram and not TELEGRAM_SECRET_TOKEN_FORMAT.fullmatch(telegram["TELEGRAM_SECRET_TOKEN"]):
        read.problems.append(ChannelConfigurationError(
            "TELEGRAM_SECRET_TOKEN must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)."))
    current = Settings(
        clinic=Clinic(name=read.text_or("CLINIC_NAME", defaults["name"]),
                      phone=read.text_or("CLINIC_PHONE", defaults["phone"]),
                      booking_url=read.text_or("CLINIC_BOOKING_URL", defaults["booking_url"]),
                      region=read.text_or("CLINIC_REGION", defaults["region"]).lower()),
        rasa_port=read.port("RASA_PORT", 5005),
        action_port=read.port("ACTION_PORT", 5055),
        chat_port=read.port("CHAT_PORT", 5006),
        chat_action_port=read.port("CHAT_ACTION_PORT", 5056),
        web_port=read.port("WEB_PORT", 5080),
        rasa_host=read.text_or("RASA_HOST", "127.0.0.1"),
        action_host=read.text_or("ACTION_HOST", "127.0.0.1"),
        auth_token=read.token("RASA_AUTH_TOKEN"),
        rest_token=read.token("RASA_REST_TOKEN"),
        trusted_proxies=read.networks("TRUSTED_PROXIES"),
        action_server_secret=read.text("ACTION_SERVER_SECRET"),
        action_listen_host=read.text_or("SANIC_HOST", "0.0.0.0"),
        action_server_timeout=read.integer("ACTION_SERVER_TIMEOUT", 10),
        request_max_size=read.integer("SANIC_REQUEST_MAX_SIZE", 65536),
        sanic_workers=workers,
        redis=redis,
        cors_origins=tuple(read.text_or("RASA_CORS_ORIGINS", "").split()),
        widget_server_url=read.text("WIDGET_SERVER_URL"),
        tracker_store_url=read.text("TRACKER_STORE_URL"),
        staff_tracker_store_url=read.text("STAFF_TRACKER_STORE_URL"),
        socketio_jwt_key=read.text("SOCKETIO_JWT_KEY"),
        socketio_session_key=read.text("SOCKETIO_SESSION_KEY"),
        slack=SlackSettings(slack["SLACK_BOT_TOKEN"], slack["SLACK_SIGNING_SECRET"], slack.get("SLACK_CHANNEL"),
                            slack.get("SLACK_API_URL")) if slack else None,
        telegram=TelegramSettings(telegram["TELEGRAM_TOKEN"], telegram["TELEGRAM_BOT_NAME"],
                                  telegram["TELEGRAM_WEBHOOK_URL"], telegram["TELEGRAM_SECRET_TOKEN"],
                                  telegram.get("TELEGRAM_API_URL")) if telegram else None,
        kb_database_url=read.text("KB_DATABASE_URL"),
    )
    read.problems.extend(rest_problems(current))
    read.check()
    return current


def rest_problems(current: Settings) -> list[SettingsError]:
    """REST takes the conversation id it is given (channels.rest): beyond
    loopback it must have a token of its own, one that cannot open the API."""
    problems = []
    if not is_loopback(current.rasa_host) and not current.rest_token:
        problems.append(SettingsError(
            f"RASA_HOST={current.rasa_host} listens beyond loopback, so the REST webhook needs RASA_REST_TOKEN "
            "(a long random value; callers send it as Authorization: Bearer <token>). RASA_AUTH_TOKEN does not "
            "open REST beyond loopback."))
    if current.rest_token and current.rest_token == current.auth_token:
        problems.append(SettingsError(
            "RASA_REST_TOKEN must differ from RASA_AUTH_TOKEN: REST's token must not open the HTTP API."))
    return problems


def phone_problems(current: Settings, placeholder: str) -> list[SettingsError]:
    """A server that listens beyond loopback serves patients: every apology and
    booking reply tells them to call CLINIC_PHONE, so it may not be
    clinic.yml's placeholder (with or without a country code) or a number-less
    "set me"."""
    exposed = [host for host in (current.rasa_host, current.action_host) if not is_loopback(host)]
    digits, placeholder_digits = re.sub(r"\D", "", current.clinic.phone), re.sub(r"\D", "", placeholder)
    if not exposed or (len(digits) >= 3 and not digits.endswith(placeholder_digits)):
        return []
    return [SettingsError(
        f"CLINIC_PHONE is {current.clinic.phone!r}, which is not the clinic's number, and this server listens "
        f"beyond loopback ({exposed[0]}): the replies would tell patients to call it. Set CLINIC_PHONE to the "
        "clinic's real phone number.")]


@cache
def settings() -> Settings:
    """This process's settings, read from the environment the first time they are asked for."""
    return from_environment(os.environ)


def main() -> int:
    """Checks the environment, and that a server about to serve patients has the
    clinic's number (every start script runs this first); prints what is wrong
    (exit 1) or nothing."""
    try:
        problems = phone_problems(settings(), clinic_defaults()["phone"])
        if problems:
            raise problems[0]
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
