"""``async with store.batch():`` on every async store: a task's writes kept together or
undone together; the tasks it starts (``asyncio.gather``), an AsyncWorkflow's commands
among them, write in it; other tasks keep their writes when it is undone.
(``test_async_sqlite_batch.py`` holds what is particular to the SQLite file store.)"""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import Callable
from itertools import count
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

from async_helpers import T0, kettle

import complaintflow as cf
from complaintflow.store import AsyncMemoryStore, AsyncSQLiteStore, AsyncSQLStore

_prefixes = count(1)
Make = Callable[[], Any]


@pytest.fixture(params=["memory", "sqlite-file", "sql-aiosqlite", "sql-postgresql"])
def make(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Make:
    kind = request.param
    if kind == "memory":
        return AsyncMemoryStore
    if kind == "sqlite-file":
        return lambda: AsyncSQLiteStore(tmp_path / "cf.db")
    pytest.importorskip("aiosqlite")
    if kind == "sql-aiosqlite":
        return lambda: AsyncSQLStore(f"sqlite+aiosqlite:///{tmp_path / 'cf.db'}")
    request.applymarker(pytest.mark.services)
    url: str = request.getfixturevalue("pg_url")
    schema: str = request.getfixturevalue("pg_schema")
    prefix = f"b{next(_prefixes)}_"
    return lambda: AsyncSQLStore(url, schema=schema, prefix=prefix)


def _workflow(store: Any) -> cf.AsyncWorkflow:
    return cf.AsyncWorkflow(clock=cf.FrozenClock(T0), store=store,
                            ids=iter(f"CF-W{i}" for i in range(1, 99)).__next__)


def test_a_batch_keeps_its_writes_at_its_end_and_undoes_them_on_an_error(make: Make) -> None:
    async def go() -> None:
        async with make() as store:
            async with store.batch() as same:
                assert same is store
                await store.add(kettle(1))
                async with store.batch():  # nested: joins
                    await store.add(kettle(2))
            assert await store.counts("state") == {"received": 2}
            seen_inside = []

            async def undone() -> None:
                async with store.batch():
                    await store.add(kettle(3))
                    seen_inside.append((await store.get("CF-003")).id)
                    raise RuntimeError("stop")

            with pytest.raises(RuntimeError, match="stop"):
                await undone()
            assert seen_inside == ["CF-003"]
            with pytest.raises(cf.NotFound):
                await store.get("CF-003")
            assert await store.counts("state") == {"received": 2}

    asyncio.run(go())


def test_a_cancelled_batch_is_undone_and_frees_the_store(make: Make) -> None:
    async def go() -> None:
        async with make() as store:
            inside = asyncio.Event()

            async def batch() -> None:
                async with store.batch():
                    await store.add(kettle(1))
                    inside.set()
                    await asyncio.sleep(30)

            task = asyncio.create_task(batch())
            await inside.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            with pytest.raises(cf.NotFound):
                await store.get("CF-001")
            await asyncio.wait_for(store.add(kettle(2)), 10)  # free again
            assert await store.counts("state") == {"received": 1}

    asyncio.run(go())


def test_tasks_started_inside_a_batch_write_in_it(make: Make) -> None:
    # gather runs each call, and each workflow command, as a task of its own: inside the
    # batch they join it (they would otherwise wait for it, or break its connection)
    async def go() -> None:
        async with make() as store:
            wf = _workflow(store)

            async def undone() -> None:
                async with store.batch():
                    await asyncio.gather(
                        store.add(kettle(1)), store.add(kettle(2)),
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
            assert [(await store.get(c.id)).id for c in made] == [c.id for c in made]

            # a task started inside the batch that outlives it writes on its own afterwards
            later = asyncio.Event()

            async def after() -> None:
                await later.wait()
                await store.add(kettle(5))

            async with store.batch():
                task = asyncio.create_task(after())
            later.set()
            await asyncio.wait_for(task, 10)
            assert await store.counts("state") == {"received": 5}

    asyncio.run(go())


def test_another_task_keeps_its_command_when_a_batch_is_undone(make: Make) -> None:
    # on the memory store the other task's command waits for the batch (undoing it
    # restores what was there before); on the SQL stores it runs on its own connection
    async def go() -> None:
        async with make() as store:
            wf = _workflow(store)
            inside = asyncio.Event()

            async def batch() -> None:
                async with store.batch():
                    await store.add(kettle(1))
                    inside.set()
                    await asyncio.sleep(0.2)
                    raise RuntimeError("undo mine only")

            async def undone() -> None:
                with pytest.raises(RuntimeError, match="undo mine"):
                    await batch()

            async def other() -> cf.Complaint:
                await inside.wait()
                return await wf.receive("the blender sparks", customer_id="C-8", channel="app")

            _, received = await asyncio.wait_for(asyncio.gather(undone(), other()), 30)
            assert (await store.get(received.id)).id == "CF-W1"
            with pytest.raises(cf.NotFound):
                await store.get("CF-001")
            assert await store.counts("state") == {"received": 1}

    asyncio.run(go())
