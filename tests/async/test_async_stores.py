"""The async stores: the store conformance suite through their awaited methods, and the
files and tables they share with the sync stores (either one reads what the other wrote)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")
pytest.importorskip("aiosqlite")

from async_helpers import T0, Blocking, LoopThread, finding, ids, loop_thread

import complaintflow as cf
from complaintflow.store import (
    SCHEMA_VERSION,
    AsyncMemoryStore,
    AsyncSQLiteStore,
    AsyncSQLStore,
    AsyncStore,
    MemoryStore,
    SQLiteStore,
    SQLStore,
    _sql,
    _sqlite,
)
from complaintflow.testing.stores import StoreConformance


def _broken(*args: Any, **kw: Any) -> Any:
    raise RuntimeError("outbox broke")


class _OnALoop(StoreConformance):
    """The suite, each call of the sync test code awaited on a loop of its own."""

    @pytest.fixture(autouse=True)
    def _loop(self, tmp_path: Path) -> Iterator[None]:
        self.dir = tmp_path
        self.n = 0
        self.made: list[Any] = []
        with loop_thread() as lt:
            self.lt = lt
            yield
            for store in self.made:
                lt.run(store.close())

    def make(self, **kw: Any) -> Any:
        raise NotImplementedError

    def create_store(self, **kw: Any) -> Any:
        self.n += 1
        store = self.make(**kw)
        assert isinstance(store, AsyncStore)
        self.made.append(store)
        return Blocking(store, self.lt)


class TestAsyncMemoryStore(_OnALoop):
    def make(self, **kw: Any) -> Any:
        return AsyncMemoryStore(**kw)


class TestAsyncSQLiteStore(_OnALoop):
    def make(self, **kw: Any) -> Any:
        return AsyncSQLiteStore(self.dir / f"cf-{self.n}.db", synchronous="NORMAL", **kw)

    def break_outbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_sqlite, "outbox_event", _broken)


class TestAsyncSQLStoreOnAiosqlite(_OnALoop):
    def make(self, **kw: Any) -> Any:
        return AsyncSQLStore(f"sqlite+aiosqlite:///{self.dir / f'cf-{self.n}.db'}", **kw)

    def break_outbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_sql, "outbox_event", _broken)


# -- one database, both faces -----------------------------------------------------------------
def _sync_life(store: Any) -> cf.Complaint:
    wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0), ids=ids("CF-S"))
    c = wf.receive("the kettle leaks", customer_id="C-1", channel="hotline", sku="KT-1")
    return wf.investigate(wf.acknowledge(c, actor="agent-7"), actor="agent-7", finding=finding())


async def _async_life(store: Any) -> cf.Complaint:
    wf = cf.AsyncWorkflow(store=store, clock=cf.FrozenClock(T0), ids=ids("CF-A"))
    c = await wf.receive("the kettle leaks", customer_id="C-2", channel="hotline", sku="KT-1")
    c = await wf.acknowledge(c, actor="agent-7")
    return await wf.investigate(c, actor="agent-7", finding=finding())


def _both_ways(sync_store: Any, make_async: Any) -> None:
    """What the sync store wrote the async one reads, and the other way round: the same
    complaints, the same outbox, the same counts; the sync store then finds the
    database consistent."""
    mine = _sync_life(sync_store)

    async def go() -> tuple[cf.Complaint, cf.Complaint, list[str], dict[str | None, int]]:
        async with make_async() as store:
            theirs = await store.get(mine.id)
            made = await _async_life(store)
            outbox = [i.id for i in await store.pending(100)]
            counts = await store.counts("sku")
            return theirs, made, outbox, counts

    theirs, made, outbox, counts = asyncio.run(go())
    assert theirs == mine
    assert sync_store.get(made.id) == made
    assert outbox == [i.id for i in sync_store.pending(100)]
    assert len(outbox) == mine.version + made.version
    assert counts == sync_store.counts("sku") == {"KT-1": 2}
    assert sync_store.verify() == []


def test_the_sqlite_store_and_its_async_face_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    with SQLiteStore(path) as store:
        _both_ways(store, lambda: AsyncSQLiteStore(path))


def test_the_sql_store_and_the_async_sql_store_share_one_database(tmp_path: Path) -> None:
    path = tmp_path / "cf.db"
    with SQLStore(f"sqlite:///{path}") as store:
        _both_ways(store, lambda: AsyncSQLStore(f"sqlite+aiosqlite:///{path}"))


def test_the_memory_store_and_its_async_face_share_one_dict() -> None:
    store = MemoryStore()
    mine = _sync_life(store)

    async def go() -> cf.Complaint:
        astore = AsyncMemoryStore(store)
        assert await astore.get(mine.id) == mine
        return await _async_life(astore)

    made = asyncio.run(go())
    assert store.get(made.id) == made


def test_a_bare_sqlite_url_means_aiosqlite(tmp_path: Path) -> None:
    store = AsyncSQLStore(f"sqlite:///{tmp_path / 'cf.db'}")
    assert store.engine.dialect.driver == "aiosqlite"
    assert store.schema_version is None  # opened on first use
    asyncio.run(store.open())
    assert store.schema_version == SCHEMA_VERSION
    asyncio.run(store.close())


def test_a_bad_url_is_a_store_error_naming_it() -> None:
    with pytest.raises(cf.StoreError, match="nosuchdriver"):
        AsyncSQLStore("nosuchdriver://x/y")
    with pytest.raises(cf.ValidationError, match="url"):
        AsyncSQLStore("")


def test_an_unreachable_server_is_an_operational_error() -> None:
    async def go() -> None:
        async with AsyncSQLStore("postgresql://nobody@127.0.0.1:9/nowhere") as store:
            await store.get("CF-1")

    with pytest.raises(cf.OperationalError, match="open the database"):
        asyncio.run(go())


def test_a_newer_database_is_refused_by_both_faces(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "cf.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE cf_schema SET version = 99")
    conn.close()
    with pytest.raises(cf.SchemaVersionError):
        asyncio.run(AsyncSQLiteStore(path).open())
    with pytest.raises(cf.SchemaVersionError):
        asyncio.run(AsyncSQLStore(f"sqlite+aiosqlite:///{path}").open())


def test_the_sql_engines_drivers_are_async_only(tmp_path: Path) -> None:
    """The async store talks to the database only through an async driver (psycopg's
    AsyncConnection, aiosqlite), whose every round trip is awaited: nothing in it can wait
    on the event loop's thread."""
    for url in ("postgresql://u@127.0.0.1/db", "postgresql+psycopg://u@127.0.0.1/db",
                f"sqlite:///{tmp_path / 'cf.db'}"):
        store = AsyncSQLStore(url)
        assert store.engine.dialect.is_async, url
        assert store.engine.dialect.driver in ("psycopg", "aiosqlite"), url
        asyncio.run(store.close())


