"""The workflow's fast paths build exactly what the checked fold builds."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from decimal import Decimal

import complaintflow as cf
from complaintflow._complaint import apply
from complaintflow._events import Built, Event, FrozenDict, freeze

T0 = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)
FINDING = cf.Finding(cause="product_defect", party="supply_chain", evidence=("order trail",))


def _life() -> cf.Complaint:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, ids=None)
    c = wf.receive("連衣裙褪色，門店拒絕退換", customer_id="C-1", channel="hotline",
                   order_id="O-1", sku="DRESS-1", amount=cf.Money(Decimal("399.00")),
                   complaint_id="CF-1")
    clock.advance(minutes=20)
    c = wf.acknowledge(c, actor="agent-7")
    clock.advance(hours=2)
    c = wf.investigate(c, actor="agent-7", finding=FINDING)
    c = wf.propose(c, actor="agent-7")
    c = wf.decline(c, actor="agent-7", reason="too little")
    c = wf.propose(c, actor="agent-7", offer=cf.Offer(
        "refund", goodwill=cf.Money(Decimal("20.50")), extras=("apology",),
        remedy_value=cf.Money(Decimal("399.00"))))
    clock.advance(hours=1)
    return wf.resolve(c, actor="agent-7")


def _fields(c: cf.Complaint) -> dict[str, object]:
    return {k: v for k, v in vars(c).items() if k != "committed"}


def test_the_workflow_folds_what_a_checked_replay_folds() -> None:
    c = _life()
    assert _fields(cf.Complaint.replay(c.history)) == _fields(c)
    # and through JSON (no Built records left): the same again
    assert _fields(cf.Complaint.from_dict(c.to_dict())) == _fields(c)


def test_built_records_are_plain_frozen_data() -> None:
    c = _life()
    records = [e.data[k] for e in c.history for k in ("offer", "finding") if k in e.data]
    assert len(records) == 3
    for record in records:
        assert type(record) is Built
        value = record.value
        parsed = type(value).from_dict(record)
        assert parsed == value
        assert repr(parsed) == repr(value)
        assert record == freeze(value.to_dict())
        assert type(pickle.loads(pickle.dumps(record))) is FrozenDict


def test_a_built_record_is_taken_only_unchecked() -> None:
    c = _life()
    i = next(i for i, e in enumerate(c.history) if e.name == "proposed")
    before = cf.Complaint.replay(c.history[:i])
    event = c.history[i]
    # a record carrying another offer than its data: the checked fold reads the data
    lie = Built.of(event.data["offer"], cf.Offer("exchange"))
    forged = Event(event.seq, event.name, event.at, event.actor,
                   {**event.data, "offer": lie})
    assert apply(before, forged).offer == c.offers[0]
    assert apply(before, forged, check=False).offer == cf.Offer("exchange")


def test_planned_times_carried_equal_the_parsed_ones() -> None:
    from datetime import timedelta, timezone

    from complaintflow._complaint import _stage_times, stage_times_to_data

    times = {cf.State.RESOLVED: T0 + timedelta(days=3, microseconds=7),
             cf.State.ACKNOWLEDGED: T0 + timedelta(hours=1)}
    record = stage_times_to_data(times)
    assert type(record) is Built
    parsed = _stage_times(record, "deadlines")
    assert record.value == parsed and list(record.value) == list(parsed)
    assert all(t.tzinfo is UTC for t in record.value.values())
    # a time in another zone is written as before and never carried
    other = stage_times_to_data({cf.State.RESOLVED: T0.astimezone(timezone(timedelta(hours=8)))})
    assert type(other) is FrozenDict
