"""Builders shared by the async tests: a workflow pair on one clock, and a blocking view of
an async store (an event loop in a thread of its own) for the store conformance suite."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import count
from typing import Any, TypeVar

import complaintflow as cf

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)

_T = TypeVar("_T")


def ids(prefix: str = "CF-") -> Any:
    """Complaint ids ``CF-00001``, ``CF-00002`` … (one counter per call)."""
    n = count(1)
    return lambda: f"{prefix}{next(n):05d}"


class LoopThread:
    """An event loop running in a thread of its own: sync code hands it coroutines."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)
        self.loop.close()


@contextmanager
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    try:
        yield lt
    finally:
        lt.stop()


class Blocking:
    """An async store seen by sync code: every method call runs on ``loop``'s thread and
    waits for its result (so the sync conformance suite drives the async store). A store
    with ``batch()`` has one here too: the calls a thread makes inside it run in the
    batch's context, as the calls of a task inside ``async with store.batch()`` do."""

    def __init__(self, store: Any, loop: LoopThread) -> None:
        self.astore = store
        self._loop = loop
        self._inside = threading.local()  # the context of this thread's open batch

    def __repr__(self) -> str:
        return f"Blocking({self.astore!r})"

    def _run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        context: contextvars.Context | None = getattr(self._inside, "context", None)
        if context is None:
            return self._loop.run(coro)

        async def inside() -> _T:
            return await asyncio.get_running_loop().create_task(coro, context=context)

        return self._loop.run(inside())

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.astore, name)
        if name == "batch" or not callable(found):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            out = found(*args, **kwargs)
            return self._run(out) if asyncio.iscoroutine(out) else out

        return call

    @property
    def batch(self) -> Any:
        if not hasattr(self.astore, "batch"):
            raise AttributeError("batch")
        return self._batch

    @contextmanager
    def _batch(self) -> Iterator[Blocking]:
        if getattr(self._inside, "context", None) is not None:
            yield self  # a batch inside a batch joins it
            return
        block = self.astore.batch()

        async def enter() -> contextvars.Context:
            await block.__aenter__()
            return contextvars.copy_context()

        self._inside.context = self._loop.run(enter())
        try:
            yield self
        except BaseException as exc:
            if not self._run(block.__aexit__(type(exc), exc, exc.__traceback__)):
                raise
        else:
            self._run(block.__aexit__(None, None, None))
        finally:
            self._inside.context = None


def finding() -> cf.Finding:
    return cf.Finding(cause="product_defect", party="supply_chain", evidence=("photo",))


def kettle(n: int) -> cf.Complaint:
    """A received complaint ``CF-00n`` of customer ``C-n``, made by a store-less workflow."""
    wf = cf.Workflow(clock=cf.FrozenClock(T0), ids=lambda: f"CF-{n:03d}")
    return wf.receive(f"kettle {n} leaks", customer_id=f"C-{n}", channel="app")
