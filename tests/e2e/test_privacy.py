"""Conversations hold health information: the servers' default logs must not
contain what people write."""

from __future__ import annotations

import time
import uuid

from tests.e2e.conftest import RunningServer


def test_the_default_logs_do_not_contain_message_text(rasa_server: RunningServer) -> None:
    sender = f"privacy-{uuid.uuid4().hex}"
    said = ["my calves cramp at night since I started chemotherapy", "my calf is swollen and I can't breathe"]
    for text in said:
        rasa_server.say(sender, text)
    time.sleep(1)  # let both servers write their logs
    assert [e["text"] for e in rasa_server.tracker(sender)["events"] if e["event"] == "user"] == said
    log = rasa_server.log.read_text(errors="replace")
    assert "Rasa server is up and running" in log  # this is the servers' log
    for text in said:
        assert text not in log
    assert "chemotherapy" not in log and "swollen" not in log


# Every kind of message in the bad-input list (tests/e2e/test_bad_input.py),
# each with a health detail that must not reach the log.
BAD_INPUT = [
    "/my calf is swollen since the thrombosis clinic",  # looks like a button payload: Rasa would echo it
    '/inform{"diagnosis": "varicose thrombosis"}',  # a payload with an entity the domain lacks
    '/inform{"body_location": "calf" sciatica',  # a payload that is not JSON
    "/inform@0.99 my statin dose",
    "my calf hurts\n2026-11-23 14:00:00 INFO     forged.logger  - FORGED-LINE hypothyroid",  # a forged log line
    "cramps\u2028FORGED-LINE-2 warfarin",
    "my calf\x00 cramps at\x07 night after dialysis",
    "chemotherapy leg cramps " * 100,  # too long
    "   \n\t ",
]


def test_no_message_text_reaches_the_log_whatever_was_sent(rasa_server: RunningServer) -> None:
    sender = f"privacy-bad-{uuid.uuid4().hex}"
    for text in BAD_INPUT:
        rasa_server.say(sender, text)
    time.sleep(1)
    log = rasa_server.log.read_text(errors="replace")
    for detail in ["thrombosis", "varicose", "sciatica", "statin dose", "hypothyroid", "warfarin", "dialysis",
                   "chemotherapy"]:
        assert detail not in log, detail
    assert not any(line.startswith(("FORGED", "2026-11-23 14:00:00 INFO     forged")) for line in log.splitlines())
    # The payload-like text was read as what the person wrote, without the slash.
    texts = [e["text"] for e in rasa_server.tracker(sender)["events"] if e["event"] == "user"]
    assert "my calf is swollen since the thrombosis clinic" in texts
