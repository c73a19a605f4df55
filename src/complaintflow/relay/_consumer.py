"""The receiving side: checking a webhook's signature, and handling each event id once."""

from __future__ import annotations

import base64
import hmac
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol, runtime_checkable

from complaintflow._clock import ensure_aware
from complaintflow.exceptions import ValidationError
from complaintflow.relay._envelope import read_envelope
from complaintflow.relay._errors import InvalidSignature, require
from complaintflow.relay._webhook import _signer
from complaintflow.store import OutboxItem

__all__ = [
    "DEFAULT_TOLERANCE",
    "IdempotentConsumer",
    "MemorySeenSet",
    "SQLSeenSet",
    "SeenSet",
    "verify_webhook",
]

#: How far a webhook's timestamp may be from the receiver's clock (Standard Webhooks: 5 min).
DEFAULT_TOLERANCE: Final = timedelta(minutes=5)


def verify_webhook(body: bytes | str, headers: Mapping[str, str], secret: str | bytes, *,
                   now: datetime | None = None,
                   tolerance: timedelta = DEFAULT_TOLERANCE) -> OutboxItem:
    """Check a webhook delivery signed per Standard Webhooks and return the event it carries.

    Raises :class:`InvalidSignature` (naming the header) when a header is missing, the
    timestamp is further than ``tolerance`` from ``now`` (default: the current time), or no
    ``v1`` signature matches the body under ``secret``: a tampered body, a wrong secret and
    a replayed old delivery are all refused.
    """
    try:
        raw = body if isinstance(body, str) else body.decode()
    except UnicodeDecodeError:
        raise InvalidSignature("body", "not UTF-8 text, so not what was signed") from None
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id")
    stamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    for name, value in (("webhook-id", msg_id), ("webhook-timestamp", stamp),
                        ("webhook-signature", signatures)):
        if not value:
            raise InvalidSignature(name, "missing")
    assert msg_id is not None
    assert stamp is not None
    assert signatures is not None
    try:
        sent = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise InvalidSignature("webhook-timestamp", f"not a Unix time: {stamp!r}") from None
    current = datetime.now(UTC) if now is None else ensure_aware(now, "now")
    if abs(current - sent) > tolerance:
        raise InvalidSignature("webhook-timestamp",
                               f"{sent.isoformat()} is more than {tolerance} from now")
    expected = _signer(secret).sign(msg_id, sent, raw).split(",", 1)[1]
    want = base64.b64decode(expected)
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(want, given):
            item = read_envelope(raw)
            if item.id != msg_id:
                raise InvalidSignature("webhook-id", f"{msg_id!r} is not the event's id {item.id!r}")
            return item
    raise InvalidSignature("webhook-signature", "no signature matches the body and secret")


@runtime_checkable
class SeenSet(Protocol):
    """The ids a consumer has handled. ``add`` is atomic: it returns ``False`` when the id
    was there already; ``discard`` forgets an id whose handling failed."""

    def add(self, event_id: str) -> bool:
        """Record ``event_id``; ``True`` if it is new."""

    def discard(self, event_id: str) -> None:
        """Forget ``event_id``."""


class MemorySeenSet:
    """A seen-set in memory: for tests and consumers that rebuild their state on start."""

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._ids = set(ids)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids.add(event_id)
            return True

    def discard(self, event_id: str) -> None:
        with self._lock:
            self._ids.discard(event_id)


class SQLSeenSet:
    """A seen-set in an SQL table (SQLAlchemy; the ``sql`` extra): one row per handled id.

    ``url`` is an SQLAlchemy URL (``sqlite:///seen.db``, ``postgresql+psycopg://…``) or an
    ``Engine``. The table (default ``cf_seen``) is created when missing. Put it in the
    database your handler writes to and several consumer processes can share it.
    """

    def __init__(self, url: Any, *, table: str = "cf_seen") -> None:
        sa = require("sqlalchemy", "sql", "SQLSeenSet")
        self.engine = sa.create_engine(url) if isinstance(url, str) else url
        metadata = sa.MetaData()
        self.table = sa.Table(
            table, metadata,
            sa.Column("event_id", sa.String(200), primary_key=True),
            sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        )
        metadata.create_all(self.engine)
        self._integrity = sa.exc.IntegrityError

    def __contains__(self, event_id: object) -> bool:
        import sqlalchemy as sa

        with self.engine.connect() as conn:
            found = conn.execute(sa.select(self.table.c.event_id)
                                 .where(self.table.c.event_id == event_id)).first()
        return found is not None

    def add(self, event_id: str) -> bool:
        import sqlalchemy as sa

        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(self.table).values(event_id=event_id,
                                                          seen_at=datetime.now(UTC)))
        except self._integrity:
            return False
        return True

    def discard(self, event_id: str) -> None:
        import sqlalchemy as sa

        with self.engine.begin() as conn:
            conn.execute(sa.delete(self.table).where(self.table.c.event_id == event_id))

    def once(self, event_id: str, work: Callable[[Any], Any]) -> bool:
        """Run ``work(connection)`` in one transaction with recording ``event_id``; ``False``
        (and ``work`` not run) when the id was recorded before.

        Put the handler's own writes on ``connection``: they commit together with the id,
        or neither does, even if the process dies half-way, so the event's effects happen
        exactly once.
        """
        import sqlalchemy as sa

        recorded = False
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(self.table).values(event_id=event_id,
                                                          seen_at=datetime.now(UTC)))
                recorded = True
                work(conn)
        except self._integrity:
            if recorded:  # the handler's own constraint, not a repeat
                raise
            return False
        return True

    def close(self) -> None:
        self.engine.dispose()


class IdempotentConsumer:
    """Calls ``handler(item)`` once per event id, however often the event is delivered.

    Give it each message as received (a CloudEvent as bytes, text or dict, or an
    :class:`OutboxItem`); it returns ``True`` when ``handler`` ran and ``False`` for a
    duplicate. The id is recorded before ``handler`` runs; when ``handler`` raises it is
    forgotten again, so the redelivery is handled. A process that dies inside ``handler``
    leaves the id recorded: when the handler writes to a database, use
    :meth:`SQLSeenSet.once` so the id and the writes commit together.
    """

    def __init__(self, handler: Callable[[OutboxItem], Any], seen: SeenSet | None = None) -> None:
        self.handler = handler
        self.seen: SeenSet = seen if seen is not None else MemorySeenSet()

    def __call__(self, message: bytes | str | Mapping[str, Any] | OutboxItem) -> bool:
        item = message if isinstance(message, OutboxItem) else read_envelope(message)
        if not item.id:
            raise ValidationError("id", "empty event id")
        if not self.seen.add(item.id):
            return False
        try:
            self.handler(item)
        except BaseException:
            self.seen.discard(item.id)
            raise
        return True
