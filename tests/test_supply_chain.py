"""What gets installed is what was locked: hashed pins, hash-checked installs, the widget's pinned socket.io client.

Reads the real files (requirements/, the Makefile, pyproject.toml, web/); no network.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
import tomli
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = PROJECT_ROOT / "requirements" / "constraints.txt"
PIP_PIN = PROJECT_ROOT / "requirements" / "pip.txt"
PIN_FILES = [CONSTRAINTS, PIP_PIN, PROJECT_ROOT / "requirements" / "kubernetes-validate.txt"]
MAKEFILE = PROJECT_ROOT / "Makefile"
SOCKET_IO = PROJECT_ROOT / "web" / "widget" / "vendor" / "socket.io.min.js"
SOCKET_IO_SRI = PROJECT_ROOT / "web" / "socket.io.min.js.sha384"

EXACT_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)$")
HASH = re.compile(r"^--hash=sha256:[0-9a-f]{64}$")


def entries(path: Path) -> list[str]:
    """The requirement entries of a requirements file, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def pins(path: Path) -> dict[str, Version]:
    found = {}
    for entry in entries(path):
        match = EXACT_PIN.match(entry.split()[0])
        assert match, f"{path.name}: not an exact pin: {entry[:80]}"
        found[canonicalize_name(match.group(1))] = Version(match.group(2))
    return found


def makefile_rule(target: str) -> list[str]:
    """The recipe lines of one Makefile rule."""
    lines = MAKEFILE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def load_lock_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lock_hashes", PROJECT_ROOT / "scripts" / "lock_hashes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", PIN_FILES, ids=lambda path: path.name)
def test_every_requirement_is_an_exact_pin_with_sha256_hashes(path: Path) -> None:
    found = entries(path)
    assert found, f"{path} pins nothing"
    for entry in found:
        requirement, *options = entry.split()
        assert EXACT_PIN.match(requirement), f"{path.name}: not an exact == pin: {requirement}"
        assert options, f"{path.name}: {requirement} has no --hash"
        for option in options:
            assert HASH.match(option), f"{path.name}: {requirement}: not a sha256 hash: {option}"
        assert len(set(options)) == len(options), f"{path.name}: {requirement} lists a hash twice"


def test_pip_and_the_build_tools_are_pinned_apart_and_nothing_twice() -> None:
    tools, dependencies = pins(PIP_PIN), pins(CONSTRAINTS)
    assert set(tools) == {"pip", "setuptools", "wheel"}
    assert not set(tools) & set(dependencies)
    assert len(dependencies) == len(entries(CONSTRAINTS)), "a package is pinned twice"


def test_every_package_the_project_needs_is_pinned_at_a_version_it_accepts() -> None:
    """pyproject.toml's dependencies and extras, and everything they need in turn (as installed)."""
    pinned = pins(CONSTRAINTS) | pins(PIP_PIN)  # some need setuptools at run time
    project = tomli.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(text) for text in project["dependencies"]]
    wanted += [Requirement(text) for extra in ("test", "bench") for text in project["optional-dependencies"][extra]]
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not pinned in requirements/"
        assert requirement.specifier.contains(pinned[name], prereleases=True), \
            f"{requirement}: requirements/ pins {pinned[name]}"

    # Their requirements in turn, from the installed packages' metadata: the hashed
    # install runs with --no-deps, so anything missing here would be missing there.
    seen: set[tuple[str, str]] = set()
    queue = [(requirement, "") for requirement in wanted]
    while queue:
        requirement, extra = queue.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} (needed as {requirement}) is not pinned in requirements/"
        assert requirement.specifier.contains(pinned[name], prereleases=True), \
            f"{requirement}: requirements/ pins {pinned[name]}"
        for wanted_extra in ["", *sorted(requirement.extras)]:
            if (name, wanted_extra) in seen:
                continue
            seen.add((name, wanted_extra))
            try:
                requires = importlib.metadata.requires(requirement.name) or []
            except importlib.metadata.PackageNotFoundError:
                pytest.fail(f"{requirement.name} is pinned but not installed here: run make install")
            queue += [(Requirement(text), wanted_extra) for text in requires]
    assert {"rasa", "spacy", "tensorflow", "pytest", "py-spy"} <= {name for name, _ in seen}


def test_the_makefile_installs_everything_but_the_project_itself_with_require_hashes() -> None:
    recipe = makefile_rule("$(INSTALLED)")
    installs = [line for line in recipe if "pip install" in line]
    assert installs, "the Makefile's $(INSTALLED) rule installs nothing"
    for line in installs:
        assert "--upgrade" not in line and " -c " not in line, line
        if line.endswith("-e ."):  # an editable install carries no hash: its dependencies come from the files above
            assert "--no-deps" in line and "--no-build-isolation" in line, line
        else:
            assert "--require-hashes" in line and " -r requirements/" in line, line
    assert installs[0].endswith("-r requirements/pip.txt"), "pip and the build tools come first"
    assert any(line.endswith("--no-deps --no-build-isolation -r requirements/constraints.txt") for line in installs)
    assert any(line.endswith("pip check") for line in recipe)


def test_make_lock_writes_the_hashed_files_from_pip_freeze() -> None:
    recipe = makefile_rule("lock")
    assert any("pip freeze --all --exclude-editable" in line and "scripts/lock_hashes.py" in line for line in recipe)


def test_the_lock_script_reads_back_what_it_writes() -> None:
    lock = load_lock_script()
    hashed = pins(CONSTRAINTS)
    assert {canonicalize_name(name): Version(version) for name, version in lock.read_pins(
        CONSTRAINTS.read_text().splitlines())} == hashed
    text = lock.render("# header\n", [("six", "1.17.0")], {("six", "1.17.0"): ["a" * 64, "b" * 64]})
    assert text == f"# header\nsix==1.17.0 \\\n    --hash=sha256:{'a' * 64} \\\n    --hash=sha256:{'b' * 64}\n"
    with pytest.raises(SystemExit):
        lock.read_pins(["rasa>=3.6"])


def test_the_recorded_socket_io_sha384_is_checked_by_make() -> None:
    recorded = SOCKET_IO_SRI.read_text().strip()
    assert re.fullmatch(r"sha384-[A-Za-z0-9+/]{64}", recorded), recorded
    makefile = MAKEFILE.read_text()
    assert f"WIDGET_VENDOR_SRI := {SOCKET_IO_SRI.relative_to(PROJECT_ROOT)}" in makefile
    assert "openssl dgst -sha384" in makefile
    assert any("call check_sri" in line for line in makefile_rule("$(WIDGET_VENDOR)"))
    assert any("call check_sri" in line for line in makefile_rule("web"))


def test_the_vendored_socket_io_client_matches_its_recorded_sha384() -> None:
    if not SOCKET_IO.exists():
        pytest.skip(f"{SOCKET_IO.relative_to(PROJECT_ROOT)} is not built (make test and make web build it)")
    digest = base64.b64encode(hashlib.sha384(SOCKET_IO.read_bytes()).digest()).decode()
    assert f"sha384-{digest}" == SOCKET_IO_SRI.read_text().strip()
