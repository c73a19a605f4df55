"""The plain assertion helpers, used outside the state machine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings

import complaintflow as cf
from complaintflow.policies import CompensationLadder
from complaintflow.store import MemoryStore
from complaintflow.testing import INVARIANTS, InvariantViolation, complaints
from complaintflow.testing import invariants as inv

T0 = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _wf() -> cf.Workflow:
    return cf.Workflow(clock=cf.FrozenClock(T0))


def _proposed(wf: cf.Workflow, **propose: object) -> cf.Complaint:
    c = wf.receive("The dress faded after one wash", customer_id="C-1", channel="hotline")
    c = wf.acknowledge(c, actor="agent-1")
    c = wf.investigate(c, actor="agent-1",
                       finding=cf.Finding("service_error", "store", ("order trail",)))
    return wf.propose(c, **propose)  # type: ignore[arg-type]


def _violates(name: str, check: object, *args: object, **kwargs: object) -> InvariantViolation:
    assert callable(check)
    with pytest.raises(InvariantViolation) as info:
        check(*args, **kwargs)
    assert info.value.invariant == name
    assert name in str(info.value)
    assert isinstance(info.value, AssertionError)
    return info.value


@settings(max_examples=30)
@given(complaints())
def test_real_complaints_keep_every_promise(c: cf.Complaint) -> None:
    inv.check_complaint(c)


def test_version_must_count_the_history() -> None:
    c = _wf().receive("broken", customer_id="C-1", channel="app")
    _violates("version_is_history_length", inv.check_version, attrs.evolve(c, version=2))
    renumbered = attrs.evolve(c, history=(attrs.evolve(c.history[0], seq=2),))
    _violates("version_is_history_length", inv.check_version, renumbered)


def test_state_must_follow_the_history() -> None:
    wf = _wf()
    c = wf.acknowledge(wf.receive("broken", customer_id="C-1", channel="app"), actor="a")
    _violates("legal_edges", inv.check_legal_edges, attrs.evolve(c, state=cf.State.PROPOSED))
    skipped = cf.Event(3, "resolved", T0, "a", {})
    _violates("legal_edges", inv.check_legal_edges,
              attrs.evolve(c, history=(*c.history, skipped), version=3))


def test_archived_is_terminal() -> None:
    wf = _wf()
    c = wf.receive("broken", customer_id="C-1", channel="app")
    c = wf.archive(wf.withdraw(c, actor="a", reason="bought elsewhere"), actor="a")
    inv.check_archived_terminal(c, workflow=wf)
    after = cf.Event(c.version + 1, "acknowledged", T0, "a", {})
    _violates("archived_terminal", inv.check_archived_terminal,
              attrs.evolve(c, history=(*c.history, after)))


def test_round_trip_catches_fields_no_event_records() -> None:
    c = _wf().receive("broken", customer_id="C-1", channel="app")
    inv.check_round_trip(c)
    json.dumps(c.to_dict())
    _violates("round_trip", inv.check_round_trip, attrs.evolve(c, summary="not in history"))


def test_deadlines_before_receipt_or_out_of_order() -> None:
    c = _wf().receive("broken", customer_id="C-1", channel="app")
    early = dict(c.deadlines)
    early[cf.State.ACKNOWLEDGED] = c.received_at - timedelta(minutes=1)
    _violates("deadlines_ordered", inv.check_deadlines_ordered, attrs.evolve(c, deadlines=early))
    data = dict(c.history[0].data)
    planned = dict(data["deadlines"])
    planned["resolved"], planned["proposed"] = planned["proposed"], planned["resolved"]
    swapped = attrs.evolve(c.history[0], data={**data, "deadlines": planned})
    _violates("deadlines_ordered", inv.check_deadlines_ordered,
              attrs.evolve(c, history=(swapped,)))


def test_tier_never_goes_down() -> None:
    wf = _wf()
    c = wf.escalate(wf.receive("broken", customer_id="C-1", channel="app"), actor="a",
                    reason="VIP")
    inv.check_tier_never_down(c)
    _violates("tier_never_down", inv.check_tier_never_down,
              attrs.evolve(c, tier=cf.Tier.FRONT_LINE))
    higher = attrs.evolve(c, tier=cf.Tier.EXECUTIVE)
    _violates("tier_never_down", inv.check_tier_never_down, c, higher)


def test_breach_once_per_planned_deadline() -> None:
    wf = _wf()
    c = wf.receive("broken", customer_id="C-1", channel="app")
    c = wf.tick(c, now=T0 + timedelta(hours=2))
    breach = next(e for e in c.history if e.name == "sla_breached")
    inv.check_breach_once_per_stage(c)
    again = attrs.evolve(breach, seq=c.version + 1)
    _violates("breach_once_per_stage", inv.check_breach_once_per_stage,
              attrs.evolve(c, history=(*c.history, again), version=c.version + 1))
    early = attrs.evolve(breach, at=T0)
    history = tuple(early if e is breach else e for e in c.history)
    _violates("breach_once_per_stage", inv.check_breach_once_per_stage,
              attrs.evolve(c, history=history))


def test_offers_within_the_approving_tier() -> None:
    wf = _wf()
    big = cf.Offer("refund", goodwill=cf.Money(Decimal(400)))
    c = _proposed(wf, actor="agent-1", offer=big,
                  approved_by=cf.Actor("sup-1", cf.Tier.STORE_SUPERVISOR))
    inv.check_offers_within_authority(c, workflow=wf)
    stricter = cf.Workflow(clock=wf.clock, compensation=CompensationLadder(
        limits={t: cf.Money(Decimal(100)) for t in cf.Tier}))
    _violates("offers_within_authority", inv.check_offers_within_authority, c,
              workflow=stricter)


def test_goodwill_and_currencies() -> None:
    wf = _wf()
    c = _proposed(wf, actor="agent-1")
    inv.check_goodwill_non_negative(c)
    inv.check_single_currency(c)
    minus = cf.Money(Decimal(0))
    object.__setattr__(minus, "amount", Decimal(-1))
    negative = attrs.evolve(c.offers[0], goodwill=minus)
    _violates("goodwill_non_negative", inv.check_goodwill_non_negative,
              attrs.evolve(c, offers=(negative,)))
    dollars = cf.Offer("refund", statutory=cf.Money(Decimal(5), "USD"))
    yen = cf.Offer("refund", statutory=cf.Money(Decimal(5), "JPY"))
    _violates("single_currency", inv.check_single_currency,
              attrs.evolve(c, offers=(dollars, yen)))
    on_cny = attrs.evolve(c, amount=cf.Money(Decimal(399)), offers=(dollars,))
    _violates("single_currency", inv.check_single_currency, on_cny)


def test_failed_command_and_store_checks() -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(T0), store=MemoryStore())
    c = wf.receive("broken", customer_id="C-1", channel="app")
    snapshot = c.to_dict()
    with pytest.raises(cf.ValidationError):
        wf.acknowledge(c, actor="")
    inv.check_failed_command_changed_nothing(c, snapshot, workflow=wf)
    _violates("failed_command_changes_nothing", inv.check_failed_command_changed_nothing,
              c, snapshot, published=1)
    inv.check_store_matches(c, workflow=wf)
    moved = wf.acknowledge(c, actor="a")
    _violates("store_matches", inv.check_store_matches, c, workflow=wf)
    _violates("failed_command_changes_nothing", inv.check_failed_command_changed_nothing,
              c, snapshot, workflow=wf)
    inv.check_step(c, moved, "acknowledge", workflow=wf)
    _violates("legal_edges", inv.check_step, c, moved, "investigate", workflow=wf)
    rewritten = attrs.evolve(moved, history=(attrs.evolve(moved.history[0], actor="x"),
                                             moved.history[1]))
    _violates("history_append_only", inv.check_step, c, rewritten, "acknowledge")


def test_every_invariant_is_documented() -> None:
    page = (DOCS / "reference" / "invariants.md").read_text(encoding="utf-8")
    for name in INVARIANTS:
        assert f"`{name}`" in page, name


def test_the_workflow_refuses_an_offer_in_another_currency() -> None:
    wf = _wf()
    c = wf.receive("The staff were rude", customer_id="C-1", channel="hotline",
                   amount=cf.Money(Decimal(399)))
    c = wf.investigate(wf.acknowledge(c, actor="a"), actor="a",
                       finding=cf.Finding("service_error", "store", ("call recording",)))
    dollars = cf.Offer("refund", statutory=cf.Money(Decimal(10), "USD"))
    with pytest.raises(cf.CurrencyMismatch):
        wf.propose(c, actor="agent-1", offer=dollars)
