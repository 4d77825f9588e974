"""Bounds on what the public channels accept: how fast one sender, one
connection, one client address or one visitor may send, how many connections
one address or visitor may hold, and which metadata a message may carry.

Who the client is, per channel:
- socket.io (the widget): the connection, its session, its address (the
  peer's, or the one a trusted proxy forwards: channels.common.client_address)
  and its visitor (the JWT's `sub`). Opening more connections gives a client
  no more messages: the address's and the visitor's buckets are shared by all
  of them.
- Slack and Telegram: the sender (`slack:<user>`, `telegram:<chat>`), whose id
  the provider signs. Never the address: every update comes from Slack's or
  Telegram's servers, so a rate per address would throttle everyone together.
- REST: the sender, whose id the trusted back-end chooses (channels.rest).

All are per process: behind several replicas, the reverse proxy's own limits
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

# Per client address (socket.io). One address can be many people: a clinic's
# waiting room on its guest Wi-Fi, or a hospital behind one NAT. Twenty people
# chatting at once, each with a message every ten seconds or so, is two a
# second; a burst of 60 lets them all click a button at the same moment. One
# client with six connections sending 180 messages at once gets 60 answered
# and then two a second: the rest are asked to slow down. What one address can
# cost the server is bounded by the sustained rate, not by its connections.
ADDRESS_BURST_MESSAGES = 60
ADDRESS_MESSAGES_PER_MINUTE = 120
# Connections held at once by one address: the same waiting room, each person
# with the widget open in a tab or two. Each connection costs a socket and a
# session's room; a script opening hundreds is refused from the 31st.
MAX_CONNECTIONS_PER_ADDRESS = 30
# Per visitor (the JWT's `sub`, when the clinic's site mints one per visitor):
# one person, perhaps in two tabs, so twice one connection's burst at the same
# sustained rate; a token handed to a script cannot multiply it across
# connections or addresses.
VISITOR_BURST_MESSAGES = 2 * BURST_MESSAGES
VISITOR_MESSAGES_PER_MINUTE = MESSAGES_PER_MINUTE
MAX_CONNECTIONS_PER_VISITOR = 10
# A widget asks for its session once per connection (again only after a
# reconnect, which is a new connection); each confirmed session is a room.
# Past this, the connection is closed.
MAX_SESSION_REQUESTS_PER_CONNECTION = 5

# REST, per sender. Its callers are back-ends with a token that may play a
# whole scripted conversation as fast as the replies come (the benchmark's
# 100-turn conversation, an evaluation's many conversations): 120 at once
# lets such a conversation through, then one a second. It bounds how fast a
# leaked token can grow any one conversation; the token bounds who may.
REST_BURST_MESSAGES = 120
REST_MESSAGES_PER_MINUTE = 60

# The metadata keys the website widgets send (rasa-webchat's customData and
# ours), as short scalars. Anything else is dropped before it is stored.
ALLOWED_METADATA_KEYS = frozenset({"language", "page", "timezone", "site"})
MAX_METADATA_VALUE_CHARACTERS = 200


class MessageRate:
    """A token bucket per key (a sender, a connection, an address, a visitor): `burst` messages at
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


class ConnectionCount:
    """Connections held at once per key (an address, a visitor), at most `limit` each."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = {}

    def open(self, key: str) -> bool:
        """Counts a new connection for the key, or False (nothing counted) if it holds `limit` already."""
        held = self._open.get(key, 0)
        if held >= self.limit:
            return False
        self._open[key] = held + 1
        return True

    def close(self, key: str) -> None:
        held = self._open.get(key, 0) - 1
        if held > 0:
            self._open[key] = held
        else:
            self._open.pop(key, None)


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
