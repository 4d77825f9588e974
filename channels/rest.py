"""The REST channel (`POST /webhooks/rest/webhook`), refusing malformed
requests with a 400 that says what is wrong, instead of a 500.

REST takes the conversation id (`sender`) it is given, so it is for trusted
back-ends only: when RASA_AUTH_TOKEN is set, the webhook requires it too, as
`Authorization: Bearer <token>` or `?token=<token>`, and answers 401 without
it. Never expose REST to browsers without it (the widget uses socket.io)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from runtime.settings import settings
from turns.messages import checked_messages

# Rasa's SQL tracker store keeps sender ids in a 255-character column.
MAX_SENDER_CHARACTERS = 255
EXPECTED = 'a JSON object {"sender": "<id>", "message": "<text>"}'


def request_problem(body: bytes) -> str | None:
    """What is wrong with a webhook request body, or None."""
    try:
        request = json.loads(body)
    except ValueError:
        return f"the body is not JSON; expected {EXPECTED}"
    if not isinstance(request, dict):
        return f"expected {EXPECTED}"
    if not isinstance(request.get("message"), str):
        return '"message" must be a string'
    sender = request.get("sender", "default")
    if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_CHARACTERS:
        return f'"sender" must be a string of 1 to {MAX_SENDER_CHARACTERS} characters'
    if not isinstance(request.get("metadata", {}), dict):
        return '"metadata" must be an object'
    return None


def token_given(request: Request) -> str:
    """The token a request carries: `Authorization: Bearer <token>`, else `?token=`."""
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.args.get("token") or ""


class ClinicRestInput(RestInput):
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest_webhook = super().blueprint(checked_messages(on_new_message))
        token = settings().auth_token or ""

        @rest_webhook.middleware("request")
        async def refuse_malformed(request: Request) -> HTTPResponse | None:
            if request.method == "POST" and request.path.rstrip("/").endswith("/webhook"):
                if token and not hmac.compare_digest(token_given(request).encode(), token.encode()):
                    return response.json({"error": "this webhook needs the server's token "
                                                   "(Authorization: Bearer <token>, or ?token=<token>)"},
                                         status=HTTPStatus.UNAUTHORIZED)
                problem = request_problem(request.body)
                if problem:
                    return response.json({"error": problem}, status=HTTPStatus.BAD_REQUEST)
            return None

        return rest_webhook
