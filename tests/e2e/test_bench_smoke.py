"""A few seconds of `make bench` against the test session's running server,
so the benchmark cannot rot (its figures come from `make bench`, not from here)."""

from __future__ import annotations

import asyncio
import json

from bench.conversations import KNOWLEDGE, OURS, PLAIN, TRIAGE
from bench.load import run_level
from bench.report import write_report


def test_the_benchmark_drives_whole_conversations_and_writes_its_report(rasa_server, tmp_path) -> None:
    level = asyncio.run(run_level(rasa_server.url, OURS, users=len(OURS), seconds=4, token=rasa_server.token))
    assert level.errors == 0
    assert set(level.latencies) == {PLAIN, KNOWLEDGE, TRIAGE}  # every script started
    assert level.messages >= len(OURS) and all(value > 0 for value in level.all_latencies())
    summary = level.summary()
    assert summary["all"]["p50_ms"] <= summary["all"]["p95_ms"] <= summary["all"]["p99_ms"]

    report = {"machine": {"cpus": 2}, "backend": "sqlite", "seconds_per_level": 4, "levels": [len(OURS)],
              "ours": {"cold_start_s": 1.0, "memory": {"rasa_server_peak_mb": 1.0}, "levels": [summary]}}
    write_report(report, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text())["ours"]["levels"][0]["messages"] == level.messages
    assert f"| {len(OURS)} | {summary['throughput_per_s']} | 0 |" in (tmp_path / "summary.md").read_text()
    assert (tmp_path / "latency.png").read_bytes()[:4] == b"\x89PNG"


def test_the_profile_counts_each_function_once_per_stack() -> None:
    from bench.profile import top_functions

    raw = ("handle (channels/turns.py:10);parse (rasa/core/processor.py:5);parse (rasa/core/processor.py:9) 3\n"
           "handle (channels/turns.py:10);save (stores/tracker_store.py:40) 1\n")
    total, rows = top_functions(raw)
    assert total == 4
    assert rows == [(100.0, "handle (channels/turns.py)"), (75.0, "parse (rasa/core/processor.py)"),
                    (25.0, "save (stores/tracker_store.py)")]
