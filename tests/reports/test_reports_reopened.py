"""Reopened cases are counted apart in the cycle-time figures (the database's, and the
command line's own figures), against cases whose hours are known by construction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import complaintflow as cf
from complaintflow.cli.report import figures
from complaintflow.reports import build_report
from complaintflow.store import SQLiteStore

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
F = cf.Finding("product_defect", "supply_chain", ("lab report",))
BOSS = cf.Actor("exec-1", cf.Tier.EXECUTIVE)


@pytest.fixture
def desk(tmp_path: Path) -> tuple[Path, list[cf.Complaint]]:
    """Four cases, each received at T0 (hours after it are exact):

    - A: resolved at the first go after 10 h, revisited;
    - B: resolved after 20 h, revisited, reopened at 30 h, resolved again at 36 h;
    - C: resolved after 5 h, reopened from resolution (no follow-up call) at 8 h, resolved
      again at 18 h;
    - D: resolved after 4 h, revisited, reopened at 6 h and not resolved again.
    """
    path = tmp_path / "desk.sqlite"
    clock = cf.FrozenClock(T0)
    store = SQLiteStore(path)
    wf = cf.Workflow(clock=clock, store=store)
    cases = {k: wf.investigate(wf.acknowledge(
        wf.receive("the lamp shade arrived cracked", customer_id=f"C-{k}", channel="app"),
        actor=BOSS), actor=BOSS, finding=F) for k in "ABCD"}

    def at(hours: float, key: str, command: str, **kwargs: object) -> None:
        clock.set(T0 + timedelta(hours=hours))
        cases[key] = wf.fire(cases[key], command, actor=BOSS, **kwargs)

    def resolve(hours: float, key: str) -> None:
        at(hours, key, "propose")
        at(hours, key, "resolve")

    resolve(4, "D")
    resolve(5, "C")
    at(6, "D", "revisit", satisfaction=5)
    at(6, "D", "reopen", reason="cracked again")
    at(8, "C", "reopen", reason="cracked again before the call")
    resolve(10, "A")
    at(11, "A", "revisit", satisfaction=5)
    resolve(18, "C")
    resolve(20, "B")
    at(21, "B", "revisit", satisfaction=2)
    at(30, "B", "reopen", reason="cracked again")
    resolve(36, "B")
    store.close()
    return path, list(cases.values())


def test_reopened_cases_are_counted_apart_in_sql(desk: tuple[Path, list[cf.Complaint]]) -> None:
    path, _ = desk
    report = build_report(path)
    assert report.cycle["closed"] == {"cases": 1, "median": 10.0, "p90": 10.0, "mean": 10.0}
    # B (36 h) and C (18 h) were resolved again; D, reopened and open, has no cycle time yet
    assert report.cycle["reopened"] == {"cases": 2, "median": 18.0, "p90": 36.0, "mean": 27.0}
    # rework: B 30 h -> 36 h, C 8 h -> 18 h
    assert report.cycle["rework"] == {"cases": 2, "median": 6.0, "p90": 10.0, "mean": 8.0}
    # every case was resolved once; B, C and D were reopened (C without a follow-up call)
    assert (report.reopened, report.revisited, report.resolved) == (3, 3, 4)
    assert report.reopen_rate == 0.75
    data = report.to_json()
    assert data["cycle"]["rework"]["median"] == 6.0 and data["resolved"] == 4
    assert data["median_cycle_hours"] == 10.0
    assert sum(report.cycle_histogram.values()) == 1


def test_the_command_lines_figures_agree(desk: tuple[Path, list[cf.Complaint]]) -> None:
    _, cases = desk
    f = figures(cases)
    assert f.cycle_hours == (10.0,)
    assert sorted(f.reopened_cycle_hours) == [18.0, 36.0]
    assert (f.reopened, f.resolved, f.reopen_rate) == (3, 4, 0.75)
