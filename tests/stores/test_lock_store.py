"""The lock store chosen from the environment."""

from __future__ import annotations

import pytest
from rasa.core.lock_store import InMemoryLockStore

from stores.lock_store import EnvironmentLockStore


def test_locks_in_memory_refuse_several_sanic_workers(monkeypatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(SystemExit, match="SANIC_WORKERS=2 needs REDIS_URL"):
        EnvironmentLockStore()
    monkeypatch.setenv("SANIC_WORKERS", "1")
    assert isinstance(EnvironmentLockStore().store, InMemoryLockStore)
