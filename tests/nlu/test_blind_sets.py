"""The blind evaluation sets (tests/blind/) are never trained on: no training
example, once normalised, is one of their messages."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from knowledge_base.db import PROJECT_ROOT

BLIND = PROJECT_ROOT / "tests" / "blind"


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


def training_examples() -> set[str]:
    examples = set()
    for path in (PROJECT_ROOT / "data").rglob("*.yml"):
        for block in (yaml.safe_load(path.read_text()) or {}).get("nlu") or []:
            for line in (block.get("examples") or "").splitlines():
                text = re.sub(r"\[([^\]]*)\]\{[^}]*\}|\[([^\]]*)\]\([^)]*\)", r"\1\2", line.lstrip("- ").strip())
                if text:
                    examples.add(normalised(text))
    return examples


def blind_messages(path: Path) -> set[str]:
    data = yaml.safe_load(path.read_text())
    turns = [turn for case in data.get("cases", []) for turn in case["turns"]]
    turns += [turn["user"] for conversation in data.get("conversations", []) for turn in conversation["turns"]]
    return {normalised(text) for text in turns} - {""}


def test_the_blind_sets_are_there_and_not_empty() -> None:
    assert len(blind_messages(BLIND / "triage_blind.yml")) >= 400
    assert len(blind_messages(BLIND / "conversations_blind.yml")) >= 400


def test_no_training_example_is_in_a_blind_set() -> None:
    training = training_examples()
    assert len(training) > 300
    for path in sorted(BLIND.glob("*.yml")):
        shared = sorted(training & blind_messages(path))
        assert shared == [], f"{path.name} holds training examples: {shared[:10]}"
