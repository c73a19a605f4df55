"""AsyncSQLiteStore.batch(), what is particular to it: the batch runs on a thread of its
own while other tasks wait for it in their worker threads; the async face uses it for a
follow-up and its link. (``test_async_batches.py`` holds what every async store's batch
does.)"""

from __future__ import annotations

import asyncio
import pathlib
import threading
from datetime import timedelta

import pytest

pytest.importorskip("sqlalchemy")

from async_helpers import T0, kettle

import complaintflow as cf
from complaintflow.store import AsyncSQLiteStore, SQLiteStore
from failing_stores import FailingSQLite

A = "agent-7"


class _FailingAsync(AsyncSQLiteStore):
    async def _open(self) -> SQLiteStore:
        return await asyncio.to_thread(FailingSQLite, self.path)


def _closed_case(path: pathlib.Path) -> cf.Complaint:
    """A closed complaint of customer C-1, written by the sync face."""
    store = SQLiteStore(path)
    wf = cf.Workflow(clock=cf.FrozenClock(T0), store=store, ids=lambda: "CF-OLD")
    c = wf.receive("the parcel is late", customer_id="C-1", channel="app")
    c = wf.archive(wf.withdraw(wf.acknowledge(c, actor=A), actor=A, reason="it arrived"), actor=A)
    store.close()
    return c


def test_the_follow_up_link_is_written_with_the_new_complaint_or_not_at_all(
        tmp_path: pathlib.Path) -> None:
    path = tmp_path / "cf.db"
    old = _closed_case(path)

    async def go() -> None:
        async with _FailingAsync(path) as store:
            wf = cf.AsyncWorkflow(clock=cf.FrozenClock(T0 + timedelta(days=40)), store=store,
                                  ids=iter(["CF-NEW", "CF-NEW2"]).__next__)
            sync = await store.open()
            assert isinstance(sync._sync, FailingSQLite)
            sync._sync.armed = True
            with pytest.raises(cf.OperationalError, match="disk full"):
                await wf.receive("late again", customer_id="C-1", channel="app",
                                 follow_up_of=old.id)
            sync._sync.armed = False
            # nothing half-written: the new complaint was rolled back with the link
            with pytest.raises(cf.NotFound):
                await store.get("CF-NEW")
            assert (await store.get(old.id)).follow_ups == ()
            assert await store.counts("state") == {"archived": 1}
            new = await wf.receive("late again", customer_id="C-1", channel="app",
                                   follow_up_of=old.id)
            assert (await store.get(old.id)).follow_ups == (new.id,)

    asyncio.run(go())
    # what the async store wrote, the sync store reads
    again = SQLiteStore(path)
    assert again.get(old.id).follow_ups == ("CF-NEW2",) and again.verify() == []
    again.close()


def test_other_tasks_wait_for_a_batch_and_keep_their_writes(tmp_path: pathlib.Path) -> None:
    async def go() -> None:
        async with AsyncSQLiteStore(tmp_path / "cf.db") as store:
            await store.open()
            inside, outside_started = asyncio.Event(), threading.Event()
            loop_alive = 0

            async def undone() -> None:
                async with store.batch():
                    await store.add(kettle(1))
                    inside.set()
                    await asyncio.sleep(0.3)
                    raise RuntimeError("undo my writes only")

            async def batch() -> None:
                with pytest.raises(RuntimeError, match="undo"):
                    await undone()

            async def other() -> None:
                await inside.wait()
                outside_started.set()
                await store.add(kettle(2))  # waits for the batch, in a worker thread

            async def heartbeat() -> None:
                nonlocal loop_alive
                while not outside_started.is_set() or loop_alive < 5:
                    await asyncio.sleep(0.02)
                    loop_alive += 1

            await asyncio.gather(batch(), other(), heartbeat())
            assert loop_alive >= 5  # the loop ran on while the other write waited
            with pytest.raises(cf.NotFound):
                await store.get("CF-001")
            assert (await store.get("CF-002")).id == "CF-002"

    asyncio.run(go())
