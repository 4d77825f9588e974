"""Who may open the widget's socket.io connection (only pages from the
configured origins, only with a token signed with SOCKETIO_JWT_KEY that has
`exp`), and whose conversation a connection may join and write into (only the
one the server issued to it): spoken at protocol level, as a widget that
nobody on the team wrote would."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import websocket

from knowledge_base.wording import wording
from tests.e2e.conftest import RunningServer
from turns.limits import BURST_MESSAGES, MESSAGES_PER_MINUTE

SLOW_DOWN_REPLY = wording().say("slow_down")


def visitor_token(key: str, lifetime: int = 600, subject: str = "test-visitor") -> str:
    now = int(time.time())
    return jwt.encode({"sub": subject, "iat": now, "exp": now + lifetime}, key, algorithm="HS256")


def connects(server: RunningServer, origin: str, token: str | None) -> bool:
    """Opens the socket.io connection as a browser page from `origin` would:
    the engine.io handshake over a websocket, then socket.io's CONNECT packet
    with the token as its auth ("40{...}"); the server answers "40" to accept
    and "44" to refuse."""
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    try:
        connection = websocket.create_connection(url, origin=origin, timeout=10)
    except websocket.WebSocketBadStatusException:
        return False  # the engine.io handshake itself was refused
    try:
        assert connection.recv().startswith("0{")  # engine.io OPEN
        connection.send("40" + json.dumps({"token": token} if token else {}))
        answer = connection.recv()
        assert answer[:2] in ("40", "44"), answer
        return answer.startswith("40")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def allowed_origin(rasa_server: RunningServer) -> str:
    return rasa_server.channel_env["RASA_CORS_ORIGINS"].split()[0]


def test_a_page_from_an_allowed_origin_with_a_valid_token_connects(rasa_server, allowed_origin) -> None:
    assert connects(rasa_server, allowed_origin, visitor_token(rasa_server.channel_env["SOCKETIO_JWT_KEY"]))


def test_no_token_a_forged_token_or_an_expired_one_is_refused(rasa_server, allowed_origin) -> None:
    key = rasa_server.channel_env["SOCKETIO_JWT_KEY"]
    assert not connects(rasa_server, allowed_origin, None)
    assert not connects(rasa_server, allowed_origin, visitor_token("not-the-clinic-key" * 2))
    assert not connects(rasa_server, allowed_origin, visitor_token(key, lifetime=-60))


def test_a_page_from_another_origin_is_refused_even_with_a_token(rasa_server) -> None:
    token = visitor_token(rasa_server.channel_env["SOCKETIO_JWT_KEY"])
    assert not connects(rasa_server, "https://evil.example", token)


def polling(server: RunningServer, origin: str, token: str | None) -> tuple[list[str], str]:
    """A socket.io client's default start, HTTP long-polling (as rasa-webchat and
    Rasa's own widget begin): the engine.io handshake, then socket.io's CONNECT
    packet in a POST and the answer in the next GET. The handshake's
    Access-Control-Allow-Origin headers, and the answer ("40" accepted, "44" refused)."""
    base = f"{server.url}/socket.io/?EIO=4&transport=polling"
    headers = {"Origin": origin}
    with urllib.request.urlopen(urllib.request.Request(base, headers=headers), timeout=10) as response:
        allow = response.headers.get_all("Access-Control-Allow-Origin") or []
        sid = json.loads(response.read().decode()[1:])["sid"]
    packet = ("40" + json.dumps({"token": token} if token else {})).encode()
    urllib.request.urlopen(urllib.request.Request(f"{base}&sid={sid}", data=packet, method="POST",
                                                  headers={**headers, "Content-Type": "text/plain"}), timeout=10)
    with urllib.request.urlopen(urllib.request.Request(f"{base}&sid={sid}", headers=headers), timeout=10) as response:
        return allow, response.read().decode()


def test_long_polling_gets_one_allow_origin_header_and_the_same_checks(rasa_server, allowed_origin) -> None:
    token = visitor_token(rasa_server.channel_env["SOCKETIO_JWT_KEY"])
    allow, answer = polling(rasa_server, allowed_origin, token)
    assert allow == [allowed_origin]  # exactly one: browsers refuse a doubled header
    assert answer.startswith("40")
    allow, answer = polling(rasa_server, "https://evil.example", token)
    assert allow == [] and answer.startswith("44")
    assert polling(rasa_server, allowed_origin, None)[1].startswith("44")  # the token is checked too


def test_the_rest_api_allows_only_the_configured_origins(rasa_server, allowed_origin) -> None:
    def allow_origin_header(origin: str) -> str | None:
        request = urllib.request.Request(f"{rasa_server.url}/", headers={"Origin": origin})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers.get("Access-Control-Allow-Origin")

    assert allow_origin_header(allowed_origin) == allowed_origin
    assert allow_origin_header("https://evil.example") is None


class SocketClient:
    """A socket.io client over a websocket: engine.io packets by hand."""

    def __init__(self, server: RunningServer, origin: str, token: str | None, headers: list[str] | None = None) -> None:
        url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.connection = websocket.create_connection(url, origin=origin, timeout=10, header=headers or [])
        assert self.connection.recv().startswith("0{")
        self.connection.send("40" + json.dumps({"token": token} if token else {}))
        assert self.connection.recv().startswith("40")
        self.session_id = ""

    def receive(self, timeout: float = 10) -> str:
        self.connection.settimeout(timeout)
        while True:
            packet = self.connection.recv()
            if packet != "2":
                return packet
            self.connection.send("3")  # answer engine.io's ping

    def emit(self, event: str, data: Any) -> None:
        self.connection.send("42" + json.dumps([event, data]))

    def request_session(self, session_id: str | None = None) -> str:
        self.emit("session_request", {"session_id": session_id})
        event, self.session_id = json.loads(self.receive()[2:])
        assert event == "session_confirm"
        return self.session_id

    def say(self, text: str, session_id: str | None = None, **extra: Any) -> None:
        self.emit("user_uttered", {"message": text, "session_id": session_id or self.session_id, **extra})

    def replies(self, quiet: float = 3) -> list[dict[str, Any]]:
        """The bot's messages until none comes for `quiet` seconds."""
        messages = []
        try:
            while True:
                packet = self.receive(timeout=quiet)
                if packet.startswith('42["bot_uttered"'):
                    messages.append(json.loads(packet[2:])[1])
        except websocket.WebSocketTimeoutException:
            return messages

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def client_for(rasa_server: RunningServer, allowed_origin: str) -> Iterator[Callable[..., SocketClient]]:
    clients: list[SocketClient] = []

    def open_client(subject: str = "test-visitor") -> SocketClient:
        token = visitor_token(rasa_server.channel_env["SOCKETIO_JWT_KEY"], subject=subject)
        clients.append(SocketClient(rasa_server, allowed_origin, token))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


