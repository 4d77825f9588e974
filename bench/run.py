"""`make bench`: starts the servers (embedded defaults; BENCH_BACKEND=postgres
for the PostgreSQL tracker store and Redis lock store), measures cold start,
drives simulated patients at each concurrency level, reads peak memory, then
does the same for Rasa's starter assistant (`rasa init`) as a baseline in the
same run, and writes bench/results/ (JSON, Markdown, PNG).

    python -m bench.run [--levels 1 5 20 50] [--seconds 20] [--no-baseline] [--no-training]
                        [--crafted-times 3] [--only-crafted]

The adversarial row (issue 27): the Rasa server's CPU for each crafted
2,000-character message (bench/crafted.py) against an ordinary message of the
same length, in the same run; the worst may cost at most
CRAFTED_TARGET_RATIO times the ordinary one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.conversations import BASELINE, LONG, OURS, Script
from bench.crafted import CRAFTED, ORDINARY
from bench.load import cpu_per_message, run_level, run_long_conversation
from harness import free_port, in_schema, postgres_schema, server_environment, start_group, stop_group
from knowledge_base.db import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/3"
# The worst crafted message may cost at most this many times an ordinary one of the same length (issue 27).
CRAFTED_TARGET_RATIO = 5


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def python_loop_seconds() -> float:
    """A fixed pure-Python loop, timed: how fast this machine is right now.
    Shared machines vary (the same loop took 0.95 to 1.66 s within minutes),
    so every result says how fast the machine was when it was measured."""
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return round(time.perf_counter() - started, 2)


@dataclass
class Served:
    url: str
    cold_start_s: float
    rasa: subprocess.Popen
    actions: subprocess.Popen | None


def _answered(url: str) -> bool:
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", method="POST",
                                     data=json.dumps({"sender": f"cold-{uuid.uuid4().hex}", "message": "hi"}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status == 200 and bool(json.loads(response.read()))
    except OSError:
        return False


@contextmanager
def serving(workdir: Path, model: Path, endpoints: Path, env: dict[str, str], log: Path,
            with_actions: bool) -> Iterator[Served]:
    """The Rasa server (and our action server): cold start is from starting the
    processes to the first answered message."""
    rasa_port, action_port = free_port(), free_port()
    env = {**env, "ACTION_PORT": str(action_port)}
    log.write_text("")
    started = time.monotonic()
    actions = None
    if with_actions:
        actions = start_group([str(VENV_BIN / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port",
                               str(action_port)], PROJECT_ROOT, {**env, "SANIC_HOST": "127.0.0.1"}, log)
    # Ours as `make serve` starts it (channels.server); the baseline as `rasa run`.
    runner = [str(VENV_BIN / "python"), "-m", "channels.server"] if with_actions else [str(VENV_BIN / "rasa"), "run"]
    command = [*runner, "--interface", "127.0.0.1", "--port", str(rasa_port), "--model", str(model),
               "--endpoints", str(endpoints)]
    if with_actions:
        command += ["--credentials", str(PROJECT_ROOT / "credentials.yml")]
    rasa = start_group(command, workdir, env, log)
    url = f"http://127.0.0.1:{rasa_port}"
    try:
        while not _answered(url):
            if rasa.poll() is not None or (actions and actions.poll() is not None):
                raise RuntimeError(f"a server stopped while starting; see {log}")
            if time.monotonic() - started > 600:
                raise RuntimeError(f"no answer within 600 s; see {log}")
            time.sleep(0.2)
        yield Served(url, round(time.monotonic() - started, 1), rasa, actions)
    finally:
        stop_group(rasa)
        stop_group(actions)


def measure(served: Served, scripts: list[Script], levels: list[int], seconds: float) -> dict:
    asyncio.run(run_level(served.url, scripts, users=2, seconds=min(5.0, seconds)))  # warm-up, not reported
    servers = {"rasa": served.rasa.pid, **({"actions": served.actions.pid} if served.actions else {})}
    summaries = []
    for users in levels:
        before = {name: cpu_seconds(pid) for name, pid in servers.items()}
        result = asyncio.run(run_level(served.url, scripts, users=users, seconds=seconds))
        summary = result.summary()
        # CPU per message: less sensitive than latency to how busy the machine is.
        summary["cpu_ms_per_message"] = {name: round(1000 * (cpu_seconds(pid) - before[name]) / result.messages, 1)
                                         for name, pid in servers.items()} if result.messages else {}
        print(f"  {users:>3} users: {result.throughput:6.1f} msg/s, p50 {summary['all'].get('p50_ms')} ms, "
              f"p95 {summary['all'].get('p95_ms')} ms, {result.errors} errors, "
              f"CPU ms/message {summary['cpu_ms_per_message']}", flush=True)
        summaries.append(summary)
    memory = {"rasa_server_peak_mb": peak_rss_mb(served.rasa.pid)}
    if served.actions:
        memory["action_server_peak_mb"] = peak_rss_mb(served.actions.pid)
    return {"cold_start_s": served.cold_start_s, "memory": memory, "levels": summaries}


def adversarial(served: Served, times: int) -> dict:
    """The adversarial row: the Rasa server's CPU ms a message (where
    understanding runs) for the ordinary 2,000-character message and for each
    crafted one, each sent `times` times."""
    def rasa_cpu_ms(text: str) -> float:
        return round(asyncio.run(cpu_per_message(served.url, text, lambda: cpu_seconds(served.rasa.pid), times)), 1)

    asyncio.run(cpu_per_message(served.url, ORDINARY, lambda: cpu_seconds(served.rasa.pid), 2))  # warm-up
    # The ordinary message before and after the crafted ones: how much the machine drifted shows.
    ordinary_first = rasa_cpu_ms(ORDINARY)
    crafted = {}
    for name, text in CRAFTED.items():
        crafted[name] = rasa_cpu_ms(text)
        print(f"  crafted {name!r}: {crafted[name]} ms", flush=True)
    ordinary_last = rasa_cpu_ms(ORDINARY)
    ordinary = round((ordinary_first + ordinary_last) / 2, 1)
    worst = max(crafted, key=lambda name: crafted[name])
    ratio = round(crafted[worst] / ordinary, 2) if ordinary else None
    print(f"  ordinary 2,000 characters: {ordinary_first} / {ordinary_last} ms; worst crafted {worst!r}: "
          f"{crafted[worst]} ms ({ratio}x, target <= {CRAFTED_TARGET_RATIO}x)", flush=True)
    return {"times": times, "ordinary_rasa_cpu_ms": ordinary, "ordinary_first_last": [ordinary_first, ordinary_last],
            "crafted_rasa_cpu_ms": crafted, "worst": worst, "worst_ratio": ratio,
            "target_ratio": CRAFTED_TARGET_RATIO}


@contextmanager
def backend(name: str) -> Iterator[tuple[dict[str, str], str]]:
    """Environment for the stores and the tracker store URL, cleaned up after the block."""
    if name != "postgres":
        with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
            yield {}, f"sqlite:///{Path(folder) / 'conversations.sqlite3'}"
        return
    with postgres_schema("bench", POSTGRES) as schema:
        yield {"REDIS_URL": REDIS}, in_schema(POSTGRES, schema)


def train_from_scratch(env: dict[str, str]) -> float:
    """`rasa train` with an empty cache into a temporary folder: training time from scratch."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as folder:
        started = time.monotonic()
        subprocess.run([str(VENV_BIN / "rasa"), "train", "--out", folder, "--fixed-model-name", "scratch"],
                       cwd=PROJECT_ROOT, env={**env, "RASA_CACHE_DIRECTORY": str(Path(folder) / "cache")},
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return round(time.monotonic() - started, 1)


def baseline_project(folder: Path, env: dict[str, str]) -> tuple[Path, float]:
    """Rasa's starter assistant, created and trained by `rasa init --no-prompt`."""
    started = time.monotonic()
    subprocess.run([str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(folder)], cwd=folder,
                   env={**env, "RASA_CACHE_DIRECTORY": str(folder / ".cache")}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return next((folder / "models").glob("*.tar.gz")), round(time.monotonic() - started, 1)


def baseline_endpoints(path: Path, tracker_store_url: str) -> Path:
    """The baseline gets the same SQL tracker store (and lock store); it has no action server."""
    path.write_text(f"tracker_store:\n  type: SQL\n  url: \"{tracker_store_url}\"\n"
                    + ("lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: 6379\n  db: 3\n"
                       if "postgresql" in tracker_store_url else ""))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 5, 20, 50])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-training", action="store_true", help="skip timing a training from scratch")
    parser.add_argument("--crafted-times", type=int, default=3,
                        help="how many times each crafted message is sent (0: no adversarial row)")
    parser.add_argument("--only-crafted", action="store_true", help="the adversarial row only, no load levels")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    name = os.environ.get("BENCH_BACKEND", "sqlite")
    env = server_environment()
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "platform": platform.platform(), "python_loop_s_before": python_loop_seconds()},
                    "backend": name, "seconds_per_level": args.seconds, "levels": args.levels}

    with backend(name) as (store_env, store_url):
        env_ours = {**env, **store_env, "TRACKER_STORE_URL": store_url}
        print(f"ours ({name}):", flush=True)
        with serving(PROJECT_ROOT, PROJECT_ROOT / "models" / "leg-cramps.tar.gz", PROJECT_ROOT / "endpoints.yml",
                     env_ours, args.out / "ours-server.log", with_actions=True) as served:
            if args.only_crafted:
                report["ours"] = {"cold_start_s": served.cold_start_s, "levels": [],
                                  "memory": {"rasa_server_peak_mb": peak_rss_mb(served.rasa.pid)}}
            else:
                report["ours"] = measure(served, OURS, args.levels, args.seconds)
                long = asyncio.run(run_long_conversation(served.url, LONG))
                print(f"  long conversation: turn ms at message {long['turn_ms_at_message']}", flush=True)
                report["ours"]["long_conversation"] = long
            if args.crafted_times:
                print("crafted messages:", flush=True)
                report["ours"]["adversarial"] = adversarial(served, args.crafted_times)
        if not args.no_training:
            report["ours"]["training_from_scratch_s"] = train_from_scratch(env)
        if not args.no_baseline:
            with tempfile.TemporaryDirectory(prefix="bench-baseline-") as folder:
                model, trained_in = baseline_project(Path(folder), env)
                print("baseline (rasa init):", flush=True)
                endpoints = baseline_endpoints(Path(folder) / "bench-endpoints.yml", store_url)
                with serving(Path(folder), model, endpoints, {**env, **store_env}, args.out / "baseline-server.log",
                             with_actions=False) as served:
                    report["baseline"] = measure(served, BASELINE, args.levels, args.seconds)
                report["baseline"]["init_and_training_s"] = trained_in
    report["machine"]["python_loop_s_after"] = python_loop_seconds()
    from bench.report import write_report

    write_report(report, args.out)
    print(f"results in {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
