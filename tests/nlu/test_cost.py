"""Bounded work per message (issue 27): the said-together step's pair checks
grow with the message's length, not with its pairs of places, on the crafted
messages of `make bench` (bench/crafted.py); the nearest-place walk and the
held-token index give what the brute-force search gives; a spent budget stops
the loops. Work is counted, not timed (speed is `make bench`'s)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import spacy
from spacy.language import Language

from bench.crafted import CRAFTED, filled
from cramp_nlu import said_together
from cramp_nlu.pipeline import pipeline_path, terms_present
from cramp_nlu.said_together import MAX_PLACES_PER_GROUP, SAID_TOGETHER, Places, Taken
from rasa_adapter.budget import budget, out_of_time


@pytest.fixture(scope="module")
def nlp() -> Language:
    return spacy.load(pipeline_path())


@pytest.fixture
def pair_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times two places are checked for being in one clause or one sentence."""
    counted = [0]
    for name in ("together", "same_sentence"):
        check = getattr(said_together.Clauses, name)

        def counting(self: said_together.Clauses, first: tuple[int, int], second: tuple[int, int],
                     check=check) -> bool:  # type: ignore[no-untyped-def]
            counted[0] += 1
            return check(self, first, second)

        monkeypatch.setattr(said_together.Clauses, name, counting)
    yield counted


def checks_for(nlp: Language, text: str, counted: list[int]) -> int:
    counted[0] = 0
    nlp(text)
    return counted[0]


@pytest.mark.parametrize("kind", sorted(CRAFTED))
def test_a_crafted_messages_pair_checks_grow_no_faster_than_its_length(
        nlp: Language, pair_checks: list[int], kind: str) -> None:
    unit = CRAFTED[kind][:CRAFTED[kind].find(" ", 40) + 1] or CRAFTED[kind]
    half, whole = (checks_for(nlp, filled(unit, length), pair_checks) for length in (1000, 2000))
    tokens = len(nlp.make_doc(CRAFTED[kind]))
    # Linear: twice the text, at most about twice the checks (the cap only lowers it);
    # and a few checks a token, where the old pairwise search made hundreds.
    assert whole <= 2 * half + 50, (half, whole)
    assert whole <= 20 * tokens, (whole, tokens)


def test_a_word_group_is_read_at_its_first_places_only(nlp: Language) -> None:
    doc = nlp(CRAFTED["one word, both groups of a sentence term"])  # "thorn thorn ...": a wound and dirt
    tetanus = [span for span in doc.spans[SAID_TOGETHER] if span.kb_id_ == "tetanus_risk"]
    assert 0 < len(tetanus) <= MAX_PLACES_PER_GROUP
    assert "tetanus_risk" in terms_present(doc)


class Window:
    """A stand-in for `Reach`: places within [low, high] fit, except some (to be skipped)."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def may_reach_left(self, start: int, longest: int) -> bool:
        return start + longest >= self.low

    def may_reach_right(self, start: int) -> bool:
        return start <= self.high

    def __call__(self, m: tuple[int, int]) -> bool:
        return m[1] >= self.low and m[0] <= self.high and (m[0] + m[1]) % 3 != 0


def test_the_nearest_place_is_the_one_the_brute_force_search_finds() -> None:
    rng = random.Random(27)
    for _ in range(2000):
        found = []
        for _ in range(rng.randint(1, 12)):
            start = rng.randint(0, 40)
            found.append((start, start + rng.randint(1, 3)))
        anchor_start = rng.randint(0, 40)
        anchor = (anchor_start, anchor_start + rng.randint(1, 3))
        low, high = anchor[0] - rng.randint(0, 10), anchor[1] + rng.randint(0, 10)
        fits = Window(low, high)
        near = [m for m in found if not (m[0] < anchor[1] and anchor[0] < m[1]) and fits(m)]
        expected = min(near, key=lambda m: abs(m[0] - anchor[0])) if near else None
        assert Places(found).nearest(anchor, fits) == expected, (found, anchor, low, high)  # type: ignore[arg-type]


def test_the_held_tokens_answer_as_a_set_would() -> None:
    rng = random.Random(28)
    taken, held = Taken(30), set[int]()
    for _ in range(3000):
        start = rng.randint(0, 29)
        end = rng.randint(start, 30)
        if rng.random() < 0.3:
            taken.add(start, end)
            held.update(range(start, end))
        elif rng.random() < 0.2:
            taken.remove(start, end)
            held.difference_update(range(start, end))
        skip = rng.choice([None, rng.randint(0, 29)])
        free = [i for i in range(end - 1, start - 1, -1) if i not in held and i != skip]
        assert taken.any_in(start, end) == bool(held & set(range(start, end)))
        assert taken.last_free(start, end, skip) == (free[0] if free else None)


def test_a_spent_budget_stops_the_loops_and_keeps_what_was_found(nlp: Language) -> None:
    assert not out_of_time()  # outside a parse there is no budget
    with budget(0.0):
        doc = nlp("my calf is swollen and red and I can't breathe")
        assert out_of_time()
    # The vocabulary's phrases (found before the said-together step) are still there.
    assert {"leg_swelling", "redness"} <= set(terms_present(doc))
    assert len(doc.spans[SAID_TOGETHER]) == 0
