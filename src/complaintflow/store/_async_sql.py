"""Complaints in a SQL database from async code: :class:`SQLStore` on SQLAlchemy's asyncio
engine (psycopg 3 async for PostgreSQL, ``aiosqlite`` for SQLite). Imported only when
``AsyncSQLStore`` is first used."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any, Final, Self

from complaintflow.exceptions import StoreError, ValidationError
from complaintflow.store._async import Opened, Opening
from complaintflow.store._base import Store

_EXTRA: Final = "AsyncSQLStore needs SQLAlchemy's asyncio support: pip install 'complaintflow[async]'"

try:
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
    from sqlalchemy.util import await_only, greenlet_spawn

    from complaintflow.store._sql import SQLStore, _real_transactions, _safe
except ImportError as _exc:  # pragma: no cover - exercised without the extra installed
    raise StoreError(_EXTRA) from _exc

__all__ = ["AsyncSQLStore"]

#: Sync drivers and the async driver that replaces each (a bare scheme means the first).
_ASYNC_DRIVERS: Final = {
    "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg", "postgresql+psycopg2": "postgresql+psycopg",
    "sqlite": "sqlite+aiosqlite", "sqlite+pysqlite": "sqlite+aiosqlite",
}


def _async_url(url: str) -> str:
    """``url`` with an async driver: ``postgresql://`` means psycopg 3 (async),
    ``sqlite://`` means aiosqlite; a URL naming an async driver is kept."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    return f"{_ASYNC_DRIVERS.get(scheme, scheme)}://{rest}"


def _engine_for(url: str | AsyncEngine) -> AsyncEngine:
    if isinstance(url, AsyncEngine):
        return url
    if not isinstance(url, str) or not url:
        raise ValidationError("url", f"expected a database URL or a SQLAlchemy AsyncEngine, "
                                     f"got {url!r}")
    url = _async_url(url)
    try:
        engine = create_async_engine(url, pool_pre_ping=True)
    except ImportError as exc:
        raise StoreError(f"{_EXTRA} ({exc})") from exc
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, sa_exc.InvalidRequestError) as exc:
        raise StoreError(f"cannot use database URL {_safe(url)!r}: {exc}") from exc
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "aiosqlite":
        # as for pysqlite: SQLAlchemy, not the driver, begins transactions
        _real_transactions(engine.sync_engine)
    return engine


class _Shared:
    """An open batch of an :class:`AsyncSQLStore`: what the sync store's ``batch()`` holds
    (its connection), seen by the task that opened it and the tasks it starts there, and
    the lock that lets one call at a time use that connection."""

    def __init__(self) -> None:
        self.slots: dict[str, Any] = {}
        self.lock = asyncio.Lock()
        self.open = True


def _open_batch(batch: contextvars.ContextVar[_Shared | None]) -> _Shared | None:
    """The batch the caller is in (the context's, while it is open), if any."""
    shared = batch.get()
    return shared if shared is not None and shared.open else None


