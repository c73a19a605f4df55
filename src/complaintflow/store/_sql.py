"""Complaints in a SQL server through SQLAlchemy Core 2.x; PostgreSQL (psycopg 3) is the
reference server. Imported only when ``SQLStore`` or ``sql_tables`` is first used."""

from __future__ import annotations

import sqlite3
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Self

import attrs

from complaintflow._clock import ensure_aware
from complaintflow._complaint import Complaint
from complaintflow._events import Event
from complaintflow.exceptions import (
    ComplaintflowError,
    IntegrityError,
    OperationalError,
    SchemaVersionError,
    StoreError,
    ValidationError,
)
from complaintflow.policies._recent import (
    INTAKE_LIMIT,
    IntakeSummary,
    SkuCount,
    asked,
    check_window,
)
from complaintflow.store._base import (
    DEFAULT_LEASE,
    RECENT_COLUMNS,
    STATE_COLUMNS,
    Closing,
    DeadLetter,
    NotFound,
    OutboxItem,
    Seen,
    Waiting,
    check_by,
    check_claim,
    check_erasure,
    check_erasures_given,
    check_ids,
    check_limit,
    check_outbox_claim,
    check_reason,
    check_record,
    check_worker,
    clock_now,
    collect_events,
    committed,
    conflicts,
    consistency_problems,
    dead_letter_refused,
    erased_outbox,
    event_from_row,
    in_complaint_order,
    intake_rows,
    load_stored,
    outbox_event,
    outbox_item,
    outbox_items,
    received_window,
    recent_filters,
    replay_rows,
    state_row,
    unchanged,
)
from complaintflow.store._schema import (
    LATEST,
    SPEC,
    ColumnSpec,
    IndexSpec,
    satisfaction_backfill,
    sqlite_predicate,
)
from complaintflow.store._snapshot import encode as encode_snapshot
from complaintflow.store._sqlite import sqlite_error_kind

try:
    import sqlalchemy as sa
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.dialects.postgresql import JSONB
    from sqlalchemy.engine import Connection, Engine
except ImportError as _exc:  # pragma: no cover - exercised without the extra installed
    raise StoreError(
        "SQLStore needs SQLAlchemy and psycopg: pip install 'complaintflow[sql]'"
    ) from _exc

__all__ = ["SQLStore", "Tables", "sql_tables"]

_CHUNK: Final = 500

#: Steps that bring a database from layout version ``n - 1`` to ``n`` (a new database is
#: made at the latest version by ``create_all``), run in the transaction that opens the store.
SQL_MIGRATIONS: dict[int, Callable[[Connection, Tables], None]] = {}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (``timestamptz`` on PostgreSQL)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_aware(value, "datetime").astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(JSONB(), "postgresql")


@attrs.frozen
class Tables:
    """The four tables of a complaintflow database, on one ``MetaData``."""

    schema: sa.Table
    complaints: sa.Table
    events: sa.Table
    outbox: sa.Table

    @property
    def all(self) -> tuple[sa.Table, ...]:
        return (self.schema, self.complaints, self.events, self.outbox)


def sql_tables(metadata: sa.MetaData, *, prefix: str = "cf_", schema: str | None = None) -> Tables:
    """Define complaintflow's tables on ``metadata`` (yours, so your migrations see them).

    Calling it again with the same metadata, prefix and schema returns the same tables.

    >>> import sqlalchemy as sa
    >>> from complaintflow.store import sql_tables
    >>> t = sql_tables(sa.MetaData(), prefix="crm_cf_")
    >>> [table.name for table in t.all]
    ['crm_cf_schema', 'crm_cf_complaints', 'crm_cf_events', 'crm_cf_outbox']
    """
    return build_tables(metadata, prefix=prefix, schema=schema, version=LATEST)


def build_tables(metadata: sa.MetaData, *, prefix: str, schema: str | None, version: int
                 ) -> Tables:
    """The tables of layout ``version`` (see :data:`~complaintflow.store._schema.SPEC`)."""
    if not isinstance(prefix, str) or not prefix.replace("_", "").isalnum():
        raise ValidationError("prefix", f"expected letters, digits and underscores, got {prefix!r}")
    names = [f"{prefix}{t.name}" for t in SPEC]
    keys = [n if (schema or metadata.schema) is None else f"{schema or metadata.schema}.{n}"
            for n in names]
    if all(k in metadata.tables for k in keys):  # declared on this metadata already
        return Tables(*(metadata.tables[k] for k in keys))
    made: dict[str, sa.Table] = {}
    for spec in SPEC:
        made[spec.name] = sa.Table(
            f"{prefix}{spec.name}", metadata,
            *(_column(c, made) for c in spec.columns_at(version)),
            *(sa.CheckConstraint(sql, name=f"{prefix}{spec.name}_{name}")
              for name, sql in spec.checks),
            *(_index(i, prefix) for i in spec.indexes_at(version)),
            schema=schema,
        )
    return Tables(*made.values())


