"""An in-process store: for tests, demos and single-process tools."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import attrs

from complaintflow._clock import ensure_aware
from complaintflow._complaint import Complaint
from complaintflow.store._base import (
    DEFAULT_LEASE,
    NotFound,
    OutboxItem,
    check_by,
    check_complaint,
    check_lease,
    check_limit,
    check_worker,
    new_events,
    outbox_event,
    outbox_items,
    received_window,
    recent_filters,
    stale,
)

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps complaints in a dict, with the same optimistic checks as the durable stores.

    ``include_personal=False`` leaves the customer's personal data (``data["personal"]``:
    complaint text, contact fields) out of the outbox.
    """

    def __init__(self, *, include_personal: bool = True) -> None:
        self.include_personal = include_personal
        self._items: dict[str, Complaint] = {}
        self._outbox: dict[str, OutboxItem] = {}  # insertion order is commit order
        self._published: set[str] = set()
        self._claims: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._items)} complaints)"

    def _outbox_items(self, complaint: Complaint, start: int) -> list[OutboxItem]:
        """Built before anything changes, so a failure leaves the store as it was."""
        return outbox_items(complaint.id, complaint.history[start:],
                            include_personal=self.include_personal, prepare=outbox_event)

    def add(self, complaint: Complaint) -> Complaint:
        check_complaint(complaint)
        new_events(complaint, start=0)
        with self._lock:
            if complaint.id in self._items:
                raise stale(attrs.evolve(complaint, committed=0),
                            self._items[complaint.id].version)
            stored = attrs.evolve(complaint, committed=complaint.version)
            items = self._outbox_items(stored, 0)
            self._items[complaint.id] = stored
            self._outbox.update((i.id, i) for i in items)
            return stored

    def get(self, complaint_id: str) -> Complaint:
        try:
            return self._items[complaint_id]
        except (KeyError, TypeError):
            raise NotFound(complaint_id) from None

    def save(self, complaint: Complaint) -> Complaint:
        check_complaint(complaint)
        new_events(complaint)
        with self._lock:
            current = self._items.get(complaint.id)
            if current is None:
                raise NotFound(complaint.id)
            if current.version != complaint.committed or (
                complaint.history[: current.version] != current.history
            ):
                raise stale(complaint, current.version)
            if complaint.version == current.version:
                return current
            stored = attrs.evolve(complaint, committed=complaint.version)
            items = self._outbox_items(stored, current.version)
            self._items[complaint.id] = stored
            self._claims.pop(complaint.id, None)
            self._outbox.update((i.id, i) for i in items)
            return stored

    def _due(self, now: datetime) -> list[Complaint]:
        now = ensure_aware(now, "now")
        found = [c for c in self._items.values() if c.next_due is not None and c.next_due <= now]
        found.sort(key=lambda c: (c.next_due, c.id))
        return found

    def due(self, now: datetime, limit: int = 100) -> Sequence[Complaint]:
        return self._due(now)[: check_limit(limit)]

    def claim_due(self, now: datetime, limit: int = 100, worker: str = "worker", *,
                  lease: timedelta = DEFAULT_LEASE) -> Sequence[Complaint]:
        check_limit(limit)
        check_worker(worker)
        check_lease(lease)
        now = ensure_aware(now, "now")
        with self._lock:
            out: list[Complaint] = []
            for c in self._due(now):
                if len(out) >= limit:
                    break
                claim = self._claims.get(c.id)
                if claim is not None and claim[1] > now:
                    continue
                self._claims[c.id] = (worker, now + lease)
                out.append(c)
            return out

    def pending(self, limit: int = 100) -> Sequence[OutboxItem]:
        check_limit(limit)
        out: list[OutboxItem] = []
        for oid, item in self._outbox.items():
            if len(out) >= limit:
                break
            if oid not in self._published:
                out.append(item)
        return out

    def mark_published(self, ids: Iterable[str]) -> None:
        with self._lock:
            for oid in ids:
                if oid in self._outbox:
                    self._published.add(oid)

    def recent(
        self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
        batch: str | None = None, order_id: str | None = None, brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]:
        since = ensure_aware(since, "since")
        wanted = recent_filters(customer_id=customer_id, sku=sku, batch=batch, order_id=order_id,
                                brand=brand)
        out = [
            c for c in self._items.values()
            if c.received_at >= since and all(getattr(c, k) == v for k, v in wanted)
        ]
        out.sort(key=lambda c: (c.received_at, c.id), reverse=True)
        return out if limit is None else out[: check_limit(limit)]

    def counts(self, by: str, *, since: datetime | None = None,
               until: datetime | None = None) -> dict[str | None, int]:
        check_by(by)
        lo, hi = received_window(since, until)
        out: dict[str | None, int] = {}
        for c in self._items.values():
            if (lo is not None and c.received_at < lo) or (hi is not None and c.received_at >= hi):
                continue
            value = getattr(c, by)
            key = None if value is None else str(value)
            out[key] = out.get(key, 0) + 1
        return out

    def verify(self) -> list[str]:
        """Problems found in the stored data (always none for memory); see ``SQLiteStore``."""
        problems: list[str] = []
        for c in self._items.values():
            if Complaint.replay(c.history) != c:
                problems.append(f"{c.id}: state differs from the replay of its history")
        return problems

    def all(self) -> list[Complaint]:
        return list(self._items.values())
