"""Property tests: the promises of the lifecycle under random command sequences."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from core_helpers import T0
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow._engine import EDGES
from complaintflow._values import STAGES
from complaintflow.store import MemoryStore

FINDINGS = st.builds(
    cf.Finding,
    cause=st.sampled_from(["product_defect", "service_error", "process_gap", "customer_error"]),
    party=st.sampled_from(["store", "supply_chain", "third_party", "customer"]),
    evidence=st.lists(st.sampled_from(["order trail", "chat log", "photo"]), min_size=1,
                      max_size=2).map(tuple),
)
ACTORS = st.one_of(
    st.sampled_from(["agent-1", "agent-2"]),
    st.builds(cf.Actor, st.sampled_from(["sup", "head", "ceo"]), st.sampled_from(list(cf.Tier))),
)
MONEY = st.decimals(min_value=0, max_value=9000, places=2).map(cf.Money)
OFFERS = st.builds(cf.Offer, st.sampled_from(["none", "partial_refund", "exchange", "refund"]),
                   goodwill=MONEY)
REASONS = st.sampled_from(["too slow", "changed my mind", "", "   "])

STEP = st.one_of(
    st.tuples(st.just("acknowledge"), st.fixed_dictionaries({})),
    st.tuples(st.just("investigate"), st.fixed_dictionaries(
        {"finding": st.one_of(FINDINGS, st.just("no finding"))})),
    st.tuples(st.just("propose"), st.fixed_dictionaries({}, optional={
        "offer": OFFERS, "approved_by": ACTORS})),
    st.tuples(st.just("decline"), st.fixed_dictionaries({"reason": REASONS})),
    st.tuples(st.just("resolve"), st.fixed_dictionaries({})),
    st.tuples(st.just("revisit"), st.fixed_dictionaries({"satisfaction": st.integers(-1, 7)})),
    st.tuples(st.just("reopen"), st.fixed_dictionaries({"reason": REASONS})),
    st.tuples(st.just("archive"), st.fixed_dictionaries({}, optional={
        "summary": st.sampled_from(["lesson", "batch recalled"])})),
    st.tuples(st.just("withdraw"), st.fixed_dictionaries({"reason": REASONS})),
    st.tuples(st.just("reject"), st.fixed_dictionaries(
        {"reason": REASONS, "evidence": st.just(["call recording"])})),
    st.tuples(st.just("escalate"), st.fixed_dictionaries({"reason": REASONS})),
    st.tuples(st.just("await_customer"), st.fixed_dictionaries({"reason": REASONS})),
    st.tuples(st.just("customer_replied"), st.fixed_dictionaries({})),
    st.tuples(st.just("advance"), st.fixed_dictionaries(
        {"minutes": st.integers(0, 60 * 80)})),
    st.tuples(st.just("tick"), st.fixed_dictionaries({})),
)
TEXTS = st.sampled_from([
    "連衣裙第一次冷水手洗就嚴重褪色", "店员态度很差", "吃了以後食物中毒",
    "my parcel is late", "the kettle stopped working after a week",
])


def _check(c: cf.Complaint) -> None:
    assert c.version == len(c.history)
    assert [e.seq for e in c.history] == list(range(1, c.version + 1))
    assert all(b.at >= a.at for a, b in zip(c.history, c.history[1:], strict=False))
    for stage, deadline in c.deadlines.items():
        assert deadline >= c.received_at, stage
    planned = [c.deadlines[s] for s in STAGES[:4] if s in c.deadlines]
    assert planned == sorted(planned)
    assert cf.Complaint.replay(c.history) == c
    assert cf.Complaint.from_dict(json.loads(json.dumps(c.to_dict()))) == c
    for offer in c.offers:
        assert offer.goodwill.amount >= 0
        assert len({offer.goodwill.currency, offer.statutory.currency}) == 1


@given(text=TEXTS, steps=st.lists(STEP, max_size=30))
def test_random_command_sequences_keep_every_promise(text: str, steps: list[Any]) -> None:
    clock = cf.FrozenClock(T0)
    store = MemoryStore()
    wf = cf.Workflow(clock=clock, store=store)
    published: list[cf.Event] = []
    wf.subscribe(lambda e, _c: published.append(e))
    c = wf.receive(text, customer_id="C-1", channel="wechat", order_id="O-1",
                   amount=Decimal("199.00"))
    _check(c)
    breaches: set[tuple[str, str]] = set()
    for command, args in steps:
        before = c
        if command == "advance":
            clock.advance(timedelta(minutes=args["minutes"]))
            continue
        try:
            if command == "tick":
                c = wf.tick(c)
            else:
                c = wf.fire(c, command, actor="agent-1", **args)
        except cf.ComplaintflowError as exc:
            # atomic: nothing stored, nothing published, the complaint object untouched
            assert store.get(c.id).version == before.version, exc
            assert published[-1].seq <= before.version if published else True
            assert c is before
            if isinstance(exc, cf.InvalidTransition):
                assert before.state.value in str(exc)
            continue
        if command not in ("tick", "escalate", "await_customer", "customer_replied"):
            dest = EDGES[command][1]
            assert before.state in EDGES[command][0]
            assert c.state is dest
        assert c.tier >= before.tier, "the owning tier went down"
        assert c.history[: before.version] == before.history
        assert before.state is not cf.State.ARCHIVED or c is before, "archived is terminal"
        assert store.get(c.id) == c
        for e in c.history[before.version:]:
            if e.name == "sla_breached":
                key = (e.data["stage"], e.data["deadline"])
                assert key not in breaches, "a breach was recorded twice"
                breaches.add(key)
        _check(c)
    assert [e.seq for e in published] == list(range(1, c.version + 1))


@given(minutes=st.lists(st.integers(0, 600), min_size=1, max_size=6))
def test_pauses_never_lose_or_double_count_time(minutes: list[int]) -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    c = wf.receive("my parcel is late", customer_id="C-1", channel="app")
    c = wf.acknowledge(c, actor="a")
    original = dict(c.open_deadlines)
    total = timedelta(0)
    for m in minutes:
        c = wf.await_customer(c, actor="a", reason="asked for photos")
        clock.advance(minutes=m)
        c = wf.customer_replied(c, actor="a")
        total += timedelta(minutes=m)
        clock.advance(minutes=1)
    assert c.held == total
    for stage, deadline in original.items():
        assert c.deadlines[stage] == deadline + total
