"""Duplicates across channels (the complaint-handling brief): one complaint, one case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import ChannelDuplicates, DuplicatePolicy
from complaintflow.store import MemoryStore

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
BOSS = cf.Actor("boss", cf.Tier.EXECUTIVE)


def _wf(**kw: object) -> tuple[cf.Workflow, MemoryStore]:
    store = MemoryStore()
    return cf.Workflow(store=store, clock=cf.FrozenClock(T0 + timedelta(days=365)), **kw), store  # type: ignore[arg-type]


def test_second_channel_within_48h_is_merged() -> None:
    wf, store = _wf()
    names: list[str] = []
    wf.subscribe(lambda e, c: names.append(e.name))
    first = wf.receive("洗衣机漏水", customer_id="C1", channel="hotline", order_id="O1", at=T0)
    again = wf.receive("洗衣機漏水，熱線沒人管", customer_id="C1", channel="social_media",
                       order_id="O1", at=T0 + timedelta(hours=47), complaint_id="DUP-1")
    assert again.id == first.id
    assert again.history[-1].name == "merged"
    assert again.history[-1].data["duplicate_id"] == "DUP-1"
    assert again.merged_ids == ("DUP-1",)
    assert again.channels == ("hotline", "social_media")
    assert again.state is first.state
    assert len(store) == 1
    # time made the first case due before the merge: those events come first
    assert names[0] == "received" and names[-1] == "merged"


def test_later_messages_keep_going_to_the_primary() -> None:
    wf, store = _wf()
    first = wf.receive("洗衣机漏水", customer_id="C1", channel="hotline", order_id="O1", at=T0)
    wf.receive("again", customer_id="C1", channel="wechat", order_id="O1",
               at=T0 + timedelta(hours=1))
    third = wf.receive("still", customer_id="C1", channel="email", order_id="O1",
                       at=T0 + timedelta(hours=2))
    assert third.id == first.id and len(third.merged_ids) == 2
    followed = wf.message(third, text="any news?", channel="wechat")
    assert followed.id == first.id
    assert followed.history[-1].name == "message"
    assert len(store) == 1


def test_after_the_window_it_is_a_new_case() -> None:
    wf, store = _wf()
    first = wf.receive("漏水", customer_id="C1", channel="hotline", order_id="O1", at=T0)
    later = wf.receive("漏水", customer_id="C1", channel="app", order_id="O1",
                       at=T0 + timedelta(hours=48, seconds=1))
    assert later.id != first.id and len(store) == 2


def test_another_customer_or_order_is_a_new_case() -> None:
    wf, store = _wf()
    first = wf.receive("漏水", customer_id="C1", channel="hotline", order_id="O1", at=T0)
    other_customer = wf.receive("漏水", customer_id="C2", channel="app", order_id="O1", at=T0)
    other_order = wf.receive("漏水", customer_id="C1", channel="app", order_id="O2", at=T0)
    no_order = wf.receive("漏水", customer_id="C1", channel="app", at=T0)
    assert len({first.id, other_customer.id, other_order.id, no_order.id}) == 4
    assert store.get(first.id).merged_ids == ()


def test_a_closed_case_is_never_reopened() -> None:
    wf, store = _wf()
    first = wf.receive("漏水", customer_id="C1", channel="hotline", order_id="O1", at=T0)
    closed = wf.withdraw(first, actor=BOSS, reason="bought elsewhere")
    again = wf.receive("漏水", customer_id="C1", channel="app", order_id="O1",
                       at=T0 + timedelta(hours=1))
    assert again.id != first.id
    assert store.get(first.id) == closed
    assert store.get(first.id).state is cf.State.WITHDRAWN


def test_a_resolved_case_is_not_reopened_either() -> None:
    wf, store = _wf()
    c = wf.receive("衣服掉色", customer_id="C1", channel="hotline", order_id="O1", at=T0)
    c = wf.acknowledge(c, actor=BOSS)
    c = wf.investigate(c, actor=BOSS, finding=cf.Finding("product_defect", "store", ("x",)))
    c = wf.propose(c, actor=BOSS)
    c = wf.resolve(c, actor=BOSS)
    again = wf.receive("還是掉色", customer_id="C1", channel="app", order_id="O1")
    assert again.id != c.id
    assert store.get(c.id).state is cf.State.RESOLVED
    assert store.get(c.id).version == c.version


class Greedy(DuplicatePolicy):
    """A broken policy: claims any recent case, even another customer's."""

    def __init__(self, victim: list[cf.Complaint]) -> None:
        self.victim = victim

    def find(self, complaint: cf.Complaint, recent: Sequence[cf.Complaint]) -> cf.Complaint | None:
        return self.victim[0] if self.victim else None


