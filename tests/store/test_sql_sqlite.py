"""SQLStore is portable where it is cheap: the conformance suite on SQLite through SQLAlchemy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

from complaintflow.store import SQLStore, _sql

from .conformance import StoreConformance


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

    def make_store(self, **kw: Any) -> SQLStore:
        self.n += 1
        store = SQLStore(f"sqlite:///{self.dir / f'cf-{self.n}.db'}", **kw)
        self.stores.append(store)
        return store

    def break_outbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_sql, "outbox_event", _broken)
