"""The gate of issue 28 on its frozen blind set, clinical2_blind.yml (written
before the change), played over REST against the real servers with the
truthful patient (tests.blind.play_truthful): each case's own messages, then
every question answered from the case's hidden truth.

The gate: every emergency told to call 911, no urgent or emergency case told
less, at least 95% at the right level, at most 3% of self-care cases sent to
urgent or emergency, and every emergency said plainly told before any question.
`build/reports/clinical2-truthful.json` holds the figures and every miss.
"""

from __future__ import annotations

import json

import pytest

from knowledge_base.db import PROJECT_ROOT
from tests.blind.play_truthful import play
from tests.e2e.conftest import RunningServer

BLIND = PROJECT_ROOT / "tests" / "blind"
REPORT = PROJECT_ROOT / "build" / "reports" / "clinical2-truthful.json"


@pytest.fixture(scope="module")
def figures(rasa_server: RunningServer) -> dict:
    result = play(rasa_server.url, BLIND / "clinical2_blind.yml", rasa_server.token)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result


def misses(figures: dict, *levels: str) -> list[tuple[str, str, str | None]]:
    return [(m["id"], m["expected"], m["told"]) for m in figures["misses"] if m["expected"] in levels]


def test_every_case_is_played(figures: dict) -> None:
    assert figures["cases"] >= 150


def test_every_emergency_is_told_to_call_911(figures: dict) -> None:
    assert figures["emergency_recall"] == 1.0, misses(figures, "emergency")


def test_no_urgent_or_emergency_case_is_told_less(figures: dict) -> None:
    assert figures["act_now_under_triaged"] == 0, misses(figures, "emergency", "urgent")


def test_the_right_level_for_at_least_95_percent(figures: dict) -> None:
    assert figures["accuracy"] >= 0.95, f"see {REPORT}"


def test_self_care_is_rarely_sent_to_urgent_or_emergency(figures: dict) -> None:
    assert figures["self_care_sent_to_act_now"] <= 0.03, misses(figures, "self_care")


def test_an_emergency_said_plainly_is_told_before_any_question(figures: dict) -> None:
    told, _, plain = figures["plain_emergencies_told_before_any_question"].partition(" of ")
    assert told == plain, f"see {REPORT}"
