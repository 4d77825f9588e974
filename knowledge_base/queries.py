"""The medical logic the assistant asks of the knowledge base.

- `rank_causes`: likely causes for what a person told us, each with the reason.
- `triage`: one triage level for the findings a person HAS, with the red flags
  that matched. The most severe matched level wins; no match is self-care.
- `safeguards`: what must not be suggested to this person (massage of a leg
  with a suspected clot, heat with reduced feeling, ...) and what to say instead.
- `advice_for`: relief or prevention steps, those that fit the person first,
  without any step the safeguards withhold.
- `faq_answer`: the answer for an FAQ topic, under the same safeguards.
- `due_questions`: the deciding questions still to ask (data/knowledge/questions.yml),
  and `question_answer`: what one of their answers sets and denies.

Texts are filled in for the clinic's region (`{emergency_number}`, ...).
Every function takes an open `Session`; callers own the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import overload

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from knowledge_base import models
from knowledge_base.db import shared_engine


class KnowledgeBaseNotReady(RuntimeError):
    """The database is missing, empty or from another schema version."""


DEFAULT_REGION = "us"


@dataclass(frozen=True)
class RegionInfo:
    id: str
    emergency_number: str
    urgent_route: str

    @overload
    def fill(self, text: str) -> str: ...

    @overload
    def fill(self, text: None) -> None: ...

    def fill(self, text: str | None) -> str | None:
        """The text with this region's emergency number and same-day route."""
        if text is None:
            return None
        return text.replace("{emergency_number}", self.emergency_number).replace("{urgent_route}", self.urgent_route)


def region_info(session: Session, region: str = DEFAULT_REGION) -> RegionInfo:
    row = session.get(models.Region, region)
    if row is None:
        known = ", ".join(session.scalars(select(models.Region.id).order_by(models.Region.id)))
        raise KnowledgeBaseNotReady(f"Unknown clinic region '{region}' (CLINIC_REGION); known: {known}.")
    return RegionInfo(row.id, row.emergency_number, row.urgent_route)


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
    route: str | None = None


@dataclass(frozen=True)
class TriageResult:
    level: str
    label: str
    action: str
    red_flags: tuple[MatchedRedFlag, ...]
    banner: str | None = None
    call_number: str | None = None
    do_not: str | None = None
    safety_net: str | None = None
    you_said: str | None = None

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
class Safeguards:
    """For one person: the triage level, the kinds of advice not to give them
    (massage, heat, ...), and what to tell them instead (the level's "don't",
    then each known term's caution)."""

    triage: TriageResult
    withheld: frozenset[str]
    warnings: tuple[str, ...]
    place: RegionInfo


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


def describe_context(terms: Iterable[models.Term], said_as: Mapping[str, str] | None = None) -> str:
    """A short phrase for why something fits: 'cramps at night in the calf, and you ...'.
    `said_as` gives, by kind, the person's own words to use instead of a term's
    mention ({"frequency": "every other week"}: how often is kept as it was said)."""
    terms = list(terms)
    said_as = said_as or {}
    pattern = [t for kind in _MENTION_ORDER for t in terms if t.kind == kind]
    others = [t for t in terms if t.kind not in _MENTION_ORDER]
    parts = []
    if pattern:
        # The person's own words come last, quoted: "cramps at night in the calf, “every other week”".
        told = [t.mention for t in pattern if not said_as.get(t.kind)]
        quoted = [f"“{said_as[t.kind]}”" for t in pattern if said_as.get(t.kind)]
        parts.append(", ".join(["cramps " + " ".join(told), *quoted]) if told else ", ".join(quoted))
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


