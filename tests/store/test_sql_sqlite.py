"""SQLStore is portable where it is cheap: the conformance suite on SQLite through SQLAlchemy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

import complaintflow as cf
from complaintflow.store import SCHEMA_VERSION, SQLStore, _sql
from complaintflow.testing.stores import StoreConformance

from ._helpers import v1_then_latest, write_sql_rows


def _broken(*args: Any, **kw: Any) -> Any:
    raise RuntimeError("outbox broke")


class TestSQLStoreOnSQLite(StoreConformance):
    @pytest.fixture(autouse=True)
    def _dir(self, tmp_path: Path) -> Any:
        self.dir = tmp_path
        self.n = 0
        self.stores: list[SQLStore] = []
        yield
        for store in self.stores:
            store.close()

    def create_store(self, **kw: Any) -> SQLStore:
        self.n += 1
        store = SQLStore(f"sqlite:///{self.dir / f'cf-{self.n}.db'}", **kw)
        self.stores.append(store)
        return store

    def break_outbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_sql, "outbox_event", _broken)


def test_a_version_1_database_opens_and_gains_the_outbox_claims(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'cf.db'}"
    engine = sa.create_engine(url)

    def write_v1(complaints: list[cf.Complaint]) -> None:
        meta = sa.MetaData()
        tables = _sql.build_tables(meta, prefix="cf_", schema=None, version=1)
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(tables.schema).values(id=1, version=1))
        write_sql_rows(engine, tables, complaints)

    def open_store() -> SQLStore:
        store = SQLStore(engine)
        assert store.schema_version == SCHEMA_VERSION == 3
        return store

    v1_then_latest(open_store, write_v1)
    cols = {c["name"] for c in sa.inspect(engine).get_columns("cf_outbox")}
    assert {"claimed_by", "claimed_until", "dead_reason", "dead_at"} <= cols
    engine.dispose()


def test_one_layout_makes_both_stores_tables(tmp_path: Path) -> None:
    """The SQLite store's DDL and the SQLAlchemy tables come from one definition: the same
    tables, columns, nullability and indexes (a column added once appears in both)."""
    import sqlite3

    import sqlalchemy as sa

    from complaintflow.store import SQLiteStore, sql_tables
    from complaintflow.store._schema import SPEC

    SQLiteStore(tmp_path / "native.db").close()
    conn = sqlite3.connect(tmp_path / "native.db")
    try:
        native = {
            t.name: ({r[1]: not (r[3] or r[5]) for r in conn.execute(f"PRAGMA table_info(cf_{t.name})")},
                     {r[1] for r in conn.execute(f"PRAGMA index_list(cf_{t.name})")
                      if not r[1].startswith("sqlite_")})
            for t in SPEC}
    finally:
        conn.close()
    tables = sql_tables(sa.MetaData())
    made = {
        t.name.removeprefix("cf_"): ({c.name: bool(c.nullable) for c in t.columns},
                                     {i.name for i in t.indexes})
        for t in tables.all}
    assert made == native
    assert "claimed_by" in native["outbox"][0]
    assert "cf_outbox_waiting" in native["outbox"][1]
