"""The plain assertion helpers, used outside the state machine."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings

import complaintflow as cf
from complaintflow.policies import CompensationLadder, OpenAuthorization
from complaintflow.store import MemoryStore
from complaintflow.testing import INVARIANTS, InvariantViolation, complaints
from complaintflow.testing import invariants as inv

T0 = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _wf() -> cf.Workflow:
    return cf.Workflow(clock=cf.FrozenClock(T0), authorization=OpenAuthorization())


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
        wf.propose(c, actor="a", offer=dollars)


# -- the truth of the record ---------------------------------------------------------------------
F = cf.Finding("product_defect", "supply_chain", ("lab report",))


def _changed(c: cf.Complaint, *changes: tuple[int, Mapping[str, object]]) -> list[cf.Event]:
    """``c``'s history with the data of some events changed: ``(seq, {key: value})``."""
    history = list(c.history)
    for seq, data in changes:
        event = history[seq - 1]
        history[seq - 1] = attrs.evolve(event, data={**event.data, **data})
    return history


def _rewrite(c: cf.Complaint, *changes: tuple[int, Mapping[str, object]]) -> cf.Complaint:
    """``c`` replayed with the data of some events changed: ``(seq, {key: value})``."""
    return cf.Complaint.replay(_changed(c, *changes))


def _forge(c: cf.Complaint, *changes: tuple[int, Mapping[str, object]]) -> cf.Complaint:
    """``c`` with the data of some events changed, built without the fold (which refuses a
    forged history): its offers and approvers are those its proposals record. The
    invariants judge the history, as they would judge one exported from another system."""
    history = _changed(c, *changes)
    proposals = [e.data for e in history if e.name == "proposed"]
    return attrs.evolve(c, history=tuple(history),
                        offers=tuple(cf.Offer.from_dict(d["offer"]) for d in proposals),
                        approvers=tuple(d.get("approved_by") for d in proposals))


def _refused(forged: cf.Complaint, *words: str) -> None:
    """Loading ``forged`` (``replay`` and ``from_dict``) is refused, naming ``words``."""
    for load in (lambda: cf.Complaint.replay(forged.history),
                 lambda: cf.Complaint.from_dict(forged.to_dict())):
        with pytest.raises((cf.ValidationError, cf.AuthorityExceeded)) as info:
            load()
        for word in words:
            assert word in str(info.value)


def _offer(event: cf.Event, **amounts: str) -> dict[str, object]:
    offer = dict(event.data["offer"])
    for name, amount in amounts.items():
        if name == "remedy":
            offer["remedy"] = amount
        else:
            offer[name] = {"amount": amount, "currency": "CNY"}
    return offer


def _last(c: cf.Complaint, name: str) -> cf.Event:
    return next(e for e in reversed(c.history) if e.name == name)


def _road(wf: cf.Workflow, text: str = "The dress faded after one wash", **receive: object
          ) -> cf.Complaint:
    c = wf.receive(text, customer_id="C-1", channel="hotline", **receive)  # type: ignore[arg-type]
    return wf.investigate(wf.acknowledge(c, actor="agent-1"), actor="agent-1", finding=F)


def test_check_complaint_runs_the_record_truth_invariants() -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    c = wf.receive("The dress faded after one wash", customer_id="C-1", channel="hotline")
    clock.advance(timedelta(hours=2))
    late = wf.acknowledge(wf.tick(c), actor="agent-1")
    inv.check_complaint(late, workflow=wf)
    untold = attrs.evolve(late, history=(late.history[0], attrs.evolve(late.history[-1], seq=2)),
                          version=2)  # acknowledged late, without its breach
    _violates("sla_matches_referee", inv.check_complaint, untold, workflow=wf)
    _violates("sla_matches_referee", inv.check_complaint, untold)
    proposed = wf.propose(_road(wf), actor="agent-1", offer=cf.Offer(
        "refund", goodwill=cf.Money(Decimal(400))),
        approved_by=cf.Actor("sup-1", cf.Tier.STORE_SUPERVISOR))
    inv.check_complaint(proposed, workflow=wf)
    own = _forge(proposed, (_last(proposed, "proposed").seq, {"approved_by": "agent-1"}))
    _violates("approver_not_actor", inv.check_complaint, own)
    assert set(inv.RECORD_TRUTH_INVARIANTS) <= set(INVARIANTS)


