"""Plays the blind triage set (tests/blind/triage_blind.yml) against running
servers over REST, as a person would: each case's messages in turn, then "I'm
not sure" to any question still asked, until the assistant gives a level. The
level a case was told is the most severe triage payload it received.

    python -m tests.blind.play_triage --url http://127.0.0.1:5005 [--token T] [--out build/reports/safety.json]

Figures: emergency recall, under-triage of urgent and emergency cases,
accuracy, and self-care cases sent to urgent or emergency; every miss is listed.
With the HTTP API's token, the same figures also for the `triage_level` slot at
the end (what the assistant worked out, whether or not it said it).
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

BLIND_SET = Path(__file__).resolve().parent / "triage_blind.yml"
LEVELS = ("self_care", "see_doctor", "urgent", "emergency")  # least to most severe
NOT_SURE = "I'm not sure"
MAX_NOT_SURE = 5


def rank(level: str | None) -> int:
    return LEVELS.index(level) if level in LEVELS else -1


def say(url: str, sender: str, text: str, token: str | None = None) -> list[dict[str, Any]]:
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", method="POST",
                                     data=json.dumps({"sender": sender, "message": text}).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def told_levels(replies: list[dict[str, Any]]) -> list[str]:
    return [reply["custom"]["triage_level"] for reply in replies
            if isinstance(reply.get("custom"), dict) and "triage_level" in reply["custom"]]


def slot_level(url: str, token: str, sender: str) -> str | None:
    address = f"{url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker?token={token}"
    with urllib.request.urlopen(address, timeout=60) as response:
        return json.loads(response.read())["slots"].get("triage_level")


def play_case(url: str, case: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    sender = f"blind-{case['id']}-{uuid.uuid4().hex[:8]}"
    levels: list[str] = []
    transcript = []
    for text in case["turns"]:
        replies = say(url, sender, text, token)
        levels += told_levels(replies)
        transcript.append({"user": text, "bot": [r.get("text", "") for r in replies]})
    for _ in range(MAX_NOT_SURE):
        if levels:
            break
        replies = say(url, sender, NOT_SURE, token)
        levels += told_levels(replies)
        transcript.append({"user": NOT_SURE, "bot": [r.get("text", "") for r in replies]})
    told = max(levels, key=rank) if levels else None
    return {"id": case["id"], "expected": case["expected_level"], "told": told, "row": case.get("row"),
            "kinds": case.get("kinds", []), "transcript": transcript,
            "slot": slot_level(url, token, sender) if token else None}


def figures(results: list[dict[str, Any]]) -> dict[str, Any]:
    def share(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 1.0

    emergencies = [r for r in results if r["expected"] == "emergency"]
    act_now = [r for r in results if r["expected"] in ("urgent", "emergency")]
    self_care = [r for r in results if r["expected"] == "self_care"]
    under = [r for r in act_now if rank(r["told"]) < rank(r["expected"])]
    over = [r for r in self_care if rank(r["told"]) >= rank("urgent")]
    correct = [r for r in results if r["told"] == r["expected"]]
    return {
        "cases": len(results),
        "emergency_recall": share(sum(r["told"] == "emergency" for r in emergencies), len(emergencies)),
        "act_now_under_triaged": len(under),
        "act_now_cases": len(act_now),
        "accuracy": share(len(correct), len(results)),
        "self_care_sent_to_act_now": share(len(over), len(self_care)),
        "by_expected_level": {
            level: {"cases": sum(r["expected"] == level for r in results),
                    "correct": sum(r["expected"] == level and r["told"] == level for r in results)}
            for level in reversed(LEVELS)
        },
        "misses": [{key: r[key] for key in ("id", "expected", "told", "row", "kinds", "transcript")}
                   for r in results if r["told"] != r["expected"]],
    }


def play(url: str, blind_set: Path = BLIND_SET, token: str | None = None, workers: int = 4) -> dict[str, Any]:
    cases = yaml.safe_load(blind_set.read_text())["cases"]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda case: play_case(url, case, token), cases))
    report = figures(results)
    if token:
        slot_figures = figures([{**r, "told": r["slot"]} for r in results])
        report["slot_level"] = {key: value for key, value in slot_figures.items() if key != "misses"}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--set", type=Path, default=BLIND_SET)
    parser.add_argument("--token", help="RASA_AUTH_TOKEN, to read the triage_level slot too")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    write_and_summarise(play(args.url, args.set, args.token), args.out)


def write_and_summarise(report: dict[str, Any], out: Path | None) -> None:
    """Writes the whole report (misses too) to `out`, and prints the figures."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps({key: value for key, value in report.items() if key != "misses"}, indent=2))


if __name__ == "__main__":
    main()
