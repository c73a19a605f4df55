"""Builders shared by the store tests (also imported by worker processes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import complaintflow as cf
from complaintflow.store import Store

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)


def workflow(store: Store, now: datetime = T0) -> tuple[cf.Workflow, cf.FrozenClock]:
    clock = cf.FrozenClock(now)
    return cf.Workflow(store=store, clock=clock), clock


def receive(wf: cf.Workflow, n: int, **kw: Any) -> cf.Complaint:
    """The ``n``-th test complaint: distinct ids, a few shared SKUs, batches and regions."""
    args: dict[str, Any] = {
        "customer_id": f"C-{n % 7}", "channel": "hotline", "sku": f"SKU-{n % 3}",
        "batch": f"B-{n % 2}", "store": f"S-{n % 4}", "region": ("east", "west", "north")[n % 3],
        "amount": Decimal("99.00"), "complaint_id": f"CF-{n:05d}",
        "contact": {"phone": "+86 138 0000 0000"},
    }
    args.update(kw)
    return wf.receive(f"the kettle number {n} leaks", **args)


def finding() -> cf.Finding:
    return cf.Finding(cause="product_defect", party="supply_chain", evidence=("photo",))


def later(clock: cf.FrozenClock, **kw: float) -> datetime:
    return clock.advance(timedelta(**kw))