def test_a_tick_must_bring_the_record_up_to_now() -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    c = wf.receive("The dress faded after one wash", customer_id="C-1", channel="hotline")
    clock.advance(timedelta(hours=2))
    inv.check_step(c, wf.tick(c), "tick", workflow=wf)
    _violates("sla_matches_referee", inv.check_step, c, c, "tick", workflow=wf)


def test_sla_escalation_rule_follows_the_policy() -> None:
    from complaintflow.policies import TieredEscalation
    from complaintflow.testing.referee import one_tier_up

    class Never(TieredEscalation):
        def on_breach(self, complaint: cf.Complaint, stage: cf.State) -> cf.Tier | None:
            return None

    assert inv.escalation_rule(None) is one_tier_up
    assert inv.escalation_rule(_wf()) is one_tier_up
    never = cf.Workflow(clock=cf.FrozenClock(T0), escalation=Never())
    assert inv.escalation_rule(never) is None
    c = never.tick(never.receive("broken", customer_id="C-1", channel="app"),
                   now=T0 + timedelta(hours=2))
    inv.check_sla_matches_referee(c, workflow=never)
    _violates("sla_matches_referee", inv.check_sla_matches_referee, c)


def test_deadlines_after_planning() -> None:
    wf = _wf()
    c = wf.resolve(wf.propose(_road(wf), actor="agent-1"), actor="agent-1")
    inv.check_deadlines_after_planning(c)
    resolved = _last(c, "resolved")
    early = {"revisited": (resolved.at - timedelta(hours=1)).isoformat()}
    before_itself = _forge(c, (resolved.seq, {"deadlines": early}))
    _refused(before_itself, "deadlines.revisited", "before the event")
    _violates("deadlines_after_planning", inv.check_deadlines_after_planning, before_itself)
    paused = wf.await_customer(_road(wf), actor="agent-1", reason="photos")
    resumed = wf.customer_replied(paused, actor="agent-1")
    inv.check_deadlines_after_planning(resumed)
    back = {"proposed": (T0 - timedelta(hours=1) + timedelta(hours=48)).isoformat()}
    _violates("deadlines_after_planning", inv.check_deadlines_after_planning,
              _rewrite(resumed, (resumed.version, {"deadlines": back})))


def test_automatic_offers_within_the_acting_tier() -> None:
    wf = _wf()
    c = wf.propose(_road(wf), actor="agent-1")
    inv.check_automatic_offers_within_authority(c, workflow=wf)
    event = _last(c, "proposed")
    generous = _rewrite(c, (event.seq, {"offer": _offer(event, goodwill="500.00"),
                                        "approved_by": "sup-1",
                                        "approver_tier": "store_supervisor"}))
    inv.check_offers_within_authority(generous, workflow=wf)  # an approver covers it …
    _violates("automatic_offer_within_authority",  # … but the policy chose it alone
              inv.check_automatic_offers_within_authority, generous, workflow=wf)
    chosen = _rewrite(generous, (event.seq, {"automatic": False}))
    inv.check_automatic_offers_within_authority(chosen, workflow=wf)


def test_a_refusal_caused_by_a_policy_is_not_clean() -> None:
    c = _road(_wf())
    refused = cf.AuthorityExceeded("goodwill above the limit", needed_tier="store_supervisor")
    _violates("automatic_offer_within_authority", inv.check_refusal, "propose", refused,
              complaint=c, arguments={"actor": "agent-1"})
    inv.check_refusal("propose", refused, arguments={"actor": "a", "offer": cf.Offer("refund")})
    inv.check_refusal("propose", refused, arguments={"actor": "a", "approved_by": "sup-1"})
    inv.check_refusal("acknowledge", cf.ValidationError("actor", "must not be empty"))
    _violates("deadlines_ordered", inv.check_refusal, "resolve",
              cf.ValidationError("follow_up", "before resolution"))


