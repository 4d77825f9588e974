"""Real servers for end-to-end tests: `scripts/serve.sh` (what `make serve`
runs) started once per test session on free ports, with the trained model
that `make test` trained before pytest started."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from knowledge_base.db import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped while starting:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


@dataclass
class RunningServer:
    url: str
    token: str
    rasa_port: int
    action_port: int


@pytest.fixture(scope="session")
def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(CLINIC_NAME="the test clinic", CLINIC_PHONE="555-0123",
               CLINIC_BOOKING_URL="https://clinic.example/book",
               RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
               SQLALCHEMY_SILENCE_UBER_WARNING="1", PYTHONWARNINGS="ignore::DeprecationWarning")
    return env


@pytest.fixture(scope="session")
def rasa_server(trained_model: Path, server_env: dict[str, str],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = RunningServer(url="", token=secrets.token_hex(16), rasa_port=free_port(), action_port=free_port())
    server.url = f"http://127.0.0.1:{server.rasa_port}"
    env = {**server_env, "RASA_PORT": str(server.rasa_port), "ACTION_PORT": str(server.action_port),
           "RASA_AUTH_TOKEN": server.token}
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen([str(PROJECT_ROOT / "scripts" / "serve.sh")], cwd=PROJECT_ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"{server.url}/", process, log, seconds=420)
        wait_for(f"http://127.0.0.1:{server.action_port}/health", process, log, seconds=30)
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
