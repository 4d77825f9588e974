"""The website widget in a real browser (Debian's Chromium, driven by
Playwright) on a phone-sized screen, against the running Rasa server over its
socket.io channel, with the JWT the demo page mints."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge_base.db import PROJECT_ROOT
from tests.e2e.conftest import CHROMIUM, CHROMIUM_MISSING, PHONE, WidgetPage

SCREENSHOT = PROJECT_ROOT / "build" / "reports" / "widget-emergency-phone.png"

if not Path(CHROMIUM).exists():
    pytest.skip(CHROMIUM_MISSING, allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is installed by `make install`")


@pytest.fixture
def page(browser, widget_page: WidgetPage) -> Iterator:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(widget_page.url)
    page.get_by_label("Your message").wait_for()
    expect = sync_api.expect
    expect(page.locator(".lcc-status")).to_have_text("", timeout=30_000)  # connected
    yield page
    context.close()
    assert errors == [], f"the page raised: {errors}"


def say(page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def bot_messages(page):
    return page.locator(".lcc-from-bot")


def test_a_conversation_with_buttons_an_emergency_banner_and_a_reload(page, widget_page: WidgetPage) -> None:
    expect = sync_api.expect
    log = page.get_by_role("log", name="Conversation")
    say(page, "I get cramps in my calves at night")
    expect(log).to_contain_text("I get cramps in my calves at night")
    expect(log).to_contain_text("one safety question", timeout=60_000)

    # The suggested replies are real buttons: reachable and usable from the keyboard.
    choices = page.get_by_role("group", name="Suggested replies")
    expect(choices.get_by_role("button")).to_have_count(10)
    choices.get_by_role("button", name="Pregnant or recently gave birth").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # a button chosen with the keyboard is sent like a click
    expect(log.locator(".lcc-from-user").last).to_have_text("You said: None of these")
    expect(log).to_contain_text("How often do you get them?", timeout=60_000)
    page.get_by_role("group", name="Suggested replies").get_by_role("button", name="About once a week").click()
    expect(log).to_contain_text("the most likely causes are", timeout=60_000)

    say(page, "now my calf is swollen and I can't breathe")
    banner = page.get_by_role("alert")
    expect(banner).to_contain_text("Call 911 now", timeout=60_000)
    expect(banner.get_by_role("link", name="Call 911 now")).to_have_attribute("href", "tel:911")
    expect(log).to_contain_text("pulmonary embolism")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    # Nothing overflows a phone-width screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    before = log.locator(".lcc-message").all_text_contents()
    page.reload()
    expect(page.get_by_role("log", name="Conversation").locator(".lcc-message")).to_have_text(before)
    expect(page.get_by_role("alert")).to_contain_text("Call 911 now")
    # The same conversation goes on after the reload: the server still knows the emergency.
    session_id = page.evaluate("JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage)[0])).sessionId")
    tracker = widget_page.rasa_server.tracker(session_id)
    assert tracker["slots"]["triage_level"] == "emergency"
    assert tracker["latest_input_channel"] == "socketio"


def test_text_from_the_person_or_the_server_is_shown_as_text(page, widget_page: WidgetPage) -> None:
    expect = sync_api.expect
    log = page.get_by_role("log", name="Conversation")
    attack = '<script>window.hacked = 1</script><img src=x onerror="window.hacked = 2">'
    say(page, attack)
    expect(log.locator(".lcc-from-user")).to_contain_text(attack)
    expect(bot_messages(page).first).to_be_visible(timeout=60_000)

    # A bot message with markup, sent through the channel by the server itself.
    session_id = page.evaluate("JSON.parse(sessionStorage.getItem(Object.keys(sessionStorage)[0])).sessionId")
    server = widget_page.rasa_server
    events = [
        # A link of its own: the assistant's booking reply (which the first message
        # may get, depending on the trained model) links the booking page too.
        {"event": "bot", "text": "<script>window.hacked = 3</script> see https://clinic.example/leaflet"},
        {"event": "bot", "data": {"image": "javascript:window.hacked = 4"}},
        {"event": "bot", "data": {"image": f"{widget_page.url}favicon-stretch.png"}},  # http: not shown
        {"event": "bot", "data": {"image": "https://clinic.example/calf-stretch.png"}},
    ]
    request = urllib.request.Request(
        f"{server.url}/conversations/{session_id}/tracker/events?token={server.token}"
        "&execute_side_effects=true&output_channel=socketio",
        data=json.dumps(events).encode(), method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).close()
    expect(log).to_contain_text("<script>window.hacked = 3</script>")
    expect(log.get_by_role("link", name="https://clinic.example/leaflet")).to_have_attribute(
        "href", "https://clinic.example/leaflet")
    # Images are shown with a text alternative, and only from https addresses.
    expect(log.get_by_role("img", name="Image from the assistant")).to_have_attribute(
        "src", "https://clinic.example/calf-stretch.png")
    assert page.evaluate("window.hacked") is None
    assert page.locator(".lcc-log script").count() == 0
    assert page.locator(".lcc-log img").count() == 1


@pytest.mark.parametrize("number", ["", "999"])
def test_an_unreachable_server_names_only_the_number_the_page_configured(browser, widget_page: WidgetPage,
                                                                          number: str) -> None:
    """The widget never falls back to 911 of its own: a clinic in the UK or the EU
    gives its number (data-emergency-number); a page that gives none gets no number."""
    expect = sync_api.expect
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    attribute = f' data-emergency-number="{number}"' if number else ""
    page.goto(widget_page.url)  # the widget's origin, so that its script and client load as on a clinic's page
    page.set_content(f'<div id="leg-cramp-chat" data-server-url="http://127.0.0.1:9"{attribute}></div>'
                     f'<script src="{widget_page.url}widget/leg-cramp-chat.js"></script>')
    status = page.locator(".lcc-status")
    expect(status).to_contain_text("can't be reached", timeout=30_000)
    if number:
        expect(status).to_contain_text("In an emergency, call 999.")
    else:
        assert "911" not in status.inner_text() and "call" not in status.inner_text()
    context.close()
