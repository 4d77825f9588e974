"""The project's structure: packages depend one way, Rasa's private names are
used only in the Rasa adapter, and only the settings module reads the
environment."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import rasa

from knowledge_base.db import PROJECT_ROOT

# Each package, and the project packages it may import. The Rasa server's
# packages run channels → turns → stores → knowledge base; the action server's
# (actions, rasa_sdk_plugins) stand beside them; rasa_adapter and runtime are
# at the bottom. No package of the Rasa server imports actions/.
MAY_IMPORT: dict[str, set[str]] = {
    "channels": {"turns", "stores", "cramp_nlu", "knowledge_base", "rasa_adapter", "runtime"},
    "turns": {"stores", "cramp_nlu", "knowledge_base", "rasa_adapter", "runtime"},
    "stores": {"knowledge_base", "rasa_adapter", "runtime"},
    "cramp_nlu": {"knowledge_base", "rasa_adapter", "runtime"},
    "cramp_dialogue": {"rasa_adapter", "runtime"},
    "actions": {"knowledge_base", "runtime"},
    "rasa_sdk_plugins": {"runtime"},
    "knowledge_base": {"runtime"},
    "rasa_adapter": {"runtime"},
    "runtime": set(),
    "scripts": {"knowledge_base", "runtime"},
    "harness": {"knowledge_base", "runtime"},
    "bench": {"harness", "knowledge_base", "runtime"},
}
PACKAGES = set(MAY_IMPORT)
ADAPTER = PROJECT_ROOT / "rasa_adapter"


def sources(package: str) -> list[Path]:
    return sorted((PROJECT_ROOT / package).rglob("*.py"))


def imported_packages(source: Path) -> set[str]:
    """The project packages a module imports (at any depth: inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & PACKAGES
    return found


def test_every_project_package_has_a_place_in_the_layers() -> None:
    top_level = {path.parent.name for path in PROJECT_ROOT.glob("*/__init__.py")} - {"tests"}
    assert top_level <= PACKAGES


def test_packages_depend_one_way() -> None:
    wrong = [f"{source.relative_to(PROJECT_ROOT)} imports {target}"
             for package, allowed in MAY_IMPORT.items() for source in sources(package)
             for target in imported_packages(source) - allowed - {package}]
    assert wrong == []


def test_the_rasa_server_never_imports_the_action_server() -> None:
    rasa_server = ["channels", "turns", "stores", "cramp_nlu", "cramp_dialogue", "rasa_adapter"]
    assert [str(source) for package in rasa_server for source in sources(package)
            if "actions" in imported_packages(source)] == []


@cache
def rasa_private_names() -> frozenset[str]:
    """Names Rasa defines as private (one leading underscore): its methods,
    attributes and module-level names."""
    names: set[str] = set()
    pattern = re.compile(r"(?:def |\.|^)(_[a-zA-Z][a-zA-Z0-9_]*)\s*[(=:]", re.MULTILINE)
    for source in Path(rasa.__file__).parent.rglob("*.py"):
        names |= set(pattern.findall(source.read_text(errors="replace")))
    return frozenset(names)


def project_defined_names(source: Path) -> set[str]:
    """The names a module defines itself: its functions, classes, variables and
    its objects' own attributes (`self.x = ...`; not `RasaClass.x = ...`)."""
    defined: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
              and isinstance(node.value, ast.Name) and node.value.id == "self"):
            defined.add(node.attr)
    return defined


def rasa_private_uses(source: Path) -> list[str]:
    """Where a module reaches one of Rasa's private names: reads an attribute
    of that name, or overrides a method of that name in a class."""
    private = rasa_private_names()
    tree = ast.parse(source.read_text())
    own = project_defined_names(source)
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in private and node.attr not in own:
            uses.append(f"{source.relative_to(PROJECT_ROOT)}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.ClassDef) and node.bases:
            uses += [f"{source.relative_to(PROJECT_ROOT)}:{item.lineno} def {item.name}" for item in node.body
                     if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in private
                     and not item.name.startswith("__")]
    return uses


def test_rasas_private_names_are_used_only_in_the_adapter() -> None:
    uses = [use for package in PACKAGES - {"rasa_adapter"} for source in sources(package)
            for use in rasa_private_uses(source)]
    assert uses == []


def test_the_check_finds_rasas_private_names_where_the_adapter_uses_them() -> None:
    uses = [use for source in sources("rasa_adapter") for use in rasa_private_uses(source)]
    assert any("._action_call_format" in use for use in uses)
    assert any("def _retrieve" in use for use in uses)


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = [str(source.relative_to(PROJECT_ROOT)) for package in PACKAGES - {"bench", "harness"}
               for source in sources(package)
               if source != PROJECT_ROOT / "runtime" / "settings.py"
               and re.search(r"os\.environ|getenv\(", source.read_text())]
    assert readers == []
