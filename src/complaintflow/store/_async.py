"""Async stores: the ``AsyncStore`` protocol, and async faces over the sync backends.

An async store does no blocking I/O on the event loop. Each one here runs the very code
of a sync backend (the same statements, checks, loading and error mapping), so a change
to a sync store carries over:

- :class:`AsyncSQLStore` (``complaintflow.store._async_sql``) runs :class:`SQLStore` on
  SQLAlchemy's asyncio engine; the database I/O is awaited through SQLAlchemy's greenlet
  bridge (the way its own ``AsyncSession`` runs the ORM);
- :class:`AsyncSQLiteStore` runs :class:`SQLiteStore` in worker threads (the stdlib
  ``sqlite3`` module releases the GIL while the database works), so it opens the very
  files the command line writes;
- :class:`AsyncMemoryStore` is :class:`MemoryStore` behind ``await`` (it does no I/O).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, Self, TypeVar, runtime_checkable

from complaintflow._complaint import Complaint
from complaintflow.store._base import DEFAULT_LEASE, DeadLetter, OutboxItem, Store
from complaintflow.store._memory import MemoryStore
from complaintflow.store._sqlite import SQLiteStore

__all__ = ["AsyncMemoryStore", "AsyncSQLiteStore", "AsyncStore", "Bridged", "Opened",
           "materialized"]


def materialized(value: Any) -> Any:
    """``value`` (a complaint, or a sequence of them) with every history read into memory.

    A sync store may hand out complaints whose older events are read on first access;
    on the async face that read would happen later, outside the bridge (on the event
    loop, or after the store is closed), so the async stores and workflow read them
    while they still can, in the same call."""
    if isinstance(value, Complaint):
        history = value.history
        if not getattr(history, "loaded", True) and len(history):
            history[0]  # reads (and keeps) the stored prefix
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, Complaint):
                materialized(item)
    return value


@runtime_checkable
class AsyncStore(Protocol):
    """The :class:`~complaintflow.store.Store` protocol, awaited: every method a
    coroutine with the same arguments, results and errors."""

    async def add(self, complaint: Complaint) -> Complaint: ...

    async def get(self, complaint_id: str) -> Complaint: ...

    async def save(self, complaint: Complaint) -> Complaint: ...

    async def due(self, now: datetime, limit: int = 100) -> Sequence[Complaint]: ...

    async def claim_due(self, now: datetime, limit: int = 100, worker: str = "worker", *,
                        lease: timedelta = DEFAULT_LEASE) -> Sequence[Complaint]: ...

    async def pending(self, limit: int = 100) -> Sequence[OutboxItem]: ...

    async def mark_published(self, ids: Iterable[str], *, worker: str | None = None) -> None: ...

    async def recent(
        self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
        batch: str | None = None, order_id: str | None = None, brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]: ...

    async def counts(self, by: str, *, since: datetime | None = None,
                     until: datetime | None = None) -> dict[str | None, int]: ...


_S = TypeVar("_S")


class Opening(Generic[_S]):
    """A sync store opened on first use, once, even when several tasks ask at the same
    moment (the async stores' ``open``)."""

    def __init__(self) -> None:
        self.store: _S | None = None
        self._lock: asyncio.Lock | None = None

    async def get(self, make: Callable[[], Awaitable[_S]]) -> _S:
        """The open store: ``await make()`` the first time."""
        if self.store is None:
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                if self.store is None:
                    self.store = await make()
        return self.store


class Bridged:
    """An async store that runs a sync one: each method awaits :meth:`_call`, which each
    backend implements (greenlet bridge, worker thread, or a plain call)."""

    async def _call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def _greenlet_store(self) -> Store | None:
        """The sync store to use inside SQLAlchemy's greenlet bridge (where the async face
        runs the workflow), or ``None`` when it must be awaited call by call."""
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release what the store holds (connections, pool)."""

    # -- the Store protocol, awaited ---------------------------------------------------------
    async def add(self, complaint: Complaint) -> Complaint:
        """Store a new complaint (see :meth:`Store.add`)."""
        out: Complaint = await self._call("add", complaint)
        return out

    async def get(self, complaint_id: str) -> Complaint:
        """The stored complaint; :class:`~complaintflow.NotFound` if unknown."""
        out: Complaint = await self._call("get", complaint_id)
        return out

    async def save(self, complaint: Complaint) -> Complaint:
        """Append the new events; :class:`~complaintflow.ConcurrencyError` when stale."""
        out: Complaint = await self._call("save", complaint)
        return out

    async def due(self, now: datetime, limit: int = 100) -> Sequence[Complaint]:
        """Complaints whose next deadline (or warning) is at or before ``now``."""
        out: Sequence[Complaint] = await self._call("due", now, limit)
        return out

    async def claim_due(self, now: datetime, limit: int = 100, worker: str = "worker", *,
                        lease: timedelta = DEFAULT_LEASE) -> Sequence[Complaint]:
        """Like :meth:`due`, reserving what it returns for ``worker``."""
        out: Sequence[Complaint] = await self._call("claim_due", now, limit, worker, lease=lease)
        return out

    async def pending(self, limit: int = 100) -> Sequence[OutboxItem]:
        """Committed events not yet published, oldest first."""
        out: Sequence[OutboxItem] = await self._call("pending", limit)
        return out

    async def mark_published(self, ids: Iterable[str], *, worker: str | None = None) -> None:
        """Take published events out of the pending outbox."""
        await self._call("mark_published", list(ids) if not isinstance(ids, str) else ids,
                         worker=worker)

    async def claim_outbox(self, worker: str, limit: int = 100, *,
                           lease: timedelta = DEFAULT_LEASE,
                           now: datetime | None = None) -> Sequence[OutboxItem]:
        """Reserve up to ``limit`` pending items for ``worker``."""
        out: Sequence[OutboxItem] = await self._call("claim_outbox", worker, limit, lease=lease,
                                                     now=now)
        return out

    async def release_outbox(self, ids: Iterable[str], *, worker: str) -> None:
        """Give back ``worker``'s claims on ``ids`` unpublished."""
        await self._call("release_outbox", list(ids) if not isinstance(ids, str) else ids,
                         worker=worker)

    async def dead_letter(self, item_id: str, reason: str, *, worker: str | None = None,
                          now: datetime | None = None) -> None:
        """Stop trying to publish ``item_id``."""
        await self._call("dead_letter", item_id, reason, worker=worker, now=now)

    async def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        """The dead-lettered items, in outbox order."""
        out: Sequence[DeadLetter] = await self._call("dead_letters", limit)
        return out

    async def outbox_backlog(self) -> int:
        """How many items are pending."""
        out: int = await self._call("outbox_backlog")
        return out

    async def recent(
        self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
        batch: str | None = None, order_id: str | None = None, brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]:
        """Complaints received at or after ``since`` matching every given filter."""
        out: Sequence[Complaint] = await self._call(
            "recent", since=since, customer_id=customer_id, sku=sku, batch=batch,
            order_id=order_id, brand=brand, limit=limit)
        return out

    async def counts(self, by: str, *, since: datetime | None = None,
                     until: datetime | None = None) -> dict[str | None, int]:
        """How many complaints share each value of ``by``."""
        out: dict[str | None, int] = await self._call("counts", by, since=since, until=until)
        return out

    async def intake_summary(self, **query: Any) -> Any:
        """What intake needs about recent complaints, aggregated by the store (see the
        sync store's ``intake_summary``)."""
        return await self._call("intake_summary", **query)

    async def erase(self, complaints: Sequence[Complaint], *, published: bool = True
                    ) -> Sequence[Complaint]:
        """Write erased complaints in one transaction (see :meth:`Store.erase`); the
        workflow's ``erase`` calls it."""
        out: Sequence[Complaint] = await self._call("erase", complaints, published=published)
        return out


class AsyncMemoryStore(Bridged):
    """:class:`~complaintflow.store.MemoryStore` behind ``await``: for tests and demos.

    ``store`` is the sync store it serves (a new one by default): what one face writes,
    the other reads.

    ``async with store.batch():`` keeps the writes made inside the block together, as
    :meth:`MemoryStore.batch` does: when the block raises, every write made in it is
    undone. While a batch is open, the calls of the task that opened it, and of tasks it
    starts there (``asyncio.gather``), run in it; other tasks' calls wait for it to end,
    so undoing the batch never undoes their writes. (Writes made on the sync ``store``
    directly meanwhile are not held back: use one face at a time.)
    """

    def __init__(self, store: MemoryStore | None = None, *, include_personal: bool = True,
                 pseudonym_key: bytes | None = None) -> None:
        self.sync = store if store is not None else MemoryStore(
            include_personal=include_personal, pseudonym_key=pseudonym_key)
        # the open batch (set when it ends), and the batch seen by the code inside the
        # block and the tasks it starts (a task starts with a copy of its creator's context)
        self._open: asyncio.Event | None = None
        self._inside: contextvars.ContextVar[asyncio.Event | None] = contextvars.ContextVar(
            "complaintflow_memory_batch", default=None)

    def __repr__(self) -> str:
        return "AsyncMemoryStore()"

    async def _my_turn(self) -> None:
        """Wait until no batch but the caller's own is open (at once when none is)."""
        while self._open is not None and self._inside.get() is not self._open:
            await self._open.wait()

    async def _call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        await self._my_turn()
        return materialized(getattr(self.sync, name)(*args, **kwargs))

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Self]:
        """Keep the writes made inside the block only if it ends without raising (or
        being cancelled). A batch inside a batch joins the outer one."""
        if self._open is not None and self._inside.get() is self._open:
            yield self  # nested: joined
            return
        await self._my_turn()
        ended = self._open = asyncio.Event()
        token = self._inside.set(ended)
        try:
            with self.sync.batch():
                yield self
        finally:
            self._open = None
            ended.set()
            with contextlib.suppress(ValueError):  # left in another context
                self._inside.reset(token)


