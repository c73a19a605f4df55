"""The ``Store`` protocol every backend implements."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from complaintflow._model import Complaint, Event

__all__ = ["OutboxItem", "Store"]


@attrs.frozen(slots=True)
class OutboxItem:
    """A committed event waiting to be published; ``id`` is stable (``"<complaint>:<seq>"``)."""

    id: str
    complaint_id: str
    event: Event


@runtime_checkable
class Store(Protocol):
    """Where complaints live. Every write is all-or-nothing."""

    def add(self, complaint: Complaint) -> Complaint:
        """Store a new complaint (all its events); returns it marked as committed."""

    def get(self, complaint_id: str) -> Complaint:
        """The stored complaint; raises ``KeyError``-like ``StoreError`` if unknown."""

    def save(self, complaint: Complaint) -> Complaint:
        """Append the events added since ``complaint`` was loaded; raises ``ConcurrencyError``
        when the stored version is not the one it was loaded at."""

    def due(self, now: datetime, limit: int = 100) -> Sequence[Complaint]:
        """Complaints whose next deadline (or warning) is at or before ``now``."""

    def pending(self, limit: int = 100) -> Sequence[OutboxItem]:
        """Committed events not yet published, oldest first."""

    def mark_published(self, ids: Iterable[str]) -> None:
        """Remove published events from the outbox."""

    def recent(
        self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
        batch: str | None = None, order_id: str | None = None, brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]:
        """Complaints received at or after ``since`` matching every given filter."""