def _type(col: ColumnSpec) -> sa.types.TypeEngine[Any]:
    if col.kind in ("key", "text"):
        return sa.String(col.length)
    if col.kind == "doc":
        return sa.Text()
    made: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
        "int": sa.Integer,
        "serial": lambda: sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        "bool": sa.Boolean,
        "time": UTCDateTime,
        "json": _json,
    }
    return made[col.kind]()


def _column(col: ColumnSpec, made: dict[str, sa.Table]) -> sa.Column[Any]:
    args: list[Any] = [col.name, _type(col)]
    if col.references is not None:
        table, key = col.references.split(".")
        args.append(sa.ForeignKey(made[table].c[key]))
    kw: dict[str, Any] = {"nullable": col.nullable and not col.primary_key,
                          "primary_key": col.primary_key}
    if col.primary_key:
        kw["autoincrement"] = col.kind == "serial"
    if col.unique:
        kw["unique"] = True
    if col.default_false:
        kw["server_default"] = sa.false()
    return sa.Column(*args, **kw)


def _predicate(where: tuple[tuple[str, str], ...], dialect: str) -> sa.TextClause:
    if dialect == "sqlite":
        return sa.text(sqlite_predicate(where))  # type: ignore[arg-type]
    parts = [{"null": f"{c} IS NULL", "not null": f"{c} IS NOT NULL", "false": f"NOT {c}"}[t]
             for c, t in where]
    return sa.text(" AND ".join(parts))


def _index(index: IndexSpec, prefix: str) -> sa.Index:
    kw: dict[str, Any] = {}
    if index.where:
        kw = {"postgresql_where": _predicate(index.where, "postgresql"),
              "sqlite_where": _predicate(index.where, "sqlite")}
    return sa.Index(f"{prefix}{index.name}", *index.columns, **kw)


def _migrate(version: int) -> Callable[[Connection, Tables], None]:
    """The step that brings tables of ``version - 1`` to ``version``, from the spec."""

    def step(conn: Connection, tables: Tables) -> None:
        prep = conn.dialect.identifier_preparer
        for spec, table in zip(SPEC, tables.all, strict=True):
            where = f"{prep.quote_schema(table.schema)}." if table.schema else ""
            for index in spec.indexes:
                if index.until == version:
                    name = prep.quote(f"{table.name[: -len(spec.name)]}{index.name}")
                    conn.execute(sa.text(f"DROP INDEX IF EXISTS {where}{name}"))
            for col in spec.columns:
                if col.since == version:
                    kind = table.c[col.name].type.compile(dialect=conn.dialect)
                    conn.execute(sa.text(
                        f"ALTER TABLE {prep.format_table(table)} ADD COLUMN "
                        f"{prep.quote(col.name)} {kind}"))
            for index in spec.indexes:
                if index.since == version:
                    name = f"{table.name[: -len(spec.name)]}{index.name}"
                    found = next(i for i in table.indexes if i.name == name)
                    found.create(conn)
        if version == 3:
            extract = ("CAST(e.data ->> 'satisfaction' AS INTEGER)"
                       if conn.dialect.name == "postgresql"
                       else "json_extract(e.data, '$.satisfaction')")
            conn.execute(sa.text(satisfaction_backfill(
                prep.format_table(tables.complaints), prep.format_table(tables.events), extract)))

    return step


SQL_MIGRATIONS.update({n: _migrate(n) for n in range(2, LATEST + 1)})

_ROW_COLS: Final = STATE_COLUMNS[1:]  # without the key, ``id``
_ROW_END: Final = 2 + len(STATE_COLUMNS)  # a load row: snapshot, its version, the columns


def _event_columns(ev: sa.Table) -> tuple[sa.Column[Any], ...]:
    """The columns :func:`event_from_row` reads, in its order."""
    return (ev.c.seq, ev.c.name, ev.c.v, ev.c.at, ev.c.actor, ev.c.data)


def _engine_for(url: str | Engine) -> Engine:
    if isinstance(url, Engine):
        return url
    if not isinstance(url, str) or not url:
        raise ValidationError("url", f"expected a database URL or a SQLAlchemy Engine, got {url!r}")
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            url = "postgresql+psycopg://" + url[len(bare):]
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
    except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {_safe(url)!r}: {exc}") from exc
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":
        _real_transactions(engine)
    return engine


