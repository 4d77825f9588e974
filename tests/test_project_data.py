"""The Rasa files and the knowledge base agree with each other."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from knowledge_base.db import PROJECT_ROOT
from knowledge_base.loader import load_knowledge


def read(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def faq_topics_in(nlu_file: Path) -> set[str]:
    return {block["intent"].removeprefix("faq/") for block in read(nlu_file)["nlu"]
            if block.get("intent", "").startswith("faq/")}


def test_every_faq_topic_has_an_answer_and_a_matching_title() -> None:
    questions = {entry["id"]: entry["question"] for entry in load_knowledge().faq}
    responses = read(PROJECT_ROOT / "domain.yml")["responses"]
    titles = {name.removeprefix("utter_faq/"): value[0]["text"]
              for name, value in responses.items() if name.startswith("utter_faq/")}
    trained = faq_topics_in(PROJECT_ROOT / "data" / "nlu" / "faq.yml")
    assert trained == set(titles)
    assert trained <= set(questions)
    assert {topic: titles[topic] for topic in trained} == {topic: questions[topic] for topic in trained}


def test_the_held_out_set_shares_no_example_with_the_training_data() -> None:
    def examples(path: Path) -> set[str]:
        found = set()
        for block in read(path)["nlu"]:
            for line in block.get("examples", "").splitlines():
                found.add(line.removeprefix("- ").strip().lower())
        return found - {""}

    training = set().union(*(examples(path) for path in (PROJECT_ROOT / "data" / "nlu").glob("*.yml")))
    assert examples(PROJECT_ROOT / "tests" / "nlu" / "holdout.yml") & training == set()


def test_contract_slots_have_the_documented_values() -> None:
    slots = read(PROJECT_ROOT / "domain.yml")["slots"]
    assert slots["cramp_location"]["values"] == ["calf", "thigh", "hamstring", "foot"]
    assert slots["cramp_timing"]["values"] == ["night", "exercise", "sitting", "standing", "rest"]
    assert slots["triage_level"]["values"] == ["emergency", "urgent", "see_doctor", "self_care"]
    assert slots["red_flags"]["type"] == "list"
    terms = {term["id"] for term in load_knowledge().terms}
    assert set(slots["cramp_location"]["values"]) | set(slots["cramp_timing"]["values"]) <= terms


def variables_the_assistant_reads() -> set[str]:
    """Every environment variable the code (through runtime.settings), the
    scripts and the Rasa files read (tool settings such as PYENV_ROOT and HOME aside)."""
    settings_source = (PROJECT_ROOT / "runtime" / "settings.py").read_text()
    names = set(re.findall(r'"([A-Z][A-Z0-9]+_[A-Z0-9_]+)"', settings_source))
    for script in (PROJECT_ROOT / "scripts").glob("*.sh"):
        names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", script.read_text())) - {"HOME", "PYENV_ROOT"}
    for rasa_file in ("endpoints.yml", "credentials.yml"):
        names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)\}", (PROJECT_ROOT / rasa_file).read_text()))
    return names


def test_env_example_lists_every_variable_and_no_secret() -> None:
    example = (PROJECT_ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert variables_the_assistant_reads() - listed == set()
    secrets = ("RASA_AUTH_TOKEN", "SOCKETIO_JWT_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TELEGRAM_TOKEN",
               "TELEGRAM_SECRET_TOKEN")
    for name in secrets:
        assert re.search(rf"^{name}=$", example, flags=re.MULTILINE), f"{name} must be an empty placeholder"


def test_git_holds_no_secret() -> None:
    patterns = [r"xox[abprs]-[0-9A-Za-z-]{10,}",  # Slack tokens
                r"[0-9]{8,10}:[A-Za-z0-9_-]{35}",  # Telegram bot tokens
                r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
                r"AKIA[0-9A-Z]{16}"]
    found = subprocess.run(["git", "grep", "-nIE", "|".join(f"({p})" for p in patterns)], cwd=PROJECT_ROOT,
                           capture_output=True, text=True)
    assert found.returncode == 1, f"possible secrets in git:\n{found.stdout}{found.stderr}"


def test_buttons_reach_the_person_as_rasa_parses_them_and_log_no_error(monkeypatch) -> None:
    import asyncio
    import json

    from rasa.core.nlg import TemplatedNaturalLanguageGenerator, interpolator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    logged: list[str] = []

    class Recorder:
        def exception(self, event: str, **_details: object) -> None:
            logged.append(event)

        error = exception

    monkeypatch.setattr(interpolator, "structlogger", Recorder())
    domain = Domain.load(PROJECT_ROOT / "domain.yml")
    generator = TemplatedNaturalLanguageGenerator(domain.responses)
    tracker = DialogueStateTracker.from_events("test", [], domain.slots)
    payloads = []
    for name, variations in domain.responses.items():
        if any(variation.get("buttons") for variation in variations):
            # The values the actions send with the replies that name the clinic.
            reply = asyncio.run(generator.generate(name, tracker, "rest", clinic_name="the clinic",
                                                   clinic_phone="555-0123"))
            payloads += [button["payload"] for button in reply["buttons"]]
    with_entities = [payload for payload in payloads if "{" in payload]
    assert len(with_entities) >= 10
    for payload in with_entities:
        intent, _, entities = payload.partition("{")
        assert intent == "/inform"
        assert set(json.loads("{" + entities)) <= set(domain.entities)
    assert logged == []


def test_rasas_recipe_validator_finds_no_component_missing() -> None:
    """Rasa checks for its own DIETClassifier and ResponseSelector exactly; config.yml
    uses subclasses of both, and `rasa train` must not warn that they are missing."""
    import warnings

    from rasa.engine.recipes.recipe import Recipe
    from rasa.graph_components.validators.default_recipe_validator import DefaultV1RecipeValidator
    from rasa.shared.data import TrainingType
    from rasa.shared.importers.importer import TrainingDataImporter

    from cramp_nlu.components import ignore_false_missing_component_warnings

    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"), str(PROJECT_ROOT / "domain.yml"), [str(PROJECT_ROOT / "data")])
    config = importer.get_config()
    schema = Recipe.recipe_for_name(config["recipe"]).graph_config_for_recipe(
        config, {}, training_type=TrainingType.BOTH).train_schema
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ignore_false_missing_component_warnings()  # as importing config.yml's components does
        DefaultV1RecipeValidator(schema).validate(importer)
    assert [str(w.message) for w in caught if "configuration does not include" in str(w.message)] == []
