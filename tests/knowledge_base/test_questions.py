"""Deciding questions (data/knowledge/questions.yml): the loader's checks, and
which question is due for what a person said, denied and already answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from knowledge_base import queries
from knowledge_base.loader import KnowledgeBaseError, build_database, completes_rule, load_knowledge
from tests.knowledge_base.test_loader import edit, snapshot

CLOT = "clot_one_leg_lingering"
YES, DURING, BOTH, NOT_SURE = ("clot_one_leg_pain_stays", "clot_pain_only_during_cramp", "clot_both_legs",
                               "clot_not_sure")


def due(kb: Session, known: list[str], denied: list[str] = (), answered: list[str] = ()) -> list[str]:
    return [question.id for question in queries.due_questions(kb, known, denied, answered)]


# --- which question is due ---------------------------------------------------

@pytest.mark.parametrize("risk", ["recent_surgery", "long_travel", "recent_clot_risk",
                                  "pregnant_or_postpartum", "pregnancy", "recent_birth", "cancer"])
def test_a_clot_risk_alone_makes_the_clot_question_due(kb: Session, risk: str) -> None:
    assert due(kb, [risk, "calf", "night"]) == [CLOT]


@pytest.mark.parametrize("risk", ["plaster_cast", "leg_surgery", "leg_injury"])
def test_a_cast_an_injury_or_a_leg_operation_asks_about_compartment_syndrome_first(kb: Session, risk: str) -> None:
    assert due(kb, [risk, "calf"])[0] == "compartment_signs"
    assert due(kb, [risk, "calf"], answered=["compartment_signs"]) == [CLOT]


def test_a_red_hot_leg_told_urgent_is_asked_about_sepsis(kb: Session) -> None:
    # The clot row already gives urgent; the sepsis row, more severe, is half known.
    assert due(kb, ["redness", "warmth", "leg_swelling"]) == ["sepsis_signs"]
    assert due(kb, ["redness", "warmth", "leg_swelling"], answered=["sepsis_signs"]) == []
    assert due(kb, ["redness", "sepsis_signs"]) == []  # already an emergency: nothing to ask


def test_the_question_carries_its_text_and_buttons_in_order(kb: Session) -> None:
    question = queries.due_questions(kb, ["recent_surgery"])[0]
    assert "one leg" in question.text and "between the cramps" in question.text
    assert [answer.id for answer in question.answers] == [YES, DURING, BOTH, NOT_SURE]
    assert question.answers[0].title == "Yes: one leg, and it stays between cramps"


@pytest.mark.parametrize("known", [
    [],                                           # nothing known
    ["calf", "night"],                            # an ordinary cramp
    ["lingering_leg_pain"],                       # the pain alone: no answer brings a risk factor
    ["recent_surgery", "lingering_leg_pain"],     # the rule matches already
    ["pregnancy", "leg_swelling"],                # the pregnancy one matches: the other could only tie
    ["recent_surgery", "numbness", "sudden_severe_pain"],  # already an emergency: nothing could raise it
])
def test_no_question_when_no_rule_is_partly_matched_or_none_would_raise_the_level(kb: Session,
                                                                                   known: list[str]) -> None:
    assert due(kb, known) == []


def test_new_numbness_already_urgent_is_asked_whether_it_came_on_suddenly(kb: Session) -> None:
    # Urgent (new numbness); sudden with a cold leg or severe pain, or in one leg, is 911.
    assert due(kb, ["recent_surgery", "numbness"]) == ["numb_or_weak_sudden"]
    assert due(kb, ["long_standing_numbness"]) == []  # numb for years: nothing sudden to ask about


def test_an_answered_question_is_never_due_again(kb: Session) -> None:
    assert due(kb, ["recent_surgery"], answered=[CLOT]) == []


def test_a_missing_group_wholly_denied_is_not_asked_about(kb: Session) -> None:
    # The surgery rule's missing group is one term: denied, nothing is left to ask.
    assert due(kb, ["recent_surgery"], denied=["lingering_leg_pain"]) == []
    # Pregnancy's missing group has other signs (swelling, redness, ...): one denial leaves it open.
    assert due(kb, ["pregnancy"], denied=["lingering_leg_pain"]) == [CLOT]


def test_a_none_of_term_known_blocks_the_rule() -> None:
    conditions = {"all": [], "any": ["a"], "also_any": ["b"], "none": ["c"]}
    assert queries.rule_partly_matched(conditions, {"a"}, set(), [["b"]])
    assert not queries.rule_partly_matched(conditions, {"a", "c"}, set(), [["b"]])
    assert not queries.rule_partly_matched(conditions, {"a"}, set(), [["b", "c"]])  # the answer would block it


def test_an_all_group_is_ruled_out_by_one_denied_term() -> None:
    conditions = {"all": ["x", "y"], "any": ["a"], "also_any": [], "none": []}
    assert queries.rule_partly_matched(conditions, {"a"}, set(), [["x", "y"]])
    assert not queries.rule_partly_matched(conditions, {"a"}, {"y"}, [["x", "y"]])
    assert not queries.rule_partly_matched(conditions, {"a"}, set(), [["x"]])  # no answer completes it


@pytest.mark.parametrize(("answer", "level"), [(YES, "urgent"), (DURING, "self_care"), (BOTH, "self_care"),
                                               (NOT_SURE, "self_care")])
def test_each_answer_decides_the_row(kb: Session, answer: str, level: str) -> None:
    meaning = queries.question_answer(kb, answer)
    assert meaning is not None and meaning.question_id == CLOT
    assert queries.triage(kb, ["recent_surgery", "calf", *meaning.sets]).level == level
    assert queries.triage(kb, ["pregnant_or_postpartum", "calf", *meaning.sets]).level == level


def test_answers_say_what_they_set_and_deny(kb: Session) -> None:
    assert queries.question_answer(kb, YES).sets == ("lingering_leg_pain", "one_sided_leg_pain")
    assert queries.question_answer(kb, BOTH).denies == ("lingering_leg_pain", "one_sided_leg_pain")
    assert queries.question_answer(kb, NOT_SURE) == queries.QuestionAnswer(NOT_SURE, CLOT, (), ())
    assert queries.question_answer(kb, "made_up") is None
    assert queries.reply_answer(kb, CLOT, "affirm").id == YES
    assert queries.reply_answer(kb, CLOT, "deny").id == DURING
    assert queries.reply_answer(kb, CLOT, "greet") is None
    assert {YES, DURING, BOTH, NOT_SURE} <= queries.answer_ids(kb)
    assert "sepsis_sign_present" in queries.answer_ids(kb)


# --- the loader's checks -----------------------------------------------------

def test_every_question_completes_each_rule_it_names() -> None:
    data = load_knowledge()
    rules = {flag["id"]: flag for flag in data.red_flags}
    for question in data.questions:
        for rule in question["completes"]:
            assert any(completes_rule(rules[rule], answer.get("sets") or []) for answer in question["answers"])


def _question(content: dict) -> dict:
    return content["questions"][0]


def _unknown_rule(content: dict) -> None:
    _question(content)["completes"].append("clot_rsk")


def _unknown_term(content: dict) -> None:
    _question(content)["answers"][0]["sets"].append("lingerin_leg_pain")


def _answer_that_completes_nothing(content: dict) -> None:
    # Without lingering pain, no answer completes the surgery rule.
    _question(content)["answers"][0]["sets"] = ["one_sided_leg_pain"]
    _question(content)["completes"] = ["clot_risk_with_lingering_pain"]


def _duplicate_answer(content: dict) -> None:
    _question(content)["answers"][1]["id"] = YES


def _set_and_denied(content: dict) -> None:
    _question(content)["answers"][0]["denies"] = ["lingering_leg_pain"]


def _qualifier_set(content: dict) -> None:
    _question(content)["answers"][2]["sets"] = ["both_legs"]


def _denied_risk_factor(content: dict) -> None:
    _question(content)["answers"][2]["denies"] = ["recent_surgery"]


def _unknown_intent(content: dict) -> None:
    _question(content)["answers"][3]["replies"] = ["maybe"]


def _one_answer(content: dict) -> None:
    _question(content)["answers"] = _question(content)["answers"][:1]


def _no_source(content: dict) -> None:
    _question(content)["sources"] = ["nhs_dvtt"]


@pytest.mark.parametrize(("change", "expected"), [
    (_unknown_rule, "field 'completes': unknown red-flag rule 'clot_rsk'"),
    (_unknown_term, "field 'answers[1].sets': unknown term 'lingerin_leg_pain'"),
    (_answer_that_completes_nothing,
     "field 'completes': no answer's `sets` can complete rule 'clot_risk_with_lingering_pain'"),
    (_duplicate_answer, f"field 'answers[2].id': answer id '{YES}' is already used"),
    (_set_and_denied, "field 'answers[1]': term 'lingering_leg_pain' is both set and denied"),
    (_qualifier_set, "field 'answers[3].sets': term 'both_legs' is a qualifier"),
    (_denied_risk_factor, "field 'answers[3].denies': term 'recent_surgery' is a risk_factor"),
    (_unknown_intent, "field 'answers[4].replies': unknown intent 'maybe'"),
    (_one_answer, "field 'answers': must be a list of at least two answers"),
    (_no_source, "field 'sources': unknown source 'nhs_dvtt'"),
])
def test_bad_questions_are_named_and_nothing_is_written(empty_engine: Engine, knowledge_copy: Path, change,
                                                        expected: str) -> None:
    build_database(knowledge_copy, empty_engine)
    before = snapshot(empty_engine)
    edit(knowledge_copy, "questions.yml", change)
    with pytest.raises(KnowledgeBaseError) as raised:
        build_database(knowledge_copy, empty_engine)
    assert f"questions.yml: entry '{CLOT}', {expected}" in str(raised.value)
    assert snapshot(empty_engine) == before
