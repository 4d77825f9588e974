"""The gate of issue 15 on the frozen blind conversation sets: conversations2_blind.yml
(written before the changes) and conversations3_blind.yml (written after them,
to check that the fixes generalise).

Every conversation is played over REST against the real servers, and after
every turn the public slots (through the HTTP API), the reply and the question
asked are checked against what the set expects (tests.blind.play_conversations).
`build/reports/<set>.json` holds the figures and every miss.

The gate: at least 95% of slot checks right, at least 95% of the expected
contents present, no conversation with two fallbacks in a row, and no turn
whose `triage_level` disagrees with the level last shown.
"""

from __future__ import annotations

import json

import pytest

from knowledge_base.db import PROJECT_ROOT
from tests.blind.play_conversations import play
from tests.e2e.conftest import RunningServer

BLIND = PROJECT_ROOT / "tests" / "blind"
REPORTS = PROJECT_ROOT / "build" / "reports"
REPORT = REPORTS / "<set>.json"


@pytest.fixture(scope="module", params=["conversations2", "conversations3"])
def figures(request: pytest.FixtureRequest, rasa_server: RunningServer) -> dict:
    result = play(rasa_server.url, rasa_server.token, BLIND / f"{request.param}_blind.yml")
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{request.param}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result


def test_the_blind_conversations_are_all_played(figures: dict) -> None:
    assert figures["conversations"] >= 150
    assert figures["slot"]["checks"] > 1000


def test_slots_are_right_in_the_blind_conversations(figures: dict) -> None:
    assert figures["slot"]["share"] >= 0.95, f"see {REPORT}"


def test_the_expected_content_is_in_the_replies(figures: dict) -> None:
    assert figures["content"]["share"] >= 0.95, f"see {REPORT}"


def test_no_blind_conversation_gets_stuck_in_fallbacks(figures: dict) -> None:
    assert figures["conversations_with_two_fallbacks_in_a_row"] == 0, f"see {REPORT}"


def test_triage_level_always_equals_the_level_shown(figures: dict) -> None:
    assert figures["conversations_whose_level_disagrees_with_what_was_shown"] == 0, f"see {REPORT}"
