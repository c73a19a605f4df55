"""AsyncSQLStore.batch(): a task's writes committed together or rolled back together, on
one connection that the tasks it starts share one call at a time; other tasks keep their
own connections and their writes. On aiosqlite always, on PostgreSQL when its tests are
on (always under CI)."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import Callable
from itertools import count
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("aiosqlite")

from async_helpers import T0

import complaintflow as cf
from complaintflow.store import AsyncSQLStore

_prefixes = count(1)
Make = Callable[[], AsyncSQLStore]


@pytest.fixture(params=["aiosqlite", "postgresql"])
def make(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Make:
    if request.param == "aiosqlite":
        return lambda: AsyncSQLStore(f"sqlite+aiosqlite:///{tmp_path / 'cf.db'}")
    request.applymarker(pytest.mark.services)
    url: str = request.getfixturevalue("pg_url")
    schema: str = request.getfixturevalue("pg_schema")
    prefix = f"b{next(_prefixes)}_"
    return lambda: AsyncSQLStore(url, schema=schema, prefix=prefix)


def _complaint(n: int) -> cf.Complaint:
    wf = cf.Workflow(clock=cf.FrozenClock(T0), ids=lambda: f"CF-{n:03d}")
    return wf.receive(f"kettle {n} leaks", customer_id=f"C-{n}", channel="app")


def test_a_batch_commits_at_its_end_and_rolls_back_on_an_error(make: Make) -> None:
    async def go() -> None:
        async with make() as store:
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

    asyncio.run(go())


def test_a_cancelled_batch_is_rolled_back_and_frees_its_connection(make: Make) -> None:
    async def go() -> None:
        async with make() as store:
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
            await asyncio.wait_for(store.add(_complaint(2)), 10)
            assert await store.counts("state") == {"received": 1}

    asyncio.run(go())


def test_tasks_started_inside_a_batch_share_it_one_call_at_a_time(make: Make) -> None:
    # gather runs each call, and each workflow command, as a task of its own: inside the
    # batch they use its connection in turn (side by side they would break it)
    async def go() -> None:
        async with make() as store:
            wf = cf.AsyncWorkflow(clock=cf.FrozenClock(T0), store=store,
                                  ids=iter(f"CF-W{i}" for i in range(1, 99)).__next__)

            async def undone() -> None:
                async with store.batch():
                    await asyncio.gather(
                        store.add(_complaint(1)), store.add(_complaint(2)),
                        *(wf.receive(f"lid {i} cracked", customer_id="C-9", channel="app")
                          for i in range(4)))
                    raise RuntimeError("undo them all")

            with pytest.raises(RuntimeError, match="undo them all"):
                await asyncio.wait_for(undone(), 30)
            assert await store.counts("state") == {}
            async with store.batch():
                made = await asyncio.wait_for(asyncio.gather(
                    *(wf.receive(f"lid {i} cracked", customer_id="C-9", channel="app")
                      for i in range(4))), 30)
            assert await store.counts("state") == {"received": 4}
            assert {(await store.get(c.id)).id for c in made} == {c.id for c in made}

            # a task started inside the batch that outlives it writes on its own afterwards
            later = asyncio.Event()

            async def after() -> None:
                await later.wait()
                await store.add(_complaint(5))

            async with store.batch():
                task = asyncio.create_task(after())
            later.set()
            await asyncio.wait_for(task, 10)
            assert await store.counts("state") == {"received": 5}

    asyncio.run(go())


def test_other_tasks_keep_their_writes_when_a_batch_rolls_back(make: Make) -> None:
    async def go() -> None:
        async with make() as store:
            await store.open()
            wf = cf.AsyncWorkflow(clock=cf.FrozenClock(T0), store=store,
                                  ids=iter(["CF-W1"]).__next__)
            inside = asyncio.Event()

            async def batch() -> None:
                async with store.batch():
                    await store.add(_complaint(1))
                    inside.set()
                    await asyncio.sleep(0.2)
                    raise RuntimeError("undo mine only")

            async def undone() -> None:
                with pytest.raises(RuntimeError, match="undo mine"):
                    await batch()

            async def other() -> Any:
                await inside.wait()
                return await wf.receive("the blender sparks", customer_id="C-8",
                                        channel="app")

            _, received = await asyncio.wait_for(asyncio.gather(undone(), other()), 30)
            assert (await store.get(received.id)).id == "CF-W1"
            with pytest.raises(cf.NotFound):
                await store.get("CF-001")

    asyncio.run(go())
