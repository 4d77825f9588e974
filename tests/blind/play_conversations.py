"""Plays the blind conversation set (tests/blind/conversations_blind.yml)
against running servers over REST and checks, after every turn, what the
set expects: the public slots (read through the HTTP API, so the token is
needed), the frequency bucket, words the reply must contain, and which
question the assistant is asking.

    python -m tests.blind.play_conversations --url http://127.0.0.1:5005 --token T \
        [--out build/reports/conversations.json]

Figures: slot accuracy, frequency accuracy, content present, questions as
expected, conversations with two fallbacks in a row, and turns whose
`triage_level` slot disagrees with the last level shown; every miss is listed.
"""

from __future__ import annotations

import argparse
import json
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from tests.blind.play_triage import say, told_levels, write_and_summarise

BLIND_SET = Path(__file__).resolve().parent / "conversations_blind.yml"
FALLBACK = "didn't quite understand"
# The start of each question, as the domain words it (domain.yml), by what it asks.
QUESTIONS = {"location": "Where in your leg", "timing": "When do they usually come on",
             "frequency": "How often do you get them", "screening": "one safety question"}


def slots_of(url: str, token: str, sender: str) -> dict[str, Any]:
    address = f"{url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker?token={token}"
    with urllib.request.urlopen(address, timeout=60) as response:
        return json.loads(response.read())["slots"]


def asking(texts: list[str]) -> str | None:
    """The question the last reply asks, if it is one of the four."""
    last = texts[-1] if texts else ""
    return next((kind for kind, start in QUESTIONS.items() if start.lower() in last.lower()), None)


def play_conversation(url: str, token: str, conversation: dict[str, Any]) -> dict[str, Any]:
    sender = f"blindconv-{conversation['id']}-{uuid.uuid4().hex[:8]}"
    checks: list[dict[str, Any]] = []
    shown_level = None
    fallbacks_in_a_row = longest_fallback_run = 0
    disagreements = 0
    for number, turn in enumerate(conversation["turns"], start=1):
        replies = say(url, sender, turn["user"], token)
        texts = [reply.get("text", "") for reply in replies if reply.get("text")]
        shown_level = (told_levels(replies) or [shown_level])[-1]
        slots = slots_of(url, token, sender)
        if slots.get("triage_level") != shown_level:
            disagreements += 1
        fallbacks_in_a_row = fallbacks_in_a_row + 1 if any(FALLBACK in text for text in texts) else 0
        longest_fallback_run = max(longest_fallback_run, fallbacks_in_a_row)
        expect = turn.get("expect") or {}
        for slot, value in (expect.get("slots") or {}).items():
            checks.append({"turn": number, "kind": "slot", "what": slot, "expected": value,
                           "got": slots.get(slot), "ok": slots.get(slot) == value})
        if "frequency" in expect:
            frequency = slots.get("cramp_frequency")
            checks.append({"turn": number, "kind": "frequency", "expected": expect["frequency"],
                           "got": frequency, "ok": frequency in expect["frequency"]})
        if "reply_contains_any" in expect:
            joined = "\n".join(texts).lower()
            checks.append({"turn": number, "kind": "content", "expected": expect["reply_contains_any"],
                           "ok": any(word.lower() in joined for word in expect["reply_contains_any"])})
        if "asks" in expect:
            checks.append({"turn": number, "kind": "asks", "expected": expect["asks"], "got": asking(texts),
                           "ok": asking(texts) == expect["asks"]})
        turn_record = {"user": turn["user"], "bot": texts}
        for check in checks:
            if check["turn"] == number and not check["ok"]:
                check["exchange"] = turn_record
    return {"id": conversation["id"], "kinds": conversation.get("kinds", []), "checks": checks,
            "longest_fallback_run": longest_fallback_run, "level_disagreements": disagreements}


def figures(results: list[dict[str, Any]]) -> dict[str, Any]:
    def share(kind: str) -> dict[str, Any]:
        checks = [c for r in results for c in r["checks"] if c["kind"] == kind]
        passed = sum(c["ok"] for c in checks)
        return {"checks": len(checks), "passed": passed, "share": round(passed / len(checks), 4) if checks else 1.0}

    return {
        "conversations": len(results),
        "slot": share("slot"), "frequency": share("frequency"), "content": share("content"), "asks": share("asks"),
        "conversations_all_checks_passed": sum(all(c["ok"] for c in r["checks"]) for r in results),
        "conversations_with_two_fallbacks_in_a_row": sum(r["longest_fallback_run"] >= 2 for r in results),
        "conversations_whose_level_disagrees_with_what_was_shown": sum(r["level_disagreements"] > 0
                                                                        for r in results),
        "misses": [{"id": r["id"], "kinds": r["kinds"], "failed": [c for c in r["checks"] if not c["ok"]],
                    "longest_fallback_run": r["longest_fallback_run"]}
                   for r in results if not all(c["ok"] for c in r["checks"]) or r["longest_fallback_run"] >= 2],
    }


def play(url: str, token: str, blind_set: Path = BLIND_SET, workers: int = 4) -> dict[str, Any]:
    conversations = yaml.safe_load(blind_set.read_text())["conversations"]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda conversation: play_conversation(url, token, conversation), conversations))
    return figures(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--token", required=True, help="RASA_AUTH_TOKEN (the slots are read through the HTTP API)")
    parser.add_argument("--set", type=Path, default=BLIND_SET)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    write_and_summarise(play(args.url, args.token, args.set), args.out)


if __name__ == "__main__":
    main()
