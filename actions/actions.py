"""The assistant's custom actions: read slots, ask the knowledge base, reply."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions import replies
from actions.clinic import clinic_from_environment
from knowledge_base import queries
from knowledge_base.db import shared_engine

# Slots holding one term id, and slots holding a list of them (with the entity
# type that fills each list).
SINGLE_TERM_SLOTS = ("cramp_timing", "cramp_location", "cramp_frequency", "cramp_duration")
LIST_SLOTS_BY_ENTITY = {
    "finding": "findings",
    "risk_factor": "risk_factors",
    "medicine_class": "medicines",
    "condition": "conditions",
}
ABSENT_ROLE = "absent"
FORM_QUESTIONS = ("cramp_location", "cramp_timing", "cramp_frequency", "warning_screen")
NOT_SURE = re.compile(r"\b(not sure|no idea|don'?t know|dunno|can'?t remember|unsure|hard to say)\b", re.I)


# rasa_sdk imports this module at start: refuse to start on a missing, empty
# or outdated knowledge base rather than fail on the first patient.
try:
    queries.require_ready()
    with Session(shared_engine()) as _session:
        queries.region_info(_session, clinic_from_environment().region)
except queries.KnowledgeBaseNotReady as not_ready:
    raise SystemExit(f"The action server cannot start: {not_ready}") from not_ready


def known_terms(slots: Mapping[str, Any]) -> list[str]:
    """Every term id the person has told us about, in slot order."""
    terms = [slots.get(slot) for slot in SINGLE_TERM_SLOTS]
    for slot in LIST_SLOTS_BY_ENTITY.values():
        terms += slots.get(slot) or []
    return list(dict.fromkeys(term for term in terms if term))


def _merged(old: list[str] | None, new: list[str]) -> list[str]:
    return list(dict.fromkeys([*(old or []), *new]))


class ActionUnderstandTurn(Action):
    """Runs after every message, before anything else is decided.

    Rasa calls the action named `action_validate_slot_mappings` on every turn,
    inside the questionnaire or not. It adds what the message says to the
    lists of findings, risk factors, medicines and conditions (a finding once
    reported is never dropped), triages everything known so far, and tells an
    emergency or an urgent result at once, before any other reply. It also
    says, once, that the assistant is not a clinician, but never in the same
    turn as an emergency, which stands alone.
    """

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        slots = dict(tracker.current_slot_values())
        entities = tracker.latest_message.get("entities") or []
        updates: dict[str, Any] = {}
        for entity_type, slot in LIST_SLOTS_BY_ENTITY.items():
            said = [e["value"] for e in entities if e.get("entity") == entity_type and not e.get("role")]
            if said:
                updates[slot] = _merged(slots.get(slot), said)
        denied = [e["value"] for e in entities if e.get("entity") == "finding" and e.get("role") == ABSENT_ROLE]
        if denied:
            updates["denied_findings"] = _merged(slots.get("denied_findings"), denied)
        # Set above exactly when this message names a warning sign or a risk factor
        # (the screening question's buttons offer both).
        said_sign = "findings" in updates or "risk_factors" in updates
        updates.update(self._form_answers(tracker, {**slots, **updates}, said_sign, bool(denied)))
        slots.update(updates)

        terms = known_terms(slots)
        told = None
        if terms:
            with Session(shared_engine()) as session:
                result = queries.triage(session, terms, clinic_from_environment().region)
                act_now = result.level in replies.ACT_NOW_LEVELS and queries.is_more_severe(
                    session, result.level, slots.get("announced_level"))
            updates["triage_level"] = result.level
            updates["red_flags"] = result.findings
            if act_now:
                dispatcher.utter_message(text=replies.triage_reply(result, _words_for(tracker, result.findings)),
                                         json_message=replies.triage_payload(result))
                updates["announced_level"] = told = result.level
        if not slots.get("disclaimer_given") and told != "emergency":
            dispatcher.utter_message(text=replies.DISCLAIMER)
            updates["disclaimer_given"] = True
        return [SlotSet(slot, value) for slot, value in updates.items() if value != tracker.get_slot(slot)]

    @staticmethod
    def _form_answers(tracker: Tracker, slots: Mapping[str, Any], said_sign: bool,
                      denied_something: bool) -> dict[str, Any]:
        """Answers to the questionnaire that entities alone don't fill.

        The screening question is answered by naming a warning sign or risk factor ("reported"),
        by denying them ("none") or by not knowing ("unsure"). A question about
        where, when or how often that the person can't answer is not asked again.
        """
        answers: dict[str, Any] = {}
        asked = tracker.get_slot("requested_slot")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        not_sure = bool(NOT_SURE.search(tracker.latest_message.get("text") or ""))
        if asked == "warning_screen":
            # "I'm not sure" is not a "no", whatever intent it was read as.
            if said_sign:
                answers["warning_screen"] = "reported"
            elif not_sure:
                answers["warning_screen"] = "unsure"
            elif intent == "deny" or denied_something:
                answers["warning_screen"] = "none"
        elif asked in FORM_QUESTIONS and not slots.get(asked) and not_sure:
            answers["unanswered"] = _merged(slots.get("unanswered"), [asked])
        return answers


def _words_for(tracker: Tracker, terms: list[str]) -> list[str]:
    """How the person put these terms, as they wrote them, in the order they
    said them (every message of the conversation; denied ones left out)."""
    words: list[str] = []
    messages = [event.get("parse_data") or {} for event in tracker.events if event.get("event") == "user"]
    for message in [*messages, tracker.latest_message]:
        text = message.get("text") or ""
        for entity in message.get("entities") or []:
            if (entity.get("value") in terms and not entity.get("role")
                    and isinstance(entity.get("start"), int) and isinstance(entity.get("end"), int)):
                quote = text[entity["start"]:entity["end"]].strip()
                if quote and quote.lower() not in (w.lower() for w in words):
                    words.append(quote)
    return words


# Entity types that describe a person's own cramps.
CRAMP_DETAILS = ("body_location", "timing", "frequency", "duration", *LIST_SLOTS_BY_ENTITY)


def _about_own_cramps(tracker: Tracker) -> bool:
    """Whether a question also told us about the person's cramps ("I get one in my
    calf every couple of weeks, what stretch helps?"), outside the questions and
    before they were ever answered or an urgent or emergency level was told."""
    said = [e for e in tracker.latest_message.get("entities") or []
            if e.get("entity") in CRAMP_DETAILS and not e.get("role")]
    assessed = any(e.get("event") == "action" and e.get("name") == "action_assess_cramps" for e in tracker.events)
    return bool(said) and not tracker.active_loop and not assessed and (
        tracker.get_slot("triage_level") not in replies.ACT_NOW_LEVELS)


class ValidateCrampForm(FormValidationAction):
    """Asks only what is still missing; an urgent or emergency result ends the questions."""

    def name(self) -> str:
        return "validate_cramp_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        # A turn that fills no form slot is rejected by Rasa's form, and the fallback
        # that follows reverts the whole turn: what the person said, and a level
        # already told, would be lost. Two such turns are answers all the same:
        # "I'm not sure" (the question is marked unanswered and skipped), and a
        # warning sign that makes the level urgent or emergency (the questions end).
        asked = tracker.get_slot("requested_slot")
        if asked and not tracker.get_slot(asked):
            unanswered = tracker.get_slot("unanswered") or []
            if asked in unanswered:
                events.append(SlotSet("unanswered", unanswered))
            elif tracker.get_slot("triage_level") in replies.ACT_NOW_LEVELS:
                events.append(SlotSet("triage_level", tracker.get_slot("triage_level")))
        return events

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot("triage_level") in replies.ACT_NOW_LEVELS:
            return []
        skipped = set(tracker.get_slot("unanswered") or [])
        slots = [slot for slot in domain_slots if slot not in skipped]
        # The warning-sign screen comes first unless the person has already named a sign.
        if "warning_screen" in slots and not tracker.get_slot("findings"):
            slots.remove("warning_screen")
            slots.insert(0, "warning_screen")
        return slots


class ActionDefaultFallback(Action):
    """Rasa's fallback (`core_fallback_action_name`), except that a turn which told
    an urgent or emergency level stands.

    Rasa's own asks the person to rephrase and reverts the turn
    (UserUtteranceReverted), undoing every slot the turn set: after "squash game,
    something snapped at my heel, can't walk properly now" (read as `deny`) the
    screen said "Get seen today" while `triage_level` and `red_flags` were gone.
    Such a turn has had its answer, so nothing more is said; any other turn is
    reverted as Rasa does, after its `utter_default`."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _level_told_this_turn(tracker) in replies.ACT_NOW_LEVELS:
            return []
        dispatcher.utter_message(response="utter_default")
        return [UserUtteranceReverted()]