class _OpenedSync(Protocol):
    """What :class:`Opened` needs of the sync store it opens."""

    schema_version: int

    def verify(self) -> list[str]: ...


_O = TypeVar("_O", bound=_OpenedSync)


class Opened(Bridged, Generic[_O]):
    """An async store over a sync one it opens on first use, once (``await open()`` opens it
    now), and calls away from the event loop: each backend says how it opens the sync store
    (:meth:`_open`) and where a call runs (:meth:`_run`)."""

    _opening: Opening[_O]

    @property
    def _sync(self) -> _O | None:
        return self._opening.store

    async def open(self) -> Self:
        """Open the store now (the first call does otherwise); returns the store."""
        await self._store()
        return self

    async def _store(self) -> _O:
        return await self._opening.get(self._open)

    async def _open(self) -> _O:
        raise NotImplementedError

    async def _run(self, call: Callable[[], Any]) -> Any:
        """Run ``call`` (a call of the sync store) where it does not block the loop."""
        raise NotImplementedError

    @property
    def schema_version(self) -> int | None:
        """The layout version of the open store (``None`` before it is opened)."""
        return None if self._sync is None else self._sync.schema_version

    async def _call(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        method = getattr(await self._store(), name)
        return await self._run(lambda: materialized(method(*args, **kwargs)))

    async def verify(self) -> list[str]:
        """Problems in the stored data (see the sync store's ``verify``); empty when
        consistent."""
        out: list[str] = await self._call("verify")
        return out


class _Batch:
    """An open batch of an :class:`AsyncSQLiteStore`: the thread it runs on."""

    def __init__(self) -> None:
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="complaintflow-batch")
        self.open = True


