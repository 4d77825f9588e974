"""The assistant's custom actions."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions import replies
from knowledge_base import queries
from knowledge_base.db import shared_engine

# Slots holding one term id, and slots holding a list of them.
SINGLE_TERM_SLOTS = ("cramp_timing", "cramp_location", "cramp_frequency")
LIST_TERM_SLOTS = ("findings", "risk_factors", "medicines", "conditions")


def known_terms(tracker: Tracker) -> list[str]:
    """Every term id the person has told us about, in slot order."""
    terms = [tracker.get_slot(slot) for slot in SINGLE_TERM_SLOTS]
    for slot in LIST_TERM_SLOTS:
        terms += tracker.get_slot(slot) or []
    return list(dict.fromkeys(term for term in terms if term))


class ActionAssessCramps(Action):
    """Triage first; if nothing urgent, likely causes, relief and prevention."""

    def name(self) -> str:
        return "action_assess_cramps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        terms = known_terms(tracker)
        with Session(shared_engine()) as session:
            result = queries.triage(session, terms)
            if result.level in replies.EMERGENCY_LEVELS:
                # No self-care advice here: rubbing a calf with a possible clot is unsafe.
                dispatcher.utter_message(text=replies.triage_reply(result),
                                         json_message={"triage_level": result.level})
            else:
                pattern = queries.terms_by_id(session, terms).values()
                causes = queries.rank_causes(session, terms)
                relief = queries.advice_for(session, "relief", terms, limit=3)
                prevention = queries.advice_for(session, "prevention", terms, limit=3)
                summary = queries.describe_context(pattern)
                dispatcher.utter_message(text=replies.causes_reply(causes, summary))
                dispatcher.utter_message(text=replies.steps_reply("During a cramp:", relief))
                dispatcher.utter_message(text=replies.steps_reply("To prevent the next one:", prevention))
                closing = (replies.see_doctor_reply(result) if result.level == "see_doctor"
                           else result.action)
                dispatcher.utter_message(text=closing, json_message={"triage_level": result.level})
        return [SlotSet("red_flags", result.findings), SlotSet("triage_level", result.level)]
