"""What the commands share: one-line usage errors, times from the command line, opening a store."""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from complaintflow._complaint import Complaint
from complaintflow.exceptions import ComplaintflowError
from complaintflow.store import Store

__all__ = [
    "SQLITE_MAGIC",
    "UsageError",
    "all_complaints",
    "check_database",
    "close_store",
    "db_argument",
    "fmt_time",
    "is_url",
    "open_store",
    "parse_now",
    "parse_since",
    "sqlite_store_class",
]

#: The first bytes of every SQLite 3 database file.
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Table names one of which a complaintflow SQLite database holds.
_OUR_TABLES = frozenset({"cf_schema", "cf_complaints", "cf_events", "cf_outbox"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class UsageError(Exception):
    """Bad input on the command line: printed as one line on stderr, exit code 2."""


def parse_now(text: str, option: str = "--now") -> datetime:
    """An aware UTC datetime from an ISO 8601 value (a time zone is required)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{option}: {text!r} is not an ISO 8601 time, e.g. 2026-06-18T09:00:00+08:00"
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise UsageError(f"{option}: {text!r} has no time zone; add one, e.g. {text}+00:00")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise UsageError(f"{option}: {text!r} is out of range in UTC") from None


def parse_since(text: str, option: str) -> datetime:
    """``2026-06-01`` (midnight UTC) or an aware ISO 8601 time."""
    if len(text) == 10:
        try:
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            raise UsageError(f"{option}: {text!r} is not a date like 2026-06-01") from None
    return parse_now(text, option)


def fmt_time(value: datetime | None) -> str:
    """``2026-06-18 09:00`` (UTC), or an empty string."""
    return "" if value is None else value.astimezone(UTC).isoformat(sep=" ", timespec="minutes")[:16]


def sqlite_store_class() -> Any:
    """``complaintflow.store.SQLiteStore`` when this installation has it, else ``None``."""
    from complaintflow import store

    return getattr(store, "SQLiteStore", None)


def check_database(path: Path) -> None:
    """Refuse anything at ``path`` that is not (or cannot become) a complaintflow database."""
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a complaintflow database")
    if path.exists() and not path.is_file():  # a FIFO, a socket, a device: never open it
        raise UsageError(f"{path}: not a regular file, not a complaintflow database")
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    if not head:
        return  # an empty file is an empty SQLite database
    if head != SQLITE_MAGIC:
        raise UsageError(f"{path}: not a complaintflow database (not an SQLite file)")
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            names = {row[0] for row in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise UsageError(f"{path}: not a complaintflow database ({exc})") from None
    if names and not names & _OUR_TABLES:
        raise UsageError(
            f"{path}: not a complaintflow database (it holds other tables: "
            f"{', '.join(sorted(names)[:5])})"
        )


def is_url(db: str | Path) -> bool:
    """Whether ``--db`` names a database server (``postgresql://...``), not a file."""
    return isinstance(db, str) and "://" in db


def db_argument(text: str) -> str:
    """``--db``: an SQLite path or a database URL, kept as given."""
    if not text:
        raise argparse.ArgumentTypeError("expected an SQLite path or a database URL")
    return text


def open_store(db: str | Path, *, create: bool = False) -> Store:
    """The store at ``db``: an SQLite path (without ``create`` the file must already
    exist) or a database URL such as ``postgresql://user@host/name`` (the ``sql`` extra)."""
    if is_url(db):
        return _open_url(str(db), create=create)
    path = Path(db)
    if not path.exists():
        if not create:
            raise UsageError(
                f"{path}: no such database (create one with: complaintflow demo --db {path})"
            )
        if not path.parent.is_dir():
            raise UsageError(f"{path}: the directory {path.parent} does not exist")
    else:
        check_database(path)
    cls = sqlite_store_class()
    if cls is None:
        raise UsageError("this installation of complaintflow has no SQLiteStore")
    try:
        store: Store = cls(path)
    except ComplaintflowError as exc:  # names the file and says what is wrong with it
        raise UsageError(str(exc)) from None
    except (sqlite3.Error, OSError) as exc:
        raise UsageError(f"{path}: cannot be opened as a complaintflow database ({exc})") from None
    return store


def _open_url(url: str, *, create: bool) -> Store:
    try:
        from complaintflow.store import SQLStore
    except ImportError:
        raise UsageError("database URLs need SQLAlchemy: pip install 'complaintflow[sql]'"
                         ) from None
    try:
        store: Store = SQLStore(url, create=create)
    except ImportError as exc:
        raise UsageError(f"{url.split('://', maxsplit=1)[0]}: the database driver is missing ({exc})"
                         ) from None
    except ComplaintflowError as exc:
        raise UsageError(_one_line(str(exc))) from None
    return store


def _one_line(text: str) -> str:
    first = text.strip().splitlines()
    return first[0] if first else text


def close_store(store: Store) -> None:
    """Close ``store`` if it holds a connection."""
    close = getattr(store, "close", None)
    if callable(close):
        close()


def all_complaints(store: Store) -> list[Complaint]:
    """Every complaint of ``store``, oldest first (through the protocol's ``recent``)."""
    found: Iterable[Complaint] = store.recent(since=_EPOCH)
    return sorted(found, key=lambda c: (c.received_at, c.id))
