"""Reads data/knowledge/*.yml, checks it, and builds the database from it.

Checking comes first and is complete: every problem is reported with the file,
the entry and the field, and nothing is written unless there are none. The
build then replaces the whole content in one transaction, so the database is
always either the old knowledge base or the new one, never a mix.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge_base import models, queries
from knowledge_base.db import KNOWLEDGE_DIR, make_engine

# libyaml's parser when PyYAML has it: about ten times faster than the pure-Python one.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Which YAML section holds which kind of vocabulary term.
VOCABULARY_SECTIONS = {
    "locations": "body_location",
    "timings": "timing",
    "frequencies": "frequency",
    "durations": "duration",
    "risk_factors": "risk_factor",
    "medicine_classes": "medicine_class",
    "conditions": "condition",
    "findings": "finding",
    "qualifiers": "qualifier",
    "look_alikes": "look_alike",
}

# Placeholders a text may use; they are filled with the clinic's region (regions.yml).
PLACEHOLDERS = ("emergency_number", "urgent_route")
# Placeholders only one field may use: (field, placeholder).
FIELD_PLACEHOLDERS = {("you_said", "words")}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: entry '{self.entry}', field '{self.field}': {self.message}"


class KnowledgeBaseError(Exception):
    """The YAML has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"The knowledge base has {len(problems)} problem(s); nothing was written:\n{listing}"
        )


@dataclass
class KnowledgeData:
    """The checked content of data/knowledge/, as plain dictionaries."""

    sources: list[dict[str, Any]] = field(default_factory=list)
    triage_levels: list[dict[str, Any]] = field(default_factory=list)
    terms: list[dict[str, Any]] = field(default_factory=list)  # each with its "kind"
    causes: list[dict[str, Any]] = field(default_factory=list)
    red_flags: list[dict[str, Any]] = field(default_factory=list)
    advice: list[dict[str, Any]] = field(default_factory=list)  # each with its "kind"
    faq: list[dict[str, Any]] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)
    word_groups: list[dict[str, Any]] = field(default_factory=list)  # language only: not in the database
    questions: list[dict[str, Any]] = field(default_factory=list)  # deciding questions, each with its answers

    def content_hash(self) -> str:
        """A hash of the content: equal for equal knowledge, whatever the YAML layout."""
        canonical = json.dumps(self.__dict__, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def terms_of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [term for term in self.terms if term["kind"] == kind]


# --- field checking ----------------------------------------------------------

def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and all(_is_text(item) for item in value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_qualifier_map(value: Any) -> bool:
    return isinstance(value, dict) and all(
        _is_text(key) and (item is None or _is_text(item)) for key, item in value.items()
    )


def _is_group_lists(value: Any) -> bool:
    return isinstance(value, list) and value != [] and all(_is_text_list(item) and item for item in value)


def _is_phrase_terms(value: Any) -> bool:
    return isinstance(value, dict) and value != {} and all(
        _is_text(key) and _is_text_list(item) for key, item in value.items()
    )


# An answer to a deciding question: its id and button title, and the terms it sets and denies.
ANSWER_FIELDS = {"id": _is_text, "title": _is_text, "sets": _is_text_list, "denies": _is_text_list,
                 "replies": _is_text_list}
ANSWER_REQUIRED = ("id", "title")


def _is_answer_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(
        isinstance(item, dict)
        and set(item) <= set(ANSWER_FIELDS)
        and all(key in item for key in ANSWER_REQUIRED)
        and all(ANSWER_FIELDS[key](item[key]) for key in item)
        for item in value
    )


def _is_indicator_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, dict)
        and set(item) == {"term", "weight"}
        and _is_text(item["term"])
        and _is_number(item["weight"])
        for item in value
    )


CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "text": (_is_text, "must be non-empty text"),
    "text_list": (_is_text_list, "must be a list of non-empty texts"),
    "number": (_is_number, "must be a number"),
    "flag": (lambda value: isinstance(value, bool), "must be true or false"),
    "integer": (_is_integer, "must be a whole number"),
    "indicators": (_is_indicator_list, "must be a list of {term: ..., weight: number}"),
    "qualifier_map": (_is_qualifier_map, "must map qualifier ids to a term id or ~ (nothing)"),
    "group_lists": (_is_group_lists, "must be a list of lists of word-group ids"),
    "phrase_terms": (_is_phrase_terms, "must map phrases of the text to lists of term ids"),
    "answers": (_is_answer_list, "must be a list of at least two answers, each {id: ..., title: ..., "
                                 "sets: [term ids], denies: [term ids], replies: [intents] (all three optional)}"),
}

