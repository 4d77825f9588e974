"""Multi-turn conversations through the running Rasa server and action server,
over the REST channel, with the contract slots read back through the tracker API."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.e2e.conftest import Conversation, text_of, triage_payloads


def test_the_first_reply_says_once_that_it_is_not_a_clinician(chat: Conversation) -> None:
    first = text_of(chat.say("hi"))
    assert "I'm not a doctor or nurse" in first
    assert "Tell me about your leg cramps" in first
    assert "not a doctor" not in text_of(chat.say("hello again"))


def test_only_missing_questions_are_asked_then_the_answer_comes(chat: Conversation) -> None:
    # The warning-sign screen first, then only what is still missing.
    assert text_of(chat.say("my calves seize up at night")).endswith("given birth in the last six weeks?")
    assert text_of(chat.say("none of these")).endswith("How often do you get them?")
    replies = chat.say("every night")
    text = text_of(replies)
    assert "From what you told me (cramps at night in the calf, “every night”)" in text
    assert "1. Ordinary night cramps with no single cause" in text
    assert "pull your foot and toes up towards you" in text
    assert "See a doctor soon" in text
    assert triage_payloads(replies) == [{"triage_level": "see_doctor"}]
    slots = chat.slots()
    assert (slots["cramp_location"], slots["cramp_timing"], slots["triage_level"]) == ("calf", "night", "see_doctor")
    assert slots["red_flags"] == ["frequent"]


def test_a_red_flag_inside_the_questions_stops_them_with_call_911(chat: Conversation) -> None:
    chat.say("I get cramps in my calf")
    replies = chat.say("at night, and now I'm short of breath")
    text = text_of(replies)
    assert text.startswith("⚠️ Call 911 now")
    assert "How often" not in text and "safety question" not in text
    assert {"triage_level": "emergency", "banner": "Call 911 now", "call_number": "911"} in triage_payloads(replies)
    slots = chat.slots()
    assert slots["triage_level"] == "emergency" and slots["red_flags"] == ["breathlessness"]


def test_a_swollen_red_calf_is_urgent_at_once(chat: Conversation) -> None:
    replies = chat.say("my calf is swollen and red")
    text = text_of(replies)
    assert text.startswith("Get seen today")
    assert "deep vein thrombosis" in text and "don't rub, massage or heat the leg" in text
    assert "During a cramp" not in text and "Let's ease it" not in text
    assert {"triage_level": "urgent", "banner": "Get seen today"} in triage_payloads(replies)
    slots = chat.slots()
    assert slots["triage_level"] == "urgent"
    assert sorted(slots["red_flags"]) == ["leg_swelling", "redness"]


def test_denied_findings_never_count(chat: Conversation) -> None:
    replies = chat.say("no swelling or redness, just cramps in my calf at night")
    assert triage_payloads(replies) == []
    assert "one safety question" in text_of(replies)  # denying two signs is not denying them all
    slots = chat.slots()
    assert not slots["findings"] and slots["red_flags"] == []
    assert sorted(slots["denied_findings"]) == ["leg_swelling", "redness"]
    assert slots["triage_level"] is None  # no level told yet


def test_a_correction_replaces_the_old_value(chat: Conversation) -> None:
    chat.say("my thigh cramps at night")
    chat.say("actually it's my calf")
    assert chat.slots()["cramp_location"] == "calf"


def test_a_cramp_right_now_gets_relief_before_questions(chat: Conversation) -> None:
    text = text_of(chat.say("i have a cramp right now in my calf"))
    assert text.index("Let's ease it first") < text.index("one safety question")
    assert "Straighten your leg and pull your foot and toes up towards you" in text


def last_text(replies: list[dict[str, Any]]) -> str:
    return [r["text"] for r in replies if "text" in r][-1]


def test_a_question_is_answered_from_the_knowledge_base(chat: Conversation) -> None:
    replies = chat.say("should I take quinine for my cramps?")
    assert "I'm not a doctor or nurse" in replies[0]["text"]  # said once, first
    assert last_text(replies).startswith("Quinine is no longer recommended for leg cramps.")


def test_booking_gives_the_configured_clinic_details(chat: Conversation) -> None:
    assert "555-0123" in text_of(chat.say("can I book an appointment?"))


def test_are_you_a_bot_is_answered_honestly(chat: Conversation) -> None:
    assert last_text(chat.say("are you a bot?")).startswith("Yes, I'm a computer program, not a person")


def test_out_of_scope_says_what_it_can_help_with(chat: Conversation) -> None:
    assert "I can only help with leg cramps" in text_of(chat.say("what's the weather like tomorrow?"))


def test_another_language_gets_english_only(chat: Conversation) -> None:
    assert "English" in text_of(chat.say("hola, me duelen mucho las piernas"))


def test_the_http_api_requires_the_token(chat: Conversation) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{chat.server.url}/conversations/{chat.sender}/tracker", timeout=30)
    assert refused.value.code == 401


def test_a_warning_sign_in_a_message_that_falls_back_keeps_its_level(chat: Conversation) -> None:
    # Read as `deny`, this message has no rule to follow; the fallback must not undo the level it told.
    replies = chat.say("squash game, something snapped at my heel, can't walk properly now")
    assert triage_payloads(replies)[0]["triage_level"] == "urgent"
    slots = chat.slots()
    assert slots["triage_level"] == "urgent" and "calf_tear_signs" in slots["red_flags"]


def test_triage_level_stays_unset_until_a_level_is_told(chat: Conversation) -> None:
    chat.say("how long does a cramp usually last?")
    assert chat.slots()["triage_level"] is None
    chat.say("my calves cramp at night")
    assert chat.slots()["triage_level"] is None
    chat.say("none of these")
    replies = chat.say("about twice a month")
    assert chat.slots()["triage_level"] == triage_payloads(replies)[-1]["triage_level"] == "self_care"


def test_not_understood_twice_offers_to_skip_then_the_question_is_skipped(chat: Conversation) -> None:
    chat.say("my calves cramp at night")
    first = chat.say("jjjjjjj")
    assert text_of(first).startswith("Sorry, I didn't quite understand that.")
    assert first[-1]["text"].startswith("First, one safety question") and first[-1]["buttons"]
    second = chat.say("???")
    assert "skip this question, or call the test clinic on 555-0123" in text_of(second)
    assert "didn't quite understand" not in text_of(second)  # never the same fallback twice in a row
    assert {"title": "Skip this question", "payload": "skip this question"} in second[0]["buttons"]
    assert second[-1]["text"].startswith("First, one safety question")
    skipped = chat.say("skip this question")
    assert text_of(skipped).endswith("How often do you get them?")
    assert chat.slots()["warning_screen"] == "unsure"  # skipped is never "none"


def test_a_red_flag_in_a_message_below_the_nlu_threshold_is_never_lost(chat: Conversation) -> None:
    chat.say("my calf cramps at night")
    replies = chat.say("hmm zzq dunno calf swolen n red qq")
    assert triage_payloads(replies)[0]["triage_level"] == "urgent"
    for gibberish in ("jjjjjjj", "???", "fjfjfj"):
        chat.say(gibberish)
        slots = chat.slots()
        assert slots["triage_level"] == "urgent"
        assert {"leg_swelling", "redness"} <= set(slots["red_flags"])


def test_corrections_replace_any_answer_in_and_after_the_questions(chat: Conversation) -> None:
    chat.say("my calves cramp in bed")
    chat.say("no wait, not my calf, my thigh")
    assert chat.slots()["cramp_location"] == "thigh"
    chat.say("none of these")
    chat.say("now and again")
    chat.say("sorry, I meant at the gym, not in bed")
    slots = chat.slots()
    assert (slots["cramp_location"], slots["cramp_timing"]) == ("thigh", "exercise")
    replies = chat.say("actually it's more like every other week")
    assert "“every other week”" in text_of(replies)
    assert chat.slots()["cramp_frequency"] == "occasional"


def test_a_level_told_is_never_lowered_by_a_correction(chat: Conversation) -> None:
    chat.say("my calves cramp at night")
    chat.say("none of these")
    assert triage_payloads(chat.say("every single night"))[-1]["triage_level"] == "see_doctor"
    replies = chat.say("actually it's more like once a month")
    assert triage_payloads(replies)[-1]["triage_level"] == "see_doctor"
    assert chat.slots()["triage_level"] == "see_doctor"


def test_sport_and_work_said_in_everyday_words_answer_when(chat: Conversation) -> None:
    chat.say("my hammies lock up in the second half of basketball games")
    slots = chat.slots()
    assert (slots["cramp_location"], slots["cramp_timing"]) == ("hamstring", "exercise")
    chat.say("no, nothing like that")
    text = text_of(chat.say("three or four times a month"))
    assert "“three or four times a month”" in text
