"""`make profile`: where the time goes on the message path. Starts the servers
as `make bench` does, drives simulated patients at one concurrency level, and
samples the Rasa server and the action server with py-spy meanwhile. Writes
bench/results/profile-<server>.txt: the functions most often on the stack,
ours and Rasa's. py-spy's raw stacks are kept in build/profile/ for a closer
look.

    python -m bench.profile [--users 20] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import subprocess
from pathlib import Path

from bench.conversations import OURS
from bench.load import run_level
from bench.run import RESULTS, VENV_BIN, backend, serving
from harness import server_environment
from knowledge_base.db import PROJECT_ROOT

# A frame in py-spy's raw output: "function (path/to/file.py:line)".
FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>[^()]+?)(?::\d+)?\)$")
# Frames too general to say anything (the event loop, the process's entry).
GENERIC = ("asyncio/", "uvloop", "<module>", "runpy.py", "threading.py", "sanic/server", "sanic/app.py",
           "sanic/mixins", "bin/rasa", "rasa/__main__.py", "rasa/cli/")


def _short(path: str) -> str:
    for marker in ("site-packages/", str(PROJECT_ROOT) + "/", "lib/python3.10/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def top_functions(raw: str, limit: int = 120) -> tuple[int, list[tuple[float, str]]]:
    """From py-spy's raw (collapsed) stacks: the share of samples each function is on the stack in."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        seen: set[str] = set()
        for frame in stack.split(";"):
            match = FRAME.match(frame.strip())
            name = f"{match['function']} ({_short(match['file'])})" if match else frame.strip()
            if name in seen or any(marker in name for marker in GENERIC):
                continue
            seen.add(name)
            inclusive[name] += count
    return total, [(100 * count / total, name) for name, count in inclusive.most_common(limit)] if total else []


def _record(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    # --nonblocking: sampling without pausing the server, so that it slows it less.
    return subprocess.Popen([str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--duration", str(int(seconds)),
                             "--rate", "50", "--format", "raw", "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not (VENV_BIN / "py-spy").exists():
        raise SystemExit("py-spy is not installed in .venv; run `make install`.")
    args.out.mkdir(parents=True, exist_ok=True)
    name = os.environ.get("BENCH_BACKEND", "sqlite")
    with backend(name) as (store_env, store_url):
        env = {**server_environment(), **store_env, "TRACKER_STORE_URL": store_url}
        raw_stacks = PROJECT_ROOT / "build" / "profile"
        raw_stacks.mkdir(parents=True, exist_ok=True)
        with serving(PROJECT_ROOT, PROJECT_ROOT / "models" / "leg-cramps.tar.gz", PROJECT_ROOT / "endpoints.yml",
                     env, raw_stacks / "servers.log", with_actions=True) as served:
            asyncio.run(run_level(served.url, OURS, users=2, seconds=5))  # warm-up
            assert served.actions is not None  # started with_actions
            servers = {"rasa": served.rasa.pid, "actions": served.actions.pid}
            recorders = {server: _record(pid, args.seconds, raw_stacks / f"{server}.txt")
                         for server, pid in servers.items()}
            level = asyncio.run(run_level(served.url, OURS, users=args.users, seconds=args.seconds + 1))
            for server, process in recorders.items():
                _, errors = process.communicate(timeout=120)
                if process.returncode:
                    raise SystemExit(f"py-spy failed on the {server} server: {errors.strip()}")
                total, rows = top_functions((raw_stacks / f"{server}.txt").read_text())
                text = [f"# {server} server, {args.users} simulated patients, {level.throughput:.1f} msg/s, "
                        f"{name} backend; {total} samples at 50 Hz over {args.seconds:.0f} s",
                        "# share of samples with the function on the stack (idle time is not sampled)", ""]
                text += [f"{share:5.1f}%  {function}" for share, function in rows]
                (args.out / f"profile-{server}.txt").write_text("\n".join(text) + "\n")
                print("\n".join(text[:22]), flush=True)
    print(f"profiles in {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