def _real_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the ``sqlite3`` module, begin transactions, so savepoints (a
    command inside :meth:`SQLStore.batch`) roll back what they should."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


def sql_error_kind(exc: BaseException) -> type[StoreError]:
    """:class:`OperationalError` (retryable: the server is unreachable, a lock or
    serialization conflict, a dropped connection) or :class:`IntegrityError` (a constraint,
    a value that does not fit, a missing table: the data or its layout is wrong) for an
    error SQLAlchemy raised; a misuse of the engine is a plain :class:`StoreError`."""
    if isinstance(exc, sa_exc.DBAPIError) and isinstance(exc.orig, sqlite3.Error):
        return sqlite_error_kind(exc.orig)
    if isinstance(exc, OSError | sa_exc.OperationalError | sa_exc.InterfaceError
                  | sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return OperationalError
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return OperationalError
    if isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError | sa_exc.ProgrammingError
                  | sa_exc.NoSuchTableError):
        return IntegrityError
    if isinstance(exc, sa_exc.DBAPIError):
        return IntegrityError
    return StoreError


def _safe(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa_exc.ArgumentError:
        return "<unparsable URL>"


class SQLStore(Closing):
    """Complaints in a SQL database through SQLAlchemy Core (PostgreSQL is the reference).

    ``url_or_engine`` is a URL (``postgresql+psycopg://user@host/db``; a bare
    ``postgresql://`` means psycopg 3) or your own ``Engine``. ``metadata``, ``prefix`` and
    ``schema`` place the tables (see :func:`sql_tables`); with ``create=False`` the tables
    must already exist (made by your own migrations), otherwise missing ones are created.

    Each write is one transaction: a conditional ``UPDATE`` of the state row on the
    version the complaint was loaded at (the optimistic check), the new events (unique on
    ``(complaint_id, seq)``) and their outbox rows. ``claim_due`` uses
    ``SELECT ... FOR UPDATE SKIP LOCKED`` so several workers share one sweep.

    ``include_personal=False`` and ``pseudonym_key`` shape the outbox payloads as on
    :class:`~complaintflow.store.MemoryStore`. :meth:`erase` overwrites personal data in
    place; on PostgreSQL the old row versions stay in the table's files, invisible to
    every query, until ``VACUUM`` (autovacuum, or run it after erasures) reclaims them.
    """

    def __init__(self, url_or_engine: str | Engine, *, metadata: sa.MetaData | None = None,
                 prefix: str = "cf_", schema: str | None = None, create: bool = True,
                 include_personal: bool = True, pseudonym_key: bytes | None = None) -> None:
        self.engine = _engine_for(url_or_engine)
        self._owns_engine = not isinstance(url_or_engine, Engine)
        self.include_personal = include_personal
        self.pseudonym_key = pseudonym_key
        self._seen = Seen()
        self._source = uuid.uuid4().hex  # names this store's reads of a history
        self._local = threading.local()
        self.metadata = metadata if metadata is not None else sa.MetaData()
        self.tables = sql_tables(self.metadata, prefix=prefix, schema=schema)
        self._schema = schema
        self._where = f"{_safe(self.engine.url.render_as_string())}" + (
            f" (schema {schema})" if schema else "")
        try:
            self.schema_version = self._open(create=create)
        except BaseException:
            if self._owns_engine:
                self.engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SQLStore({self._where!r})"

    def close(self) -> None:
        """Release the connection pool (when the store made the engine)."""
        if self._owns_engine:
            self.engine.dispose()

    # -- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[Self]:
        """Commit every write this thread makes inside the block at once, when it ends.

        Bulk loads pay one commit per batch instead of one per command. Each write stays
        all-or-nothing (a savepoint: a refused command leaves the others of the batch in
        place); when the block raises, every write of the batch is rolled back. The batch
        holds one connection of the pool (and its row locks) until it ends; other threads
        use their own connections and see the batch only once it has committed. A batch
        inside a batch joins the outer one.
        """
        if getattr(self._local, "conn", None) is not None:
            yield self
            return
        try:
            with self.engine.begin() as conn:
                self._local.conn = conn
                try:
                    yield self
                except BaseException:
                    self._seen = Seen()  # what it remembered as committed is not
                    raise
                finally:
                    self._local.conn = None
        except ComplaintflowError:
            raise
        except (sa_exc.SQLAlchemyError, OSError) as exc:
            self._seen = Seen()
            raise sql_error_kind(exc)(f"{self._where}: cannot commit a batch: {exc}") from exc

    @contextmanager
    def _tx(self, doing: str) -> Iterator[Connection]:
        outer: Connection | None = getattr(self._local, "conn", None)
        if outer is not None:
            try:
                with outer.begin_nested():
                    yield outer
            except ComplaintflowError:
                raise
            except (sa_exc.SQLAlchemyError, OSError) as exc:
                raise sql_error_kind(exc)(f"{self._where}: cannot {doing}: {exc}") from exc
            return
        try:
            with self.engine.begin() as conn:
                yield conn
        except ComplaintflowError:
            raise
        except (sa_exc.SQLAlchemyError, OSError) as exc:
            raise sql_error_kind(exc)(f"{self._where}: cannot {doing}: {exc}") from exc

    def _open(self, *, create: bool) -> int:
        t = self.tables
        with self._tx("open the database") as conn:
            if conn.dialect.name == "postgresql":
                key = zlib.crc32(f"complaintflow:{self._schema}:{t.schema.name}".encode())
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
                if create and self._schema is not None:
                    conn.execute(sa.schema.CreateSchema(self._schema, if_not_exists=True))
            inspector = sa.inspect(conn)
            present = {tb.name for tb in t.all if inspector.has_table(tb.name, schema=self._schema)}
            if t.schema.name not in present:
                if present:
                    raise IntegrityError(
                        f"{self._where}: the table {t.schema.name} is missing but "
                        f"{', '.join(sorted(present))} exist; not a complaintflow database "
                        f"or a broken one")
                if not create:
                    raise IntegrityError(
                        f"{self._where}: the complaintflow tables do not exist; create them "
                        f"(sql_tables on your MetaData in your migrations) or pass create=True")
                version = 0
            else:
                found: int | None = conn.execute(
                    sa.select(t.schema.c.version).where(t.schema.c.id == 1)).scalar_one_or_none()
                version = LATEST if found is None else found
                if found is None:
                    # tables made by the application's own migrations from sql_tables()
                    missing = {tb.name for tb in t.all} - present
                    if missing:
                        raise IntegrityError(f"{self._where}: missing table(s) "
                                         f"{', '.join(sorted(missing))}")
                    conn.execute(sa.insert(t.schema).values(id=1, version=LATEST))
            if version > LATEST:
                raise SchemaVersionError(
                    f"{self._where} has schema version {version}, newer than the {LATEST} this "
                    f"complaintflow understands; upgrade complaintflow to open it")
            if version < 1:
                self.metadata.create_all(conn, tables=list(t.all))
                conn.execute(sa.insert(t.schema).values(id=1, version=LATEST))
                version = LATEST
            missing = {tb.name for tb in t.all} - present
            if present and missing:
                raise IntegrityError(f"{self._where}: missing table(s) {', '.join(sorted(missing))}")
            for target in range(version + 1, LATEST + 1):
                SQL_MIGRATIONS[target](conn, t)
                conn.execute(sa.update(t.schema).values(version=target))
            return LATEST

    def _load_query(self) -> tuple[sa.Select[Any], sa.ColumnElement[Any]]:
        """The state rows (snapshot, then columns) joined with the events from each
        snapshot's own on (the whole history without a snapshot), and the events' ``seq``
        to order by. On PostgreSQL the events are a ``LATERAL`` subquery, so each state
        row reads its few events through the primary key whatever the planner's
        statistics say (a hash join would scan every event)."""
        c, ev = self.tables.complaints, self.tables.events
        after = sa.and_(ev.c.complaint_id == c.c.id,
                        ev.c.seq >= sa.func.coalesce(c.c.snapshot_version, 1))
        if self.engine.dialect.name == "postgresql":
            # OFFSET 0 keeps the planner from pulling the subquery up into a plain join
            mine = sa.select(*_event_columns(ev)).where(after).offset(0).lateral("e")
            cols: tuple[Any, ...] = (mine.c.seq, mine.c.name, mine.c.v, mine.c.at, mine.c.actor,
                                     mine.c.data)
            joined = c.outerjoin(mine, sa.true())
        else:
            cols = _event_columns(ev)
            joined = c.outerjoin(ev, after)
        query = (sa.select(c.c.snapshot, c.c.snapshot_version, *(c.c[n] for n in STATE_COLUMNS),
                           *cols).select_from(joined))
        return query, cols[0]

    def _load(self, conn: Connection, ids: Sequence[tuple[str, int]]) -> list[Complaint]:
        """Load the complaints ``ids`` (``(id, version)`` pairs), in that order, each from
        its snapshot and the events after it (one statement per chunk, so under READ
        COMMITTED the rows and events are of one commit)."""
        c = self.tables.complaints
        query, seq = self._load_query()
        rows: dict[str, list[Any]] = {cid: [] for cid, _ in ids}
        keys = list(rows)
        for i in range(0, len(keys), _CHUNK):
            for r in conn.execute(query.where(c.c.id.in_(keys[i:i + _CHUNK]))
                                  .order_by(c.c.id, seq)):
                rows[r[2]].append(r)
        return [self._seen.remember(self._stored(cid, rows[cid])) for cid, _ in ids]

    def _stored(self, complaint_id: str, rows: Sequence[Sequence[Any]]) -> Complaint:
        """The complaint of the :meth:`_load_query` rows read for it (none: NotFound)."""
        if not rows:
            raise NotFound(complaint_id)
        first = rows[0]
        state = dict(zip(STATE_COLUMNS, first[2:_ROW_END], strict=True))
        events = [event_from_row(*r[_ROW_END:]) for r in rows if r[_ROW_END] is not None]
        return load_stored(
            complaint_id, version=state["version"], snapshot=first[0],
            snapshot_version=first[1], events=events,
            prefix=lambda n: self._history(complaint_id, n), source=self._source,
            row_matches=lambda found: {"id": found.id, **self._values(found)} == state)

    def _history(self, complaint_id: str, upto: int) -> list[Event]:
        """Events ``1 … upto`` of a stored complaint (a lazy history's prefix)."""
        ev = self.tables.events
        with self._tx("read a history") as conn:
            return [event_from_row(*r) for r in conn.execute(
                sa.select(*_event_columns(ev))
                .where(ev.c.complaint_id == complaint_id, ev.c.seq <= upto)
                .order_by(ev.c.seq))]

    def _append(self, conn: Connection, complaint: Complaint, events: Sequence[Event]) -> None:
        cid = complaint.id
        conn.execute(sa.insert(self.tables.events), [
            {"complaint_id": cid, "seq": e.seq, "name": e.name, "v": e.v, "at": e.at,
             "actor": e.actor, "data": e.to_dict()["data"]}
            for e in events
        ])
        items = outbox_items(cid, events, include_personal=self.include_personal,
                             prepare=outbox_event, key=self.pseudonym_key)
        conn.execute(sa.insert(self.tables.outbox), [
            {"event_id": i.id, "complaint_id": cid, "seq": i.event.seq, "payload": i.to_dict(),
             "created_at": i.event.at}
            for i in items
        ])

    @staticmethod
    def _values(complaint: Complaint) -> dict[str, Any]:
        row = state_row(complaint)
        return {c: row[c] for c in _ROW_COLS}

    @classmethod
    def _written(cls, complaint: Complaint) -> dict[str, Any]:
        """What a write puts in the state row: :meth:`_values` and the snapshot."""
        return {**cls._values(complaint), "snapshot": encode_snapshot(complaint),
                "snapshot_version": complaint.version}

    # -- writes ------------------------------------------------------------------------------
    def add(self, complaint: Complaint) -> Complaint:
        events = check_record(complaint, None)
        c = self.tables.complaints
        with (conflicts(sa_exc.IntegrityError, complaint, 0),
              self._tx("add a complaint") as conn):
            conn.execute(sa.insert(c).values(id=complaint.id, **self._written(complaint)))
            self._append(conn, complaint, events)
        return self._seen.remember(committed(complaint))

    def _update_statement(self) -> sa.Update:
        """The conditional update of a state row, built once (its parameters bound per
        save), so a save does not build and key a new statement each time."""
        stmt = self.__dict__.get("_update_stmt")
        if stmt is None:
            c = self.tables.complaints
            cols = [*_ROW_COLS, "snapshot", "snapshot_version"]
            stmt = (sa.update(c)
                    .where(c.c.id == sa.bindparam("_cf_id"),
                           c.c.version == sa.bindparam("_cf_expected"))
                    .values({**{n: sa.bindparam(f"_cf_{n}") for n in cols},
                             "claimed_by": None, "claimed_until": None}))
            self.__dict__["_update_stmt"] = stmt
        return stmt

    def save(self, complaint: Complaint) -> Complaint:
        events = self._seen.check_save(complaint)
        c = self.tables.complaints
        with (conflicts(sa_exc.IntegrityError, complaint, complaint.committed),
              self._tx("save a complaint") as conn):
            updated = False
            if events:
                params = {f"_cf_{n}": v for n, v in self._written(complaint).items()}
                params.update(_cf_id=complaint.id, _cf_expected=complaint.committed)
                res = conn.execute(self._update_statement(), params)
                updated = res.rowcount == 1
            if not updated:
                actual = conn.execute(
                    sa.select(c.c.version).where(c.c.id == complaint.id)).scalar_one_or_none()
                return unchanged(complaint, actual)
            self._append(conn, complaint, events)
        return self._seen.remember(committed(complaint))

    def erase(self, complaints: Sequence[Complaint], *, published: bool = True
              ) -> Sequence[Complaint]:
        given = check_erasures_given(complaints)
        t = self.tables
        c_, ev, o = t.complaints, t.events, t.outbox
        out: list[Complaint] = []
        with self._tx("erase personal data") as conn:
            for c in given:
                # the state row's lock keeps every other write of this complaint out
                locked = conn.execute(sa.select(c_.c.version).where(c_.c.id == c.id)
                                      .with_for_update()).scalar_one_or_none()
                if locked is None:
                    raise NotFound(c.id)
                rows = conn.execute(sa.select(*_event_columns(ev))
                                    .where(ev.c.complaint_id == c.id).order_by(ev.c.seq)).all()
                stored = replay_rows(c.id, [event_from_row(*r) for r in rows], locked)
                events = check_erasure(stored, c)
                done = committed(c)
                for old, new in zip(stored.history, c.history, strict=False):
                    if old != new:
                        conn.execute(sa.update(ev).where(ev.c.complaint_id == c.id,
                                                         ev.c.seq == new.seq)
                                     .values(data=new.to_dict()["data"]))
                conn.execute(sa.update(c_).where(c_.c.id == c.id)
                             .values(**self._written(c), claimed_by=None, claimed_until=None))
                ids = [f"{c.id}:{n}" for n in range(1, stored.version + 1)]
                for i in range(0, len(ids), _CHUNK):
                    found = conn.execute(sa.select(o.c.event_id, o.c.payload, o.c.published)
                                         .where(o.c.event_id.in_(ids[i:i + _CHUNK]))).all()
                    for oid, payload, was_published in found:
                        if was_published and not published:
                            continue
                        fresh = erased_outbox(done, outbox_item(payload),
                                              include_personal=self.include_personal,
                                              key=self.pseudonym_key)
                        if fresh is not None:
                            conn.execute(sa.update(o).where(o.c.event_id == oid)
                                         .values(payload=fresh.to_dict()))
                self._append(conn, c, events)
                out.append(done)
        for done in out:
            self._seen.remember(done)
        return out

    # -- reads -------------------------------------------------------------------------------
    def get(self, complaint_id: str) -> Complaint:
        if not isinstance(complaint_id, str):
            raise NotFound(complaint_id)
        stmt = self.__dict__.get("_get_stmt")
        if stmt is None:  # built once: a load binds only the id
            c = self.tables.complaints
            query, seq = self._load_query()
            stmt = query.where(c.c.id == sa.bindparam("_cf_id")).order_by(seq)
            self.__dict__["_get_stmt"] = stmt
        with self._tx("load a complaint") as conn:
            rows = conn.execute(stmt, {"_cf_id": complaint_id}).all()
        return self._seen.remember(self._stored(complaint_id, rows))

    def _due_query(self, now: datetime, limit: int) -> sa.Select[Any]:
        c = self.tables.complaints
        return (sa.select(c.c.id, c.c.version)
                .where(c.c.next_due.is_not(None), c.c.next_due <= now)
                .order_by(c.c.next_due, c.c.id).limit(limit))

    def due(self, now: datetime, limit: int = 100) -> Sequence[Complaint]:
        now = ensure_aware(now, "now")
        check_limit(limit)
        with self._tx("find due complaints") as conn:
            ids = [(r[0], r[1]) for r in conn.execute(self._due_query(now, limit))]
            return self._load(conn, ids)

    def claim_due(self, now: datetime, limit: int = 100, worker: str = "worker", *,
                  lease: timedelta = DEFAULT_LEASE) -> Sequence[Complaint]:
        now = check_claim(now, limit, worker, lease)
        c = self.tables.complaints
        query = (self._due_query(now, limit)
                 .where(sa.or_(c.c.claimed_until.is_(None), c.c.claimed_until <= now))
                 .with_for_update(skip_locked=True))
        with self._tx("claim due complaints") as conn:
            ids = [(r[0], r[1]) for r in conn.execute(query)]
            if ids:
                conn.execute(
                    sa.update(c).where(c.c.id.in_([i for i, _ in ids]))
                    .values(claimed_by=worker, claimed_until=now + lease))
            return self._load(conn, ids)

    def recent(
        self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
        batch: str | None = None, order_id: str | None = None, brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]:
        c = self.tables.complaints
        query = sa.select(c.c.id, c.c.version).where(
            c.c.received_at >= ensure_aware(since, "since"))
        for col, value in recent_filters(customer_id=customer_id, sku=sku, batch=batch,
                                         order_id=order_id, brand=brand):
            query = query.where(c.c[col] == value)
        query = query.order_by(c.c.received_at.desc(), c.c.id.desc())
        if limit is not None:
            query = query.limit(check_limit(limit))
        with self._tx("find recent complaints") as conn:
            return self._load(conn, [(r[0], r[1]) for r in conn.execute(query)])

    def intake_summary(
        self, *, since: datetime, until: datetime, customer_id: str | None = None,
        order_id: str | None = None, sku: str | None = None, batch: str | None = None,
        brand: str | None = None, limit: int = INTAKE_LIMIT,
    ) -> IntakeSummary:
        """Counts and the newest rows of the complaints received in ``[since, until]``
        sharing each given key (see :class:`~complaintflow.policies.IntakeSummary`),
        aggregated by the server on the state rows' covering indexes."""
        lo, hi = check_window(since, until, limit)
        keys = asked(customer_id=customer_id, order_id=order_id, sku=sku, batch=batch,
                     brand=brand)
        c = self.tables.complaints
        counts: dict[str, int] = {}
        rows: dict[str, list[Any]] = {}
        skus: dict[str, SkuCount] = {}
        lowest = None
        with self._tx("summarize recent complaints") as conn:
            for key, value in keys.items():
                where = (c.c[key] == value, c.c.received_at >= lo, c.c.received_at <= hi)
                if key == "customer_id":
                    counts[key], lowest = conn.execute(
                        sa.select(sa.func.count(), sa.func.min(c.c.satisfaction)).where(*where)
                    ).one()
                else:
                    counts[key] = conn.execute(
                        sa.select(sa.func.count()).select_from(c).where(*where)).scalar_one()
                if key == "brand":
                    marked = sa.func.max(sa.case((c.c.scope != "point", 1), else_=0))
                    skus = {r[0]: SkuCount(int(r[1]), bool(r[2])) for r in conn.execute(
                        sa.select(c.c.sku, sa.func.count(), marked)
                        .where(*where, c.c.sku.is_not(None)).group_by(c.c.sku))}
                rows[key] = list(conn.execute(
                    sa.select(*(c.c[n] for n in RECENT_COLUMNS)).where(*where)
                    .order_by(c.c.received_at.desc(), c.c.id.desc()).limit(limit)))
        return IntakeSummary(lo, hi, keys, counts, intake_rows(keys, rows), skus, lowest,
                             limit, self)

    def counts(self, by: str, *, since: datetime | None = None,
               until: datetime | None = None) -> dict[str | None, int]:
        c = self.tables.complaints
        col = c.c[check_by(by)]
        query = sa.select(col, sa.func.count()).group_by(col)
        lo, hi = received_window(since, until)
        if lo is not None:
            query = query.where(c.c.received_at >= lo)
        if hi is not None:
            query = query.where(c.c.received_at < hi)
        with self._tx("count complaints") as conn:
            return {r[0]: int(r[1]) for r in conn.execute(query)}

    # -- outbox ------------------------------------------------------------------------------
    def _waiting(self) -> sa.ColumnElement[bool]:
        o = self.tables.outbox
        return sa.and_(o.c.published == sa.false(), o.c.dead_at.is_(None))

    def pending(self, limit: int = 100) -> Sequence[OutboxItem]:
        o = self.tables.outbox
        with self._tx("read the outbox") as conn:
            rows = conn.execute(sa.select(o.c.payload).where(self._waiting())
                                .order_by(o.c.position).limit(check_limit(limit))).all()
        return [outbox_item(p) for (p,) in rows]

    def mark_published(self, ids: Iterable[str], *, worker: str | None = None) -> None:
        keys = check_ids(ids)
        if worker is not None:
            check_worker(worker)
        o = self.tables.outbox
        with self._tx("mark events published") as conn:
            for i in range(0, len(keys), _CHUNK):
                conn.execute(sa.update(o).where(o.c.event_id.in_(keys[i:i + _CHUNK]),
                                                o.c.dead_at.is_(None))
                             .values(published=True, claimed_until=None))

    def claim_outbox(self, worker: str, limit: int = 100, *, lease: timedelta = DEFAULT_LEASE,
                     now: datetime | None = None) -> Sequence[OutboxItem]:
        now = check_outbox_claim(worker, limit, lease, now)
        o = self.tables.outbox
        p = o.alias("earlier")

        def free(t: Any) -> sa.ColumnElement[bool]:
            return sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until <= now,
                          t.c.claimed_by == worker)

        # the first item another worker holds, per complaint: computed once (a handful of
        # rows in flight), so the plan stays an ordered walk of the pending index
        held = (sa.select(p.c.complaint_id, sa.func.min(p.c.position).label("first"))
                .where(p.c.published == sa.false(), p.c.dead_at.is_(None),
                       sa.not_(free(p)))
                .group_by(p.c.complaint_id)
                .cte("held").prefix_with("MATERIALIZED", dialect="postgresql"))
        held_before = sa.exists().where(held.c.complaint_id == o.c.complaint_id,
                                        held.c.first < o.c.position)
        query = (sa.select(o.c.position, o.c.complaint_id, o.c.payload)
                 .where(self._waiting(), free(o), sa.not_(held_before))
                 .order_by(o.c.position).limit(limit)
                 .with_for_update(skip_locked=True, of=o))
        with self._tx("claim outbox items") as conn:
            rows = conn.execute(query).all()
            if not rows:
                return []
            # SKIP LOCKED passes over rows another claimer is taking right now; an item
            # is only ours when no earlier pending item of its complaint was passed over.
            last = rows[-1][0]
            earlier = conn.execute(
                sa.select(o.c.position, o.c.complaint_id).where(
                    self._waiting(), o.c.position <= last,
                    o.c.complaint_id.in_({r[1] for r in rows}))
                .order_by(o.c.position)).all()
            ours = {r[0] for r in rows}
            chosen = set(in_complaint_order(
                (Waiting(pos, cid, pos in ours) for pos, cid in earlier), limit))
            rows = [r for r in rows if r[0] in chosen]
            if rows:
                conn.execute(sa.update(o).where(o.c.position.in_([r[0] for r in rows]))
                             .values(claimed_by=worker, claimed_until=now + lease))
        return [outbox_item(r[2]) for r in rows]

    def release_outbox(self, ids: Iterable[str], *, worker: str) -> None:
        keys = check_ids(ids)
        check_worker(worker)
        o = self.tables.outbox
        with self._tx("release outbox items") as conn:
            for i in range(0, len(keys), _CHUNK):
                conn.execute(sa.update(o).where(o.c.event_id.in_(keys[i:i + _CHUNK]),
                                                o.c.claimed_by == worker)
                             .values(claimed_by=None, claimed_until=None))

    def dead_letter(self, item_id: str, reason: str, *, worker: str | None = None,
                    now: datetime | None = None) -> None:
        reason = check_reason(reason)
        if worker is not None:
            check_worker(worker)
        at = clock_now(now)
        if not isinstance(item_id, str):
            raise dead_letter_refused(repr(item_id), None)
        o = self.tables.outbox
        with self._tx("dead-letter an outbox item") as conn:
            row = conn.execute(sa.select(o.c.published, o.c.dead_at)
                               .where(o.c.event_id == item_id).with_for_update()).first()
            if row is None or row[0]:
                raise dead_letter_refused(item_id, None if row is None else True)
            if row[1] is None:
                conn.execute(sa.update(o).where(o.c.event_id == item_id).values(
                    dead_reason=reason, dead_at=at, claimed_by=None, claimed_until=None))

    def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        o = self.tables.outbox
        with self._tx("read the dead letters") as conn:
            rows = conn.execute(sa.select(o.c.payload, o.c.dead_reason, o.c.dead_at)
                                .where(o.c.dead_at.is_not(None)).order_by(o.c.position)
                                .limit(check_limit(limit))).all()
        return [DeadLetter(outbox_item(p), reason, at) for p, reason, at in rows]

    def outbox_backlog(self) -> int:
        o = self.tables.outbox
        with self._tx("count the outbox backlog") as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(o)
                                    .where(self._waiting())).scalar_one())

    # -- checking ----------------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Problems in the stored data (see :meth:`SQLiteStore.verify`); empty when consistent."""
        t = self.tables
        ev = t.events
        with self._tx("verify the database") as conn:
            rows = {r[0]: dict(r._mapping) for r in conn.execute(
                sa.select(t.complaints.c.id, *(t.complaints.c[n] for n in _ROW_COLS)))}
            snapshots = {r[0]: (r[1], r[2]) for r in conn.execute(
                sa.select(t.complaints.c.id, t.complaints.c.snapshot,
                          t.complaints.c.snapshot_version))}
            events: dict[str, list[Event]] = {}
            collect_events(events, conn.execute(
                sa.select(ev.c.complaint_id, *_event_columns(ev))
                .order_by(ev.c.complaint_id, ev.c.seq)))
            outbox = {r[0] for r in conn.execute(sa.select(t.outbox.c.event_id))}
        # replay_rows has checked that the replay is of ``id``
        return consistency_problems(rows, events, outbox,
                                    lambda c: {"id": c.id, **self._values(c)}, snapshots)
