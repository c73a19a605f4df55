"""Fixtures of the report tests: a simulated peak in SQLite, and a PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from reports_helpers import quiet

ENV = "COMPLAINTFLOW_TEST_POSTGRES"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def peak_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database holding a simulated peak of 400 complaints (seed 5)."""
    path = tmp_path_factory.mktemp("peak") / "peak.sqlite"
    assert quiet("--plain", "demo", "--complaints", "400", "--seed", "5", "--days", "5",
                 "--db", str(path)) == 0
    return path


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, dropped after the module."""
    base = os.environ.get(ENV) or (DEFAULT_URL if os.environ.get("CI", "").lower() == "true"
                                   else None)
    if base is None:
        pytest.skip(f"PostgreSQL tests are off; enable them with {ENV}={DEFAULT_URL}")
    sa = pytest.importorskip("sqlalchemy")
    name = f"cf_reports_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
