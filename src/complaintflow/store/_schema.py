"""The database layout shared by the SQL stores, its version and forward migrations.

One neutral definition (:data:`SPEC`: tables, columns, indexes, each with the layout
version that added it) from which both stores are made: :func:`sqlite_ddl` writes the
SQLite statements here, and ``complaintflow.store._sql`` builds the SQLAlchemy tables from
the same spec. A column added once, with its ``since`` version, appears in both stores and
in both stores' forward migrations. This module imports nothing but the standard library.

Tables (``cf_`` is the default prefix):

``cf_schema``
    One row: the layout version of this database. A library older than the database
    refuses to open it (:class:`~complaintflow.exceptions.SchemaVersionError`).
``cf_complaints``
    One current-state row per complaint (state, version, the fields reports and policies
    filter on, the next deadline, the sweep's claim), written in the same transaction as
    the events. Derived data: it can always be rebuilt from ``cf_events``.
    Since version 3 it also holds the complaint's latest satisfaction score (for intake's
    risk summary) and its snapshot: the folded state (``snapshot``, see
    ``complaintflow.store._snapshot``) at ``snapshot_version``, so a load reads the
    snapshot and the events after it instead of the whole history.
``cf_events``
    The append-only history, keyed by ``(complaint_id, seq)``. The source of truth.
``cf_outbox``
    One row per committed event, in the same transaction, with the payload a relay
    publishes; ``published`` is set by ``mark_published``, ``claimed_by`` /
    ``claimed_until`` by ``claim_outbox`` (version 2), ``dead_reason`` / ``dead_at`` by
    ``dead_letter`` (version 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import attrs

__all__ = [
    "LATEST",
    "SPEC",
    "SQLITE_MIGRATIONS",
    "TABLES",
    "ColumnSpec",
    "IndexSpec",
    "TableSpec",
    "satisfaction_backfill",
    "sqlite_ddl",
    "sqlite_migration",
]

#: The layout version this complaintflow writes and understands.
LATEST: Final = 3

#: Column kinds; each store maps them to its own types.
Kind = Literal["key", "text", "doc", "int", "serial", "bool", "time", "json"]

#: How an index predicate tests a column (rendered per dialect).
Test = Literal["null", "not null", "false"]


@attrs.frozen
class ColumnSpec:
    """One column. ``length`` bounds ``text`` columns on servers that need a length;
    ``doc`` is unbounded text."""

    name: str
    kind: Kind
    nullable: bool = True
    length: int = 200
    primary_key: bool = False
    unique: bool = False
    references: str | None = None  # "<table>.<column>", table without prefix
    default_false: bool = False
    since: int = 1


@attrs.frozen
class IndexSpec:
    """A (possibly partial) index; ``where`` is a conjunction of ``(column, test)``."""

    name: str  # without prefix
    columns: tuple[str, ...]
    where: tuple[tuple[str, Test], ...] = ()
    since: int = 1
    until: int | None = None  # replaced (dropped) at this version


@attrs.frozen
class TableSpec:
    name: str  # without prefix
    columns: tuple[ColumnSpec, ...]
    indexes: tuple[IndexSpec, ...] = ()
    checks: tuple[tuple[str, str], ...] = ()  # (name suffix, SQL both dialects accept)
    sqlite_without_rowid: bool = False

    def columns_at(self, version: int) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.since <= version)

    def indexes_at(self, version: int) -> tuple[IndexSpec, ...]:
        return tuple(i for i in self.indexes
                     if i.since <= version and (i.until is None or version < i.until))


def _c(name: str, kind: Kind, **kw: object) -> ColumnSpec:
    return ColumnSpec(name, kind, **kw)  # type: ignore[arg-type]


_PENDING_V1: Final = (("published", "false"),)
_PENDING: Final = (("published", "false"), ("dead_at", "null"))

#: The whole layout, in creation order.
SPEC: Final = (
    TableSpec("schema", (
        _c("id", "int", nullable=False, primary_key=True),
        _c("version", "int", nullable=False),
    ), checks=(("one_row", "id = 1"),)),
    TableSpec("complaints", (
        _c("id", "key", nullable=False, primary_key=True),
        _c("state", "text", nullable=False, length=20),
        _c("version", "int", nullable=False),
        _c("customer_id", "key", nullable=False),
        _c("channel", "key", nullable=False),
        _c("received_at", "time", nullable=False),
        _c("order_id", "key"),
        _c("sku", "key"),
        _c("batch", "key"),
        _c("store", "key"),
        _c("region", "key"),
        _c("brand", "key"),
        _c("category", "key", nullable=False),
        _c("dimension", "key", nullable=False),
        _c("severity", "int", nullable=False),
        _c("scope", "text", nullable=False, length=20),
        _c("tier", "text", nullable=False, length=40),
        _c("is_open", "bool", nullable=False),
        _c("next_due", "time"),
        _c("updated_at", "time", nullable=False),
        _c("claimed_by", "key"),
        _c("claimed_until", "time"),
        _c("satisfaction", "int", since=3),
        _c("snapshot", "doc", since=3),
        _c("snapshot_version", "int", since=3),
    ), indexes=(
        # the sweep walks due complaints in (next_due, id) order: the index gives it
        IndexSpec("complaints_due", ("next_due",), (("next_due", "not null"),), until=3),
        IndexSpec("complaints_next_due", ("next_due", "id"), (("next_due", "not null"),),
                  since=3),
        # intake's summaries count within a window from these alone (covering indexes)
        IndexSpec("complaints_customer", ("customer_id", "received_at"), until=3),
        IndexSpec("complaints_customer_window", ("customer_id", "received_at", "satisfaction"),
                  since=3),
        IndexSpec("complaints_sku", ("sku", "received_at")),
        IndexSpec("complaints_batch", ("batch", "received_at")),
        IndexSpec("complaints_order", ("order_id", "received_at")),
        IndexSpec("complaints_brand", ("brand", "received_at"), until=3),
        IndexSpec("complaints_brand_window", ("brand", "received_at", "sku", "scope"), since=3),
        IndexSpec("complaints_received", ("received_at",)),
        IndexSpec("complaints_report", ("region", "store", "category")),
        IndexSpec("complaints_state", ("state",)),
    ), checks=(("version", "version >= 1"),)),
    TableSpec("events", (
        _c("complaint_id", "key", nullable=False, primary_key=True, references="complaints.id"),
        _c("seq", "int", nullable=False, primary_key=True),
        _c("name", "text", nullable=False, length=40),
        _c("v", "int", nullable=False),
        _c("at", "time", nullable=False),
        _c("actor", "key"),
        _c("data", "json", nullable=False),
    ), checks=(("seq", "seq >= 1"),), sqlite_without_rowid=True),
    TableSpec("outbox", (
        _c("position", "serial", nullable=False, primary_key=True),
        _c("event_id", "text", nullable=False, unique=True, length=250),
        _c("complaint_id", "key", nullable=False),
        _c("seq", "int", nullable=False),
        _c("payload", "json", nullable=False),
        _c("created_at", "time", nullable=False),
        _c("published", "bool", nullable=False, default_false=True),
        _c("claimed_by", "key", since=2),
        _c("claimed_until", "time", since=2),
        _c("dead_reason", "text", length=2000, since=2),
        _c("dead_at", "time", since=2),
    ), indexes=(
        IndexSpec("outbox_pending", ("position",), _PENDING_V1, until=2),
        IndexSpec("outbox_waiting", ("position",), _PENDING, since=2),
        IndexSpec("outbox_complaint", ("complaint_id", "position"), _PENDING, since=2),
        IndexSpec("outbox_dead", ("position",), (("dead_at", "not null"),), since=2),
    )),
)

#: Table names without their prefix.
TABLES: Final = tuple(t.name for t in SPEC)


def _table(name: str) -> TableSpec:
    return next(t for t in SPEC if t.name == name)


# -- SQLite ------------------------------------------------------------------------------------

_SQLITE_TYPES: Final[Mapping[str, str]] = {
    "key": "TEXT", "text": "TEXT", "doc": "TEXT", "int": "INTEGER", "serial": "INTEGER", "bool": "INTEGER",
    "time": "TEXT", "json": "TEXT",
}


def sqlite_predicate(where: tuple[tuple[str, Test], ...]) -> str:
    """A partial index's ``WHERE`` as SQLite writes it (booleans are 0 and 1)."""
    parts = []
    for col, test in where:
        parts.append({"null": f"{col} IS NULL", "not null": f"{col} IS NOT NULL",
                      "false": f"{col} = 0"}[test])
    return " AND ".join(parts)


