"""A slot stored before its values were checked (turns.known_values) may hold a
dictionary, a number or a list of them: every action still answers, reading
only the string term ids, and a warning sign among them is still told."""

from __future__ import annotations

from typing import Any

import pytest

from actions.actions import ActionAssessCramps, ActionReliefNow, ActionUnderstandTurn, known_terms
from tests.actions.helpers import payloads, run, texts

MALFORMED: dict[str, Any] = {
    "cramp_location": {"value": "calf"}, "cramp_timing": ["night", "exercise"], "cramp_frequency": 3,
    "findings": [{"x": 1}, 7, None, "leg_swelling", ["numbness"]], "risk_factors": {"a": "b"}, "medicines": "statin",
    "conditions": [f"made_up_{number}" for number in range(300)],
}


def test_only_string_term_ids_count() -> None:
    assert known_terms(MALFORMED)[:1] == ["leg_swelling"]
    assert {"calf", "night", "numbness", "statin"}.isdisjoint(known_terms(MALFORMED))


@pytest.mark.parametrize("entities", [
    [],
    [{"entity": "finding", "value": {"value": "breathlessness"}}, {"entity": "finding", "value": 12},
     {"entity": "risk_factor", "value": ["leg_injury"]}, {"entity": "finding", "role": "absent", "value": {"a": 1}}],
])
def test_understanding_a_turn_with_malformed_slots_and_entities_tells_the_warning_sign(entities: list) -> None:
    messages, events = run(ActionUnderstandTurn(), {"entities": entities}, **MALFORMED)
    assert payloads(messages)[0]["triage_level"] == "urgent"  # leg_swelling, the one real finding
    findings = next(event["value"] for event in events if event["name"] == "red_flags")
    assert findings == ["leg_swelling"]


def test_the_assessment_and_relief_answer_with_malformed_slots() -> None:
    messages, _ = run(ActionAssessCramps(), **MALFORMED)
    assert payloads(messages)[-1]["triage_level"] == "urgent"
    messages, _ = run(ActionReliefNow(), **MALFORMED)
    assert texts(messages)