def user_texts(server: RunningServer, sender: str) -> list[str]:
    return [event["text"] for event in server.tracker(sender)["events"] or [] if event["event"] == "user"]


def test_the_server_issues_a_signed_web_session_id_and_refuses_a_proposed_one(client_for) -> None:
    client = client_for()
    issued = client.request_session()
    assert issued.startswith("web:")
    proposed = uuid.uuid4().hex  # what an older widget, or an intruder, proposes
    assert client_for().request_session(proposed) not in (proposed, issued)
    forged = issued[:-4] + ("AAAA" if not issued.endswith("AAAA") else "BBBB")
    assert client_for().request_session(forged) not in (forged, issued)


def test_a_reload_that_sends_back_the_confirmed_id_continues_the_conversation(rasa_server, client_for) -> None:
    first = client_for()
    session = first.request_session()
    first.say("my calves cramp at night")
    assert first.replies()
    first.close()
    again = client_for()  # the page reloaded: a new connection, the stored id
    assert again.request_session(session) == session
    again.say("now and then")
    assert again.replies()
    assert user_texts(rasa_server, session) == ["my calves cramp at night", "now and then"]


def test_another_visitors_token_cannot_reopen_a_session(rasa_server, client_for) -> None:
    session = client_for("visitor-a").request_session()
    assert client_for("visitor-b").request_session(session) != session


