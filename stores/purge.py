"""`make purge DAYS=N`: delete the conversations whose last message is older
than N days from the tracker store (TRACKER_STORE_URL), SQLite or PostgreSQL.
Conversations hold health information; keep them no longer than needed."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class PurgeReport:
    conversations: int
    events: int


def purge_conversations(engine: Engine, days: float, now: float | None = None) -> PurgeReport:
    """Deletes, in one transaction, every conversation not active in the last `days` days."""
    if days <= 0:
        raise ValueError("DAYS must be a positive number of days")
    inspector = sa.inspect(engine)
    if not inspector.has_table("events"):
        return PurgeReport(0, 0)  # no conversation stored yet
    events = sa.Table("events", sa.MetaData(), autoload_with=engine)
    cutoff = (now if now is not None else time.time()) - days * SECONDS_PER_DAY
    stale = (sa.select(events.c.sender_id).group_by(events.c.sender_id)
             .having(sa.func.max(events.c.timestamp) < cutoff))
    with engine.begin() as connection:
        conversations = len(connection.execute(stale).all())
        deleted = connection.execute(sa.delete(events).where(events.c.sender_id.in_(stale.scalar_subquery())))
    return PurgeReport(conversations, deleted.rowcount)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stores.purge", description=__doc__)
    parser.add_argument("--days", required=True, help="delete conversations with no message in this many days")
    args = parser.parse_args(argv)
    url = os.environ.get("TRACKER_STORE_URL")
    if not url:
        print("TRACKER_STORE_URL is not set (make purge sets it to the patients' store).", file=sys.stderr)
        return 2
    try:
        days = float(args.days)
        engine = sa.create_engine(url)
        report = purge_conversations(engine, days)
    except (ValueError, sa.exc.SQLAlchemyError) as error:
        print(f"purge failed: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"deleted {report.conversations} conversations ({report.events} events) with no message in the last "
          f"{args.days} days from {engine.url!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
