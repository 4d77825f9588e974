"""REST closed by default, and limits per client rather than per connection
(issue 27), against the real servers: REST's start beyond loopback, its own
token, the namespaces it may not write into and its rate; the widget's rate
per client address across connections, connections per address and per
visitor, session requests per connection, and the old session's room left.

The shared server trusts loopback as a proxy (TRUSTED_PROXIES=127.0.0.1), as
it would trust nginx: each socket.io test stands for clients at addresses of
its own (X-Forwarded-For, from the documentation ranges), so that what one
test uses up never reaches another, nor the other tests' 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from harness import free_port
from knowledge_base.db import PROJECT_ROOT
from knowledge_base.wording import wording
from tests.e2e.conftest import RunningServer, text_of, triage_payloads
from tests.e2e.test_socketio_access import SocketClient, visitor_token
from turns.limits import (
    ADDRESS_BURST_MESSAGES,
    ADDRESS_MESSAGES_PER_MINUTE,
    MAX_CONNECTIONS_PER_ADDRESS,
    MAX_CONNECTIONS_PER_VISITOR,
    MAX_SESSION_REQUESTS_PER_CONNECTION,
    REST_BURST_MESSAGES,
)

SLOW_DOWN_REPLY = wording().say("slow_down")
EMPTY_REPLY = wording().say("message_empty")
EMERGENCY = "my calf is swollen and I can't breathe"


# --- REST ---------------------------------------------------------------------------------------------------

def post(server: RunningServer, body: dict[str, Any], token: str | None) -> tuple[int, Any]:
    request = urllib.request.Request(f"{server.url}/webhooks/rest/webhook", data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def tracker_status(server: RunningServer, sender: str, token: str) -> int:
    url = f"{server.url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def start_refused(env: dict[str, str], command: list[str]) -> str:
    """Runs a start that must be refused; what it said."""
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.fixture
def start_env(server_env: dict[str, str]) -> dict[str, str]:
    env = {name: value for name, value in server_env.items() if name not in ("RASA_REST_TOKEN", "RASA_HOST")}
    return {**env, "RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port()), "RASA_AUTH_TOKEN": "api-" + "x" * 32}


def test_rest_refuses_a_start_beyond_loopback_without_its_token_or_with_an_empty_one(start_env) -> None:
    serve = [str(PROJECT_ROOT / "scripts" / "serve.sh")]
    said = start_refused({**start_env, "RASA_HOST": "0.0.0.0"}, serve)
    assert "RASA_HOST=0.0.0.0 listens beyond loopback, so the REST webhook needs RASA_REST_TOKEN" in said
    said = start_refused({**start_env, "RASA_HOST": "0.0.0.0", "RASA_REST_TOKEN": start_env["RASA_AUTH_TOKEN"]},
                         serve)
    assert "RASA_REST_TOKEN must differ from RASA_AUTH_TOKEN" in said
    for empty in ("RASA_REST_TOKEN", "RASA_AUTH_TOKEN"):  # as copied from .env.example into a secret
        assert f"{empty} is set but empty" in start_refused({**start_env, empty: ""}, serve)
    # The address really listened on counts, not only RASA_HOST (Rasa's own default is every interface).
    server = [str(PROJECT_ROOT / ".venv" / "bin" / "python"), "-m", "channels.server", "run", "--interface",
              "0.0.0.0", "--port", start_env["RASA_PORT"], "--model", "models/leg-cramps.tar.gz"]
    said = start_refused({**start_env, "RASA_REST_TOKEN": "rest-" + "y" * 32}, server)
    assert "set RASA_HOST=0.0.0.0" in said


@pytest.mark.parametrize("sender", ["telegram:123456789", "slack:U0123ABCD", "web:0123abcd.sig", "Slack:U0123ABCD"])
def test_rest_refuses_a_sender_in_another_channels_namespace(rasa_server: RunningServer, sender: str) -> None:
    status, body = post(rasa_server, {"sender": sender, "message": "what do you know about me?"}, rasa_server.token)
    assert status == 400 and "may not start with" in body["error"]
    events = rasa_server.tracker(sender)["events"] or []
    assert [event for event in events if event["event"] == "user"] == []  # nothing was written there


def test_a_rest_sender_without_a_prefix_keeps_its_id(rasa_server: RunningServer) -> None:
    sender = f"backend-{uuid.uuid4().hex}"
    assert rasa_server.say(sender, "my calves cramp at night")
    tracker = rasa_server.tracker(sender)
    assert tracker["sender_id"] == sender and tracker["slots"]["cramp_location"] == "calf"


def test_rests_own_token_opens_rest_and_never_the_api(rasa_server: RunningServer) -> None:
    rest_token = rasa_server.channel_env["RASA_REST_TOKEN"]
    sender = f"backend-{uuid.uuid4().hex}"
    status, replies = post(rasa_server, {"sender": sender, "message": "hi"}, rest_token)
    assert status == 200 and replies
    assert tracker_status(rasa_server, sender, rest_token) == 401
    assert tracker_status(rasa_server, sender, rasa_server.token) == 200
    # On loopback the API's token still opens REST (as before REST had its own); a wrong one does not.
    assert post(rasa_server, {"sender": sender, "message": "hi"}, rasa_server.token)[0] == 200
    assert post(rasa_server, {"sender": sender, "message": "hi"}, "not-" + rest_token)[0] == 401
    assert post(rasa_server, {"sender": sender, "message": "hi"}, None)[0] == 401


def test_a_rest_sender_past_its_rate_is_asked_to_slow_down_and_still_told_an_emergency(
        rasa_server: RunningServer) -> None:
    sender, other = f"flood-{uuid.uuid4().hex}", f"calm-{uuid.uuid4().hex}"
    answered = 0
    for _ in range(REST_BURST_MESSAGES + 60):  # empty messages: answered without the model, counted all the same
        replies = rasa_server.say(sender, " ")
        if SLOW_DOWN_REPLY in text_of(replies):
            break
        assert text_of(replies) == EMPTY_REPLY
        answered += 1
    assert answered >= REST_BURST_MESSAGES  # the whole burst first
    assert SLOW_DOWN_REPLY in text_of(replies)
    # An emergency sent too fast is still told. (The bucket refills a second's
    # fraction at a time, so a message may just get through: then again.)
    for _ in range(5):
        for _ in range(10):  # until the bucket is empty again
            if SLOW_DOWN_REPLY in text_of(rasa_server.say(sender, " ")):
                break
        replies = rasa_server.say(sender, EMERGENCY)
        assert "Call 911 now" in text_of(replies)
        assert [payload["triage_level"] for payload in triage_payloads(replies)] == ["emergency"]
        if SLOW_DOWN_REPLY in text_of(replies):
            break
    assert SLOW_DOWN_REPLY in text_of(replies)
    assert text_of(rasa_server.say(other, " ")) == EMPTY_REPLY  # another sender's rate is its own


# --- the widget (socket.io) -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def allowed_origin(rasa_server: RunningServer) -> str:
    return rasa_server.channel_env["RASA_CORS_ORIGINS"].split()[0]


def forwarded(address: str) -> list[str]:
    """What nginx (trusted here as loopback) adds for a client at `address`."""
    return [f"X-Forwarded-For: {address}"]


class Clients:
    """Opens socket.io connections as visitors at given addresses; closes them all at the end."""

    def __init__(self, server: RunningServer, origin: str) -> None:
        self.server, self.origin = server, origin
        self.opened: list[websocket.WebSocket] = []

    def token(self, subject: str | None) -> str:
        return visitor_token(self.server.channel_env["SOCKETIO_JWT_KEY"], subject=subject or uuid.uuid4().hex)

    def client(self, address: str, subject: str | None = None) -> SocketClient:
        client = SocketClient(self.server, self.origin, self.token(subject), forwarded(address))
        self.opened.append(client.connection)
        return client

    def accepted(self, address: str, subject: str | None = None) -> bool:
        """Whether a connection is accepted ("40") or refused ("44"); an accepted one stays open."""
        url = self.server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        connection = websocket.create_connection(url, origin=self.origin, timeout=10, header=forwarded(address))
        self.opened.append(connection)
        assert connection.recv().startswith("0{")
        connection.send("40" + json.dumps({"token": self.token(subject)}))
        answer = connection.recv()
        assert answer[:2] in ("40", "44"), answer
        return answer.startswith("40")

    def close(self, connection: websocket.WebSocket) -> None:
        connection.close()
        self.opened.remove(connection)


@pytest.fixture
def clients(rasa_server: RunningServer, allowed_origin: str) -> Iterator[Clients]:
    opened = Clients(rasa_server, allowed_origin)
    yield opened
    for connection in opened.opened:
        connection.close()


def reply_texts(client: SocketClient, quiet: float = 3) -> list[str]:
    return [message.get("text", "") for message in client.replies(quiet=quiet)]


def test_six_connections_from_one_address_share_its_rate(clients: Clients) -> None:
    address = "198.51.100.6"
    flood = [clients.client(address) for _ in range(6)]  # six visitors, six sessions: only the address is shared
    for client in flood:
        client.request_session()
    started = time.monotonic()
    for _ in range(30):  # within each connection's, session's and visitor's burst
        for client in flood:
            client.say(" ")  # answered without the model, counted all the same
    texts = [text for client in flood for text in reply_texts(client)]
    elapsed = time.monotonic() - started
    assert len(texts) == 180 and set(texts) == {EMPTY_REPLY, SLOW_DOWN_REPLY}  # each answered, one way or the other
    answered = texts.count(EMPTY_REPLY)
    # 60 at once, then two more for each second the server took to take the flood in.
    assert answered <= ADDRESS_BURST_MESSAGES + int(elapsed * ADDRESS_MESSAGES_PER_MINUTE / 60)
    calm = clients.client("198.51.100.7")  # another address meanwhile: its own rate
    calm.request_session()
    calm.say(" ")
    assert reply_texts(calm) == [EMPTY_REPLY]


def test_too_many_connections_from_one_address_are_refused(clients: Clients) -> None:
    address = "198.51.100.30"
    assert all(clients.accepted(address) for _ in range(MAX_CONNECTIONS_PER_ADDRESS))
    assert not clients.accepted(address)
    assert clients.accepted("198.51.100.31")  # another address is not held back
    clients.close(clients.opened[0])  # one of the first address's closes: room for one more
    assert any(clients.accepted(address) or time.sleep(0.1) for _ in range(50))  # once the server has seen it
    assert not clients.accepted(address)


def test_one_visitors_connections_are_limited_across_addresses(clients: Clients) -> None:
    visitor = f"visitor-{uuid.uuid4().hex}"
    assert all(clients.accepted(f"203.0.113.{number + 1}", visitor) for number in range(MAX_CONNECTIONS_PER_VISITOR))
    assert not clients.accepted("203.0.113.200", visitor)
    assert clients.accepted("203.0.113.200")  # another visitor at that address


def test_a_connection_asking_for_too_many_sessions_is_closed(clients: Clients) -> None:
    client = clients.client("198.51.100.40")
    sessions = {client.request_session() for _ in range(MAX_SESSION_REQUESTS_PER_CONNECTION)}
    assert len(sessions) == MAX_SESSION_REQUESTS_PER_CONNECTION
    client.emit("session_request", {"session_id": None})
    assert client.receive() == "41"  # socket.io's DISCONNECT: no session confirmed, the connection closed
    client.say("hi")
    assert client.replies(quiet=1) == []


def test_a_new_session_leaves_the_old_sessions_room(clients: Clients) -> None:
    visitor = f"visitor-{uuid.uuid4().hex}"
    first = clients.client("198.51.100.50", visitor)
    old = first.request_session()
    assert first.request_session() != old  # a new session on the same connection
    second = clients.client("198.51.100.50", visitor)  # the same visitor reopens the old one elsewhere
    assert second.request_session(old) == old
    second.say("hi")
    assert second.replies()
    assert first.replies(quiet=1) == []  # the old session's replies no longer reach the first connection
