"""The safety gate on the frozen blind triage sets (tests/blind/, issue 14).

Each set's cases are read as the assistant reads them (tests.blind.triage_offline:
the project's spaCy pipeline, every question answered "I'm not sure") and
triaged by the knowledge base. `build/reports/safety.json` holds, per set, the
figures, every miss, and whether the issue's gate is met: every emergency told
to call, no urgent or emergency case told less, at least 95% of cases right,
at most 3% of self-care cases sent to urgent or emergency.

The issue's own blind set (`triage_blind.yml`, 515 cases written before any
tuning) must meet that gate. Every set must not do worse than its floor below,
the figures measured when it was last raised; the sets written later to check
that a fix generalises do not all meet the gate yet. Raise a floor when a
change does better; never lower one to let a change through.
"""

from __future__ import annotations

import json

import pytest

from knowledge_base.db import PROJECT_ROOT
from tests.blind.triage_offline import evaluate

BLIND = PROJECT_ROOT / "tests" / "blind"
REPORT = PROJECT_ROOT / "build" / "reports" / "safety.json"

GATE = {"emergency_recall": 1.0, "act_now_under_triaged": 0, "accuracy": 0.95, "self_care_sent_to_act_now": 0.03}
# (emergency recall, act-now cases under-triaged, accuracy, self-care sent to act now),
# measured 2026-12-03 (kinds5: 2026-12-04).
FLOORS = {
    "triage_blind.yml": (1.0, 0, 0.9786, 0.0069),
    "typo_blind.yml": (1.0, 0, 0.9667, 0.0),
    "medicine_blind.yml": (1.0, 0, 0.9875, 0.0),
    "paraphrase_blind.yml": (1.0, 1, 0.9636, 0.0),
    "kinds2_blind.yml": (1.0, 0, 0.9556, 0.0385),
    "kinds3_blind.yml": (1.0, 0, 0.975, 0.0444),
    "kinds4_blind.yml": (1.0, 0, 0.9719, 0.0133),
    "kinds5_blind.yml": (1.0, 0, 0.9362, 0.0526),
    # Issue 28's set (updated rows, everyday clot-risk words, look-alikes), measured
    # 2026-12-07 after the change; first honest figures offline were 0.5938, 35,
    # 0.738, 0.1633. Its misses that count are the cases below that need the
    # deciding question answered.
    "clinical2_blind.yml": (0.9531, 4, 0.9572, 0.0),
    # Issue 29's set: the assistant must ASK to reach most of its levels (hidden truth
    # answered by a truthful patient, tests/blind/play_truthful.py); read alone, it
    # cannot. This floor only keeps reading from getting worse; measured 2026-12-07.
    "asking_blind.yml": (0.5897, 51, 0.7143, 0.1061),
    # Issue 28's generalisation set, written after the fixes without seeing them;
    # measured 2026-12-07 (its over-triage of look-alikes is issue 28's open work).
    "clinical3_blind.yml": (0.9722, 6, 0.85, 0.1905),
}

# clinical2 cases whose level the tables decide only with the deciding question
# answered (one leg or both, pain between cramps, dark urine, feeling very unwell,
# numbness under a cast): the person did not say it, so reading cannot reach it.
# The question itself is asked by the dialogue (issue 28, part 3).
NEEDS_THE_DECIDING_QUESTION = {
    "c0029": "in plaster after a fracture, cramping under the cast: numbness and worsening pain not said",
    "c0038": "red, hot, swollen leg, no fever: feeling very unwell not said",
    "c0060": "12-hour hike, legs wrecked: dark urine not said",
    "c0078": "knee replaced 5 weeks ago, night calf cramps: one leg and pain between cramps not said",
}


def meets(figures: dict, recall: float, under: int, accuracy: float, over: float) -> bool:
    return (figures["emergency_recall"] >= recall and figures["act_now_under_triaged"] <= under
            and figures["accuracy"] >= accuracy and figures["self_care_sent_to_act_now"] <= over)


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    results = {name: evaluate(BLIND / name) for name in FLOORS}
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(
        {"gate": GATE, "sets": {name: {**report, "gate_met": meets(report, *GATE.values())}
                                for name, report in results.items()}},
        indent=2, ensure_ascii=False))
    return results


def test_the_issues_blind_set_meets_the_gate(reports: dict[str, dict]) -> None:
    figures = reports["triage_blind.yml"]
    missed = [(m["id"], m["expected"], m["told"]) for m in figures["misses"]
              if m["expected"] in ("urgent", "emergency") or m["told"] in ("urgent", "emergency")]
    assert meets(figures, *GATE.values()), (
        f"triage_blind.yml: {({key: figures[key] for key in GATE})}, gate {GATE}; act-now misses: {missed}")


def test_clinical2_meets_the_gate_once_the_deciding_question_is_answered(reports: dict[str, dict]) -> None:
    # Read alone, every act-now miss of issue 28's set must be one that needs the
    # deciding question; every other case meets the issue's gate.
    figures = reports["clinical2_blind.yml"]
    act_now = [m for m in figures["misses"]
               if m["expected"] in ("urgent", "emergency") or m["told"] in ("urgent", "emergency")]
    unexplained = [(m["id"], m["expected"], m["told"]) for m in act_now if m["id"] not in NEEDS_THE_DECIDING_QUESTION]
    assert unexplained == [], f"clinical2: act-now misses that reading should reach: {unexplained}"
    assert figures["accuracy"] >= GATE["accuracy"]
    assert figures["self_care_sent_to_act_now"] <= GATE["self_care_sent_to_act_now"]


def test_every_blind_triage_set_has_a_floor() -> None:
    sets = {path.name for path in BLIND.glob("*_blind.yml") if "cases:" in path.read_text()}
    assert sets == set(FLOORS)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_a_blind_set_does_no_worse_than_its_floor(reports: dict[str, dict], name: str) -> None:
    figures = reports[name]
    floor = FLOORS[name]
    missed = [(m["id"], m["expected"], m["told"]) for m in figures["misses"]]
    assert meets(figures, *floor), (
        f"{name}: recall {figures['emergency_recall']}, under {figures['act_now_under_triaged']}, "
        f"accuracy {figures['accuracy']}, over {figures['self_care_sent_to_act_now']}; floor {floor}. "
        f"Misses (see {REPORT.relative_to(PROJECT_ROOT)}): {missed}")


def test_the_report_names_every_miss(reports: dict[str, dict]) -> None:
    written = json.loads(REPORT.read_text())["sets"]
    for name, report in reports.items():
        wrong = report["cases"] - sum(level["correct"] for level in report["by_expected_level"].values())
        assert len(written[name]["misses"]) == wrong