# Per kind of entry: field name -> (check, required).
ENTRY_FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    "sources": {"id": ("text", True), "title": ("text", True), "publisher": ("text", True),
                "reference": ("text", True), "url": ("text", False)},
    "triage_levels": {"id": ("text", True), "rank": ("integer", True), "label": ("text", True),
                      "action": ("text", True), "banner": ("text", False), "call_number": ("text", False),
                      "do_not": ("text", False), "safety_net": ("text", False), "you_said": ("text", False),
                      "withholds": ("text_list", False), "told_as": ("text_list", False),
                      "sources": ("text_list", True)},
    "terms": {"id": ("text", True), "name": ("text", True), "mention": ("text", True),
              "synonyms": ("text_list", True), "qualified_by": ("qualifier_map", False),
              "also_means": ("qualifier_map", False), "said_together": ("group_lists", False),
              "not_said_with": ("text_list", False), "reach": ("text", False), "replaces": ("text_list", False),
              "caution": ("text", False),
              "withholds": ("text_list", False), "sources": ("text_list", True)},
    "word_groups": {"id": ("text", True), "words": ("text_list", False),
                    "minutes_at_least": ("number", False), "clock_minutes_at_least": ("number", False),
                    "days_at_least": ("number", False), "ago": ("flag", False),
                    "per_week_at_least": ("number", False), "per_week_below": ("number", False)},
    "causes": {"id": ("text", True), "name": ("text", True), "explanation": ("text", True),
               "base": ("number", True), "only_with": ("text_list", False),
               "indicators": ("indicators", True), "sources": ("text_list", True)},
    "red_flags": {"id": ("text", True), "name": ("text", True), "level": ("text", True),
                  "all_of": ("text_list", False), "any_of": ("text_list", False),
                  "and_any_of": ("text_list", False), "none_of": ("text_list", False),
                  "possible_cause": ("text", True), "advice": ("text", True), "route": ("text", False),
                  "reads_as": ("phrase_terms", False), "sources": ("text_list", True)},
    "advice": {"id": ("text", True), "text": ("text", True), "applies_to": ("text_list", True),
               "order": ("integer", True), "involves": ("text_list", False), "reads_as": ("phrase_terms", False),
               "sources": ("text_list", True)},
    "faq": {"id": ("text", True), "question": ("text", True), "answer": ("text", True),
            "steps": ("text", False), "involves": ("text_list", False), "reads_as": ("phrase_terms", False),
            "sources": ("text_list", True)},
    "regions": {"id": ("text", True), "name": ("text", True), "emergency_number": ("text", True),
                "urgent_route": ("text", True)},
    "questions": {"id": ("text", True), "completes": ("text_list", True), "text": ("text", True),
                  "answers": ("answers", True), "sources": ("text_list", True)},
}

# Which sections each file holds, and what kind of entry each section is.
FILE_SECTIONS: dict[str, dict[str, str]] = {
    "sources.yml": {"sources": "sources"},
    "triage_levels.yml": {"triage_levels": "triage_levels"},
    "vocabulary.yml": {section: "terms" for section in VOCABULARY_SECTIONS},
    "causes.yml": {"causes": "causes"},
    "red_flags.yml": {"red_flags": "red_flags"},
    "relief.yml": {"relief": "advice"},
    "prevention.yml": {"prevention": "advice"},
    "faq.yml": {"faq": "faq"},
    "regions.yml": {"regions": "regions"},
    "word_groups.yml": {"word_groups": "word_groups"},
    "questions.yml": {"questions": "questions"},
}


