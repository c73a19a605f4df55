"""SQLiteStore: the conformance suite, plus opening files that are not what they should be."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.store import SCHEMA_VERSION, NotFound, SQLiteStore, _sqlite
from complaintflow.store._base import dumps, utc_text
from complaintflow.store._schema import SQLITE_MIGRATIONS, sqlite_ddl
from complaintflow.testing.stores import StoreConformance

from ._helpers import old_complaints, old_rows, receive, v1_then_latest, workflow


def _broken(*args: Any, **kw: Any) -> Any:
    raise RuntimeError("outbox broke")


class TestSQLiteStore(StoreConformance):
    @pytest.fixture(autouse=True)
    def _dir(self, tmp_path: Path) -> Iterator[None]:
        self.dir = tmp_path
        self.n = 0
        self.opened: list[SQLiteStore] = []
        yield
        for store in self.opened:  # Python 3.13 warns about connections left open
            store.close()

    def create_store(self, **kw: Any) -> SQLiteStore:
        self.n += 1
        store = SQLiteStore(self.dir / f"cf-{self.n}.db", **kw)
        self.opened.append(store)
        return store

    def break_outbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_sqlite, "outbox_event", _broken)


def test_complaints_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    with SQLiteStore(path) as store:
        wf, _ = workflow(store)
        c = wf.acknowledge(receive(wf, 1), actor="agent-7")
    with SQLiteStore(path) as again:
        assert again.get(c.id) == c
        assert again.schema_version == SCHEMA_VERSION
        assert again.verify() == []


def test_uses_the_wal_journal(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_a_corrupted_file_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(cf.StoreError, match="cf.db"):
        SQLiteStore(path)
    assert path.read_bytes().startswith(b"this is not a database")


def test_a_foreign_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(cf.StoreError, match="not a complaintflow database"):
        SQLiteStore(path)
    conn = sqlite3.connect(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert names == {"customers"}


def test_a_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE cf_schema SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(cf.SchemaVersionError, match="upgrade complaintflow"):
        SQLiteStore(path)


def test_a_missing_table_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE cf_outbox")
    conn.commit()
    conn.close()
    with pytest.raises(cf.StoreError, match="cf_outbox"):
        SQLiteStore(path)


def test_a_table_dropped_while_open_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    store = SQLiteStore(path)
    wf, _ = workflow(store)
    c = receive(wf, 1)
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE cf_outbox")
    conn.commit()
    conn.close()
    with pytest.raises(cf.StoreError, match="cf_outbox"):
        wf.acknowledge(c, actor="agent-7")
    assert store.get(c.id) == c  # the state row and the events were rolled back together
    store.close()


def test_a_closed_store_raises_store_errors(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "cf.db")
    store.close()
    with pytest.raises(cf.StoreError):
        store.get("CF-1")


def test_unreadable_place_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(cf.StoreError):
        SQLiteStore(tmp_path / "no" / "such" / "dir" / "cf.db")


def test_bad_settings_are_validation_errors(tmp_path: Path) -> None:
    with pytest.raises(cf.ValidationError, match="synchronous"):
        SQLiteStore(tmp_path / "cf.db", synchronous="SOMETIMES")
    with pytest.raises(cf.ValidationError, match="timeout"):
        SQLiteStore(tmp_path / "cf.db", timeout=-1)


def test_verify_reports_a_tampered_state_row_and_outbox(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    store = SQLiteStore(path)
    wf, _ = workflow(store)
    c = wf.acknowledge(receive(wf, 1), actor="agent-7")
    assert store.verify() == []
    conn = sqlite3.connect(path)
    conn.execute("UPDATE cf_complaints SET state = 'resolved'")
    conn.execute("DELETE FROM cf_outbox WHERE seq = 2")
    conn.commit()
    conn.close()
    problems = store.verify()
    assert f"{c.id}: the state row differs from the replay of its history" in problems
    assert f"{c.id}:2: committed but missing from the outbox" in problems
    store.close()


def test_a_history_with_a_gap_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    store = SQLiteStore(path)
    wf, _ = workflow(store)
    c = wf.investigate(wf.acknowledge(receive(wf, 1), actor="a"), actor="a",
                       finding=cf.Finding(cause="product_defect", party="store", evidence=("x",)))
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM cf_events WHERE seq = 2")
    conn.commit()
    conn.close()
    # a load reads the snapshot and the events after it; the gap before the snapshot
    # shows when the history is read (and in verify)
    loaded = SQLiteStore(path).get(c.id)
    with pytest.raises(cf.StoreError, match=c.id):
        tuple(loaded.history)
    assert any("does not replay" in p for p in store.verify())
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM cf_events WHERE seq = 3")  # the event the snapshot reflects
    conn.commit()
    conn.close()
    with pytest.raises(cf.StoreError, match=c.id):
        store.get(c.id)
    with pytest.raises(NotFound):
        store.get("CF-other")
    store.close()


def test_a_command_costs_little_beyond_its_commit(tmp_path: Path) -> None:
    """Saving appends; it does not reread the history, so a long history costs no more."""
    store = SQLiteStore(tmp_path / "cf.db", synchronous="NORMAL")
    wf, _ = workflow(store)
    c = receive(wf, 1)

    def per_save(c: cf.Complaint, n: int) -> tuple[cf.Complaint, float]:
        start = time.perf_counter()
        for i in range(n):
            c = wf.message(c, text=f"note {i}")
        return c, (time.perf_counter() - start) / n

    c, short = per_save(c, 30)
    c, _ = per_save(c, 300)
    c, long = per_save(c, 30)
    assert c.version == 361
    assert long < short * 3 + 0.002


def test_sql_store_without_the_extra_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['sqlalchemy'] = None\n"
        "import complaintflow as cf, complaintflow.store as s\n"
        "try:\n"
        "    s.SQLStore('postgresql://x/y')\n"
        "except cf.StoreError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert "pip install 'complaintflow[sql]'" in out.stdout


def test_importing_the_stores_does_not_import_sqlalchemy() -> None:
    code = "import sys, complaintflow.store; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_opening_an_older_database_migrates_it_forward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cf.db"
    with SQLiteStore(path) as store:
        wf, _ = workflow(store)
        c = receive(wf, 1)
    steps = dict(SQLITE_MIGRATIONS)
    steps[SCHEMA_VERSION + 1] = ("ALTER TABLE cf_complaints ADD COLUMN note TEXT",)
    monkeypatch.setattr(_sqlite, "SQLITE_MIGRATIONS", steps)
    monkeypatch.setattr(_sqlite, "LATEST", SCHEMA_VERSION + 1)
    with SQLiteStore(path) as newer:
        assert newer.schema_version == SCHEMA_VERSION + 1
        assert newer.get(c.id) == c
    conn = sqlite3.connect(path)
    try:
        cols = {r[1] for r in conn.execute("PRAGMA table_info(cf_complaints)")}
        version = conn.execute("SELECT version FROM cf_schema").fetchone()[0]
    finally:
        conn.close()
    assert "note" in cols
    assert version == SCHEMA_VERSION + 1
    monkeypatch.undo()
    with pytest.raises(cf.SchemaVersionError):
        SQLiteStore(path)  # and the older library now refuses it


def test_a_failing_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cf.db"
    SQLiteStore(path).close()
    steps = dict(SQLITE_MIGRATIONS)
    steps[SCHEMA_VERSION + 1] = ("ALTER TABLE cf_complaints ADD COLUMN note TEXT",
                                 "THIS IS NOT SQL")
    monkeypatch.setattr(_sqlite, "SQLITE_MIGRATIONS", steps)
    monkeypatch.setattr(_sqlite, "LATEST", SCHEMA_VERSION + 1)
    with pytest.raises(cf.StoreError):
        SQLiteStore(path)
    monkeypatch.undo()
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    try:
        assert "note" not in {r[1] for r in conn.execute("PRAGMA table_info(cf_complaints)")}
    finally:
        conn.close()


def _write_old(path: Path, version: int, complaints: list[cf.Complaint]) -> None:
    """A database of layout ``version`` holding ``complaints`` as that layout wrote them."""
    conn = sqlite3.connect(path)
    try:
        for statement in sqlite_ddl(version):
            conn.execute(statement)
        conn.execute("INSERT INTO cf_schema (id, version) VALUES (1, ?)", (version,))
        have = {r[1] for r in conn.execute("PRAGMA table_info(cf_complaints)")}
        for c in complaints:
            row, events, outbox = old_rows(c)
            cols = [k for k in row if k in have]
            conn.execute(f"INSERT INTO cf_complaints ({', '.join(cols)}) VALUES "
                         f"({', '.join('?' for _ in cols)})",
                         [_sqlite._sql_value(row[k]) for k in cols])
            conn.executemany(_sqlite._INSERT_EVENT, [
                (e["complaint_id"], e["seq"], e["name"], e["v"], utc_text(e["at"]), e["actor"],
                 dumps(e["data"])) for e in events])
            conn.executemany(_sqlite._INSERT_OUTBOX, [
                (o["event_id"], o["complaint_id"], o["seq"], dumps(o["payload"]),
                 utc_text(o["created_at"])) for o in outbox])
        conn.commit()
    finally:
        conn.close()


def test_a_version_1_database_opens_and_gains_the_outbox_claims(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"

    def open_store() -> SQLiteStore:
        store = SQLiteStore(path)
        assert store.schema_version == SCHEMA_VERSION == 3
        return store

    v1_then_latest(open_store, lambda complaints: _write_old(path, 1, complaints))
    conn = sqlite3.connect(path)
    try:
        assert "claimed_by" in {r[1] for r in conn.execute("PRAGMA table_info(cf_outbox)")}
        indexes = {r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'cf_outbox%'")}
    finally:
        conn.close()
    assert {"cf_outbox_waiting", "cf_outbox_complaint", "cf_outbox_dead"} <= indexes
    assert "cf_outbox_pending" not in indexes


def test_a_version_2_database_gains_satisfaction_and_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    old = old_complaints()
    _write_old(path, 2, old)
    with SQLiteStore(path) as store:
        rows = dict(store._conn.execute("SELECT id, satisfaction FROM cf_complaints"))
        assert rows == {c.id: c.satisfaction for c in old}
        assert [c.satisfaction for c in old] == [None, 2, None]
        names = {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master "
                                                   "WHERE type = 'index'")}
        assert {"cf_complaints_next_due", "cf_complaints_brand_window"} <= names
        assert "cf_complaints_due" not in names
        assert [store.get(c.id) for c in old] == old  # no snapshot yet: replayed
        wf, _ = workflow(store)
        after = wf.message(store.get(old[0].id), text="any news?")
        (snap_version,) = store._conn.execute(
            "SELECT snapshot_version FROM cf_complaints WHERE id = ?", (after.id,)).fetchone()
        assert snap_version == after.version
        assert store.verify() == []


def test_the_backlog_count_uses_an_index(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "cf.db") as store:
        plan = " ".join(str(r) for r in store._conn.execute(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM cf_outbox "
            "WHERE published = 0 AND dead_at IS NULL"))
    assert "cf_outbox_waiting" in plan
