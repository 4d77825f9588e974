"""The triage blind set without servers: each case's turns read by the
project's spaCy pipeline (the knowledge base's phrases, NegEx, qualifiers),
the terms said and not denied pooled, then triaged by the knowledge base.
That is what the `triage_level` slot works out when every question is
answered "I'm not sure"; seconds instead of minutes, for trying a mechanism.
The figures that count are the players' against `make serve`.

    python -m tests.blind.triage_offline [--set FILE] [--out build/reports/safety-offline.json]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import spacy
import yaml
from sqlalchemy.orm import Session

from cramp_nlu.pipeline import pipeline_path, terms_present
from knowledge_base import queries
from knowledge_base.db import shared_engine
from tests.blind.play_triage import BLIND_SET, figures, write_and_summarise


def triage_case(nlp: spacy.language.Language, session: Session, case: dict[str, Any]) -> dict[str, Any]:
    terms: list[str] = []
    for text in case["turns"]:
        terms += terms_present(nlp(text))
    level = queries.triage(session, sorted(set(terms)), "us").level
    return {"id": case["id"], "expected": case["expected_level"], "told": level, "row": case.get("row"),
            "kinds": case.get("kinds", []), "transcript": [{"user": text} for text in case["turns"]],
            "terms": sorted(set(terms))}


def evaluate(blind_set: Path = BLIND_SET) -> dict[str, Any]:
    cases = yaml.safe_load(blind_set.read_text())["cases"]
    nlp = spacy.load(pipeline_path())
    with Session(shared_engine()) as session:
        results = [triage_case(nlp, session, case) for case in cases]
    report = figures(results)
    terms = {r["id"]: r["terms"] for r in results}
    for miss in report["misses"]:
        miss["terms"] = terms[miss["id"]]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=BLIND_SET)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    write_and_summarise(evaluate(args.set), args.out)


if __name__ == "__main__":
    main()