def test_loop_thread_helper_runs_on_its_own_loop() -> None:
    lt = LoopThread()
    try:
        assert lt.run(asyncio.sleep(0, result=7)) == 7
    finally:
        lt.stop()


@pytest.mark.parametrize("kind", ["memory", "sqlite", "sql"])
def test_async_stores_write_the_pseudonym_under_their_key(kind: str, tmp_path: Path) -> None:
    """``pseudonym_key`` reaches the sync store: the outbox without personal data carries
    the customer id's pseudonym under that key, never the id."""
    from complaintflow.store import pseudonym

    key = b"relay secret"
    options: dict[str, Any] = {"include_personal": False, "pseudonym_key": key}
    made: Any = {
        "memory": lambda: AsyncMemoryStore(**options),
        "sqlite": lambda: AsyncSQLiteStore(tmp_path / "a.db", **options),
        "sql": lambda: AsyncSQLStore(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", **options),
    }[kind]

    async def go() -> list[Any]:
        store = made()
        try:
            wf = cf.AsyncWorkflow(clock=cf.FrozenClock(T0), store=store)
            await wf.receive("the kettle leaks", customer_id="C-1001", channel="hotline")
            return list(await store.pending())
        finally:
            await store.close()

    items = asyncio.run(go())
    received = items[0].event.data
    assert received["customer_id"] == pseudonym("C-1001", key) != pseudonym("C-1001")
    assert "personal" not in received
