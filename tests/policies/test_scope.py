"""Scope (點/線/面) against the complaint-handling brief, through the workflow and the policy alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import LineDetection, ScopePolicy
from complaintflow.store import MemoryStore

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)


def _wf(**kw: object) -> tuple[cf.Workflow, list[tuple[cf.Event, cf.Complaint]]]:
    wf = cf.Workflow(store=MemoryStore(), clock=cf.FrozenClock(T0 + timedelta(days=365)), **kw)  # type: ignore[arg-type]
    seen: list[tuple[cf.Event, cf.Complaint]] = []
    wf.subscribe(lambda e, c: seen.append((e, c)))
    return wf, seen


def _receive(wf: cf.Workflow, n: int, at: datetime, **kw: str) -> cf.Complaint:
    fields = {"sku": "SHOE-7", **kw}
    return wf.receive("鞋子穿了兩天就開膠", customer_id=f"C{n}", channel="app",
                      order_id=f"O{n}", at=at, **fields)  # type: ignore[arg-type]


def test_five_on_one_sku_in_seven_days_is_a_line() -> None:
    wf, seen = _wf()
    first = [_receive(wf, i, T0 + timedelta(days=i)) for i in range(4)]
    assert all(c.scope == "point" for c in first)
    assert not any(e.name == "outreach_requested" for e, _ in seen)
    fifth = _receive(wf, 9, T0 + timedelta(days=6, hours=23))
    assert fifth.scope == "line"
    assert fifth.tier >= cf.Tier.REGIONAL_HEAD
    outreach = [(e, c) for e, c in seen if e.name == "outreach_requested"]
    assert len(outreach) == 1
    event, complaint = outreach[0]
    assert complaint.id == fifth.id
    assert event.data["scope"] == "line"
    assert event.data["sku"] == "SHOE-7"
    assert list(event.data["related"]) == [c.id for c in first]
    # the event is part of the history: replay gives the same complaint
    assert cf.Complaint.replay(fifth.history) == fifth


def test_older_than_the_window_does_not_count() -> None:
    wf, _ = _wf()
    _receive(wf, 0, T0)
    for i in range(1, 4):
        _receive(wf, i, T0 + timedelta(days=5))
    assert _receive(wf, 5, T0 + timedelta(days=7, seconds=1)).scope == "point"


def test_a_batch_across_skus_is_a_line() -> None:
    wf, _ = _wf()
    for i in range(4):
        _receive(wf, i, T0 + timedelta(hours=i), sku=f"SKU-{i}", batch="B7")
    c = _receive(wf, 4, T0 + timedelta(hours=5), sku="SKU-X", batch="B7")
    assert c.scope == "line"


def test_lines_on_several_skus_of_a_brand_make_a_plane() -> None:
    wf, seen = _wf(scope=LineDetection(threshold=2, plane_skus=3))
    at = T0
    scopes = []
    for sku in ("A", "B", "C"):
        for _ in range(2):
            at += timedelta(hours=1)
            scopes.append(_receive(wf, len(scopes), at, sku=sku, brand="Acme").scope)
    assert scopes == ["point", "line", "point", "line", "point", "plane"]
    event = [e for e, _ in seen if e.name == "outreach_requested"][-1]
    assert event.data["scope"] == "plane" and event.data["brand"] == "Acme"
    assert len(event.data["related"]) == 5
    # another brand is not affected
    other = _receive(wf, 99, at + timedelta(hours=1), sku="Z", brand="Other")
    assert other.scope == "point"


def test_brand_wide_case_is_a_plane_with_outreach() -> None:
    wf, seen = _wf()
    c = wf.receive("品牌全線產品都有甲醛", customer_id="C1", channel="social_media",
                   brand="Acme", brand_wide=True, at=T0)
    assert c.scope == "plane"
    assert c.tier >= cf.Tier.REGIONAL_HEAD
    assert "outreach" in c.flags
    assert [e.name for e, _ in seen] == ["received", "outreach_requested"]


def test_numbers_are_configurable() -> None:
    wf, _ = _wf(scope=LineDetection(threshold=2, window_days=1))
    _receive(wf, 0, T0)
    assert _receive(wf, 1, T0 + timedelta(hours=23)).scope == "line"
    assert _receive(wf, 2, T0 + timedelta(days=3)).scope == "point"


class NeverLine(ScopePolicy):
    def scope(self, complaint: cf.Complaint, recent: Sequence[cf.Complaint]) -> str:
        return "point"


class EveryFoodIsLine(LineDetection):
    def scope(self, complaint: cf.Complaint, recent: Sequence[cf.Complaint]) -> str:
        return "line" if complaint.dimension == "safety" else super().scope(complaint, recent)


def test_overriding_scope_changes_the_outcome() -> None:
    wf, seen = _wf(scope=NeverLine())
    for i in range(6):
        c = _receive(wf, i, T0 + timedelta(hours=i))
    assert c.scope == "point"
    assert not any(e.name == "outreach_requested" for e, _ in seen)
    wf2, _ = _wf(scope=EveryFoodIsLine())
    food = wf2.receive("吃了拉肚子", customer_id="C", channel="app", order_id="O", at=T0)
    assert food.scope == "line"


# -- properties ------------------------------------------------------------------------------


def _c(i: int, at: datetime, sku: str = "S", brand: str | None = None,
       scope: str = "point") -> cf.Complaint:
    return cf.Complaint(id=f"X{i}", state=cf.State.RECEIVED, version=1, history=(),
                        customer_id=f"C{i}", channel="app", received_at=at, text="t",
                        sku=sku, brand=brand, scope=scope)


@settings(max_examples=80)
@given(offsets=st.lists(st.integers(0, 20 * 24), max_size=12),
       threshold=st.integers(1, 7), days=st.integers(1, 10))
def test_line_iff_threshold_within_window(offsets: list[int], threshold: int, days: int) -> None:
    policy = LineDetection(threshold=threshold, window_days=days)
    now = T0 + timedelta(days=30)
    recent = [_c(i, now - timedelta(hours=h)) for i, h in enumerate(offsets)]
    new = _c(999, now)
    inside = sum(1 for h in offsets if h <= days * 24)
    expected = "line" if inside + 1 >= threshold else "point"
    assert policy.scope(new, recent) == expected
    # the order of the recent complaints never matters
    assert policy.scope(new, list(reversed(recent))) == expected


@settings(max_examples=30)
@given(gaps=st.lists(st.integers(1, 72), min_size=1, max_size=10))
def test_workflow_window_agrees_with_the_policy(gaps: list[int]) -> None:
    wf, _ = _wf()
    at = T0
    received: list[cf.Complaint] = []
    for i, gap in enumerate(gaps):
        at += timedelta(hours=gap)
        c = _receive(wf, i, at)
        window = [r for r in received if at - r.received_at <= timedelta(days=7)]
        assert c.scope == ("line" if len(window) + 1 >= 5 else "point")
        assert (c.tier >= cf.Tier.REGIONAL_HEAD) or c.scope == "point"
        received.append(c)


@settings(max_examples=40)
@given(counts=st.lists(st.integers(0, 4), min_size=1, max_size=5), plane=st.integers(1, 4))
def test_plane_iff_enough_line_skus(counts: list[int], plane: int) -> None:
    policy = LineDetection(threshold=3, plane_skus=plane)
    now = T0 + timedelta(days=1)
    recent = []
    for s, n in enumerate(counts):
        recent += [_c(len(recent), now - timedelta(hours=1), sku=f"K{s}", brand="B")
                   for _ in range(n)]
    new = _c(999, now, sku="K0", brand="B")
    line_skus = sum(1 for s, n in enumerate(counts) if n + (1 if s == 0 else 0) >= 3)
    own_line = counts[0] + 1 >= 3
    expected = "plane" if line_skus >= plane else ("line" if own_line else "point")
    assert policy.scope(new, recent) == expected
