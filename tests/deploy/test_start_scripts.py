"""The containers' start scripts, run with a stand-in `python` that records
what each command was started with: one env file (or ConfigMap) shared by both
servers gives the Rasa server its 64 KiB request limit and never the action
server, which receives whole conversations from the Rasa server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from knowledge_base.db import PROJECT_ROOT

pytestmark = pytest.mark.deploy

SHARED_ENV_FILE = {"SANIC_REQUEST_MAX_SIZE": "65536", "RASA_HOST": "0.0.0.0", "ACTION_HOST": "0.0.0.0"}


def started_with(script: str, folder: Path) -> dict[str, str | None]:
    """Each `python -m <module>` the script ran, and the SANIC_REQUEST_MAX_SIZE it had."""
    log = folder / "python.log"
    stand_in = folder / "python"
    stand_in.write_text('#!/bin/sh\nprintf \'%s\\t%s\\n\' "$2" "${SANIC_REQUEST_MAX_SIZE-unset}" >> "$PYTHON_LOG"\n')
    stand_in.chmod(0o755)
    env = {"PATH": f"{folder}:{os.environ['PATH']}", "PYTHON_LOG": str(log), **SHARED_ENV_FILE}
    result = subprocess.run(["sh", str(PROJECT_ROOT / "deploy" / "docker" / script)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in log.read_text().splitlines()]
    return {module: (None if size == "unset" else size) for module, size in lines}


def test_the_action_server_never_gets_the_rasa_servers_request_limit(tmp_path: Path) -> None:
    started = started_with("serve-actions.sh", tmp_path)
    assert list(started) == ["runtime.settings", "knowledge_base", "rasa_sdk"]
    assert started["rasa_sdk"] is None


def test_the_rasa_server_keeps_it(tmp_path: Path) -> None:
    started = started_with("serve-rasa.sh", tmp_path)
    assert list(started) == ["runtime.settings", "knowledge_base", "channels.server"]
    assert started["channels.server"] == "65536"
