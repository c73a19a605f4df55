"""The accepted offers the fold keeps give the money a walk over the history (the old way)
gives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings

import complaintflow as cf
from complaintflow.policies.compensation import Given
from complaintflow.policies.compensation import given as accepted_money
from complaintflow.testing.strategies import complaints


def walk(complaint: cf.Complaint) -> Given:
    """An independent oracle: the offer each ``resolved`` event follows, read from the
    ``proposed`` event's own data."""
    currency = complaint.currency  # the market's, until an offer pays something
    goodwill = statutory = value = Decimal(0)
    last: cf.Offer | None = None
    for event in complaint.history:
        if event.name == "proposed":
            last = cf.Offer.from_dict(event.data["offer"])
        elif event.name == "resolved":
            assert last is not None
            goodwill += last.goodwill.amount
            statutory += last.statutory.amount
            value += last.remedy_value.amount
            if last.total.amount:
                currency = last.currency
    return Given(goodwill, statutory, value, currency)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(complaints(states=[cf.State.RESOLVED, cf.State.REVISITED, cf.State.INVESTIGATED,
                          cf.State.ARCHIVED], max_detours=8))
def test_the_fold_keeps_what_the_history_says_was_accepted(c: cf.Complaint) -> None:
    assert accepted_money(c) == walk(c)
    assert cf.Complaint.replay(c.history).accepted == c.accepted


def test_a_reopened_complaint_counts_both_accepted_offers() -> None:
    clock = cf.FrozenClock(datetime(2026, 6, 18, 9, 0, tzinfo=UTC))
    wf = cf.Workflow(clock=clock)
    head = cf.Actor("head-1", tier=cf.Tier.REGIONAL_HEAD)
    c = wf.receive("the kettle leaks", customer_id="C-1", channel="hotline",
                   amount=cf.Money(Decimal("300.00")))
    c = wf.acknowledge(c, actor=head)
    c = wf.investigate(c, actor=head, finding=cf.Finding(
        cause="product_defect", party="supply_chain", evidence=("photo",)))
    c = wf.propose(c, actor=head, offer=cf.Offer("partial_refund", goodwill=cf.Money(
        Decimal("10.00")), remedy_value=cf.Money(Decimal("50.00"))))
    c = wf.decline(c, actor=head, reason="too little")
    c = wf.propose(c, actor=head, offer=cf.Offer("partial_refund", goodwill=cf.Money(
        Decimal("20.00")), remedy_value=cf.Money(Decimal("80.00"))))
    c = wf.resolve(c, actor=head)
    c = wf.revisit(c, actor=head, satisfaction=1)
    c = wf.reopen(c, actor=head, reason="it leaks again")
    c = wf.propose(c, actor=head, offer=cf.Offer("partial_refund", goodwill=cf.Money(
        Decimal("5.00")), remedy_value=cf.Money(Decimal("30.00"))))
    c = wf.resolve(c, actor=head)
    assert c.accepted == (1, 2)  # the second and third offers: the first was declined
    given = accepted_money(c)
    assert (given.goodwill, given.statutory, given.remedy_value, given.currency) == (
        Decimal("25.00"), Decimal(0), Decimal("110.00"), "CNY")
    assert accepted_money(c) == walk(c)