def _sqlite_column(table: TableSpec, col: ColumnSpec, prefix: str) -> str:
    if col.kind == "serial":
        return f"{col.name} INTEGER PRIMARY KEY AUTOINCREMENT"
    out = f"{col.name} {_SQLITE_TYPES[col.kind]}"
    if not col.nullable:
        out += " NOT NULL"
    if col.unique:
        out += " UNIQUE"
    if col.default_false:
        out += " DEFAULT 0"
    if col.references is not None:
        ref_table, ref_col = col.references.split(".")
        out += f" REFERENCES {prefix}{ref_table} ({ref_col})"
    return out


def _sqlite_index(table: TableSpec, index: IndexSpec, prefix: str) -> str:
    sql = f"CREATE INDEX {prefix}{index.name} ON {prefix}{table.name} ({', '.join(index.columns)})"
    if index.where:
        sql += f" WHERE {sqlite_predicate(index.where)}"
    return sql


def sqlite_ddl(version: int = LATEST, prefix: str = "cf_") -> tuple[str, ...]:
    """The SQLite statements that create the layout of ``version`` in an empty database."""
    out: list[str] = []
    for table in SPEC:
        cols = table.columns_at(version)
        parts = [_sqlite_column(table, c, prefix) for c in cols]
        keys = [c.name for c in cols if c.primary_key and c.kind != "serial"]
        if keys:
            parts.append(f"PRIMARY KEY ({', '.join(keys)})")
        parts.extend(f"CONSTRAINT {prefix}{table.name}_{name} CHECK ({sql})"
                     for name, sql in table.checks)
        sql = f"CREATE TABLE {prefix}{table.name} (\n    " + ",\n    ".join(parts) + "\n)"
        if table.sqlite_without_rowid:
            sql += " WITHOUT ROWID"
        out.append(sql)
    for table in SPEC:
        out.extend(_sqlite_index(table, i, prefix) for i in table.indexes_at(version))
    return tuple(out)


