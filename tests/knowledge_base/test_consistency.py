"""Every answer agrees with the triage tables (clinical-notes.md, "Advice that
must not be given"): a sign that any text of the knowledge base tells a person
to act on is told at the level the red-flag rules give it, never lower and
never higher.

Nothing here is a copy of the texts or of the rules, so nothing can drift:

- the texts are read from data/knowledge/ as they are (FAQ answers, relief and
  prevention steps, red-flag advice and routes, the levels' actions and safety
  nets, the terms' cautions, the causes' explanations, wording.yml);
- each sentence (and each part of it after a ';' or ':' that tells a level of
  its own) is read by the assistant's own spaCy pipeline, as if a person had
  written it: the vocabulary, NegEx and the qualifiers find the signs it names;
- the urgency a sentence tells is the most severe level whose `told_as` words
  (triage_levels.yml) it uses;
- the signs go through `queries.triage`, and the level it gives must be the
  level the sentence tells. A sentence that tells a level and names no sign the
  rules know fails. A sentence that tells a level and names no sign at all
  ("It needs checking today.") speaks of the sentence before it.

Where the pipeline reads a text's words otherwise than a person would mean them
("up to about 10 minutes" is not a prolonged cramp), the entry says so next to
the text, in `reads_as` (phrase: the terms it names, [] for none); the test
checks that each such phrase is in the text and that the pipeline does not
already read it that way (an annotation that is no longer needed fails).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import pytest
import spacy
import yaml
from spacy.language import Language
from sqlalchemy.orm import Session

from cramp_nlu.pipeline import ensure_pipeline, terms_present
from knowledge_base import queries
from knowledge_base.db import KNOWLEDGE_DIR
from knowledge_base.loader import RULE_GROUPS, KnowledgeData, load_knowledge

PLACEHOLDER = re.compile(r"\{(\w+)\}")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
PART_END = re.compile(r"(?<=[;:])\s+")


@dataclass
class Part:
    """A sentence, or the part of one that tells a level of its own."""

    text: str
    terms: set[str] = field(default_factory=set)
    told: str | None = None


@dataclass(frozen=True)
class Text:
    key: str
    text: str
    reads_as: dict[str, list[str]]
    # "alone": read on its own (an FAQ answer, a step, a caution, a safety net): a
    # sentence naming an urgent or emergency sign must say how soon to act, and a
    # sentence telling a level must name a sign the rules know. "rule": a red flag's
    # advice, said after its level's action: it must tell the rule's own level, and
    # any other level it tells (a safety net) is checked against its signs. "around":
    # a text said around others (a level's action, a cause, wording.yml): only the
    # levels it tells with signs are checked.
    role: str = "alone"
    rule_level: str | None = None
    # What the person has told for this text to be said: a term's caution is said
    # only to those who have the term.
    context: frozenset[str] = frozenset()


@cache
def knowledge() -> KnowledgeData:
    return load_knowledge()


@cache
def nlp() -> Language:
    return spacy.load(ensure_pipeline(knowledge()))


def every_text(data: KnowledgeData) -> list[Text]:
    texts = [Text(f"faq:{e['id']}", e["answer"], e.get("reads_as") or {}) for e in data.faq]
    texts += [Text(f"{e['kind']}:{e['id']}", e["text"], e.get("reads_as") or {}) for e in data.advice]
    texts += [Text(f"term:{t['id']}:caution", t["caution"], {}, context=frozenset({t["id"]}))
              for t in data.terms if t.get("caution")]
    texts += [Text(f"level:{level['id']}:safety_net", level["safety_net"], {}) for level in data.triage_levels
              if level.get("safety_net")]
    for flag in data.red_flags:
        texts.append(Text(f"red_flag:{flag['id']}", flag["advice"], flag.get("reads_as") or {}, "rule",
                          flag["level"]))
        if flag.get("route"):
            # The route is said in the level's action, in place of the region's same-day route.
            action = next(level["action"] for level in data.triage_levels if level["id"] == flag["level"])
            texts.append(Text(f"red_flag:{flag['id']}:route", action.replace("{urgent_route}", flag["route"]), {},
                              "rule", flag["level"]))
    texts += [Text(f"level:{level['id']}:{name}", level[name], {}, "around") for level in data.triage_levels
              for name in ("action", "do_not") if level.get(name)]
    texts += [Text(f"cause:{c['id']}", c["explanation"], {}, "around") for c in data.causes]
    wording = yaml.safe_load((KNOWLEDGE_DIR / "wording.yml").read_text(encoding="utf-8"))["wording"]
    texts += [Text(f"wording:{key}", value, {}, "around") for key, value in wording.items()]
    return texts


def told_level(text: str, data: KnowledgeData) -> str | None:
    """The most severe level whose `told_as` words the text uses."""
    lowered = f" {' '.join(text.lower().split())} "
    for level in sorted(data.triage_levels, key=lambda level: -level["rank"]):
        for words in level.get("told_as") or []:
            if re.search(rf"(?<![\w{{]){re.escape(words.lower())}(?![\w}}])", lowered):
                return str(level["id"])
    return None


def read(text: str) -> set[str]:
    """The terms the assistant's pipeline finds in a text and does not take as denied."""
    plain = PLACEHOLDER.sub(lambda m: "the emergency number" if m.group(1) == "emergency_number" else "",
                            " ".join(text.split()))
    return set(terms_present(nlp()(plain.lower())))


