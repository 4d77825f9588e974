"""What the knowledge base says must be safe to say to a patient."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge_base import models, queries
from knowledge_base.wording import load_wording


def all_patient_texts(kb: Session) -> dict[str, str]:
    texts = {f"advice:{a.id}": a.text for a in kb.scalars(select(models.Advice))}
    texts |= {f"faq:{f.id}": f.answer for f in kb.scalars(select(models.FaqAnswer))}
    texts |= {f"red_flag:{r.id}": r.advice for r in kb.scalars(select(models.RedFlag))}
    texts |= {f"cause:{c.id}": c.explanation for c in kb.scalars(select(models.Cause))}
    texts |= {f"level:{t.id}": t.action for t in kb.scalars(select(models.TriageLevel))}
    return texts


# A sentence about stopping or changing a medicine is only safe when it says
# not to do it alone, or sends the person to the prescriber.
MEDICINE_CHANGE = re.compile(
    r"\b(stop|stopping|change|changing|reduce|reducing|skip|skipping|halve|halving|adjust)"
    r"(\W+\w+){0,3}?\W+(medicines?|medications?|prescriptions?|tablets?|pills?|dose|statins?|"
    r"diuretics?|inhalers?)\b",
    re.IGNORECASE,
)
SAFE_WORDING = re.compile(r"\b(do not|don't|never|keep taking|talk to|ask|only they)\b", re.IGNORECASE)


def unsafe_medicine_sentences(text: str) -> list[str]:
    sentences = re.split(r"(?<=[.!?;])\s+", text)
    return [s for s in sentences
            if MEDICINE_CHANGE.search(s) and not SAFE_WORDING.search(s)]


def test_the_medicine_check_tells_safe_from_unsafe_wording() -> None:
    assert unsafe_medicine_sentences("If cramps bother you, stop taking your statin.")
    assert unsafe_medicine_sentences("Try halving the dose of your water tablets.")
    assert not unsafe_medicine_sentences("Do not stop or change a prescribed medicine on your own.")
    assert not unsafe_medicine_sentences("A simple change may help, but talk to the prescriber.")
    assert not unsafe_medicine_sentences("Some medicines work by changing the body's fluid balance.")


def test_no_text_tells_a_person_to_stop_or_change_a_medicine(kb: Session) -> None:
    offending = {key: unsafe_medicine_sentences(text) for key, text in all_patient_texts(kb).items()}
    assert {key: found for key, found in offending.items() if found} == {}


def test_no_sentence_said_anywhere_tells_a_person_to_stop_or_change_a_medicine(kb: Session) -> None:
    # Beyond the entries: the terms' cautions, every text of the levels, the red
    # flags' routes, the regions' routes and the sentences of wording.yml.
    texts = {f"term:{t.id}": t.caution for t in kb.scalars(select(models.Term)) if t.caution}
    texts |= {f"level:{t.id}:{field}": getattr(t, field) or "" for t in kb.scalars(select(models.TriageLevel))
              for field in ("action", "do_not", "safety_net", "banner")}
    texts |= {f"red_flag:{r.id}:route": r.route for r in kb.scalars(select(models.RedFlag)) if r.route}
    texts |= {f"region:{r.id}": r.urgent_route for r in kb.scalars(select(models.Region))}
    texts |= {f"wording:{key}": text for key, text in load_wording().sentences.items()}
    offending = {key: unsafe_medicine_sentences(text) for key, text in texts.items()}
    assert {key: found for key, found in offending.items() if found} == {}


def test_medicine_advice_sends_the_person_to_the_prescriber(kb: Session) -> None:
    texts = all_patient_texts(kb)
    for key in ("advice:review_medicines_with_prescriber", "faq:medicines", "red_flag:medicine_started_before_cramps",
                "cause:medicine_side_effect"):
        assert "prescribed" in texts[key], key


def test_advice_never_recommends_quinine_or_magnesium(kb: Session) -> None:
    for advice in kb.scalars(select(models.Advice)):
        assert not re.search(r"quinine|magnesium", advice.text, re.IGNORECASE), advice.id


def test_quinine_and_magnesium_answers_advise_against(kb: Session) -> None:
    quinine = kb.get(models.FaqAnswer, "quinine").answer
    magnesium = kb.get(models.FaqAnswer, "magnesium").answer
    assert "no longer recommended" in quinine and "do not take it on your own" in quinine
    assert "unlikely to help" in magnesium


def test_emergency_level_says_call_the_regions_number_now(kb: Session) -> None:
    assert kb.get(models.TriageLevel, "emergency").action.startswith("Call {emergency_number} now")
    us, uk = queries.triage(kb, ["chest_pain"]), queries.triage(kb, ["chest_pain"], region="uk")
    assert (us.action.startswith("Call 911 now"), us.banner, us.call_number) == (True, "Call 911 now", "911")
    assert (uk.action.startswith("Call 999 now"), uk.banner, uk.call_number) == (True, "Call 999 now", "999")
    assert "NHS 111" in queries.triage(kb, ["leg_swelling"], region="uk").action


def test_no_text_writes_an_emergency_number_itself(kb: Session) -> None:
    # One number per clinic: every text says {emergency_number}, filled in from regions.yml.
    texts = all_patient_texts(kb)
    texts |= {f"term:{t.id}": t.caution for t in kb.scalars(select(models.Term)) if t.caution}
    texts |= {f"level:{t.id}:{field}": getattr(t, field) or "" for t in kb.scalars(select(models.TriageLevel))
              for field in ("banner", "call_number", "do_not", "safety_net")}
    assert {key: text for key, text in texts.items() if re.search(r"\b(911|999|112)\b", text)} == {}


def test_no_entry_cites_the_notes_file_and_every_source_can_be_found(kb: Session) -> None:
    for source in kb.scalars(select(models.Source)):
        assert "clinical-notes" not in source.reference, source.id
        assert source.url or source.reference.startswith("shared/reference/"), source.id
