"""The embedded default: one SQLite file (stdlib ``sqlite3``, WAL journal)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any, Final, Self

from complaintflow._clock import ensure_aware
from complaintflow._complaint import Complaint
from complaintflow._events import Event
from complaintflow.exceptions import (
    ComplaintflowError,
    ConcurrencyError,
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
    dumps,
    erased_outbox,
    event_from_row,
    intake_rows,
    load_stored,
    outbox_event,
    outbox_item,
    outbox_items,
    received_window,
    recent_filters,
    replay_found,
    state_row,
    unchanged,
    utc_text,
)
from complaintflow.store._schema import LATEST, SQLITE_MIGRATIONS
from complaintflow.store._snapshot import encode as encode_snapshot

__all__ = ["SQLiteStore"]

_CHUNK: Final = 500
_EVENT_COLS: Final = "seq, name, v, at, actor, data"
#: What a write puts in the state row: its columns, then the snapshot.
_WRITTEN: Final = (*STATE_COLUMNS, "snapshot", "snapshot_version")
_INSERT_ROW: Final = (
    f"INSERT INTO cf_complaints ({', '.join(_WRITTEN)}) "
    f"VALUES ({', '.join('?' for _ in _WRITTEN)})"
)
_UPDATE_ROW: Final = (
    "UPDATE cf_complaints SET "
    + ", ".join(f"{c} = ?" for c in _WRITTEN[1:])
    + ", claimed_by = NULL, claimed_until = NULL WHERE id = ? AND version = ?"
)
#: A load: the state row (its snapshot, then its columns) joined with the events from the
#: snapshot's own on (the whole history when there is no snapshot), in order.
_LOAD: Final = (
    "SELECT c.snapshot, c.snapshot_version, "
    + ", ".join(f"c.{c}" for c in STATE_COLUMNS)
    + ", e.seq, e.name, e.v, e.at, e.actor, e.data FROM cf_complaints c "
    "LEFT JOIN cf_events e ON e.complaint_id = c.id AND e.seq >= COALESCE(c.snapshot_version, 1)"
)
_ROW_END: Final = 2 + len(STATE_COLUMNS)
_INSERT_EVENT: Final = (
    "INSERT INTO cf_events (complaint_id, seq, name, v, at, actor, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_OUTBOX: Final = (
    "INSERT INTO cf_outbox (event_id, complaint_id, seq, payload, created_at) VALUES (?, ?, ?, ?, ?)"
)

_WAITING: Final = "published = 0 AND dead_at IS NULL"
_WAITING_O: Final = "o.published = 0 AND o.dead_at IS NULL"


#: SQLite result codes (the primary code, ``sqlite_errorcode & 0xff``) that pass:
#: BUSY, LOCKED, NOMEM, IOERR, FULL, CANTOPEN, PROTOCOL.
_PASSING: Final = frozenset({5, 6, 7, 10, 13, 14, 15})
#: ... and those that mean the data or its layout is wrong: CORRUPT, SCHEMA, CONSTRAINT,
#: MISMATCH, NOTADB (and "no such table", which SQLite reports as a plain ERROR).
_BROKEN: Final = frozenset({11, 17, 19, 20, 26})


def sqlite_error_kind(exc: sqlite3.Error) -> type[StoreError]:
    """:class:`OperationalError` (retryable) or :class:`IntegrityError` for a ``sqlite3``
    error; a misuse (a closed store) is a plain :class:`StoreError`."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary in _PASSING or any(w in text for w in ("locked", "busy", "unable to open",
                                                      "disk i/o")):
        kind: type[StoreError] = OperationalError
    elif primary in _BROKEN or isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError):
        kind = IntegrityError
    elif isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError):
        kind = StoreError
    elif isinstance(exc, sqlite3.OperationalError) and "no such" not in text \
            and "syntax" not in text:
        kind = OperationalError
    else:
        kind = IntegrityError
    return kind


def _sql_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _row_values(complaint: Complaint) -> list[Any]:
    row = state_row(complaint)
    return [_sql_value(row[c]) for c in STATE_COLUMNS]


