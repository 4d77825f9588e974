"""Only the values real buttons send reach the slots.

A button's payload (`/inform{"finding": "leg_swelling"}`) is read by Rasa's
RegexMessageHandler, after the NLU pipeline and without it, so whatever JSON
a client writes after the intent would become entities, and then slots: made-up
ids by the hundred, dictionaries, numbers. Here the payload is rewritten to
hold only the knowledge base's term ids of each entity's own kind (the ids the
buttons in domain.yml send), each once, and at most one for an entity that
fills a single-valued slot. What is dropped is logged by entity name and count,
never by value (the values are the person's input).

The NLU's own entities need no such check: cramp_nlu's entity extractor only
ever gives the vocabulary's term ids (tests/turns/test_known_values.py holds it
to that).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.slots import ListSlot
from sqlalchemy.orm import Session

from knowledge_base import models
from knowledge_base.db import shared_engine

logger = logging.getLogger(__name__)


# The entity a deciding question's button sends its answer's id in.
ANSWER_ENTITY = "deciding_answer"


@lru_cache(maxsize=1)
def known_ids() -> Mapping[str, frozenset[str]]:
    """The knowledge base's term ids by kind (a kind is an entity's name), and
    the deciding questions' answer ids (ANSWER_ENTITY)."""
    with Session(shared_engine()) as session:
        rows = session.execute(sa.select(models.Term.kind, models.Term.id)).all()
        answers = session.scalars(sa.select(models.QuestionAnswer.id)).all()
    by_kind: dict[str, set[str]] = {ANSWER_ENTITY: set(answers)}
    for kind, term in rows:
        by_kind.setdefault(kind, set()).add(term)
    return {kind: frozenset(terms) for kind, terms in by_kind.items()}


def single_valued_entities(domain: Domain) -> frozenset[str]:
    """Entities that fill a slot holding one value (from_entity mappings of a
    slot that is not a list): more than one would make that slot a list."""
    return frozenset(mapping["entity"] for slot in domain.slots if not isinstance(slot, ListSlot)
                     for mapping in slot.mappings
                     if mapping.get("type") == "from_entity" and isinstance(mapping.get("entity"), str))


def only_known(entities: Mapping[str, Any], known: Mapping[str, frozenset[str]],
               single: frozenset[str] = frozenset()) -> tuple[dict[str, str | list[str]], dict[str, int]]:
    """The entities with only known values, and how many were dropped by entity.

    A value is kept when it is a string among `known[entity]`; duplicates are
    dropped, so a list never holds more values than there are known ids. An
    entity in `single` keeps its first known value only."""
    kept: dict[str, str | list[str]] = {}
    dropped: dict[str, int] = {}
    for entity, given in entities.items():
        values = given if isinstance(given, list) else [given]
        allowed = known.get(entity, frozenset())
        good = list(dict.fromkeys(value for value in values if isinstance(value, str) and value in allowed))
        if entity in single:
            good = good[:1]
        if len(good) != len(values):
            dropped[entity] = len(values) - len(good)
        if good:
            kept[entity] = good[0] if len(good) == 1 else good
    return kept, dropped


def command_with_known_values(intent: str, entities: str | None, domain: Domain) -> str:
    """`/intent` followed by only the known values of the JSON object
    `entities` (checked by the caller to be an object of the domain's entities)."""
    if entities is None:
        return f"/{intent}"
    kept = entities_with_known_values(json.loads(entities), domain)
    return f"/{intent}{json.dumps(kept)}" if kept else f"/{intent}"


def entities_with_known_values(entities: Any, domain: Domain) -> dict[str, str | list[str]]:
    """Only the known values of an entities object, wherever it came from: a
    button's payload, or the HTTP API's `trigger_intent`. Not an object: none."""
    if not isinstance(entities, Mapping):
        return {}
    try:
        known = known_ids()
    except sa.exc.SQLAlchemyError:  # no knowledge base: nothing can be checked, so nothing is kept
        logger.warning("The knowledge base could not be read: entity values were dropped.")
        known = {}
    kept, dropped = only_known(entities, known, single_valued_entities(domain))
    for entity, count in dropped.items():
        logger.info("%d value(s) of %s that no button sends were dropped.", count, entity)
    return kept