def annotated(part: str, terms: set[str], reads_as: dict[str, list[str]]) -> set[str]:
    """The terms with the entry's annotations applied: a phrase of this part reads as its terms."""
    for phrase, meant in reads_as.items():
        if phrase.lower() in part.lower():
            terms = (terms - read(phrase)) | set(meant)
    return terms


def parts(text: Text, data: KnowledgeData) -> list[Part]:
    """The text's sentences; a part after ';' or ':' that tells a level of its own stands
    alone, one that does not belongs with the part before it."""
    found: list[Part] = []
    for sentence in SENTENCE_END.split(" ".join(text.text.split())):
        pieces: list[Part] = []
        for piece in PART_END.split(sentence):
            told = told_level(piece, data)
            if pieces and told is None:
                pieces[-1].text = f"{pieces[-1].text} {piece}"
            elif pieces and pieces[-1].told is None and told is not None:
                pieces[-1].text, pieces[-1].told = f"{pieces[-1].text} {piece}", told
            else:
                pieces.append(Part(piece, told=told))
        found += [clause for piece in pieces for clause in clauses(piece, data)]
    for part in found:
        part.terms = annotated(part.text, read(part.text), text.reads_as) | text.context
    return found


def clauses(part: Part, data: KnowledgeData) -> list[Part]:
    """A part that tells two levels ("..., or dark urine need a doctor the same day, and
    chest pain needs {emergency_number}"), cut at its commas: each clause that tells a
    level takes the clauses before it; the clauses after the last one belong to it."""
    pieces = part.text.split(", ")
    if len({told_level(piece, data) for piece in pieces} - {None}) < 2:
        return [part]
    groups: list[Part] = []
    waiting: list[str] = []
    for piece in pieces:
        waiting.append(piece)
        told = told_level(piece, data)
        if told:
            groups.append(Part(", ".join(waiting), told=told))
            waiting = []
    if waiting:
        groups[-1].text = ", ".join([groups[-1].text, *waiting])
    return groups


def rule_terms(data: KnowledgeData) -> set[str]:
    return {term for flag in data.red_flags for group in RULE_GROUPS if group != "none_of"
            for term in flag.get(group) or []}


def disagreements(text: Text, kb: Session, data: KnowledgeData) -> list[str]:
    """Each sentence of the text whose urgency is not its signs' level, said why."""
    signs = rule_terms(data)
    problems = []
    found = parts(text, data)
    if text.role == "rule" and text.rule_level not in {part.told for part in found}:
        problems.append(f"never tells the rule's level ({text.rule_level}) in words of triage_levels.yml")
    for index, part in enumerate(found):
        terms, about = part.terms, part.text
        # "It needs checking today." speaks of the sentence before it.
        if part.told and not terms & signs and index and found[index - 1].told is None:
            terms, about = found[index - 1].terms, f"{found[index - 1].text} {part.text}"
        level = queries.triage(kb, terms).level if terms & signs else None
        if part.told is None:
            speaks_of_it = index + 1 < len(found) and found[index + 1].told and not found[index + 1].terms & signs
            if text.role == "alone" and level in ("emergency", "urgent") and not speaks_of_it:
                problems.append(f"names {level} signs {sorted(terms & signs)} without saying how soon: {about!r}")
            continue
        if text.role == "rule" and part.told == text.rule_level:
            continue  # the rule's own signs: the rule is the table
        if level is None:
            if text.role == "alone" and part.told in ("emergency", "urgent"):
                problems.append(f"tells {part.told} for no sign the rules know: {about!r}")
            continue
        if level != part.told:
            problems.append(f"tells {part.told}, the rules give {level} for {sorted(terms & signs)}: {about!r}")
    return problems


