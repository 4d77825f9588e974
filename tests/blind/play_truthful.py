"""Plays a blind set with hidden truth (tests/blind/*_blind.yml with a
`truth` per case) against running servers over REST, as a truthful patient:
each case's own messages, then an answer to every question the assistant
asks, from the case's truth. It clicks the button whose meaning is true
(truth_buttons.yml says what each button means: any of some findings, or all
of some and none of others; after a first click, the next
true one when the same list is offered again), "none of these" when none is,
and the where / when / how-often buttons from the case's answers. A question
it does not know gets "I'm not sure".

    python -m tests.blind.play_truthful --url http://127.0.0.1:5005 [--token T] \
        --set tests/blind/asking_blind.yml [--out build/reports/asking.json]

Figures, besides play_triage's (the level told by the end: the most severe
triage payload received): emergencies told before any question (of the cases
marked `plainly_emergency`), and the questions asked per case (mean and
maximum, per expected level).
"""

from __future__ import annotations

import argparse
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import mean
from typing import Any

import yaml

from tests.blind.play_triage import figures, rank, say, told_levels, write_and_summarise

MEANINGS = Path(__file__).resolve().parent / "truth_buttons.yml"
NOT_SURE = "I'm not sure"
MAX_ANSWERS = 12


def button_key(payload: str) -> str:
    """`/inform{"finding": "x"}` -> "finding: x"; `/deny` -> "/deny"; text stays text."""
    if "{" not in payload:
        return payload
    try:
        entities = json.loads(payload[payload.index("{"):])
    except ValueError:
        return payload
    return "; ".join(f"{name}: {value}" for name, value in entities.items()) if isinstance(entities, dict) else payload


class TruthfulPatient:
    def __init__(self, case: dict[str, Any], meanings: dict[str, Any]) -> None:
        truth = case["truth"]
        self.findings = set(truth.get("findings") or [])
        self.answers = {"where": set(truth.get("where") or []), "when": set(truth.get("when") or [])}
        self.how_often = str(truth.get("how_often") or "").lower()
        self.meanings = meanings
        self.clicked: set[str] = set()

    def means(self, meaning: list[str] | dict[str, list[str]]) -> bool:
        """Whether a button's meaning is true: a list, when one of its findings is;
        a mapping, when one of `any` is (if given), all of `all` are and none of `none`."""
        if isinstance(meaning, list):
            return bool(self.findings & set(meaning))
        unknown = set(meaning) - {"any", "all", "none"}
        if unknown or not set(meaning) & {"any", "all"}:
            raise ValueError(f"a button's meaning needs `any` or `all` (and maybe `none`), not {sorted(meaning)}")
        return ((not meaning.get("any") or bool(self.findings & set(meaning["any"])))
                and set(meaning.get("all") or []) <= self.findings
                and not self.findings & set(meaning.get("none") or []))

    def frequency(self) -> str:
        for bucket, says in self.meanings["how_often"].items():
            if self.findings & set(says.get("findings") or []) or any(w in self.how_often for w in says["words"]):
                return bucket
        return "occasional"

    def is_true(self, key: str) -> bool:
        if key in self.meanings["buttons"]:
            return self.means(self.meanings["buttons"][key])
        name, _, value = key.partition(": ")
        if name == "frequency":
            return value == self.frequency()
        answer = self.meanings["answer_entities"].get(name)
        return answer is not None and value in self.answers[answer]

    def answer(self, replies: list[dict[str, Any]]) -> str | None:
        """What the patient says next, or None when nothing is asked."""
        buttons = [b for reply in replies for b in reply.get("buttons") or []]
        keys = [(button_key(b["payload"]), b["payload"]) for b in buttons]
        known = [(key, payload) for key, payload in keys
                 if key in self.meanings["buttons"] or key in self.meanings["none_buttons"]
                 or key.partition(": ")[0] in {"frequency", *self.meanings["answer_entities"]}]
        if known:
            true = [(key, payload) for key, payload in known if key not in self.clicked and self.is_true(key)]
            if true:
                self.clicked.add(true[0][0])
                return str(true[0][1])
            none = [payload for key, payload in known if key in self.meanings["none_buttons"]]
            return str(none[0]) if none else NOT_SURE
        if told_levels(replies):
            return None  # the answer is given; what follows it is an offer, not a question
        text = " ".join(reply.get("text", "") for reply in replies).lower()
        for words, findings in self.meanings["questions"].items():
            if words.lower() in text:
                return "yes" if self.findings & set(findings) else "no"
        return NOT_SURE if text.rstrip().endswith("?") else None


def play_case(url: str, case: dict[str, Any], meanings: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    sender = f"truthful-{case['id']}-{uuid.uuid4().hex[:8]}"
    patient = TruthfulPatient(case, meanings)
    levels: list[str] = []
    transcript: list[dict[str, Any]] = []
    questions = 0
    told_before_question = None
    replies: list[dict[str, Any]] = []
    for text in case["turns"]:
        replies = say(url, sender, text, token)
        levels += told_levels(replies)
        transcript.append({"user": text, "bot": [r.get("text", "") for r in replies]})
    for _ in range(MAX_ANSWERS):
        reply = patient.answer(replies)
        if reply is None:
            break
        if told_before_question is None:
            told_before_question = "emergency" in levels
        questions += 1
        replies = say(url, sender, reply, token)
        levels += told_levels(replies)
        transcript.append({"user": reply, "bot": [r.get("text", "") for r in replies]})
    told = max(levels, key=rank) if levels else None
    return {"id": case["id"], "expected": case["expected_level"], "told": told, "row": case.get("row"),
            "kinds": case.get("kinds", []), "transcript": transcript, "questions": questions,
            "plainly_emergency": bool(case.get("plainly_emergency")),
            "emergency_before_question": told_before_question if told_before_question is not None
            else "emergency" in levels}


def play(url: str, blind_set: Path, token: str | None = None, workers: int = 4) -> dict[str, Any]:
    cases = yaml.safe_load(blind_set.read_text())["cases"]
    meanings = yaml.safe_load(MEANINGS.read_text())
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda case: play_case(url, case, meanings, token), cases))
    report = figures(results)
    plain = [r for r in results if r["plainly_emergency"]]
    told_at_once = sum(r["emergency_before_question"] for r in plain)
    report["plain_emergencies_told_before_any_question"] = f"{told_at_once} of {len(plain)}"
    report["questions"] = {level: {"mean": round(mean(r["questions"] for r in group), 2),
                                   "max": max(r["questions"] for r in group)}
                           for level in ("emergency", "urgent", "see_doctor", "self_care")
                           if (group := [r for r in results if r["expected"] == level])}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--set", type=Path, required=True)
    parser.add_argument("--token", help="the REST token, when the server needs one")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    write_and_summarise(play(args.url, args.set, args.token), args.out)


if __name__ == "__main__":
    main()
