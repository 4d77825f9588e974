"""The actions' tests run against a real (SQLite) knowledge base built once per module."""

from __future__ import annotations

import pytest

from knowledge_base.db import KNOWLEDGE_DIR, make_engine
from knowledge_base.loader import build_database


@pytest.fixture(scope="module", autouse=True)
def knowledge_base_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'knowledge_base.sqlite3'}"
    build_database(KNOWLEDGE_DIR, make_engine(url))
    patcher = pytest.MonkeyPatch()
    patcher.setenv("KB_DATABASE_URL", url)
    yield url
    patcher.undo()
