"""Advice that must not be given (clinical-notes.md): once a red flag is
suspected, no reply in the rest of the session suggests massage, rubbing, heat,
stretching or walking on that leg, on any path (relief now, any FAQ answer,
the final answer, the buttons it offers); and heat, fluid and painkiller advice
is withheld or tailored for the groups the notes name. Real actions over a real
knowledge base (the fixtures of test_actions)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from actions.actions import ActionAnswerFaq, ActionAssessCramps, ActionReliefNow, ActionUnderstandTurn
from knowledge_base.loader import load_knowledge
from tests.actions.helpers import run, texts

# Something done to the leg: rubbing, heat, stretching, walking on it.
HANDS_ON = re.compile(
    r"\b(rub\w*|massag\w*|press\w*|light pressure|heat(ing)? pad|hot[- ]water bottle|heat (it|the muscle)"
    r"|warm (towel|bath|compress|it)|stretch\w*|walk (around|it off|about|on your heels)"
    r"|walking (around|about|on your heels))\b", re.I)
# ... suggested: an instruction, or said to help.
SUGGESTS = re.compile(r"(^\W*(rub|massage|press|put|stretch|straighten|walk|sit|stand|pull|keep|try|use)\b)"
                      r"|\b(helps?|try|ease|eases|relax|worth|safest|can)\b", re.I)
SAYS_NOT_TO = re.compile(r"\b(don't|do not|avoid|never|not to|no|not)\b", re.I)

# Conversations whose findings make a clot, blocked artery, compartment syndrome or rupture suspected.
RED_FLAG_SLOTS = {
    "clot (urgent)": {"findings": ["leg_swelling", "warmth"], "cramp_location": "calf"},
    "clot risk with persisting pain (urgent)": {"findings": ["lingering_leg_pain"], "risk_factors": ["long_travel"]},
    "pulmonary embolism (emergency)": {"findings": ["leg_swelling", "breathlessness"]},
    "blocked artery (emergency)": {"findings": ["cold_pale_leg"], "cramp_location": "foot"},
    "compartment syndrome (emergency)": {"findings": ["tense_swollen_calf"], "risk_factors": ["leg_injury"]},
    "calf tear or rupture (urgent)": {"findings": ["calf_tear_signs"], "cramp_location": "calf"},
}
FAQ_TOPICS = [entry["id"] for entry in load_knowledge().faq]


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?:])\s+|\n+", text)


def unsafe_sentences(text: str) -> list[str]:
    return [s for s in sentences(text) if HANDS_ON.search(s) and SUGGESTS.search(s) and not SAYS_NOT_TO.search(s)]


def suggested(pattern: str, text: str) -> list[str]:
    """Sentences that mention `pattern` without saying not to, or to do it instead of something."""
    return [s for s in sentences(text) if re.search(pattern, s, re.I)
            and not re.search(r"\b(don't|do not|avoid|not|no|never|unless|rather than)\b", s, re.I)]


def faq_message(topic: str) -> dict[str, Any]:
    return {"text": "a question", "intent": {"name": "faq"},
            "response_selector": {"faq": {"response": {"intent_response_key": f"faq/{topic}"}}}}


def every_reply(slots: dict[str, Any]) -> dict[str, str]:
    """Every reply path after the red flag, by name, with the buttons' labels and payloads."""
    replies = {}
    messages, _ = run(ActionReliefNow(), **slots)
    replies["relief now"] = texts(messages)
    messages, _ = run(ActionAssessCramps(), **slots)
    buttons = [f"{b['title']} {b['payload']}" for m in messages for b in m.get("buttons") or []]
    replies["final answer"] = "\n".join([texts(messages), *buttons])
    for topic in FAQ_TOPICS:
        messages, _ = run(ActionAnswerFaq(), faq_message(topic), **slots)
        replies[f"faq {topic}"] = texts(messages)
    return replies


def test_the_check_tells_hands_on_advice_from_a_warning() -> None:
    assert unsafe_sentences("Rub or massage the muscle.")
    assert unsafe_sentences("Put a warm towel on it.\nStretch your calf.")
    assert unsafe_sentences("• Walk around gently once you can.")
    assert not unsafe_sentences("Don't rub, massage or heat the leg, and don't drive yourself.")
    assert not unsafe_sentences("Pain that does not ease with stretching and rest needs a doctor.")


