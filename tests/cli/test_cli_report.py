"""``complaintflow report``: the figures of a store, checked against the histories."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from cli_helpers import T0, fresh_workflow, lives
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.cli._common import all_complaints
from complaintflow.cli.report import figures, figures_of
from complaintflow.store import MemoryStore, SQLiteStore

if TYPE_CHECKING:
    from cli_helpers import Run


@st.composite
def populations(draw: st.DrawFn) -> list[cf.Complaint]:
    wf, clock = fresh_workflow()
    return [draw(lives(wf, clock)) for _ in range(draw(st.integers(0, 6)))]


@settings(max_examples=40)
@given(populations())
def test_counts_add_up(complaints: list[cf.Complaint]) -> None:
    f = figures(complaints)
    assert f.total == len(complaints)
    for by, counts in f.counts.items():
        assert sum(counts.values()) == f.total, by
    assert f.counts["state"] == dict(Counter(c.state.value for c in complaints))
    assert 0 <= f.escalated <= f.total
    assert 0 <= f.reopened <= f.revisited <= f.total  # only a revisited case can reopen
    assert len(f.satisfaction) == f.revisited
    if f.satisfied_rate is not None:
        assert 0 <= f.satisfied_rate <= 1
    assert all(1 <= s <= 5 for s in f.satisfaction)
    assert sum(f.breaches.values()) == sum(
        e.name == "sla_breached" for c in complaints for e in c.history)
    assert all(h >= 0 for h in f.cycle_hours + f.reopened_cycle_hours)
    assert all(isinstance(v, Decimal) and v >= 0 for v in f.spend.values())


@settings(max_examples=30)
@given(populations(), populations())
def test_figures_are_additive(a: list[cf.Complaint], b: list[cf.Complaint]) -> None:
    fa, fb, fab = figures(a), figures(b), figures(a + b)
    assert fab.total == fa.total + fb.total
    assert fab.escalated == fa.escalated + fb.escalated
    assert fab.breached_cases == fa.breached_cases + fb.breached_cases
    for cur in set(fa.spend) | set(fb.spend):
        assert fab.spend[cur] == fa.spend.get(cur, Decimal(0)) + fb.spend.get(cur, Decimal(0))
    for by in fab.counts:
        merged = Counter(fa.counts.get(by, {})) + Counter(fb.counts.get(by, {}))
        assert dict(merged) == dict(fab.counts[by])


@settings(max_examples=25)
@given(st.data())
def test_sql_counts_agree_with_the_histories(data: st.DataObject) -> None:
    with SQLiteStore(":memory:") as store:
        wf, clock = fresh_workflow(store)
        for _ in range(data.draw(st.integers(1, 5))):
            data.draw(lives(wf, clock))
        hours = st.none() | st.integers(-1, 24 * 12).map(lambda h: T0 + timedelta(hours=h))
        since, until = data.draw(hours), data.draw(hours)
        from_sql = figures_of(store, since=since, until=until)
        chosen = [c for c in all_complaints(store)
                  if (since is None or c.received_at >= since)
                  and (until is None or c.received_at < until)]
        from_python = figures(chosen)
    assert from_sql == from_python


def test_report_window(run: Run, demo_db: Path) -> None:
    import json

    with SQLiteStore(demo_db) as store:
        everything = all_complaints(store)
    middle = sorted(c.received_at for c in everything)[len(everything) // 2]
    first = run("report", "--db", str(demo_db), "--until", middle.isoformat(), "--json")
    second = run("report", "--db", str(demo_db), "--since", middle.isoformat(), "--json")
    assert first.code == second.code == 0
    n_first = json.loads(first.out)["total"]
    n_second = json.loads(second.out)["total"]
    assert n_first + n_second == len(everything)
    assert n_first == sum(c.received_at < middle for c in everything)


def test_report_window_refuses_nonsense(run: Run, demo_db: Path) -> None:
    bad = run("report", "--db", str(demo_db), "--since", "2026-06-30", "--until", "2026-06-01")
    assert bad.code == 2 and "--until" in bad.err
    bad = run("report", "--db", str(demo_db), "--since", "June")
    assert bad.code == 2 and "--since" in bad.err


def test_spend_counts_what_accepted_offers_paid() -> None:
    wf, _clock = fresh_workflow(MemoryStore())
    boss = cf.Actor("boss", cf.Tier.EXECUTIVE)
    finding = cf.Finding(cause="product_defect", party="store", evidence=("trail",))
    paid = []
    for amount, currency, accept in (("10", "CNY", True), ("7.50", "EUR", True),
                                     ("99", "CNY", False)):
        c = wf.receive("The kettle is broken", customer_id=f"C-{amount}", channel="app",
                       market="EU" if currency == "EUR" else "CN")
        c = wf.investigate(wf.acknowledge(c, actor=boss), actor=boss, finding=finding)
        offer = cf.Offer("refund", remedy_value=cf.Money(Decimal(amount), currency),
                         goodwill=cf.Money(Decimal(1), currency))
        c = wf.propose(c, actor=boss, offer=offer)
        if accept:
            wf.resolve(c, actor=boss)
            paid.append(offer.total)
    f = figures_of(wf.store)  # type: ignore[arg-type]
    expected: dict[str, Decimal] = {}
    for m in paid:
        expected[m.currency] = expected.get(m.currency, Decimal(0)) + m.amount
    assert f.spend == expected


def test_report_command_prints_the_figures(run: Run, demo_db: Path) -> None:
    with SQLiteStore(demo_db) as store:
        f = figures(all_complaints(store))
    result = run("--plain", "report", "--db", str(demo_db))
    assert result.code == 0 and not result.err
    assert f"complaints                   {f.total} (" in result.out
    for cur, amount in f.spend.items():
        assert f"{amount} {cur}" in result.out
    for value, n in f.counts["category"].items():
        assert any(line.split() == [value, str(n)] for line in result.out.splitlines())
    assert f"({f.reopened}/{f.resolved} resolved)" in result.out
    mean = sum(f.satisfaction) / len(f.satisfaction)
    assert f"{mean:.2f}/5" in result.out
