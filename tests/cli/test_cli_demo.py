"""``complaintflow demo``: a dozen complaints' whole lives, deterministic and kept in SQLite."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import complaintflow as cf
from complaintflow.cli import demo as demo_module
from complaintflow.cli._common import all_complaints
from complaintflow.cli._output import INSTALL_HINT
from complaintflow.store import MemoryStore, SQLiteStore
from complaintflow.testing.invariants import check_complaint

if TYPE_CHECKING:
    from cli_helpers import Run


def _load(path: Path) -> dict[str, cf.Complaint]:
    with SQLiteStore(path) as store:
        return {c.id: c for c in all_complaints(store)}


def _without_path(text: str) -> str:
    """The demo's output with the database path it names taken out."""
    path = text.split("kept in ", 1)[1].split("\n", 1)[0]
    return text.replace(path, "DB")


def test_demo_is_deterministic(run: Run, tmp_path: Path, demo_output: str) -> None:
    again = run("--plain", "demo", "--db", str(tmp_path / "other.sqlite"))
    assert again.code == 0
    assert _without_path(again.out) == _without_path(demo_output)
    assert "[12/12]" in again.err  # progress is shown, on stderr only
    assert "[1/12]" not in again.out


def test_demo_keeps_a_dozen_lives_in_sqlite(demo_db: Path) -> None:
    stored = _load(demo_db)
    assert len(stored) == 12
    wf = cf.Workflow()
    for c in stored.values():
        assert cf.Complaint.replay(c.history) == c
        check_complaint(c, workflow=wf)
    states = [c.state for c in stored.values()]
    assert states.count(cf.State.ARCHIVED) == 10
    assert {c.state for c in stored.values() if not c.is_final} == {
        cf.State.ACKNOWLEDGED, cf.State.INVESTIGATED}
    texts = " ".join(c.text or "" for c in stored.values())
    assert "褪色" in texts and "rude" in texts  # Chinese and English complaints


def _names(c: cf.Complaint) -> list[str]:
    return [e.name for e in c.history]


def test_demo_covers_the_roads_of_the_lifecycle(demo_db: Path) -> None:
    stored = list(_load(demo_db).values())

    def one(pred: object) -> cf.Complaint:
        found = [c for c in stored if pred(c)]  # type: ignore[operator]
        assert found, "no complaint of the demo takes this road"
        return found[0]

    duplicate = one(lambda c: "merged" in _names(c))
    assert duplicate.channels == ("hotline", "wechat") and duplicate.merged_ids
    assert "withdrawn" in _names(one(lambda c: "withdrawn" in _names(c)))
    rejected = one(lambda c: "rejected" in _names(c))
    assert rejected.finding is not None and rejected.finding.cause == "fraud"
    declined = one(lambda c: c.declines > 0)
    assert [e.data["rung"] for e in declined.history if e.name == "proposed"] == [0, 1]
    assert declined.offers[0] != declined.offers[1]  # the ladder stepped up
    paused = one(lambda c: "paused" in _names(c))
    assert "resumed" in _names(paused) and paused.held > timedelta(0)
    if any("reclassified" in _names(c) for c in stored):
        assert one(lambda c: "reclassified" in _names(c)).category == "delivery_damage"
    reopened = one(lambda c: c.reopens > 0)
    assert _names(reopened).count("resolved") == 2
    breached = [c for c in stored if c.breached]
    assert breached and all("escalated" in _names(c) for c in breached)
    assert one(lambda c: c.severity == 1 and c.category == "food_safety").tier >= cf.Tier.REGIONAL_HEAD
    assert max(c.tier for c in stored) is cf.Tier.EXECUTIVE


def test_demo_prints_every_life_and_a_summary(demo_db: Path, demo_output: str) -> None:
    for c in _load(demo_db).values():
        assert f"{c.id} · {c.state.value} · owner {c.tier.label}" in demo_output
        for event in c.history:
            assert event.name in demo_output
    assert "Summary" in demo_output
    assert "compensation spend" in demo_output and "CNY" in demo_output


def test_a_second_run_shows_the_stored_demo(run: Run, demo_db: Path) -> None:
    before = _load(demo_db)
    again = run("--plain", "demo", "--db", str(demo_db))
    assert again.code == 0
    assert "already holds the demo" in again.out
    assert _load(demo_db) == before  # nothing added, nothing changed
    for cid in before:
        assert cid in again.out


def test_fresh_starts_over(run: Run, demo_db: Path, demo_output: str) -> None:
    again = run("--plain", "demo", "--db", str(demo_db), "--fresh")
    assert again.code == 0
    assert _without_path(again.out) == _without_path(demo_output)
    assert len(_load(demo_db)) == 12


def test_fresh_never_deletes_a_file_that_is_not_ours(run: Run, tmp_path: Path) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_text("not a database")
    result = run("demo", "--db", str(precious), "--fresh")
    assert result.code == 2
    assert precious.read_text() == "not a database"
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


def test_default_database_is_in_the_current_directory(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("--plain", "demo").code == 0
    assert (tmp_path / demo_module.DEFAULT_DB).exists()


def test_without_sqlite_the_demo_runs_in_memory(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_output: str
) -> None:
    monkeypatch.setattr(demo_module, "sqlite_store_class", lambda: None)
    path = tmp_path / "never.sqlite"
    result = run("--plain", "demo", "--db", str(path))
    assert result.code == 0
    assert "in memory" in result.err
    assert not path.exists()
    body = demo_output.split("\n", 1)[1].rsplit("\nkept in", 1)[0]
    assert body in result.out  # the same lives and figures


def test_the_stories_run_in_any_store() -> None:
    store = MemoryStore()
    demo = demo_module.Demo(store)
    for _title, story in demo.stories:
        story()
    assert len(store) == 12


def test_rich_output_when_installed(run: Run, tmp_path: Path) -> None:
    pytest.importorskip("rich")
    result = run("demo", "--db", str(tmp_path / "r.sqlite"))
    assert result.code == 0
    assert "┃" in result.out  # rich table borders
    assert INSTALL_HINT not in result.err


def test_plain_output_and_a_hint_without_rich(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)
    result = run("demo", "--db", str(tmp_path / "p.sqlite"))
    assert result.code == 0
    assert "┃" not in result.out and "CF-0001" in result.out
    assert INSTALL_HINT in result.err
