"""Where the knowledge base lives: the database URL and sessions."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from runtime.settings import settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = PROJECT_ROOT / "data" / "knowledge"
DEFAULT_DATABASE_PATH = PROJECT_ROOT / "build" / "knowledge_base.sqlite3"


def database_url() -> str:
    """The knowledge base's URL: `KB_DATABASE_URL`, or a SQLite file in build/."""
    return settings().kb_database_url or f"sqlite:///{DEFAULT_DATABASE_PATH}"


def make_engine(url: str | None = None) -> Engine:
    """A new engine for `url` (default: `database_url()`)."""
    url = url or database_url()
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        # SQLite ignores foreign keys unless asked; PostgreSQL always checks them.
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def _enable_sqlite_foreign_keys(connection, _record) -> None:  # noqa: ANN001 (DB-API objects)
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def shared_engine() -> Engine:
    """The process-wide engine for the current `database_url()` (the action server's pool)."""
    return _engine_for(database_url())


@cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)
