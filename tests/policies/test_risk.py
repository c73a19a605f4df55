"""Risk flags against the complaint-handling brief ("Risk")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import DefaultRisk, RiskPolicy
from complaintflow.policies.risk import RISK_ACTIONS
from complaintflow.store import MemoryStore

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)


def _wf(**kw: object) -> cf.Workflow:
    return cf.Workflow(store=MemoryStore(), clock=cf.FrozenClock(T0 + timedelta(days=365)), **kw)  # type: ignore[arg-type]


def test_third_complaint_in_thirty_days_is_high_frequency() -> None:
    wf = _wf()
    a = wf.receive("快递慢", customer_id="C1", channel="app", order_id="O1", at=T0)
    b = wf.receive("衣服掉色", customer_id="C1", channel="app", order_id="O2",
                   at=T0 + timedelta(days=10))
    c = wf.receive("态度差", customer_id="C1", channel="app", order_id="O3",
                   at=T0 + timedelta(days=29))
    assert "high_frequency" not in a.flags | b.flags
    assert {"high_frequency", "account_manager"} <= c.flags
    # another customer's complaints never count
    d = wf.receive("快递慢", customer_id="C2", channel="app", order_id="O4",
                   at=T0 + timedelta(days=29))
    assert "high_frequency" not in d.flags


def test_older_complaints_fall_out_of_the_window() -> None:
    wf = _wf()
    wf.receive("快递慢", customer_id="C1", channel="app", order_id="O1", at=T0)
    wf.receive("掉色", customer_id="C1", channel="app", order_id="O2", at=T0 + timedelta(days=1))
    c = wf.receive("态度差", customer_id="C1", channel="app", order_id="O3",
                   at=T0 + timedelta(days=31))
    assert "high_frequency" not in c.flags


@pytest.mark.parametrize("text", [
    "再也不買你們家的東西了", "我要注销会员", "以后不会再来了，太失望", "I'm never shopping here again",
    "cancel my membership now", "I will take my business elsewhere",
])
def test_churn_words_flag_retention(text: str) -> None:
    c = _wf().receive(text, customer_id="C1", channel="email", order_id="O1", at=T0)
    assert {"churn_risk", "retention_package"} <= c.flags


def test_no_churn_without_signal() -> None:
    c = _wf().receive("快递三天了还没到", customer_id="C1", channel="email", order_id="O1", at=T0)
    assert "churn_risk" not in c.flags


def test_a_recent_low_satisfaction_is_churn_risk() -> None:
    wf = _wf()
    actor = cf.Actor("boss", cf.Tier.EXECUTIVE)
    c = wf.receive("衣服掉色", customer_id="C1", channel="app", order_id="O1", at=T0)
    c = wf.acknowledge(c, actor=actor)
    c = wf.investigate(c, actor=actor, finding=cf.Finding("product_defect", "supply_chain",
                                                          ("lab",)))
    c = wf.propose(c, actor=actor)
    c = wf.resolve(c, actor=actor)
    c = wf.revisit(c, actor=actor, satisfaction=1)
    nxt = wf.receive("又掉色了", customer_id="C1", channel="app", order_id="O2",
                     at=T0 + timedelta(days=1))
    assert "churn_risk" in nxt.flags


def test_no_order_is_unverified_but_never_rejected() -> None:
    c = _wf().receive("鞋子开胶了", customer_id="C1", channel="in_store", at=T0)
    assert {"unverified_purchase", "verify_purchase"} <= c.flags
    assert c.state is cf.State.RECEIVED
    assert not any(e.name == "rejected" for e in c.history)
    with_order = _wf().receive("鞋子开胶了", customer_id="C1", channel="in_store",
                               order_id="O1", at=T0)
    assert "unverified_purchase" not in with_order.flags


def test_purchase_records_can_be_consulted() -> None:
    known = {"O-1"}
    wf = _wf(risk=DefaultRisk(purchase_found=lambda c: c.order_id in known))
    ours = wf.receive("开胶", customer_id="C1", channel="app", order_id="O-1", at=T0)
    theirs = wf.receive("开胶", customer_id="C2", channel="app", order_id="X-9", at=T0)
    assert "unverified_purchase" not in ours.flags
    assert {"unverified_purchase", "verify_purchase"} <= theirs.flags
    assert theirs.state is cf.State.RECEIVED


def test_every_signal_comes_with_its_action() -> None:
    c = _wf().receive("再也不买了", customer_id="C1", channel="app", at=T0)
    for signal, action in RISK_ACTIONS.items():
        assert (signal in c.flags) == (action in c.flags)


class VipsAreNeverRisky(RiskPolicy):
    def assess(self, complaint: cf.Complaint, recent: Sequence[cf.Complaint]) -> frozenset[str]:
        return frozenset({"vip"})


def test_overriding_assess_changes_the_outcome() -> None:
    c = _wf(risk=VipsAreNeverRisky()).receive("再也不买了", customer_id="C1", channel="app", at=T0)
    assert c.flags == frozenset({"vip"})


def test_bad_numbers_are_refused() -> None:
    with pytest.raises(cf.ValidationError, match="frequent_count"):
        DefaultRisk(frequent_count=0)
    with pytest.raises(cf.ValidationError, match="window_days"):
        DefaultRisk(window_days=0)


def _c(i: int, at: datetime, customer: str = "C") -> cf.Complaint:
    return cf.Complaint(id=f"X{i}", state=cf.State.RECEIVED, version=1, history=(),
                        customer_id=customer, channel="app", received_at=at, text="t",
                        order_id="O")


@settings(max_examples=80)
@given(offsets=st.lists(st.integers(0, 90), max_size=8), count=st.integers(1, 6),
       days=st.integers(1, 60), strangers=st.integers(0, 3))
def test_high_frequency_iff_enough_in_window(offsets: list[int], count: int, days: int,
                                             strangers: int) -> None:
    now = T0 + timedelta(days=100)
    recent = [_c(i, now - timedelta(days=d)) for i, d in enumerate(offsets)]
    recent += [_c(100 + i, now, customer="other") for i in range(strangers)]
    flags = DefaultRisk(frequent_count=count, window_days=days).assess(_c(999, now), recent)
    inside = sum(1 for d in offsets if d <= days)
    assert ("high_frequency" in flags) == (inside + 1 >= count)
