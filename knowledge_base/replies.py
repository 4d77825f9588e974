"""How knowledge-base answers are put together for a chat window (short,
phone-sized), from the knowledge base's results and the sentences in
data/knowledge/wording.yml. Both servers use it: the action server for its
answers, the Rasa server for the red-flag reply it sends when the action
server fails."""

from __future__ import annotations

from typing import Any

from knowledge_base.queries import AdviceStep, RankedCause, Safeguards, TriageResult
from knowledge_base.wording import wording
from runtime.settings import Clinic

# Levels that are told at once, whatever else is going on, and stop the questions.
ACT_NOW_LEVELS = ("emergency", "urgent")


def clinic_values(clinic: Clinic) -> dict[str, str]:
    """The clinic's placeholders in wording.yml."""
    return {"clinic_name": clinic.name, "clinic_phone": clinic.phone, "booking_url": clinic.booking_url}


def disclaimer() -> str:
    return wording().say("disclaimer")


def triage_reply(result: TriageResult, words: list[str] | None = None) -> str:
    """The reply for a red flag: the action first, what not to do, then why:
    the most serious possible cause, the signs in the person's own `words`
    (the level's `you_said`), and each reason."""
    top = result.red_flags[0]
    opening = f"{wording().say('emergency_mark')} {result.action}" if result.level == "emergency" else result.action
    if result.do_not:
        opening = f"{opening} {result.do_not}"
    reasons = " ".join(flag.advice for flag in result.red_flags if flag.level == result.level)
    said = f" {you_said(result.you_said, words)}" if result.you_said and words else ""
    return f"{opening}\n\n{wording().say('warning_sign_why', cause=top.possible_cause)}{said} {reasons}"


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


def banner_line(payload: dict[str, Any]) -> str | None:
    """The triage banner as one line of text, for channels that show text only."""
    banner = payload.get("banner")
    if not banner:
        return None
    mark = "emergency_banner_mark" if payload.get("triage_level") == "emergency" else "urgent_banner_mark"
    return f"{wording().say(mark)} {banner.upper()}"


def causes_reply(causes: list[RankedCause], summary: str) -> str:
    if not causes:
        return wording().say("no_cause_matched")
    lines = [wording().say("causes_from_summary", summary=summary) if summary
             else wording().say("causes_in_general")]
    for number, cause in enumerate(causes, start=1):
        why = f": {cause.reason}" if cause.reason else ""
        lines.append(f"{number}. {cause.name}{why}")
    lines.append(causes[0].explanation)
    return "\n".join(lines)


def steps_reply(kind: str, steps: list[AdviceStep]) -> str:
    """The steps of one kind of advice (relief, prevention) under their heading."""
    return "\n".join([wording().say(f"{kind}_heading")] + [f"• {step.text}" for step in steps])


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
    return wording().say("booking", **clinic_values(clinic))


def after_act_now_reply(result: TriageResult, clinic: Clinic) -> str:
    """Said when the questions end because of an urgent or emergency result told earlier."""
    if result.level == "emergency":
        return wording().say("questions_stopped_emergency", action=result.action, **clinic_values(clinic))
    if result.red_flags and result.red_flags[0].route:  # the row's own route (the maternity unit), not the clinic
        return wording().say("questions_stopped_urgent_route", action=result.action, do_not=result.do_not or "",
                             safety_net=result.safety_net or "", **clinic_values(clinic)).strip()
    return wording().say("questions_stopped_urgent", do_not=result.do_not or "", safety_net=result.safety_net or "",
                         **clinic_values(clinic)).strip()


def relief_now_reply(steps: list[AdviceStep], guard: Safeguards) -> str:
    """Relief for a cramp happening now; after a red flag, only what to do and not to do."""
    if guard.triage.level in ACT_NOW_LEVELS:
        return "\n".join([*guard.warnings, guard.triage.action])
    return "\n".join([*guard.warnings, wording().say("relief_now_lead"), *(f"• {step.text}" for step in steps),
                      wording().say("relief_now_close")])


def apology(clinic: Clinic, safety_net: str | None) -> str:
    """The apology when part of the service failed, with the self-care level's
    safety net (when to get help, and how fast)."""
    text = wording().say("apology", **clinic_values(clinic))
    return f"{text} {safety_net}" if safety_net else text
