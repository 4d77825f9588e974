"""The fixed sentences the code puts around the knowledge base's content
(data/knowledge/wording.yml), checked: every sentence the code uses is there,
with only the placeholders it fills."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from knowledge_base.db import KNOWLEDGE_DIR
from knowledge_base.loader import YAML_LOADER, KnowledgeBaseError, Problem

FILE = "wording.yml"
CLINIC = frozenset({"clinic_name", "clinic_phone", "booking_url"})
# Each sentence, and the placeholders it may use.
SENTENCES: dict[str, frozenset[str]] = {
    "disclaimer": frozenset(),
    "causes_from_summary": frozenset({"summary"}),
    "causes_in_general": frozenset(),
    "no_cause_matched": frozenset(),
    "relief_heading": frozenset(),
    "prevention_heading": frozenset(),
    "warning_sign_why": frozenset({"cause"}),
    "questions_stopped_emergency": frozenset({"action"}) | CLINIC,
    "questions_stopped_urgent": frozenset({"do_not", "safety_net"}) | CLINIC,
    "questions_stopped_urgent_route": frozenset({"action", "do_not", "safety_net"}) | CLINIC,
    "relief_now_lead": frozenset(),
    "relief_now_close": frozenset(),
    "booking": CLINIC,
    "button_prevention": frozenset(),
    "button_see_doctor": frozenset(),
    "button_medicines": frozenset(),
    "button_book": frozenset(),
    "message_too_long": frozenset({"max_characters"}),
    "message_empty": frozenset(),
    "slow_down": frozenset(),
    "apology": CLINIC,
    "emergency_mark": frozenset(),
    "emergency_banner_mark": frozenset(),
    "urgent_banner_mark": frozenset(),
}


@dataclass(frozen=True)
class Wording:
    sentences: dict[str, str]

    def say(self, key: str, **values: Any) -> str:
        """The sentence, its placeholders filled (values it does not use are ignored)."""
        return self.sentences[key].format(**values)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def load_wording(directory: Path = KNOWLEDGE_DIR) -> Wording:
    """Reads and checks wording.yml; raises KnowledgeBaseError listing every problem."""
    problems: list[Problem] = []
    try:
        content = yaml.load((directory / FILE).read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except (OSError, yaml.YAMLError) as error:
        raise KnowledgeBaseError([Problem(FILE, "-", "-", f"cannot be read: {error}")]) from error
    sentences = content.get("wording") if isinstance(content, dict) else None
    if not isinstance(sentences, dict):
        raise KnowledgeBaseError([Problem(FILE, "-", "wording", "must be a mapping of names to sentences")])
    for key, allowed in SENTENCES.items():
        text = sentences.get(key)
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem(FILE, key, "-", "is missing or empty"))
            continue
        try:
            unknown = placeholders(text) - allowed
        except ValueError as error:
            problems.append(Problem(FILE, key, "-", f"has a broken placeholder: {error}"))
            continue
        if unknown:
            problems.append(Problem(FILE, key, "-", f"unknown placeholder(s) {sorted(unknown)}; this sentence may "
                                                    f"use {sorted(allowed) or 'none'}"))
    for key in sorted(set(sentences) - set(SENTENCES)):
        problems.append(Problem(FILE, key, "-", "is not a sentence the assistant uses"))
    if problems:
        raise KnowledgeBaseError(problems)
    return Wording({key: " ".join(sentences[key].split()) for key in SENTENCES})


@cache
def wording() -> Wording:
    """The wording, read once per process."""
    return load_wording()
