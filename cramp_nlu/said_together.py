"""A term said in a person's own words, not in one of the vocabulary's phrases.

People describe a warning sign by its parts: "my pee is the colour of cola",
"toes gone purple", "can't get enough air", "words coming out wrong". A term's
`said_together` (vocabulary.yml) lists combinations of word groups
(word_groups.yml); the term is read when a word of every group of one
combination is said close together in one clause (anywhere in one sentence
for a term with `reach: sentence`, anywhere in the message for one with
`reach: message`), and none of its `not_said_with`
groups is. Any urine word with any dark colour is dark urine,
so a new way of saying it needs no new phrase.

A word group is words (a trailing * matches any ending: "breath*" is
breath, breathe, breathing, breathless; a prefix that is a word of its own
matches only its inflections: "pain*" is never painting), or one of four
quantities said in any way:
- `minutes_at_least`, a length of time in seconds, minutes or hours: "20
  mins", "half an hour", "over an hour now", "15 mintes" (a unit misspelt by
  an edit), "cramping for 36 hours"; a time that says when ("20 minutes ago") or how often ("every 10
  minutes") is not a length;
- `clock_minutes_at_least`, the same worked out from a clock time said as
  when something began and one said as now ("started at 2am, its 2:25 now",
  "since 6 this morning and it's now quarter to eight");
- `days_at_least`, a length in days, weeks, months or years: "for 5 years",
  "6 weeks on", "since 2019"; with `ago: true`, only a time said as when, at
  least that long ago: "2 years ago", "three months back", "in 2019" (from the
  end of that year), never "for 2 years";
- `per_week_at_least` and/or `per_week_below`, how often, as times a week: "3
  or 4 times a week", "4-5 nights a week", "most nights", "every other night",
  "twice a day", "every other week" (0.5), "a few times a year".

The entity covers the whole combination ("can't get enough air": the "can't"
is part of the sign, not a denial of it), unless another entity holds part of
it or a denial sits between its words ("the leg is not blue"); then it sits on
the last of its words that no other entity holds (after the denial), so NegEx
reads the words before it as usual. Said across clauses (`reach: message`), it
sits on the words of its first group. The whole combination is kept in
`doc.spans[SAID_TOGETHER]`, as the person's own words for the reply.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA
from spacy.language import Language
from spacy.tokens import Doc, Span

from rasa_adapter.budget import out_of_time

# Answers to the questions (where, when, how often), as against signs and qualifiers.
ANSWER_KINDS = frozenset({"body_location", "timing", "frequency"})
# Answers said in words that a sign or a qualifier holds ("cramp on long bike rides" is
# walking pain and cycling; "after my run", exercise): no entity of the doc can share
# those words, so they are kept apart for the entity extractor (Rasa's entities may overlap).
ANSWERS_IN_OTHER_WORDS = "answers_in_other_words"
# The kind of the vocabulary's look-alikes ("Red Bull", "cold water").
LOOK_ALIKE = "look_alike"
# The kind of the vocabulary's qualifiers.
QUALIFIER = "qualifier"
# The person's words for each term read this way.
SAID_TOGETHER = "said_together"
# Qualifiers said as a quantity alone ("15 years ago": long-standing, out of date, more
# than 12 weeks ago) whose words other entities already hold: the same words may
# qualify in several ways, and an entity cannot share them, so they are kept here
# for the qualifiers step (cramp_nlu.pipeline.TermQualifiers).
SHARED_QUALIFIERS = "shared_qualifiers"
# The words of one combination must lie within this many tokens of each other...
REACH = 7
# ...with none of these between them: a new clause is a new statement.
CLAUSE_BREAKS = frozenset({".", ";", "!", "?", "but", "and", "though", "although", "however", "whereas",
                           "because", "cos", "so", "then", "//", "+", "&"})

_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
                 "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "few": 3, "couple": 2,
                 "several": 4, "half": 0.5, "quarter": 0.25, "hlf": 0.5, "haf": 0.5, "harf": 0.5}
_UNIT_MINUTES = {"sec": 1 / 60, "secs": 1 / 60, "second": 1 / 60, "seconds": 1 / 60, "s": 1 / 60,
                 "min": 1, "mins": 1, "minute": 1, "minutes": 1, "m": 1,
                 "hour": 60, "hours": 60, "hr": 60, "hrs": 60, "h": 60}
# Units of days and longer: a length in these is never a cramp's length
# ("cramps for 3 days" is not one cramp lasting 3 days); `days_at_least` reads them.
_UNIT_DAYS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "wk": 7, "wks": 7, "fortnight": 14, "fortnights": 14,
              "month": 30, "months": 30, "mth": 30, "mths": 30, "year": 365, "years": 365, "yr": 365, "yrs": 365}
DAY_MINUTES = 24 * 60
# Words between a number and its unit.
_FILLERS = frozenset({"a", "an", "of", "few", "couple", "good"})
# Units read only when written onto the number ("40m", "2h"), never as a word of their own.
_ATTACHED_UNITS_ONLY = frozenset({"s", "m", "h"})
_DIGITS = re.compile(r"^(\d+(?:\.\d+)?)(?:-\d+)?([a-z]*)$")
# A time that says when or how often, not how long.
_NOT_A_LENGTH_BEFORE = frozenset({"every", "after", "within", "in"})
_NOT_A_LENGTH_AFTER = frozenset({"ago", "later", "before", "earlier", "apart", "into"})
# A time into an activity: "about 25 mins in", "25 mins in, my calf goes" (not "20 mins in my calf")...
_IN_ENDS = frozenset({"", ",", ".", "!", "?", ";", "-", "and", "but", "then", "when", "or", "i", "it", "is"})
# ...and a part of it: "the last 20 mins of games", "the first 10 minutes of a run".
_PART_OF = frozenset({"last", "first", "final", "opening", "closing"})


def _when_in_an_activity(tokens: list[str], before: str, end: int) -> bool:
    after = tokens[end] if end < len(tokens) else ""
    following = tokens[end + 1] if end + 1 < len(tokens) else ""
    return (after == "in" and following in _IN_ENDS) or (before in _PART_OF and after == "of")


@dataclass(frozen=True)
class Duration:
    start: int
    end: int
    minutes: float
    # Worked out from two clock times ("started at 2am, it's 2:25 now").
    clock: bool = False
    # Said in days or longer units ("for 3 days", "5 years"), not minutes or hours:
    # never a cramp's length, however long ("cramping for 36 hours" is one).
    in_days: bool = False
    # Said as when something happened ("2 years ago", "in 2019", "three months back"),
    # not how long it has lasted ("for 2 years", "since 2019").
    ago: bool = False


# Short misspellings of units, too short to be read as one edit away: "45mns".
_UNIT_SPELLINGS = {"mns": "mins", "mn": "min", "mts": "mins", "mnts": "mins", "hr.": "hr", "hrz": "hrs"}


def _closest_unit(word: str) -> str:
    """A misspelt unit of minutes or hours as the unit ("30 minits", "mintes", "minuets",
    "45mns"): one edit away (two from six letters), same first letter, or one of the
    short misspellings; anything else unchanged."""
    word = _UNIT_SPELLINGS.get(word, word)
    if len(word) < 4 or word in _UNIT_MINUTES:
        return word
    edits = 1 if len(word) < 6 else 2
    close = process.extractOne(word, [u for u in _UNIT_MINUTES if len(u) >= 4 and u[0] == word[0]],
                               scorer=OSA.distance, score_cutoff=edits)
    return close[0] if close else word


def _number(word: str) -> float | None:
    digits = _DIGITS.match(word)
    if digits and not digits.group(2):
        return float(digits.group(1))
    return _NUMBER_WORDS.get(word)


def durations(doc: Doc) -> list[Duration]:
    """The lengths of time a text states: "20 mins", "half an hour", "an hour and a half",
    "a quarter of an hour", "40min", "over an hour now", "started at 3am, still going
    at 3:20"; not "20 minutes ago" or "every 10 minutes". Lengths in days or more
    ("for 5 years", "6 weeks ago" as the age of something, "since 2019") are read
    too, apart (`Duration.in_days`)."""
    found: list[Duration] = []
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
        before = tokens[i - 1] if i else ""
        after = tokens[end] if end < len(tokens) else ""
        if unit in _UNIT_DAYS:
            # The age of something ("a cut 6 weeks ago") is a length too; "every 2 weeks" is not.
            if before != "every" and not (found and found[-1].end > i):
                ago = after in _SAID_AS_WHEN  # its words include the "ago"
                found.append(Duration(i, end + ago, number * _UNIT_DAYS[unit] * DAY_MINUTES, in_days=True, ago=ago))
            continue
        unit = _closest_unit(unit)
        if unit not in _UNIT_MINUTES:
            continue
        minutes = number * _UNIT_MINUTES[unit]
        if tokens[end:end + 3] == ["and", "a", "half"]:
            minutes += 0.5 * _UNIT_MINUTES[unit]
            end += 3
            after = tokens[end] if end < len(tokens) else ""
        if after == "ago" and _still_going_since(tokens, i, end):
            # "the cramp started 20 min ago, still locked": it has lasted that long.
            if not (found and found[-1].end > i):
                found.append(Duration(i, end + 1, minutes))
            continue
        if before in _NOT_A_LENGTH_BEFORE or after in _NOT_A_LENGTH_AFTER or _when_in_an_activity(tokens, before, end):
            continue
        if found and found[-1].end > i:  # "a few minutes": one length, read once
            continue
        found.append(Duration(i, end, minutes))
    sentence_starts = {sentence.start for sentence in doc.sents} if doc.has_annotation("SENT_START") else {0}
    return sorted(found + _since_a_year(tokens) + _clock_spans(tokens, sentence_starts), key=lambda d: d.start)


# Said after a time in days or longer, it says when, not for how long: "2 years ago", "3 months back".
_SAID_AS_WHEN = frozenset({"ago", "back", "before", "earlier", "previously"})
# Before a year: since then (a length) or in it (when); "my last tetanus was 1998".
_BEFORE_A_YEAR = {"since": False, "in": True, "was": True, "around": True, "about": True, "circa": True}
# "started 20 min ago ... still locked": a start said as a time ago, with a sign that it has not stopped
# within this many words after it.
_STARTED = frozenset({"started", "start", "began", "begun", "came", "kicked", "hit", "cramped", "seized", "went",
                      "locked", "cramp", "cramping", "spasm"})
_STILL_NOW = frozenset({"still", "nonstop", "solid"})
_STILL_REACH = 6
_STATEMENT_ENDS = frozenset({".", "!", "?", ";", "but", "though", "now"})


def _still_going_since(tokens: list[str], start: int, end: int) -> bool:
    """Whether a time "ago" (from `start` to `end`, before its "ago") says when something
    began that is still going: "started 20 min ago still locked", "cramp kicked in half an
    hour ago and it's still there"."""
    if not any(word in _STARTED for word in tokens[max(start - 3, 0):start]):
        return False
    for word in tokens[end + 1:end + 1 + _STILL_REACH]:
        if word in _STILL_NOW:
            return True
        if word in _STATEMENT_ENDS:
            return False
    return False