class _Checker:
    """Collects problems while reading the files."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.origin: dict[tuple[str, str], str] = {}  # (entry kind, id) -> file

    def add(self, file: str, entry: str, field_name: str, message: str) -> None:
        self.problems.append(Problem(file, entry, field_name, message))

    def read_file(self, path: Path) -> dict[str, Any]:
        try:
            content = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        except FileNotFoundError:
            self.add(path.name, "-", "-", "file is missing")
            return {}
        except yaml.YAMLError as error:
            self.add(path.name, "-", "-", f"is not valid YAML: {error}")
            return {}
        if not isinstance(content, dict):
            self.add(path.name, "-", "-", "must be a mapping of sections to lists of entries")
            return {}
        return content

    def check_entries(self, file: str, section: str, kind: str, raw: Any) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            self.add(file, "-", section, "section is missing or is not a list of entries")
            return []
        spec = ENTRY_FIELDS[kind]
        entries = []
        for index, entry in enumerate(raw):
            name: Any = entry.get("id") if isinstance(entry, dict) else None
            label: str = name if _is_text(name) else f"#{index + 1} in {section}"
            if not isinstance(entry, dict):
                self.add(file, label, "-", "entry must be a mapping of fields")
                continue
            ok = True
            for field_name, (check, required) in spec.items():
                if field_name not in entry or entry[field_name] is None:
                    if required:
                        self.add(file, label, field_name, "is missing")
                        ok = False
                    continue
                is_valid, requirement = CHECKS[check]
                if not is_valid(entry[field_name]):
                    self.add(file, label, field_name, requirement)
                    ok = False
            for unknown in sorted(set(entry) - set(spec)):
                self.add(file, label, unknown, f"is not a known field (expected: {', '.join(spec)})")
                ok = False
            if not ok:
                continue
            if (kind, name) in self.origin:
                self.add(file, name, "id", f"duplicate id (already used in {self.origin[(kind, name)]})")
                continue
            self.origin[(kind, name)] = file
            entries.append({**entry, "_file": file})
        return entries

    def check_references(self, entries: list[dict[str, Any]], field_name: str,
                         known: set[str], what: str) -> None:
        for entry in entries:
            values = entry.get(field_name) or []
            for value in [values] if isinstance(values, str) else values:
                if value not in known:
                    self.add(entry["_file"], entry["id"], field_name, f"unknown {what} '{value}'")


def load_knowledge(directory: Path = KNOWLEDGE_DIR) -> KnowledgeData:
    """Reads and checks every file; raises KnowledgeBaseError listing all problems."""
    checker = _Checker()
    data = KnowledgeData()
    for file, sections in FILE_SECTIONS.items():
        content = checker.read_file(directory / file)
        if not content and checker.problems and checker.problems[-1].file == file:
            continue
        for unknown in sorted(set(content) - set(sections)):
            checker.add(file, "-", unknown, f"is not a known section (expected: {', '.join(sections)})")
        for section, kind in sections.items():
            for entry in checker.check_entries(file, section, kind, content.get(section)):
                if file == "vocabulary.yml":
                    entry["kind"] = VOCABULARY_SECTIONS[section]
                elif kind == "advice":
                    entry["kind"] = section
                getattr(data, kind).append(entry)

    source_ids = {source["id"] for source in data.sources}
    term_ids = {term["id"] for term in data.terms}
    level_ids = {level["id"] for level in data.triage_levels}
    for kind in ("triage_levels", "terms", "causes", "red_flags", "advice", "faq", "questions"):
        checker.check_references(getattr(data, kind), "sources", source_ids, "source")
        for entry in getattr(data, kind):
            if not entry["sources"]:
                checker.add(entry["_file"], entry["id"], "sources", "must name at least one source")
    _check_triage_levels(checker, data.triage_levels)
    checker.check_references(data.red_flags, "level", level_ids, "triage level")
    for group in RULE_GROUPS:
        checker.check_references(data.red_flags, group, term_ids, "term")
    # `reads_as`: how a phrase of the text reads as terms, for tests/knowledge_base/test_consistency.py.
    for entry in data.red_flags + data.advice + data.faq:
        for phrase, terms in (entry.get("reads_as") or {}).items():
            for term in terms:
                if term not in term_ids:
                    checker.add(entry["_file"], entry["id"], "reads_as", f"unknown term '{term}' for '{phrase}'")
    for flag in data.red_flags:
        if not flag.get("all_of") and not flag.get("any_of"):
            checker.add(flag["_file"], flag["id"], "all_of/any_of", "a rule needs at least one term")
        if flag.get("and_any_of") and not flag.get("any_of"):
            checker.add(flag["_file"], flag["id"], "and_any_of", "needs any_of too")
        seen: dict[str, str] = {}
        for group in RULE_GROUPS:
            for term in flag.get(group) or []:
                if term in seen:
                    checker.add(flag["_file"], flag["id"], group, f"term '{term}' is also in {seen[term]}")
                seen.setdefault(term, group)
    _check_qualifiers(checker, data.terms)
    _check_word_groups(checker, data)
    _check_withholdings(checker, data)
    _check_placeholders(checker, data)
    faq_steps: set[str] = {entry["steps"] for entry in data.faq if entry.get("steps") is not None}
    for unknown in sorted(faq_steps - set(models.ADVICE_KINDS)):
        checker.add("faq.yml", "-", "steps", f"unknown kind of steps '{unknown}' (expected: {models.ADVICE_KINDS})")
    if not data.regions:
        checker.add("regions.yml", "-", "regions", "at least one region is needed")
    checker.check_references(data.advice, "applies_to", term_ids, "term")
    checker.check_references(data.causes, "only_with", term_ids, "term")
    for cause in data.causes:
        for position, indicator in enumerate(cause["indicators"]):
            if indicator["term"] not in term_ids:
                checker.add(cause["_file"], cause["id"], f"indicators[{position + 1}].term",
                            f"unknown term '{indicator['term']}'")
    _check_synonyms(checker, data.terms)
    _check_questions(checker, data)

    if checker.problems:
        raise KnowledgeBaseError(checker.problems)
    for kind in data.__dict__.values():
        for entry in kind:
            entry.pop("_file", None)
    return data


# A rule's term lists, and the requirement each is stored with.
RULE_GROUPS = {"all_of": "all", "any_of": "any", "and_any_of": "also_any", "none_of": "none"}


# The kinds of term an answer may set: each fills one of the conversation's lists of
# what the person has (findings, risk factors, medicines, conditions). Only
# findings are ever denied (the conversation keeps denied findings only).
ANSWER_SETS_KINDS = ("finding", "risk_factor", "medicine_class", "condition")
ANSWER_DENIES_KINDS = ("finding",)


def _check_questions(checker: _Checker, data: KnowledgeData) -> None:
    """Every rule a question completes exists, every term an answer sets or denies
    is of a kind it can be, answer ids are unique over all questions, and for
    every rule some answer completes it once one of its groups is known."""
    kinds = {term["id"]: term["kind"] for term in data.terms}
    rules = {flag["id"]: flag for flag in data.red_flags}
    answer_owner: dict[str, str] = {}
    question_ids = {question["id"] for question in data.questions}
    for question in data.questions:
        file, name = question["_file"], question["id"]
        replied: dict[str, str] = {}
        for position, answer in enumerate(question["answers"]):
            where = f"answers[{position + 1}]"
            if answer["id"] in answer_owner or answer["id"] in question_ids:
                checker.add(file, name, f"{where}.id", f"answer id '{answer['id']}' is already used"
                            f" (in '{answer_owner.get(answer['id'], answer['id'])}')")
            answer_owner.setdefault(answer["id"], name)
            for effect, allowed in (("sets", ANSWER_SETS_KINDS), ("denies", ANSWER_DENIES_KINDS)):
                for term in answer.get(effect) or []:
                    if term not in kinds:
                        checker.add(file, name, f"{where}.{effect}", f"unknown term '{term}'")
                    elif kinds[term] not in allowed:
                        checker.add(file, name, f"{where}.{effect}",
                                    f"term '{term}' is a {kinds[term]}; an answer {effect} only: {', '.join(allowed)}")
            for intent in answer.get("replies") or []:
                if intent not in models.REPLY_INTENTS:
                    checker.add(file, name, f"{where}.replies",
                                f"unknown intent '{intent}' (expected: {', '.join(models.REPLY_INTENTS)})")
                elif intent in replied:
                    checker.add(file, name, f"{where}.replies", f"'{intent}' already gives answer '{replied[intent]}'")
                replied.setdefault(intent, answer["id"])
            both = set(answer.get("sets") or []) & set(answer.get("denies") or [])
            for term in sorted(both):
                checker.add(file, name, where, f"term '{term}' is both set and denied")
        for rule_id in question["completes"]:
            rule = rules.get(rule_id)
            if rule is None:
                checker.add(file, name, "completes", f"unknown red-flag rule '{rule_id}'")
            elif not any(completes_rule(rule, answer.get("sets") or []) for answer in question["answers"]):
                checker.add(file, name, "completes",
                            f"no answer's `sets` can complete rule '{rule_id}' once its other groups are known")


def completes_rule(rule: dict[str, Any], sets: list[str]) -> bool:
    """Whether an answer setting `sets` completes `rule` when the rule's other groups
    are known: the same test the assistant runs (`queries.rule_partly_matched`),
    with one term known for each group the answer does not satisfy."""
    conditions = {need: list(rule.get(group) or []) for group, need in RULE_GROUPS.items()}
    present = set(sets)
    known: set[str] = set()
    for need in ("all", "any", "also_any"):
        terms = conditions[need]
        if terms and not queries.group_satisfied(need, terms, present):
            known |= set(terms) if need == "all" else {terms[0]}
    return queries.rule_partly_matched(conditions, known, set(), [sets])


def _check_qualifiers(checker: _Checker, terms: list[dict[str, Any]]) -> None:
    kinds = {term["id"]: term["kind"] for term in terms}
    for term in terms:
        for rule_field in ("qualified_by", "also_means"):
            for qualifier, becomes in (term.get(rule_field) or {}).items():
                if qualifier not in kinds:
                    checker.add(term["_file"], term["id"], rule_field, f"unknown term '{qualifier}'")
                if becomes is not None and becomes not in kinds:
                    checker.add(term["_file"], term["id"], rule_field, f"unknown term '{becomes}'")


# What a word group is: words, or a quantity said in any way (cramp_nlu.said_together).
WORD_GROUP_KINDS = ("words", "minutes_at_least", "clock_minutes_at_least", "days_at_least", "per_week_at_least",
                    "per_week_below")
# Options of a quantity: `ago` (with days_at_least) counts only a time said as when.
WORD_GROUP_OPTIONS = ("ago",)
# How often is one quantity, bounded below, above or both ("about weekly": 0.7 to 3 a week).
RATE_BOUNDS = ("per_week_at_least", "per_week_below")


# How far apart the words of a term's combinations, or a qualifier and its
# finding, may be: in one clause (the default), in one sentence ("only been to
# the toilet once all day and it was very dark") or anywhere in one message
# (claudication: "my calf cramps when I walk, and stopping makes it go").
REACHES = ("clause", "sentence", "message")


def _check_word_groups(checker: _Checker, data: KnowledgeData) -> None:
    # A group is either words or one quantity (a length of time, how often), never two or none.
    for group in data.word_groups:
        kinds = {"rate" if field in RATE_BOUNDS else field for field in WORD_GROUP_KINDS if field in group}
        if len(kinds) != 1:
            checker.add(group["_file"], group["id"], "/".join(WORD_GROUP_KINDS), "give exactly one of them")
    for group in data.word_groups:
        if group.get("ago") and "days_at_least" not in group:
            checker.add(group["_file"], group["id"], "ago", "needs days_at_least")
    group_ids = {group["id"] for group in data.word_groups}
    checker.check_references(data.terms, "not_said_with", group_ids, "word group")
    checker.check_references(data.terms, "replaces", {term["id"] for term in data.terms}, "term")
    for term in data.terms:
        named = [g for together in term.get("said_together") or [] for g in together]
        for group in named:
            if group not in group_ids:
                checker.add(term["_file"], term["id"], "said_together", f"unknown word group '{group}'")
        if term.get("not_said_with") and not named:
            checker.add(term["_file"], term["id"], "not_said_with", "needs said_together")
        if term.get("reach") not in (None, *REACHES):
            checker.add(term["_file"], term["id"], "reach", f"must be one of: {', '.join(REACHES)}")
        elif term.get("reach") and not named and term["kind"] != "qualifier":
            checker.add(term["_file"], term["id"], "reach", "needs said_together (or the term to be a qualifier)")
        elif term.get("reach") == "sentence" and term["kind"] == "qualifier":
            # A qualifier reaches its finding in its clause or, with `reach: message`, anywhere.
            checker.add(term["_file"], term["id"], "reach", "a qualifier's reach is clause or message")


def _check_withholdings(checker: _Checker, data: KnowledgeData) -> None:
    # A withheld kind of advice that no entry involves is a typo, and would withhold nothing.
    involved = {action for entry in data.advice + data.faq for action in entry.get("involves") or []}
    for entry in data.triage_levels + data.terms:
        for action in entry.get("withholds") or []:
            if action not in involved:
                checker.add(entry["_file"], entry["id"], "withholds",
                            f"no advice or answer involves '{action}' (known: {', '.join(sorted(involved))})")


def _check_placeholders(checker: _Checker, data: KnowledgeData) -> None:
    for kind, entries in data.__dict__.items():
        if kind == "regions":
            continue
        for entry in entries:
            for field_name, value in entry.items():
                for name in _PLACEHOLDER.findall(value) if isinstance(value, str) else []:
                    if name not in PLACEHOLDERS and (field_name, name) not in FIELD_PLACEHOLDERS:
                        checker.add(entry["_file"], entry["id"], field_name,
                                    f"unknown placeholder '{{{name}}}' (known: {', '.join(PLACEHOLDERS)})")


def _check_triage_levels(checker: _Checker, levels: list[dict[str, Any]]) -> None:
    # The assistant's replies are written for exactly these four levels.
    file = "triage_levels.yml"
    found = {level["id"] for level in levels}
    for missing in sorted(set(models.TRIAGE_LEVELS) - found):
        checker.add(file, missing, "id", "this triage level is required")
    for level in levels:
        if level["id"] not in models.TRIAGE_LEVELS:
            checker.add(file, level["id"], "id",
                        f"is not a triage level (expected one of: {', '.join(models.TRIAGE_LEVELS)})")
    ranks = [level["rank"] for level in levels]
    if len(set(ranks)) != len(ranks):
        checker.add(file, "-", "rank", "every level needs a different rank")


def _check_synonyms(checker: _Checker, terms: list[dict[str, Any]]) -> None:
    # One phrase must mean one thing, or the assistant cannot tell which.
    owner: dict[str, str] = {}
    for term in terms:
        for phrase in term["synonyms"]:
            key = phrase.strip().lower()
            if key in owner and owner[key] != term["id"]:
                checker.add(term["_file"], term["id"], "synonyms",
                            f"'{phrase}' is already a synonym of '{owner[key]}'")
            owner.setdefault(key, term["id"])


# --- building the database ---------------------------------------------------

@dataclass(frozen=True)
class BuildReport:
    database: str
    content_hash: str
    counts: dict[str, int]
    changed: bool


def build_database(directory: Path = KNOWLEDGE_DIR, engine: Engine | None = None) -> BuildReport:
    """Checks the YAML and replaces the database's content with it, atomically.

    If the database already holds this exact content (same hash and schema),
    nothing is written.
    """
    data = load_knowledge(directory)
    engine = engine or make_engine()
    content_hash = data.content_hash()
    _ensure_schema(engine)
    with Session(engine) as session:
        stored = dict(session.execute(select(models.Metadata.key, models.Metadata.value)).all())
    counts = _counts(data)
    if stored.get("content_hash") == content_hash:
        return BuildReport(_describe(engine), content_hash, counts, changed=False)
    with Session(engine) as session, session.begin():
        for table in reversed(models.Base.metadata.sorted_tables):
            session.execute(delete(table))
        # Parents first: citations and links have no ORM relationship to order them by.
        rows = _rows(data)
        parents = (models.Source, models.TriageLevel, models.Term, models.Region)
        # Deciding questions last: they link to red-flag rules, through no ORM relationship either.
        children = (models.DecidingQuestion,)
        for batch in ([r for r in rows if isinstance(r, parents)],
                      [r for r in rows if not isinstance(r, (*parents, *children))],
                      [r for r in rows if isinstance(r, children)]):
            session.add_all(batch)
            session.flush()
        session.add_all([
            models.Metadata(key="schema_version", value=models.SCHEMA_VERSION),
            models.Metadata(key="content_hash", value=content_hash),
            models.Metadata(key="built_at", value=datetime.now(timezone.utc).isoformat()),
        ])
    return BuildReport(_describe(engine), content_hash, counts, changed=True)


def _ensure_schema(engine: Engine) -> None:
    """Creates the tables; recreates them if they were made by another schema version."""
    if inspect(engine).has_table(models.Metadata.__tablename__):
        with Session(engine) as session:
            version = session.get(models.Metadata, "schema_version")
        if version is None or version.value != models.SCHEMA_VERSION:
            models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)


def _describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _counts(data: KnowledgeData) -> dict[str, int]:
    return {kind: len(entries) for kind, entries in data.__dict__.items()}


def _citations(kind: str, entry: dict[str, Any]) -> list[models.Citation]:
    return [models.Citation(entry_kind=kind, entry_id=entry["id"], source_id=source)
            for source in dict.fromkeys(entry["sources"])]


def _rows(data: KnowledgeData) -> list[Any]:
    rows: list[Any] = [
        models.Source(id=s["id"], title=s["title"], publisher=s["publisher"], reference=s["reference"],
                      url=s.get("url"))
        for s in data.sources
    ]
    rows += [models.Region(id=r["id"], name=r["name"], emergency_number=r["emergency_number"],
                           urgent_route=r["urgent_route"]) for r in data.regions]
    for level in data.triage_levels:
        rows.append(models.TriageLevel(id=level["id"], rank=level["rank"], label=level["label"],
                                       action=level["action"], banner=level.get("banner"),
                                       call_number=level.get("call_number"), do_not=level.get("do_not"),
                                       you_said=level.get("you_said"),
                                       safety_net=level.get("safety_net")))
        rows += _citations("triage_level", level)
        rows += _withholdings("level", level)
    for term in data.terms:
        phrases = dict.fromkeys(phrase.strip().lower() for phrase in term["synonyms"])
        rows.append(models.Term(
            id=term["id"], kind=term["kind"], name=term["name"], mention=term["mention"],
            caution=term.get("caution"), synonyms=[models.Synonym(phrase=phrase) for phrase in phrases],
        ))
        rows += _citations("term", term)
        rows += _withholdings("term", term)
        rows += [models.TermQualifier(term_id=term["id"], qualifier_id=qualifier, becomes_term_id=becomes)
                 for qualifier, becomes in (term.get("qualified_by") or {}).items()]
    for cause in data.causes:
        rows.append(models.Cause(
            id=cause["id"], name=cause["name"], explanation=cause["explanation"], base=cause["base"],
            indicators=[models.CauseIndicator(term_id=i["term"], weight=i["weight"])
                        for i in cause["indicators"]],
            prerequisites=[models.CausePrerequisite(term_id=t)
                           for t in dict.fromkeys(cause.get("only_with") or [])],
        ))
        rows += _citations("cause", cause)
    for position, flag in enumerate(data.red_flags):
        conditions = [models.RedFlagCondition(term_id=t, requirement=requirement)
                      for group, requirement in RULE_GROUPS.items() for t in flag.get(group) or []]
        rows.append(models.RedFlag(
            id=flag["id"], name=flag["name"], level_id=flag["level"], possible_cause=flag["possible_cause"],
            advice=flag["advice"], route=flag.get("route"), position=position, conditions=conditions,
        ))
        rows += _citations("red_flag", flag)
    for item in data.advice:
        rows.append(models.Advice(
            id=item["id"], kind=item["kind"], text=item["text"], order=item["order"],
            targets=[models.AdviceTarget(term_id=t) for t in dict.fromkeys(item["applies_to"])],
        ))
        rows += _citations("advice", item)
        rows += _actions("advice", item)
    for position, question in enumerate(data.questions):
        rows.append(models.DecidingQuestion(
            id=question["id"], text=question["text"], position=position,
            rules=[models.QuestionRule(red_flag_id=rule) for rule in dict.fromkeys(question["completes"])],
            answers=[models.QuestionAnswer(
                id=answer["id"], title=answer["title"], position=order,
                replies=" ".join(dict.fromkeys(answer.get("replies") or [])) or None,
                effects=[models.AnswerEffect(term_id=term, effect=effect)
                         for effect in models.ANSWER_EFFECTS for term in dict.fromkeys(answer.get(effect) or [])],
            ) for order, answer in enumerate(question["answers"])],
        ))
        rows += _citations("question", question)
    for answer in data.faq:
        rows.append(models.FaqAnswer(id=answer["id"], question=answer["question"], answer=answer["answer"],
                                     steps=answer.get("steps")))
        rows += _citations("faq", answer)
        rows += _actions("faq", answer)
    return rows


def _withholdings(owner_kind: str, entry: dict[str, Any]) -> list[models.WithheldAction]:
    return [models.WithheldAction(owner_kind=owner_kind, owner_id=entry["id"], action=action)
            for action in dict.fromkeys(entry.get("withholds") or [])]


def _actions(entry_kind: str, entry: dict[str, Any]) -> list[models.EntryAction]:
    return [models.EntryAction(entry_kind=entry_kind, entry_id=entry["id"], action=action)
            for action in dict.fromkeys(entry.get("involves") or [])]
