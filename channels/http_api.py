"""The Rasa server's HTTP API, as this project exposes it.

- The token (RASA_AUTH_TOKEN) is also accepted as `Authorization: Bearer
  <token>`, so that it need not be in URLs (which proxies log). Rasa 3.6
  reads it only from `?token=`: a valid header is handed to Rasa's check as
  that argument.
- `PUT /model` (load a model from any URL or path) and `DELETE /model`
  (unload it) are refused: models come only from the image or `models/`.
- A conversation id in a URL may be percent-encoded (`web%3A…` for the
  channels' `web:…`, `slack:…`, `telegram:…` ids, as most HTTP clients write
  them). Sanic leaves Rasa's `<conversation_id:path>` as it came, so it is
  decoded here, after routing and before Rasa's handler reads it.
- The texts Rasa parses (`POST /model/parse`, `POST
  /conversations/<id>/messages`) are read as the channels read them: normalised
  (`turns.text.normalise`), and refused (413, a JSON error, never parsed) past
  the channels' cap, `turns.messages.MAX_MESSAGE_CHARACTERS`; Rasa took any
  length there.
- `POST /conversations/<id>/trigger_intent` keeps only the entity values
  buttons send, as the channels do (`turns.known_values`).
"""

from __future__ import annotations

import hmac
import re
from asyncio import AbstractEventLoop
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import unquote

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.rest import token_given
from turns.known_values import entities_with_known_values
from turns.messages import MAX_MESSAGE_CHARACTERS
from turns.text import normalise

MODEL_CHANGES = {"PUT", "DELETE"}
# The API's routes whose `text` Rasa parses.
PARSED_TEXT_ROUTES = re.compile(r"/model/parse|/conversations/.+/messages")
TRIGGER_INTENT_ROUTE = re.compile(r"/conversations/.+/trigger_intent")


def checked_text(request: Request) -> HTTPResponse | None:
    """For a route that parses `text`: the text normalised in the request's JSON, or
    a 413 if it is longer than the channels' cap. Other bodies are left to Rasa's checks."""
    try:
        body = request.json
    except Exception:  # not JSON: Rasa answers it with its own 400
        return None
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return None
    body["text"] = normalise(body["text"])
    if len(body["text"]) > MAX_MESSAGE_CHARACTERS:
        return response.json({"error": f"the text is longer than {MAX_MESSAGE_CHARACTERS:,} characters, the most "
                                       f"this server reads in one message; it was not read",
                              "max_characters": MAX_MESSAGE_CHARACTERS},
                             status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    return None


def keep_known_entities(request: Request, app: Sanic) -> None:
    """`trigger_intent`'s entities become slots as a button's do: only the values
    buttons send are kept (turns.known_values), whoever holds the API's token."""
    try:
        body = request.json
    except Exception:  # not JSON: Rasa answers it with its own 400
        return
    agent = getattr(app.ctx, "agent", None)
    if isinstance(body, dict) and "entities" in body and agent is not None and agent.domain is not None:
        body["entities"] = entities_with_known_values(body["entities"], agent.domain)


def http_api_guard(token: str | None) -> Callable[[Sanic, AbstractEventLoop], None]:
    """A `before_server_start` listener that adds the rules above to the app."""

    def attach(app: Sanic, _loop: AbstractEventLoop) -> None:
        @app.middleware("request")
        async def guard_http_api(request: Request) -> HTTPResponse | None:
            if request.method in MODEL_CHANGES and request.path.rstrip("/") == "/model":
                return response.json({"error": "models are not loaded or unloaded over the API on this server; "
                                               "they come with the deployment (models/)"},
                                     status=HTTPStatus.FORBIDDEN)
            if request.method == "POST" and PARSED_TEXT_ROUTES.fullmatch(request.path.rstrip("/")):
                refused = checked_text(request)
                if refused is not None:
                    return refused
            if request.method == "POST" and TRIGGER_INTENT_ROUTE.fullmatch(request.path.rstrip("/")):
                keep_known_entities(request, app)
            conversation_id = request.match_info.get("conversation_id")
            if isinstance(conversation_id, str) and "%" in conversation_id:
                request.match_info["conversation_id"] = unquote(conversation_id)
            if token and "token" not in request.args:
                given = token_given(request)
                if given and hmac.compare_digest(given.encode(), token.encode()):
                    request.args["token"] = [token]
            return None

    return attach