class AsyncSQLiteStore(Opened[SQLiteStore]):
    """:class:`~complaintflow.store.SQLiteStore` awaited: the same file format (a file
    either store wrote, the other opens), each call run in a worker thread so the event
    loop never waits for the disk. Opened on first use (or ``await store.open()``);
    the keyword arguments are :class:`SQLiteStore`'s.

    ``async with store.batch():`` keeps the writes made inside the block together, as
    :meth:`SQLiteStore.batch` does (an :class:`~complaintflow.AsyncWorkflow` writes a
    follow-up and its link in one): the batch runs on a thread of its own, and every call
    made inside the block, by the task or by tasks it starts there
    (``asyncio.gather``), runs on that thread; other tasks' calls wait for the batch to
    end, in their worker threads, not on the event loop.
    """

    def __init__(self, path: str | os.PathLike[str], *, include_personal: bool = True,
                 synchronous: str = "FULL", timeout: float = 30.0,
                 pseudonym_key: bytes | None = None) -> None:
        self.path = os.fspath(path)
        self._options: dict[str, Any] = {"include_personal": include_personal,
                                         "synchronous": synchronous, "timeout": timeout,
                                         "pseudonym_key": pseudonym_key}
        self._opening: Opening[SQLiteStore] = Opening()
        # the open batch, seen by the code inside the block and the tasks it starts (a
        # task starts with a copy of its creator's context)
        self._batch: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar(
            "complaintflow_sqlite_batch", default=None)

    def __repr__(self) -> str:
        return f"AsyncSQLiteStore({self.path!r})"

    async def _open(self) -> SQLiteStore:
        return await asyncio.to_thread(SQLiteStore, self.path, **self._options)

    async def _run(self, call: Callable[[], Any]) -> Any:
        batch = self._batch.get()
        if batch is not None and batch.open:  # inside a batch: on the batch's thread
            return await asyncio.get_running_loop().run_in_executor(batch.thread, call)
        return await asyncio.to_thread(call)

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Self]:
        """Commit every write made inside the block at once, when it ends; roll them all
        back when the block raises (or is cancelled). A batch inside a batch joins the
        outer one."""
        store = await self._store()
        outer = self._batch.get()
        if outer is not None and outer.open:
            yield self  # nested: joined
            return
        loop = asyncio.get_running_loop()
        batch = _Batch()
        block = store.batch()
        # the batch begins, runs and ends on its thread (the store's lock is held there);
        # work queued on it runs in order, so what is queued after the start always runs
        started = loop.run_in_executor(batch.thread, block.__enter__)
        token: contextvars.Token[_Batch | None] | None = None
        try:
            try:
                await asyncio.shield(started)
            except asyncio.CancelledError:
                batch.thread.submit(_leave, block, asyncio.CancelledError())
                raise
            token = self._batch.set(batch)
            try:
                yield self
            except BaseException as exc:
                batch.open = False
                await _finish(loop.run_in_executor(batch.thread, _leave, block, exc))
                raise
            batch.open = False
            await _finish(loop.run_in_executor(batch.thread, _commit, block))
        finally:
            batch.open = False
            if token is not None:
                with contextlib.suppress(ValueError):  # left in another context
                    self._batch.reset(token)
            batch.thread.shutdown(wait=False)

    async def close(self) -> None:
        """Close the file (the store cannot be used afterwards)."""
        if self._sync is not None:
            await asyncio.to_thread(self._sync.close)


def _commit(block: contextlib.AbstractContextManager[Any]) -> None:
    """End a batch that ran through: everything it wrote is committed (or it raises)."""
    block.__exit__(None, None, None)


def _leave(block: contextlib.AbstractContextManager[Any], exc: BaseException) -> None:
    """End a batch with ``exc``: everything it wrote is rolled back."""
    with contextlib.suppress(BaseException):
        block.__exit__(type(exc), exc, exc.__traceback__)


async def _finish(ending: asyncio.Future[Any]) -> None:
    """Wait for a batch's commit or rollback; a cancelled task still lets it finish (the
    thread ends the batch either way)."""
    try:
        await asyncio.shield(ending)
    except asyncio.CancelledError:
        await asyncio.wait([ending])
        raise
