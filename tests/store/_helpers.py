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


def v1_then_latest(open_store: Any, make_v1: Any) -> None:
    """``make_v1()`` makes a database of layout 1; ``open_store()`` opens it (migrating it):
    the complaint written at version 1 reads back and its outbox can be claimed."""
    old = make_v1()
    wf, _ = workflow(old)
    c = wf.acknowledge(receive(wf, 1), actor="agent-7")
    store = open_store()
    assert store.get(c.id) == c
    assert store.outbox_backlog() == 2
    assert [i.id for i in store.claim_outbox("relay", 1)] == [f"{c.id}:1"]
    assert store.claim_outbox("other", 10) == []
    store.dead_letter(f"{c.id}:1", "refused")
    assert [i.id for i in store.claim_outbox("other", 10)] == [f"{c.id}:2"]
    assert store.verify() == []
