"""``complaintflow report``: the figures a complaint desk reviews, from a store."""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import attrs

from complaintflow._complaint import Complaint
from complaintflow._values import Offer
from complaintflow.cli._common import (
    UsageError,
    all_complaints,
    close_store,
    fmt_time,
    open_store,
    parse_since,
)
from complaintflow.cli._output import Output
from complaintflow.store import Store
from complaintflow.store._base import COUNT_FIELDS

__all__ = ["Figures", "add_parser", "figures", "figures_of", "run", "show_figures"]

_BY = ("state", "category", "severity", "region", "store", "sku")


@attrs.frozen
class Figures:
    """What a complaint desk reports each month, computed from complaints' histories."""

    total: int
    #: dimension ("state", "category", "severity", "region", "store", "sku") → value → count
    counts: Mapping[str, Mapping[str, int]]
    #: hours from receipt to resolution, of cases never reopened
    cycle_hours: tuple[float, ...]
    #: hours from receipt to the last resolution, of reopened cases (counted apart)
    reopened_cycle_hours: tuple[float, ...]
    #: the latest satisfaction score (1-5) of every revisited case
    satisfaction: tuple[int, ...]
    escalated: int
    revisited: int
    reopened: int
    #: currency → what accepted offers paid out (remedy value + goodwill + statutory)
    spend: Mapping[str, Decimal]
    #: stage → number of breached deadlines
    breaches: Mapping[str, int]
    breached_cases: int

    @property
    def escalation_rate(self) -> float | None:
        return self.escalated / self.total if self.total else None

    @property
    def satisfied_rate(self) -> float | None:
        """Share of follow-up calls that scored 4 or 5."""
        if not self.satisfaction:
            return None
        return sum(s >= 4 for s in self.satisfaction) / len(self.satisfaction)

    @property
    def reopen_rate(self) -> float | None:
        """Reopened cases among the cases that reached the follow-up call."""
        return self.reopened / self.revisited if self.revisited else None


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def figures(complaints: Iterable[Complaint]) -> Figures:
    """Compute :class:`Figures` from complaints (every figure is a fold of their histories)."""
    counts: dict[str, Counter[str]] = {k: Counter() for k in _BY}
    cycle: list[float] = []
    cycle_reopened: list[float] = []
    scores: list[int] = []
    spend: dict[str, Decimal] = {}
    breaches: Counter[str] = Counter()
    total = escalated = revisited = reopened = breached = 0
    for c in complaints:
        total += 1
        counts["state"][c.state.value] += 1
        counts["category"][c.category] += 1
        counts["severity"][str(c.severity)] += 1
        counts["region"][c.region or "-"] += 1
        counts["store"][c.store or "-"] += 1
        counts["sku"][c.sku or "-"] += 1
        offer: Offer | None = None
        last_resolved: datetime | None = None
        score: int | None = None
        names = set()
        for e in c.history:
            names.add(e.name)
            if e.name == "proposed":
                offer = Offer.from_dict(e.data["offer"])
            elif e.name == "resolved":
                last_resolved = e.at
                if offer is not None:
                    paid = offer.total
                    spend[paid.currency] = spend.get(paid.currency, Decimal(0)) + paid.amount
            elif e.name == "revisited":
                score = int(e.data["satisfaction"])
            elif e.name == "sla_breached":
                breaches[str(e.data.get("stage"))] += 1
        if last_resolved is not None:
            hours = _hours(last_resolved - c.received_at)
            (cycle_reopened if c.reopens else cycle).append(hours)
        if score is not None:
            scores.append(score)
            revisited += 1
        escalated += "escalated" in names
        reopened += c.reopens > 0
        breached += "sla_breached" in names
    return Figures(
        total=total,
        counts={k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0])))
                for k, v in counts.items()},
        cycle_hours=tuple(cycle), reopened_cycle_hours=tuple(cycle_reopened),
        satisfaction=tuple(scores), escalated=escalated, revisited=revisited,
        reopened=reopened, spend=dict(sorted(spend.items())), breaches=dict(sorted(breaches.items())),
        breached_cases=breached,
    )


