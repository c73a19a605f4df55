"""``demo --complaints``, ``sweep --every`` and every command against PostgreSQL and bad input."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from complaintflow.store import SQLiteStore
from pg_helpers import fresh_database

if TYPE_CHECKING:
    from cli_helpers import Ran, Run


def _dump(path: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT complaint_id, seq, name, at, actor, data FROM cf_events "
                           "ORDER BY complaint_id, seq").fetchall()
    finally:
        con.close()


def test_the_same_seed_writes_the_same_complaints(run: Run, tmp_path: Path) -> None:
    a, b, c = (tmp_path / f"{n}.sqlite" for n in "abc")
    for path, seed in ((a, "11"), (b, "11"), (c, "12")):
        result = run("--plain", "demo", "--complaints", "120", "--seed", seed, "--db", str(path))
        assert result.code == 0, result.err
    assert _dump(a) == _dump(b)
    assert _dump(a) != _dump(c)
    with SQLiteStore(a) as store:
        assert sum(store.counts("state").values()) == 120


def test_the_peak_prints_a_summary_and_refuses_to_run_twice(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "peak.sqlite"
    first = run("--plain", "demo", "--complaints", "60", "--db", str(db))
    assert first.code == 0
    assert "Outcomes" in first.out and "Summary" in first.out
    assert "complaints                   60 (" in first.out
    assert "living through the peak" in first.err  # the progress
    again = run("--plain", "demo", "--complaints", "60", "--db", str(db))
    assert again.code == 2 and again.err.count("\n") == 1 and "--fresh" in again.err
    fresh = run("--plain", "demo", "--complaints", "30", "--db", str(db), "--fresh")
    assert fresh.code == 0
    with SQLiteStore(db) as store:
        assert sum(store.counts("state").values()) == 30


def _refused(result: Ran, *words: str) -> None:
    assert result.code == 2, result
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    for word in words:
        assert word in result.err


@pytest.mark.parametrize("args", [
    ("demo", "--complaints", "0"),
    ("demo", "--complaints", "99999999999999999999999"),
    ("demo", "--complaints", "many"),
    ("demo", "--days", "100000"),
    ("demo", "--seed", "-1"),
    ("report", "--db", "x.sqlite", "--top", "0"),
    ("report", "--db", "x.sqlite", "--top", "1" + "0" * 40),
    ("sweep", "--db", "x.sqlite", "--every", "0"),
    ("sweep", "--db", "x.sqlite", "--every", "nan"),
    ("sweep", "--db", "x.sqlite", "--every", "1e308"),
    ("sweep", "--db", "x.sqlite", "--limit", "10000000000000"),
])
def test_bad_numbers_are_one_line(run: Run, args: tuple[str, ...]) -> None:
    _refused(run(*args), args[-2])


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_times_beyond_the_calendar_are_one_line(run: Run, demo_db: Path, since: str) -> None:
    _refused(run("report", "--db", str(demo_db), "--since", since), "--since", "out of range")


def test_the_calendars_ends_are_fine_windows(run: Run, demo_db: Path) -> None:
    result = run("report", "--db", str(demo_db), "--since", "0001-01-01", "--until",
                 "9999-12-31", "--json")
    assert result.code == 0
    assert json.loads(result.out)["total"] == 12


@pytest.mark.parametrize("command", ["report", "sweep", "demo"])
def test_a_fifo_or_a_directory_is_not_a_database(run: Run, tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _refused(run(command, "--db", str(fifo)), "not a regular file")  # and it never blocks
    _refused(run(command, "--db", str(tmp_path)), "directory")


def test_a_closed_pipe_is_a_quiet_success(demo_db: Path) -> None:
    for args in (["demo", "--db", str(demo_db)], ["report", "--db", str(demo_db)],
                 ["--plain", "report", "--db", str(demo_db)], ["diagram"]):
        with subprocess.Popen([sys.executable, "-m", "complaintflow", *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.readline()
            proc.stdout.close()  # the reader goes away, like `| head -1`
            assert proc.wait(timeout=60) == 0, args
            assert proc.stderr.read() == b"", args


def test_every_command_has_examples_in_its_help(run: Run) -> None:
    for command in ("demo", "report", "sweep"):
        result = run(command, "--help")
        assert result.code == 0
        assert "examples:" in result.out and f"complaintflow {command} " in result.out


def test_the_sweep_service_stops_cleanly_on_sigterm(demo_db: Path) -> None:
    with subprocess.Popen(
            [sys.executable, "-m", "complaintflow", "--plain", "sweep", "--db", str(demo_db),
             "--every", "0.2", "--worker", "w-1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()  # the first round is done
        assert first.startswith("swept at ")
        second = proc.stdout.readline()
        assert second.startswith("swept at ")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert "stopped after" in proc.stderr.read()
    with SQLiteStore(demo_db) as store:
        assert store.verify() == []


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with fresh_database("cf_cli") as url:
        yield url


def test_every_command_on_postgresql(run: Run, pg_url: str, tmp_path: Path) -> None:
    made = run("--plain", "demo", "--complaints", "80", "--seed", "2", "--db", pg_url, "--fresh")
    assert made.code == 0, made.err
    report = run("report", "--db", pg_url, "--json")
    assert report.code == 0 and json.loads(report.out)["total"] == 80
    page = tmp_path / "r.html"
    assert run("--plain", "report", "--db", pg_url, "--html", str(page)).code == 0
    assert 'id="chart-heatmap"' in page.read_text()
    swept = run("--plain", "sweep", "--db", pg_url, "--now", "2026-08-01T00:00:00+00:00",
                "--worker", "pg-1")
    assert swept.code == 0 and "swept at 2026-08-01" in swept.out
    dozen = run("--plain", "demo", "--db", pg_url, "--fresh")
    assert dozen.code == 0
    assert json.loads(run("report", "--db", pg_url, "--json").out)["total"] == 12
    bad = run("report", "--db", pg_url.rsplit("/", 1)[0] + "/no_such_db_here")
    assert bad.code == 2 and bad.err.count("\n") == 1
