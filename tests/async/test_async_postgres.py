"""The async SQL store against the real PostgreSQL: the conformance suite, one database for
both faces, and fifty concurrent commands beside a heartbeat.

Enabled by ``COMPLAINTFLOW_TEST_POSTGRES=postgresql+psycopg://...`` (and always under CI);
the module works in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest

sa = pytest.importorskip("sqlalchemy")

from async_helpers import T0, Blocking, ids, loop_thread  # noqa: E402

import complaintflow as cf  # noqa: E402
from complaintflow.store import AsyncSQLStore, SQLStore, _sql  # noqa: E402
from complaintflow.testing.stores import StoreConformance  # noqa: E402

pytestmark = pytest.mark.services
_prefixes = count(1)


def _broken(*args: Any, **kw: Any) -> Any:
    raise RuntimeError("outbox broke")


class TestAsyncPostgresStore(StoreConformance):
    @pytest.fixture(autouse=True)
    def _server(self, pg_url: str, pg_schema: str) -> Iterator[None]:
        self.url, self.schema = pg_url, pg_schema
        self.made: list[AsyncSQLStore] = []
        with loop_thread() as lt:
            self.lt = lt
            yield
            for store in self.made:
                lt.run(store.close())

    def create_store(self, **kw: Any) -> Any:
        store = AsyncSQLStore(self.url, schema=self.schema, prefix=f"a{next(_prefixes)}_", **kw)
        self.made.append(store)
        return Blocking(store, self.lt)

    def break_outbox(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_sql, "outbox_event", _broken)


def test_both_faces_share_one_postgresql_database(pg_url: str, pg_schema: str) -> None:
    prefix = f"a{next(_prefixes)}_"
    with SQLStore(pg_url, schema=pg_schema, prefix=prefix) as store:
        wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0), ids=ids("CF-S"))
        mine = wf.acknowledge(wf.receive("the kettle leaks", customer_id="C-1",
                                         channel="hotline", sku="KT-1"), actor="agent-7")

        async def go() -> tuple[cf.Complaint, cf.Complaint, dict[str | None, int]]:
            async with AsyncSQLStore(pg_url, schema=pg_schema, prefix=prefix) as astore:
                face = cf.AsyncWorkflow(store=astore, clock=cf.FrozenClock(T0), ids=ids("CF-A"))
                theirs = await astore.get(mine.id)
                made = await face.receive("the kettle leaks", customer_id="C-2",
                                          channel="hotline", sku="KT-1")
                return theirs, made, await astore.counts("sku")

        theirs, made, counts = asyncio.run(go())
        assert theirs == mine
        assert store.get(made.id) == made
        assert counts == store.counts("sku") == {"KT-1": 2}
        assert store.verify() == []


async def _fifty(url: str, schema: str, prefix: str) -> tuple[list[Any], int, list[str],
                                                              dict[str, tuple[int, int, int]]]:
    """Fifty commands at once on ten complaints (each command loads its complaint first,
    so commands on one complaint race), with a heartbeat task beside them."""
    beats = 0
    stop = asyncio.Event()

    async def heartbeat() -> None:
        nonlocal beats
        while not stop.is_set():
            beats += 1
            await asyncio.sleep(0.001)

    async with AsyncSQLStore(url, schema=schema, prefix=prefix) as store:
        wf = cf.AsyncWorkflow(store=store, clock=cf.FrozenClock(T0))
        cases = [await wf.acknowledge(await wf.receive(
            "the kettle leaks", customer_id=f"C-{n}", channel="hotline"), actor="agent-7")
            for n in range(10)]

        async def command(n: int) -> cf.Complaint:
            c = await store.get(cases[n % 10].id)
            if n % 3 == 0:
                return await wf.escalate(c, actor="agent-7", reason=f"call {n}",
                                         expected_version=c.version)
            return await wf.message(c, text=f"any news? ({n})")

        beat = asyncio.create_task(heartbeat())
        results = await asyncio.gather(*(command(n) for n in range(50)),
                                       return_exceptions=True)
        stop.set()
        await beat
        problems = await store.verify()
        t = store.tables
        async with store.engine.connect() as conn:
            rows = (await conn.execute(
                sa.select(t.complaints.c.id, t.complaints.c.version,
                          sa.select(sa.func.count()).where(t.events.c.complaint_id
                                                           == t.complaints.c.id)
                          .scalar_subquery(),
                          sa.select(sa.func.count()).where(t.outbox.c.complaint_id
                                                           == t.complaints.c.id)
                          .scalar_subquery()))).all()
    return results, beats, problems, {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_fifty_concurrent_commands_win_or_lose_cleanly_beside_a_heartbeat(
    pg_url: str, pg_schema: str
) -> None:
    # (the worst gap between heartbeats is a benchmark, ``loop_lag``, not an assertion)
    results, beats, problems, rows = asyncio.run(
        _fifty(pg_url, pg_schema, f"a{next(_prefixes)}_"))
    wins = [r for r in results if isinstance(r, cf.Complaint)]
    lost = [r for r in results if not isinstance(r, cf.Complaint)]
    assert all(isinstance(r, cf.ConcurrencyError) for r in lost), lost
    assert wins and lost and beats > 0
    assert problems == []
    # recomputed from the stored rows: each complaint's version is its number of events
    # and of outbox rows, and every win added exactly one event to the two of receipt
    for version, events, outbox in rows.values():
        assert version == events == outbox
    assert sum(v for v, _, _ in rows.values()) == 2 * len(rows) + len(wins)
    final = {}
    for c in wins:
        final[c.id] = max(final.get(c.id, 0), c.version)
    assert all(rows[cid][0] == v for cid, v in final.items())
