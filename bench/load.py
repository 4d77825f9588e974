"""Simulated patients over the REST channel, with a real HTTP client (aiohttp):
each one goes through whole conversations, one message after the reply to
the last, for as long as the level lasts."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from bench.conversations import Script


@dataclass
class LevelResult:
    users: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)  # by reply kind, in ms
    errors: int = 0

    @property
    def messages(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]

    def summary(self) -> dict:
        def percentiles(values: list[float]) -> dict[str, float]:
            if not values:
                return {}
            cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99
            return {"count": len(values), "p50_ms": round(cuts[49], 1), "p95_ms": round(cuts[94], 1),
                    "p99_ms": round(cuts[98], 1)}

        return {"users": self.users, "seconds": round(self.seconds, 1), "messages": self.messages,
                "throughput_per_s": round(self.throughput, 1), "errors": self.errors,
                "all": percentiles(self.all_latencies()),
                "by_kind": {kind: percentiles(values) for kind, values in sorted(self.latencies.items())}}


async def _patient(session: aiohttp.ClientSession, url: str, scripts: list[Script], number: int,
                   deadline: float, result: LevelResult) -> None:
    conversation = number
    while time.monotonic() < deadline:
        script = scripts[conversation % len(scripts)]
        sender = f"bench-{uuid.uuid4().hex}"
        for text, kind in script:
            if time.monotonic() >= deadline:
                return
            started = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    replies = await response.json()
                    ok = response.status == 200 and bool(replies)
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                ok = False
            if ok:
                result.latencies.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            else:
                result.errors += 1
        conversation += 1


async def run_level(base_url: str, scripts: list[Script], users: int, seconds: float,
                    token: str | None = None) -> LevelResult:
    """`users` simulated patients for `seconds`; `token`: the server's RASA_AUTH_TOKEN, if it has one."""
    result = LevelResult(users=users, seconds=seconds)
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=users)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with aiohttp.ClientSession(timeout=timeout, connector=connector, headers=headers) as session:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(_patient(session, f"{base_url}/webhooks/rest/webhook", scripts, number, deadline,
                                        result) for number in range(users)))
        result.seconds = time.monotonic() - started
    return result


# Where the long conversation's turn time is read, and how many turns around it.
LONG_CONVERSATION_POINTS = (10, 50, 100)
LONG_CONVERSATION_WINDOW = 5


async def run_long_conversation(base_url: str, script: Script, turns: int = max(LONG_CONVERSATION_POINTS)) -> dict:
    """One patient, one conversation of `turns` messages (the script over and
    over): the median turn time around message 10, 50 and 100. A turn must
    not get slower as the conversation grows."""
    sender = f"long-{uuid.uuid4().hex}"
    latencies = []
    async with aiohttp.ClientSession() as session:
        for number in range(turns):
            text, _kind = script[number % len(script)]
            started = time.perf_counter()
            async with session.post(f"{base_url}/webhooks/rest/webhook",
                                    json={"sender": sender, "message": text}) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"turn {number + 1} of the long conversation got HTTP {response.status}")
            latencies.append((time.perf_counter() - started) * 1000)
    at = {point: round(statistics.median(latencies[max(0, point - LONG_CONVERSATION_WINDOW):point]), 1)
          for point in LONG_CONVERSATION_POINTS}
    first = at[LONG_CONVERSATION_POINTS[0]]
    return {"turns": turns, "turn_ms_at_message": at,
            "ratio_to_message_10": {point: round(value / first, 2) for point, value in at.items()}}


async def cpu_per_message(base_url: str, text: str, cpu_seconds: Callable[[], float], times: int,
                          token: str | None = None) -> float:
    """The server CPU (ms) one message costs: `text` sent `times` times, one
    after the other, each as the first message of a new conversation (so that
    no conversation's state, nor a sender's rate, differs between texts)."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600), headers=headers) as session:
        before = cpu_seconds()
        for _ in range(times):
            async with session.post(f"{base_url}/webhooks/rest/webhook",
                                    json={"sender": f"crafted-{uuid.uuid4().hex}", "message": text}) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"a {len(text)}-character message got HTTP {response.status}")
        return 1000 * (cpu_seconds() - before) / times
