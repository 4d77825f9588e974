"""The lock store chosen from the environment."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import rasa.core.lock_store
from rasa.core.lock_store import InMemoryLockStore
from rasa.utils.endpoints import EndpointConfig

from stores.lock_store import LOCK_POLL_SECONDS, EnvironmentLockStore


def test_locks_in_memory_refuse_several_sanic_workers(monkeypatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    with pytest.raises(SystemExit, match="SANIC_WORKERS=2 needs REDIS_URL"):
        EnvironmentLockStore()
    monkeypatch.setenv("SANIC_WORKERS", "1")
    assert isinstance(EnvironmentLockStore().store, InMemoryLockStore)


@pytest.mark.parametrize("redis_url", [None, "redis://127.0.0.1:6379/0"])
def test_a_waiting_message_checks_its_conversations_lock_often(redis_url, monkeypatch) -> None:
    """A second message of one conversation waits for the first, checking every
    LOCK_POLL_SECONDS (Rasa's default is a whole second)."""
    if redis_url:
        monkeypatch.setenv("REDIS_URL", redis_url)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("SANIC_WORKERS", raising=False)
    store = EnvironmentLockStore(EndpointConfig(key_prefix=f"test-{uuid.uuid4().hex[:8]}"))
    conversation = f"patient-{uuid.uuid4().hex[:8]}"
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(rasa.core.lock_store.asyncio, "sleep", recorded_sleep)
    order: list[str] = []

    async def message(name: str, hold: float) -> None:
        async with store.lock(conversation):
            order.append(f"{name} starts")
            await real_sleep(hold)
            order.append(f"{name} ends")

    async def both() -> None:
        first = asyncio.create_task(message("first", 0.3))
        await real_sleep(0.01)
        await message("second", 0)
        await first

    asyncio.run(both())
    assert order == ["first starts", "first ends", "second starts", "second ends"]
    assert waits and set(waits) == {LOCK_POLL_SECONDS}
    assert store.get_lock(conversation) is None  # nobody waits any more: the lock is gone
