"""The database layout shared by the SQL stores, its version and forward migrations.

Tables (``cf_`` is the default prefix):

``cf_schema``
    One row: the layout version of this database. A library older than the database
    refuses to open it (:class:`~complaintflow.exceptions.SchemaVersionError`).
``cf_complaints``
    One current-state row per complaint (state, version, the fields reports and policies
    filter on, the next deadline, the sweep's claim), written in the same transaction as
    the events. Derived data: it can always be rebuilt from ``cf_events``.
``cf_events``
    The append-only history, keyed by ``(complaint_id, seq)``. The source of truth.
``cf_outbox``
    One row per committed event, in the same transaction, with the payload a relay
    publishes; ``published`` is set by ``mark_published``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["LATEST", "SQLITE_MIGRATIONS", "TABLES"]

#: The layout version this complaintflow writes and understands.
LATEST: Final = 1

#: Table names without their prefix.
TABLES: Final = ("schema", "complaints", "events", "outbox")

_SQLITE_V1: Final = (
    """CREATE TABLE cf_schema (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
    )""",
    """CREATE TABLE cf_complaints (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        customer_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        received_at TEXT NOT NULL,
        order_id TEXT,
        sku TEXT,
        batch TEXT,
        store TEXT,
        region TEXT,
        brand TEXT,
        category TEXT NOT NULL,
        dimension TEXT NOT NULL,
        severity INTEGER NOT NULL,
        scope TEXT NOT NULL,
        tier TEXT NOT NULL,
        is_open INTEGER NOT NULL,
        next_due TEXT,
        updated_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until TEXT
    )""",
    """CREATE TABLE cf_events (
        complaint_id TEXT NOT NULL REFERENCES cf_complaints (id),
        seq INTEGER NOT NULL CHECK (seq >= 1),
        name TEXT NOT NULL,
        v INTEGER NOT NULL,
        at TEXT NOT NULL,
        actor TEXT,
        data TEXT NOT NULL,
        PRIMARY KEY (complaint_id, seq)
    ) WITHOUT ROWID""",
    """CREATE TABLE cf_outbox (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        complaint_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        published INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX cf_complaints_due ON cf_complaints (next_due) WHERE next_due IS NOT NULL",
    "CREATE INDEX cf_complaints_customer ON cf_complaints (customer_id, received_at)",
    "CREATE INDEX cf_complaints_sku ON cf_complaints (sku, received_at)",
    "CREATE INDEX cf_complaints_batch ON cf_complaints (batch, received_at)",
    "CREATE INDEX cf_complaints_order ON cf_complaints (order_id, received_at)",
    "CREATE INDEX cf_complaints_brand ON cf_complaints (brand, received_at)",
    "CREATE INDEX cf_complaints_received ON cf_complaints (received_at)",
    "CREATE INDEX cf_complaints_report ON cf_complaints (region, store, category)",
    "CREATE INDEX cf_complaints_state ON cf_complaints (state)",
    "CREATE INDEX cf_outbox_pending ON cf_outbox (position) WHERE published = 0",
)

#: SQLite statements that bring a database from version ``n - 1`` to ``n``.
SQLITE_MIGRATIONS: Final[Mapping[int, tuple[str, ...]]] = {1: _SQLITE_V1}
