"""Every topic of the clinic's two articles and the clinical notes is in the
built database, and every entry names its sources."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge_base import models

# (table, id) for each topic in ../shared/reference/: the clinic guide (000),
# the urgent-care article (001) and clinical-notes.md.
SEED_TOPICS = {
    models.Cause: [
        "dehydration_electrolytes",   # 000, 001: dehydration and electrolyte imbalance
        "muscle_fatigue",             # 000, 001: overuse, muscle fatigue
        "prolonged_position",         # 000: prolonged sitting, standing, sleeping positions
        "poor_circulation",           # 000, 001: poor blood circulation
        "nerve_compression",          # 000, 001: nerve compression, spinal issues
        "pregnancy_related",          # 000: pregnancy
        "medicine_side_effect",       # 000, 001: medication side effects
        "underlying_condition",       # 000, 001: underlying medical conditions
        "ageing_muscles",             # 001: with age
        "unknown_nocturnal",          # 000 FAQ: some cramps have no known reason; notes: idiopathic
    ],
    models.Term: [
        "calf", "thigh", "hamstring", "foot",                       # where
        "night", "exercise", "sitting", "standing", "rest",         # when
        "occasional", "weekly", "frequent",                         # how often
        "pregnancy", "older_age", "athlete", "hot_weather", "dehydration",  # risk groups, triggers
        "long_travel", "recent_surgery", "immobility", "hard_exertion",     # clot / muscle-breakdown risks
        "diuretic", "statin", "asthma_inhaler", "blood_pressure_medicine",  # medicines named
        "hormonal_medicine", "other_cramp_medicine", "new_medicine",
        "diabetes", "kidney_disease", "thyroid_disorder", "liver_disease",  # conditions named
        "peripheral_artery_disease", "spinal_stenosis", "herniated_disc",
        "peripheral_neuropathy", "parkinsons_disease", "motor_neuron_disease", "low_minerals",
        # warning signs
        "leg_swelling", "redness", "warmth", "skin_discolouration", "hard_sore_veins",
        "numbness", "tingling", "weakness", "muscle_wasting", "breathlessness", "chest_pain",
        "coughing_blood", "fainting", "cold_pale_leg", "sudden_severe_pain", "dark_urine",
        "face_drooping", "slurred_speech", "prolonged_cramp", "persistent_pain",
        "heavy_fluid_loss", "rest_pain", "foot_wound", "tetanus_risk", "toxin_exposure",
        "claudication", "sleep_disruption", "daily_life_impact", "restless_urge",
        # added with the extended triage tables (clinical-notes.md)
        "lingering_leg_pain", "bilateral_swelling", "long_standing_numbness", "no_foot_pulse",
        "saddle_numbness", "bladder_bowel_trouble", "back_pain", "weakness_both_legs", "tense_swollen_calf",
        "pain_moving_toes", "lockjaw", "muscle_stiffness", "fever", "sepsis_signs", "perioral_tingling",
        "hand_spasms", "severe_headache", "vision_problems", "sudden_face_hand_swelling", "calf_tear_signs",
        "plaster_cast", "leg_injury", "recent_birth", "cancer", "previous_clot", "neck_surgery",
        "tetanus_vaccinated", "child", "heart_failure", "fluid_restriction", "blood_thinner",
    ],
    models.RedFlag: [
        "pulmonary_embolism_signs", "acute_limb_ischaemia", "acute_limb_ischaemia_pain_and_nerve_loss",
        "rhabdomyolysis_signs", "stroke_signs",                                  # emergency
        "deep_vein_thrombosis_signs", "cramp_that_will_not_release", "new_weakness_or_loss_of_feeling",
        "heavy_fluid_loss", "critical_limb_ischaemia", "tetanus_risk", "toxin_exposure",  # urgent
        "claudication", "medicine_started_before_cramps", "frequent_or_disruptive_cramps",
        "nerve_symptoms", "cramps_with_long_term_condition", "restless_legs",     # see a doctor
        # added with the extended triage tables
        "cauda_equina_syndrome", "cauda_equina_with_back_pain", "compartment_syndrome", "tetanus_signs",
        "tetanus_spasms_after_wound", "cellulitis_with_sepsis",                   # emergency
        "calf_tear_or_achilles_rupture", "clot_in_pregnancy_or_after_birth", "clot_risk_with_lingering_pain",
        "artery_disease_pain_at_rest", "cellulitis", "pre_eclampsia_signs", "low_calcium_signs",
        "low_calcium_after_neck_surgery",                                         # urgent
        "swelling_of_both_legs",                                                  # see a doctor
    ],
    models.Advice: [
        # relief during a cramp (000 FAQ, 001, notes)
        "stretch_calf", "stretch_foot", "stretch_thigh", "stretch_hamstring", "stretch_general",
        "massage", "heat", "walk_it_off", "soreness_afterwards", "night_cramp_in_bed",
        # prevention (000, 001, notes)
        "stretch_before_bed", "light_exercise_before_bed", "loose_bedclothes", "sleep_position",
        "warm_bath_before_bed", "warm_up_cool_down", "build_up_gradually", "ice_after_exercise",
        "drink_regularly", "electrolyte_drinks_and_foods", "balanced_diet", "change_position",
        "supportive_footwear", "stay_active", "review_medicines_with_prescriber", "pregnancy_measures",
    ],
    models.FaqAnswer: [
        "what_is_a_cramp", "symptoms", "duration", "causes", "when_more_common", "relief",
        "prevention", "risk_groups", "drinks", "foods", "deficiency", "medicines", "footwear",
        "pregnancy", "quinine", "magnesium", "when_to_see_doctor", "doctor_visit", "mimics",
        "cramp_or_clot", "children",
    ],
    models.TriageLevel: ["emergency", "urgent", "see_doctor", "self_care"],
}
CITATION_KIND = {models.Cause: "cause", models.Term: "term", models.RedFlag: "red_flag",
                 models.Advice: "advice", models.FaqAnswer: "faq", models.TriageLevel: "triage_level"}


@pytest.mark.parametrize(
    ("table", "entry_id"),
    [(table, entry_id) for table, ids in SEED_TOPICS.items() for entry_id in ids],
    ids=lambda value: value if isinstance(value, str) else value.__tablename__,
)
def test_seed_topic_is_in_the_database_with_sources(kb: Session, table, entry_id: str) -> None:
    assert kb.get(table, entry_id) is not None, f"{table.__tablename__} has no '{entry_id}'"
    cited = kb.scalars(select(models.Citation.source_id).where(
        models.Citation.entry_kind == CITATION_KIND[table], models.Citation.entry_id == entry_id)).all()
    assert cited, f"{entry_id} names no source"


def test_every_entry_names_a_source(kb: Session) -> None:
    for table, kind in CITATION_KIND.items():
        cited = set(kb.scalars(select(models.Citation.entry_id).where(models.Citation.entry_kind == kind)))
        assert set(kb.scalars(select(table.id))) <= cited, table.__tablename__


def test_both_clinic_articles_and_the_clinical_sources_are_cited(kb: Session) -> None:
    cited = set(kb.scalars(select(models.Citation.source_id)))
    assert {"clinic_guide", "urgent_care_article", "cks_leg_cramps", "nhs_leg_cramps", "nhs_dvt", "nice_ng158",
            "afp", "mayo_night_leg_cramps", "merck_muscle_cramps", "mhra", "fda", "aan", "gar",
            "cochrane_magnesium", "cochrane_pregnancy", "coppin", "cochrane_non_drug", "nhs_cauda_equina",
            "nhs_compartment_syndrome", "nhs_tetanus", "nhs_cellulitis", "nhs_sepsis", "nhs_achilles_rupture",
            "nhs_pre_eclampsia", "nhs_hypoparathyroidism", "nhs_paracetamol", "nhs_aspirin"} <= cited
