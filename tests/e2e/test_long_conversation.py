"""A long conversation keeps working (issue 13): sixty turns of questions,
answers and long messages through the real servers, then a warning sign that
is triaged together with what the person said at the start. Rasa used to send
the whole conversation with every action call; past about 20 messages that
no longer fitted the request-size limit and every turn failed."""

from __future__ import annotations

from itertools import cycle, islice

from tests.e2e.conftest import Conversation, text_of, triage_payloads

LONG_MESSAGE = ("My cramps usually start in the evening after I have been on my feet at work, and they feel like "
                "a knot that will not let go for a minute or two. ") * 12  # about 1,900 characters
MIDDLE = [
    "what causes leg cramps?", "I get cramps in my calves", "none of these", "now and then", "at night",
    "how long does a cramp last?", LONG_MESSAGE, "does magnesium help?", "should I take quinine?",
    "thanks", "how can I prevent leg cramps?",
]


def test_a_sixty_turn_conversation_keeps_working_and_counts_what_was_said_first(chat: Conversation) -> None:
    turns = ["hi", "I'm on the pill", "I had knee surgery last month",
             *islice(cycle(MIDDLE), 56), "my right calf has been tender for days"]
    assert len(turns) == 60 and max(len(turn) for turn in turns) < 2_000
    replies_by_turn = [chat.say(turn) for turn in turns]
    failed = [turn for turn, replies in zip(turns, replies_by_turn, strict=True)
              if "something went wrong" in text_of(replies) or not replies]
    assert failed == []
    last = replies_by_turn[-1]
    assert {"triage_level": "urgent", "banner": "Get seen today"} in triage_payloads(last)
    assert "even without swelling" in text_of(last)  # the clot-risk rule: lingering pain plus a risk factor
    slots = chat.slots()
    assert slots["triage_level"] == "urgent"
    assert {"lingering_leg_pain", "hormonal_medicine", "recent_surgery"} <= set(slots["red_flags"])


def listening_addresses(port: int) -> set[str]:
    """The local addresses a TCP port is listening on, from /proc/net/tcp and tcp6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_both_servers_listen_on_loopback_only(rasa_server) -> None:
    loopback = "0100007F"  # 127.0.0.1, as the kernel writes it
    assert listening_addresses(rasa_server.rasa_port) == {loopback}
    assert listening_addresses(rasa_server.action_port) == {loopback}
