"""The deciding questions (data/knowledge/questions.yml), through the running
servers over REST: asked with their buttons before the final answer, the most
severe first, and after a level told when a more severe row extends it; the
answer decides the row."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Conversation, text_of, triage_payloads

URGENT = {"triage_level": "urgent", "banner": "Get seen today"}
TITLES = ["Yes: one leg, and it stays between cramps", "Only during a cramp", "Both legs", "I'm not sure"]


def buttons(replies: list[dict[str, Any]]) -> dict[str, str]:
    return {b["title"]: b["payload"] for reply in replies for b in reply.get("buttons") or []}


EMERGENCY = {"triage_level": "emergency", "banner": "Call 911 now", "call_number": "911"}
COMPARTMENT = ["Yes: the foot is numb or tingling",
               "Yes: the pain is getting worse, or the calf or shin is tight and swollen", "None of these",
               "I'm not sure"]
SEPSIS = ["Yes: very unwell, confused, breathing fast, mottled or pale skin, or little or no urine",
          "No, none of these", "I'm not sure"]


def ask_after_knee_replacement(chat: Conversation) -> dict[str, str]:
    replies = chat.say("I got back from a long-haul flight from Australia last week and my calf keeps cramping")
    assert triage_payloads(replies) == []
    assert "one leg only" in text_of(replies) and "between the cramps" in text_of(replies)
    offered = buttons(replies)
    assert list(offered) == TITLES
    assert offered["Both legs"] == '/inform{"deciding_answer": "clot_both_legs"}'
    assert chat.slots()["triage_level"] is None
    return offered


def test_yes_one_leg_and_it_stays_is_urgent_at_once(chat: Conversation) -> None:
    offered = ask_after_knee_replacement(chat)
    replies = chat.say(offered[TITLES[0]])
    assert text_of(replies).startswith("Get seen today")
    assert URGENT in triage_payloads(replies)
    assert "During a cramp" not in text_of(replies)
    slots = chat.slots()
    assert slots["triage_level"] == "urgent"
    assert "lingering_leg_pain" in slots["red_flags"] and slots["answered_questions"] == ["clot_one_leg_lingering"]


def test_after_a_leg_operation_the_more_severe_question_comes_first(chat: Conversation) -> None:
    replies = chat.say("I had a knee replacement 3 weeks ago and my calf keeps cramping")
    assert triage_payloads(replies) == [] and list(buttons(replies)) == COMPARTMENT
    replies = chat.say(buttons(replies)["None of these"])
    assert triage_payloads(replies) == [] and list(buttons(replies)) == TITLES  # then the clot question
    replies = chat.say(buttons(replies)[TITLES[0]])
    assert URGENT in triage_payloads(replies)


def test_numb_toes_in_a_cast_is_an_emergency(chat: Conversation) -> None:
    replies = chat.say("My leg has been in a cast since Friday and my calf keeps cramping")
    replies = chat.say(buttons(replies)[COMPARTMENT[0]])
    assert EMERGENCY in triage_payloads(replies) and text_of(replies).startswith("⚠️ Call 911 now")
    assert chat.slots()["triage_level"] == "emergency"


def test_a_red_hot_leg_is_told_today_then_asked_about_sepsis(chat: Conversation) -> None:
    replies = chat.say("My lower leg is red, hot and swollen since yesterday and it cramps")
    assert URGENT in triage_payloads(replies)
    assert "infection in the blood" in replies[-1].get("text", "") and list(buttons(replies)) == SEPSIS
    replies = chat.say(buttons(replies)[SEPSIS[0]])
    assert EMERGENCY in triage_payloads(replies) and text_of(replies).startswith("⚠️ Call 911 now")
    assert chat.slots()["triage_level"] == "emergency"


def test_no_sepsis_sign_keeps_the_level_told(chat: Conversation) -> None:
    replies = chat.say("My lower leg is red, hot and swollen since yesterday and it cramps")
    replies = chat.say(buttons(replies)["No, none of these"])
    assert EMERGENCY not in triage_payloads(replies)
    slots = chat.slots()
    assert slots["triage_level"] == "urgent" and "sepsis_signs" in slots["denied_findings"]


def test_both_legs_goes_on_to_the_ordinary_questions_and_ends_lower(chat: Conversation) -> None:
    offered = ask_after_knee_replacement(chat)
    replies = chat.say(offered["Both legs"])
    assert triage_payloads(replies) == []
    assert text_of(replies).endswith("given birth in the last six weeks?")  # the screening question next
    assert "one leg only" not in text_of(replies)
    chat.say("/deny")
    chat.say("at night")
    replies = chat.say("now and then")
    levels = [p["triage_level"] for p in triage_payloads(replies)]
    assert levels and levels[-1] in ("self_care", "see_doctor")
    slots = chat.slots()
    assert slots["triage_level"] == levels[-1]
    assert sorted(slots["denied_findings"]) == ["lingering_leg_pain", "one_sided_leg_pain"]


def test_only_during_a_cramp_is_not_asked_again_and_ends_lower(chat: Conversation) -> None:
    offered = ask_after_knee_replacement(chat)
    assert triage_payloads(chat.say(offered["Only during a cramp"])) == []
    texts = []
    for answer in ("/deny", "at night", "now and then"):
        replies = chat.say(answer)
        texts.append(text_of(replies))
    assert not any("one leg only" in text for text in texts)
    assert chat.slots()["triage_level"] in ("self_care", "see_doctor")


def test_pregnancy_from_the_screening_button_then_the_question(chat: Conversation) -> None:
    replies = chat.say("my calves cramp at night")
    assert "Pregnant or recently gave birth" in buttons(replies)
    replies = chat.say(buttons(replies)["Pregnant or recently gave birth"])
    assert triage_payloads(replies) == []
    offered = buttons(replies)
    assert list(offered) == TITLES
    replies = chat.say(offered[TITLES[0]])
    assert URGENT in triage_payloads(replies)
    assert chat.slots()["triage_level"] == "urgent"


def test_a_typed_answer_is_read_as_usual(chat: Conversation) -> None:
    ask_after_knee_replacement(chat)
    replies = chat.say("yes, just the left one and it aches all the time")
    assert URGENT in triage_payloads(replies)
    assert chat.slots()["triage_level"] == "urgent"
