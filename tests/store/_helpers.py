"""Builders shared by the store tests (also imported by worker processes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import complaintflow as cf
from complaintflow.testing.stores import T0, finding, receive, workflow

__all__ = ["T0", "finding", "later", "receive", "v1_then_latest", "workflow"]


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
