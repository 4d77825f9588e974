"""A term said in a person's own words, not in one of the vocabulary's phrases.

People describe a warning sign by its parts: "my pee is the colour of cola",
"toes gone purple", "can't get enough air", "words coming out wrong". A term's
`said_together` (vocabulary.yml) lists combinations of word groups
(word_groups.yml); the term is read when a word of every group of one
combination is said close together in one clause (or anywhere in the
message, for a term with `reach: message`), and none of its `not_said_with`
groups is. Any urine word with any dark colour is dark urine,
so a new way of saying it needs no new phrase.

A word group is either words (a trailing * matches any ending: "breath*" is
breath, breathe, breathing, breathless) or a length of time
(`minutes_at_least`): "20 mins", "half an hour", "over an hour now"; a time
that says when ("20 minutes ago") or how often ("every 10 minutes") is not a
length.

The entity covers the whole combination ("can't get enough air": the "can't"
is part of the sign, not a denial of it), unless another entity holds part of
it or a denial sits between its words ("the leg is not blue"); then it sits on
the last of its words that no other entity holds (after the denial), so NegEx
reads the words before it as usual. Said across clauses (`reach: message`), it
sits on the words of its first group. The whole combination is kept in
`doc.spans[SAID_TOGETHER]`, as the person's own words for the reply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

# The person's words for each term read this way.
SAID_TOGETHER = "said_together"
# The words of one combination must lie within this many tokens of each other...
REACH = 7
# ...with none of these between them: a new clause is a new statement.
CLAUSE_BREAKS = frozenset({".", ";", "!", "?", "but", "and", "though", "although", "however", "whereas",
                           "because", "cos", "so", "then", "//", "+", "&"})

_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
                 "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "few": 3, "couple": 2,
                 "several": 4, "half": 0.5, "quarter": 0.25}
_UNIT_MINUTES = {"sec": 1 / 60, "secs": 1 / 60, "second": 1 / 60, "seconds": 1 / 60, "s": 1 / 60,
                 "min": 1, "mins": 1, "minute": 1, "minutes": 1, "m": 1,
                 "hour": 60, "hours": 60, "hr": 60, "hrs": 60, "h": 60}
# Words between a number and its unit.
_FILLERS = frozenset({"a", "an", "of", "few", "couple", "good"})
# Units read only when written onto the number ("40m", "2h"), never as a word of their own.
_ATTACHED_UNITS_ONLY = frozenset({"s", "m", "h"})
_DIGITS = re.compile(r"^(\d+(?:\.\d+)?)(?:-\d+)?([a-z]*)$")
# A time that says when or how often, not how long.
_NOT_A_LENGTH_BEFORE = frozenset({"every", "after", "within", "in"})
_NOT_A_LENGTH_AFTER = frozenset({"ago", "later", "before", "earlier", "apart"})


@dataclass(frozen=True)
class Duration:
    start: int
    end: int
    minutes: float


def durations(doc: Doc) -> list[Duration]:
    """The lengths of time a text states: "20 mins", "half an hour", "an hour and a half",
    "a quarter of an hour", "40min", "over an hour now"; not "20 minutes ago" or
    "every 10 minutes"."""
    found = []
    tokens = [token.lower_ for token in doc]
    for i, word in enumerate(tokens):
        digits = _DIGITS.match(word)
        if digits:
            number = float(digits.group(1))
        elif word in _NUMBER_WORDS:
            number = _NUMBER_WORDS[word]
        else:
            continue
        if digits and digits.group(2):  # written onto the number: "40min", "2hrs"
            unit, end = digits.group(2), i + 1
        else:
            # "half an hour", "a quarter of an hour", "a few minutes", "a couple of hours"
            j = i + 1
            while j < len(tokens) and tokens[j] in _FILLERS:
                if tokens[j] in ("few", "couple"):
                    number = _NUMBER_WORDS[tokens[j]]
                j += 1
            unit, end = (tokens[j] if j < len(tokens) else ""), j + 1
            if unit in _ATTACHED_UNITS_ONLY:
                continue
        if unit not in _UNIT_MINUTES:
            continue
        minutes = number * _UNIT_MINUTES[unit]
        if tokens[end:end + 3] == ["and", "a", "half"]:
            minutes += 0.5 * _UNIT_MINUTES[unit]
            end += 3
        before = tokens[i - 1] if i else ""
        after = tokens[end] if end < len(tokens) else ""
        if before in _NOT_A_LENGTH_BEFORE or after in _NOT_A_LENGTH_AFTER:
            continue
        if found and found[-1].end > i:  # "a few minutes": one length, read once
            continue
        found.append(Duration(i, end, minutes))
    return found


# One word of a word-group entry: its NORM, and whether any ending may follow ("breath*").
WordSpec = tuple[str, bool]


def word_specs(nlp: Language, phrase: str) -> tuple[WordSpec, ...]:
    """A word-group entry token by token as spaCy splits it ("can't" is "ca" +
    "n't"), as NORMs, so that misspellings read as the word count; a trailing *
    matches any ending of that word ("3* weeks": 30 weeks, 36 weeks)."""
    specs: list[WordSpec] = []
    for word in phrase.lower().split():
        norms = [token.norm_ for token in nlp.make_doc(word.rstrip("*"))]
        specs += [(norm, False) for norm in norms]
        if word.endswith("*"):
            specs[-1] = (specs[-1][0], True)
    return tuple(specs)


class WordGroupMatcher:
    """Where a text says a word of each group: an index from each entry's first
    word (exactly, or a prefix of it) to the entries, then the rest checked word
    by word. A dictionary lookup a token instead of spaCy's Matcher, whose
    prefix patterns (regular expressions) cost 2 ms a message."""

    def __init__(self, entries: dict[str, list[tuple[WordSpec, ...]]]) -> None:
        self.exact: dict[str, list[tuple[str, tuple[WordSpec, ...]]]] = {}
        self.prefix: dict[str, list[tuple[str, tuple[WordSpec, ...]]]] = {}
        for group, specs_list in entries.items():
            for specs in specs_list:
                (first, is_prefix) = specs[0]
                (self.prefix if is_prefix else self.exact).setdefault(first, []).append((group, specs))
        self.prefix_lengths = sorted({len(first) for first in self.prefix})

    def __call__(self, doc: Doc) -> list[tuple[str, int, int]]:
        norms = [token.norm_ for token in doc]
        found = []
        for i, norm in enumerate(norms):
            candidates = list(self.exact.get(norm, ()))
            for length in self.prefix_lengths:
                if length > len(norm):
                    break
                candidates += self.prefix.get(norm[:length], ())
            for group, specs in candidates:
                end = i + len(specs)
                if end <= len(norms) and all(
                        norms[i + k].startswith(word) if is_prefix else norms[i + k] == word
                        for k, (word, is_prefix) in enumerate(specs)):
                    found.append((group, i, end))
        return found


@dataclass(frozen=True)
class Combination:
    term: str
    label: str
    groups: tuple[str, ...]
    unless: tuple[str, ...]
    # `reach: message`: the groups may be said anywhere in the message, in any clause.
    anywhere: bool = False


class SaidTogether:
    """See the module docstring."""

    def __init__(self, nlp: Language, groups: dict[str, dict[str, Any]], combinations: list[Combination]) -> None:
        self.lengths = {name: float(group["minutes_at_least"]) for name, group in groups.items()
                        if "minutes_at_least" in group}
        self.matcher = WordGroupMatcher({name: [word_specs(nlp, word) for word in group["words"]]
                                         for name, group in groups.items() if "words" in group})
        self.combinations = combinations

    def __call__(self, doc: Doc) -> Doc:
        said: dict[str, list[tuple[int, int]]] = {}
        for group, start, end in self.matcher(doc):
            said.setdefault(group, []).append((start, end))
        for length in durations(doc):
            for name, minutes in self.lengths.items():
                if length.minutes >= minutes:
                    said.setdefault(name, []).append((length.start, length.end))
        if not said:
            doc.spans[SAID_TOGETHER] = []
            return doc
        entities = list(doc.ents)
        taken = {i for entity in entities for i in range(entity.start, entity.end)}
        quotes = []
        for combination in self.combinations:
            found = self._find(doc, combination, said)
            if found is None:
                continue
            start, end, words = found
            # Another way of saying the same term over the same words is the same finding.
            if any(q.kb_id_ == combination.term and q.start < end and start < q.end for q in quotes):
                continue
            # The entity covers the whole combination when no other entity holds any of
            # it and no denial sits inside it, so that a negation that is one of its
            # words ("can't get enough air") is part of the sign; otherwise it sits on
            # the last words that no other entity holds, after the denial.
            denial = _last_denial_between(doc, start, end, words)
            whole = [(start, end)] if not combination.anywhere and denial is None else []
            # Said across clauses, it sits on its first group's words (the sign
            # itself: "floppy" in "after the cramp went my foot stayed floppy").
            preferred = [*words[1:], words[0]] if combination.anywhere else sorted(words, reverse=True)
            if denial is not None:  # only after the denial, so that NegEx reads it
                preferred = [m for m in preferred if m[0] > denial]
            free = [m for m in [*whole, *preferred] if not set(range(*m)) & taken]
            if not free:  # a word of it that no other entity holds ("one" of "one calf")
                free = [(i, i + 1) for m in preferred for i in range(*m) if i not in taken]
            if not free and combination.anywhere:  # another place it says one of its words
                free = [(i, i + 1) for group in combination.groups for m in said[group] for i in range(*m)
                        if i not in taken and not _denied_just_before(doc, m[0])]
            if not free and not combination.anywhere:
                free = [(i, i + 1) for i in range(end - 1, (start if denial is None else denial) - 1, -1)
                        if i not in taken and i != denial]
            if not free:
                continue
            anchor = free[0]
            entities.append(Span(doc, anchor[0], anchor[1], label=combination.label, kb_id=combination.term,
                                 span_id=combination.term))
            taken.update(range(*anchor))
            quotes.append(Span(doc, start, end, label=combination.label, kb_id=combination.term))
        doc.ents = sorted(entities, key=lambda span: span.start)
        doc.spans[SAID_TOGETHER] = quotes
        return doc

    def _find(self, doc: Doc, combination: Combination,
              said: dict[str, list[tuple[int, int]]]) -> tuple[int, int, list[tuple[int, int]]] | None:
        """The first place where every group of the combination is said within reach,
        in one clause, without any of its `unless` groups: (start, end, each group's words)."""
        if any(group not in said for group in combination.groups):
            return None
        *others, last = combination.groups
        for anchor in said[last]:
            chosen = [anchor]
            for group in others:
                near = [m for m in said[group]
                        if (combination.anywhere or _together(doc, m, anchor))
                        and not set(range(*m)) & set(range(*anchor))]
                if not near:
                    break
                chosen.append(min(near, key=lambda m: abs(m[0] - anchor[0])))
            else:
                start, end = min(m[0] for m in chosen), max(m[1] for m in chosen)
                # An `unless` word counts inside the combination or just before it
                # ("sat for hours", "I walk for 30 minutes"), not after it; anywhere in
                # the message for a combination that reaches that far. It does not
                # count when it is one of the combination's own words ("sore between
                # the cramps") or is denied ("even when it's not cramping").
                # Said across clauses, a word of it that is denied denies it all:
                # "no trouble peeing, but I can't feel my foot" is not bladder trouble.
                if combination.anywhere and any(_denied_just_before(doc, m[0]) for m in chosen):
                    continue
                own = {i for m in chosen for i in range(*m)}
                if any((combination.anywhere or (m[1] <= end and _together(doc, m, (start, end))))
                       and not set(range(*m)) <= own and not _denied_just_before(doc, m[0])
                       for group in combination.unless for m in said.get(group, ())):
                    continue
                return start, end, chosen
        return None


# Words that deny what follows them ("the leg is not blue").
DENIALS = frozenset({"no", "not", "n't", "nt", "never", "without", "none"})


def _last_denial_between(doc: Doc, start: int, end: int, words: list[tuple[int, int]]) -> int | None:
    """Where the last denial between the combination's words sits, if one does
    without being one of them: "is not blue" denies, "can't get enough air"
    (can't is a word of the sign) does not."""
    own = {i for m in words for i in range(*m)}
    denials = [token.i for token in doc[start:end]
               if token.i not in own and (token.norm_ in DENIALS or token.lower_ in DENIALS)]
    return denials[-1] if denials else None


def _denied_just_before(doc: Doc, start: int) -> bool:
    """Whether one of the two words before `start` is a denial ("not cramping", "no cramp")."""
    return any(token.norm_ in DENIALS or token.lower_ in DENIALS for token in doc[max(start - 2, 0):start])


def close_in_one_clause(doc: Doc, first: tuple[int, int], second: tuple[int, int], reach: int,
                        breaks: frozenset[str]) -> bool:
    """Whether two token ranges lie at most `reach` tokens apart with none of
    `breaks` between them (used for word groups here and for qualifiers)."""
    start, end = min(first[1], second[1]), max(first[0], second[0])
    return end - start <= reach and not any(token.lower_ in breaks for token in doc[start:end])


# A comma followed by one of these sets what follows apart ("the leg isn't hot,
# just a cramp that's gone"); a bare comma does not ("swollen, red and hot"),
# nor one before a word that points back ("my leg, it's gone cold").
CONTRAST_AFTER_COMMA = frozenset({"just", "only", "apart", "except", "otherwise"})


def _together(doc: Doc, first: tuple[int, int], second: tuple[int, int]) -> bool:
    start, end = min(first[1], second[1]), max(first[0], second[0])
    return (close_in_one_clause(doc, first, second, REACH, CLAUSE_BREAKS)
            and not any(token.text == "," and token.i + 1 < len(doc)
                        and doc[token.i + 1].lower_ in CONTRAST_AFTER_COMMA for token in doc[start:end]))


def combinations(terms: Iterable[dict[str, Any]]) -> list[Combination]:
    """Every term's `said_together` combinations, in the vocabulary's order."""
    return [Combination(term["id"], term["kind"], tuple(groups), tuple(term.get("not_said_with") or ()),
                        term.get("reach") == "message")
            for term in terms for groups in term.get("said_together") or ()]


@Language.factory("said_together", default_config={"groups": {}, "combinations": []})
def make_said_together(nlp, name, groups, combinations):  # type: ignore[no-untyped-def]
    return SaidTogether(nlp, groups, [Combination(c[0], c[1], tuple(c[2]), tuple(c[3]), c[4]) for c in combinations])