def _level_told_this_turn(tracker: Tracker) -> str | None:
    """The level the latest message made the assistant tell (`announced_level` set since it)."""
    told = None
    for event in tracker.events:
        if event.get("event") == "user":
            told = None
        elif event.get("event") == "slot" and event.get("name") == "announced_level":
            told = event.get("value")
    return told


class ActionAssessCramps(Action):
    """The answer once the questions are done: causes, relief, prevention, when to get help."""

    def name(self) -> str:
        return "action_assess_cramps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        terms = known_terms(tracker.current_slot_values())
        clinic = clinic_from_environment()
        with Session(shared_engine()) as session:
            guard = queries.safeguards(session, terms, clinic.region)
            result = guard.triage
            payload = replies.triage_payload(result)
            if result.level in replies.ACT_NOW_LEVELS:
                # No self-care advice here: rubbing a calf with a possible clot is unsafe.
                dispatcher.utter_message(text=replies.after_act_now_reply(result, clinic), json_message=payload)
            else:
                summary = queries.describe_context(queries.terms_by_id(session, terms).values())
                dispatcher.utter_message(text=replies.causes_reply(queries.rank_causes(session, terms), summary))
                cautions = replies.cautions_reply(guard)
                if cautions:
                    dispatcher.utter_message(text=cautions)
                for heading, kind in (("During a cramp:", "relief"), ("To prevent the next one:", "prevention")):
                    steps = queries.advice_for(session, kind, terms, limit=3, guard=guard, region=clinic.region)
                    dispatcher.utter_message(text=replies.steps_reply(heading, steps))
                dispatcher.utter_message(text=replies.closing_reply(result),
                                         buttons=self._buttons(result.level, tracker), json_message=payload)
        return [SlotSet("red_flags", result.findings), SlotSet("triage_level", result.level)]

    @staticmethod
    def _buttons(level: str, tracker: Tracker) -> list[dict[str, str]]:
        buttons = [{"title": "More on prevention", "payload": "How can I prevent leg cramps?"},
                   {"title": "When to see a doctor", "payload": "When should I see a doctor about leg cramps?"}]
        if tracker.get_slot("medicines"):
            buttons.append({"title": "Medicines and cramps", "payload": "Can my medicines cause leg cramps?"})
        if level == "see_doctor":
            buttons.insert(0, {"title": "Book an appointment", "payload": "/book_appointment"})
        return buttons


