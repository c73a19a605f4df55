"""Store errors come in two kinds: ``OperationalError`` (busy, locked, unreachable: try
again) and ``IntegrityError`` (the record or the layout is wrong: do not); ``retry``
retries only the first."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.exceptions import IntegrityError, OperationalError, SchemaVersionError
from complaintflow.store import MemoryStore, SQLiteStore, retry

from ._helpers import receive, workflow


def _lock(path: Path) -> sqlite3.Connection:
    """Another process's connection holding the database's write lock."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


def test_a_locked_sqlite_database_is_operational(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    store = SQLiteStore(path, timeout=0)
    wf, _ = workflow(store)
    c = receive(wf, 1)
    other = _lock(path)
    try:
        with pytest.raises(OperationalError, match="locked"):
            wf.acknowledge(c, actor="agent-7")
        with pytest.raises(OperationalError):
            store.claim_outbox("relay")
        assert store.get(c.id) == c  # readers never wait under WAL
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert wf.acknowledge(c, actor="agent-7").version == 2
    store.close()


def test_an_unopenable_sqlite_file_is_operational(tmp_path: Path) -> None:
    with pytest.raises(OperationalError):
        SQLiteStore(tmp_path / "no" / "such" / "dir" / "cf.db")


@pytest.mark.parametrize("damage", ["garbage", "foreign", "no table", "newer", "gap"])
def test_a_wrong_sqlite_database_is_an_integrity_error(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "cf.db"
    if damage == "garbage":
        path.write_bytes(b"this is not a database at all" * 200)
    elif damage == "foreign":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
        conn.commit()
        conn.close()
    else:
        with SQLiteStore(path) as store:
            wf, _ = workflow(store)
            c = wf.acknowledge(receive(wf, 1), actor="agent-7")
            wf.message(c, text="hello?")
        conn = sqlite3.connect(path)
        conn.execute({"no table": "DROP TABLE cf_outbox",
                      "newer": "UPDATE cf_schema SET version = 99",
                      "gap": "DELETE FROM cf_events WHERE seq = 3"}[damage])
        conn.commit()
        conn.close()
    with pytest.raises(IntegrityError) as info:
        SQLiteStore(path).get("CF-00001")
    assert not isinstance(info.value, OperationalError)
    if damage == "newer":
        assert isinstance(info.value, SchemaVersionError)


def test_a_closed_store_is_neither_kind(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "cf.db")
    store.close()
    with pytest.raises(cf.StoreError) as info:
        store.get("CF-1")
    assert not isinstance(info.value, OperationalError | IntegrityError)


class _Flaky:
    """A store whose loads fail ``times`` times with ``error`` first."""

    def __init__(self, store: MemoryStore, error: Exception, times: int) -> None:
        self.store, self.error, self.left, self.calls = store, error, times, 0

    def get(self, complaint_id: str) -> cf.Complaint:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise self.error
        return self.store.get(complaint_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_retry_retries_operational_errors() -> None:
    store = MemoryStore()
    wf, _ = workflow(store)
    c = receive(wf, 1)
    flaky = _Flaky(store, OperationalError("database is locked"), 2)
    waits: list[float] = []
    done = retry(flaky, c.id, lambda c: wf.acknowledge(c, actor="agent-7"),  # type: ignore[arg-type]
                 sleep=waits.append)
    assert done.state is cf.State.ACKNOWLEDGED
    assert flaky.calls == 3
    assert len(waits) == 2
    always = _Flaky(store, OperationalError("server unreachable"), 10)
    with pytest.raises(OperationalError, match="unreachable"):
        retry(always, c.id, lambda c: c, attempts=4, sleep=waits.append)  # type: ignore[arg-type]
    assert always.calls == 4


def test_retry_never_retries_integrity_errors() -> None:
    store = MemoryStore()
    wf, _ = workflow(store)
    c = receive(wf, 1)
    broken = _Flaky(store, IntegrityError("stored history does not replay"), 1)
    waits: list[float] = []
    with pytest.raises(IntegrityError):
        retry(broken, c.id, lambda c: c, sleep=waits.append)  # type: ignore[arg-type]
    assert broken.calls == 1
    assert waits == []


def test_sqlstore_on_a_locked_sqlite_file_is_operational(tmp_path: Path) -> None:
    sa = pytest.importorskip("sqlalchemy")
    from complaintflow.store import SQLStore

    path = tmp_path / "cf.db"
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    store = SQLStore(engine)
    wf, _ = workflow(store)
    c = receive(wf, 1)
    other = _lock(path)
    try:
        with pytest.raises(OperationalError, match="locked"):
            wf.acknowledge(c, actor="agent-7")
    finally:
        other.execute("ROLLBACK")
        other.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE cf_outbox")
    conn.close()
    with pytest.raises(IntegrityError, match="cf_outbox"):
        wf.acknowledge(c, actor="agent-7")
    engine.dispose()