class _TaskLocal:
    """``threading.local``'s role for the sync store on the bridge: every command runs on
    the event loop's thread, so what one command's ``batch()`` holds (its connection) is
    kept per asyncio task, never seen by the commands of other tasks; inside an open
    :meth:`AsyncSQLStore.batch`, by the batch (its tasks share it)."""

    def __init__(self, batch: contextvars.ContextVar[_Shared | None]) -> None:
        object.__setattr__(self, "_by_task", weakref.WeakKeyDictionary())
        object.__setattr__(self, "_batch", batch)

    def _mine(self) -> dict[str, Any]:
        shared = _open_batch(object.__getattribute__(self, "_batch"))
        if shared is not None:
            return shared.slots
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - the bridge always runs inside a task
            raise StoreError("the async store is used outside a task")
        by_task: weakref.WeakKeyDictionary[asyncio.Task[Any], dict[str, Any]] = (
            object.__getattribute__(self, "_by_task"))
        return by_task.setdefault(task, {})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mine()[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._mine()[name] = value


class _OneAtATime:
    """The sync store as the async workflow's commands see it (inside the bridge): inside
    an open batch each call waits for the batch's connection to be free, so commands
    that tasks of one batch run side by side take turns on it."""

    def __init__(self, store: SQLStore, batch: contextvars.ContextVar[_Shared | None]) -> None:
        self._store = store
        self._batch = batch

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if not callable(found) or name == "batch":
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            shared = _open_batch(self._batch)
            if shared is None:
                return found(*args, **kwargs)
            await_only(shared.lock.acquire())
            try:
                return found(*args, **kwargs)
            finally:
                shared.lock.release()

        return call


class AsyncSQLStore(Opened[SQLStore]):
    """:class:`~complaintflow.store.SQLStore` for async code, on SQLAlchemy's asyncio engine.

    ``url_or_engine`` is a URL (``postgresql+psycopg://user@host/db``; a bare
    ``postgresql://`` means psycopg 3, used async; ``sqlite+aiosqlite:///file.db``, and a
    bare ``sqlite:///`` means aiosqlite) or your own ``AsyncEngine``. The keyword
    arguments are :class:`SQLStore`'s: the same tables, the same statements, the same
    checks and errors. A database written by either store is read by the other.

    The store opens (and creates or migrates the tables) on first use, or at
    ``await store.open()``; ``async with AsyncSQLStore(url) as store:`` closes it at the
    end. Every database round trip is awaited: nothing blocks the event loop.
    """

    def __init__(self, url_or_engine: str | AsyncEngine, *, metadata: sa.MetaData | None = None,
                 prefix: str = "cf_", schema: str | None = None, create: bool = True,
                 include_personal: bool = True, pseudonym_key: bytes | None = None) -> None:
        self.engine = _engine_for(url_or_engine)
        self._owns_engine = not isinstance(url_or_engine, AsyncEngine)
        self._options: dict[str, Any] = {"metadata": metadata, "prefix": prefix,
                                         "schema": schema, "create": create,
                                         "include_personal": include_personal,
                                         "pseudonym_key": pseudonym_key}
        self._opening: Opening[SQLStore] = Opening()
        # the open batch, seen by the code inside the block and the tasks it starts (a
        # task starts with a copy of its creator's context)
        self._batch: contextvars.ContextVar[_Shared | None] = contextvars.ContextVar(
            "complaintflow_sql_batch", default=None)

    def __repr__(self) -> str:
        return f"AsyncSQLStore({_safe(self.engine.url.render_as_string())!r})"

    async def _open(self) -> SQLStore:
        try:
            sync = await greenlet_spawn(SQLStore, self.engine.sync_engine, **self._options)
        except BaseException:
            if self._owns_engine:  # nothing is left open on a refusal
                await self.engine.dispose()
            raise
        # a batch (a follow-up and its link, an erasure) belongs to its task
        sync._local = _TaskLocal(self._batch)  # type: ignore[assignment]
        return sync

    @property
    def tables(self) -> Any:
        """The store's :class:`~complaintflow.store.Tables` (once it is open)."""
        if self._sync is None:
            raise StoreError(f"{self!r} is not open yet: await store.open() first")
        return self._sync.tables

    async def _run(self, call: Callable[[], Any]) -> Any:
        shared = _open_batch(self._batch)
        if shared is not None:  # inside a batch: one call at a time
            async with shared.lock:
                return await greenlet_spawn(call)
        return await greenlet_spawn(call)

    async def _greenlet_store(self) -> Store | None:
        return _OneAtATime(await self._store(), self._batch)

    @contextlib.asynccontextmanager
    async def batch(self) -> AsyncIterator[Self]:
        """Commit every write made inside the block at once, when it ends; roll them all
        back when the block raises (or is cancelled), as :meth:`SQLStore.batch` does. The
        batch holds one connection until it ends: the calls of the task that opened it,
        and of tasks it starts there (``asyncio.gather``), run on it one at a time; other
        tasks use their own connections and see the batch once it has committed. A batch
        inside a batch joins the outer one."""
        store = await self._store()
        if _open_batch(self._batch) is not None:
            yield self  # nested: joined
            return
        shared = _Shared()
        token = self._batch.set(shared)
        block = store.batch()
        try:
            await _locked(shared, block.__enter__)
            try:
                yield self
            except BaseException as exc:
                await _locked(shared, block.__exit__, type(exc), exc, exc.__traceback__)
                raise
            await _locked(shared, block.__exit__, None, None, None)
        finally:
            shared.open = False
            with contextlib.suppress(ValueError):  # left in another context
                self._batch.reset(token)

    async def close(self) -> None:
        """Release the connection pool (when the store made the engine)."""
        if self._owns_engine:
            await self.engine.dispose()


async def _locked(shared: _Shared, fn: Callable[..., Any], *args: Any) -> Any:
    """Begin or end a batch on its connection, when no call of the batch is using it. A
    cancelled task still lets it finish (a half-begun or half-ended batch would keep its
    connection)."""

    async def run() -> Any:
        async with shared.lock:
            return await greenlet_spawn(fn, *args)

    step = asyncio.ensure_future(run())  # a task with a copy of this context: the batch's
    try:
        return await asyncio.shield(step)
    except asyncio.CancelledError:
        await asyncio.wait([step])
        raise
