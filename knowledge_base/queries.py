"""The medical logic the assistant asks of the knowledge base.

- `rank_causes`: likely causes for what a person told us, each with the reason.
- `triage`: one triage level for the findings a person HAS, with the red flags
  that matched. The most severe matched level wins; no match is self-care.
- `advice_for`: relief or prevention steps, those that fit the person first.
- `faq_answer`: the answer for an FAQ topic.

Every function takes an open `Session`; callers own the session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge_base import models
from knowledge_base.db import shared_engine


class KnowledgeBaseNotReady(RuntimeError):
    """The database is missing, empty or from another schema version."""


@dataclass(frozen=True)
class RankedCause:
    id: str
    name: str
    explanation: str
    score: float
    matched_terms: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class MatchedRedFlag:
    id: str
    name: str
    level: str
    possible_cause: str
    advice: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class TriageResult:
    level: str
    label: str
    action: str
    red_flags: tuple[MatchedRedFlag, ...]
    banner: str | None = None
    call_number: str | None = None

    @property
    def findings(self) -> list[str]:
        """The present terms that made a red-flag rule match, each once."""
        return list(dict.fromkeys(term for flag in self.red_flags for term in flag.terms))


@dataclass(frozen=True)
class AdviceStep:
    id: str
    text: str
    tailored: bool


@dataclass(frozen=True)
class FaqEntry:
    id: str
    question: str
    answer: str
    sources: tuple[str, ...]


def check_ready(session: Session) -> str:
    """Returns the content hash, or raises KnowledgeBaseNotReady saying how to fix it."""
    fix = "Run `make kb` to build it."
    try:
        stored = dict(session.execute(select(models.Metadata.key, models.Metadata.value)).all())
    except Exception as error:  # no table at all: never built
        raise KnowledgeBaseNotReady(f"The knowledge base database has not been built. {fix}") from error
    if stored.get("schema_version") != models.SCHEMA_VERSION:
        raise KnowledgeBaseNotReady(
            f"The knowledge base was built by another version (schema {stored.get('schema_version')}, "
            f"expected {models.SCHEMA_VERSION}). {fix}"
        )
    if not session.scalar(select(func.count()).select_from(models.Cause)):
        raise KnowledgeBaseNotReady(f"The knowledge base database is empty. {fix}")
    return stored["content_hash"]


def require_ready() -> str:
    """`check_ready` on the configured database (KB_DATABASE_URL), naming it in the error."""
    engine = shared_engine()
    try:
        engine.connect().close()
    except Exception as error:  # unreachable server, bad URL, unreadable file
        reason = str(error).splitlines()[0]
        raise KnowledgeBaseNotReady(f"Cannot open the knowledge base database {engine.url!r}: {reason}") from error
    try:
        with Session(engine) as session:
            return check_ready(session)
    except KnowledgeBaseNotReady as error:
        raise KnowledgeBaseNotReady(f"{error} (database: {engine.url!r})") from error


def terms_by_id(session: Session, term_ids: Iterable[str]) -> dict[str, models.Term]:
    ids = set(term_ids)
    if not ids:
        return {}
    return {t.id: t for t in session.scalars(select(models.Term).where(models.Term.id.in_(ids)))}


# The order in which mentions read naturally: "cramps at night in the calf".
_MENTION_ORDER = ("timing", "body_location", "frequency", "duration")


def describe_context(terms: Iterable[models.Term]) -> str:
    """A short phrase for why something fits: 'cramps at night in the calf, and you ...'."""
    terms = list(terms)
    pattern = [t for kind in _MENTION_ORDER for t in terms if t.kind == kind]
    others = [t for t in terms if t.kind not in _MENTION_ORDER]
    parts = []
    if pattern:
        parts.append("cramps " + " ".join(t.mention for t in pattern))
    parts += [t.mention for t in others]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + ", and " + parts[-1]


def rank_causes(session: Session, known_terms: Iterable[str], limit: int = 3) -> list[RankedCause]:
    """Causes ranked by how well they fit the known terms, best first.

    A cause's score is its base (how common it is on its own) plus the weight
    of every known term that points to it. Causes nothing points to are left
    out unless nothing is known at all, and so are causes whose prerequisites
    (`only_with`) are all unknown.
    """
    known = set(known_terms)
    ranked = []
    for cause in session.scalars(select(models.Cause)):
        if cause.prerequisites and not any(p.term_id in known for p in cause.prerequisites):
            continue
        matched = sorted((i for i in cause.indicators if i.term_id in known),
                         key=lambda i: (-i.weight, i.term_id))
        if known and not matched:
            continue
        ranked.append(RankedCause(
            id=cause.id,
            name=cause.name,
            explanation=cause.explanation,
            score=round(cause.base + sum(i.weight for i in matched), 3),
            matched_terms=tuple(i.term_id for i in matched),
            reason=describe_context(i.term for i in matched),
        ))
    ranked.sort(key=lambda c: (-c.score, c.id))
    return ranked[:limit]


def triage(session: Session, present_terms: Iterable[str]) -> TriageResult:
    """The triage level for the terms a person has; absent findings must not be passed."""
    present = set(present_terms)
    # One statement for every rule and its conditions: this runs on every message,
    # and loading the rules as ORM objects was a fifth of the action server's time.
    rules = session.execute(
        select(models.RedFlag.id, models.RedFlag.name, models.RedFlag.level_id, models.TriageLevel.rank,
               models.RedFlag.possible_cause, models.RedFlag.advice,
               models.RedFlagCondition.term_id, models.RedFlagCondition.requirement)
        .join(models.TriageLevel, models.TriageLevel.id == models.RedFlag.level_id)
        .join(models.RedFlagCondition, models.RedFlagCondition.red_flag_id == models.RedFlag.id)
        .order_by(models.RedFlag.id, models.RedFlagCondition.term_id)
    ).all()
    matched = []
    for _, conditions in groupby(rules, key=lambda row: row.id):
        conditions = list(conditions)
        required = [c.term_id for c in conditions if c.requirement == "all"]
        alternatives = [c.term_id for c in conditions if c.requirement == "any"]
        if not all(term in present for term in required):
            continue
        hits = [term for term in alternatives if term in present]
        if alternatives and not hits:
            continue
        flag = conditions[0]
        matched.append((flag.rank, MatchedRedFlag(
            id=flag.id, name=flag.name, level=flag.level_id, possible_cause=flag.possible_cause,
            advice=flag.advice, terms=tuple(required + hits),
        )))
    matched.sort(key=lambda pair: (-pair[0], pair[1].id))
    level_id = matched[0][1].level if matched else "self_care"
    level = session.get(models.TriageLevel, level_id)
    if level is None:
        raise KnowledgeBaseNotReady(f"Triage level '{level_id}' is missing. Run `make kb`.")
    return TriageResult(level=level.id, label=level.label, action=level.action,
                        red_flags=tuple(flag for _, flag in matched), banner=level.banner,
                        call_number=level.call_number)


def is_more_severe(session: Session, level: str, than: str | None) -> bool:
    """Whether triage level `level` ranks above `than` (None ranks below every level)."""
    ranks = dict(session.execute(select(models.TriageLevel.id, models.TriageLevel.rank)).all())
    return ranks[level] > ranks.get(than or "", 0)


def advice_for(session: Session, kind: str, known_terms: Iterable[str], limit: int = 4) -> list[AdviceStep]:
    """Relief or prevention steps: those aimed at a known term first, then general ones."""
    if kind not in models.ADVICE_KINDS:
        raise ValueError(f"unknown advice kind {kind!r}; expected one of {models.ADVICE_KINDS}")
    known = set(known_terms)
    tailored, general = [], []
    for item in session.scalars(select(models.Advice).where(models.Advice.kind == kind)):
        targets = {t.term_id for t in item.targets}
        if not targets:
            general.append(item)
        elif targets & known:
            tailored.append(item)
    tailored.sort(key=lambda a: (a.order, a.id))
    general.sort(key=lambda a: (a.order, a.id))
    steps = [AdviceStep(a.id, a.text, True) for a in tailored]
    steps += [AdviceStep(a.id, a.text, False) for a in general]
    return steps[:limit]


def faq_answer(session: Session, topic: str) -> FaqEntry | None:
    entry = session.get(models.FaqAnswer, topic)
    if entry is None:
        return None
    titles = session.scalars(
        select(models.Source.publisher)
        .join(models.Citation, models.Citation.source_id == models.Source.id)
        .where(models.Citation.entry_kind == "faq", models.Citation.entry_id == topic)
        .order_by(models.Source.id)
    ).all()
    return FaqEntry(entry.id, entry.question, entry.answer, tuple(titles))
