"""The website widget's socket.io channel: Rasa's, with the JWT key and the
allowed origins taken from the environment, custom payloads (the triage
banner) delivered instead of crashing, and conversations that belong to the
browser that started them.

- Session ids are issued by the server and signed (`web:<random>.<signature>`,
  HMAC-SHA256 with `SOCKETIO_SESSION_KEY`). A widget that stores the confirmed
  id and sends it back on reconnect (ours, rasa-webchat, Rasa's own) keeps its
  conversation; any other proposed id gets a new session.
- A message is accepted only for the session the connection opened.
- With `SOCKETIO_JWT_KEY` set, a connection needs a token signed with it that
  has `exp`, lives at most a day, and, when it has a `sub`, the session is
  bound to that subject: another visitor's token cannot reopen it.
- Bounds (turns.limits): 16 KiB per socket.io packet, the metadata
  allow-list, a message rate per connection, per session, per client address
  and per visitor (the JWT's `sub`); connections held at once per address and
  per visitor; `session_request`s per connection. A new session's connection
  leaves the room of the session it had.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any, TypeGuard

import jwt
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from channels.common import WEB_NAMESPACE, client_address
from runtime.settings import settings
from turns.limits import (
    ADDRESS_BURST_MESSAGES,
    ADDRESS_MESSAGES_PER_MINUTE,
    MAX_CONNECTIONS_PER_ADDRESS,
    MAX_CONNECTIONS_PER_VISITOR,
    MAX_SESSION_REQUESTS_PER_CONNECTION,
    VISITOR_BURST_MESSAGES,
    VISITOR_MESSAGES_PER_MINUTE,
    ConnectionCount,
    MessageRate,
)
from turns.messages import checked_messages, sender_rate, slow_down

logger = logging.getLogger(__name__)

SESSION_PREFIX = f"{WEB_NAMESPACE}:"
SESSION_ID_FORMAT = re.compile(r"web:(?P<nonce>[0-9a-f]{32})\.(?P<signature>[A-Za-z0-9_-]{22})")
# The longest a visitor's token may be valid for, from now or from when it was issued.
MAX_TOKEN_SECONDS = 24 * 3600
# One socket.io packet (engine.io's buffer): a message is at most 2,000 characters.
MAX_PACKET_BYTES = 16 * 1024


def origin_allowed(request: dict[str, Any]) -> bool:
    """Whether a connection's page may talk to the server: one of RASA_CORS_ORIGINS,
    or, when none is set, the server's own origin. `request` is the connection's
    WSGI-style request (socket.io's `environ`, HTTP headers as HTTP_*). A client
    that sends no Origin (not a browser page) is let through to the token check."""
    origin = request.get("HTTP_ORIGIN")
    if not origin:
        return True
    scheme = request.get("HTTP_X_FORWARDED_PROTO") or request.get("wsgi.url_scheme") or "http"
    return origin in (settings().cors_origins or [f"{scheme}://{request.get('HTTP_HOST', '')}"])


def connection_address(request: dict[str, Any]) -> str:
    """The client's address for a connection's `environ`: engine.io's Sanic
    driver writes 127.0.0.1 as REMOTE_ADDR whoever connects, so the peer comes
    from Sanic's request; a trusted proxy's X-Forwarded-For is believed
    (channels.common.client_address)."""
    sanic_request = request.get("sanic.request")
    peer = getattr(sanic_request, "ip", "") or request.get("REMOTE_ADDR", "")
    return client_address(peer, request.get("HTTP_X_FORWARDED_FOR"), settings().trusted_proxies)


@lru_cache(maxsize=1)
def session_key() -> bytes:
    """`SOCKETIO_SESSION_KEY`; without it, a key of this process's own, so that
    a conversation survives a page reload but not a restart or a move to
    another replica (set the same key on every replica)."""
    key = settings().socketio_session_key
    if key:
        return key.encode()
    logger.info("SOCKETIO_SESSION_KEY is not set: web chat sessions last until this server stops.")
    return secrets.token_bytes(32)


def _signature(nonce: str, subject: str) -> str:
    digest = hmac.new(session_key(), f"{nonce}|{subject}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def new_session_id(subject: str = "") -> str:
    """A session id signed by this server, for the visitor `subject` (the JWT's `sub`)."""
    nonce = secrets.token_hex(16)
    return f"{SESSION_PREFIX}{nonce}.{_signature(nonce, subject)}"


def is_signed_session_id(session_id: Any, subject: str = "") -> TypeGuard[str]:
    """True for an id this server issued to the same visitor."""
    match = SESSION_ID_FORMAT.fullmatch(session_id) if isinstance(session_id, str) else None
    if match is None:
        return False
    return hmac.compare_digest(match["signature"], _signature(match["nonce"], subject))


def visitor_claims(token: Any, key: str, algorithm: str) -> dict[str, Any] | None:
    """The token's claims if it is signed with the key, has `exp`, and is valid
    for at most MAX_TOKEN_SECONDS; otherwise None (and why, at INFO, without a
    traceback)."""
    if not isinstance(token, str) or not token:
        logger.info("Refused a socket.io connection: no token.")
        return None
    try:
        claims = jwt.decode(token, key, algorithms=[algorithm], options={"require": ["exp"]})
    except jwt.PyJWTError as error:
        logger.info("Refused a socket.io connection: %s.", error.__class__.__name__)
        return None
    now = time.time()
    issued = claims.get("iat")
    if claims["exp"] - now > MAX_TOKEN_SECONDS or (
            isinstance(issued, (int, float)) and now - issued > MAX_TOKEN_SECONDS):
        logger.info("Refused a socket.io connection: the token is valid for longer than %d s.", MAX_TOKEN_SECONDS)
        return None
    subject = claims.get("sub")
    return {**claims, "sub": subject if isinstance(subject, str) else ""}


class ClinicSocketIOOutput(SocketIOOutput):
    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        # Rasa 3.6 passes the payload's keys to `sio.emit` as arguments, which
        # raises for any key but emit's own. Send it the way the REST channel
        # does: {"custom": {...}}.
        await self.sio.emit(self.bot_message_evt, {"custom": json_message}, room=recipient_id)


class ClinicSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with the rules in the module's docstring, for
    both the websocket and polling transports."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        options = dict(credentials or {})
        options["jwt_key"] = settings().socketio_jwt_key
        return super().from_credentials(options)

    def get_output_channel(self) -> OutputChannel | None:
        return ClinicSocketIOOutput(self.sio, self.bot_message_evt) if self.sio else super().get_output_channel()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = checked_messages(on_new_message, rate=sender_rate)
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        # Sanic's CORS (Rasa's `--cors`, the same RASA_CORS_ORIGINS) gives every
        # HTTP response, long-polling included, its one Access-Control-Allow-Origin;
        # engine.io's own CORS would add a second, which browsers refuse ("contains
        # multiple values"), so it stays off ([]) and the origin is checked below,
        # on connect, for the websocket and the polling transport alike.
        sio.eio.cors_allowed_origins = []
        sio.eio.max_http_buffer_size = MAX_PACKET_BYTES
        session_key()  # made (or read) at start, not on the first visitor
        # Per connection: the visitor its token names ("" without tokens), its
        # client's address, the session it opened, and how many it asked for.
        subjects: dict[str, str] = {}
        addresses: dict[str, str] = {}
        owned: dict[str, str] = {}
        session_requests: dict[str, int] = {}
        connection_rate = MessageRate()
        address_rate = MessageRate(ADDRESS_BURST_MESSAGES, ADDRESS_MESSAGES_PER_MINUTE)
        visitor_rate = MessageRate(VISITOR_BURST_MESSAGES, VISITOR_MESSAGES_PER_MINUTE)
        address_connections = ConnectionCount(MAX_CONNECTIONS_PER_ADDRESS)
        visitor_connections = ConnectionCount(MAX_CONNECTIONS_PER_VISITOR)

        def accept(sid: str, address: str, subject: str) -> bool:
            """Counts the connection for its address and its visitor, unless either holds its limit."""
            if not address_connections.open(address):
                logger.info("Refused a socket.io connection: its address holds %d already.",
                            MAX_CONNECTIONS_PER_ADDRESS)
                return False
            if subject and not visitor_connections.open(subject):
                address_connections.close(address)
                logger.info("Refused a socket.io connection: its visitor holds %d already.",
                            MAX_CONNECTIONS_PER_VISITOR)
                return False
            subjects[sid], addresses[sid] = subject, address
            return True

        # Replaces Rasa's handler: the token must have `exp` and a bounded
        # lifetime, and a bad one is refused without a traceback in the log.
        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: dict, auth: Any) -> bool:
            if not origin_allowed(environ):
                logger.info("Refused a socket.io connection from an origin not in RASA_CORS_ORIGINS.")
                return False
            address = connection_address(environ)
            if not self.jwt_key:
                return accept(sid, address, "")
            token = auth.get("token") if isinstance(auth, dict) else None
            claims = visitor_claims(token, self.jwt_key, self.jwt_algorithm)
            if claims is None:
                return False
            return accept(sid, address, claims["sub"])

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *_reason: Any) -> None:
            if sid in addresses:
                address_connections.close(addresses.pop(sid))
            subject = subjects.pop(sid, "")
            if subject:
                visitor_connections.close(subject)
            owned.pop(sid, None)
            session_requests.pop(sid, None)
            connection_rate.forget(sid)

        # Replaces Rasa's handler: the session id is the server's (see the
        # module's docstring), a connection asks for a bounded number, and it
        # leaves the room of the session it had (each room it stays in is kept
        # in memory until it disconnects). Also, python-socketio 5.10+ made
        # `enter_room` a coroutine that Rasa 3.6 does not await.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            if sid not in addresses:
                return  # not (or no longer) connected
            session_requests[sid] = session_requests.get(sid, 0) + 1
            if session_requests[sid] > MAX_SESSION_REQUESTS_PER_CONNECTION:
                logger.info("Closed a socket.io connection that asked for more than %d sessions.",
                            MAX_SESSION_REQUESTS_PER_CONNECTION)
                await sio.disconnect(sid, namespace=self.namespace)
                return
            subject = subjects.get(sid, "")
            proposed = data.get("session_id") if isinstance(data, dict) else None
            session_id = proposed if is_signed_session_id(proposed, subject) else new_session_id(subject)
            previous = owned.get(sid)
            if self.session_persistence:
                if previous and previous != session_id:
                    await sio.leave_room(sid, previous, namespace=self.namespace)
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            owned[sid] = session_id
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        # Replaces Rasa's handler: only the connection's own session, the
        # connection's rate, and replies through ClinicSocketIOOutput.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                if not data.get("session_id") or owned.get(sid) != data["session_id"]:
                    return  # no session asked for yet, or someone else's
                sender_id = owned[sid]
            else:
                sender_id = sid
            output = ClinicSocketIOOutput(sio, self.bot_message_evt)
            message = data.get("message")
            if message is None:
                return  # nobody typed it: a widget's start with no `initPayload` (rasa-webchat's default)
            message = message if isinstance(message, str) else ""
            # Every bucket the message falls in: its connection's, its client
            # address's, its visitor's (the session's is turns.messages').
            subject = subjects.get(sid, "")
            if not (connection_rate.allow(sid) and address_rate.allow(addresses.get(sid, ""))
                    and (not subject or visitor_rate.allow(subject))):
                await slow_down(output, sender_id, message, sender_id)
                return
            # The configured key (`metadata_key`), or `customData`, as rasa-webchat and
            # Rasa's own widget send it.
            metadata = data.get(self.metadata_key) or data.get("customData") or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            await on_new_message(UserMessage(message, output, sender_id, input_channel=self.name(),
                                             metadata=metadata))

        return socketio_webhook
