"""A local stand-in for Slack's Web API and Telegram's Bot API: the Rasa
server posts its replies here (SLACK_API_URL, TELEGRAM_API_URL), and tests
read what it received. It answers the way the real APIs do, as far as the
connectors read the answers."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ApiCall:
    provider: str  # "slack" or "telegram"
    method: str  # "chat.postMessage", "sendMessage", ...
    fields: dict[str, Any]
    headers: dict[str, str]


@dataclass
class ProviderStandIn:
    telegram_bot_name: str
    calls: list[ApiCall] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    @property
    def slack_api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/api/"

    @property
    def telegram_api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def calls_to(self, provider: str, method: str) -> list[ApiCall]:
        with self.lock:
            return [call for call in self.calls if call.provider == provider and call.method == method]

    def wait_for(self, provider: str, method: str, matching: Any, count: int = 1,
                 seconds: float = 60) -> list[ApiCall]:
        """The calls for which `matching(call)` is true, once there are `count` of them."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [call for call in self.calls_to(provider, method) if matching(call)]
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError(f"{provider} {method}: expected {count} matching calls within {seconds} s, "
                             f"got {[c.fields for c in self.calls_to(provider, method)]}")

    def record(self, call: ApiCall) -> None:
        with self.lock:
            self.calls.append(call)


def _fields(content_type: str, body: bytes) -> dict[str, Any]:
    if content_type.startswith("application/json"):
        return json.loads(body or b"{}")
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        return {part.get_param("name", header="content-disposition"): part.get_content()
                for part in message.iter_parts()}
    return {key: values[0] for key, values in urllib.parse.parse_qs(body.decode()).items()}


def _handler(stand_in: ProviderStandIn) -> type[BaseHTTPRequestHandler]:
    message_ids = iter(range(1, 1_000_000))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fields = _fields(self.headers.get("Content-Type", ""), body)
            headers = {key.lower(): value for key, value in self.headers.items()}
            parts = self.path.strip("/").split("/")
            if parts[0] == "slack":  # /slack/api/<method>
                method = parts[-1]
                stand_in.record(ApiCall("slack", method, fields, headers))
                self.reply({"ok": True, "channel": fields.get("channel"), "ts": f"{time.time():.6f}"})
            elif parts[0] == "telegram":  # /telegram/bot<token>/<method>
                method = parts[-1]
                stand_in.record(ApiCall("telegram", method, fields, headers))
                self.reply({"ok": True, "result": self.telegram_result(method, fields)})
            else:
                self.send_error(404)

        do_GET = do_POST

        def telegram_result(self, method: str, fields: dict[str, Any]) -> Any:
            if method == "getMe":
                return {"id": 4242, "is_bot": True, "first_name": "Clinic assistant",
                        "username": stand_in.telegram_bot_name}
            if method == "sendMessage":
                return {"message_id": next(message_ids), "date": int(time.time()),
                        "chat": {"id": int(fields["chat_id"]), "type": "private"}, "text": fields.get("text", "")}
            return True

        def reply(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def start(telegram_bot_name: str) -> tuple[ProviderStandIn, ThreadingHTTPServer]:
    stand_in = ProviderStandIn(telegram_bot_name=telegram_bot_name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stand_in))
    stand_in.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return stand_in, server
