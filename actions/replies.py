"""How knowledge-base answers are worded for a chat window (short, phone-sized)."""

from __future__ import annotations

from knowledge_base.queries import AdviceStep, RankedCause, TriageResult

EMERGENCY_LEVELS = ("emergency", "urgent")


def triage_reply(result: TriageResult) -> str:
    """The reply for a red flag: the action first, then why."""
    top = result.red_flags[0]
    opening = f"⚠️ {result.action}" if result.level == "emergency" else result.action
    reasons = " ".join(flag.advice for flag in result.red_flags if flag.level == result.level)
    return f"{opening}\n\nWhy: this could be {top.possible_cause}. {reasons}"


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
