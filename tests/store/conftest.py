"""Fixtures for the store tests: where the PostgreSQL tests connect, and a schema per module."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ENV = "COMPLAINTFLOW_TEST_POSTGRES"


def postgres_url() -> str | None:
    """The URL to test against: the env var, else the default under CI, else None (skip)."""
    url = os.environ.get(ENV)
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        return DEFAULT_URL
    return None


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
    name = f"cf_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()