@pytest.mark.parametrize("case", RED_FLAG_SLOTS)
def test_no_hands_on_advice_on_any_path_after_a_red_flag(case: str) -> None:
    replies = every_reply(RED_FLAG_SLOTS[case])
    assert {path: unsafe_sentences(text) for path, text in replies.items() if unsafe_sentences(text)} == {}
    assert "don't rub" in replies["relief now"].lower() or "do not rub" in replies["relief now"].lower()


@pytest.mark.parametrize("case", RED_FLAG_SLOTS)
def test_the_red_flag_reply_says_what_not_to_do(case: str) -> None:
    messages, _ = run(ActionUnderstandTurn(), **RED_FLAG_SLOTS[case])
    reply = texts(messages).lower()
    assert "don't rub, massage or heat the leg" in reply
    if "emergency" in case:
        assert "don't drive yourself" in reply


def test_without_a_red_flag_relief_includes_stretching_and_massage() -> None:
    replies = every_reply({"cramp_location": "calf", "cramp_timing": "night"})
    assert "stretch" in replies["relief now"].lower() and "massage" in replies["faq relief"].lower()


@pytest.mark.parametrize("condition", ["diabetes", "peripheral_neuropathy", "peripheral_artery_disease"])
def test_no_heat_where_feeling_or_blood_flow_is_reduced(condition: str) -> None:
    replies = every_reply({"cramp_location": "calf", "cramp_timing": "night", "conditions": [condition]})
    for path, text in replies.items():
        offers_heat = [s for s in unsafe_sentences(text) if re.search(r"heat|warm", s, re.I)]
        assert offers_heat == [], path
    assert "burn" in replies["faq relief"]


FLUID_ADVICE = (r"\b(drink (more|water|plenty|regularly|enough)|sports drinks?|electrolyte drinks?"
                r"|coconut water|bananas?|replac\w+ (the )?fluid|fluids? you lose)")


def test_without_a_restriction_fluids_and_heat_are_suggested() -> None:
    replies = every_reply({"cramp_location": "calf", "cramp_timing": "exercise"})
    assert suggested(FLUID_ADVICE, replies["faq prevention"]) and suggested(FLUID_ADVICE, replies["faq drinks"])
    assert any(re.search(r"heat|warm", s, re.I) for s in unsafe_sentences(replies["faq relief"]))


@pytest.mark.parametrize("condition", ["kidney_disease", "heart_failure", "fluid_restriction"])
def test_no_extra_fluids_or_sports_drinks_on_a_fluid_restriction(condition: str) -> None:
    replies = every_reply({"cramp_location": "calf", "cramp_timing": "exercise", "conditions": [condition]})
    for path in ("final answer", "faq prevention", "faq drinks", "faq foods"):
        assert suggested(FLUID_ADVICE, replies[path]) == [], path
        assert "care team" in replies[path], path


@pytest.mark.parametrize(("slots", "warning"), [
    ({"risk_factors": ["pregnancy"]}, "ibuprofen"),
    ({"conditions": ["kidney_disease"]}, "ibuprofen"),
    ({"medicines": ["blood_thinner"]}, "ibuprofen"),
    ({"risk_factors": ["child"]}, "aspirin"),
])
def test_painkiller_advice_carries_the_cautions(slots: dict[str, Any], warning: str) -> None:
    replies = every_reply({"cramp_location": "calf", "cramp_timing": "night", **slots})
    assert warning in replies["faq relief"].lower()
    assert suggested(r"ibuprofen|naproxen|aspirin", replies["faq relief"]) == []


def test_a_parent_writing_about_a_child_is_sent_to_a_pharmacist_for_medicines() -> None:
    replies = every_reply({"cramp_location": "calf", "cramp_timing": "exercise", "risk_factors": ["child"]})
    assert "pharmacist" in replies["final answer"] and "your child" in replies["final answer"].lower()


# --- issue 28: the second clinical review ---------------------------------

HEAT = re.compile(r"heat|warm", re.I)


