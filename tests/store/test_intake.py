"""Intake summaries: what the store aggregates gives the default policies the very
decisions they reach from the whole complaints (the old way, used here as the oracle)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import (
    ChannelDuplicates,
    DefaultRisk,
    IntakeSummary,
    LineDetection,
    OpenAuthorization,
    RecentRow,
)
from complaintflow.store import MemoryStore, SQLiteStore
from pg_helpers import postgres_url

from ._helpers import T0, finding

_prefixes = count(1)
_opened: list[Any] = []


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().close()


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest) -> Callable[[], Any]:
    if request.param == "memory":
        return MemoryStore
    if request.param == "sqlite":
        def sqlite() -> SQLiteStore:
            store = SQLiteStore(":memory:")
            _opened.append(store)
            return store
        return sqlite
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL tests are off; enable them with "
                    "COMPLAINTFLOW_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = request.getfixturevalue("pg_schema")
    from complaintflow.store import SQLStore

    def postgres() -> SQLStore:
        store = SQLStore(url, prefix=f"in{next(_prefixes)}_", schema=schema)
        _opened.append(store)
        return store
    return postgres


_earlier = st.fixed_dictionaries({
    "customer_id": st.sampled_from(["C-0", "C-1", "C-2"]),
    "sku": st.sampled_from(["S-0", "S-1", "S-2", None]),
    "batch": st.sampled_from(["B-0", "B-1", None]),
    "brand": st.sampled_from(["X", "Y", None]),
    "order_id": st.sampled_from(["O-0", "O-1", None]),
    "hours_ago": st.integers(0, 24 * 40),
    "progress": st.sampled_from(["received", "acknowledged", "revisited", "withdrawn"]),
    "satisfaction": st.integers(1, 5),
    "brand_wide": st.booleans(),
})


def _make(wf: cf.Workflow, n: int, spec: dict[str, Any]) -> None:
    keys = {k: spec[k] for k in ("customer_id", "sku", "batch", "brand")}
    c = wf.receive(f"complaint {n}", channel="hotline", complaint_id=f"CF-{n:04d}",
                   at=T0 - timedelta(hours=spec["hours_ago"]), brand_wide=spec["brand_wide"],
                   **keys)  # no order id: earlier complaints are never merged
    if spec["progress"] == "received":
        return
    c = wf.acknowledge(c, actor="agent-7")
    if spec["progress"] == "withdrawn":
        wf.withdraw(c, actor="agent-7", reason="sorted out")
    elif spec["progress"] == "revisited":
        c = wf.propose(wf.investigate(c, actor="agent-7", finding=finding()), actor="agent-7")
        wf.revisit(wf.resolve(c, actor="agent-7"), actor="agent-7",
                   satisfaction=spec["satisfaction"])


def _workflow(store: Any) -> cf.Workflow:
    return cf.Workflow(store=store, clock=cf.FrozenClock(T0), authorization=OpenAuthorization(),
                       scope=LineDetection(threshold=2, plane_skus=2))


def _draft(keys: dict[str, Any]) -> cf.Complaint:
    """The new complaint as intake's policies see it (received now, not stored)."""
    return cf.Workflow(clock=cf.FrozenClock(T0)).receive("the new one", channel="hotline",
                                                         **keys)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(earlier=st.lists(_earlier, max_size=14),
       new=st.fixed_dictionaries({
           "customer_id": st.sampled_from(["C-0", "C-1"]),
           "sku": st.sampled_from(["S-0", "S-1", None]),
           "batch": st.sampled_from(["B-0", None]),
           "brand": st.sampled_from(["X", None]),
           "order_id": st.sampled_from(["O-0", None]),
       }),
       threshold=st.integers(1, 4), plane_skus=st.integers(1, 3), frequent=st.integers(1, 4))
def test_summaries_decide_what_whole_complaints_decide(  # noqa: PLR0917 - one per knob
    make_store: Callable[[], Any], earlier: list[dict[str, Any]], new: dict[str, Any],
    threshold: int, plane_skus: int, frequent: int,
) -> None:
    try:
        _compare(make_store(), earlier, new, threshold, plane_skus, frequent)
    finally:  # each example's store, not only the test's: servers limit connections
        while _opened:
            _opened.pop().close()


