"""Writes the hashed pin files from exact pins (`make lock`).

Reads `name==version` lines (the output of `pip freeze --all --exclude-editable`
on standard input, or a file given as argument, which may itself be a hashed
pin file) and writes every pin with the sha256 of every file PyPI has for
that exact version: the wheels for every platform and the sdist, so that
`pip install --require-hashes` works on any machine, not only this one.
The tools that install and build go to requirements/pip.txt, installed
first: pip, setuptools and wheel (they build the sdist-only dependencies and
the project's editable install, without build isolation, so that no build
fetches an unhashed setuptools); everything else to
requirements/constraints.txt.

Usage: pip freeze --all --exclude-editable | python scripts/lock_hashes.py
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from packaging.version import InvalidVersion, Version

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = PROJECT_ROOT / "requirements" / "constraints.txt"
PIP_PIN = PROJECT_ROOT / "requirements" / "pip.txt"
PYPI_JSON = "https://pypi.org/pypi"
TOOLS = ("pip", "setuptools", "wheel")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")

CONSTRAINTS_HEADER = """\
# Exact versions of every dependency, each with the sha256 of every file PyPI
# has for that version (any platform), so that a new machine installs exactly
# what was tested: `make install` runs
#   pip install --require-hashes --no-deps --no-build-isolation -r requirements/constraints.txt
# (after requirements/pip.txt) and pip refuses any file whose hash is not listed.
# Regenerate with `make lock` (pip freeze, then scripts/lock_hashes.py).
"""
PIP_HEADER = """\
# pip and the build tools (setuptools, wheel), pinned and hashed: `make install`
# installs them first with `pip install --require-hashes -r requirements/pip.txt`,
# then builds without build isolation, so that every build uses these.
# Regenerate with `make lock`.
"""


def read_pins(lines: list[str]) -> list[tuple[str, str]]:
    """The `name==version` pins in the lines, in order; comments, hashes and options are skipped."""
    pins = []
    for line in lines:
        match = PIN.match(line.strip())
        if match:
            pins.append((match.group(1), match.group(2)))
        elif line.strip() and not line.lstrip().startswith(("#", "--hash")):
            raise SystemExit(f"not an exact pin (name==version): {line.strip()!r}")
    return pins


def fetch_json(url: str) -> dict | None:
    """The JSON at url, None for a 404; retries other failures a few times."""
    for attempt in range(4):
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            if attempt == 3:
                raise
        except (urllib.error.URLError, TimeoutError):
            if attempt == 3:
                raise
        time.sleep(2**attempt)
    return None


def release_files(name: str, version: str) -> list[dict]:
    """PyPI's files of that exact release: the release's own JSON, else the project's list of releases."""
    release = fetch_json(f"{PYPI_JSON}/{name}/{version}/json")
    if release is not None and release.get("urls"):
        return release["urls"]
    project = fetch_json(f"{PYPI_JSON}/{name}/json")
    if project is None:
        raise SystemExit(f"{name} is not on PyPI")
    releases = project.get("releases", {})
    if version in releases:
        return releases[version]
    for listed, files in releases.items():  # the same version spelled differently (1.0 vs 1.0.0, post1 vs .post1)
        try:
            if Version(listed) == Version(version):
                return files
        except InvalidVersion:
            continue
    raise SystemExit(f"{name}=={version} is not on PyPI")


def hashes_of(pin: tuple[str, str]) -> list[str]:
    name, version = pin
    files = release_files(name, version)
    hashes = sorted({file["digests"]["sha256"] for file in files})
    if not hashes:
        raise SystemExit(f"{name}=={version}: PyPI lists no file")
    return hashes


def render(header: str, pins: list[tuple[str, str]], hashes: dict[tuple[str, str], list[str]]) -> str:
    blocks = []
    for pin in pins:
        lines = [f"{pin[0]}=={pin[1]}"] + [f"    --hash=sha256:{digest}" for digest in hashes[pin]]
        blocks.append(" \\\n".join(lines) + "\n")
    return header + "".join(blocks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pins", nargs="?", type=argparse.FileType(), default=sys.stdin,
                        help="exact pins, e.g. pip freeze --all --exclude-editable (default: standard input)")
    parser.add_argument("--constraints", type=Path, default=CONSTRAINTS)
    parser.add_argument("--pip-pin", type=Path, default=PIP_PIN)
    args = parser.parse_args()

    pins = read_pins(args.pins.readlines())
    tool_pins = [pin for pin in pins if pin[0].lower() in TOOLS]
    other_pins = [pin for pin in pins if pin[0].lower() not in TOOLS]
    missing = set(TOOLS) - {name.lower() for name, _ in tool_pins}
    if missing:
        raise SystemExit(f"the pins must include {', '.join(sorted(missing))} (pip freeze --all)")

    with ThreadPoolExecutor(max_workers=8) as pool:
        hashes = dict(zip(pins, pool.map(hashes_of, pins), strict=True))

    # Written only once every pin has its hashes, so a failure leaves the old files as they were.
    args.constraints.write_text(render(CONSTRAINTS_HEADER, other_pins, hashes))
    args.pip_pin.write_text(render(PIP_HEADER, tool_pins, hashes))
    count = sum(len(digests) for digests in hashes.values())
    print(f"{len(pins)} pins, {count} hashes: {args.constraints}, {args.pip_pin}", file=sys.stderr)


if __name__ == "__main__":
    main()