def _written(complaint: Complaint) -> list[Any]:
    """The state row a write puts: its columns and the complaint's snapshot."""
    return [*_row_values(complaint), encode_snapshot(complaint), complaint.version]


class SQLiteStore(Closing):
    """Complaints in one SQLite file: the embedded default (the command line uses it).

    >>> import complaintflow as cf
    >>> from complaintflow.store import SQLiteStore
    >>> store = SQLiteStore(":memory:")
    >>> store.schema_version
    3

    Every write is one ``BEGIN IMMEDIATE`` transaction: the events, the current-state row
    and the outbox rows commit together or not at all. The file uses the WAL journal, so
    readers never wait for the writer and several processes can share it; each process
    opens its own ``SQLiteStore`` (a store is safe to share between threads, not across
    ``fork``). ``synchronous="FULL"`` (the default) makes each commit durable against power
    loss, ``"NORMAL"`` only against a crash of the process, at a lower cost.

    ``include_personal=False`` leaves ``data["personal"]`` (the complaint text and contact
    fields), the order id and the evidence quoted from the text out of the outbox payloads
    and writes the customer id as its pseudonym under ``pseudonym_key``
    (:func:`complaintflow.store.pseudonym`); the events table always keeps them until
    :meth:`erase`. The connection runs with ``PRAGMA secure_delete = ON``, so bytes a
    write replaces or deletes are overwritten with zeros, not left in free pages.
    """

    def __init__(self, path: str | os.PathLike[str], *, include_personal: bool = True,
                 synchronous: str = "FULL", timeout: float = 30.0,
                 pseudonym_key: bytes | None = None) -> None:
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValidationError("synchronous", f"expected FULL, NORMAL or EXTRA, got {synchronous!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
            raise ValidationError("timeout", f"expected seconds >= 0, got {timeout!r}")
        self.path = os.fspath(path)
        self.include_personal = include_personal
        self.pseudonym_key = pseudonym_key
        self._seen = Seen()
        self._lock = threading.RLock()
        self._batched = False
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as exc:
            raise OperationalError(f"cannot open SQLite database {self.path!r}: {exc}") from exc
        try:
            with self._errors("open"):
                self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                self._conn.execute("PRAGMA journal_mode = WAL").fetchone()
                self._conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
                self._conn.execute("PRAGMA foreign_keys = ON")
                # erased personal data must not linger in free pages or unused cell space
                self._conn.execute("PRAGMA secure_delete = ON")
                self.schema_version = self._open_schema()
        except BaseException:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def close(self) -> None:
        """Close the connection (the store cannot be used afterwards)."""
        with self._lock:
            self._conn.close()

    # -- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except ComplaintflowError:
            raise
        except sqlite3.Error as exc:
            kind = sqlite_error_kind(exc)
            raise kind(f"SQLite database {self.path!r}: cannot {doing}: {exc}") from exc

    @contextmanager
    def batch(self) -> Iterator[Self]:
        """Commit every write made inside the block at once, when it ends.

        Bulk loads (an import, ``complaintflow demo --complaints 100000``) pay one commit
        (one ``fsync``) per batch instead of one per command. Each write stays
        all-or-nothing (a savepoint: a refused command leaves the others of the batch in
        place); when the block raises, every write of the batch is rolled back. The
        store's connection is held by the thread running the batch until it ends; a
        batch inside a batch joins the outer one.

        >>> import complaintflow as cf
        >>> from complaintflow.store import SQLiteStore
        >>> store = SQLiteStore(":memory:")
        >>> wf = cf.Workflow(store=store)
        >>> with store.batch():
        ...     made = [wf.receive("The kettle leaks.", customer_id=f"C-{n}") for n in range(3)]
        >>> store.counts("state")
        {'received': 3}
        """
        with self._lock:
            if self._batched:
                yield self
                return
            with self._errors("begin a batch"):
                self._conn.execute("BEGIN IMMEDIATE")
            self._batched = True
            try:
                yield self
            except BaseException:
                self._batched = False
                self._seen = Seen()  # what it remembered as committed is not
                if self._conn.in_transaction:
                    with suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                raise
            self._batched = False
            try:
                with self._errors("commit a batch"):
                    self._conn.execute("COMMIT")
            except BaseException:
                self._seen = Seen()
                if self._conn.in_transaction:
                    with suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _tx(self, doing: str, *, write: bool) -> Iterator[sqlite3.Cursor]:
        """One transaction: committed when the block ends, rolled back when it raises
        (inside :meth:`batch`, a savepoint of the batch's transaction)."""
        with self._lock, self._errors(doing):
            cur = self._conn.cursor()
            if self._batched:
                cur.execute("SAVEPOINT cf_command")
                try:
                    yield cur
                except BaseException:
                    with suppress(sqlite3.Error):
                        cur.execute("ROLLBACK TO cf_command")
                        cur.execute("RELEASE cf_command")
                    raise
                cur.execute("RELEASE cf_command")
                return
            cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield cur
            except BaseException:
                if self._conn.in_transaction:
                    # when the connection is gone, SQLite has dropped the transaction itself
                    with suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def _open_schema(self) -> int:
        with self._tx("read its schema", write=True) as cur:
            names = {r[0] for r in cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
            if "cf_schema" not in names:
                if names:
                    raise IntegrityError(
                        f"{self.path!r} is not a complaintflow database (it holds the tables "
                        f"{', '.join(sorted(names))})")
                version = 0
            else:
                row = cur.execute("SELECT version FROM cf_schema WHERE id = 1").fetchone()
                if row is None or not isinstance(row[0], int):
                    raise IntegrityError(f"{self.path!r}: the cf_schema table has no version row")
                version = row[0]
            if version > LATEST:
                raise SchemaVersionError(
                    f"{self.path!r} has schema version {version}, newer than the {LATEST} this "
                    f"complaintflow understands; upgrade complaintflow to open it")
            for target in range(version + 1, LATEST + 1):
                for statement in SQLITE_MIGRATIONS[target]:
                    cur.execute(statement)
                cur.execute("INSERT OR REPLACE INTO cf_schema (id, version) VALUES (1, ?)",
                            (target,))
            version = LATEST
            missing = {"cf_complaints", "cf_events", "cf_outbox"} - {
                r[0] for r in cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if missing:
                raise IntegrityError(
                    f"{self.path!r}: missing table(s) {', '.join(sorted(missing))}")
            return version

    def _load(self, cur: sqlite3.Cursor, ids: Sequence[tuple[str, int]]) -> list[Complaint]:
        """Load the complaints ``ids`` (``(id, version)`` pairs), in that order, each from
        its snapshot and the events after it."""
        rows: dict[str, list[Any]] = {cid: [] for cid, _ in ids}
        keys = list(rows)
        for i in range(0, len(keys), _CHUNK):
            chunk = keys[i:i + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            for r in cur.execute(f"{_LOAD} WHERE c.id IN ({marks}) ORDER BY c.id, e.seq", chunk):
                rows[r[2]].append(r)
        return [self._seen.remember(self._stored(cid, rows[cid])) for cid, _ in ids]

    def _stored(self, complaint_id: str, rows: Sequence[Sequence[Any]]) -> Complaint:
        """The complaint of the :data:`_LOAD` rows read for it (none: :class:`NotFound`)."""
        if not rows:
            raise NotFound(complaint_id)
        first = rows[0]
        state = list(first[2:_ROW_END])
        events = [event_from_row(*r[_ROW_END:]) for r in rows if r[_ROW_END] is not None]
        return load_stored(
            complaint_id, version=state[STATE_COLUMNS.index("version")], snapshot=first[0],
            snapshot_version=first[1], events=events,
            prefix=lambda n: self._history(complaint_id, n),
            row_matches=lambda c: _row_values(c) == state)

    def _history(self, complaint_id: str, upto: int) -> list[Event]:
        """Events ``1 … upto`` of a stored complaint (a lazy history's prefix)."""
        with self._tx("read a history", write=False) as cur:
            return [event_from_row(*r) for r in cur.execute(
                f"SELECT {_EVENT_COLS} FROM cf_events WHERE complaint_id = ? AND seq <= ? "
                "ORDER BY seq", (complaint_id, upto))]

    # -- writes ------------------------------------------------------------------------------
    def _append(self, cur: sqlite3.Cursor, complaint: Complaint, events: Sequence[Event]) -> None:
        cid = complaint.id
        cur.executemany(_INSERT_EVENT, [
            (cid, e.seq, e.name, e.v, utc_text(e.at), e.actor, dumps(e.to_dict()["data"]))
            for e in events
        ])
        items = outbox_items(cid, events, include_personal=self.include_personal,
                             prepare=outbox_event, key=self.pseudonym_key)
        cur.executemany(_INSERT_OUTBOX, [
            (i.id, cid, i.event.seq, dumps(i.to_dict()), utc_text(i.event.at)) for i in items
        ])

    def add(self, complaint: Complaint) -> Complaint:
        events = check_record(complaint, None)
        with (conflicts(sqlite3.IntegrityError, complaint, 0),
              self._tx("add a complaint", write=True) as cur):
            row = cur.execute("SELECT version FROM cf_complaints WHERE id = ?",
                              (complaint.id,)).fetchone()
            if row is not None:
                raise ConcurrencyError(complaint.id, 0, row[0])
            cur.execute(_INSERT_ROW, _written(complaint))
            self._append(cur, complaint, events)
        return self._seen.remember(committed(complaint))

    def save(self, complaint: Complaint) -> Complaint:
        events = self._seen.check_save(complaint)
        with (conflicts(sqlite3.IntegrityError, complaint, complaint.committed),
              self._tx("save a complaint", write=True) as cur):
            if events:
                values = _written(complaint)
                cur.execute(_UPDATE_ROW, [*values[1:], complaint.id, complaint.committed])
                updated = cur.rowcount == 1
            else:
                updated = False
            if not updated:
                row = cur.execute("SELECT version FROM cf_complaints WHERE id = ?",
                                  (complaint.id,)).fetchone()
                return unchanged(complaint, None if row is None else row[0])
            self._append(cur, complaint, events)
        return self._seen.remember(committed(complaint))

    def erase(self, complaints: Sequence[Complaint], *, published: bool = True
              ) -> Sequence[Complaint]:
        """Commit erasures (see :meth:`complaintflow.store.Store.erase`) in one transaction,
        then checkpoint the WAL (``TRUNCATE``) so the replaced pages leave the ``-wal``
        file too. Inside :meth:`batch` the checkpoint waits for a later erasure or
        :meth:`checkpoint`; a reader holding an old snapshot can also keep it from
        completing (it then reports ``False``)."""
        given = check_erasures_given(complaints)
        out: list[Complaint] = []
        # BEGIN IMMEDIATE holds the write lock from the start: the versions read are final
        with self._tx("erase personal data", write=True) as cur:
            for c in given:
                rows = cur.execute(f"SELECT {_EVENT_COLS} FROM cf_events WHERE complaint_id = ? "
                                   "ORDER BY seq", (c.id,)).fetchall()
                stored = replay_found(c.id, [event_from_row(*r) for r in rows])
                events = check_erasure(stored, c)
                done = committed(c)
                cur.executemany("UPDATE cf_events SET data = ? WHERE complaint_id = ? AND seq = ?", [
                    (dumps(new.to_dict()["data"]), c.id, new.seq)
                    for old, new in zip(stored.history, c.history, strict=False) if old != new])
                values = _written(c)
                cur.execute(_UPDATE_ROW, [*values[1:], c.id, stored.version])
                if cur.rowcount != 1:
                    raise ConcurrencyError(c.id, c.committed, None)
                ids = [f"{c.id}:{n}" for n in range(1, stored.version + 1)]
                for i in range(0, len(ids), _CHUNK):
                    chunk = ids[i:i + _CHUNK]
                    marks = ", ".join("?" for _ in chunk)
                    for payload, was_published in cur.execute(
                            f"SELECT payload, published FROM cf_outbox WHERE event_id IN ({marks})",
                            chunk).fetchall():
                        if was_published and not published:
                            continue
                        fresh = erased_outbox(done, outbox_item(json.loads(payload)),
                                              include_personal=self.include_personal,
                                              key=self.pseudonym_key)
                        if fresh is not None:
                            cur.execute("UPDATE cf_outbox SET payload = ? WHERE event_id = ?",
                                        (dumps(fresh.to_dict()), fresh.id))
                self._append(cur, c, events)
                out.append(done)
        for done in out:
            self._seen.remember(done)
        if not self._batched:
            self.checkpoint()
        return out

    def checkpoint(self) -> bool:
        """Copy the WAL into the database file and truncate it (``PRAGMA
        wal_checkpoint(TRUNCATE)``); ``False`` when a reader kept it from completing."""
        with self._lock, self._errors("checkpoint the WAL"):
            row = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return row is None or row[0] == 0

    # -- reads -------------------------------------------------------------------------------
    def get(self, complaint_id: str) -> Complaint:
        if not isinstance(complaint_id, str):
            raise NotFound(complaint_id)
        with self._tx("load a complaint", write=False) as cur:
            rows = cur.execute(f"{_LOAD} WHERE c.id = ? ORDER BY e.seq",
                               (complaint_id,)).fetchall()
        return self._seen.remember(self._stored(complaint_id, rows))

    def due(self, now: datetime, limit: int = 100) -> Sequence[Complaint]:
        at = utc_text(ensure_aware(now, "now"))
        check_limit(limit)
        with self._tx("find due complaints", write=False) as cur:
            ids = cur.execute(
                "SELECT id, version FROM cf_complaints WHERE next_due IS NOT NULL AND next_due <= ? "
                "ORDER BY next_due, id LIMIT ?", (at, limit)).fetchall()
            return self._load(cur, ids)

    def claim_due(self, now: datetime, limit: int = 100, worker: str = "worker", *,
                  lease: timedelta = DEFAULT_LEASE) -> Sequence[Complaint]:
        now = check_claim(now, limit, worker, lease)
        at = utc_text(now)
        # BEGIN IMMEDIATE holds the database's one write lock: claimers take turns, and
        # each sees the claims the ones before it committed.
        with self._tx("claim due complaints", write=True) as cur:
            ids = cur.execute(
                "SELECT id, version FROM cf_complaints WHERE next_due IS NOT NULL AND next_due <= ? "
                "AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY next_due, id LIMIT ?",
                (at, at, limit)).fetchall()
            cur.executemany(
                "UPDATE cf_complaints SET claimed_by = ?, claimed_until = ? WHERE id = ?",
                [(worker, utc_text(now + lease), cid) for cid, _ in ids])
            return self._load(cur, ids)

    def recent(
        self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
        batch: str | None = None, order_id: str | None = None, brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]:
        where = ["received_at >= ?"]
        args: list[Any] = [utc_text(ensure_aware(since, "since"))]
        for col, value in recent_filters(customer_id=customer_id, sku=sku, batch=batch,
                                         order_id=order_id, brand=brand):
            where.append(f"{col} = ?")
            args.append(value)
        sql = (f"SELECT id, version FROM cf_complaints WHERE {' AND '.join(where)} "
               "ORDER BY received_at DESC, id DESC")
        if limit is not None:
            sql += " LIMIT ?"
            args.append(check_limit(limit))
        with self._tx("find recent complaints", write=False) as cur:
            return self._load(cur, cur.execute(sql, args).fetchall())

    def intake_summary(
        self, *, since: datetime, until: datetime, customer_id: str | None = None,
        order_id: str | None = None, sku: str | None = None, batch: str | None = None,
        brand: str | None = None, limit: int = INTAKE_LIMIT,
    ) -> IntakeSummary:
        """Counts and the newest rows of the complaints received in ``[since, until]``
        sharing each given key (see :class:`~complaintflow.policies.IntakeSummary`),
        aggregated by SQLite on the state rows' covering indexes: the cost does not grow
        with the number of complaints on a key."""
        lo, hi = check_window(since, until, limit)
        keys = asked(customer_id=customer_id, order_id=order_id, sku=sku, batch=batch,
                     brand=brand)
        window = (utc_text(lo), utc_text(hi))
        counts: dict[str, int] = {}
        rows: dict[str, list[Any]] = {}
        skus: dict[str, SkuCount] = {}
        lowest = None
        with self._tx("summarize recent complaints", write=False) as cur:
            for key, value in keys.items():
                where = f"WHERE {key} = ? AND received_at >= ? AND received_at <= ?"
                args = (value, *window)
                if key == "customer_id":
                    counts[key], lowest = cur.execute(
                        f"SELECT COUNT(*), MIN(satisfaction) FROM cf_complaints {where}",
                        args).fetchone()
                else:
                    (counts[key],) = cur.execute(
                        f"SELECT COUNT(*) FROM cf_complaints {where}", args).fetchone()
                if key == "brand":
                    skus = {r[0]: SkuCount(r[1], bool(r[2])) for r in cur.execute(
                        "SELECT sku, COUNT(*), MAX(scope <> 'point') FROM cf_complaints "
                        f"{where} AND sku IS NOT NULL GROUP BY sku", args)}
                rows[key] = cur.execute(
                    f"SELECT {', '.join(RECENT_COLUMNS)} FROM cf_complaints {where} "
                    "ORDER BY received_at DESC, id DESC LIMIT ?", (*args, limit)).fetchall()
        return IntakeSummary(lo, hi, keys, counts, intake_rows(keys, rows), skus, lowest,
                             limit, self)

    def counts(self, by: str, *, since: datetime | None = None,
               until: datetime | None = None) -> dict[str | None, int]:
        col = check_by(by)
        lo, hi = received_window(since, until)
        where, args = ["1 = 1"], []
        if lo is not None:
            where.append("received_at >= ?")
            args.append(utc_text(lo))
        if hi is not None:
            where.append("received_at < ?")
            args.append(utc_text(hi))
        with self._tx("count complaints", write=False) as cur:
            rows = cur.execute(
                f"SELECT {col}, COUNT(*) FROM cf_complaints WHERE {' AND '.join(where)} "
                f"GROUP BY {col}", args).fetchall()
        return dict(rows)

    # -- outbox ------------------------------------------------------------------------------
    def pending(self, limit: int = 100) -> Sequence[OutboxItem]:
        check_limit(limit)
        with self._tx("read the outbox", write=False) as cur:
            rows = cur.execute(
                f"SELECT payload FROM cf_outbox WHERE {_WAITING} ORDER BY position LIMIT ?",
                (limit,)).fetchall()
        return [outbox_item(json.loads(r[0])) for r in rows]

    def mark_published(self, ids: Iterable[str], *, worker: str | None = None) -> None:
        keys = check_ids(ids)
        if worker is not None:
            check_worker(worker)
        with self._tx("mark events published", write=True) as cur:
            cur.executemany(
                "UPDATE cf_outbox SET published = 1, claimed_until = NULL "
                "WHERE event_id = ? AND dead_at IS NULL", [(k,) for k in keys])

    def claim_outbox(self, worker: str, limit: int = 100, *, lease: timedelta = DEFAULT_LEASE,
                     now: datetime | None = None) -> Sequence[OutboxItem]:
        now = check_outbox_claim(worker, limit, lease, now)
        at, until = utc_text(now), utc_text(now + lease)
        # BEGIN IMMEDIATE: claimers take turns on the database's one write lock, each
        # seeing the claims committed before it, so the NOT EXISTS below is the whole rule.
        with self._tx("claim outbox items", write=True) as cur:
            rows = cur.execute(
                f"SELECT o.position, o.payload FROM cf_outbox o WHERE {_WAITING_O} "
                "AND (o.claimed_until IS NULL OR o.claimed_until <= ? OR o.claimed_by = ?) "
                "AND NOT EXISTS (SELECT 1 FROM cf_outbox p WHERE p.complaint_id = o.complaint_id "
                "AND p.published = 0 AND p.dead_at IS NULL AND p.position < o.position "
                "AND p.claimed_until > ? AND p.claimed_by <> ?) "
                "ORDER BY o.position LIMIT ?",
                (at, worker, at, worker, limit)).fetchall()
            cur.executemany(
                "UPDATE cf_outbox SET claimed_by = ?, claimed_until = ? WHERE position = ?",
                [(worker, until, r[0]) for r in rows])
        return [outbox_item(json.loads(r[1])) for r in rows]

    def release_outbox(self, ids: Iterable[str], *, worker: str) -> None:
        keys = check_ids(ids)
        check_worker(worker)
        with self._tx("release outbox items", write=True) as cur:
            cur.executemany(
                "UPDATE cf_outbox SET claimed_by = NULL, claimed_until = NULL "
                "WHERE event_id = ? AND claimed_by = ?", [(k, worker) for k in keys])

    def dead_letter(self, item_id: str, reason: str, *, worker: str | None = None,
                    now: datetime | None = None) -> None:
        reason = check_reason(reason)
        if worker is not None:
            check_worker(worker)
        at = utc_text(clock_now(now))
        if not isinstance(item_id, str):
            raise dead_letter_refused(repr(item_id), None)
        with self._tx("dead-letter an outbox item", write=True) as cur:
            row = cur.execute("SELECT published, dead_at FROM cf_outbox WHERE event_id = ?",
                              (item_id,)).fetchone()
            if row is None or row[0]:
                raise dead_letter_refused(item_id, None if row is None else True)
            if row[1] is None:
                cur.execute(
                    "UPDATE cf_outbox SET dead_reason = ?, dead_at = ?, claimed_by = NULL, "
                    "claimed_until = NULL WHERE event_id = ?", (reason, at, item_id))

    def dead_letters(self, limit: int = 100) -> Sequence[DeadLetter]:
        check_limit(limit)
        with self._tx("read the dead letters", write=False) as cur:
            rows = cur.execute(
                "SELECT payload, dead_reason, dead_at FROM cf_outbox WHERE dead_at IS NOT NULL "
                "ORDER BY position LIMIT ?", (limit,)).fetchall()
        return [DeadLetter(outbox_item(json.loads(p)), reason, datetime.fromisoformat(at))
                for p, reason, at in rows]

    def outbox_backlog(self) -> int:
        with self._tx("count the outbox backlog", write=False) as cur:
            count: int = cur.execute(f"SELECT COUNT(*) FROM cf_outbox WHERE {_WAITING}"
                                     ).fetchone()[0]
        return count

    # -- checking ----------------------------------------------------------------------------
    def verify(self) -> list[str]:
        """Problems in the stored data: a history with a gap or that does not replay, a state
        row that differs from the replay of its history, an outbox that is not exactly the
        committed events. An empty list means the database is consistent."""
        with self._tx("verify the database", write=False) as cur:
            rows = {r[0]: list(r) for r in cur.execute(
                f"SELECT {', '.join(STATE_COLUMNS)} FROM cf_complaints")}
            snapshots = {r[0]: (r[1], r[2]) for r in cur.execute(
                "SELECT id, snapshot, snapshot_version FROM cf_complaints")}
            events: dict[str, list[Event]] = {}
            collect_events(events, cur.execute(f"SELECT complaint_id, {_EVENT_COLS} FROM cf_events "
                                               "ORDER BY complaint_id, seq"))
            outbox = {r[0] for r in cur.execute("SELECT event_id FROM cf_outbox")}
        return consistency_problems(rows, events, outbox, _row_values, snapshots)