def test_statutory_money_within_the_legal_floor() -> None:
    wf = _wf()
    plain = wf.propose(_road(wf, amount=cf.Money(Decimal(399))), actor="agent-1")
    inv.check_statutory_within_floor(plain, workflow=wf)
    event = _last(plain, "proposed")
    no_floor = _forge(plain, (event.seq, {"offer": _offer(event, statutory="5000.00")}))
    _refused(no_floor, "5000.00 CNY statutory above the 0.00 CNY the law owes")
    _violates("statutory_within_floor", inv.check_statutory_within_floor, no_floor,
              workflow=wf)
    c = wf.receive("This is a fake, not genuine", customer_id="C-2", channel="hotline",
                   amount=cf.Money(Decimal(399)))
    c = wf.investigate(wf.acknowledge(c, actor="a"), actor="a",
                       finding=cf.Finding("fraud", "store", ("lab report",)))
    fraud = wf.propose(c, actor="agent-1")
    assert fraud.offer is not None and fraud.offer.statutory.amount == Decimal("1197.00")
    inv.check_statutory_within_floor(fraud, workflow=wf)
    event = _last(fraud, "proposed")
    # above the floor, statutory money counts as goodwill: a cent is within the front
    # line's 50 …
    cent = _rewrite(fraud, (event.seq, {"offer": _offer(event, statutory="1197.01")}))
    inv.check_statutory_within_floor(cent, workflow=wf)
    # … 50.01 is not
    beyond = _forge(fraud, (event.seq, {"offer": _offer(event, statutory="1247.01")}))
    _refused(beyond, "50.01 CNY statutory above the 1197.00 CNY the law owes")
    _violates("statutory_within_floor", inv.check_statutory_within_floor, beyond, workflow=wf)


def test_remedy_value_within_the_price() -> None:
    wf = _wf()
    c = _road(wf, amount=cf.Money(Decimal(399)))
    c = wf.propose(c, actor="agent-1", offer=cf.Offer(
        "refund", remedy_value=cf.Money(Decimal(399))))
    inv.check_remedy_within_price(c)
    event = _last(c, "proposed")
    above = _forge(c, (event.seq, {"offer": _offer(event, remedy_value="5000.00")}))
    _refused(above, "offer.remedy_value", "above what is left of the price paid")
    _violates("remedy_within_price", inv.check_remedy_within_price, above)
    nothing = _forge(c, (event.seq, {"offer": _offer(event, remedy="none",
                                                     remedy_value="5.00")}))
    _refused(nothing, "offer.remedy_value", "pays no money")
    _violates("remedy_within_price", inv.check_remedy_within_price, nothing)


def test_the_approver_is_another_actor() -> None:
    wf = _wf()
    c = wf.propose(_road(wf), actor="agent-1", offer=cf.Offer(
        "refund", goodwill=cf.Money(Decimal(400))),
        approved_by=cf.Actor("sup-1", cf.Tier.STORE_SUPERVISOR))
    inv.check_approver_not_actor(c)
    event = _last(c, "proposed")
    own = _forge(c, (event.seq, {"approved_by": "agent-1"}))
    _refused(own, "approved_by", "cannot also approve it")
    _violates("approver_not_actor", inv.check_approver_not_actor, own)


