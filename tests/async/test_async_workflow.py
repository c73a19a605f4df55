"""The async face shares every decision with the sync one: the same commands with the same
signatures, the same outcomes for any sequence of commands (the sync face is the oracle),
intake that asks the async store, listeners after the commit, and expected versions."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

pytest.importorskip("sqlalchemy")

from async_helpers import T0, finding, ids
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.store import AsyncMemoryStore, MemoryStore
from complaintflow.testing.strategies import commands


def pair(**kw: Any) -> tuple[cf.Workflow, MemoryStore, cf.AsyncWorkflow, AsyncMemoryStore,
                             cf.FrozenClock]:
    """A sync and an async workflow on separate stores, one clock, the same ids."""
    clock = cf.FrozenClock(T0)
    store, astore = MemoryStore(), AsyncMemoryStore()
    sync = cf.Workflow(store=store, clock=clock, ids=ids(), **kw)
    face = cf.AsyncWorkflow(store=astore, clock=clock, ids=ids(), **kw)
    return sync, store, face, astore, clock


# -- the same surface --------------------------------------------------------------------------
def test_every_command_of_the_registry_is_awaited_with_the_sync_signature() -> None:
    for name in (*cf.COMMANDS, "receive", "fire", "tick", "erase"):
        sync, face = getattr(cf.Workflow, name), getattr(cf.AsyncWorkflow, name)
        assert inspect.iscoroutinefunction(face), name
        assert inspect.signature(face) == inspect.signature(sync), name
        assert face.__doc__, name
    assert not inspect.iscoroutinefunction(cf.AsyncWorkflow.allowed)


def test_a_command_registered_on_the_async_face_runs_through_fire() -> None:
    note = cf.Command("note", sources=tuple(cf.State), target=None, event="noted",
                      arguments=(cf.Argument("text", required=True),))
    wf = cf.AsyncWorkflow(clock=cf.FrozenClock(T0), store=AsyncMemoryStore())
    wf.register(note)

    async def go() -> cf.Complaint:
        c = await wf.receive("the kettle leaks", customer_id="C-1", channel="hotline")
        return await wf.fire(c, "note", actor="agent-7", text="called back")

    c = asyncio.run(go())
    assert c.history[-1].name == "noted" and "note" in wf.commands


# -- the sync face is the oracle ---------------------------------------------------------------
def _outcome(run: Any) -> tuple[str, Any]:
    try:
        return "ok", run()
    except cf.ComplaintflowError as exc:
        return type(exc).__name__, str(exc)


@settings(max_examples=40)
@given(st.lists(st.one_of(commands(), commands(invalid=True), st.integers(1, 600)),
                min_size=1, max_size=14),
       st.sampled_from(["hotline", "wechat"]), st.booleans())
def test_any_sequence_of_commands_runs_alike_on_both_faces(
    steps: Sequence[Any], channel: str, same_sku: bool
) -> None:
    """Same complaint or same refusal after every step, the same stored history and the
    same outbox: the async face decides nothing of its own."""
    sync, store, face, astore, clock = pair()
    sku = "KT-1" if same_sku else None

    async def go() -> None:
        c = sync.receive("the kettle leaks", customer_id="C-1", channel=channel, sku=sku)
        a = await face.receive("the kettle leaks", customer_id="C-1", channel=channel, sku=sku)
        assert a == c
        for step in steps:
            if isinstance(step, int):
                clock.advance(timedelta(minutes=step))
                c, a = sync.tick(c), await face.tick(a)
                assert a == c
                continue
            kind, got = _outcome(lambda s=step, k=c: s.run(sync, k))
            try:
                mine: tuple[str, Any] = ("ok", await face.fire(a, step.name, **step.kwargs))
            except cf.ComplaintflowError as exc:
                mine = (type(exc).__name__, str(exc))
            assert mine == (kind, got)
            if kind == "ok":
                c, a = got, mine[1]
        assert await astore.get(a.id) == store.get(c.id)
        assert [i.to_dict() for i in await astore.pending(1000)] == [
            i.to_dict() for i in store.pending(1000)]
        assert face.allowed(a, "agent-7") == sync.allowed(c, "agent-7")

    asyncio.run(go())


def test_intake_asks_the_async_store_for_recent_complaints() -> None:
    """Five complaints on one SKU make a line (the scope policy sees the earlier ones
    through the store), and the same order on a second channel merges into the first:
    both decisions read the store, awaited."""
    _, _, face, _, clock = pair()

    async def go() -> list[cf.Complaint]:
        out = []
        for n in range(5):
            out.append(await face.receive("the dress faded after one wash", customer_id=f"C-{n}",
                                          channel="hotline", sku="DRESS-1", order_id=f"O-{n}"))
            clock.advance(timedelta(hours=1))
        out.append(await face.receive("the dress faded after one wash", customer_id="C-0",
                                      channel="wechat", order_id="O-0"))
        return out

    made = asyncio.run(go())
    assert [c.scope for c in made[:5]] == ["point"] * 4 + ["line"]
    assert made[5].id == made[0].id and made[5].merged
    assert made[5].history[-1].name == "merged"


def test_a_refused_command_stores_and_tells_nothing() -> None:
    told: list[str] = []
    _, _, face, astore, _ = pair()
    face.subscribe(lambda e, c: told.append(e.name))

    async def go() -> None:
        c = await face.receive("the kettle leaks", customer_id="C-1", channel="hotline")
        told.clear()
        before = await astore.pending(100)
        for bad in (lambda: face.resolve(c, actor="agent-7"),
                    lambda: face.revisit(c, actor="agent-7", satisfaction=6),
                    lambda: face.acknowledge(c, actor="agent-7", expected_version=7)):
            with pytest.raises(cf.ComplaintflowError):
                await bad()
        assert await astore.get(c.id) == c
        assert await astore.pending(100) == before
        assert told == []

    asyncio.run(go())


# -- listeners ---------------------------------------------------------------------------------
def test_sync_and_async_listeners_hear_every_committed_event_in_order(
    caplog: pytest.LogCaptureFixture,
) -> None:
    heard: list[tuple[str, str, int]] = []
    _, _, face, astore, _ = pair()

    async def slow(event: cf.Event, complaint: cf.Complaint) -> None:
        # the commit is done before any listener runs
        assert (await astore.get(complaint.id)).version >= event.seq
        await asyncio.sleep(0)
        heard.append(("async", event.name, event.seq))

    def failing(event: cf.Event, complaint: cf.Complaint) -> None:
        raise RuntimeError("the mail server is down")

    face.subscribe(slow)
    face.subscribe(failing)
    unsubscribe = face.subscribe(lambda e, c: heard.append(("sync", e.name, e.seq)))

    async def go() -> cf.Complaint:
        c = await face.receive("the kettle leaks", customer_id="C-1", channel="hotline")
        return await face.acknowledge(c, actor="agent-7")

    with caplog.at_level(logging.ERROR, logger="complaintflow"):
        c = asyncio.run(go())
    assert heard == [(kind, e.name, e.seq) for e in c.history for kind in ("async", "sync")]
    assert "the mail server is down" in caplog.text and c.version == 2
    unsubscribe()
    heard.clear()
    asyncio.run(face.escalate(c, actor="agent-7", reason="loud"))
    assert [h[0] for h in heard] == ["async"]
    with pytest.raises(cf.ValidationError, match="callback"):
        face.subscribe(42)  # type: ignore[arg-type]


# -- expected versions -------------------------------------------------------------------------
@settings(max_examples=30)
@given(st.integers(0, 6), st.sampled_from(["sync", "async"]))
def test_a_command_runs_only_on_the_version_the_caller_expected(expected: int, face: str) -> None:
    sync, store, awf, astore, _ = pair()

    async def go() -> None:
        if face == "sync":
            c = sync.acknowledge(sync.receive("the kettle leaks", customer_id="C-1",
                                              channel="hotline"), actor="agent-7")
            run = lambda: sync.investigate(c, actor="agent-7", finding=finding(),  # noqa: E731
                                           expected_version=expected)
            load = lambda: store.get(c.id)  # noqa: E731
        else:
            c = await awf.acknowledge(await awf.receive("the kettle leaks", customer_id="C-1",
                                                        channel="hotline"), actor="agent-7")

            async def arun() -> cf.Complaint:
                return await awf.investigate(c, actor="agent-7", finding=finding(),
                                             expected_version=expected)

            async def aload() -> cf.Complaint:
                return await astore.get(c.id)

        if expected == c.version:
            done = run() if face == "sync" else await arun()
            assert done.version == c.version + 1
        else:
            with pytest.raises(cf.ConcurrencyError) as caught:
                run() if face == "sync" else await arun()
            assert (caught.value.expected, caught.value.actual) == (expected, c.version)
            assert f"version {expected}" in str(caught.value)
            assert (load() if face == "sync" else await aload()) == c

    asyncio.run(go())


@pytest.mark.parametrize("bad", [-1, True, "2", 2.0])
def test_a_malformed_expected_version_is_a_validation_error(bad: Any) -> None:
    sync, *_ = pair()
    c = sync.receive("the kettle leaks", customer_id="C-1", channel="hotline")
    with pytest.raises(cf.ValidationError, match="expected_version"):
        sync.fire(c, "acknowledge", actor="agent-7", expected_version=bad)


def test_a_stale_complaint_loses_to_the_store_even_with_the_right_expected_version() -> None:
    """``expected_version`` checks the caller's copy; the store's optimistic check still
    refuses a copy that another command has overtaken."""
    _, _, face, _, _ = pair()

    async def go() -> None:
        c = await face.receive("the kettle leaks", customer_id="C-1", channel="hotline")
        await face.acknowledge(c, actor="agent-7")
        with pytest.raises(cf.ConcurrencyError):
            await face.acknowledge(c, actor="agent-8", expected_version=c.version)

    asyncio.run(go())


# -- any async store ---------------------------------------------------------------------------
class _Yielding:
    """An async store of an integrator's own: every call yields to the loop first."""

    def __init__(self) -> None:
        self.sync = MemoryStore()
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.sync, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            await asyncio.sleep(0)
            return method(*args, **kwargs)

        return call


