"""The lock store: Redis when `REDIS_URL` is set, in memory otherwise.

Rasa locks each conversation while it handles a message, so that two messages
of one conversation are handled one after the other. In memory, that holds
within one process; replicas must share the locks, in Redis.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from runtime.settings import RedisSettings, settings

logger = logging.getLogger(__name__)

# How often a message waiting for its conversation's lock checks it again.
# Rasa checks once a second, so a patient's second message, sent while the
# first was being answered, waited up to a second longer than it needed to.
LOCK_POLL_SECONDS = 0.05


def redis_lock_store(redis_settings: RedisSettings, key_prefix: str | None = None) -> RedisLockStore:
    return RedisLockStore(host=redis_settings.host, port=redis_settings.port, db=redis_settings.db,
                          username=redis_settings.username, password=redis_settings.password,
                          use_ssl=redis_settings.ssl, key_prefix=key_prefix)


class EnvironmentLockStore(LockStore):
    """Hands every call to a Redis or an in-memory lock store, chosen at start."""

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        redis_settings = settings().redis  # runtime.settings refuses several SANIC_WORKERS without it
        key_prefix = (endpoint_config.kwargs.get("key_prefix") if endpoint_config else None) or None
        if redis_settings:
            self.store: LockStore = redis_lock_store(redis_settings, key_prefix)
            try:
                self.store.red.ping()  # a clear error at start, not at the first message
            except redis.exceptions.RedisError as error:
                raise SystemExit(
                    f"Cannot reach Redis at {redis_settings.host} (REDIS_URL): {str(error).rstrip('.')}. "
                    "Start Redis, or unset REDIS_URL to keep locks in memory (one server only).") from error
            logger.info("Conversation locks are kept in Redis at %s.", redis_settings.host)
        else:
            self.store = InMemoryLockStore()
        super().__init__()

    def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: float = LOCK_POLL_SECONDS) -> AbstractAsyncContextManager[TicketLock]:
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)

    def _exclusive(self, conversation_id: str) -> AbstractContextManager:
        """Rasa's lock store reads a conversation's ticket lock, changes it and
        writes it back. Between replicas that is a race: two messages arriving
        at once on two replicas both got ticket 0 and were handled together,
        and one's events were lost (tests/e2e/test_replicas.py). A short Redis
        mutex makes each read-change-write whole. In one process there is no
        race: these methods do not yield to the event loop."""
        if isinstance(self.store, RedisLockStore):
            return self.store.red.lock(f"{self.store.key_prefix}mutex:{conversation_id}", timeout=10,
                                       sleep=0.005, blocking_timeout=10)
        return nullcontext()

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._exclusive(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._exclusive(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._exclusive(conversation_id):
            super().cleanup(conversation_id, ticket_number)

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return self.store.get_lock(conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        self.store.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.store.save_lock(lock)
