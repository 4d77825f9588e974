"""deploy/compose.yaml, validated by Compose itself (`docker compose config`,
or Debian's `docker-compose config`) with an env file of placeholders: it is
valid, takes every secret from the env file, and wires each replica as the
container test runs them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge_base.db import PROJECT_ROOT

pytestmark = pytest.mark.deploy

COMPOSE_FILE = PROJECT_ROOT / "deploy" / "compose.yaml"
SETTINGS = {
    "POSTGRES_PASSWORD": "postgres-placeholder", "REDIS_PASSWORD": "redis-placeholder",
    "ACTION_SERVER_SECRET": "action-placeholder", "RASA_AUTH_TOKEN": "token-placeholder",
    "SOCKETIO_SESSION_KEY": "session-placeholder", "RASA_CORS_ORIGINS": "https://www.clinic.example",
    "CLINIC_PHONE": "(555) 010-0100", "CLINIC_BOOKING_URL": "https://clinic.example/book", "IMAGE_TAG": "0.1.0-test",
}


def compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("neither `docker compose` nor `docker-compose` is installed (`apt-get install docker-compose`; "
                ".ci/run installs it when root)")


def config(settings: dict[str, str], folder: Path) -> subprocess.CompletedProcess[str]:
    env_file = folder / "compose.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    # Only the env file: none of this machine's variables may fill the file's gaps.
    env = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG")}
    return subprocess.run([*compose_command(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"],
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    result = config(SETTINGS, tmp_path_factory.mktemp("compose"))
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def test_compose_validates_the_file_with_every_service(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", "redis", "kb-build", "actions-1", "actions-2", "rasa-1", "rasa-2", "nginx"}
    assert services["kb-build"]["command"] == ["python", "-m", "knowledge_base", "build"]


@pytest.mark.parametrize("secret", ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "ACTION_SERVER_SECRET",
                                    "RASA_AUTH_TOKEN", "SOCKETIO_SESSION_KEY"])
def test_a_secret_missing_from_the_env_file_stops_compose_naming_it(secret: str, tmp_path: Path) -> None:
    result = config({name: value for name, value in SETTINGS.items() if name != secret}, tmp_path)
    assert result.returncode != 0 and secret in result.stderr


def test_each_replica_has_its_action_server_and_they_share_sessions_and_stores(services: dict[str, Any]) -> None:
    rasa = [services["rasa-1"]["environment"], services["rasa-2"]["environment"]]
    assert [env["ACTION_SERVER_URL"] for env in rasa] == ["http://actions-1:5055/webhook",
                                                          "http://actions-2:5055/webhook"]
    for name in ("SOCKETIO_SESSION_KEY", "TRACKER_STORE_URL", "REDIS_URL", "RASA_AUTH_TOKEN", "ACTION_SERVER_SECRET"):
        assert rasa[0][name] == rasa[1][name] != "", name
    assert rasa[0]["TRACKER_STORE_URL"].startswith("postgresql://assistant:postgres-placeholder@postgres:5432/")
    assert services["actions-1"]["environment"]["ACTION_SERVER_SECRET"] == rasa[0]["ACTION_SERVER_SECRET"]
    for name in ("rasa-1", "rasa-2", "actions-1", "actions-2", "kb-build"):
        assert services[name]["read_only"] is True, name


def test_every_variable_compose_reads_is_listed_in_env_example() -> None:
    read = set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", COMPOSE_FILE.read_text()))
    example = (PROJECT_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert read and read - listed == set()


def test_nginx_fronts_both_replicas_with_the_template_the_container_test_uses(services: dict[str, Any]) -> None:
    nginx = services["nginx"]
    assert (nginx["environment"]["RASA_1"], nginx["environment"]["RASA_2"]) == ("rasa-1:5005", "rasa-2:5005")
    mounts = [volume if isinstance(volume, str) else f"{volume['source']}:{volume['target']}"
              for volume in nginx["volumes"]]
    template = str(PROJECT_ROOT / "deploy" / "nginx" / "assistant.conf.template")
    assert any(mount.startswith(f"{template}:/etc/nginx/templates/") for mount in mounts), mounts
