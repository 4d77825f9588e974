"""How knowledge-base answers are worded for a chat window (short, phone-sized)."""

from __future__ import annotations

from actions.clinic import Clinic
from knowledge_base.queries import AdviceStep, RankedCause, TriageResult

# Levels that are told at once, whatever else is going on, and stop the questions.
ACT_NOW_LEVELS = ("emergency", "urgent")

DISCLAIMER = (
    "I'm the clinic's leg-cramp assistant. I'm not a doctor or nurse and I can't examine you, "
    "but I can help you work out what may be behind your cramps, what to do about them, and when to get help."
)


def triage_reply(result: TriageResult) -> str:
    """The reply for a red flag: the action first, then why."""
    top = result.red_flags[0]
    opening = f"⚠️ {result.action}" if result.level == "emergency" else result.action
    reasons = " ".join(flag.advice for flag in result.red_flags if flag.level == result.level)
    return f"{opening}\n\nWhy: this could be {top.possible_cause}. {reasons}"


def triage_payload(result: TriageResult) -> dict[str, str]:
    """The custom payload channels render: the level, and for levels to act on
    now the banner text and the number to call (see README, "Public conversation contract")."""
    payload = {"triage_level": result.level}
    if result.banner:
        payload["banner"] = result.banner
    if result.call_number:
        payload["call_number"] = result.call_number
    return payload


def causes_reply(causes: list[RankedCause], summary: str) -> str:
    if not causes:
        return "I couldn't match a likely cause yet."
    lines = [f"From what you told me ({summary}), the most likely causes are:" if summary
             else "The most common causes of leg cramps are:"]
    for number, cause in enumerate(causes, start=1):
        why = f": {cause.reason}" if cause.reason else ""
        lines.append(f"{number}. {cause.name}{why}")
    lines.append(causes[0].explanation)
    return "\n".join(lines)


def steps_reply(heading: str, steps: list[AdviceStep]) -> str:
    return "\n".join([heading] + [f"• {step.text}" for step in steps])


def see_doctor_reply(result: TriageResult) -> str:
    reasons = " ".join(flag.advice for flag in result.red_flags)
    return f"{result.label}: {result.action} {reasons}"


def booking_reply(clinic: Clinic) -> str:
    return (f"You can call {clinic.name} on {clinic.phone}, or book online at {clinic.booking_url}. "
            "The team there can talk it through with you.")


def after_emergency_reply() -> str:
    return ("I've stopped my questions so you can get help now. If you can't call yourself, "
            "ask someone near you to call 911 for you.")


def after_urgent_reply(clinic: Clinic) -> str:
    return (f"Please arrange to be seen today. You can call {clinic.name} on {clinic.phone} for a same-day "
            "appointment. If you become breathless, get chest pain, or the leg turns cold or pale, call 911.")


def relief_now_reply(steps: list[AdviceStep]) -> str:
    return "\n".join(["Let's ease it first:"] + [f"• {step.text}" for step in steps]
                     + ["It usually lets go within a few minutes. Then I'll ask a few quick questions."])
