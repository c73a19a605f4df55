"""The report's memory does not grow with the number of complaints (SQL does the counting)."""

from __future__ import annotations

import json
import sqlite3
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from complaintflow.reports import build_report
from complaintflow.store import SQLiteStore
from complaintflow.store._base import utc_text

T0 = datetime(2026, 6, 18, 1, tzinfo=UTC)


def _fill(path: Path, n: int) -> None:
    """``n`` resolved complaints written straight into the tables."""
    SQLiteStore(path).close()
    con = sqlite3.connect(path)
    offer = {"offer": {"remedy": "refund", "remedy_value": {"amount": "9.00", "currency": "CNY"},
                       "goodwill": {"amount": "1.00", "currency": "CNY"},
                       "statutory": {"amount": "0.00", "currency": "CNY"}, "extras": []}}
    with con:
        for i in range(n):
            cid = f"CF-{i:07d}"
            t = T0 + timedelta(minutes=i)
            con.execute("INSERT INTO cf_complaints (id, state, version, customer_id, channel, "
                        "received_at, store, region, category, dimension, severity, scope, tier, "
                        "is_open, updated_at) VALUES (?, 'revisited', 5, ?, 'app', ?, ?, ?, ?, "
                        "'service', 2, 'point', 'front_line', 0, ?)",
                        (cid, f"C-{i}", utc_text(t), f"S-{i % 30}", ("east", "west")[i % 2],
                         ("delivery_delay", "staff_attitude")[i % 2], utc_text(t)))
            for seq, (name, data) in enumerate((("received", {}), ("acknowledged", {}),
                                                 ("proposed", offer), ("resolved", {}),
                                                 ("revisited", {"satisfaction": 1 + i % 5})), 1):
                con.execute("INSERT INTO cf_events VALUES (?, ?, ?, 1, ?, NULL, ?)",
                            (cid, seq, name, utc_text(t + timedelta(hours=seq + i % 7)),
                             json.dumps(data)))
    con.close()


def _peak_bytes(path: Path) -> tuple[int, int]:
    build_report(path)  # imports and caches warmed up
    tracemalloc.start()
    try:
        report = build_report(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return report.total, peak


def test_memory_stays_flat_from_a_thousand_to_twenty_thousand(tmp_path: Path) -> None:
    small, big = tmp_path / "small.sqlite", tmp_path / "big.sqlite"
    _fill(small, 1_000)
    _fill(big, 20_000)
    n_small, peak_small = _peak_bytes(small)
    n_big, peak_big = _peak_bytes(big)
    assert (n_small, n_big) == (1_000, 20_000)
    # twenty times the complaints; the same rows come back from the database
    assert peak_big < 1.5 * peak_small + 64 * 1024, (peak_small, peak_big)
