"""Real servers for end-to-end tests: `scripts/serve.sh` (what `make serve`
runs) started once per test session on free ports, with the trained model
that `make test` trained before pytest started, every channel switched on
(Slack and Telegram talking to a local stand-in for their APIs), and the
widget's demo page (`make web`)."""

from __future__ import annotations

import json
import secrets
import shutil
import signal
import subprocess
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness import ServerDidNotStart, free_port, server_environment, start_group, stop_group, wait_for_http
from knowledge_base.db import PROJECT_ROOT
from tests.e2e import provider_stand_in as provider_stand_in_module
from tests.e2e.provider_stand_in import ProviderStandIn


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    """harness.wait_for_http, failing the test if the server does not answer."""
    try:
        wait_for_http(url, process, log, seconds)
    except ServerDidNotStart as error:
        pytest.fail(str(error))


@dataclass
class RunningServer:
    url: str
    token: str
    rasa_port: int
    action_port: int
    tracker_store: Path | None
    channel_env: dict[str, str]
    log: Path | None = None

    def say(self, sender: str, text: str) -> list[dict]:
        """Sends a message over the REST channel; the bot's replies."""
        request = urllib.request.Request(f"{self.url}/webhooks/rest/webhook", method="POST",
                                         data=json.dumps({"sender": sender, "message": text}).encode(),
                                         headers={"Content-Type": "application/json", **self.auth})
        with urllib.request.urlopen(request, timeout=180) as response:
            return json.loads(response.read())

    @property
    def auth(self) -> dict[str, str]:
        """The header a trusted back-end sends on REST calls (RASA_AUTH_TOKEN)."""
        return {"Authorization": f"Bearer {self.token}"}

    def tracker(self, sender: str) -> dict:
        """The conversation as Rasa stores it, through the HTTP API."""
        url = f"{self.url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker?token={self.token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())


def reply_texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def post_json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


class Conversation:
    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.sender = f"e2e-{uuid.uuid4().hex}"

    def say(self, text: str) -> list[dict[str, Any]]:
        return post_json(f"{self.server.url}/webhooks/rest/webhook", {"sender": self.sender, "message": text},
                         self.server.auth)

    def slots(self) -> dict[str, Any]:
        url = f"{self.server.url}/conversations/{self.sender}/tracker?token={self.server.token}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())["slots"]


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies if "text" in r)


def triage_payloads(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["custom"] for r in replies if "custom" in r]


@pytest.fixture
def chat(rasa_server: RunningServer) -> Conversation:
    return Conversation(rasa_server)


@pytest.fixture(scope="session")
def provider_stand_in() -> Iterator[ProviderStandIn]:
    stand_in, server = provider_stand_in_module.start(telegram_bot_name="clinic_test_bot")
    yield stand_in
    server.shutdown()


@pytest.fixture(scope="session")
def widget_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def server_env() -> dict[str, str]:
    return {**server_environment(), "CLINIC_NAME": "the test clinic", "CLINIC_PHONE": "555-0123",
            "CLINIC_BOOKING_URL": "https://clinic.example/book"}


@pytest.fixture(scope="session")
def rasa_server(trained_model: Path, server_env: dict[str, str], provider_stand_in: ProviderStandIn,
                widget_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("serve")
    channel_env = {
        "SOCKETIO_JWT_KEY": secrets.token_hex(32),
        "RASA_CORS_ORIGINS": f"http://localhost:{widget_port} http://127.0.0.1:{widget_port}",
        "SLACK_BOT_TOKEN": "xoxb-test-" + secrets.token_hex(8),
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "SLACK_API_URL": provider_stand_in.slack_api_url,
        "TELEGRAM_TOKEN": "123456789:" + secrets.token_urlsafe(26),
        "TELEGRAM_BOT_NAME": provider_stand_in.telegram_bot_name,
        "TELEGRAM_WEBHOOK_URL": "https://assistant.clinic.example/webhooks/telegram/webhook",
        "TELEGRAM_SECRET_TOKEN": secrets.token_urlsafe(24),
        "TELEGRAM_API_URL": provider_stand_in.telegram_api_url,
        # REST's own token (the API's still opens REST on loopback), and loopback
        # as a trusted proxy, so that tests can stand for clients at other addresses.
        "RASA_REST_TOKEN": secrets.token_hex(16),
        "TRUSTED_PROXIES": "127.0.0.1",
    }
    with serving(server_env, folder, channel_env, tracker_store_url=f"sqlite:///{folder / 'patients.sqlite3'}",
                 tracker_store=folder / "patients.sqlite3") as server:
        yield server


@contextmanager
def serving(server_env: dict[str, str], folder: Path, extra_env: dict[str, str], tracker_store_url: str,
            tracker_store: Path | None = None, token: str | None = None) -> Iterator[RunningServer]:
    """`scripts/serve.sh` (action server + Rasa server) on free ports until the block ends; then Ctrl-C."""
    server = RunningServer(url="", token=token or secrets.token_hex(16), rasa_port=free_port(),
                           action_port=free_port(), tracker_store=tracker_store, channel_env=extra_env)
    server.url = f"http://127.0.0.1:{server.rasa_port}"
    env = {**server_env, **extra_env, "RASA_PORT": str(server.rasa_port), "ACTION_PORT": str(server.action_port),
           "RASA_AUTH_TOKEN": server.token, "TRACKER_STORE_URL": tracker_store_url}
    log = folder / f"serve-{server.rasa_port}.log"
    server.log = log
    process = start_group([str(PROJECT_ROOT / "scripts" / "serve.sh")], PROJECT_ROOT, env, log)
    try:
        wait_for(f"{server.url}/", process, log, seconds=420)
        wait_for(f"http://127.0.0.1:{server.action_port}/health", process, log, seconds=30)
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop_group(process, signal.SIGKILL)


@dataclass
class WidgetPage:
    url: str
    rasa_server: RunningServer


@pytest.fixture(scope="session")
def widget_page(rasa_server: RunningServer, widget_port: int, server_env: dict[str, str],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[WidgetPage]:
    """`make web`'s demo page, pointing at the running Rasa server."""
    env = {**server_env, "WEB_PORT": str(widget_port), "RASA_PORT": str(rasa_server.rasa_port),
           "SOCKETIO_JWT_KEY": rasa_server.channel_env["SOCKETIO_JWT_KEY"]}
    log = tmp_path_factory.mktemp("web") / "web.log"
    process = start_group(["make", "--no-print-directory", "web"], PROJECT_ROOT, env, log)
    try:
        url = f"http://localhost:{widget_port}/"
        wait_for(url, process, log, seconds=120)
        yield WidgetPage(url=url, rasa_server=rasa_server)
    finally:
        stop_group(process)


# Debian's Chromium, for the widget tests (never `playwright install`), on a phone-sized screen.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
CHROMIUM_MISSING = "Debian's Chromium is not installed (`apt-get install chromium`; CI installs it in .ci/run)"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium through Playwright, for one test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()
