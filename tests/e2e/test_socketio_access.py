"""Who may open the widget's socket.io connection: only pages from the
configured origins, and only with a token signed with SOCKETIO_JWT_KEY."""

from __future__ import annotations

import json
import time
import urllib.request

import jwt
import pytest
import websocket

from tests.e2e.conftest import RunningServer


def visitor_token(key: str, lifetime: int = 600) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "test-visitor", "iat": now, "exp": now + lifetime}, key, algorithm="HS256")


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


def test_the_rest_api_allows_only_the_configured_origins(rasa_server, allowed_origin) -> None:
    def allow_origin_header(origin: str) -> str | None:
        request = urllib.request.Request(f"{rasa_server.url}/", headers={"Origin": origin})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers.get("Access-Control-Allow-Origin")

    assert allow_origin_header(allowed_origin) == allowed_origin
    assert allow_origin_header("https://evil.example") is None


def test_a_socket_can_only_write_into_the_session_it_opened(rasa_server, allowed_origin) -> None:
    import uuid

    url = rasa_server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    connection = websocket.create_connection(url, origin=allowed_origin, timeout=10)
    try:
        assert connection.recv().startswith("0{")
        connection.send("40" + json.dumps({"token": visitor_token(rasa_server.channel_env["SOCKETIO_JWT_KEY"])}))
        assert connection.recv().startswith("40")
        mine, someone_elses = uuid.uuid4().hex, uuid.uuid4().hex
        connection.send("42" + json.dumps(["session_request", {"session_id": mine}]))
        assert json.loads(connection.recv()[2:]) == ["session_confirm", mine]
        intrusion = {"message": "I take a statin", "session_id": someone_elses}
        connection.send("42" + json.dumps(["user_uttered", intrusion]))
        connection.send("42" + json.dumps(["user_uttered", {"message": "hi", "session_id": mine}]))
        first = connection.recv()
        while first == "2":  # an engine.io ping
            connection.send("3")
            first = connection.recv()
        assert first.startswith('42["bot_uttered"')  # the answer to "hi", the only message accepted
    finally:
        connection.close()
    assert [event for event in rasa_server.tracker(someone_elses)["events"] or [] if event["event"] == "user"] == []
    assert [event["text"] for event in rasa_server.tracker(mine)["events"] if event["event"] == "user"] == ["hi"]
