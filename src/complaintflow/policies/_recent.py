"""The small query protocol policies use to look at recent complaints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from complaintflow._complaint import Complaint

__all__ = ["NO_HISTORY", "RecentComplaints"]


@runtime_checkable
class RecentComplaints(Protocol):
    """Complaints received at or after ``since`` matching every filter that is not None.

    Stores implement this; the workflow hands it to policies so they never open a store.
    """

    def recent(
        self,
        *,
        since: datetime,
        customer_id: str | None = None,
        sku: str | None = None,
        batch: str | None = None,
        order_id: str | None = None,
        brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]: ...


class _NoHistory:
    """What policies see when the workflow has no store: no earlier complaints."""

    def recent(self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
               batch: str | None = None, order_id: str | None = None, brand: str | None = None,
               limit: int | None = None) -> Sequence[Complaint]:
        return ()


NO_HISTORY: RecentComplaints = _NoHistory()
