"""Bad input ends with one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaintflow.cli._common import UsageError, parse_now

if TYPE_CHECKING:
    from cli_helpers import Ran, Run


def _refused(result: Ran, *words: str) -> None:
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    for word in words:
        assert word in result.err


@pytest.mark.parametrize("command", ["report", "sweep"])
def test_a_file_that_is_not_sqlite(run: Run, tmp_path: Path, command: str) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("shopping list")
    _refused(run(command, "--db", str(path)), "not a complaintflow database")
    assert path.read_text() == "shopping list"


@pytest.mark.parametrize("command", ["report", "sweep", "demo"])
def test_an_sqlite_database_of_something_else(run: Run, tmp_path: Path, command: str) -> None:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE invoices (n INTEGER)")
    con.commit()
    con.close()
    _refused(run(command, "--db", str(path)), "not a complaintflow database", "invoices")
    con = sqlite3.connect(path)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    con.close()
    assert tables == ["invoices"]  # left untouched


@pytest.mark.parametrize("command", ["report", "sweep"])
def test_a_database_that_does_not_exist(run: Run, tmp_path: Path, command: str) -> None:
    path = tmp_path / "missing.sqlite"
    _refused(run(command, "--db", str(path)), "no such database")
    assert not path.exists()


def test_a_directory(run: Run, tmp_path: Path) -> None:
    _refused(run("report", "--db", str(tmp_path)), "directory")


@pytest.mark.parametrize("now", ["yesterday", "2026-13-01T00:00:00+00:00", "2026-06-18T09:00"])
def test_bad_now(run: Run, demo_db: Path, now: str) -> None:
    _refused(run("sweep", "--db", str(demo_db), "--now", now), "--now")


def test_bad_limit(run: Run, demo_db: Path) -> None:
    _refused(run("sweep", "--db", str(demo_db), "--limit", "0"), "--limit")


def test_bad_policies_file(run: Run, demo_db: Path, tmp_path: Path) -> None:
    policies = tmp_path / "policies.toml"
    policies.write_text("[escalation\n")
    _refused(run("sweep", "--db", str(demo_db), "--policies", str(policies)), "policies.toml")


def test_unknown_command_is_one_line_of_usage(run: Run) -> None:
    _refused(run("frobnicate"), "frobnicate", "--help")


@settings(max_examples=50)
@given(st.datetimes(timezones=st.timezones(), allow_imaginary=False))
def test_now_round_trips_any_aware_time(value: object) -> None:
    from datetime import UTC, datetime

    assert isinstance(value, datetime)
    parsed = parse_now(value.isoformat())
    # compared in UTC: Python never calls a time in a repeated (autumn) hour equal to
    # a time in another zone
    assert parsed.tzinfo is UTC
    assert parsed == value.astimezone(UTC)


@settings(max_examples=50)
@given(st.datetimes())
def test_now_without_a_zone_is_refused(value: object) -> None:
    from datetime import datetime

    assert isinstance(value, datetime)
    with pytest.raises(UsageError, match="time zone"):
        parse_now(value.isoformat())


def test_a_database_from_a_newer_complaintflow(run: Run, tmp_path: Path) -> None:
    from complaintflow.store import SQLiteStore

    path = tmp_path / "future.sqlite"
    SQLiteStore(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE cf_schema SET version = 99")
    con.commit()
    con.close()
    _refused(run("report", "--db", str(path)), "99")


def test_a_directory_that_does_not_exist(run: Run, tmp_path: Path) -> None:
    _refused(run("demo", "--db", str(tmp_path / "nowhere" / "demo.sqlite")), "does not exist")
