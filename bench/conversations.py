"""The simulated patients' scripts: complete conversations, each message
labelled with the kind of reply it gets (what the latency is reported by)."""

from __future__ import annotations

PLAIN = "plain response"  # answered from domain responses, no knowledge base
KNOWLEDGE = "knowledge-base action"  # an action that queries the knowledge base
TRIAGE = "triage"  # a red flag, triaged and told at once

Script = list[tuple[str, str]]

OURS: list[Script] = [
    [("hi", PLAIN), ("I get cramps in my calves at night", KNOWLEDGE), ("about once a week", KNOWLEDGE),
     ("none of these", KNOWLEDGE), ("thanks, bye", PLAIN)],
    [("my thigh cramps when I exercise", KNOWLEDGE), ("several times a week", KNOWLEDGE),
     ("no, none of those", KNOWLEDGE), ("how can I prevent leg cramps?", KNOWLEDGE), ("goodbye", PLAIN)],
    [("I have a cramp in my foot right now", KNOWLEDGE), ("it happens when I sit", KNOWLEDGE),
     ("now and then", KNOWLEDGE), ("my calf is swollen and I can't breathe", TRIAGE)],
    [("hello", PLAIN), ("does quinine help with cramps?", KNOWLEDGE), ("what causes leg cramps?", KNOWLEDGE),
     ("are you a bot?", PLAIN), ("bye", PLAIN)],
    [("my calf is red, warm and swollen", TRIAGE), ("thank you", PLAIN)],
]

# Rasa's starter assistant (`rasa init`): the same shape of conversation.
BASELINE: list[Script] = [
    [("hi", PLAIN), ("I am sad", PLAIN), ("yes", PLAIN), ("bye", PLAIN)],
    [("hello", PLAIN), ("great, thanks", PLAIN), ("are you a bot?", PLAIN), ("goodbye", PLAIN)],
    [("hey there", PLAIN), ("I feel very bad", PLAIN), ("no", PLAIN), ("bye", PLAIN)],
]

# One long conversation (`make bench`'s long-conversation kind): questions,
# answers and questions again, as a patient who keeps talking would.
LONG: Script = [
    ("I get cramps in my calves at night", KNOWLEDGE), ("none of these", KNOWLEDGE),
    ("about once a week", KNOWLEDGE), ("what causes leg cramps?", KNOWLEDGE),
    ("how long does a cramp last?", KNOWLEDGE), ("does magnesium help?", KNOWLEDGE),
    ("thanks", PLAIN), ("how can I prevent leg cramps?", KNOWLEDGE),
    ("should I take quinine?", KNOWLEDGE), ("my thigh cramps too", KNOWLEDGE),
]