def test_a_socket_can_only_write_into_the_session_it_opened(rasa_server, client_for) -> None:
    victim = client_for("victim")
    victims_session = victim.request_session()
    victim.say("hi")
    assert victim.replies()
    intruder = client_for("intruder")
    own_session = intruder.request_session()
    intruder.say("I take a statin", session_id=victims_session)
    intruder.say("hi")
    assert intruder.replies()  # the answer to its own "hi" only
    assert victim.replies(quiet=1) == []  # nothing reached the victim's room
    assert user_texts(rasa_server, victims_session) == ["hi"]
    assert user_texts(rasa_server, own_session) == ["hi"]


def test_a_token_without_exp_or_valid_for_years_is_refused(rasa_server, allowed_origin) -> None:
    key = rasa_server.channel_env["SOCKETIO_JWT_KEY"]
    logged_before = len(rasa_server.log.read_text(errors="replace"))
    assert not connects(rasa_server, allowed_origin, jwt.encode({"sub": "v"}, key, algorithm="HS256"))
    assert not connects(rasa_server, allowed_origin, jwt.encode({"sub": "v", "exp": 4_070_908_800}, key,
                                                                algorithm="HS256"))
    assert not connects(rasa_server, allowed_origin, "not-a-jwt")
    time.sleep(0.5)
    logged = rasa_server.log.read_text(errors="replace")[logged_before:]
    assert "Refused a socket.io connection" in logged and "Traceback" not in logged  # said in one line


def test_a_flood_from_one_connection_is_asked_to_slow_down_politely(rasa_server, client_for) -> None:
    client = client_for()
    session = client.request_session()
    started = time.monotonic()
    for number in range(BURST_MESSAGES + 6):
        client.say(f"hello {number}")
    texts = [reply.get("text", "") for reply in client.replies()]
    elapsed = time.monotonic() - started
    assert texts.count(SLOW_DOWN_REPLY) >= 3
    # 30 at once, then one more for each second the server took to take the flood in
    # (it reads a connection's messages one after another, answering each).
    assert len(user_texts(rasa_server, session)) <= BURST_MESSAGES + int(elapsed * MESSAGES_PER_MINUTE / 60)


def test_metadata_is_cut_to_the_allow_list_and_an_oversized_packet_closes_the_socket(rasa_server,
                                                                                     client_for) -> None:
    client = client_for()
    session = client.request_session()
    client.say("hi", metadata={"page": "/leg-cramps", "language": "en", "injected": "x" * 5_000})
    assert client.replies()
    client.say("hi again", metadata={"page": "x" * 20_000})  # more than the 16 KiB a packet may be
    with pytest.raises((websocket.WebSocketException, ConnectionError)):
        client.replies()
        client.say("still there?")
    user_events = [event for event in rasa_server.tracker(session)["events"] if event["event"] == "user"]
    assert [event["text"] for event in user_events] == ["hi"]
    assert {key: user_events[0]["metadata"].get(key) for key in ("page", "language", "injected")} == {
        "page": "/leg-cramps", "language": "en", "injected": None}


def test_buttons_arrive_as_quick_replies_images_as_attachments_and_the_emergency_as_text(
        rasa_server, client_for) -> None:
    # What widgets other than ours read: rasa-webchat and Rasa's own widget.
    client = client_for()
    session = client.request_session()
    client.say("I get cramps in my calves at night")
    asked = [m for m in client.replies() if m.get("quick_replies")]
    assert {"content_type": "text", "title": "None of these", "payload": "/deny"} in asked[-1]["quick_replies"]
    client.say("my calf is swollen and I can't breathe")
    assert any(m.get("text", "").startswith("⚠️ Call 911 now") for m in client.replies())  # text, not only a banner
    request = urllib.request.Request(
        f"{rasa_server.url}/conversations/{session}/tracker/events?token={rasa_server.token}"
        "&execute_side_effects=true&output_channel=socketio",
        data=json.dumps([{"event": "bot", "data": {"image": "https://clinic.example/calf-stretch.png"}}]).encode(),
        method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=30).close()
    assert {"attachment": {"type": "image", "payload": {"src": "https://clinic.example/calf-stretch.png"}}} in [
        {key: m[key] for key in ("attachment",) if key in m} for m in client.replies()]
