"""The assistant's custom actions: read slots, ask the knowledge base, reply."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from knowledge_base import queries, replies
from knowledge_base.db import shared_engine
from knowledge_base.loader import KnowledgeBaseError
from knowledge_base.wording import wording
from runtime.settings import settings

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
# The form's slot for the deciding questions (data/knowledge/questions.yml), the
# entity their buttons send an answer's id in, and the slot of those asked.
DECIDING_QUESTION = "deciding_question"
ANSWER_ENTITY = "deciding_answer"
ANSWERED = "answered_questions"
# How many messages in a row the assistant could not understand, and that count
# as it stood before this message (ActionDefaultFallback).
FALLBACKS_IN_A_ROW = "fallbacks_in_a_row"
FALLBACKS_BEFORE = "fallbacks_before"
NOT_SURE = re.compile(r"\b(not sure|no idea|don'?t know|dunno|idk|can'?t remember|unsure|hard to say)\b", re.I)
# "None" to the screening question in any form, however the intent classifier read it
# ("no", "she has none of those", "I've not had any of that", "not one of them");
# a sign named in the same message is read first, and "not sure" is not a "no".
DENIES_ALL = re.compile(r"^\W*(no+|nah+|nope|negative)\b(?!\s+(idea|clue))|\b(none|nothing|neither|not (one|any)|"
                        r"(haven't|have not|hasn't|has not|'ve not|'s not|never) (had|got)|(don't|doesn't|do not|"
                        r"does not) have)\b", re.I)
# Asking to go on without answering (the offer after two fallbacks has a "Skip" button).
SKIP = re.compile(r"\b(skip|next question|rather not (say|answer)|prefer not to (say|answer)|move on)\b", re.I)


# rasa_sdk imports this module at start: refuse to start on a missing, empty
# or outdated knowledge base, or unreadable wording, rather than fail on the first patient.
try:
    queries.require_ready()
    wording()
    with Session(shared_engine()) as _session:
        queries.region_info(_session, settings().clinic.region)
except (queries.KnowledgeBaseNotReady, KnowledgeBaseError) as not_ready:
    raise SystemExit(f"The action server cannot start: {not_ready}") from not_ready


def _deciding_answers(tracker: Tracker, slots: Mapping[str, Any], entities: list[dict[str, Any]],
                      named_something: bool) -> dict[str, Any]:
    """What an answer to a deciding question adds: the terms it sets (to the list of
    their kind: findings, risk factors, ...), the terms it denies (to
    denied_findings), and its question to those answered. A button sends the
    answer's id; a typed "yes" or "no" that names nothing gives the answer the
    question's `replies` name; other words are read as usual."""
    chosen = _terms([e.get("value") for e in entities if e.get("entity") == ANSWER_ENTITY])
    asked = _terms(slots.get(ANSWERED))
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    replying = tracker.get_slot("requested_slot") == DECIDING_QUESTION and asked
    if not chosen and not (replying and intent in ("affirm", "deny") and not named_something):
        return {}
    with Session(shared_engine()) as session:
        if chosen:
            answers = [queries.question_answer(session, answer) for answer in chosen]
        else:
            answers = [queries.reply_answer(session, asked[-1], str(intent))]
        meant = [answer for answer in answers if answer is not None]
        kinds = {term.id: term.kind for term in queries.terms_by_id(
            session, [term for answer in meant for term in answer.sets]).values()}
    updates: dict[str, Any] = {}
    for answer in meant:
        for term in answer.sets:
            slot = LIST_SLOTS_BY_ENTITY.get(kinds.get(term, ""))
            if slot:
                updates[slot] = _merged(updates.get(slot, slots.get(slot)), [term])
        if answer.denies:
            updates["denied_findings"] = _merged(updates.get("denied_findings", slots.get("denied_findings")),
                                                 list(answer.denies))
    answered = _merged(asked, [answer.question_id for answer in meant])
    if answered != asked:
        updates[ANSWERED] = answered
    return updates