def sqlite_migration(version: int, prefix: str = "cf_") -> tuple[str, ...]:
    """The SQLite statements that bring a database of ``version - 1`` to ``version``."""
    if version == 1:
        return sqlite_ddl(1, prefix)
    out: list[str] = []
    for table in SPEC:
        out.extend(f"DROP INDEX IF EXISTS {prefix}{i.name}" for i in table.indexes
                   if i.until == version)
        out.extend(f"ALTER TABLE {prefix}{table.name} ADD COLUMN "
                   f"{_sqlite_column(table, c, prefix)}"
                   for c in table.columns if c.since == version)
        out.extend(_sqlite_index(table, i, prefix) for i in table.indexes if i.since == version)
    out.extend(s.format(p=prefix) for s in _SQLITE_BACKFILL.get(version, ()))
    return tuple(out)


def satisfaction_backfill(complaints: str, events: str, extract: str) -> str:
    """The statement that fills version 3's ``satisfaction`` column from the events
    (``complaints``, ``events``: the tables' quoted names; ``extract``: the dialect's
    expression for ``e.data``'s ``satisfaction``)."""
    return (
        f"UPDATE {complaints} SET satisfaction = (SELECT {extract} FROM {events} e "
        f"WHERE e.complaint_id = {complaints}.id AND e.name = 'revisited' AND NOT EXISTS "
        f"(SELECT 1 FROM {events} r WHERE r.complaint_id = e.complaint_id "
        "AND r.name = 'reopened' AND r.seq > e.seq) ORDER BY e.seq DESC LIMIT 1) "
        f"WHERE EXISTS (SELECT 1 FROM {events} x WHERE x.complaint_id = {complaints}.id "
        "AND x.name = 'revisited')"
    )


#: Data steps after a version's layout changes, SQLite (``{p}``: the table prefix).
_SQLITE_BACKFILL: Final[Mapping[int, tuple[str, ...]]] = {
    3: (satisfaction_backfill("{p}complaints", "{p}events",
                              "json_extract(e.data, '$.satisfaction')"),),
}


#: SQLite statements that bring a database from version ``n - 1`` to ``n``.
SQLITE_MIGRATIONS: Final[Mapping[int, tuple[str, ...]]] = {
    n: sqlite_migration(n) for n in range(1, LATEST + 1)
}