def triage(session: Session, present_terms: Iterable[str], region: str = DEFAULT_REGION) -> TriageResult:
    """The triage level for the terms a person has; absent findings must not be passed.

    A rule matches when all its `all` terms, one of its `any` terms, one of its
    `also_any` terms (if it has any) and none of its `none` terms are present.
    The matched rules come most severe first: by level, then by their order in
    red_flags.yml (more serious first within a level).
    """
    present = set(present_terms)
    # One statement for every rule and its conditions: this runs on every message,
    # and loading the rules as ORM objects was a fifth of the action server's time.
    rules = session.execute(
        select(models.RedFlag.id, models.RedFlag.name, models.RedFlag.level_id, models.TriageLevel.rank,
               models.RedFlag.position, models.RedFlag.possible_cause, models.RedFlag.advice,
               models.RedFlag.route, models.RedFlagCondition.term_id, models.RedFlagCondition.requirement)
        .join(models.TriageLevel, models.TriageLevel.id == models.RedFlag.level_id)
        .join(models.RedFlagCondition, models.RedFlagCondition.red_flag_id == models.RedFlag.id)
        .order_by(models.RedFlag.id, models.RedFlagCondition.term_id)
    ).all()
    place = region_info(session, region)
    matched = []
    for _, group in groupby(rules, key=lambda row: row.id):
        conditions = list(group)
        terms = {requirement: [c.term_id for c in conditions if c.requirement == requirement]
                 for requirement in models.CONDITION_REQUIREMENTS}
        if not all(term in present for term in terms["all"]) or any(term in present for term in terms["none"]):
            continue
        hits = [term for need in ("any", "also_any") for term in terms[need] if term in present]
        if any(terms[need] and not set(terms[need]) & present for need in ("any", "also_any")):
            continue
        flag = conditions[0]
        matched.append(((flag.rank, flag.position), MatchedRedFlag(
            id=flag.id, name=flag.name, level=flag.level_id, possible_cause=flag.possible_cause,
            advice=place.fill(flag.advice), terms=tuple(terms["all"] + hits), route=flag.route,
        )))
    matched.sort(key=lambda pair: (-pair[0][0], pair[0][1]))
    level_id = matched[0][1].level if matched else "self_care"
    level = session.get(models.TriageLevel, level_id)
    if level is None:
        raise KnowledgeBaseNotReady(f"Triage level '{level_id}' is missing. Run `make kb`.")
    # A rule with its own route (the maternity unit) says it in the level's action too,
    # so the opening and the reason send the person to the same place.
    route = matched[0][1].route if matched else None
    action = level.action.replace("{urgent_route}", route) if route else level.action
    return TriageResult(level=level.id, label=level.label, action=place.fill(action),
                        red_flags=tuple(flag for _, flag in matched), banner=place.fill(level.banner),
                        call_number=place.fill(level.call_number), do_not=place.fill(level.do_not),
                        safety_net=place.fill(level.safety_net), you_said=level.you_said)


def is_more_severe(session: Session, level: str, than: str | None) -> bool:
    """Whether triage level `level` ranks above `than` (None ranks below every level)."""
    ranks = dict(session.execute(select(models.TriageLevel.id, models.TriageLevel.rank)).all())
    return ranks[level] > ranks.get(than or "", 0)


def safeguards(session: Session, known_terms: Iterable[str], region: str = DEFAULT_REGION) -> Safeguards:
    """What must not be suggested to a person who told us `known_terms`, and why.

    The triage level withholds what its `withholds` lists (no massage, heat or
    stretching of a leg that may have a clot); so does every known term (no
    heat with neuropathy, no extra fluids on dialysis, ...).
    """
    known = set(known_terms)
    result = triage(session, known, region)
    withheld = frozenset(session.scalars(select(models.WithheldAction.action).where(or_(
        (models.WithheldAction.owner_kind == "level") & (models.WithheldAction.owner_id == result.level),
        (models.WithheldAction.owner_kind == "term") & models.WithheldAction.owner_id.in_(known),
    ))))
    place = region_info(session, region)
    cautions = session.scalars(select(models.Term.caution).where(
        models.Term.id.in_(known), models.Term.caution.is_not(None)).order_by(models.Term.kind, models.Term.id))
    warnings = ([result.do_not] if result.do_not else []) + [place.fill(text) for text in cautions]
    # Terms that share a caution (diabetes, neuropathy, tingling: no heat) say it once.
    return Safeguards(result, withheld, tuple(dict.fromkeys(text for text in warnings if text)), place)


def _withheld_entries(session: Session, entry_kind: str, withheld: frozenset[str]) -> set[str]:
    if not withheld:
        return set()
    return set(session.scalars(select(models.EntryAction.entry_id).where(
        models.EntryAction.entry_kind == entry_kind, models.EntryAction.action.in_(withheld))))


