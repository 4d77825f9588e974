"""The website widget's socket.io channel: Rasa's, with the JWT key and the
allowed origins taken from the environment, and custom payloads (the triage
banner) delivered instead of crashing."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from channels.turns import checked_messages

# A session id the widget made up, or ours (uuid4 hex); anything else gets a new one.
SESSION_ID_FORMAT = re.compile(r"[A-Za-z0-9_-]{8,64}")


def allowed_origins() -> list[str]:
    """The origins a browser may call the server from (`RASA_CORS_ORIGINS`,
    space-separated; the same variable `make serve` gives `rasa run --cors`)."""
    return os.environ.get("RASA_CORS_ORIGINS", "").split()


class ClinicSocketIOOutput(SocketIOOutput):
    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        # Rasa 3.6 passes the payload's keys to `sio.emit` as arguments, which
        # raises for any key but emit's own. Send it the way the REST channel
        # does: {"custom": {...}}.
        await self._send_message(recipient_id, {"custom": json_message})


class ClinicSocketIOInput(SocketIOInput):
    """Requires a JWT signed with `SOCKETIO_JWT_KEY` when that is set, and
    accepts connections only from the allowed origins (the server's own when
    none are configured), for both the websocket and polling transports."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        options = dict(credentials or {})
        options["jwt_key"] = os.environ.get("SOCKETIO_JWT_KEY") or None
        return super().from_credentials(options)

    def get_output_channel(self) -> OutputChannel | None:
        return ClinicSocketIOOutput(self.sio, self.bot_message_evt) if self.sio else super().get_output_channel()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        on_new_message = checked_messages(on_new_message)
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        # Rasa turns engine.io's origin check off ([]) and leaves it to Sanic's
        # CORS, which browsers do not apply to websockets. None means "this
        # server's own origin only".
        sio.eio.cors_allowed_origins = allowed_origins() or None
        # The session each connection asked for: a message is accepted only for
        # the connection's own session, so no socket can write into another
        # person's conversation by naming its id.
        owned: dict[str, str] = {}

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str, *_reason: Any) -> None:
            owned.pop(sid, None)

        # Replaces Rasa's handler: python-socketio 5.10+ made `enter_room` a
        # coroutine that Rasa 3.6 does not await, so the session's room was
        # never joined and no reply reached the browser.
        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not isinstance(session_id, str) or not SESSION_ID_FORMAT.fullmatch(session_id):
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            owned[sid] = session_id
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        # Replaces Rasa's handler (same logic) so that replies go through
        # ClinicSocketIOOutput.
        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                if not data.get("session_id") or owned.get(sid) != data["session_id"]:
                    return  # no session asked for yet, or someone else's
                sender_id = str(data["session_id"])
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            message = data.get("message", "")
            await on_new_message(UserMessage(
                message if isinstance(message, str) else "", ClinicSocketIOOutput(sio, self.bot_message_evt),
                sender_id, input_channel=self.name(), metadata=metadata,
            ))

        return socketio_webhook
