"""A chat widget that nobody on the team wrote: botfront's `rasa-webchat` 1.0.1
(installed from npm, pinned in web/package-lock.json, no CDN), on a page of
its own at phone width in Debian's Chromium, against a Rasa server without
SOCKETIO_JWT_KEY (rasa-webchat cannot send a token). It starts as socket.io
clients do by default, with HTTP long-polling, then upgrades to a websocket."""

from __future__ import annotations

import functools
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness import free_port
from knowledge_base.db import PROJECT_ROOT
from tests.e2e.conftest import CHROMIUM, CHROMIUM_MISSING, PHONE, RunningServer, serving

WEBCHAT = PROJECT_ROOT / "web" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
# Copied to docs/rasa-webchat-emergency-phone.png for the README.
SCREENSHOT = PROJECT_ROOT / "build" / "reports" / "rasa-webchat-emergency-phone.png"

if not Path(CHROMIUM).exists():
    pytest.skip(CHROMIUM_MISSING, allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is installed by `make install`")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>A clinic's page with rasa-webchat</title></head>
<body><div id="webchat"></div>
<script src="rasa-webchat.js"></script>
<script>
  WebChat.default({
    selector: "#webchat", socketUrl: "SERVER_URL", socketPath: "/socket.io/", embedded: true,
    title: "Leg cramps", customData: {language: "en", page: "leg-cramps"}, params: {storage: "session"}
  }, null);
</script></body></html>
"""


@pytest.fixture(scope="module")
def page_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def webchat_server(trained_model: Path, server_env: dict[str, str], page_port: int,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("webchat-server")
    origins = {"RASA_CORS_ORIGINS": f"http://localhost:{page_port} http://127.0.0.1:{page_port}"}
    with serving(server_env, folder, origins, tracker_store_url=f"sqlite:///{folder / 'patients.sqlite3'}") as server:
        yield server


@contextmanager
def page_served_on(port: int, server_url: str, folder: Path) -> Iterator[str]:
    """A clinic's page on `port`: rasa-webchat's own bundle and one init call."""
    assert WEBCHAT.exists(), "rasa-webchat is installed by `make web` (npm ci in web/)"
    shutil.copy(WEBCHAT, folder / "rasa-webchat.js")
    (folder / "index.html").write_text(PAGE.replace("SERVER_URL", server_url))
    httpd = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(SimpleHTTPRequestHandler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{port}/index.html"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def webchat_page(webchat_server: RunningServer, page_port: int,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with page_served_on(page_port, webchat_server.url, tmp_path_factory.mktemp("webchat-page")) as url:
        yield url


def open_page(browser, url: str, errors: list[str]):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    return page


@pytest.fixture
def page(browser, webchat_page: str) -> Iterator:
    errors: list[str] = []
    page = open_page(browser, webchat_page, errors)
    yield page
    page.context.close()
    assert errors == [], f"the page raised: {errors}"


def say(page, text: str) -> None:
    box = page.locator(".rw-new-message")
    box.fill(text)
    box.press("Enter")


def test_rasa_webchat_converses_clicks_a_button_gets_the_emergency_and_keeps_it_on_reload(
        page, webchat_server: RunningServer) -> None:
    expect = sync_api.expect
    messages = page.locator(".rw-messages-container")
    say(page, "I get cramps in my calves at night")
    expect(messages).to_contain_text("one safety question", timeout=60_000)
    page.locator(".rw-reply", has_text="None of these").click()  # a button, as rasa-webchat shows it
    expect(messages).to_contain_text("How often do you get them?", timeout=60_000)

    say(page, "now my calf is swollen and I can't breathe")
    expect(messages).to_contain_text("Call 911 now", timeout=60_000)  # the emergency line is text
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    session_id = page.evaluate(
        "Object.values(sessionStorage).map(JSON.parse).map(s => s.session_id).find(Boolean)")
    assert session_id and session_id.startswith("web:")
    tracker = webchat_server.tracker(session_id)
    assert tracker["slots"]["triage_level"] == "emergency"
    assert tracker["latest_message"]["metadata"] == {"language": "en", "page": "leg-cramps"}  # customData

    page.reload()
    expect(page.locator(".rw-messages-container")).to_contain_text("Call 911 now", timeout=30_000)
    shown = page.locator(".rw-response").count()
    say(page, "what should I do while I wait?")
    page.wait_for_function(f"document.querySelectorAll('.rw-response').length > {shown}", timeout=60_000)
    tracker = webchat_server.tracker(session_id)  # the same conversation, on the server
    assert "what should I do while I wait?" in [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert tracker["slots"]["triage_level"] == "emergency"


def test_rasa_webchat_on_a_page_from_another_origin_is_refused(browser, webchat_server: RunningServer,
                                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    with page_served_on(free_port(), webchat_server.url, tmp_path_factory.mktemp("other-origin")) as url:
        page = open_page(browser, url, [])
        time.sleep(8)  # ample to connect, which must never happen
        # rasa-webchat hides itself until it is connected (`hideWhenNotConnected`).
        assert not page.locator(".rw-new-message").is_visible()
        assert page.locator(".rw-response").count() == 0
        page.context.close()
