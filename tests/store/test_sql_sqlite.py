"""SQLStore is portable where it is cheap: the conformance suite on SQLite through SQLAlchemy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

from complaintflow.store import SQLStore, _sql
from complaintflow.testing.stores import StoreConformance

from ._helpers import v1_then_latest


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

    def make_v1() -> SQLStore:
        meta = sa.MetaData()
        tables = _sql.build_tables(meta, prefix="cf_", schema=None, version=1)
        meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(sa.insert(tables.schema).values(id=1, version=1))
        with monkeypatch.context() as m:
            m.setattr(_sql, "LATEST", 1)
            return SQLStore(engine)

    def open_store() -> SQLStore:
        store = SQLStore(engine)
        assert store.schema_version == 2
        return store

    v1_then_latest(open_store, make_v1)
    cols = {c["name"] for c in sa.inspect(engine).get_columns("cf_outbox")}
    assert {"claimed_by", "claimed_until", "dead_reason", "dead_at"} <= cols
    engine.dispose()