def test_goodwill_over_the_whole_life() -> None:
    wf = _wf()
    c = _road(wf)
    proposals = []
    for cycle in range(3):
        c = wf.propose(c, actor="agent-1", offer=cf.Offer("exchange"))
        proposals.append(c.version)
        c = wf.revisit(wf.resolve(c, actor="agent-1"), actor="agent-1", satisfaction=1)
        if cycle < 2:
            c = wf.reopen(c, actor="agent-1", reason="still fading")
    fifty = [(seq, {"offer": _offer(c.history[seq - 1], goodwill="50.00")}) for seq in proposals]
    once = _rewrite(c, fifty[0])
    inv.check_lifetime_goodwill(once, workflow=wf)
    every = _forge(c, *fifty)
    _refused(every, "50.00 CNY accepted before", "front_line limit of 50.00 CNY")
    inv.check_offers_within_authority(every, workflow=wf)  # each offer alone …
    _violates("lifetime_goodwill_within_authority",  # … but 150 over the life
              inv.check_lifetime_goodwill, every, workflow=wf)
    approved = [(seq, {**data, "approved_by": "sup-1", "approver_tier": "store_supervisor"})
                for seq, data in fifty]
    inv.check_lifetime_goodwill(_rewrite(c, *approved), workflow=wf)


def test_safety_is_severe() -> None:
    wf = _wf()
    food = wf.receive("The dress gave us food poisoning", customer_id="C-1", channel="hotline")
    assert food.dimension == "safety"
    inv.check_safety_severity(food)
    c = wf.receive("The dress faded after one wash", customer_id="C-2", channel="hotline")
    c = wf.reclassify(c, actor="agent-1", reason="wrong guess", severity=2)
    inv.check_safety_severity(c)
    injury = _rewrite(c, (2, {"category": "injury", "dimension": "safety", "severity": 3,
                              "tier": "front_line"}))
    _violates("safety_is_severe", inv.check_safety_severity, injury)
    head = _rewrite(c, (2, {"category": "injury", "dimension": "safety", "severity": 1,
                            "tier": "regional_head"}))
    inv.check_safety_severity(head)


def test_the_record_checks_read_an_erased_complaint() -> None:
    # an offer with statutory money, which check_statutory_within_floor weighs against
    # the floor as it stood before the offer; after an erasure that prefix of the history
    # names an erased event it does not hold
    wf = cf.Workflow(clock=cf.FrozenClock(T0), store=MemoryStore())
    c = wf.receive("外卖里吃出了苍蝇，吃完拉肚子", customer_id="C-1", channel="hotline",
                   amount=cf.Money(Decimal("30.00"), "CNY"))
    c = wf.acknowledge(c, actor=cf.Actor("head-1", cf.Tier.REGIONAL_HEAD))
    c = wf.investigate(c, actor=cf.Actor("head-1", cf.Tier.REGIONAL_HEAD),
                       finding=cf.Finding("product_defect", "supply_chain", ("photo",)))
    offer = cf.Offer("refund", goodwill=cf.Money(Decimal("0.00"), "CNY"),
                     statutory=cf.Money(Decimal("100.00"), "CNY"),
                     remedy_value=cf.Money(Decimal("30.00"), "CNY"))
    c = wf.propose(c, actor=cf.Actor("head-1", cf.Tier.REGIONAL_HEAD), offer=offer)
    assert c.offers[-1].statutory.amount > 0
    inv.check_complaint(c, workflow=wf)
    wf.erase("C-1", actor="dpo-1", reason="customer request")
    erased = wf.store.get(c.id)  # type: ignore[union-attr]
    assert erased.erased
    inv.check_complaint(erased, workflow=wf)
    inv.check_erasure(c, erased, workflow=wf)


def test_an_erasure_that_ends_a_wait_keeps_the_record() -> None:
    # erasing brings the complaint up to now first, which may end a wait at its limit
    # ("resumed") before the warnings, breaches and escalations; none of that is a change
    # of the record
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=MemoryStore())
    c = wf.receive("衣服褪色了", customer_id="C-1", channel="hotline")
    c = wf.acknowledge(c, actor="agent-1")
    c = wf.await_customer(c, actor="agent-1", reason="a photo is needed")
    clock.advance(timedelta(days=30))
    wf.erase("C-1", actor="dpo-1", reason="customer request")
    erased = wf.store.get(c.id)  # type: ignore[union-attr]
    assert erased.history[c.version].name == "resumed"
    inv.check_erasure(c, erased, workflow=wf)