def _since_a_year(tokens: list[str]) -> list[Duration]:
    """"since 2019", "my last jab was in 2008": the years from then to now, as a length.
    Said as when ("in 2019", "was 1998"), it counts from the end of that year, the
    shortest it can be ("in 2025", said in January 2026, may be weeks ago)."""
    today = date.today()
    found = []
    for i, word in enumerate(tokens):
        if not (i and tokens[i - 1] in _BEFORE_A_YEAR and _YEAR.match(word) and int(word) <= today.year):
            continue
        ago = _BEFORE_A_YEAR[tokens[i - 1]]
        days = ((today - date(int(word), 12, 31)).days if ago else (today.year - int(word)) * 365)
        found.append(Duration(i - 1, i + 1, max(days, 0) * DAY_MINUTES, in_days=True, ago=ago))
    return found


_YEAR = re.compile(r"^(19|20)\d\d$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d\d))?(am|pm)?$")
# An hour in digits: str.isdigit() also takes "²" and "③", which int() refuses.
_HOUR_DIGITS = re.compile(r"[0-9]{1,2}")
_HOUR_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
               "ten": 10, "eleven": 11, "twelve": 12}
_NAMED_TIMES = {"midnight": 0, "noon": 12 * 60, "midday": 12 * 60, "lunchtime": 12 * 60 + 30}
_PAST_TO = {"quarter": 15, "half": 30, "five": 5, "ten": 10, "twenty": 20, "twenty-five": 25}
# A bare number is a clock time only after one of these ("at 3", "since 6", "it's now 8").
_CLOCK_CUES = frozenset({"at", "since", "from", "till", "until", "is", "it's", "its", "'s", "now", "by", "about",
                         "around"})