def figures_of(store: Store, *, since: datetime | None = None,
               until: datetime | None = None) -> Figures:
    """:func:`figures` of the complaints of ``store`` received in ``[since, until)``; the
    counts come from the store's own (SQL) ``counts`` query for the fields it groups by."""
    chosen = [c for c in all_complaints(store)
              if (since is None or c.received_at >= since)
              and (until is None or c.received_at < until)]
    found = figures(chosen)
    counts = getattr(store, "counts", None)
    if counts is None:
        return found
    merged = dict(found.counts)
    for by in _BY:
        if by in COUNT_FIELDS:
            rows = counts(by, since=since, until=until)
            merged[by] = {("-" if k is None else str(k)): int(n)
                          for k, n in sorted(rows.items(), key=lambda kv: (-kv[1], str(kv[0])))}
    return attrs.evolve(found, counts=merged)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _cycle(hours: tuple[float, ...]) -> str:
    if not hours:
        return "-"
    return (f"median {statistics.median(hours):.1f} h, mean {statistics.fmean(hours):.1f} h "
            f"({len(hours)} {'case' if len(hours) == 1 else 'cases'})")


def show_figures(output: Output, f: Figures, title: str = "Figures") -> None:
    """Print the counts table and the figures table."""
    output.heading(title)
    rows = [(by, value, n) for by in _BY for value, n in f.counts[by].items()]
    output.table(f"{f.total} complaints", ("by", "value", "complaints"), rows)
    happy = sum(s >= 4 for s in f.satisfaction)
    sat = (f"mean {statistics.fmean(f.satisfaction):.1f}/5, {_pct(f.satisfied_rate)} satisfied "
           f"({happy}/{len(f.satisfaction)} scored 4-5)" if f.satisfaction else "-")
    spend = ", ".join(f"{amount} {cur}" for cur, amount in f.spend.items()) or "-"
    breaches = ", ".join(f"{stage} {n}" for stage, n in f.breaches.items()) or "-"
    output.line()
    output.table(None, ("figure", "value"), [
        ("cycle time (never reopened)", _cycle(f.cycle_hours)),
        ("cycle time (reopened)", _cycle(f.reopened_cycle_hours)),
        ("satisfaction", sat),
        ("escalation rate", f"{_pct(f.escalation_rate)} ({f.escalated}/{f.total})"),
        ("reopen rate", f"{_pct(f.reopen_rate)} ({f.reopened}/{f.revisited} revisited)"),
        ("compensation spend", spend),
        ("breached deadlines", f"{breaches} ({f.breached_cases} cases)"),
    ])


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", help="figures from a store: counts, cycle time, satisfaction …",
                       description="Counts by state, category, severity, region and store; "
                                   "cycle time, satisfaction, escalation and reopen rates, "
                                   "compensation spend per currency and breached deadlines.")
    p.add_argument("--db", required=True, type=Path, help="the complaintflow SQLite database")
    p.add_argument("--since", help="only complaints received at or after this date or time "
                                   "(2026-06-01 is midnight UTC)")
    p.add_argument("--until", help="only complaints received before this date or time")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, output: Output) -> int:
    since = None if args.since is None else parse_since(args.since, "--since")
    until = None if args.until is None else parse_since(args.until, "--until")
    if since is not None and until is not None and until <= since:
        raise UsageError("--until must be later than --since")
    store = open_store(args.db)
    try:
        found = figures_of(store, since=since, until=until)
    finally:
        close_store(store)
    window = "".join((f" from {fmt_time(since)}" if since else "",
                      f" until {fmt_time(until)}" if until else ""))
    show_figures(output, found, title=f"Report of {args.db}{window}")
    return 0
