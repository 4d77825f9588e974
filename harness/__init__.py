"""What the tests and the benchmark share to run the servers: free ports,
processes started in a process group of their own and stopped with it,
waiting for a server to answer, throwaway PostgreSQL schemas, and the
servers' quiet environment."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_group(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """A process in a process group of its own (so that stopping it stops
    everything it started), its output appended to `log`."""
    with log.open("a") as output:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_group(process: subprocess.Popen | None, sig: signal.Signals = signal.SIGTERM, seconds: float = 30) -> None:
    """Sends the process's group `sig`, and SIGKILL if it has not ended within `seconds`."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


class ServerDidNotStart(RuntimeError):
    pass


def wait_for_http(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    """Waits until `url` answers; raises ServerDidNotStart (with the log's end)
    if the process stops first or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDidNotStart(f"the server stopped while starting:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise ServerDidNotStart(f"{url} did not answer within {seconds} s:\n{log.read_text()[-3000:]}")


def in_schema(url: str, schema: str) -> str:
    """The PostgreSQL URL with its connections in `schema` (`search_path`)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema(prefix: str, url: str = POSTGRES_URL) -> Iterator[str]:
    """A PostgreSQL schema of its own for the block (its name starts with
    `prefix`), dropped afterwards; yields its name (see `in_schema`)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def server_environment() -> dict[str, str]:
    """The servers' environment: the caller's, quiet, without telemetry."""
    # Without RASA_AUTH_TOKEN: the benchmark's REST calls carry none (the servers' API stays off).
    environment = {name: value for name, value in os.environ.items() if name != "RASA_AUTH_TOKEN"}
    return {"ACTION_SERVER_SECRET": "", **environment, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