# Said as when it began ("since 6am", "kicked in at 3", "came on at 4.50")...
_CLOCK_SINCE = frozenset({"since", "from"})
_ONSET_WORDS = frozenset({"started", "start", "starts", "began", "begun", "on", "in", "cramp", "cramped", "cramping",
                          "seized", "hit", "woke", "went", "hurt"})
# ...and as now ("it's 2:25", "till now which is 1am", "now at 9:20").
_CLOCK_NOW = frozenset({"now", "it's", "its", "till", "until", "still"})
# Two clock times make a length only when the message says it has not stopped.
_STILL_GOING = ("still", "non stop", "nonstop", "won't", "wont", "hasn't", "hasnt", "whole time", "all this time",
                "the entire time", "nothing works", "nothing helps", "no good", "isn't touching", "not touching",
                "doesn't touch", "solid", "locked", "gripping", "on and off", "and counting", "not eased",
                "not easing", "won't ease", "wont ease", "not letting go", "keeps", "isn't helping", "not helping",
                "doesn't help", "didn't help", "no better", "nothing helped", "tried everything")


def _clock_time(tokens: list[str], i: int) -> tuple[int, int] | None:
    """The minutes past midnight (on a 12-hour clock) that the words from `i` state, and
    where they end: "3am", "3:20", "4.50", "6 am", "8" (after a cue), "midnight",
    "quarter to eight", "ten past midnight"."""
    word = tokens[i]
    before = tokens[i - 1] if i else ""
    if word in _NAMED_TIMES:
        return _NAMED_TIMES[word] % (12 * 60), i + 1
    if word in _PAST_TO and i + 2 < len(tokens) and tokens[i + 1] in ("past", "to"):
        named = tokens[i + 2]
        hour = ((_HOUR_WORDS[named] % 12 * 60, i + 3) if named in _HOUR_WORDS
                else (int(named) % 12 * 60, i + 3) if _HOUR_DIGITS.fullmatch(named) and int(named) <= 24
                else _clock_time(tokens, i + 2))
        if hour is None:
            return None
        offset = _PAST_TO[word] if tokens[i + 1] == "past" else -_PAST_TO[word]
        return (hour[0] + offset) % (12 * 60), hour[1]
    if word in _HOUR_WORDS and before in _CLOCK_CUES and (i + 1 >= len(tokens) or tokens[i + 1] not in _OCCASIONS):
        return _HOUR_WORDS[word] % 12 * 60, i + 1
    match = _CLOCK.match(word)
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    end = i + 1
    if not match.group(3) and end < len(tokens) and tokens[end] in ("am", "pm", "a.m.", "p.m."):
        end += 1
    if hours > 24 or minutes > 59 or (not match.group(2) and end == i + 1 and before not in _CLOCK_CUES):
        return None
    return (hours % 12) * 60 + minutes, end


def _clock_role(tokens: list[str], i: int, sentence_starts: set[int] | frozenset[int]) -> str | None:
    """Whether a clock time at `i` is said as when it began ("since"), as now ("now"), or neither."""
    before = tokens[max(i - 3, 0):i]
    if any(word in _CLOCK_SINCE for word in before):
        return "since"
    if (any(word in _CLOCK_NOW for word in before) or tokens[i + 1:i + 2] == ["now"]
            or before[-2:] == ["it", "'s"]):
        return "now"
    at = max((k for k in range(max(i - 2, 0), i) if tokens[k] == "at"), default=None)
    if at is not None and (at in sentence_starts or any(w in _ONSET_WORDS for w in tokens[max(at - 4, 0):at])):
        return "since"
    return None


def _clock_spans(tokens: list[str], sentence_starts: set[int] | frozenset[int] = frozenset()) -> list[Duration]:
    """From a clock time said as when it began ("since 6am", "kicked in at 3") to one said
    as now ("it's now 8", "its 2:25 now"), in either order: that length, up to six hours."""
    times = []
    i = 0
    while i < len(tokens):
        time = _clock_time(tokens, i)
        if time is None:
            i += 1
            continue
        role = _clock_role(tokens, i, sentence_starts)
        if role:
            times.append((role, i, time[1], time[0]))
        i = time[1]
    began = [t for t in times if t[0] == "since"]
    now = [t for t in times if t[0] == "now"]
    if not began or not now:
        return []
    text = re.sub(r" (n't|nt)\b", r"\1", " ".join(tokens))
    if not any(cue in text for cue in _STILL_GOING):
        return []
    _, start, _, since = began[0]
    _, at, end, minutes = now[-1]
    length = (minutes - since) % (12 * 60)
    if not 0 < length <= 6 * 60:
        return []
    # The person's words run from the "since" or "at" before the first time ("since 6am and its now 8").
    first = min(start, at)
    if first and tokens[first - 1] in _CLOCK_SINCE | {"at"}:
        first -= 1
    return [Duration(first, max(end, start + 1), length, clock=True)]


# How often, said as a number of times in a period: "3 or 4 times a week",
# "4-5 nights a week", "twice a day", "most nights", "every other night", "nightly".
_TIMES = {"once": 1, "twice": 2, "thrice": 3}
_OCCASIONS = frozenset({"times", "time", "x", "nights", "night", "days", "mornings", "evenings", "cramps",
                        "attacks", "episodes", "occasions", "shifts", "games", "matches", "runs", "rides",
                        "sessions", "workouts", "classes", "walks", "swims", "hikes"})
# One word for how often: "nightly", "fortnightly".
_RATE_WORDS = {"nightly": 7, "daily": 7, "fortnightly": 0.5, "monthly": 7 / 30, "yearly": 7 / 365,
               "annually": 7 / 365}
