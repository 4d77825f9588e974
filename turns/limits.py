"""Bounds on what the public channels accept: how fast one sender or one
connection may send, and which metadata a message may carry.

Both are per process: behind several replicas, the reverse proxy's own limits
(README, "Production") bound the total."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

# A person sends a message every few seconds at most, a button click included;
# a flood is a script. Generous enough for a scripted client that waits for
# each reply through a whole conversation (30 turns at once, then one a second).
BURST_MESSAGES = 30
MESSAGES_PER_MINUTE = 60

# The metadata keys the website widgets send (rasa-webchat's customData and
# ours), as short scalars. Anything else is dropped before it is stored.
ALLOWED_METADATA_KEYS = frozenset({"language", "page", "timezone", "site"})
MAX_METADATA_VALUE_CHARACTERS = 200


class MessageRate:
    """A token bucket per key (a sender or a connection): `burst` messages at
    once, then `per_minute`. At most `size` keys are remembered; the least
    recently seen is forgotten first (it would have a full bucket by then)."""

    def __init__(self, burst: int = BURST_MESSAGES, per_minute: int = MESSAGES_PER_MINUTE,
                 size: int = 100_000) -> None:
        self.burst = burst
        self.refill_per_second = per_minute / 60
        self.size = size
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """True if the key may send a message now (and counts it), False if it must wait."""
        now = time.monotonic()
        tokens, seen = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - seen) * self.refill_per_second)
        allowed = tokens >= 1
        self._buckets[key] = (tokens - 1 if allowed else tokens, now)
        while len(self._buckets) > self.size:
            self._buckets.popitem(last=False)
        return allowed

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)


def allowed_metadata(metadata: Any) -> dict[str, Any]:
    """Only the allow-listed keys, with short string, number or true/false values."""
    if not isinstance(metadata, dict):
        return {}
    kept: dict[str, Any] = {}
    for key in ALLOWED_METADATA_KEYS & metadata.keys():
        value = metadata[key]
        if isinstance(value, str) and len(value) <= MAX_METADATA_VALUE_CHARACTERS:
            kept[key] = value
        elif isinstance(value, (bool, int, float)):
            kept[key] = value
    return kept
