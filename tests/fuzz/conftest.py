"""The trained model, loaded once for every fuzz test, and the knowledge base
that triages what it reads."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from knowledge_base import queries
from knowledge_base.db import shared_engine


class Understanding:
    """Rasa's agent for the trained model: what it reads in a message, and the triage level it calls for."""

    def __init__(self, model: Path) -> None:
        from rasa.core.agent import Agent  # imports TensorFlow: only for the tests that need it

        self.agent = Agent.load(str(model))

    def parse(self, text: str) -> dict[str, Any]:
        return asyncio.run(self.agent.parse_message(text))


def present_terms(parsed: dict[str, Any]) -> list[str]:
    """The vocabulary's terms the model read in a message and the person did not deny."""
    return [entity["value"] for entity in parsed["entities"]
            if entity.get("extractor") == "KnowledgeBaseEntityExtractor" and not entity.get("role")]


@pytest.fixture(scope="session")
def understanding(trained_model: Path) -> Understanding:
    return Understanding(trained_model)


@pytest.fixture(scope="session")
def knowledge() -> Iterator[Session]:
    with Session(shared_engine()) as session:
        yield session


class _Kept(logging.Handler):
    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def failures_logged() -> Iterator[list[logging.LogRecord]]:
    """The failures the guards (cramp_nlu.guarded) log meanwhile: a guard that kept the
    person's triage still marks a bug the fuzzer found."""
    handler = _Kept(logging.ERROR)
    guards = logging.getLogger("cramp_nlu.guarded")
    guards.addHandler(handler)
    try:
        yield handler.records
    finally:
        guards.removeHandler(handler)


def level_of(session: Session, terms: list[str]) -> str:
    return queries.triage(session, terms, "us").level