def test_any_object_with_the_async_store_methods_serves_the_async_face() -> None:
    store = _Yielding()
    face = cf.AsyncWorkflow(store=store, clock=cf.FrozenClock(T0))  # type: ignore[arg-type]

    async def go() -> tuple[cf.Complaint, cf.Complaint]:
        c = await face.receive("the kettle leaks", customer_id="C-1", channel="hotline",
                               sku="KT-1")
        first = await face.acknowledge(c, actor="agent-7")
        again = await face.receive("the kettle leaks again", customer_id="C-1",
                                   channel="wechat")
        return first, again

    first, _ = asyncio.run(go())
    assert store.sync.get(first.id) == first
    assert {"intake_summary", "add", "save"} <= set(store.calls)


def test_many_commands_at_once_each_succeed_or_lose_cleanly() -> None:
    _, _, face, _, _ = pair()

    async def go() -> list[Any]:
        c = await face.receive("the kettle leaks", customer_id="C-1", channel="hotline")
        return await asyncio.gather(
            *(face.message(c, text=f"any news? {n}") for n in range(20)),
            return_exceptions=True)

    results = asyncio.run(go())
    wins = [r for r in results if isinstance(r, cf.Complaint)]
    assert len(wins) == 1  # each loaded at version 1; the first commit wins
    assert all(isinstance(r, cf.ConcurrencyError) for r in results if r not in wins)


def test_the_async_face_takes_the_workflows_default_market() -> None:
    async def go() -> tuple[cf.Complaint, cf.Complaint]:
        wf = cf.AsyncWorkflow(clock=cf.FrozenClock(T0), store=AsyncMemoryStore(), market="GB")
        home = await wf.receive("the kettle leaks", customer_id="C-1", channel="hotline",
                                amount=cf.Money("30.00", "GBP"))
        away = await wf.receive("the kettle leaks", customer_id="C-2", channel="hotline",
                                market="US")
        return home, away

    home, away = asyncio.run(go())
    assert (home.market, home.currency) == ("GB", "GBP")
    assert (away.market, away.currency) == ("US", "USD")
    with pytest.raises(cf.ValidationError, match="market"):
        cf.AsyncWorkflow(market="XX")
