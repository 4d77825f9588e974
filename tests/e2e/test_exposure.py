"""What the servers expose beyond the chat itself: the HTTP API only with the
token (as a Bearer header, never on a command line), no model loaded or
unloaded over it, and an action server that runs actions for the Rasa server
only."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from tests.e2e.conftest import RunningServer


def status_of(url: str, method: str = "GET", headers: dict[str, str] | None = None,
              body: dict | None = None) -> int:
    request = urllib.request.Request(url, method=method, headers={"Content-Type": "application/json",
                                                                 **(headers or {})},
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_http_api_takes_the_token_as_a_bearer_header_or_argument_and_nothing_else(rasa_server) -> None:
    assert status_of(f"{rasa_server.url}/status", headers=rasa_server.auth) == 200
    assert status_of(f"{rasa_server.url}/status?token={rasa_server.token}") == 200
    assert status_of(f"{rasa_server.url}/status") == 401
    assert status_of(f"{rasa_server.url}/status", headers={"Authorization": "Bearer not-the-token"}) == 401


def test_the_token_is_on_no_process_command_line(rasa_server) -> None:
    command_lines = [path.read_bytes() for path in Path("/proc").glob("[0-9]*/cmdline") if path.exists()]
    assert any(b"channels.server" in line for line in command_lines)  # the Rasa server is among them
    assert not any(rasa_server.token.encode() in line for line in command_lines)


def model_id(server: RunningServer) -> str:
    request = urllib.request.Request(f"{server.url}/status", headers=server.auth)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["model_id"]


def test_no_model_is_loaded_or_unloaded_over_the_api(rasa_server: RunningServer) -> None:
    loaded = model_id(rasa_server)
    for method in ("PUT", "DELETE"):
        assert status_of(f"{rasa_server.url}/model", method, rasa_server.auth,
                         {"model_server": {"url": "http://attacker.example/model.tar.gz"}}) == 403
    assert model_id(rasa_server) == loaded
    assert rasa_server.say(f"model-{uuid.uuid4().hex}", "hi")  # still answering


def test_the_action_server_runs_actions_only_for_the_rasa_server(rasa_server: RunningServer) -> None:
    call = {"next_action": "action_assess_cramps", "sender_id": "intruder",
            "tracker": {"sender_id": "intruder", "slots": {}, "events": [], "latest_message": {}}}
    webhook = f"http://127.0.0.1:{rasa_server.action_port}/webhook"
    assert status_of(webhook, "POST", body=call) == 401
    assert status_of(webhook, "POST", {"X-Action-Server-Secret": "a guess"}, call) == 401
    assert status_of(f"http://127.0.0.1:{rasa_server.action_port}/health") == 200


def test_a_percent_encoded_conversation_id_reads_the_same_conversation(rasa_server: RunningServer) -> None:
    sender = f"clinic-backend:encoded-{uuid.uuid4().hex}"  # a colon, as in the channels' ids (REST may not use theirs)
    rasa_server.say(sender, "my calves cramp at night")
    quoted = urllib.parse.quote(sender, safe="")
    with urllib.request.urlopen(f"{rasa_server.url}/conversations/{quoted}/tracker?token={rasa_server.token}",
                                timeout=30) as response:
        tracker = json.loads(response.read())
    assert tracker["sender_id"] == sender and tracker["slots"]["cramp_location"] == "calf"
