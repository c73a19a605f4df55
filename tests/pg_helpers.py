"""Where the PostgreSQL tests connect, and the throwaway schemas and databases they use.

The address comes from ``COMPLAINTFLOW_TEST_POSTGRES``; under CI (``CI=true``) the default
address is used and the tests must run; elsewhere a missing variable skips them with the
line that enables them. The fixtures ``pg_url`` and ``pg_schema`` (``tests/conftest.py``)
and the database-per-module fixtures of the report and command-line tests build on this.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

ENV = "COMPLAINTFLOW_TEST_POSTGRES"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str | None:
    """The URL to test against: the env var, else the default under CI, else None (skip)."""
    url = os.environ.get(ENV)
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        return DEFAULT_URL
    return None


def required_url() -> str:
    """:func:`postgres_url`, or skip the test saying how to enable it."""
    url = postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL tests are off; enable them with {ENV}={DEFAULT_URL}")
    return url


@contextmanager
def fresh_schema(url: str, prefix: str = "cf_test") -> Iterator[str]:
    """A new schema in the database at ``url``, dropped afterwards."""
    sa = pytest.importorskip("sqlalchemy")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """The URL of a new database on the test server, dropped afterwards (skips when the
    PostgreSQL tests are off)."""
    base = required_url()
    sa = pytest.importorskip("sqlalchemy")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
