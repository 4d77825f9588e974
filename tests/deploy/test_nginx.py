"""deploy/nginx/assistant.conf.template in Debian's nginx, in front of a
stand-in for the Rasa replicas that answers with the X-Forwarded-For it was
given: behind the clinic's TLS load balancer the visitor's own address is the
client (for the per-address limits, and for the Rasa server), and only from
the proxies the deployment trusts."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness import free_port
from tests.deploy.nginx import nginx_binary, render_nginx, write_real_ip

pytestmark = pytest.mark.deploy

LOAD_BALANCER = "127.0.0.1"  # the tests' requests come from here: the balancer's place


class EchoForwardedFor(BaseHTTPRequestHandler):
    """A replica's stand-in: answers with the X-Forwarded-For it received."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"x_forwarded_for": self.headers.get("X-Forwarded-For")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def replica() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoForwardedFor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@contextmanager
def nginx(folder: Path, replica: str, trusted_proxies: str) -> Iterator[str]:
    port = free_port()
    main = render_nginx(folder, port, (replica, replica), trusted_proxies)
    process = subprocess.Popen([nginx_binary(), "-p", str(folder), "-c", str(main), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if process.poll() is not None:
                pytest.fail(f"nginx did not start:\n{(folder / 'error.log').read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/", timeout=2)
            except urllib.error.HTTPError:
                break  # the 404 of `location /`: nginx answers
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=30)


def message(url: str, forwarded_for: str | None) -> tuple[int, str | None]:
    """A REST message through nginx, as the load balancer passes it on; nginx's
    status and the X-Forwarded-For the replica received."""
    headers = {"Content-Type": "application/json", **({"X-Forwarded-For": forwarded_for} if forwarded_for else {})}
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=b'{"sender": "a", "message": "hi"}',
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())["x_forwarded_for"]
    except urllib.error.HTTPError as error:
        return error.code, None


def test_behind_a_trusted_balancer_the_visitor_is_the_client(replica: str, tmp_path: Path) -> None:
    with nginx(tmp_path, replica, f"{LOAD_BALANCER}/32 10.0.0.0/8") as url:
        # The balancer appended the visitor (203.0.113.9); the visitor had written one of its own.
        assert message(url, "198.51.100.7, 203.0.113.9") == (200, "203.0.113.9")
        # Through two trusted hops (10.1.2.3 is another balancer), the first untrusted address.
        assert message(url, "203.0.113.10, 10.1.2.3") == (200, "203.0.113.10")
    assert "203.0.113.9 " in (tmp_path / "access.log").read_text()


def test_the_header_is_ignored_from_anyone_not_trusted(replica: str, tmp_path: Path) -> None:
    with nginx(tmp_path, replica, "10.0.0.0/8") as url:
        assert message(url, "203.0.113.9") == (200, LOAD_BALANCER)
        assert message(url, None) == (200, LOAD_BALANCER)


@pytest.mark.parametrize("trusted, shared", [(f"{LOAD_BALANCER}/32", False), ("", True)],
                         ids=["trusted balancer: per visitor", "no trusted proxy: one address for all"])
def test_one_visitor_over_the_rate_does_not_slow_down_another(replica: str, tmp_path: Path, trusted: str,
                                                              shared: bool) -> None:
    with nginx(tmp_path, replica, trusted) as url:
        flood = [message(url, "203.0.113.1")[0] for _ in range(100)]
        assert 503 in flood  # limit_req: 5 a second, bursts of 20
        other = message(url, "203.0.113.2")[0]
    assert (other == 503) is shared


@pytest.mark.parametrize("value", ["10.0.0.0/8; include /etc/passwd", "*", "10.0.0.0/8/8", "example.com"])
def test_anything_but_addresses_stops_nginx_naming_the_variable(value: str, tmp_path: Path) -> None:
    result = write_real_ip(tmp_path / "real-ip.conf", value)
    assert result.returncode != 0 and "NGINX_TRUSTED_PROXIES" in result.stderr
