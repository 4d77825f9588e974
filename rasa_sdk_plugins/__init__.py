"""The action server's start-up additions. rasa_sdk imports a package of this
name, if there is one, and calls `init_hooks` (its plugin mechanism,
rasa_sdk.plugin); the hook below then receives the action server's app.

- Log records on one line, no library deprecation warnings (runtime.logs).
- ACTION_SERVER_SECRET, when set, is required from every caller of the
  webhook as the `X-Action-Server-Secret` header (endpoints.yml sends it from
  the Rasa server); without it, anyone who can reach the action server could
  run any action. An action server listening beyond loopback (ACTION_HOST)
  refuses to start without the secret.
"""

from __future__ import annotations

import hmac
from http import HTTPStatus

import pluggy
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from runtime.logs import one_line_records, quiet_library_warnings
from runtime.settings import is_loopback, settings

SECRET_VARIABLE = "ACTION_SERVER_SECRET"
SECRET_HEADER = "X-Action-Server-Secret"

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class ActionServerStartUp:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        one_line_records()
        quiet_library_warnings()
        current = settings()
        secret = current.action_server_secret or ""
        host = current.action_listen_host
        if not secret:
            if not is_loopback(host):
                raise SystemExit(f"The action server would listen on {host} without a secret: set "
                                 f"{SECRET_VARIABLE} (the same value for the Rasa server), or listen on 127.0.0.1.")
            return

        @app.middleware("request")
        async def require_secret(request: Request) -> HTTPResponse | None:
            if request.path.rstrip("/") == "/health":
                return None
            if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
                return response.json({"error": f"this action server needs the {SECRET_HEADER} header"},
                                     status=HTTPStatus.UNAUTHORIZED)
            return None


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(ActionServerStartUp())