_PER = frozenset({"a", "per", "each", "every", "in", "the", "/", "one", "this", "last"})
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend")
_PERIOD_WEEKS = {"day": 1 / 7, "night": 1 / 7, "week": 1, "wk": 1, "fortnight": 2, "month": 30 / 7,
                 "season": 13, "year": 365 / 7, **{day: 1 for day in _WEEKDAYS},
                 # "a few times each summer": a season comes once a year
                 **{season: 365 / 7 for season in ("summer", "winter", "spring", "autumn")}}
# "most weekends", "most Saturdays": nearly once a week; "most working days": 4 a week.
_MOST_WEEKLY = frozenset({f"{day}s" for day in _WEEKDAYS} | {"weeks"})
_MOST_OF = frozenset({"working", "work", "school", "week", "training", "shift"})
_EVERY_PERIOD = {"night": 7, "nite": 7, "day": 7, "morning": 7, "evening": 7, "other": 3.5}
_MOST_PERIOD = frozenset({"nights", "nites", "days", "mornings", "evenings"})
_PERIOD_SPELLINGS = {"nite": "night", "nites": "night"}


@dataclass(frozen=True)
class Rate:
    start: int
    end: int
    per_week: float


def rates(doc: Doc) -> list[Rate]:
    """How often a text says something happens, as times a week: "3 or 4 times a week"
    (3), "four or five nights a week" (4), "twice a month" (0.47), "most nights" (4),
    "every other night" (3.5), "nightly" (7)."""
    tokens = [token.lower_ for token in doc]
    found: list[Rate] = []
    for i, word in enumerate(tokens):
        if word in _RATE_WORDS:
            found.append(Rate(i, i + 1, _RATE_WORDS[word]))
        elif word == "most" and i + 1 < len(tokens) and tokens[i + 1] in _MOST_PERIOD:
            found.append(Rate(i, i + 2, 4))
        elif word == "most" and i + 1 < len(tokens) and tokens[i + 1] in _MOST_WEEKLY:
            found.append(Rate(i, i + 2, 0.8))
        elif (word == "most" and i + 2 < len(tokens) and tokens[i + 1] in _MOST_OF
              and tokens[i + 2] in _MOST_PERIOD):
            found.append(Rate(i, i + 3, 4))
        elif word in ("every", "each") and (every := _every(tokens, i)):
            found.append(every)
        else:
            times_written_on = re.match(r"^(\d+)(?:-\d+)?x$", word)  # "2x a week", "2-3x a week"
            number = (_TIMES.get(word) or _number(word)
                      or (float(times_written_on.group(1)) if times_written_on else None))
            if number is None or (found and found[-1].end > i):
                continue
            j = i + 1
            if word in ("couple", "few") and j < len(tokens) and tokens[j] == "of":  # "a couple of times"
                j += 1
            # "3 or 4", "3-4", "3 to 4": the lower number counts
            if j + 1 < len(tokens) and tokens[j] in ("or", "-", "to") and _number(tokens[j + 1]) is not None:
                j += 2
            elif j + 1 < len(tokens) and tokens[j] in ("or", "-", "to") and re.match(r"^\d+x$", tokens[j + 1]):
                times_written_on, j = re.match(r"^(\d+)", word), j + 2  # "2-3x a week": spaCy splits it
            if word not in _TIMES and not times_written_on:
                if j < len(tokens) and tokens[j] in _OCCASIONS:
                    j += 1
                    # "5 nights out of 7": of a week
                    if tokens[j:j + 2] == ["out", "of"] and j + 2 < len(tokens) and _number(tokens[j + 2]) == 7:
                        found.append(Rate(i, j + 3, number))
                        continue
                # "4 a week", "five a month" (never "2 a day": that is how pills are taken)
                elif not (tokens[j:j + 1] in (["a"], ["per"]) and j + 1 < len(tokens)
                          and _period(tokens[j + 1]) in ("week", "month", "year")):
                    continue
            while j < len(tokens) and tokens[j] in _PER:
                j += 1
            period = _PERIOD_SPELLINGS.get(tokens[j], tokens[j].rstrip("s")) if j < len(tokens) else ""
            if j == i + 1 or period not in _PERIOD_WEEKS:
                continue
            found.append(Rate(i, j + 1, number / _PERIOD_WEEKS[period]))
    return found


def _every(tokens: list[str], i: int) -> Rate | None:
    """"every night" (7 a week), "every other night" (3.5), "every other week"
    (0.5), "every few weeks" (0.33), "every 2 or 3 months", "each month"."""
    j = i + 1
    if j < len(tokens) and tokens[j] == "other":
        if j + 1 < len(tokens) and _period(tokens[j + 1]) in _PERIOD_WEEKS:
            return Rate(i, j + 2, 1 / (2 * _PERIOD_WEEKS[_period(tokens[j + 1])]))
        return Rate(i, j + 1, _EVERY_PERIOD["other"])  # "every other night", said as "every other"
    if j < len(tokens) and tokens[j] in _EVERY_PERIOD:
        return Rate(i, j + 1, _EVERY_PERIOD[tokens[j]])
    number = 1.0
    if j < len(tokens) and (tokens[j] in ("few", "couple") or _number(tokens[j]) is not None):
        number = 3.0 if tokens[j] == "few" else 2.0 if tokens[j] == "couple" else float(_number(tokens[j]) or 1)
        j += 1
        if j < len(tokens) and tokens[j] == "of":
            j += 1
        if j + 1 < len(tokens) and tokens[j] in ("or", "-", "to") and _number(tokens[j + 1]) is not None:
            j += 2
    if j < len(tokens) and _period(tokens[j]) in _PERIOD_WEEKS:
        return Rate(i, j + 1, 1 / (number * _PERIOD_WEEKS[_period(tokens[j])]))
    return None


