"""Fixtures for the async tests: where the PostgreSQL tests connect, a schema per module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from async_helpers import DEFAULT_URL, ENV, postgres_url


@pytest.fixture(scope="module")
def pg_url() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL tests are off; enable them with {ENV}={DEFAULT_URL}")
    return url


@pytest.fixture(scope="module")
def pg_schema(pg_url: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one test module, dropped afterwards."""
    sa = pytest.importorskip("sqlalchemy")
    name = f"cf_async_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()
