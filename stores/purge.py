"""`make purge DAYS=N`: delete every event older than N days from the
patients' conversation store (TRACKER_STORE_URL) and the staff's
(STAFF_TRACKER_STORE_URL), SQLite or PostgreSQL; also the old events of
people who wrote recently (a Slack or Telegram id never changes, so their
history would otherwise be kept for ever). Conversations hold health
information; keep them no longer than needed.

A session ends after 60 minutes without a message (domain.yml), so with N of
at least one day no conversation that is still going loses anything of its
current session."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from runtime.settings import STORE_VARIABLES, settings

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class PurgeReport:
    events: int
    conversations_removed: int


def purge_old_events(engine: Engine, days: float, now: float | None = None) -> PurgeReport:
    """Deletes, in one transaction, every event older than `days` days, whoever it belongs to."""
    if days < 1:
        raise ValueError("DAYS must be a positive number of days, at least 1")
    if not sa.inspect(engine).has_table("events"):
        return PurgeReport(0, 0)  # no conversation stored yet
    events = sa.Table("events", sa.MetaData(), autoload_with=engine)
    cutoff = (now if now is not None else time.time()) - days * SECONDS_PER_DAY
    senders = sa.select(sa.func.count(sa.distinct(events.c.sender_id)))
    with engine.begin() as connection:
        before = connection.execute(senders).scalar_one()
        deleted = connection.execute(sa.delete(events).where(events.c.timestamp < cutoff))
        after = connection.execute(senders).scalar_one()
    return PurgeReport(deleted.rowcount, before - after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stores.purge", description=__doc__)
    parser.add_argument("--days", required=True, help="delete every event older than this many days")
    args = parser.parse_args(argv)
    urls = settings().conversation_stores()
    if not urls:
        print(f"Neither {' nor '.join(STORE_VARIABLES)} is set (make purge sets both).", file=sys.stderr)
        return 2
    try:
        days = float(args.days)
        for name, url in urls:
            engine = sa.create_engine(url)
            report = purge_old_events(engine, days)
            print(f"deleted {report.events} events older than {args.days} days ({report.conversations_removed} "
                  f"conversations removed entirely) from {name} {engine.url!r}")
            engine.dispose()
    except (ValueError, sa.exc.SQLAlchemyError) as error:
        print(f"purge failed: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
