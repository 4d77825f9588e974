"""Every component guarded (issue 27): whichever of the project's components,
or DIET, fails on a message, the whole model still reads the warning sign in
it, and the failure is logged by the component's name, never with the text."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import pytest
import spacy
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from sqlalchemy.orm import Session

import cramp_nlu.components
from cramp_nlu.components import KnowledgeBaseEntityExtractor
from cramp_nlu.pipeline import pipeline_path
from tests.fuzz.conftest import Understanding, failures_logged, level_of, present_terms

SAID = "my calf is swollen and I can't breathe"


def fail(*args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"could not read {SAID!r}")


@cache
def spacy_step(name: str) -> type:
    """The class of a step of the project's spaCy pipeline (the model's steps are its instances)."""
    return type(_pipeline().get_pipe(name))


@cache
def _pipeline() -> spacy.language.Language:
    return spacy.load(pipeline_path())


BREAKS = {
    "a spaCy step": lambda: (spacy_step("said_together"), "__call__"),
    "NegEx": lambda: (spacy_step("negex"), "__call__"),
    "the entity extractor": lambda: (KnowledgeBaseEntityExtractor, "_entities_from_both_sources"),
    "DIET": lambda: (DIETClassifier, "process"),
    "the intent checks after the fallback classifier": lambda: (cramp_nlu.components, "vocabulary_entities"),
}


@pytest.mark.parametrize("broken", BREAKS.values(), ids=BREAKS.keys())
def test_a_failing_component_never_costs_the_triage(understanding: Understanding, knowledge: Session,
                                                    monkeypatch: pytest.MonkeyPatch, broken: Any) -> None:
    owner, name = broken()
    monkeypatch.setattr(owner, name, fail)
    with failures_logged() as failures:
        parsed = understanding.parse(SAID)
    assert level_of(knowledge, present_terms(parsed)) == "emergency", present_terms(parsed)
    logged = [record.getMessage() for record in failures]
    assert logged and all("ValueError" in line and "swollen" not in line for line in logged)
    assert all(record.levelno == logging.ERROR for record in failures)