@pytest.mark.parametrize(("slot", "term"), [
    ("findings", "long_standing_numbness"), ("findings", "tingling"), ("findings", "claudication"),
    ("findings", "pain_on_walking"),
])
def test_no_heat_with_reduced_feeling_or_blood_supply(slot: str, term: str) -> None:
    # Long-standing numbness, burning feet, tingling, claudication: heat can burn unnoticed.
    replies = every_reply({"cramp_location": "calf", "cramp_timing": "night", slot: [term]})
    for path, text in replies.items():
        assert [s for s in unsafe_sentences(text) if HEAT.search(s)] == [], path
    assert "burn" in replies["faq relief"]


def test_a_leg_injury_gets_rest_ice_compression_elevation_and_no_heat_massage_or_running() -> None:
    # The screening button "An injury to the leg" sets leg_injury (NHS "Sprains and strains").
    replies = every_reply({"cramp_location": "calf", "cramp_timing": "exercise", "risk_factors": ["leg_injury"]})
    for path, text in replies.items():
        offered = [s for s in unsafe_sentences(text) if re.search(r"heat|warm|rub|massag|press|walk", s, re.I)]
        assert offered == [], path
    for path in ("relief now", "faq relief", "faq prevention"):
        said = replies[path].lower()
        for advice in ("ice wrapped in a towel", "raised", "don't use heat, massage it or run"):
            assert advice in said, (path, advice)


AFTER_A_FLAG_NOT_ADVISED = re.compile(r"\b(stretch\w*|fluids?|drink\w*|massag\w*|rub\w*|heat\w*|warm\w*)\b", re.I)


@pytest.mark.parametrize("case", RED_FLAG_SLOTS)
@pytest.mark.parametrize("topic", ["magnesium", "doctor_visit", "pregnancy", "children", "symptoms"])
def test_answers_after_a_red_flag_do_not_recommend_self_care_for_the_leg(case: str, topic: str) -> None:
    # "Stretching, fluids and the other steps here are a better start" (magnesium),
    # "stretching ... the usual advice" (doctor_visit): never after a clot, artery,
    # compartment or rupture flag.
    messages, _ = run(ActionAnswerFaq(), faq_message(topic), **RED_FLAG_SLOTS[case])
    clauses = re.split(r"(?<=[.!?:;])\s+|\n+", texts(messages))
    recommended = [s for s in clauses if AFTER_A_FLAG_NOT_ADVISED.search(s) and not SAYS_NOT_TO.search(s)]
    assert recommended == []


@pytest.mark.parametrize("condition", ["kidney_disease", "heart_failure", "fluid_restriction"])
def test_no_answer_offers_fluids_on_a_fluid_restriction(condition: str) -> None:
    replies = every_reply({"cramp_location": "calf", "cramp_timing": "night", "conditions": [condition]})
    for path, text in replies.items():
        assert suggested(FLUID_ADVICE + r"|\bfluids\b", text) == [], path


@pytest.mark.parametrize("slots", [
    {"findings": ["leg_swelling"], "risk_factors": ["pregnancy"]},
    {"findings": ["one_sided_leg_pain", "lingering_leg_pain"], "risk_factors": ["recent_birth"]},
    {"findings": ["severe_headache"], "risk_factors": ["pregnancy"]},
])
def test_the_pregnancy_rows_open_and_explain_with_the_same_route(slots: dict[str, Any]) -> None:
    messages, _ = run(ActionUnderstandTurn(), **slots)
    reply = texts(messages)
    opening, _, reason = reply.partition("\n\n")
    assert opening.startswith("Get seen today: call your maternity unit or midwife now."), opening
    assert "maternity unit or midwife" in reason
    # Urgent care only as the way in when the maternity unit cannot be reached.
    assert opening.index("urgent care") > opening.index("If you can't reach them")


@pytest.mark.parametrize("slots", [
    {"findings": ["leg_swelling"], "risk_factors": ["pregnancy"], "triage_level": "urgent"},
    {"findings": ["severe_headache"], "risk_factors": ["pregnancy"], "triage_level": "urgent"},
])
def test_when_the_questions_stop_on_a_pregnancy_row_the_route_is_the_maternity_unit(slots: dict[str, Any]) -> None:
    messages, _ = run(ActionAssessCramps(), **slots)
    closing = texts(messages)
    assert "call your maternity unit or midwife now" in closing and "You can call" not in closing, closing