def _period(word: str) -> str:
    return _PERIOD_SPELLINGS.get(word, word.rstrip("s"))


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
    prefix patterns (regular expressions) were slow on every message
    (bench/results/history.md)."""

    def __init__(self, entries: dict[str, list[tuple[WordSpec, ...]]],
                 other_words: dict[str, list[str]] | None = None) -> None:
        # A prefix that is a word of its own does not match other words it begins
        # ("pain*" is pain, pains, painful, never painting): see `other_words_of_prefixes`.
        self.other_words = {prefix: frozenset(words) for prefix, words in (other_words or {}).items()}
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
                        (norms[i + k].startswith(word) and norms[i + k] not in self.other_words.get(word, ()))
                        if is_prefix else norms[i + k] == word
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
    # `reach: sentence`: anywhere in one sentence, unless a contrast ("but") sets them apart.
    sentence: bool = False
    # Findings that are part of this term when said inside it (`replaces`).
    replaces: tuple[str, ...] = ()


class SaidTogether:
    """See the module docstring."""

    def __init__(self, nlp: Language, groups: dict[str, dict[str, Any]], combinations: list[Combination],
                 other_words: dict[str, list[str]] | None = None) -> None:
        def at_least(kind: str) -> dict[str, float]:
            """group -> its threshold, for the groups that are this kind of quantity."""
            return {name: float(group[kind]) for name, group in groups.items() if kind in group}

        self.lengths = at_least("minutes_at_least")
        self.long_lengths = at_least("days_at_least")
        # Lengths in days that count only said as when ("2 years ago", "in 2019"): `ago: true`.
        self.said_as_when = frozenset(name for name, group in groups.items() if group.get("ago"))
        # How often: group -> (at least, below) times a week.
        self.rates = {name: (float(group.get("per_week_at_least", 0)), float(group.get("per_week_below", "inf")))
                      for name, group in groups.items() if "per_week_at_least" in group or "per_week_below" in group}
        self.clock_lengths = at_least("clock_minutes_at_least")
        self.quantities = frozenset({*self.lengths, *self.long_lengths, *self.rates, *self.clock_lengths})
        self.matcher = WordGroupMatcher({name: [word_specs(nlp, word) for word in group["words"]]
                                         for name, group in groups.items() if "words" in group}, other_words)
        # Answers to the questions last: the words of a sign or a qualifier are read as
        # that first ("ran up 4 flights of stairs, puffed out" is breathlessness after
        # exertion; the stairs then say nothing more).
        self.combinations = sorted(combinations, key=lambda c: c.label in ANSWER_KINDS)

    def said(self, doc: Doc) -> dict[str, list[tuple[int, int]]]:
        """Where the text says each word group: group -> its places (start, end), at most
        MAX_PLACES_PER_GROUP of each, in the order they were found."""
        said: dict[str, list[tuple[int, int]]] = {}
        # A word inside a look-alike is part of something else: the "cold" of "cold
        # open water" is not a cold leg, the "hot" of "hot days" not a hot one.
        looks_alike = {i for entity in doc.ents if entity.label_ == LOOK_ALIKE for i in range(entity.start, entity.end)}
        for group, start, end in self.matcher(doc):
            if not any(i in looks_alike for i in range(start, end)):
                said.setdefault(group, []).append((start, end))
        for length in durations(doc):
            if length.in_days:
                for name, days in self.long_lengths.items():
                    if length.minutes >= days * DAY_MINUTES and (length.ago or name not in self.said_as_when):
                        said.setdefault(name, []).append((length.start, length.end))
                continue
            for name, minutes in [*self.lengths.items(), *(self.clock_lengths.items() if length.clock else ())]:
                if length.minutes >= minutes:
                    said.setdefault(name, []).append((length.start, length.end))
        found_rates = rates(doc) if self.rates else []
        if found_rates:
            # The words of a number of times are that number and nothing else: the
            # "every" of "every week after her match" is not "after every match".
            # (The furthest end of a rate starting at or before each token: a place lies
            # inside a rate when that reaches its end.)
            reach = [-1] * (len(doc) + 1)
            for rate in found_rates:
                reach[rate.start] = max(reach[rate.start], rate.end)
            for i in range(1, len(reach)):
                reach[i] = max(reach[i], reach[i - 1])
            for name in [n for n in said if n not in self.quantities]:
                said[name] = [(a, b) for a, b in said[name] if reach[a] < b]
            for rate in found_rates:
                for name, (at_least_per_week, below_per_week) in self.rates.items():
                    if at_least_per_week <= rate.per_week < below_per_week:
                        said.setdefault(name, []).append((rate.start, rate.end))
        return {name: places[:MAX_PLACES_PER_GROUP] for name, places in said.items() if places}

    def __call__(self, doc: Doc) -> Doc:
        said = self.said(doc)
        if not said:
            doc.spans[SAID_TOGETHER] = []
            doc.spans[ANSWERS_IN_OTHER_WORDS] = []
            doc.spans[SHARED_QUALIFIERS] = []
            return doc
        clauses = Clauses(doc)
        places = {name: Places(found) for name, found in said.items()}
        entities: list[Span | None] = list(doc.ents)
        # Each term's entities by where they sit in `entities` (for `replaces`).
        by_term: dict[str, list[int]] = {}
        for index, entity in enumerate(entities):
            by_term.setdefault(term_id(entity), []).append(index)  # type: ignore[arg-type]
        taken = Taken(len(doc))
        for entity in doc.ents:
            taken.add(entity.start, entity.end)
        quotes: list[Span] = []
        # Each term's quotes, as disjoint (start, end) sorted by start: is a place already quoted?
        quoted: dict[str, list[tuple[int, int]]] = {}
        held: list[Span] = []
        shared: list[Span] = []
        for combination in self.combinations:
            if out_of_time():
                break
            # Every place it is said where it can sit: a qualifier said twice qualifies
            # both places ("carried boxes up and down the stairs ... breathless on the
            # stairs"); a place whose words other entities hold already ("cold feet" in
            # "I always have cold feet, but now my foot is freezing") gives way.
            for start, end, words in self._places(clauses, combination, places):
                # Another way of saying the same term over the same words is the same finding.
                term_quotes = quoted.setdefault(combination.term, [])
                before = bisect.bisect_left(term_quotes, (end, -1)) - 1
                if before >= 0 and term_quotes[before][1] > start:
                    continue
                anchor = self._anchor(clauses, combination, start, end, words, taken, places)
                if anchor is None:
                    if combination.label in ANSWER_KINDS:  # its words hold a sign: still an answer
                        held.append(Span(doc, start, end, label=combination.label, kb_id=combination.term))
                    elif combination.label == QUALIFIER and self._quantity_alone(combination):
                        shared.append(Span(doc, start, end, label=combination.label, kb_id=combination.term))
                    continue
                entity = Span(doc, anchor[0], anchor[1], label=combination.label, kb_id=combination.term,
                              span_id=combination.term)
                # A finding the term names as part of itself, said inside it, is not said
                # apart ("my pee went pinky red": red urine, not a red leg).
                for replaced in combination.replaces:
                    for index in by_term.get(replaced, ()):
                        other = entities[index]
                        if other is not None and start <= other.start and other.end <= end:
                            entities[index] = None
                            taken.remove(other.start, other.end)
                by_term.setdefault(combination.term, []).append(len(entities))
                entities.append(entity)
                taken.add(*anchor)
                bisect.insort(term_quotes, (start, end))
                quotes.append(Span(doc, start, end, label=combination.label, kb_id=combination.term))
        doc.ents = sorted((e for e in entities if e is not None), key=lambda span: span.start)  # type: ignore[assignment]  # spaCy's stub: a 1-tuple
        doc.spans[SAID_TOGETHER] = quotes
        doc.spans[ANSWERS_IN_OTHER_WORDS] = held
        doc.spans[SHARED_QUALIFIERS] = shared
        return doc

    def _quantity_alone(self, combination: Combination) -> bool:
        return len(combination.groups) == 1 and combination.groups[0] in self.quantities

    def _anchor(self, clauses: Clauses, combination: Combination, start: int, end: int,
                words: list[tuple[int, int]], taken: Taken, places: dict[str, Places]) -> tuple[int, int] | None:
        """Which words the entity for a place sits on, or None when other entities hold them all.

        The entity covers the whole combination when no other entity holds any of
        it and no denial sits inside it, so that a negation that is one of its
        words ("can't get enough air") is part of the sign; otherwise it sits on
        the last words that no other entity holds, after the denial. A quantity
        said alone ("15 years ago") sits on one of its words, so that two terms
        can read the same words ("long-standing" and "out of date")."""
        if self._quantity_alone(combination):
            free = taken.last_free(start, end)
            return (free, free + 1) if free is not None else None
        denial = clauses.last_denial_between(start, end, words)
        whole = [(start, end)] if not combination.anywhere and denial is None else []
        # Said across clauses, it sits on its first group's words (the sign
        # itself: "floppy" in "after the cramp went my foot stayed floppy").
        preferred = [*words[1:], words[0]] if combination.anywhere else sorted(words, reverse=True)
        if denial is not None:  # only after the denial, so that NegEx reads it
            preferred = [m for m in preferred if m[0] > denial]
        for m in [*whole, *preferred]:
            if not taken.any_in(*m):
                return m
        # A word of it that no other entity holds ("one" of "one calf").
        for m in preferred:
            for i in range(*m):
                if not taken.holds(i):
                    return i, i + 1
        if combination.anywhere:  # another place it says one of its words
            for group in combination.groups:
                for m in places[group].found:
                    if not clauses.denied_just_before(m[0]):
                        for i in range(*m):
                            if not taken.holds(i):
                                return i, i + 1
            return None
        free = taken.last_free(start if denial is None else denial, end, skip=denial)
        return (free, free + 1) if free is not None else None

    def _places(self, clauses: Clauses, combination: Combination,
                places: dict[str, Places]) -> Iterator[tuple[int, int, list[tuple[int, int]]]]:
        """Each place where every group of the combination is said within reach,
        in one clause, without any of its `unless` groups: (start, end, each group's words).

        For each place of its last group, the nearest place of each other group
        that may go with it (the first said, of two as near); found by walking
        out from it through the group's places in order of where they start, as
        far as one could still be near enough (see `Clauses`), so that the cost
        grows with the places, not with their pairs times the words between."""
        if any(group not in places for group in combination.groups):
            return
        *others, last = combination.groups
        unless = [places[group] for group in combination.unless if group in places]
        for anchor in places[last].found:
            if out_of_time():
                return
            chosen = [anchor]
            for group in others:
                near = places[group].nearest(anchor, clauses.may_go_with(combination, anchor))
                if near is None:
                    break
                chosen.append(near)
            else:
                start, end = min(m[0] for m in chosen), max(m[1] for m in chosen)
                # An `unless` word counts when it starts inside the combination or just
                # before it ("sat for hours", "I walk for 30 minutes", "wee is dark
                # yellow"), not later; anywhere in
                # the message for a combination that reaches that far. It does not
                # count when it is one of the combination's own words ("sore between
                # the cramps") or is denied ("even when it's not cramping").
                # Said across clauses, a word of it that is denied denies it all:
                # "no trouble peeing, but I can't feel my foot" is not bladder trouble.
                if combination.anywhere and any(clauses.denied_just_before(m[0]) for m in chosen):
                    continue
                own = {i for m in chosen for i in range(*m)}
                # ...or right after it, naming what the combination's word is about ("calves
                # cramp on hot days": the days are hot).
                if any(not all(i in own for i in range(*m)) and not clauses.denied_just_before(m[0])
                       for group in unless
                       for m in (group.found if combination.anywhere
                                 else group.starting_in(start - REACH - group.longest, end))
                       if combination.anywhere or clauses.together(m, (start, end))):
                    continue
                yield start, end, chosen


# A word group is read at most at this many places in one message (the first
# ones). A combination looks, for each place of one group, for the nearest place
# of each other group, so its work grows with the places said; a crafted message
# says one word hundreds of times ("thorn thorn thorn...": both a wound and
# dirt). No message of the test sets or the training data (about 11,700) says
# one group's words more than 7 times, and the benchmark's ordinary
# 2,000-character description (bench/crafted.py) 16 times; 32 leaves room for any
# person's long description.
MAX_PLACES_PER_GROUP = 32


# Further than any place in a message.
_FAR = 1 << 30


class Places:
    """One word group's places in a message, in the order found, and sorted by
    where they start for the nearest-place walk."""

    def __init__(self, found: list[tuple[int, int]]) -> None:
        self.found = found
        self.ordered = sorted((m[0], index, m) for index, m in enumerate(found))
        self.starts = [start for start, _, _ in self.ordered]
        self.longest = max(m[1] - m[0] for m in found)

    def starting_in(self, low: int, high: int) -> list[tuple[int, int]]:
        """The places that start from `low` to `high` (both included), by where they start."""
        first, after = bisect.bisect_left(self.starts, low), bisect.bisect_right(self.starts, high)
        return [m for _, _, m in self.ordered[first:after]]

    def nearest(self, anchor: tuple[int, int], fits: Reach) -> tuple[int, int] | None:
        """The place nearest `anchor` by where it starts (of two as near, the first
        found) that does not overlap it and that `fits`; walks outwards from the
        anchor, and on each side only as far as `fits` says a place could still fit."""
        right = bisect.bisect_left(self.starts, anchor[0])
        left = right - 1
        best: tuple[int, int, tuple[int, int]] | None = None  # (distance, index, place)
        while True:
            if left >= 0 and not fits.may_reach_left(self.starts[left], self.longest):
                left = -1
            if right < len(self.ordered) and not fits.may_reach_right(self.starts[right]):
                right = len(self.ordered)
            left_distance = anchor[0] - self.starts[left] if left >= 0 else _FAR
            right_distance = self.starts[right] - anchor[0] if right < len(self.ordered) else _FAR
            if left_distance == right_distance == _FAR:
                break
            if left_distance <= right_distance:
                distance, (_, index, m) = left_distance, self.ordered[left]
                left -= 1
            else:
                distance, (_, index, m) = right_distance, self.ordered[right]
                right += 1
            if best is not None and distance > best[0]:
                break
            if m[0] < anchor[1] and anchor[0] < m[1]:  # overlaps the anchor
                continue
            if fits(m) and (best is None or index < best[1]):
                best = (distance, index, m)
        return best[2] if best else None


class Reach:
    """Whether a place may go with an anchor (`fits`), and how far from the anchor
    a place may start and still fit, so that the walk in `Places.nearest` stops there."""

    def __init__(self, clauses: Clauses, combination: Combination, anchor: tuple[int, int]) -> None:
        self.clauses = clauses
        self.anchor = anchor
        self.anywhere = combination.anywhere
        self.sentence = combination.sentence
        # Within reach: a place before the anchor ends at most REACH tokens before it, one after
        # starts at most REACH tokens after it.
        self.together_end, self.together_start = anchor[0] - REACH, anchor[1] + REACH
        if self.sentence:  # or in its sentence, with no contrast between
            first, after = clauses.sentence_bounds(anchor[0])
            self.sentence_first, self.sentence_end = first, clauses.contrast_before(anchor[0])
            self.sentence_last = min(after - 1, clauses.contrast_from(anchor[1]))

    def may_reach_left(self, start: int, longest: int) -> bool:
        """Whether a place starting at `start`, before the anchor, at most `longest` tokens long, may fit."""
        end = start + longest
        return (self.anywhere or end >= self.together_end
                or (self.sentence and start >= self.sentence_first and end >= self.sentence_end))

    def may_reach_right(self, start: int) -> bool:
        return self.anywhere or start <= self.together_start or (self.sentence and start <= self.sentence_last)

    def __call__(self, m: tuple[int, int]) -> bool:
        return (self.anywhere or self.clauses.together(m, self.anchor)
                or (self.sentence and self.clauses.same_sentence(m, self.anchor)))


class Clauses:
    """A message's sentences, clause breaks, contrasts and denials, worked out once
    (prefix counts: a count at each token of the ones before it), so that whether
    two places are in one clause or one sentence is a subtraction, not a walk
    over the words between them."""

    def __init__(self, doc: Doc) -> None:
        n = len(doc)
        lower = [token.lower_ for token in doc]
        denial = [token.norm_ in DENIALS or token.lower_ in DENIALS for token in doc]
        contrast_comma = [doc[i].text == "," and i + 1 < n and lower[i + 1] in CONTRAST_AFTER_COMMA for i in range(n)]
        self.breaks = _prefix_counts(word in CLAUSE_BREAKS for word in lower)
        self.commas = _prefix_counts(contrast_comma)
        self.contrasts = _prefix_counts(word in CONTRASTS for word in lower)
        self.denials = [i for i in range(n) if denial[i]]
        self.denial_counts = _prefix_counts(denial)
        self.contrast_positions = [i for i, word in enumerate(lower) if word in CONTRASTS]
        # Each token's sentence, as where it starts and where the next one does.
        self.sentence_of = [0] * n
        self.sentences: list[tuple[int, int]] = []
        spans = doc.sents if doc.has_annotation("SENT_START") else [doc[0:n]]
        for number, sentence in enumerate(spans):
            self.sentences.append((sentence.start, sentence.end))
            self.sentence_of[sentence.start:sentence.end] = [number] * (sentence.end - sentence.start)

    def may_go_with(self, combination: Combination, anchor: tuple[int, int]) -> Reach:
        return Reach(self, combination, anchor)

    def together(self, first: tuple[int, int], second: tuple[int, int]) -> bool:
        """`_together`: at most REACH tokens apart, no clause break and no contrasting comma between."""
        start, end = min(first[1], second[1]), max(first[0], second[0])
        if end - start > REACH:
            return False
        end = max(start, end)
        return self.breaks[end] == self.breaks[start] and self.commas[end] == self.commas[start]

    def same_sentence(self, first: tuple[int, int], second: tuple[int, int]) -> bool:
        """In one sentence, with no contrast ("but") between."""
        start, end = min(first[1], second[1]), max(first[0], second[0])
        end = max(start, end)
        return (self.sentence_of[first[0]] == self.sentence_of[second[0]]
                and self.contrasts[end] == self.contrasts[start])

    def sentence_bounds(self, i: int) -> tuple[int, int]:
        return self.sentences[self.sentence_of[i]]

    def contrast_before(self, i: int) -> int:
        """Just after the last contrast before token `i` (0 if none)."""
        k = bisect.bisect_left(self.contrast_positions, i) - 1
        return self.contrast_positions[k] + 1 if k >= 0 else 0

    def contrast_from(self, i: int) -> int:
        """The first contrast at or after token `i` (the end of the message if none)."""
        k = bisect.bisect_left(self.contrast_positions, i)
        return self.contrast_positions[k] if k < len(self.contrast_positions) else len(self.sentence_of)

    def denied_just_before(self, start: int) -> bool:
        """Whether one of the two words before `start` is a denial ("not cramping", "no cramp")."""
        return self.denial_counts[start] > self.denial_counts[max(start - 2, 0)]

    def last_denial_between(self, start: int, end: int, words: list[tuple[int, int]]) -> int | None:
        """Where the last denial between the combination's words sits, if one does
        without being one of them: "is not blue" denies, "can't get enough air"
        (can't is a word of the sign) does not."""
        k = bisect.bisect_left(self.denials, end) - 1
        while k >= 0 and self.denials[k] >= start:
            if not any(m[0] <= self.denials[k] < m[1] for m in words):
                return self.denials[k]
            k -= 1
        return None


def _prefix_counts(flags: Iterable[bool]) -> list[int]:
    counts = [0]
    for flag in flags:
        counts.append(counts[-1] + flag)
    return counts


class Taken:
    """The tokens other entities hold: membership, and whether any token of a
    range is held or which is the last that is not, in log time (a Fenwick tree
    of held tokens), however long the range."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.held = [False] * size
        self.tree = [0] * (size + 1)

    def _change(self, i: int, delta: int) -> None:
        i += 1
        while i <= self.size:
            self.tree[i] += delta
            i += i & -i

    def _count_before(self, i: int) -> int:
        total = 0
        while i > 0:
            total += self.tree[i]
            i -= i & -i
        return total

    def count(self, start: int, end: int) -> int:
        return self._count_before(max(end, start)) - self._count_before(start)

    def add(self, start: int, end: int) -> None:
        for i in range(start, end):
            if not self.held[i]:
                self.held[i] = True
                self._change(i, 1)

    def remove(self, start: int, end: int) -> None:
        for i in range(start, end):
            if self.held[i]:
                self.held[i] = False
                self._change(i, -1)

    def holds(self, i: int) -> bool:
        return self.held[i]

    def any_in(self, start: int, end: int) -> bool:
        return self.count(start, end) > 0

    def last_free(self, start: int, end: int, skip: int | None = None) -> int | None:
        """The last token from `start` to before `end` that no entity holds, other than `skip`."""
        def free_from(low: int) -> int:
            return (end - low) - self.count(low, end) - (1 if skip is not None and low <= skip < end
                                                         and not self.held[skip] else 0)

        if end <= start or free_from(start) < 1:
            return None
        low, high = start, end - 1  # the largest `low` with a free token from it on
        while low < high:
            middle = (low + high + 1) // 2
            if free_from(middle) >= 1:
                low = middle
            else:
                high = middle - 1
        return low


# Words that deny what follows them ("the leg is not blue").
DENIALS = frozenset({"no", "not", "n't", "nt", "never", "without", "none"})


def close_in_one_clause(doc: Doc, first: tuple[int, int], second: tuple[int, int], reach: int,
                        breaks: frozenset[str]) -> bool:
    """Whether two token ranges lie at most `reach` tokens apart with none of
    `breaks` between them (used for the qualifiers; the word groups use `Clauses`).
    The walk between them is at most `reach` tokens long."""
    start, end = min(first[1], second[1]), max(first[0], second[0])
    return end - start <= reach and not any(token.lower_ in breaks for token in doc[start:end])


# A comma followed by one of these sets what follows apart ("the leg isn't hot,
# just a cramp that's gone"); a bare comma does not ("swollen, red and hot"),
# nor one before a word that points back ("my leg, it's gone cold").
CONTRAST_AFTER_COMMA = frozenset({"just", "only", "apart", "except", "otherwise"})


# Words that set two parts of one sentence apart ("my pee is fine but my calf is brown").
CONTRASTS = frozenset({"but", "though", "although", "however", "whereas", "except", ";"})


def combinations(terms: Iterable[dict[str, Any]]) -> list[Combination]:
    """Every term's `said_together` combinations, in the vocabulary's order."""
    return [Combination(term["id"], term["kind"], tuple(groups), tuple(term.get("not_said_with") or ()),
                        term.get("reach") == "message", term.get("reach") == "sentence",
                        tuple(term.get("replaces") or ()))
            for term in terms for groups in term.get("said_together") or ()]


@Language.factory("said_together", default_config={"groups": {}, "combinations": [], "other_words": {}})
def make_said_together(nlp, name, groups, combinations, other_words):  # type: ignore[no-untyped-def]
    return SaidTogether(nlp, groups, [Combination(c[0], c[1], tuple(c[2]), tuple(c[3]), c[4], c[5], tuple(c[6]))
                                      for c in combinations], other_words)


# Endings that keep a word what it was: "pain" -> pains, painful; "stab" -> stabbing.
INFLECTIONS = frozenset({"", "s", "es", "e", "ed", "d", "ing", "ings", "er", "ers", "est", "y", "ey", "ish", "ful",
                         "fully", "ly", "ily", "less", "lessness", "ness", "ier", "iest", "ies", "ied"})


def other_words_of_prefixes(prefixes: Iterable[str], english: Iterable[str]) -> dict[str, list[str]]:
    """For each prefix that is an English word itself, the English words that begin with
    it but are other words, not its inflections ("pain": painting, paint, painter;
    "stab": stable; "brown": brownie); a prefix that is no word ("breath", "struggl")
    keeps every ending."""
    words = sorted(set(english))
    known = set(words)
    found = {}
    for prefix in sorted(set(prefixes)):
        if prefix not in known:
            continue
        start = bisect.bisect_left(words, prefix)
        others = []
        for word in words[start:]:
            if not word.startswith(prefix):
                break
            ending = word[len(prefix):]
            doubled = ending[:1] == prefix[-1:] and ending[1:] in INFLECTIONS  # "stabbing"
            if "'" not in ending and ending not in INFLECTIONS and not doubled:
                others.append(word)
        if others:
            found[prefix] = others
    return found


def term_id(span: Span) -> str:
    """The vocabulary term a span stands for: the EntityRuler keeps it as the
    span's id, spans made from other entities as their kb_id."""
    return span.kb_id_ or span.ent_id_
