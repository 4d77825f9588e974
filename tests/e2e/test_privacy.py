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