def advice_for(session: Session, kind: str, known_terms: Iterable[str], limit: int = 4,
               guard: Safeguards | None = None, region: str = DEFAULT_REGION) -> list[AdviceStep]:
    """Relief or prevention steps: those aimed at a known term first, then general ones,
    leaving out every step that involves something the safeguards withhold."""
    if kind not in models.ADVICE_KINDS:
        raise ValueError(f"unknown advice kind {kind!r}; expected one of {models.ADVICE_KINDS}")
    known = set(known_terms)
    guard = guard or safeguards(session, known, region)
    unsafe = _withheld_entries(session, "advice", guard.withheld)
    place = guard.place
    tailored, general = [], []
    for item in session.scalars(select(models.Advice).where(models.Advice.kind == kind)):
        if item.id in unsafe:
            continue
        targets = {t.term_id for t in item.targets}
        if not targets:
            general.append(item)
        elif targets & known:
            tailored.append(item)
    tailored.sort(key=lambda a: (a.order, a.id))
    general.sort(key=lambda a: (a.order, a.id))
    steps = [AdviceStep(a.id, place.fill(a.text), True) for a in tailored]
    steps += [AdviceStep(a.id, place.fill(a.text), False) for a in general]
    return steps[:limit]


def faq_answer(session: Session, topic: str, known_terms: Iterable[str] = (),
               region: str = DEFAULT_REGION) -> FaqEntry | None:
    """The answer for `topic`, safe for a person who told us `known_terms`.

    An answer built from steps (relief, prevention) lists only the steps that
    suit the person. A fixed answer that involves something withheld from them
    is not given; they are told what to do instead (the safeguards' warnings).
    Once a level with a "don't" applies (urgent, emergency), steps are not
    offered at all: what to do is to get seen, and what not to do.
    """
    entry = session.get(models.FaqAnswer, topic)
    if entry is None:
        return None
    known = set(known_terms)
    guard = safeguards(session, known, region)
    place = guard.place
    act_now = guard.triage.do_not is not None
    if (entry.steps and act_now) or topic in _withheld_entries(session, "faq", guard.withheld):
        answer = "\n".join([*guard.warnings, guard.triage.action])
    elif entry.steps:
        steps = advice_for(session, entry.steps, known, limit=5, guard=guard, region=region)
        parts = [place.fill(entry.answer), *(f"• {step.text}" for step in steps)]
        answer = "\n".join(part for part in [*guard.warnings, *parts] if part)
    else:
        answer = place.fill(entry.answer)
    titles = session.scalars(
        select(models.Source.publisher)
        .join(models.Citation, models.Citation.source_id == models.Source.id)
        .where(models.Citation.entry_kind == "faq", models.Citation.entry_id == topic)
        .order_by(models.Source.id)
    ).all()
    return FaqEntry(entry.id, entry.question, answer, tuple(titles))


# --- deciding questions -------------------------------------------------------

@dataclass(frozen=True)
class AnswerOption:
    id: str
    title: str


@dataclass(frozen=True)
class DueQuestion:
    id: str
    text: str
    answers: tuple[AnswerOption, ...]


@dataclass(frozen=True)
class QuestionAnswer:
    """What an answer means: the terms it sets (the person has them) and denies."""

    id: str
    question_id: str
    sets: tuple[str, ...]
    denies: tuple[str, ...]


