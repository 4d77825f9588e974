"""The start (`python -m runtime.settings`, which every start script runs
first) refuses a server that listens beyond loopback while CLINIC_PHONE is
unset, data/knowledge/clinic.yml's placeholder, or a "set me" without digits:
every apology and booking reply tells patients to call it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from knowledge_base.db import PROJECT_ROOT
from runtime.settings import clinic_defaults

PLACEHOLDER = clinic_defaults()["phone"]
EXPOSED = {"RASA_HOST": "0.0.0.0", "RASA_REST_TOKEN": "rest-token-for-the-test"}


def start_check(**environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime.settings"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=60, env={"PATH": os.environ["PATH"], **environment})


@pytest.mark.parametrize("phone", [None, PLACEHOLDER, "+1 (555) 010-0100", "555.010.0100",
                                   "SET ME: the clinic's phone number", ""])
@pytest.mark.parametrize("exposed", [EXPOSED, {"ACTION_HOST": "0.0.0.0"}], ids=["rasa", "actions"])
def test_beyond_loopback_the_placeholder_is_refused_naming_clinic_phone(phone: str | None,
                                                                         exposed: dict[str, str]) -> None:
    result = start_check(**exposed, **({"CLINIC_PHONE": phone} if phone is not None else {}))
    assert result.returncode == 1
    assert "Set CLINIC_PHONE to the clinic's real phone number" in result.stderr


def test_the_clinics_own_number_starts() -> None:
    assert start_check(**EXPOSED, CLINIC_PHONE="+1 212 555 0142").returncode == 0


def test_on_loopback_the_placeholder_is_fine_for_trying_it_out() -> None:
    assert PLACEHOLDER == "(555) 010-0100"
    assert start_check().returncode == 0


def test_every_start_script_runs_the_check_before_anything_else() -> None:
    for script in ("scripts/serve.sh", "deploy/docker/serve-rasa.sh", "deploy/docker/serve-actions.sh"):
        code = "\n".join(line for line in (PROJECT_ROOT / script).read_text().splitlines()
                         if not line.lstrip().startswith("#"))
        servers = [code.index(server) for server in ("-m rasa_sdk", "-m channels.server") if server in code]
        assert servers and code.index("-m runtime.settings") < min(servers), script
