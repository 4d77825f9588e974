"""The trained model on the held-out set (tests/nlu/holdout.yml), which is never
used for training. Fails if weighted intent F1 drops below 0.95, if any
warning sign in it is missed, or if any denied one is counted as present.
The figures are written to build/reports/holdout.json."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import f1_score

from knowledge_base.db import PROJECT_ROOT

HOLDOUT = PROJECT_ROOT / "tests" / "nlu" / "holdout.yml"
REPORT = PROJECT_ROOT / "build" / "reports" / "holdout.json"
MIN_INTENT_F1 = 0.95


def entity_set(entities: list[dict[str, Any]]) -> Counter:
    return Counter((e["entity"], str(e["value"]), e.get("role")) for e in entities)


@pytest.fixture(scope="module")
def evaluation(trained_model) -> dict[str, Any]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(trained_model))
    examples = load_data(str(HOLDOUT)).intent_examples
    expected_intents, predicted_intents, rows = [], [], []
    true_positive = false_positive = false_negative = 0
    missed_red_flags, counted_denials, red_flags_total, denials_total = [], [], 0, 0
    wrong_topic = 0
    for example in examples:
        parsed = asyncio.run(agent.parse_message(example.get("text")))
        expected_full = example.get_full_intent()
        expected_intent = expected_full.split("/")[0]
        predicted_intent = parsed["intent"]["name"]
        expected_intents.append(expected_intent)
        predicted_intents.append(predicted_intent)
        if expected_full.startswith("faq/"):
            selected = parsed.get("response_selector", {}).get("faq", {}).get("response", {})
            wrong_topic += selected.get("intent_response_key") != expected_full
        expected = entity_set(example.get("entities") or [])
        predicted = entity_set(e for e in parsed["entities"] if e.get("extractor") == "KnowledgeBaseEntityExtractor")
        true_positive += sum((expected & predicted).values())
        false_positive += sum((predicted - expected).values())
        false_negative += sum((expected - predicted).values())
        present = {value for kind, value, role in predicted if kind == "finding" and role is None}
        for kind, value, role in expected:
            if kind != "finding":
                continue
            if role is None:
                red_flags_total += 1
                if value not in present:
                    missed_red_flags.append((example.get("text"), value))
            else:
                denials_total += 1
                if value in present:
                    counted_denials.append((example.get("text"), value))
        rows.append({"text": example.get("text"), "expected": expected_full, "predicted": predicted_intent})
    precision = true_positive / max(true_positive + false_positive, 1)
    recall = true_positive / max(true_positive + false_negative, 1)
    faq_examples = sum(1 for i in expected_intents if i == "faq")
    report = {
        "examples": len(examples),
        "intent_f1_weighted": round(f1_score(expected_intents, predicted_intents, average="weighted"), 4),
        "intent_accuracy": round(
            sum(e == p for e, p in zip(expected_intents, predicted_intents, strict=True)) / len(examples), 4),
        "faq_topic_accuracy": round(1 - wrong_topic / max(faq_examples, 1), 4),
        "entity_precision": round(precision, 4),
        "entity_recall": round(recall, 4),
        "entity_f1": round(2 * precision * recall / max(precision + recall, 1e-9), 4),
        "red_flag_findings": red_flags_total,
        "red_flag_recall": round(1 - len(missed_red_flags) / max(red_flags_total, 1), 4),
        "missed_red_flags": missed_red_flags,
        "denied_findings": denials_total,
        "denied_counted_as_present": counted_denials,
        "misclassified": [r for r in rows if r["expected"].split("/")[0] != r["predicted"]],
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in report.items() if k != "misclassified"}, indent=2))
    return report


def test_weighted_intent_f1_is_at_least_095(evaluation: dict[str, Any]) -> None:
    assert evaluation["intent_f1_weighted"] >= MIN_INTENT_F1, evaluation["misclassified"]


def test_no_red_flag_finding_is_missed(evaluation: dict[str, Any]) -> None:
    assert evaluation["red_flag_findings"] >= 15
    assert evaluation["missed_red_flags"] == []


def test_no_denied_finding_counts_as_present(evaluation: dict[str, Any]) -> None:
    assert evaluation["denied_findings"] >= 4
    assert evaluation["denied_counted_as_present"] == []