class ActionReliefNow(Action):
    """A cramp happening right now: relief steps first, questions after."""

    def name(self) -> str:
        return "action_relief_now"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # The calf is where most cramps are; its stretch is the best guess when we don't know.
        where = tracker.get_slot("cramp_location") or "calf"
        terms = [where, *known_terms(tracker.current_slot_values())]
        region = clinic_from_environment().region
        with Session(shared_engine()) as session:
            guard = queries.safeguards(session, terms, region)
            steps = queries.advice_for(session, "relief", terms, limit=3, guard=guard, region=region)
        dispatcher.utter_message(text=replies.relief_now_reply(steps, guard))
        return []


class ActionAnswerFaq(Action):
    """Answers the FAQ topic the ResponseSelector picked, from the knowledge base."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        selected = (tracker.latest_message.get("response_selector") or {}).get("faq") or {}
        key = (selected.get("response") or {}).get("intent_response_key") or ""
        terms = known_terms(tracker.current_slot_values())
        with Session(shared_engine()) as session:
            entry = queries.faq_answer(session, key.removeprefix("faq/"), terms, clinic_from_environment().region)
        if entry is None:
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(text=entry.answer)
        if _about_own_cramps(tracker):
            # The question answered, the questions that give a level follow.
            dispatcher.utter_message(response="utter_lead_into_questions")
            return [FollowupAction("cramp_form")]
        return []


class ActionOfferBooking(Action):
    """How to book or reach a person: the clinic's details from the environment."""

    def name(self) -> str:
        return "action_offer_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=replies.booking_reply(clinic_from_environment()))
        return []
