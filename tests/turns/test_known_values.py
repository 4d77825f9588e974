"""Only the values real buttons send reach the slots (turns.known_values),
against a knowledge base built from data/knowledge/."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import spacy
import yaml

from cramp_nlu.pipeline import pipeline_path
from knowledge_base.db import KNOWLEDGE_DIR, PROJECT_ROOT, make_engine
from knowledge_base.loader import build_database
from turns import known_values
from turns.messages import _domain, command_or_text

BUTTON_PAYLOAD = re.compile(r"/(?P<intent>[^{@]+)(?P<entities>\{.+\})?")


@pytest.fixture(scope="module", autouse=True)
def knowledge_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge_base.sqlite3'}"
    build_database(KNOWLEDGE_DIR, make_engine(url))
    patcher = pytest.MonkeyPatch()
    patcher.setenv("KB_DATABASE_URL", url)
    known_values.known_ids.cache_clear()
    yield
    known_values.known_ids.cache_clear()
    patcher.undo()


def button_payloads() -> list[str]:
    """Every button payload with entities in domain.yml, as Rasa sends it (doubled braces undone)."""
    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
    payloads = [button["payload"].replace("{{", "{").replace("}}", "}")
                for variants in responses.values() for variant in variants for button in variant.get("buttons", [])]
    return [payload for payload in payloads if payload.startswith("/") and "{" in payload]


def test_every_button_of_the_domain_is_read_unchanged() -> None:
    payloads = button_payloads()
    assert len(payloads) >= 15
    assert [command_or_text(payload) for payload in payloads] == payloads


def test_made_up_values_are_dropped_and_a_list_keeps_only_known_ids_once() -> None:
    made_up = [f"made_up_{number}" for number in range(500)]
    text = command_or_text(json.dumps({"finding": [*made_up, "leg_swelling", "leg_swelling", "numbness"]})
                           .join(["/inform", ""]))
    assert text == '/inform{"finding": ["leg_swelling", "numbness"]}'
    assert command_or_text('/inform{"finding": ' + json.dumps(made_up) + "}") == "/inform"


@pytest.mark.parametrize("value", [{"value": "leg_swelling", "role": "absent"}, 42, None, True, [],
                                   [["leg_swelling"]], "calf", "LEG_SWELLING"])
def test_anything_but_a_known_id_of_the_entitys_own_kind_is_dropped(value: object) -> None:
    assert command_or_text("/inform" + json.dumps({"finding": value})) == "/inform"


def test_a_list_never_holds_more_values_than_there_are_known_ids() -> None:
    findings = sorted(known_values.known_ids()["finding"])
    kept, dropped = known_values.only_known({"finding": findings * 20}, known_values.known_ids())
    assert kept["finding"] == findings and dropped == {"finding": len(findings) * 19}


def test_an_entity_that_fills_a_single_valued_slot_keeps_one_value() -> None:
    assert known_values.single_valued_entities(_domain()) == {"body_location", "timing", "frequency", "duration"}
    assert command_or_text('/inform{"body_location": ["calf", "thigh", "nowhere"], "timing": {"x": 1}}') == \
        '/inform{"body_location": "calf"}'


def test_the_log_names_the_entity_and_a_count_never_the_values(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=known_values.__name__)
    command_or_text('/inform{"finding": ["I have a clot in my leg", "leg_swelling"], "risk_factor": {"a": "secret"}}')
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "1 value(s) of finding" in logged and "1 value(s) of risk_factor" in logged
    assert "clot" not in logged and "secret" not in logged


def test_without_a_knowledge_base_no_value_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    known_values.known_ids.cache_clear()
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'none.sqlite3'}")
    try:
        assert command_or_text('/inform{"finding": "leg_swelling"}') == "/inform"
    finally:
        known_values.known_ids.cache_clear()


def test_the_nlu_only_ever_gives_known_ids() -> None:
    """The vocabulary's phrases are the NLU's entities (cramp_nlu's extractor maps
    DIET's onto them too): each names a term of its own kind."""
    known = known_values.known_ids()
    nlp = spacy.load(pipeline_path())
    patterns = nlp.get_pipe("entity_ruler").patterns
    assert len(patterns) > 100
    unknown = {(p["label"], p["id"]) for p in patterns if p["id"] not in known.get(p["label"], ())}
    assert unknown == set()


@pytest.mark.parametrize("depth", [2_000, 30_000])
def test_a_payload_nested_past_the_json_parsers_depth_is_read_as_text(depth: int) -> None:
    """Before the length check (which comes later), a crafted payload must not raise."""
    text = '/inform{"finding": ' + "[" * depth + "]" * depth + "}"
    assert command_or_text(text) == text.lstrip("/")