TEXTS = every_text(knowledge())


@pytest.mark.parametrize("text", TEXTS, ids=[text.key for text in TEXTS])
def test_every_text_tells_each_sign_at_its_level(text: Text, kb: Session) -> None:
    assert disagreements(text, kb, knowledge()) == []


def test_every_annotation_is_in_its_text_and_still_needed() -> None:
    data = knowledge()
    stale = []
    for text in every_text(data):
        for phrase, meant in text.reads_as.items():
            if phrase.lower() not in " ".join(text.text.split()).lower():
                stale.append(f"{text.key}: '{phrase}' is not in the text")
            elif read(phrase) == set(meant):
                stale.append(f"{text.key}: the pipeline already reads '{phrase}' as {sorted(meant)}")
    assert stale == []


def test_each_level_is_told_by_its_own_wording() -> None:
    # The `told_as` words come from the levels' own texts: the action, banner or
    # label of each level is read as that level, and no other.
    data = knowledge()
    for level in data.triage_levels:
        own = [level[name] for name in ("action", "banner", "label") if level.get(name)]
        assert any(told_level(text, data) == level["id"] for text in own), level["id"]
    wording = yaml.safe_load((KNOWLEDGE_DIR / "wording.yml").read_text(encoding="utf-8"))["wording"]
    assert told_level(wording["questions_stopped_urgent"], data) == "urgent"


# The reading itself: what the test would miss if it went wrong.
@pytest.mark.parametrize(("text", "problem"), [
    ("A cold or pale leg, or dark urine, need a doctor the same day.", "tells urgent, the rules give emergency"),
    ("If you become breathless, see a doctor.", "tells see_doctor, the rules give emergency"),
    ("A swollen, red calf needs checking today.", None),
    ("Pain in one swollen calf can be a clot. It needs checking today.", None),
    ("Pain in one swollen calf can be a clot. Rest it.", "without saying how soon"),
    ("Go to urgent care today for a sore elbow.", "for no sign the rules know"),
    ("Call {emergency_number} now for a swollen, red calf.", "tells emergency, the rules give urgent"),
    ("See a doctor if cramps wake you regularly; call {emergency_number} for chest pain.", None),
])
def test_the_reading_catches_a_sign_told_at_another_level(text: str, problem: str | None, kb: Session) -> None:
    found = disagreements(Text("example", text, {}), kb, knowledge())
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found


def test_an_annotation_changes_the_reading(kb: Session) -> None:
    text = "Cramps can make you sweat a lot during exercise. They are usually harmless."
    plain = disagreements(Text("example", text, {}), kb, knowledge())
    if not plain:
        pytest.skip("the pipeline no longer reads the example's phrase as a warning sign")
    assert "tells self_care" in plain[-1]
    assert disagreements(Text("example", text, {"sweat a lot during exercise": ["exercise"]}), kb,
                         knowledge()) == []


POPULATION_TERMS = {"pregnancy", "recent_birth", "pregnant_or_postpartum"}


def test_the_pregnancy_answer_names_every_pregnancy_row_and_the_clot_emergency(kb: Session) -> None:
    # A rule that only applies in pregnancy or after birth (a clot, pre-eclampsia)
    # is a sign the pregnancy answer must name, at its level; and so is a clot
    # that has reached the lungs (breathlessness, chest pain): it is the emergency
    # a pregnant person with a sore calf must know.
    data = knowledge()
    answer = next(Text("faq:pregnancy", e["answer"], e.get("reads_as") or {}) for e in data.faq
                  if e["id"] == "pregnancy")
    named = {term for part in parts(answer, data) for term in part.terms} | {"pregnancy"}
    matched = {flag.id for flag in queries.triage(kb, named).red_flags}
    own_rows = {flag["id"] for flag in data.red_flags
                if any(set(flag.get(group) or []) and set(flag.get(group) or []) <= POPULATION_TERMS
                       for group in ("all_of", "any_of"))}
    assert own_rows and own_rows | {"pulmonary_embolism_signs"} <= matched
