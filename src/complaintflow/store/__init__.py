"""Where complaints live: one ``Store`` protocol, several backends.

``MemoryStore`` (in-process), ``SQLiteStore`` (one file, the embedded default) and
``SQLStore`` (SQLAlchemy Core; PostgreSQL is the reference server, installed with
``pip install 'complaintflow[sql]'``). ``SQLStore`` and ``sql_tables`` import SQLAlchemy
only when first used.

Every store writes only true records (:func:`check_record`: the state is the fold of the
history; ids and texts within :data:`MAX_ID_LENGTH`, :data:`ID_ALPHABET`,
:data:`MAX_KEY_LENGTH` and :data:`MAX_TEXT_LENGTH`), keeps a transactional outbox that
several relays can share (``claim_outbox``, ``release_outbox``, ``dead_letter``), and
raises :class:`~complaintflow.exceptions.OperationalError` (retryable) or
:class:`~complaintflow.exceptions.IntegrityError` when the database says no. A store of
your own passes :class:`complaintflow.testing.StoreConformance`.

For async code (``cf.AsyncWorkflow``): ``AsyncSQLStore(url)`` (SQLAlchemy's asyncio
engine: psycopg 3 async for PostgreSQL, aiosqlite for SQLite; ``pip install
'complaintflow[async]'``, imported only when first used), ``AsyncSQLiteStore(path)`` (the
SQLite store's own files, each call in a worker thread) and ``AsyncMemoryStore()``, all
one ``AsyncStore`` protocol: the ``Store`` methods, awaited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from complaintflow._erasure import erase_complaint
from complaintflow._events import pseudonym
from complaintflow.store._async import AsyncMemoryStore, AsyncSQLiteStore, AsyncStore
from complaintflow.store._base import (
    DEFAULT_LEASE,
    ID_ALPHABET,
    MAX_ID_LENGTH,
    MAX_KEY_LENGTH,
    MAX_TEXT_LENGTH,
    DeadLetter,
    NotFound,
    OutboxItem,
    Store,
    check_erasure,
    check_record,
)
from complaintflow.store._memory import MemoryStore
from complaintflow.store._retry import retry
from complaintflow.store._schema import LATEST as SCHEMA_VERSION
from complaintflow.store._sqlite import SQLiteStore

if TYPE_CHECKING:
    from complaintflow.store._async_sql import AsyncSQLStore
    from complaintflow.store._sql import SQLStore, Tables, sql_tables

__all__ = [
    "DEFAULT_LEASE",
    "ID_ALPHABET",
    "MAX_ID_LENGTH",
    "MAX_KEY_LENGTH",
    "MAX_TEXT_LENGTH",
    "SCHEMA_VERSION",
    "AsyncMemoryStore",
    "AsyncSQLStore",
    "AsyncSQLiteStore",
    "AsyncStore",
    "DeadLetter",
    "MemoryStore",
    "NotFound",
    "OutboxItem",
    "SQLStore",
    "SQLiteStore",
    "Store",
    "Tables",
    "check_erasure",
    "check_record",
    "erase_complaint",
    "pseudonym",
    "retry",
    "sql_tables",
]

_LAZY = frozenset({"SQLStore", "Tables", "sql_tables"})


def __getattr__(name: str) -> Any:
    if name == "AsyncSQLStore":
        from complaintflow.store import _async_sql

        return _async_sql.AsyncSQLStore
    if name in _LAZY:
        from complaintflow.store import _sql

        return getattr(_sql, name)
    raise AttributeError(f"module 'complaintflow.store' has no attribute {name!r}")
