"""Fixtures of the report tests: a simulated peak in SQLite, and a PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from reports_helpers import quiet

from pg_helpers import fresh_database


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
    with fresh_database("cf_reports") as url:
        yield url
