"""Fixtures shared by the whole suite.

The knowledge-base tests run twice, on SQLite and on PostgreSQL (the server at
127.0.0.1:5432, database `test`, each run in a schema of its own that is
dropped afterwards). Set TEST_POSTGRES_URL to point elsewhere.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from harness import in_schema, postgres_schema
from knowledge_base.db import KNOWLEDGE_DIR, PROJECT_ROOT, make_engine
from knowledge_base.loader import build_database
from runtime.settings import settings

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


MODEL = PROJECT_ROOT / "models" / "leg-cramps.tar.gz"


@pytest.fixture(autouse=True)
def settings_read_afresh() -> Iterator[None]:
    """A server reads its settings once; a test that changes the environment
    gets them read again, from the environment it set."""
    settings.cache_clear()
    yield
    settings.cache_clear()


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make test` trained before pytest started (trained once per run)."""
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: run the suite with `make test` (or `make train` first).")
    return MODEL


def _postgres_engine() -> Iterator[Engine]:
    try:
        with postgres_schema("kb_test", POSTGRES_URL) as schema:
            engine = create_engine(in_schema(POSTGRES_URL, schema), future=True)
            try:
                yield engine
            finally:
                engine.dispose()
    except OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}")


def _engine(backend: str, directory: Path) -> Iterator[Engine]:
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{directory / 'knowledge_base.sqlite3'}")
        yield engine
        engine.dispose()
    else:
        yield from _postgres_engine()


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with nothing in it yet, on each backend."""
    yield from _engine(request.param, tmp_path)


@pytest.fixture(scope="module", params=BACKENDS)
def kb_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The knowledge base built from data/knowledge/, once per module and backend."""
    for engine in _engine(request.param, tmp_path_factory.mktemp("kb")):
        build_database(KNOWLEDGE_DIR, engine)
        yield engine


@pytest.fixture
def kb(kb_engine: Engine) -> Iterator[Session]:
    with Session(kb_engine) as session:
        yield session


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of data/knowledge/ for tests that break it."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target
