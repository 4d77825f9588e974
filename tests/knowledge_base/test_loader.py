"""Building the database from YAML: success, idempotence, and bad data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge_base import models
from knowledge_base.loader import KnowledgeBaseError, build_database, load_knowledge

TABLES = [models.Source, models.Term, models.Synonym, models.Cause, models.CauseIndicator,
          models.RedFlag, models.RedFlagCondition, models.Advice, models.FaqAnswer, models.Citation]


def snapshot(engine: Engine) -> dict[str, object]:
    """Row counts and the stored content hash: what 'untouched' is checked against."""
    with Session(engine) as session:
        counts = {table.__tablename__: session.scalar(select(func.count()).select_from(table))
                  for table in TABLES}
        stored = session.get(models.Metadata, "content_hash")
        return {**counts, "content_hash": stored.value if stored else None}


def edit(directory: Path, file: str, change) -> None:
    path = directory / file
    content = yaml.safe_load(path.read_text())
    change(content)
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True))


def test_build_fills_every_table(empty_engine: Engine, knowledge_copy: Path) -> None:
    report = build_database(knowledge_copy, empty_engine)
    assert report.changed
    counts = snapshot(empty_engine)
    data = load_knowledge(knowledge_copy)
    assert counts["causes"] == len(data.causes) == 10
    assert counts["red_flags"] == len(data.red_flags)
    assert counts["terms"] == len(data.terms)
    assert counts["faq"] == len(data.faq)
    assert counts["content_hash"] == data.content_hash()


def test_rebuild_is_idempotent(empty_engine: Engine, knowledge_copy: Path) -> None:
    build_database(knowledge_copy, empty_engine)
    first = snapshot(empty_engine)
    second_report = build_database(knowledge_copy, empty_engine)
    assert not second_report.changed
    assert snapshot(empty_engine) == first


def test_changed_yaml_replaces_the_content(empty_engine: Engine, knowledge_copy: Path) -> None:
    build_database(knowledge_copy, empty_engine)

    def reword(content: dict) -> None:
        content["faq"][0]["answer"] = "A reworded answer a clinician wrote."

    edit(knowledge_copy, "faq.yml", reword)
    assert build_database(knowledge_copy, empty_engine).changed
    with Session(empty_engine) as session:
        assert session.get(models.FaqAnswer, "what_is_a_cramp").answer == "A reworded answer a clinician wrote."
        assert session.scalar(select(func.count()).select_from(models.FaqAnswer)) == 21


def _drop_cause_explanation(content: dict) -> None:
    del content["causes"][1]["explanation"]


def _misspell_indicator(content: dict) -> None:
    content["causes"][1]["indicators"][0]["term"] = "exercize"


def _duplicate_term(content: dict) -> None:
    content["findings"].append(dict(content["findings"][0]))


def _unknown_level(content: dict) -> None:
    content["red_flags"][0]["level"] = "critical"


def _unknown_source(content: dict) -> None:
    content["relief"][0]["sources"] = ["clinic_guide", "wikipedia"]


def _synonym_for_two_terms(content: dict) -> None:
    content["locations"][1]["synonyms"].append("calf")


def _rule_without_terms(content: dict) -> None:
    content["red_flags"][0].pop("any_of")


def _misspelled_field(content: dict) -> None:
    content["faq"][2]["answr"] = content["faq"][2].pop("answer")


def _hard_coded_placeholder(content: dict) -> None:
    content["faq"][2]["answer"] += " Call {emergency}."


def _withheld_typo(content: dict) -> None:
    content["triage_levels"][0]["withholds"].append("masage")


def _unknown_qualifier(content: dict) -> None:
    content["findings"][0]["qualified_by"]["both_leggs"] = None


def _unknown_addition(content: dict) -> None:
    content["medicine_classes"][0]["also_means"]["medicine_startd"] = "new_medicine"


def _unknown_word_group(content: dict) -> None:
    content["findings"][0]["said_together"] = [["bigger", "than_the_otter"]]


def _group_of_words_and_time(content: dict) -> None:
    content["word_groups"][0]["minutes_at_least"] = 10


def _unknown_reach(content: dict) -> None:
    content["findings"][0]["reach"] = "paragraph"


def _reach_without_combinations(content: dict) -> None:
    content["findings"][0].pop("said_together", None)
    content["findings"][0].pop("not_said_with", None)
    content["findings"][0]["reach"] = "message"


def _term_in_two_groups(content: dict) -> None:
    content["red_flags"][0]["none_of"] = ["breathlessness"]


def _no_region(content: dict) -> None:
    content["regions"] = []


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        ("faq.yml", _hard_coded_placeholder,
         "faq.yml: entry 'duration', field 'answer': unknown placeholder '{emergency}'"),
        ("triage_levels.yml", _withheld_typo,
         "triage_levels.yml: entry 'emergency', field 'withholds': no advice or answer involves 'masage'"),
        ("vocabulary.yml", _unknown_qualifier,
         "vocabulary.yml: entry 'leg_swelling', field 'qualified_by': unknown term 'both_leggs'"),
        ("vocabulary.yml", _unknown_addition,
         "vocabulary.yml: entry 'diuretic', field 'also_means': unknown term 'medicine_startd'"),
        ("red_flags.yml", _term_in_two_groups,
         "red_flags.yml: entry 'pulmonary_embolism_signs', field 'none_of': term 'breathlessness' is also in any_of"),
        ("vocabulary.yml", _unknown_word_group,
         "vocabulary.yml: entry 'leg_swelling', field 'said_together': unknown word group 'than_the_otter'"),
        ("vocabulary.yml", _unknown_reach,
         "vocabulary.yml: entry 'leg_swelling', field 'reach': must be one of: clause, sentence, message"),
        ("vocabulary.yml", _reach_without_combinations,
         "vocabulary.yml: entry 'leg_swelling', field 'reach': needs said_together (or the term to be a qualifier)"),
        ("word_groups.yml", _group_of_words_and_time,
         "word_groups.yml: entry 'breath', field 'words/minutes_at_least/clock_minutes_at_least/days_at_least/"
         "per_week_at_least/per_week_below': give exactly one of them"),
        ("regions.yml", _no_region, "regions.yml: entry '-', field 'regions': at least one region is needed"),
        ("causes.yml", _drop_cause_explanation,
         "causes.yml: entry 'muscle_fatigue', field 'explanation': is missing"),
        ("causes.yml", _misspell_indicator,
         "causes.yml: entry 'muscle_fatigue', field 'indicators[1].term': unknown term 'exercize'"),
        ("vocabulary.yml", _duplicate_term,
         "vocabulary.yml: entry 'leg_swelling', field 'id': duplicate id"),
        ("red_flags.yml", _unknown_level,
         "red_flags.yml: entry 'pulmonary_embolism_signs', field 'level': unknown triage level 'critical'"),
        ("relief.yml", _unknown_source,
         "relief.yml: entry 'stretch_calf', field 'sources': unknown source 'wikipedia'"),
        ("vocabulary.yml", _synonym_for_two_terms,
         "vocabulary.yml: entry 'thigh', field 'synonyms': 'calf' is already a synonym of 'calf'"),
        ("red_flags.yml", _rule_without_terms,
         "red_flags.yml: entry 'pulmonary_embolism_signs', field 'all_of/any_of': a rule needs at least one term"),
        ("faq.yml", _misspelled_field,
         "faq.yml: entry 'duration', field 'answr': is not a known field"),
    ],
)
def test_bad_data_is_named_and_nothing_is_written(
    empty_engine: Engine, knowledge_copy: Path, file: str, change, expected: str
) -> None:
    build_database(knowledge_copy, empty_engine)
    before = snapshot(empty_engine)
    edit(knowledge_copy, file, change)
    with pytest.raises(KnowledgeBaseError) as raised:
        build_database(knowledge_copy, empty_engine)
    assert expected in str(raised.value)
    assert "nothing was written" in str(raised.value)
    assert snapshot(empty_engine) == before


def test_broken_yaml_names_the_file(empty_engine: Engine, knowledge_copy: Path) -> None:
    build_database(knowledge_copy, empty_engine)
    before = snapshot(empty_engine)
    (knowledge_copy / "prevention.yml").write_text("prevention:\n  - id: [unclosed\n")
    with pytest.raises(KnowledgeBaseError, match="prevention.yml: entry '-', field '-': is not valid YAML"):
        build_database(knowledge_copy, empty_engine)
    assert snapshot(empty_engine) == before


def test_every_problem_is_reported_at_once(knowledge_copy: Path) -> None:
    edit(knowledge_copy, "causes.yml", _drop_cause_explanation)
    edit(knowledge_copy, "red_flags.yml", _unknown_level)
    with pytest.raises(KnowledgeBaseError) as raised:
        load_knowledge(knowledge_copy)
    assert len(raised.value.problems) == 2


def test_the_command_line_reports_problems(knowledge_copy: Path, monkeypatch, capsys) -> None:
    from knowledge_base import __main__ as cli
    from knowledge_base import loader

    edit(knowledge_copy, "red_flags.yml", _unknown_level)
    monkeypatch.setattr(loader, "KNOWLEDGE_DIR", knowledge_copy)
    monkeypatch.setattr(cli, "load_knowledge", lambda: loader.load_knowledge(knowledge_copy))
    assert cli.main(["check"]) == 1
    assert "unknown triage level 'critical'" in capsys.readouterr().err


def test_database_from_an_older_schema_is_rebuilt(empty_engine: Engine, knowledge_copy: Path) -> None:
    build_database(knowledge_copy, empty_engine)
    with Session(empty_engine) as session, session.begin():
        session.get(models.Metadata, "schema_version").value = "0"
    assert build_database(knowledge_copy, empty_engine).changed
    with Session(empty_engine) as session:
        assert session.get(models.Metadata, "schema_version").value == models.SCHEMA_VERSION