def known_terms(slots: Mapping[str, Any]) -> list[str]:
    """Every term id the person has told us about, in slot order, and, once a
    level has been told, every one that had matched a warning-sign rule: a
    level told is never lowered, not even by a correction ("actually it's more
    like once a month")."""
    terms = [_term(slots.get(slot)) for slot in SINGLE_TERM_SLOTS]
    for slot in LIST_SLOTS_BY_ENTITY.values():
        terms += _terms(slots.get(slot))
    if slots.get("triage_level"):
        terms += _terms(slots.get("red_flags"))
    return list(dict.fromkeys(term for term in terms if term))


# A slot stored before its values were checked (turns.known_values) may hold a
# dictionary, a number or a list of them: only strings count as term ids.
def _term(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _terms(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _merged(old: Any, new: list[str]) -> list[str]:
    return list(dict.fromkeys([*_terms(old), *new]))


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
            said = _terms([e.get("value") for e in entities if e.get("entity") == entity_type and not e.get("role")])
            if said:
                updates[slot] = _merged(slots.get(slot), said)
        denied = _terms([e.get("value") for e in entities
                         if e.get("entity") == "finding" and e.get("role") == ABSENT_ROLE])
        if denied:
            updates["denied_findings"] = _merged(slots.get("denied_findings"), denied)
        # Set above exactly when this message names a warning sign or a risk factor
        # (the screening question's buttons offer both).
        said_sign = "findings" in updates or "risk_factors" in updates
        updates.update(_deciding_answers(tracker, {**slots, **updates}, entities, bool(said_sign or denied)))
        updates.update(self._form_answers(tracker, {**slots, **updates}, said_sign, bool(denied)))
        slots.update(updates)

        terms = known_terms(slots)
        told = None
        if terms:
            with Session(shared_engine()) as session:
                result = queries.triage(session, terms, settings().clinic.region)
                act_now = result.level in replies.ACT_NOW_LEVELS and queries.is_more_severe(
                    session, result.level, slots.get("announced_level"))
            updates["red_flags"] = result.findings
            if act_now:
                dispatcher.utter_message(text=replies.triage_reply(result, _words_for(tracker, result.findings)),
                                         json_message=replies.triage_payload(result))
                # `triage_level` is the level last told, set only with the payload that tells it.
                updates["announced_level"] = updates["triage_level"] = told = result.level
        updates.update(_frequency_as_said(tracker))
        # A message starts a new count of fallbacks in a row; the fallback action, if
        # one follows, counts on from the count before it (a revert undoes these two).
        updates[FALLBACKS_BEFORE] = float(slots.get(FALLBACKS_IN_A_ROW) or 0)
        updates[FALLBACKS_IN_A_ROW] = 0.0
        if not slots.get("disclaimer_given") and told != "emergency":
            dispatcher.utter_message(text=replies.disclaimer())
            updates["disclaimer_given"] = True
        return [SlotSet(slot, value) for slot, value in updates.items()
                if value != tracker.get_slot(slot) and not (value == 0 and tracker.get_slot(slot) is None)]

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
        text = tracker.latest_message.get("text") or ""
        not_sure = bool(NOT_SURE.search(text) or SKIP.search(text))
        if asked == "warning_screen":
            # "I'm not sure" is not a "no", whatever intent it was read as.
            if said_sign:
                answers["warning_screen"] = "reported"
            elif not_sure:
                answers["warning_screen"] = "unsure"
            elif intent == "deny" or denied_something or DENIES_ALL.search(text):
                answers["warning_screen"] = "none"
        elif asked in FORM_QUESTIONS and not slots.get(asked) and not_sure:
            answers["unanswered"] = _merged(slots.get("unanswered"), [asked])
        return answers


# Where a person's words for how often end, and the words around them that say nothing.
CLAUSE_END = re.compile(r"[,;.!?()]|(?<!or )\b(?:so|but|which is|and it|when|because)\b", re.I)
FILLERS = frozenset({"maybe", "like", "about", "around", "roughly", "probably", "approximately", "only", "just",
                     "um", "er", "erm", "hmm", "well", "honestly", "tbh", "lol", "i", "guess", "think", "say",
                     "i'd", "id", "it's", "its", "it", "is", "they", "happen", "happens", "come", "sorry", "meant",
                     "actually", "wait", "no", "oh", "more", "ok", "okay", "really", "so", "and", "but", "or"})
# At the end, "or so" and "or more" say something.
TRAILING_FILLERS = FILLERS - {"so", "or", "more"}
MOST_WORDS_AS_SAID = 10
SHORT_ANSWER_WORDS = 8


def _frequency_as_said(tracker: Tracker) -> dict[str, Any]:
    """How often, in the person's own words ("every other week", "3 or 4 times a
    month"), for the summary: the part of the message that says it, without
    fillers ("maybe", "like"). Set by every message that says how often, so a
    correction replaces it; a button's answer has no words of its own."""
    said = [e for e in tracker.latest_message.get("entities") or []
            if e.get("entity") == "frequency" and not e.get("role")]
    if not said:
        return {}
    text = tracker.latest_message.get("text") or ""
    # From the first way of saying how often to the last ("now and again, not often").
    starts = [e.get("start") for e in said if isinstance(e.get("start"), int)]
    ends = [e.get("end") for e in said if isinstance(e.get("end"), int)]
    if not starts or not ends or text.startswith("/"):
        return {"cramp_frequency_words": None}
    start, end = min(starts), max(ends)
    others = [e for e in tracker.latest_message.get("entities") or [] if e.get("entity") != "frequency"]
    if len(text.split()) <= SHORT_ANSWER_WORDS and not others:  # kept whole: "once a week, give or take"
        segment = text
    else:  # the clause that says it: "every shift so 4-5 days a week"
        bounds = [0, *(m.start() for m in CLAUSE_END.finditer(text)), len(text)]
        before = max(b for b in bounds if b <= start)
        after = min(b for b in bounds if b >= end)
        segment = CLAUSE_END.sub(" ", text[before:after])
    words = segment.strip(" .!?,;").split()
    while words and words[0].lower().strip(".,") in FILLERS:
        words.pop(0)
    while words and words[-1].lower().strip(".,") in TRAILING_FILLERS:
        words.pop()
    phrase = " ".join(words) if 0 < len(words) <= MOST_WORDS_AS_SAID else text[start:end].strip()
    return {"cramp_frequency_words": phrase or None}


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


# Words that make a question about someone's own cramps ("can statins cause cramps?" is not;
# "I'm on statins, can they cause my cramps?" and "my son gets them at night, why?" are).
PERSONAL = re.compile(r"\b(i|i'm|im|i've|ive|i'd|my|me|mine|myself|we|our|us|he|she|his|her|him|they|their|them|"
                      r"son|daughter|mum|mom|dad|wife|husband|partner|child|kid|baby|grandson|granddaughter)\b", re.I)
# Entity types that describe a person's own cramps.
CRAMP_DETAILS = ("body_location", "timing", "frequency", "duration", *LIST_SLOTS_BY_ENTITY)


def _about_own_cramps(tracker: Tracker) -> bool:
    """Whether a question also told us about the person's cramps ("I get one in my
    calf every couple of weeks, what stretch helps?"), outside the questions and
    before they were ever answered or an urgent or emergency level was told; the
    question must be about someone ("my", "I", "he"): "can statins cause cramps?" is not."""
    said = [e for e in tracker.latest_message.get("entities") or []
            if e.get("entity") in CRAMP_DETAILS and not e.get("role")]
    assessed = any(e.get("event") == "action" and e.get("name") == "action_assess_cramps" for e in tracker.events)
    personal = PERSONAL.search(tracker.latest_message.get("text") or "")
    return bool(said) and bool(personal) and not tracker.active_loop and not assessed and (
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
        if asked == DECIDING_QUESTION:
            # Whatever the reply, the question asked was answered (it is in answered_questions).
            events.append(SlotSet(ANSWERED, tracker.get_slot(ANSWERED) or []))
        elif asked and not tracker.get_slot(asked):
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
        # The warning-sign screen comes first unless what the person said already matched a
        # warning-sign rule (a finding on its own, "my calf tightens when I walk", does not).
        if "warning_screen" in slots and not tracker.get_slot("red_flags"):
            slots.remove("warning_screen")
            slots.insert(0, "warning_screen")
        # A deciding question due comes before all: its answer decides the row.
        if due_question(tracker) is not None:
            slots.insert(0, DECIDING_QUESTION)
        return slots


def due_question(tracker: Tracker) -> queries.DueQuestion | None:
    """The deciding question to ask next, if one is due for what the person told us."""
    slots = tracker.current_slot_values()
    with Session(shared_engine()) as session:
        due = queries.due_questions(session, known_terms(slots), _terms(slots.get("denied_findings")),
                                    _terms(slots.get(ANSWERED)), settings().clinic.region)
    return due[0] if due else None


class ActionAskDecidingQuestion(Action):
    """Asks the deciding question due, its answers as buttons, and records it as
    answered: the next message answers it, however it does, and it is never asked twice."""

    def name(self) -> str:
        return "action_ask_deciding_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return ask_due_question(dispatcher, tracker)


def ask_due_question(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The due deciding question, if any, with its answers as buttons, recorded as asked."""
    question = due_question(tracker)
    if question is None:
        return []
    buttons = [{"title": answer.title, "payload": "/inform" + json.dumps({ANSWER_ENTITY: answer.id})}
               for answer in question.answers]
    dispatcher.utter_message(text=question.text, buttons=buttons)
    return [SlotSet(ANSWERED, _merged(tracker.get_slot(ANSWERED), [question.id]))]


class ActionNotUnderstood(Action):
    """What the assistant says to a message it did not understand (`nlu_fallback`).

    - A turn that told an urgent or emergency level has had its answer: nothing
      more is said.
    - During the questions, the question is asked again with its buttons (the
      form asks it after this action): the first time after a short apology,
      the second time in a row after an offer to skip it or call the clinic; the
      third time the question is skipped, so no one is stuck.
    - Elsewhere, `utter_default`; a second one in a row offers the clinic
      instead of repeating the same words.
    """

    def name(self) -> str:
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _level_told_this_turn(tracker) in replies.ACT_NOW_LEVELS:
            return []
        return self.reply(dispatcher, tracker)

    @staticmethod
    def reply(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        in_a_row = int(tracker.get_slot(FALLBACKS_BEFORE) or 0) + 1
        events: list[EventType] = [SlotSet(FALLBACKS_IN_A_ROW, float(in_a_row))]
        clinic = settings().clinic
        asked = tracker.get_slot("requested_slot") if tracker.active_loop.get("name") else None
        if asked == DECIDING_QUESTION:
            # A deciding question is never asked twice: the form goes on to the next one.
            dispatcher.utter_message(response="utter_question_skipped")
            return [SlotSet(FALLBACKS_IN_A_ROW, 0.0)]
        if asked and in_a_row >= 3:
            dispatcher.utter_message(response="utter_question_skipped")
            # The next question starts a new count.
            return [SlotSet(FALLBACKS_IN_A_ROW, 0.0), *_skipped(tracker, asked)]
        if asked:
            response = "utter_not_understood_question" if in_a_row == 1 else "utter_offer_skip_question"
        else:
            response = "utter_default" if in_a_row % 2 else "utter_default_offer_clinic"
        dispatcher.utter_message(response=response, clinic_name=clinic.name, clinic_phone=clinic.phone)
        return events


class ActionDefaultFallback(ActionNotUnderstood):
    """Rasa's fallback (`core_fallback_action_name`: no policy knew what to do),
    worded as `action_not_understood`. During the questions the form goes on
    (asking the question again, or the next one). Elsewhere, as Rasa's own, it
    reverts the turn so the policies never see it; what the turn told (warning
    signs, a level) is set again after the revert, so a misunderstood message
    loses nothing. A turn that told an urgent or emergency level is kept whole:
    "squash game, something snapped at my heel, can't walk properly now" (read
    as `deny`)."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if _level_told_this_turn(tracker) in replies.ACT_NOW_LEVELS:
            return []
        form = tracker.active_loop.get("name")
        if not form and _answers_in(tracker.latest_message):
            # A correction no rule was written for ("no wait, it's more like every other
            # day", read as `deny`): the slots it set stand, and the answer is given again.
            return [FollowupAction("cramp_form")]
        events = self.reply(dispatcher, tracker)
        if form and tracker.get_slot("requested_slot"):
            return [*events, FollowupAction(form)]
        return [UserUtteranceReverted(), *_told_this_turn(tracker), *events]


def _answers_in(message: Mapping[str, Any]) -> bool:
    """Whether a message says where, when or how often (and does not take it back)."""
    return any(e.get("entity") in ("body_location", "timing", "frequency") and not e.get("role")
               for e in message.get("entities") or [])


def _skipped(tracker: Tracker, asked: str) -> list[EventType]:
    """The question `asked` left unanswered: not asked again (the screening one as "unsure", never "none")."""
    if asked == "warning_screen":
        return [SlotSet("warning_screen", "unsure")]
    return [SlotSet("unanswered", _merged(tracker.get_slot("unanswered"), [asked]))]


def _told_this_turn(tracker: Tracker) -> list[EventType]:
    """The slots the latest message set, to set again after a revert (the
    question pending and the fallback count aside)."""
    latest: dict[str, Any] = {}
    for event in tracker.events:
        if event.get("event") == "user":
            latest = {}
        elif event.get("event") == "slot" and event.get("name") not in (
                "requested_slot", FALLBACKS_IN_A_ROW, FALLBACKS_BEFORE):
            latest[event["name"]] = event.get("value")
    return [SlotSet(name, value) for name, value in latest.items()]


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
        clinic = settings().clinic
        with Session(shared_engine()) as session:
            guard = queries.safeguards(session, terms, clinic.region)
            result = guard.triage
            payload = replies.triage_payload(result)
            if result.level in replies.ACT_NOW_LEVELS:
                # No self-care advice here: rubbing a calf with a possible clot is unsafe.
                dispatcher.utter_message(text=replies.after_act_now_reply(result, clinic), json_message=payload)
                # A more severe row that extends this one is asked about last (an escalation:
                # a red, hot leg, then the signs of sepsis); "yes" is told at once next turn.
                asked = ask_due_question(dispatcher, tracker)
            else:
                summary = queries.describe_context(queries.terms_by_id(session, terms).values(),
                                                   {"frequency": tracker.get_slot("cramp_frequency_words")})
                dispatcher.utter_message(text=replies.causes_reply(queries.rank_causes(session, terms), summary))
                cautions = replies.cautions_reply(guard)
                if cautions:
                    dispatcher.utter_message(text=cautions)
                for kind in ("relief", "prevention"):
                    steps = queries.advice_for(session, kind, terms, limit=3, guard=guard, region=clinic.region)
                    dispatcher.utter_message(text=replies.steps_reply(kind, steps))
                dispatcher.utter_message(text=replies.closing_reply(result),
                                         buttons=self._buttons(result.level, tracker), json_message=payload)
                asked = []
        return [*asked, SlotSet("red_flags", result.findings), SlotSet("triage_level", result.level)]

    @staticmethod
    def _buttons(level: str, tracker: Tracker) -> list[dict[str, str]]:
        say = wording().say
        buttons = [{"title": say("button_prevention"), "payload": "How can I prevent leg cramps?"},
                   {"title": say("button_see_doctor"), "payload": "When should I see a doctor about leg cramps?"}]
        if tracker.get_slot("medicines"):
            buttons.append({"title": say("button_medicines"), "payload": "Can my medicines cause leg cramps?"})
        if level == "see_doctor":
            buttons.insert(0, {"title": say("button_book"), "payload": "/book_appointment"})
        return buttons


class ActionReliefNow(Action):
    """A cramp happening right now: relief steps first, questions after."""

    def name(self) -> str:
        return "action_relief_now"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        # The calf is where most cramps are; its stretch is the best guess when we don't know.
        where = _term(tracker.get_slot("cramp_location")) or "calf"
        terms = [where, *known_terms(tracker.current_slot_values())]
        region = settings().clinic.region
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
            entry = queries.faq_answer(session, key.removeprefix("faq/"), terms, settings().clinic.region)
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
        dispatcher.utter_message(text=replies.booking_reply(settings().clinic))
        return []
