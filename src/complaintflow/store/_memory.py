"""An in-process store: for tests, demos and single-process tools."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from complaintflow._errors import ConcurrencyError, StoreError, ValidationError
from complaintflow._model import Complaint
from complaintflow.store._base import OutboxItem

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps complaints in a dict, with the same optimistic checks as the durable stores."""

    def __init__(self) -> None:
        self._items: dict[str, Complaint] = {}
        self._outbox: dict[str, OutboxItem] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def _outbox_add(self, complaint: Complaint, start: int) -> None:
        for event in complaint.history[start:]:
            oid = f"{complaint.id}:{event.seq}"
            self._outbox[oid] = OutboxItem(oid, complaint.id, event)

    def add(self, complaint: Complaint) -> Complaint:
        if not isinstance(complaint, Complaint):
            raise ValidationError("complaint", f"expected a Complaint, got {type(complaint).__name__}")
        with self._lock:
            if complaint.id in self._items:
                raise ConcurrencyError(complaint.id, 0, self._items[complaint.id].version)
            stored = attrs.evolve(complaint, committed=complaint.version)
            self._items[complaint.id] = stored
            self._outbox_add(stored, 0)
            return stored

    def get(self, complaint_id: str) -> Complaint:
        try:
            return self._items[complaint_id]
        except KeyError:
            raise StoreError(f"no complaint with id {complaint_id!r}") from None

    def save(self, complaint: Complaint) -> Complaint:
        if not isinstance(complaint, Complaint):
            raise ValidationError("complaint", f"expected a Complaint, got {type(complaint).__name__}")
        with self._lock:
            current = self._items.get(complaint.id)
            if current is None:
                raise StoreError(f"no complaint with id {complaint.id!r}; add it first")
            if current.version != complaint.committed or (
                complaint.history[: current.version] != current.history
            ):
                raise ConcurrencyError(complaint.id, complaint.committed, current.version)
            stored = attrs.evolve(complaint, committed=complaint.version)
            self._items[complaint.id] = stored
            self._outbox_add(stored, current.version)
            return stored

    def due(self, now: datetime, limit: int = 100) -> Sequence[Complaint]:
        found = [c for c in self._items.values() if c.next_due is not None and c.next_due <= now]
        found.sort(key=lambda c: (c.next_due, c.id))
        return found[:limit]

    def pending(self, limit: int = 100) -> Sequence[OutboxItem]:
        return list(self._outbox.values())[:limit]

    def mark_published(self, ids: Iterable[str]) -> None:
        with self._lock:
            for oid in ids:
                self._outbox.pop(oid, None)

    def recent(
        self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
        batch: str | None = None, order_id: str | None = None, brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]:
        wanted = {"customer_id": customer_id, "sku": sku, "batch": batch, "order_id": order_id,
                  "brand": brand}
        out = [
            c for c in self._items.values()
            if c.received_at >= since
            and all(v is None or getattr(c, k) == v for k, v in wanted.items())
        ]
        out.sort(key=lambda c: c.received_at, reverse=True)
        return out if limit is None else out[:limit]

    def all(self) -> list[Complaint]:
        return list(self._items.values())