def _compare(store: Any, earlier: list[dict[str, Any]], new: dict[str, Any],  # noqa: PLR0917
             threshold: int, plane_skus: int, frequent: int) -> None:
    wf = _workflow(store)
    for n, spec in enumerate(earlier):
        _make(wf, n, spec)
    c = _draft(new)
    scope = LineDetection(threshold=threshold, window_days=7, plane_skus=plane_skus)
    risk = DefaultRisk(frequent_count=frequent, churn_satisfaction=2)
    dup = ChannelDuplicates(window_hours=48)
    now = T0

    # the oracle: the policies' own judgement of whole complaints, as intake asked before
    items: dict[str, cf.Complaint] = {}
    for key in ("sku", "batch", "brand"):
        if new[key]:
            for x in store.recent(since=now - scope.window, **{key: new[key]}):
                items.setdefault(x.id, x)
    mine = store.recent(since=now - risk.window, customer_id=c.customer_id)
    theirs = store.recent(since=now - dup.window, customer_id=c.customer_id)

    item = store.intake_summary(since=now - scope.window, until=now, sku=new["sku"],
                                batch=new["batch"], brand=new["brand"])
    mine_s = store.intake_summary(since=now - risk.window, until=now, customer_id=c.customer_id)
    theirs_s = store.intake_summary(since=now - dup.window, until=now,
                                    customer_id=c.customer_id)

    decided = scope.scope(c, list(items.values()))
    assert scope.scope_from(c, item) == decided
    assert scope.related_from(c, item, decided) == scope.related(c, list(items.values()), decided)
    assert risk.assess_from(c, mine_s) == risk.assess(c, mine)
    found = dup.find(c, theirs)
    assert dup.find_from(c, theirs_s) == (None if found is None else found.id)
    # and the counts are the counts of the whole complaints in the window
    assert mine_s.count("customer_id") == sum(1 for x in mine if x.received_at <= now)
    assert {r.id for r in mine_s.rows} == {x.id for x in mine}


def test_a_summary_is_bounded_and_reaches_the_whole_complaints() -> None:
    store = MemoryStore()
    wf = _workflow(store)
    for n in range(12):
        _make(wf, n, {"customer_id": "C-0", "sku": "S-0", "batch": None, "brand": "X",
                      "order_id": None, "hours_ago": n, "progress": "received",
                      "satisfaction": 3, "brand_wide": False})
    summary = store.intake_summary(since=T0 - timedelta(days=1), until=T0, sku="S-0", limit=5)
    assert summary.count("sku") == 12 and summary.count("batch") == 0
    assert [r.id for r in summary.rows] == [f"CF-{n:04d}" for n in range(5)]  # newest first
    assert all(isinstance(r, RecentRow) and r.is_open for r in summary.rows)
    assert {c.id for c in summary.complaints()} == {f"CF-{n:04d}" for n in range(12)}
    assert IntakeSummary(T0, T0).complaints() == []
    with pytest.raises(cf.ValidationError, match="limit"):
        store.intake_summary(since=T0, until=T0, sku="S-0", limit=-1)
    with pytest.raises(cf.ValidationError, match="since"):
        store.intake_summary(since=T0.replace(tzinfo=None), until=T0, sku="S-0")


class _WholeComplaints(LineDetection):
    """A policy written for whole complaints: it still receives them."""

    seen: list[int]

    def scope(self, complaint: cf.Complaint, recent: Any) -> str:
        self.seen.append(len(recent))
        assert all(isinstance(c, cf.Complaint) for c in recent)
        return super().scope(complaint, recent)


def test_a_policy_that_judges_whole_complaints_still_gets_them() -> None:
    policy = _WholeComplaints(threshold=2)
    policy.seen = []
    store = MemoryStore()
    wf = cf.Workflow(store=store, clock=cf.FrozenClock(T0), scope=policy)
    for n in range(3):
        wf.receive("it broke", customer_id=f"C-{n}", channel="hotline", sku="S-0")
    assert policy.seen == [0, 1, 2]


def test_intake_with_many_complaints_on_the_sku_reads_no_whole_complaint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = SQLiteStore(":memory:")
    _opened.append(store)
    wf = _workflow(store)
    with store.batch():
        for n in range(60):
            wf.receive("it broke", customer_id=f"C-{n % 5}", channel="hotline", sku="S-0",
                       batch="B-0", brand="X", complaint_id=f"CF-{n:04d}")

    def no(*args: Any, **kw: Any) -> Any:
        raise AssertionError("intake loaded whole complaints")

    monkeypatch.setattr(SQLiteStore, "recent", no)
    monkeypatch.setattr(SQLiteStore, "get", no)
    c = wf.receive("it broke too", customer_id="C-1", channel="hotline", sku="S-0",
                   batch="B-0", brand="X", order_id="O-9")
    assert c.scope == "line" and "high_frequency" in c.flags
    outreach = c.history[-1]
    assert outreach.name == "outreach_requested"
    assert len(outreach.data["related"]) == 20  # the newest 20 on the key, named
