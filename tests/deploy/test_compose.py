"""deploy/compose.yaml, validated by Compose itself (`docker compose config`,
or Debian's `docker-compose config`) with an env file of placeholders: it is
valid, takes every secret from the env file, wires each replica as the
container test runs them, gives the stores' passwords apart from their URLs
(percent-encoded by the images' entrypoint), purges old conversations daily,
trusts X-Forwarded-For only from nginx's network and the configured proxies,
and keeps the Rasa server's request-size limit away from the action server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from knowledge_base.db import PROJECT_ROOT
from runtime.settings import redis_settings
from tests.deploy.test_store_urls import base64_password, environment_after

pytestmark = pytest.mark.deploy

COMPOSE_FILE = PROJECT_ROOT / "deploy" / "compose.yaml"
# Passwords as `openssl rand -base64 32` makes them: `/`, `+` and `=` in each.
POSTGRES_PASSWORD, REDIS_PASSWORD = base64_password(), base64_password()
SETTINGS = {
    "POSTGRES_PASSWORD": POSTGRES_PASSWORD, "REDIS_PASSWORD": REDIS_PASSWORD,
    "ACTION_SERVER_SECRET": "action-placeholder", "RASA_AUTH_TOKEN": "token-placeholder",
    "RASA_REST_TOKEN": "rest-placeholder",
    "SOCKETIO_SESSION_KEY": "session-placeholder", "RASA_CORS_ORIGINS": "https://www.clinic.example",
    "CLINIC_PHONE": "+1 212 555 0142", "CLINIC_BOOKING_URL": "https://clinic.example/book", "IMAGE_TAG": "0.1.0-test",
    "NGINX_TRUSTED_PROXIES": "10.20.0.0/16 10.30.0.5",
}
SERVERS = ("rasa-1", "rasa-2", "actions-1", "actions-2", "kb-build", "purge")


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
    assert set(services) == {"postgres", "redis", "nginx", *SERVERS}
    assert services["kb-build"]["command"] == ["python", "-m", "knowledge_base", "build"]


@pytest.mark.parametrize("secret", ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "ACTION_SERVER_SECRET",
                                    "RASA_AUTH_TOKEN", "RASA_REST_TOKEN", "SOCKETIO_SESSION_KEY"])
def test_a_secret_missing_from_the_env_file_stops_compose_naming_it(secret: str, tmp_path: Path) -> None:
    result = config({name: value for name, value in SETTINGS.items() if name != secret}, tmp_path)
    assert result.returncode != 0 and secret in result.stderr


def test_each_replica_has_its_action_server_and_they_share_sessions_and_stores(services: dict[str, Any]) -> None:
    rasa = [services["rasa-1"]["environment"], services["rasa-2"]["environment"]]
    assert [env["ACTION_SERVER_URL"] for env in rasa] == ["http://actions-1:5055/webhook",
                                                          "http://actions-2:5055/webhook"]
    for name in ("SOCKETIO_SESSION_KEY", "TRACKER_STORE_URL", "REDIS_URL", "RASA_AUTH_TOKEN", "RASA_REST_TOKEN",
                 "ACTION_SERVER_SECRET", "TRUSTED_PROXIES"):
        assert rasa[0][name] == rasa[1][name] != "", name
    assert rasa[0]["RASA_REST_TOKEN"] != rasa[0]["RASA_AUTH_TOKEN"]
    assert services["actions-1"]["environment"]["ACTION_SERVER_SECRET"] == rasa[0]["ACTION_SERVER_SECRET"]
    for name in SERVERS:
        assert services[name]["read_only"] is True, name


def test_the_stores_passwords_reach_every_server_whole(services: dict[str, Any]) -> None:
    """What each container's entrypoint (store_urls.py) makes of what compose gives it."""
    for name in SERVERS:
        given = services[name]["environment"]
        assert not any(POSTGRES_PASSWORD in value or REDIS_PASSWORD in value
                       for key, value in given.items() if key.endswith("_URL")), name
        seen = environment_after({key: str(value) for key, value in given.items()})
        for key in ("TRACKER_STORE_URL", "KB_DATABASE_URL"):
            if key in given:
                url = sa.engine.make_url(seen[key])
                assert (url.username, url.password, url.host, url.database) == (
                    "assistant", POSTGRES_PASSWORD, "postgres", "clinic"), (name, key)
        if "REDIS_URL" in given:
            assert redis_settings(seen["REDIS_URL"]).password == REDIS_PASSWORD, name
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == POSTGRES_PASSWORD
    assert services["redis"]["environment"]["REDIS_PASSWORD"] == REDIS_PASSWORD


def test_old_conversations_are_purged_daily_from_the_replicas_store(services: dict[str, Any]) -> None:
    purge = services["purge"]
    script = purge["command"][-1]
    assert purge["image"] == services["rasa-1"]["image"]
    assert "python -m stores.purge --days" in script and "sleep 86400" in script and "PURGE_DAYS" in script
    assert purge["environment"]["PURGE_DAYS"] == "90"
    assert purge["environment"]["TRACKER_STORE_URL"] == services["rasa-1"]["environment"]["TRACKER_STORE_URL"]


def test_the_action_servers_never_get_the_rasa_servers_request_size_limit(services: dict[str, Any]) -> None:
    assert services["rasa-1"]["environment"]["SANIC_REQUEST_MAX_SIZE"] == "65536"
    for name in ("actions-1", "actions-2"):
        assert "SANIC_REQUEST_MAX_SIZE" not in services[name]["environment"]
        assert "env_file" not in services[name]
    # An env file shared with the Rasa server would bring it back: the start script unsets it.
    serve_actions = (PROJECT_ROOT / "deploy" / "docker" / "serve-actions.sh").read_text()
    assert serve_actions.index("unset SANIC_REQUEST_MAX_SIZE") < serve_actions.index("exec python -m rasa_sdk")


def test_the_replicas_trust_only_nginx_network_and_nginx_only_the_configured_proxies(
        services: dict[str, Any], tmp_path: Path) -> None:
    nginx = services["nginx"]
    assert nginx["environment"]["NGINX_TRUSTED_PROXIES"] == "10.20.0.0/16 10.30.0.5"
    assert any(str(volume).endswith("/docker-entrypoint.d/15-real-ip.sh:ro") or
               (isinstance(volume, dict) and volume["target"] == "/docker-entrypoint.d/15-real-ip.sh")
               for volume in nginx["volumes"])
    assert "ports" not in services["rasa-1"] and "ports" not in services["rasa-2"]
    subnet = config(SETTINGS, tmp_path)
    network = yaml.safe_load(subnet.stdout)["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert services["rasa-1"]["environment"]["TRUSTED_PROXIES"] == network == "172.30.99.0/24"
    moved = config({**SETTINGS, "ASSISTANT_SUBNET": "10.99.0.0/24"}, tmp_path)
    rendered = yaml.safe_load(moved.stdout)
    assert rendered["services"]["rasa-2"]["environment"]["TRUSTED_PROXIES"] == "10.99.0.0/24"
    assert rendered["networks"]["default"]["ipam"]["config"][0]["subnet"] == "10.99.0.0/24"


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
