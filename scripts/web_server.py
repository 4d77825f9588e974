"""Serves the website widget's demo page (`make web`) on localhost.

The page is what a clinic's own site would hold: one element and one script
tag. This server fills in the Rasa server's URL and, when the Rasa server
requires one (SOCKETIO_JWT_KEY), a token valid for an hour, as a clinic's
site would mint it for each visitor, and the emergency number of the
clinic's region.
"""

from __future__ import annotations

import html
import time
from functools import lru_cache
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt

from knowledge_base.loader import load_knowledge
from runtime.settings import settings

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
TOKEN_LIFETIME_SECONDS = 3600


def visitor_token(key: str | None) -> str:
    if not key:
        return ""
    now = int(time.time())
    return jwt.encode({"sub": "website-visitor", "iat": now, "exp": now + TOKEN_LIFETIME_SECONDS}, key,
                      algorithm="HS256")


@lru_cache(maxsize=1)
def emergency_number() -> str:
    """The emergency number of the clinic's region (CLINIC_REGION), from data/knowledge/regions.yml."""
    region = settings().clinic.region
    numbers = {r["id"]: r["emergency_number"] for r in load_knowledge().regions}
    if region not in numbers:
        raise SystemExit(f"Unknown CLINIC_REGION '{region}'; known: {', '.join(sorted(numbers))}.")
    return numbers[region]


class DemoPageHandler(SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, directory=str(WEB_ROOT), **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self.send_page()
        elif path.startswith("/widget/") and ".." not in path:
            super().do_GET()
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def send_page(self) -> None:
        host = (self.headers.get("Host") or "localhost").rsplit(":", 1)[0]
        server_url = settings().widget_server_url or f"http://{host}:{settings().rasa_port}"
        page = (WEB_ROOT / "index.html").read_text()
        page = page.replace("{{server_url}}", html.escape(server_url, quote=True))
        page = page.replace("{{token}}", html.escape(visitor_token(settings().socketio_jwt_key), quote=True))
        page = page.replace("{{emergency_number}}", html.escape(emergency_number(), quote=True))
        body = page.encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    port = settings().web_port
    server = ThreadingHTTPServer(("127.0.0.1", port), DemoPageHandler)
    print(f"The widget's demo page: http://localhost:{port}/ (Rasa server: `make serve`)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
