"""Reading a complaintflow database with SQL: an SQLite file or a SQLAlchemy URL."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from complaintflow.exceptions import (
    IntegrityError,
    OperationalError,
    SchemaVersionError,
    StoreError,
)
from complaintflow.store._base import utc_text
from complaintflow.store._schema import LATEST

__all__ = ["Database", "is_url", "open_database"]

_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_TABLES: Final = ("cf_complaints", "cf_events")


def is_url(db: str | os.PathLike[str]) -> bool:
    """Whether ``db`` names a database server (``postgresql://...``) rather than a file."""
    return isinstance(db, str) and "://" in db


class Database:
    """A read-only connection to the tables of a complaintflow store.

    Only ``SELECT`` statements run through it; the dialect (``"sqlite"`` or the
    SQLAlchemy dialect name, e.g. ``"postgresql"``) picks the SQL for JSON fields, time
    differences and exact sums.
    """

    def __init__(self, db: str | os.PathLike[str]) -> None:
        self.name = str(db)
        self._sqlite: sqlite3.Connection | None = None
        self._engine: Any = None
        self._conn: Any = None
        if is_url(db):
            self._open_url(str(db))
        else:
            self._open_file(Path(db))
        self._check_tables()

    # -- opening -----------------------------------------------------------------------------
    def _open_file(self, path: Path) -> None:
        if not path.exists():
            raise StoreError(f"{path}: no such database")
        if path.is_dir():
            raise StoreError(f"{path}: is a directory, not a complaintflow database")
        if not path.is_file():
            raise StoreError(f"{path}: not a regular file, not a complaintflow database")
        try:
            with path.open("rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise StoreError(f"{path}: cannot be read ({exc.strerror})") from None
        if head != _SQLITE_MAGIC:
            raise StoreError(f"{path}: not a complaintflow database (not an SQLite file)")
        self.dialect = "sqlite"
        try:
            self._sqlite = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise OperationalError(f"{path}: cannot be opened ({exc})") from None

    def _open_url(self, url: str) -> None:
        try:
            import sqlalchemy as sa
        except ImportError:
            raise StoreError("database URLs need SQLAlchemy: pip install 'complaintflow[sql]'"
                             ) from None
        from complaintflow.store._sql import _engine_for, _safe

        self.name = _safe(url)
        self._engine = _engine_for(url)
        self.dialect = str(self._engine.dialect.name)
        try:
            self._conn = self._engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            self._engine.dispose()
            raise OperationalError(f"{self.name}: cannot connect ({_first_line(exc)})") from None

    def _check_tables(self) -> None:
        if self.dialect == "sqlite":
            names = {r[0] for r in self.rows(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        else:
            import sqlalchemy as sa

            names = {n for n in _TABLES if sa.inspect(self._conn).has_table(n)}
        missing = [t for t in _TABLES if t not in names]
        if missing:
            self.close()
            raise IntegrityError(f"{self.name}: not a complaintflow database "
                                 f"(no table {', '.join(missing)})")
        found = self.rows("SELECT MAX(version) FROM cf_schema") if "cf_schema" in names or (
            self.dialect != "sqlite") else [(None,)]
        version = found[0][0] if found else None
        if isinstance(version, int) and version > LATEST:
            self.close()
            raise SchemaVersionError(
                f"{self.name} has schema version {version}, newer than the {LATEST} this "
                f"complaintflow understands; upgrade complaintflow to read it")

    # -- use ---------------------------------------------------------------------------------
    def time(self, value: datetime) -> Any:
        """``value`` as the database compares stored times."""
        return utc_text(value) if self.dialect == "sqlite" else value

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> Sequence[tuple[Any, ...]]:
        """The rows of one ``SELECT`` (parameters as ``:name``)."""
        args = dict(params or {})
        if self._sqlite is not None:
            try:
                return self._sqlite.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise OperationalError(f"{self.name}: cannot read ({exc})") from None
        import sqlalchemy as sa

        try:
            return [tuple(r) for r in self._conn.execute(sa.text(sql), args)]
        except sa.exc.SQLAlchemyError as exc:
            self._conn.rollback()
            raise OperationalError(f"{self.name}: cannot read ({_first_line(exc)})") from None

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._conn is not None:
            self._conn.close()
        if self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- dialect fragments -------------------------------------------------------------------
    def json(self, column: str, *path: str) -> str:
        """The text (or number) at ``path`` inside the JSON ``column``."""
        if self.dialect == "sqlite":
            return f"json_extract({column}, '$.{'.'.join(path)}')"
        if len(path) == 1:
            return f"({column} ->> '{path[0]}')"
        return f"({column} #>> '{{{','.join(path)}}}')"

    def hours(self, later: str, earlier: str) -> str:
        """Hours from ``earlier`` to ``later`` (two stored times)."""
        if self.dialect == "sqlite":
            return f"((julianday({later}) - julianday({earlier})) * 24.0)"
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 3600.0)"

    def cents(self, text: str) -> str:
        """A decimal amount (JSON text) in ten-thousandths, summed exactly by the database."""
        if self.dialect == "sqlite":
            return f"CAST(ROUND(CAST(COALESCE({text}, '0') AS REAL) * 10000) AS INTEGER)"
        return f"(CAST(COALESCE({text}, '0') AS NUMERIC) * 10000)"

    def integer(self, text: str) -> str:
        return f"CAST({text} AS INTEGER)"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def open_database(db: str | os.PathLike[str]) -> Database:
    """Open ``db`` (an SQLite path or a database URL) for reading."""
    return Database(db)
