"""The REST channel (`POST /webhooks/rest/webhook`), for the clinic's trusted
back-ends, refusing malformed requests with a 400 that says what is wrong,
instead of a 500.

REST takes the conversation id (`sender`) it is given, so:
- it has a token of its own, RASA_REST_TOKEN, sent as `Authorization: Bearer
  <token>` (or `?token=<token>`); without it the webhook answers 401. Beyond
  loopback (RASA_HOST) the token is required (the start is refused without
  it) and it is the only one accepted. On loopback, the HTTP API's token
  (RASA_AUTH_TOKEN) is accepted too, as before REST had its own; with neither
  set, REST on loopback is open, for local use. REST's token never opens the
  HTTP API (runtime.settings refuses the two being equal);
- a sender in another channel's namespace (`slack:…`, `telegram:…`, `web:…`)
  is refused (400), so that REST cannot write into, or read the replies of, a
  Slack, Telegram or widget conversation. Any other sender is kept as it is;
- each sender has a rate (turns.limits.REST_BURST_MESSAGES, then
  REST_MESSAGES_PER_MINUTE); past it, the polite "slow down" reply, after any
  emergency advice the message calls for.

Never give REST's token to browsers (the widget uses socket.io)."""

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

from channels.common import NAMESPACES
from runtime.settings import Settings, is_loopback, rest_problems, settings
from turns.limits import REST_BURST_MESSAGES, REST_MESSAGES_PER_MINUTE, MessageRate
from turns.messages import checked_messages

# Rasa's SQL tracker store keeps sender ids in a 255-character column.
MAX_SENDER_CHARACTERS = 255
EXPECTED = 'a JSON object {"sender": "<id>", "message": "<text>"}'
# REST's senders, by the id they give.
sender_rate = MessageRate(REST_BURST_MESSAGES, REST_MESSAGES_PER_MINUTE)


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
    namespace = next((name for name in NAMESPACES if sender.lower().startswith(f"{name}:")), None)
    if namespace:
        return (f'"sender" may not start with "{namespace}:": that is the {namespace} channel\'s conversations. '
                "Use an id without a channel's prefix")
    if not isinstance(request.get("metadata", {}), dict):
        return '"metadata" must be an object'
    return None


def token_given(request: Request) -> str:
    """The token a request carries: `Authorization: Bearer <token>`, else `?token=`."""
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.args.get("token") or ""


def accepted_tokens(current: Settings) -> tuple[str, ...]:
    """The tokens that open REST (see the module's docstring); none: REST is open."""
    for problem in rest_problems(current):  # refused at start already; never open REST, whoever started it
        raise problem
    if is_loopback(current.rasa_host):
        return tuple(token for token in (current.rest_token, current.auth_token) if token)
    return tuple(token for token in (current.rest_token,) if token)


def token_accepted(given: str, tokens: tuple[str, ...]) -> bool:
    return any(hmac.compare_digest(given.encode(), token.encode()) for token in tokens)


class ClinicRestInput(RestInput):
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest_webhook = super().blueprint(checked_messages(on_new_message, rate=sender_rate))
        tokens = accepted_tokens(settings())

        @rest_webhook.middleware("request")
        async def refuse_malformed(request: Request) -> HTTPResponse | None:
            if request.method == "POST" and request.path.rstrip("/").endswith("/webhook"):
                if tokens and not token_accepted(token_given(request), tokens):
                    return response.json({"error": "this webhook needs REST's token "
                                                   "(Authorization: Bearer <token>, or ?token=<token>)"},
                                         status=HTTPStatus.UNAUTHORIZED)
                problem = request_problem(request.body)
                if problem:
                    return response.json({"error": problem}, status=HTTPStatus.BAD_REQUEST)
            return None

        return rest_webhook
