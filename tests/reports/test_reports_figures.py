"""The report's figures, computed by the database, against counts folded from the events."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from reports_helpers import independent, quiet

from complaintflow.cli import main
from complaintflow.exceptions import StoreError, ValidationError
from complaintflow.reports import Report, build_report
from complaintflow.store import SQLiteStore, SQLStore, Store

_EPOCH_KW: dict[str, Any] = {}


def _everything(store: Store) -> list[Any]:
    from datetime import UTC, datetime

    return list(store.recent(since=datetime(1970, 1, 1, tzinfo=UTC)))


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 0.01)


def check_against_events(report: Report, store: Store) -> None:
    want = independent(_everything(store))
    assert report.total == want["total"] > 0
    assert report.by_state == dict(want["by_state"])
    assert report.by_category == dict(want["by_category"])
    assert {k: dict(v) for k, v in report.heatmap.items()} == {
        k: dict(v) for k, v in want["heatmap"].items()}
    for stage, counts in want["sla"].items():
        assert report.sla[stage] == {"met_on_time": counts["met_on_time"],
                                     "met_late": counts["met_late"],
                                     "open_breached": counts["open_breached"],
                                     "open": counts["open"]}, stage
    assert report.escalations["events"] == want["escalation_events"]
    assert report.escalations["complaints"] == want["escalated"]
    assert (report.reopened, report.revisited) == (want["reopened"], want["revisited"])
    assert report.cycle["closed"]["cases"] == want["closed_cases"]
    assert _close(report.cycle["closed"]["median"], want["median"])  # type: ignore[arg-type]
    assert _close(report.cycle["closed"]["p90"], want["p90"])  # type: ignore[arg-type]
    assert _close(report.cycle["reopened"]["median"], want["reopened_median"])  # type: ignore[arg-type]
    assert report.cycle["reopened"]["cases"] == want["reopened_cases"]
    assert report.cycle["rework"]["cases"] == want["reopened_cases"]
    assert _close(report.cycle["rework"]["median"], want["rework_median"])  # type: ignore[arg-type]
    assert _close(report.cycle["rework"]["p90"], want["rework_p90"])  # type: ignore[arg-type]
    assert report.resolved == want["resolved"]
    assert report.compensation_total == want["spend"]
    assert sum(report.cycle_histogram.values()) == want["closed_cases"]
    assert report.satisfaction == dict(want["scores"])


def test_sqlite_figures_match_the_events(peak_db: Path) -> None:
    report = build_report(peak_db, top=1000)
    with SQLiteStore(peak_db) as store:
        check_against_events(report, store)
    assert report.lines, "the defective kettle batch grows into a line"
    assert any(line["batch"] == "K-88" for line in report.lines)


def test_postgresql_figures_match_the_events(pg_url: str) -> None:
    assert quiet("--plain", "demo", "--complaints", "150", "--seed", "3", "--db", pg_url,
                 "--fresh") == 0
    report = build_report(pg_url, top=1000)
    store = SQLStore(pg_url)
    try:
        check_against_events(report, store)
    finally:
        store.close()


def test_the_window_splits_the_complaints(peak_db: Path) -> None:
    from datetime import UTC, datetime

    middle = datetime(2026, 6, 19, 12, tzinfo=UTC)
    whole = build_report(peak_db)
    first = build_report(peak_db, until=middle)
    second = build_report(peak_db, since=middle)
    assert first.total + second.total == whole.total
    assert 0 < first.total < whole.total
    for state in whole.by_state:
        assert first.by_state.get(state, 0) + second.by_state.get(state, 0) == whole.by_state[state]


def test_top_keeps_the_largest_rows_and_sums_the_rest(peak_db: Path) -> None:
    full = build_report(peak_db, top=1000)
    short = build_report(peak_db, top=2)
    assert len(short.heatmap) == 3 and "(other)" in short.heatmap
    assert sum(sum(r.values()) for r in short.heatmap.values()) == full.total
    assert sum(sum(r.values()) for r in short.store_heatmap.values()) == full.total
    biggest = sorted(full.heatmap, key=lambda k: -sum(full.heatmap[k].values()))[:2]
    assert set(short.heatmap) - {"(other)"} == set(biggest)
    assert len(short.lines) <= 2


@pytest.mark.parametrize("top", [0, -1, 10**9, True, 2.5])
def test_bad_top_is_refused(peak_db: Path, top: Any) -> None:
    with pytest.raises(ValidationError, match="top"):
        build_report(peak_db, top=top)


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such database"):
        build_report(tmp_path / "missing.sqlite")
    with pytest.raises(StoreError, match="directory"):
        build_report(tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(StoreError, match="not an SQLite file"):
        build_report(tmp_path / "notes.txt")


def test_json_has_the_promised_keys(peak_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", str(peak_db), "--json", "--top", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("total", "by_state", "by_category", "sla", "escalations", "reopen_rate",
                "median_cycle_hours", "p90_cycle_hours", "compensation_total", "heatmap",
                "lines"):
        assert key in data, key
    report = build_report(peak_db, top=3)
    assert data["total"] == report.total
    assert data["heatmap"] == {k: dict(v) for k, v in report.heatmap.items()}
    assert {k: Decimal(v) for k, v in data["compensation_total"].items()} == dict(
        report.compensation_total)
    assert data["median_cycle_hours"] == report.cycle["closed"]["median"]
