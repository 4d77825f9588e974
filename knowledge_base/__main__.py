"""`python -m knowledge_base build|check|ready`: build the database from data/knowledge/, check the YAML
only, or check that the database is built and current (what the servers need to start)."""

from __future__ import annotations

import argparse
import sys

from knowledge_base.loader import KnowledgeBaseError, build_database, load_knowledge
from knowledge_base.queries import KnowledgeBaseNotReady, require_ready
from knowledge_base.wording import load_wording


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_base")
    parser.add_argument("command", choices=["build", "check", "ready"],
                        help="build: check the YAML and (re)build the database; check: only check the YAML; "
                             "ready: check the database")
    args = parser.parse_args(argv)
    try:
        if args.command == "ready":
            print(f"knowledge base ready (content {require_ready()[:12]})")
            return 0
        if args.command == "check":
            data = load_knowledge()
            load_wording()
            print(f"knowledge base OK: {sum(len(v) for v in data.__dict__.values())} entries")
            return 0
        load_wording()
        report = build_database()
    except (KnowledgeBaseError, KnowledgeBaseNotReady) as error:
        print(error, file=sys.stderr)
        return 1
    state = "built" if report.changed else "already up to date"
    summary = ", ".join(f"{count} {kind}" for kind, count in report.counts.items())
    print(f"knowledge base {state} in {report.database}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
