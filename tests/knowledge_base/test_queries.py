"""The medical logic: ranking causes, triage, tailored advice, FAQ answers."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from knowledge_base import models, queries
from knowledge_base.db import make_engine


def ranked_ids(kb: Session, terms: list[str]) -> list[str]:
    return [cause.id for cause in queries.rank_causes(kb, terms)]


def test_night_calf_cramps_rank_ordinary_night_cramps_first(kb: Session) -> None:
    causes = queries.rank_causes(kb, ["night", "calf"])
    assert causes[0].id == "unknown_nocturnal"
    assert causes[0].reason == "cramps at night in the calf"
    assert "pregnancy_related" not in [c.id for c in causes]


def test_pregnancy_leads_with_the_reason_given(kb: Session) -> None:
    top = queries.rank_causes(kb, ["night", "calf", "pregnancy"])[0]
    assert top.id == "pregnancy_related"
    assert top.reason == "cramps at night in the calf, and you mentioned you are pregnant"


@pytest.mark.parametrize(
    ("terms", "expected_top"),
    [
        (["exercise", "hamstring"], "muscle_fatigue"),
        (["hot_weather", "dehydration"], "dehydration_electrolytes"),
        (["sitting", "foot"], "prolonged_position"),
        (["claudication", "calf"], "poor_circulation"),
        (["tingling", "herniated_disc"], "nerve_compression"),
        (["new_medicine", "diuretic"], "medicine_side_effect"),
        (["kidney_disease"], "underlying_condition"),
        (["older_age"], "ageing_muscles"),
    ],
)
def test_each_cause_ranks_first_for_its_pattern(kb: Session, terms: list[str], expected_top: str) -> None:
    assert ranked_ids(kb, terms)[0] == expected_top


def test_causes_needing_a_prerequisite_are_not_suggested_without_it(kb: Session) -> None:
    everything_but_prerequisites = ["night", "calf", "rest", "exercise", "sitting", "frequent"]
    suggested = set(ranked_ids(kb, everything_but_prerequisites))
    assert not suggested & {"pregnancy_related", "medicine_side_effect", "underlying_condition",
                            "ageing_muscles", "nerve_compression"}


def test_nothing_known_gives_the_most_common_causes(kb: Session) -> None:
    assert ranked_ids(kb, []) == ["unknown_nocturnal", "muscle_fatigue", "dehydration_electrolytes"]


@pytest.mark.parametrize(
    ("present", "level", "flag"),
    [
        (["breathlessness"], "emergency", "pulmonary_embolism_signs"),
        (["chest_pain"], "emergency", "pulmonary_embolism_signs"),
        (["coughing_blood"], "emergency", "pulmonary_embolism_signs"),
        (["fainting"], "emergency", "pulmonary_embolism_signs"),
        (["cold_pale_leg"], "emergency", "acute_limb_ischaemia"),
        (["dark_urine"], "emergency", "rhabdomyolysis_signs"),
        (["face_drooping"], "emergency", "stroke_signs"),
        (["slurred_speech"], "emergency", "stroke_signs"),
        (["leg_swelling"], "urgent", "deep_vein_thrombosis_signs"),
        (["redness", "warmth"], "urgent", "deep_vein_thrombosis_signs"),
        (["prolonged_cramp"], "urgent", "cramp_that_will_not_release"),
        (["persistent_pain"], "urgent", "cramp_that_will_not_release"),
        (["numbness"], "urgent", "new_weakness_or_loss_of_feeling"),
        (["weakness"], "urgent", "new_weakness_or_loss_of_feeling"),
        (["heavy_fluid_loss"], "urgent", "heavy_fluid_loss"),
        (["foot_wound"], "urgent", "critical_limb_ischaemia"),
        (["tetanus_risk"], "urgent", "tetanus_risk"),
        (["toxin_exposure"], "urgent", "toxin_exposure"),
        (["claudication"], "see_doctor", "claudication"),
        (["new_medicine"], "see_doctor", "medicine_started_before_cramps"),
        (["frequent"], "see_doctor", "frequent_or_disruptive_cramps"),
        (["sleep_disruption"], "see_doctor", "frequent_or_disruptive_cramps"),
        (["tingling"], "see_doctor", "nerve_symptoms"),
        (["diabetes"], "see_doctor", "cramps_with_long_term_condition"),
        (["restless_urge"], "see_doctor", "restless_legs"),
    ],
)
def test_triage_level_for_each_red_flag(kb: Session, present: list[str], level: str, flag: str) -> None:
    result = queries.triage(kb, present + ["calf", "night"])
    assert result.level == level
    assert flag in [f.id for f in result.red_flags]
    assert set(result.findings) == set(present)


def test_plain_cramp_is_self_care(kb: Session) -> None:
    result = queries.triage(kb, ["calf", "night", "occasional"])
    assert (result.level, result.red_flags, result.findings) == ("self_care", (), [])
    assert "Call the clinic if" in result.safety_net


def test_most_severe_level_wins(kb: Session) -> None:
    result = queries.triage(kb, ["tingling", "leg_swelling", "breathlessness"])
    assert result.level == "emergency"
    assert [f.level for f in result.red_flags] == ["emergency", "urgent", "see_doctor"]
    assert result.red_flags[0].id == "pulmonary_embolism_signs"


def test_a_combination_is_more_severe_than_either_finding_alone(kb: Session) -> None:
    assert queries.triage(kb, ["sudden_severe_pain"]).level == "see_doctor"
    assert queries.triage(kb, ["numbness"]).level == "urgent"
    combined = queries.triage(kb, ["sudden_severe_pain", "numbness"])
    assert combined.level == "emergency"
    assert combined.red_flags[0].id == "acute_limb_ischaemia_pain_and_nerve_loss"


def test_leg_swelling_with_breathlessness_is_an_emergency(kb: Session) -> None:
    assert queries.triage(kb, ["leg_swelling"]).level == "urgent"
    assert queries.triage(kb, ["leg_swelling", "breathlessness"]).level == "emergency"


def test_triage_only_counts_what_it_is_given(kb: Session) -> None:
    # Absent findings are never passed in; unknown ids match nothing.
    assert queries.triage(kb, ["no_such_finding"]).level == "self_care"


def test_relief_is_tailored_to_where_the_cramp_is(kb: Session) -> None:
    calf = queries.advice_for(kb, "relief", ["calf"])
    assert calf[0].id == "stretch_calf" and calf[0].tailored
    assert "pull your foot and toes up towards you" in calf[0].text
    foot = queries.advice_for(kb, "relief", ["foot"])
    assert foot[0].id == "stretch_foot"
    assert "stretch_calf" not in [step.id for step in foot]


def test_prevention_is_tailored_to_when_it_happens(kb: Session) -> None:
    assert queries.advice_for(kb, "prevention", ["exercise"])[0].id == "warm_up_cool_down"
    night = [step.id for step in queries.advice_for(kb, "prevention", ["night"], limit=3)]
    assert night == ["stretch_before_bed", "loose_bedclothes", "sleep_position"]
    statin = queries.advice_for(kb, "prevention", ["statin"])
    assert statin[0].id == "review_medicines_with_prescriber"


def test_general_advice_when_nothing_is_known(kb: Session) -> None:
    steps = queries.advice_for(kb, "prevention", [])
    assert [s.tailored for s in steps] == [False] * len(steps)
    assert steps[0].id == "drink_regularly"


def test_severity_follows_the_ranks_in_the_knowledge_base(kb: Session) -> None:
    assert queries.is_more_severe(kb, "emergency", "urgent")
    assert queries.is_more_severe(kb, "see_doctor", None)
    assert not queries.is_more_severe(kb, "urgent", "urgent")
    assert not queries.is_more_severe(kb, "self_care", "see_doctor")


def test_unknown_advice_kind_is_an_error(kb: Session) -> None:
    with pytest.raises(ValueError, match="unknown advice kind 'dessert'"):
        queries.advice_for(kb, "dessert", [])


def test_faq_answer_by_topic(kb: Session) -> None:
    quinine = queries.faq_answer(kb, "quinine")
    assert quinine.question == "Should I take quinine for leg cramps?"
    assert "US Food and Drug Administration" in quinine.sources
    assert queries.faq_answer(kb, "no_such_topic") is None


def test_check_ready_accepts_a_built_database(kb: Session) -> None:
    assert len(queries.check_ready(kb)) == 64


def test_check_ready_explains_a_missing_database(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'never_built.sqlite3'}")
    with Session(engine) as session, pytest.raises(queries.KnowledgeBaseNotReady, match="make kb"):
        queries.check_ready(session)


def test_check_ready_explains_an_empty_database(empty_engine, knowledge_copy) -> None:
    from knowledge_base.loader import build_database

    build_database(knowledge_copy, empty_engine)
    with Session(empty_engine) as session, session.begin():
        for table in (models.CausePrerequisite, models.CauseIndicator, models.Cause):
            session.execute(delete(table))
    with Session(empty_engine) as session, pytest.raises(queries.KnowledgeBaseNotReady, match="empty"):
        queries.check_ready(session)