def test_never_attached_to_another_customers_case() -> None:
    victim: list[cf.Complaint] = []
    wf, store = _wf(duplicates=Greedy(victim))
    victim.append(wf.receive("漏水", customer_id="C1", channel="hotline", order_id="O1", at=T0))
    before = store.get(victim[0].id)
    with pytest.raises(cf.ValidationError, match="customer_id"):
        wf.receive("別人的", customer_id="C2", channel="app", order_id="O1", at=T0)
    assert store.get(victim[0].id) == before
    assert len(store) == 1


class NeverDuplicate(DuplicatePolicy):
    def find(self, complaint: cf.Complaint, recent: Sequence[cf.Complaint]) -> cf.Complaint | None:
        return None


def test_overriding_find_changes_the_outcome() -> None:
    wf, store = _wf(duplicates=NeverDuplicate())
    a = wf.receive("漏水", customer_id="C1", channel="hotline", order_id="O1", at=T0)
    b = wf.receive("漏水", customer_id="C1", channel="app", order_id="O1", at=T0)
    assert a.id != b.id and len(store) == 2


def test_window_is_configurable() -> None:
    wf, _ = _wf(duplicates=ChannelDuplicates(window_hours=2))
    a = wf.receive("漏水", customer_id="C1", channel="hotline", order_id="O1", at=T0)
    assert wf.receive("x", customer_id="C1", channel="app", order_id="O1",
                      at=T0 + timedelta(hours=2)).id == a.id
    assert wf.receive("x", customer_id="C1", channel="app", order_id="O1",
                      at=T0 + timedelta(hours=5)).id != a.id


intakes = st.lists(
    st.tuples(st.sampled_from(["A", "B"]), st.sampled_from(["1", "2", None]),
              st.sampled_from(["hotline", "wechat", "social_media"]), st.integers(0, 30),
              st.booleans()),
    min_size=1, max_size=12)


@settings(max_examples=60)
@given(intakes)
def test_merge_iff_open_case_of_same_customer_and_order_in_window(
        steps: list[tuple[str, str | None, str, int, bool]]) -> None:
    wf, store = _wf()
    at = T0
    model: dict[str, tuple[str, str | None, datetime]] = {}  # id → customer, order, received
    closed: set[str] = set()
    for customer, order, channel, gap, close in steps:
        at += timedelta(hours=gap)
        candidates = sorted(
            (t, cid) for cid, (cust, o, t) in model.items()
            if cust == customer and order is not None and o == order and cid not in closed
            and at - t <= timedelta(hours=48))
        result = wf.receive("漏水", customer_id=customer, channel=channel, order_id=order, at=at)
        assert result.customer_id == customer
        if candidates:
            assert result.id == candidates[0][1]
            assert result.history[-1].name == "merged"
        else:
            assert result.id not in model
            model[result.id] = (customer, order, at)
            if close:
                wf.withdraw(result, actor=BOSS, reason="closed")
                closed.add(result.id)
    assert len(store) == len(model)
    for cid in closed:
        assert store.get(cid).state is cf.State.WITHDRAWN
