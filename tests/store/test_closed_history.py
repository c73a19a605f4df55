"""A complaint loaded through its snapshot reads the rest of its history lazily; once the
store is closed it still can (from the file), or says clearly why not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import complaintflow as cf
from complaintflow.store import SQLiteStore

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
A = "agent-7"


def _long(store: SQLiteStore) -> str:
    wf = cf.Workflow(clock=cf.FrozenClock(T0), store=store)
    c = wf.receive("the kettle leaks", customer_id="C-1", channel="hotline", order_id="O-1")
    c = wf.acknowledge(c, actor=A)
    for n in range(6):
        c = wf.message(c, text=f"any news? ({n})")
    return c.id


def test_history_read_after_the_store_closed(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    with SQLiteStore(path) as store:
        cid = _long(store)
    store = SQLiteStore(path)
    loaded = store.get(cid)
    assert not loaded.history.loaded  # type: ignore[attr-defined]  # read lazily
    store.close()
    whole = tuple(loaded.history)  # the prefix before the snapshot, read from the file
    assert [e.name for e in whole][:2] == ["received", "acknowledged"]
    assert len(whole) == loaded.version == 8
    assert cf.Complaint.replay(whole) == loaded


def test_an_in_memory_store_closed_says_what_was_lost() -> None:
    store = SQLiteStore(":memory:")
    cid = _long(store)
    loaded = store.get(cid)
    store.close()
    assert not loaded.history.loaded  # type: ignore[attr-defined]
    with pytest.raises(cf.StoreError, match="closed"):
        tuple(loaded.history)
