"""AsyncMemoryStore.batch(): a task's writes together or not at all; other tasks, an
AsyncWorkflow's commands among them, wait for the batch, so undoing it never undoes
their writes."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("sqlalchemy")

from async_helpers import T0

import complaintflow as cf
from complaintflow.store import AsyncMemoryStore


def _complaint(n: int) -> cf.Complaint:
    wf = cf.Workflow(clock=cf.FrozenClock(T0), ids=lambda: f"CF-{n:03d}")
    return wf.receive(f"kettle {n} leaks", customer_id=f"C-{n}", channel="app")


def test_a_batch_keeps_its_writes_at_its_end_and_undoes_them_on_an_error() -> None:
    async def go() -> None:
        store = AsyncMemoryStore()
        async with store.batch() as same:
            assert same is store
            await store.add(_complaint(1))
            async with store.batch():  # nested: joins
                await store.add(_complaint(2))
        assert await store.counts("state") == {"received": 2}
        seen_inside = []

        async def undone() -> None:
            async with store.batch():
                await store.add(_complaint(3))
                seen_inside.append((await store.get("CF-003")).id)
                raise RuntimeError("stop")

        with pytest.raises(RuntimeError, match="stop"):
            await undone()
        assert seen_inside == ["CF-003"]
        with pytest.raises(cf.NotFound):
            await store.get("CF-003")
        assert await store.counts("state") == {"received": 2}
        assert store.sync.counts("state") == {"received": 2}  # the sync face agrees

    asyncio.run(go())


def test_a_cancelled_batch_is_undone_and_frees_the_store() -> None:
    async def go() -> None:
        store = AsyncMemoryStore()
        inside = asyncio.Event()

        async def batch() -> None:
            async with store.batch():
                await store.add(_complaint(1))
                inside.set()
                await asyncio.sleep(30)

        task = asyncio.create_task(batch())
        await inside.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        with pytest.raises(cf.NotFound):
            await store.get("CF-001")
        await asyncio.wait_for(store.add(_complaint(2)), 5)  # free again
        assert await store.counts("state") == {"received": 1}

    asyncio.run(go())


def test_other_tasks_wait_for_a_batch_and_keep_their_writes() -> None:
    async def go() -> None:
        store = AsyncMemoryStore()
        inside, waiting = asyncio.Event(), asyncio.Event()
        order: list[str] = []

        async def batch() -> None:
            async with store.batch():
                await store.add(_complaint(1))
                inside.set()
                await waiting.wait()
                await asyncio.sleep(0.05)
                order.append("batch ends")
                raise RuntimeError("undo mine only")

        async def undone() -> None:
            with pytest.raises(RuntimeError, match="undo mine"):
                await batch()

        async def other() -> None:
            await inside.wait()
            waiting.set()
            await store.add(_complaint(2))  # waits for the batch
            order.append("other wrote")

        await asyncio.wait_for(asyncio.gather(undone(), other()), 10)
        assert order == ["batch ends", "other wrote"]
        with pytest.raises(cf.NotFound):
            await store.get("CF-001")
        assert (await store.get("CF-002")).id == "CF-002"

    asyncio.run(go())


def test_a_workflow_command_of_another_task_is_not_undone_with_a_batch() -> None:
    # an AsyncWorkflow's commands go through the async store: while a batch is open they
    # wait for it, so a batch that is undone takes none of their writes with it
    async def go() -> None:
        store = AsyncMemoryStore()
        wf = cf.AsyncWorkflow(clock=cf.FrozenClock(T0), store=store,
                              ids=iter(["CF-W1", "CF-W2"]).__next__)
        inside = asyncio.Event()

        async def batch() -> None:
            async with store.batch():
                await store.add(_complaint(1))
                inside.set()
                await asyncio.sleep(0.05)
                raise RuntimeError("undo the batch")

        async def undone() -> None:
            with pytest.raises(RuntimeError, match="undo"):
                await batch()

        async def command() -> cf.Complaint:
            await inside.wait()
            return await wf.receive("the blender sparks", customer_id="C-9", channel="app")

        _, received = await asyncio.wait_for(asyncio.gather(undone(), command()), 10)
        assert (await store.get(received.id)).id == "CF-W1"
        with pytest.raises(cf.NotFound):
            await store.get("CF-001")
        # and inside a batch, the workflow's writes are the batch's
        async def inside_a_batch() -> None:
            async with store.batch():
                await wf.receive("the lid cracked", customer_id="C-9", channel="app")
                raise RuntimeError("undo again")

        with pytest.raises(RuntimeError, match="again"):
            await inside_a_batch()
        assert await store.counts("state") == {"received": 1}

    asyncio.run(go())


def test_tasks_started_inside_a_batch_write_in_it() -> None:
    async def go() -> None:
        store = AsyncMemoryStore()

        async def undone() -> None:
            async with store.batch():
                await asyncio.gather(store.add(_complaint(1)), store.add(_complaint(2)))
                raise RuntimeError("undo both")

        with pytest.raises(RuntimeError, match="undo both"):
            await asyncio.wait_for(undone(), 10)
        assert await store.counts("state") == {}
        later = asyncio.Event()

        async def after() -> None:
            await later.wait()
            await store.add(_complaint(5))

        async with store.batch():
            task = asyncio.create_task(after())
        later.set()
        await asyncio.wait_for(task, 10)  # outlived the batch: writes on its own
        assert await store.counts("state") == {"received": 1}

    asyncio.run(go())
