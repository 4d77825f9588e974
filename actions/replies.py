"""How knowledge-base answers are worded for a chat window (short, phone-sized)."""

from __future__ import annotations

from actions.clinic import Clinic
from knowledge_base.queries import AdviceStep, RankedCause, Safeguards, TriageResult

# Levels that are told at once, whatever else is going on, and stop the questions.
ACT_NOW_LEVELS = ("emergency", "urgent")

DISCLAIMER = (
    "I'm the clinic's leg-cramp assistant. I'm not a doctor or nurse and I can't examine you, "
    "but I can help you work out what may be behind your cramps, what to do about them, and when to get help."
)


def triage_reply(result: TriageResult, words: list[str] | None = None) -> str:
    """The reply for a red flag: the action first, what not to do, then why:
    the most serious possible cause, the signs in the person's own `words`
    (the level's `you_said`), and each reason."""
    top = result.red_flags[0]
    opening = f"⚠️ {result.action}" if result.level == "emergency" else result.action
    if result.do_not:
        opening = f"{opening} {result.do_not}"
    reasons = " ".join(flag.advice for flag in result.red_flags if flag.level == result.level)
    said = f" {you_said(result.you_said, words)}" if result.you_said and words else ""
    return f"{opening}\n\nWhy: this could be {top.possible_cause}.{said} {reasons}"


def you_said(template: str, quotes: list[str]) -> str:
    """The template with the person's words: “struggling for air” and “my calf is swollen”."""
    marked = [f"“{quote}”" for quote in quotes]
    words = marked[0] if len(marked) == 1 else f"{', '.join(marked[:-1])} and {marked[-1]}"
    return template.replace("{words}", words)


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


def cautions_reply(guard: Safeguards) -> str | None:
    """What this person must know before any advice (e.g. no heat pads with neuropathy)."""
    return "\n".join(guard.warnings) or None


def closing_reply(result: TriageResult) -> str:
    """The last line of an answer: the level, why, and what would make it worth getting help."""
    if result.level == "see_doctor":
        reasons = " ".join(flag.advice for flag in result.red_flags)
        text = f"{result.label}: {result.action} {reasons}"
    else:
        text = result.action
    return f"{text} {result.safety_net}" if result.safety_net else text


def booking_reply(clinic: Clinic) -> str:
    return (f"You can call {clinic.name} on {clinic.phone}, or book online at {clinic.booking_url}. "
            "The team there can talk it through with you.")


def after_act_now_reply(result: TriageResult, clinic: Clinic) -> str:
    """Said when the questions end because of an urgent or emergency result told earlier."""
    if result.level == "emergency":
        return f"I've stopped my questions so you can get help now. {result.action}"
    return (f"Please arrange to be seen today. You can call {clinic.name} on {clinic.phone} for a same-day "
            f"appointment. {result.do_not or ''} {result.safety_net or ''}").strip()


def relief_now_reply(steps: list[AdviceStep], guard: Safeguards) -> str:
    """Relief for a cramp happening now; after a red flag, only what to do and not to do."""
    if guard.triage.level in ACT_NOW_LEVELS:
        return "\n".join([*guard.warnings, guard.triage.action])
    return "\n".join([*guard.warnings, "Let's ease it first:", *(f"• {step.text}" for step in steps),
                      "It usually lets go within a few minutes. Then I'll ask a few quick questions."])
