"""Where complaints live: one ``Store`` protocol, several backends.

``MemoryStore`` (in-process), ``SQLiteStore`` (one file, the embedded default) and
``SQLStore`` (SQLAlchemy Core; PostgreSQL is the reference server, installed with
``pip install 'complaintflow[sql]'``). ``SQLStore`` and ``sql_tables`` import SQLAlchemy
only when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    check_record,
)
from complaintflow.store._memory import MemoryStore
from complaintflow.store._retry import retry
from complaintflow.store._schema import LATEST as SCHEMA_VERSION
from complaintflow.store._sqlite import SQLiteStore

if TYPE_CHECKING:
    from complaintflow.store._sql import SQLStore, Tables, sql_tables

__all__ = [
    "DEFAULT_LEASE",
    "ID_ALPHABET",
    "MAX_ID_LENGTH",
    "MAX_KEY_LENGTH",
    "MAX_TEXT_LENGTH",
    "SCHEMA_VERSION",
    "DeadLetter",
    "MemoryStore",
    "NotFound",
    "OutboxItem",
    "SQLStore",
    "SQLiteStore",
    "Store",
    "Tables",
    "check_record",
    "retry",
    "sql_tables",
]

_LAZY = frozenset({"SQLStore", "Tables", "sql_tables"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from complaintflow.store import _sql

        return getattr(_sql, name)
    raise AttributeError(f"module 'complaintflow.store' has no attribute {name!r}")
