"""Builders shared by the store tests (also imported by worker processes)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import complaintflow as cf
from complaintflow.store._base import state_row
from complaintflow.testing.stores import T0, finding, receive, workflow

__all__ = ["T0", "finding", "later", "old_complaints", "old_rows", "receive", "v1_then_latest",
           "workflow"]


def later(clock: cf.FrozenClock, **kw: float) -> datetime:
    return clock.advance(timedelta(**kw))


def old_complaints() -> list[cf.Complaint]:
    """Complaints to write in an old layout: one acknowledged, one revisited (satisfaction
    2), one revisited and reopened (no satisfaction any more)."""
    wf, _ = workflow(None)  # type: ignore[arg-type]
    a = wf.acknowledge(receive(wf, 1), actor="agent-7")
    done = []
    for n in (2, 3):
        c = wf.investigate(wf.acknowledge(receive(wf, n), actor="agent-7"), actor="agent-7",
                           finding=finding())
        c = wf.revisit(wf.resolve(wf.propose(c, actor="agent-7"), actor="agent-7"),
                       actor="agent-7", satisfaction=2)
        done.append(wf.reopen(c, actor="agent-7", reason="still leaks") if n == 3 else c)
    return [a, *done]


def old_rows(c: cf.Complaint) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The state row, event rows and outbox rows complaintflow writes for ``c`` (every
    column a layout may have; an old layout's writer keeps those its tables have)."""
    row = state_row(c)
    events = [{"complaint_id": c.id, "seq": e.seq, "name": e.name, "v": e.v, "at": e.at,
               "actor": e.actor, "data": e.to_dict()["data"]} for e in c.history]
    outbox = [{"event_id": f"{c.id}:{e.seq}", "complaint_id": c.id, "seq": e.seq,
               "payload": {"id": f"{c.id}:{e.seq}", "complaint_id": c.id, "event": e.to_dict()},
               "created_at": e.at} for e in c.history]
    return row, events, outbox


def write_sql_rows(engine: Any, tables: Any, complaints: list[cf.Complaint]) -> None:
    """Write ``complaints`` into SQLAlchemy ``tables`` of an old layout, as it was written."""
    import sqlalchemy as sa

    with engine.begin() as conn:
        for c in complaints:
            row, events, outbox = old_rows(c)
            conn.execute(sa.insert(tables.complaints).values(
                {k: v for k, v in row.items() if k in tables.complaints.c}))
            conn.execute(sa.insert(tables.events), events)
            conn.execute(sa.insert(tables.outbox), outbox)


def v1_then_latest(open_store: Any, write_v1: Any) -> None:
    """``write_v1(complaints)`` writes complaints in a database of layout 1 (as
    complaintflow wrote them then); ``open_store()`` opens it (migrating it): they read
    back, their satisfaction is in the state row, their outbox can be claimed, and the
    next command writes a snapshot."""
    old = old_complaints()
    write_v1(old)
    store = open_store()
    for c in old:
        assert store.get(c.id) == c
    assert store.verify() == []
    assert store.outbox_backlog() == sum(c.version for c in old)
    c = old[0]
    assert [i.id for i in store.claim_outbox("relay", 1)] == [f"{c.id}:1"]
    store.dead_letter(f"{c.id}:1", "refused")
    assert f"{c.id}:2" in [i.id for i in store.claim_outbox("other", 10)]
    wf, _ = workflow(store)
    after = wf.message(store.get(old[1].id), text="thanks")
    assert store.get(after.id) == after == cf.Complaint.replay(after.history)
    assert store.verify() == []
