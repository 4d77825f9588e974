"""deploy/docker/store_urls.py, the images' entrypoint: the stores' passwords,
given apart from their URLs, are put in percent-encoded, so that a password
from `openssl rand -base64 32` (with `/`, `+` and `=`) opens PostgreSQL and
Redis (the servers at 127.0.0.1 the suite uses)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa

from knowledge_base.db import PROJECT_ROOT
from runtime.settings import SettingsError, redis_settings

STORE_URLS = PROJECT_ROOT / "deploy" / "docker" / "store_urls.py"
REDIS_HOST = "127.0.0.1:6379"


def base64_password() -> str:
    """As `openssl rand -base64 32` makes one, with each of `/`, `+` and `=` in it."""
    while True:
        password = base64.b64encode(secrets.token_bytes(32)).decode()
        if "/" in password and "+" in password:
            return password


def environment_after(environment: dict[str, str]) -> dict[str, str]:
    """The environment a command started by store_urls.py sees."""
    show = [sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"]
    result = subprocess.run([sys.executable, str(STORE_URLS), *show], capture_output=True, text=True, timeout=60,
                            env={"PATH": os.environ["PATH"], **environment})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def redis_user() -> Iterator[tuple[str, str]]:
    """A Redis user (an ACL of its own: the default user is left alone) with a base64 password."""
    name, password = f"store-urls-{uuid.uuid4().hex[:8]}", base64_password()
    admin = redis.Redis.from_url(f"redis://{REDIS_HOST}/0")
    admin.acl_setuser(name, enabled=True, passwords=[f"+{password}"], commands=["+ping"])
    yield name, password
    admin.acl_deluser(name)


def test_a_base64_password_opens_redis(redis_user: tuple[str, str]) -> None:
    name, password = redis_user
    after = environment_after({"REDIS_URL": f"redis://{name}@{REDIS_HOST}/0", "REDIS_PASSWORD": password})
    parsed = redis_settings(after["REDIS_URL"])  # how the lock store reads it
    assert parsed.password == password and parsed.username == name
    assert redis.Redis(**parsed.connection()).ping()
    assert "REDIS_PASSWORD" not in after
    # The same password written into the URL as it is (as compose did): the URL breaks.
    with pytest.raises(SettingsError):
        redis_settings(f"redis://{name}:{password}@{REDIS_HOST}/0")


def test_a_base64_password_reaches_postgresql_whole() -> None:
    password = base64_password()
    after = environment_after({"TRACKER_STORE_URL": "postgresql://postgres@127.0.0.1:5432/test",
                               "KB_DATABASE_URL": "postgresql+psycopg2://postgres@127.0.0.1:5432/test",
                               "POSTGRES_PASSWORD": password})
    for name in ("TRACKER_STORE_URL", "KB_DATABASE_URL"):
        url = sa.engine.make_url(after[name])
        assert (url.username, url.password, url.host, url.port, url.database) == (
            "postgres", password, "127.0.0.1", 5432, "test")
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(sa.text("select 1")).scalar_one() == 1
        engine.dispose()
    assert "POSTGRES_PASSWORD" not in after


@pytest.mark.parametrize("url", ["postgresql://assistant:already@db:5432/clinic", "sqlite:////srv/kb.sqlite3"])
def test_a_url_with_a_password_or_without_a_host_is_left_alone(url: str) -> None:
    assert environment_after({"KB_DATABASE_URL": url, "POSTGRES_PASSWORD": "p/q+r="})["KB_DATABASE_URL"] == url


def test_without_a_password_nothing_changes() -> None:
    assert environment_after({"REDIS_URL": "redis://redis:6379/0"})["REDIS_URL"] == "redis://redis:6379/0"