def _rule_conditions(session: Session, rule_ids: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """Each rule's terms by requirement (all, any, also_any, none)."""
    ids = set(rule_ids)
    rules: dict[str, dict[str, list[str]]] = {rule: {need: [] for need in models.CONDITION_REQUIREMENTS}
                                              for rule in ids}
    if not ids:
        return rules
    rows = session.execute(select(models.RedFlagCondition.red_flag_id, models.RedFlagCondition.term_id,
                                  models.RedFlagCondition.requirement)
                           .where(models.RedFlagCondition.red_flag_id.in_(ids))
                           .order_by(models.RedFlagCondition.red_flag_id, models.RedFlagCondition.term_id)).all()
    for rule, term, requirement in rows:
        rules[rule][requirement].append(term)
    return rules


def group_satisfied(requirement: str, terms: list[str], present: set[str]) -> bool:
    """Whether a rule's group of terms is met: every term of an `all` group, one of the others."""
    return all(t in present for t in terms) if requirement == "all" else any(t in present for t in terms)


def _ruled_out(requirement: str, terms: list[str], denied: set[str]) -> bool:
    """A group the denials make impossible: one denied term of an `all` group, every term of the others."""
    return any(t in denied for t in terms) if requirement == "all" else all(t in denied for t in terms)


def rule_partly_matched(conditions: Mapping[str, list[str]], known: set[str], denied: set[str],
                        could_set: Iterable[Iterable[str]] = ((),)) -> bool:
    """Whether a rule is partly matched and one of `could_set` (the answers' terms) would complete it.

    Partly matched: at least one of its groups (all, any, also_any) is satisfied by
    the known terms, the rule does not match, none of its `none` terms is known, and
    no missing group is wholly denied.
    """
    groups = [(need, conditions[need]) for need in ("all", "any", "also_any") if conditions.get(need)]
    if not groups or set(conditions.get("none") or []) & known:
        return False
    missing = [(need, terms) for need, terms in groups if not group_satisfied(need, terms, known)]
    if not missing or len(missing) == len(groups):
        return False
    if any(_ruled_out(need, terms, denied) for need, terms in missing):
        return False
    none = set(conditions.get("none") or [])
    return any(all(group_satisfied(need, terms, known | set(sets)) for need, terms in missing) and not set(sets) & none
               for sets in could_set)


def due_questions(session: Session, known_terms: Iterable[str], denied_terms: Iterable[str] = (),
                  answered: Iterable[str] = (), region: str = DEFAULT_REGION) -> list[DueQuestion]:
    """The deciding questions to ask, first one first: the most severe row first,
    then their order in questions.yml.

    A question is due when it has not been answered and one of the rules it
    completes is partly matched (`rule_partly_matched`) in a way one of its
    answers would complete, and that rule is more severe than the level the
    known terms already give. Denied terms are those the person said they do not have.
    """
    known, denied, done = set(known_terms), set(denied_terms), set(answered)
    open_rules = {rule for question, rule in session.execute(
        select(models.QuestionRule.question_id, models.QuestionRule.red_flag_id)) if question not in done}
    rules = _rule_conditions(session, open_rules)
    # A rule none of whose terms is known is not partly matched: nothing to ask, and no
    # questions or triage to look up (most conversations, on every turn of the questions).
    if not any(known & {term for need in ("all", "any", "also_any") for term in conditions[need]}
               for conditions in rules.values()):
        return []
    questions = [q for q in session.scalars(select(models.DecidingQuestion).order_by(models.DecidingQuestion.position))
                 if q.id not in done]
    # A rule no more severe than the level the known terms already give would change nothing.
    ranks = dict(session.execute(select(models.RedFlag.id, models.TriageLevel.rank)
                                 .join(models.TriageLevel, models.TriageLevel.id == models.RedFlag.level_id)
                                 .where(models.RedFlag.id.in_(rules))).all())
    current = session.scalar(select(models.TriageLevel.rank)
                             .where(models.TriageLevel.id == triage(session, known, region).level))
    place: RegionInfo | None = None
    due: list[tuple[int, DueQuestion]] = []
    for question in questions:
        answers_sets = [[e.term_id for e in answer.effects if e.effect == "sets"] for answer in question.answers]
        severity = max((ranks[rule.red_flag_id] for rule in question.rules
                        if ranks[rule.red_flag_id] > (current or 0)
                        and rule_partly_matched(rules[rule.red_flag_id], known, denied, answers_sets)), default=None)
        if severity is not None:
            if place is None:
                place = region_info(session, region)
            due.append((-severity, DueQuestion(id=question.id, text=place.fill(question.text),
                                               answers=tuple(AnswerOption(a.id, a.title) for a in question.answers))))
    # The most severe row first; of two as severe, the earlier in questions.yml (a stable sort).
    return [question for _, question in sorted(due, key=lambda item: item[0])]


def question_answer(session: Session, answer_id: str) -> QuestionAnswer | None:
    """What the answer `answer_id` sets and denies, or None for an id no question has."""
    answer = session.get(models.QuestionAnswer, answer_id)
    if answer is None:
        return None
    effects = sorted(answer.effects, key=lambda e: e.term_id)
    return QuestionAnswer(id=answer.id, question_id=answer.question_id,
                          sets=tuple(e.term_id for e in effects if e.effect == "sets"),
                          denies=tuple(e.term_id for e in effects if e.effect == "denies"))


def reply_answer(session: Session, question_id: str, intent: str) -> QuestionAnswer | None:
    """The answer to `question_id` that a typed reply read as `intent` ("yes": affirm) gives, if any."""
    for answer_id, replies in session.execute(select(models.QuestionAnswer.id, models.QuestionAnswer.replies)
                                              .where(models.QuestionAnswer.question_id == question_id)):
        if intent in (replies or "").split():
            return question_answer(session, answer_id)
    return None


def answer_ids(session: Session) -> frozenset[str]:
    """Every answer id of every deciding question (the values a button may send)."""
    return frozenset(session.scalars(select(models.QuestionAnswer.id)))
