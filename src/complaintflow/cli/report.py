"""``complaintflow report``: the figures a complaint desk reviews, from a store."""

from __future__ import annotations

import argparse
import json
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
    check_database,
    db_argument,
    fmt_time,
    is_url,
    parse_since,
)
from complaintflow.cli._output import Output
from complaintflow.reports import MAX_TOP, Report, build_report
from complaintflow.store import Store
from complaintflow.store._base import COUNT_FIELDS

__all__ = [
    "Figures", "add_parser", "figures", "figures_of", "run", "show_figures", "show_report",
    "summary_rows",
]

_BY = ("state", "category", "severity", "region", "store", "sku")


@attrs.frozen
class Figures:
    """What a complaint desk reports each month, computed from complaints' histories."""

    total: int
    #: dimension ("state", "category", "severity", "region", "store", "sku") → value → count
    counts: Mapping[str, Mapping[str, int]]
    #: hours from receipt to resolution, of cases never reopened
    cycle_hours: tuple[float, ...]
    #: hours from receipt to the last resolution, of reopened cases resolved again
    #: (counted apart)
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
    #: cases resolved at least once
    resolved: int = 0

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
        """Reopened cases among the cases resolved at least once."""
        return self.reopened / self.resolved if self.resolved else None


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
    total = escalated = revisited = reopened = breached = resolved = 0
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
            elif e.name == "reopened":
                last_resolved = None  # no cycle time until resolved again
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
        resolved += "resolved" in names
        reopened += c.reopens > 0
        breached += "sla_breached" in names
    return Figures(
        total=total,
        counts={k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0])))
                for k, v in counts.items()},
        cycle_hours=tuple(cycle), reopened_cycle_hours=tuple(cycle_reopened),
        satisfaction=tuple(scores), escalated=escalated, revisited=revisited,
        reopened=reopened, spend=dict(sorted(spend.items())), breaches=dict(sorted(breaches.items())),
        breached_cases=breached, resolved=resolved,
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
        ("reopen rate", f"{_pct(f.reopen_rate)} ({f.reopened}/{f.resolved} resolved)"),
        ("compensation spend", spend),
        ("breached deadlines", f"{breaches} ({f.breached_cases} cases)"),
    ])


def summary_rows(r: Report) -> list[tuple[str, str]]:
    """The headline figures of a :class:`~complaintflow.reports.Report`, as table rows."""
    closed, again = r.cycle["closed"], r.cycle["reopened"]
    rate = "-" if r.reopen_rate is None else f"{r.reopen_rate:.1%}"
    mean = "-" if r.satisfaction_mean is None else f"{r.satisfaction_mean:.2f}/5"
    states = ", ".join(f"{k} {v}" for k, v in r.by_state.items()) or "-"
    return [
        ("complaints", f"{r.total} ({states})"),
        ("cycle time (never reopened)",
         f"median {closed['median']} h, p90 {closed['p90']} h ({closed['cases']} cases)"),
        ("cycle time (reopened)", f"median {again['median']} h ({again['cases']} cases)"),
        ("rework after reopening", f"median {r.cycle['rework']['median']} h"),
        ("escalations", f"{r.escalations['events']} on {r.escalations['complaints']} complaints"),
        ("reopen rate", f"{rate} ({r.reopened}/{r.resolved} resolved)"),
        ("satisfaction", mean),
        ("compensation", ", ".join(f"{v} {k}" for k, v in r.compensation_total.items()) or "-"),
    ]


def show_report(output: Output, r: Report, title: str) -> None:
    """Print a report as terminal tables."""
    output.heading(title)
    output.table(None, ("figure", "value"), summary_rows(r))
    output.line()
    output.table("SLA per stage", ("stage", "met on time", "met late", "open, breached", "open"),
                 [(s, *v.values()) for s, v in r.sla.items()])
    output.line()
    output.table("By category", ("category", "complaints"), list(r.by_category.items()))
    output.line()
    cats = sorted({c for row in r.heatmap.values() for c in row})
    output.table(f"Region × category (top {r.top})", ("region", *cats),
                 [(k, *(row.get(c, 0) for c in cats)) for k, row in r.heatmap.items()])
    output.line()
    output.table(f"Store × category (top {r.top})", ("store", *cats),
                 [(k, *(row.get(c, 0) for c in cats)) for k, row in r.store_heatmap.items()])
    output.line()
    output.table("Compensation by tier and remedy",
                 ("tier", "remedy", "currency", "offers", "total"),
                 [(x["tier"], x["remedy"], x["currency"], x["offers"], x["total"])
                  for x in r.compensation])
    if r.lines:
        output.line()
        output.table("Detected lines and planes", ("scope", "sku", "batch", "complaints", "first"),
                     [(x["scope"], x["sku"] or "-", x["batch"] or "-", x["complaints"], x["first"])
                      for x in r.lines])


def _top(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_TOP:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_TOP}, got {value}")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report", help="figures, heat maps and charts of a store, computed by the database",
        description="Totals by state and category, SLA compliance per stage, escalations, "
                    "reopen rate, median and p90 cycle time, compensation spend by tier and "
                    "remedy, satisfaction, heat maps region × category and store × category, "
                    "detected lines and planes. Every figure is a GROUP BY in the database; "
                    "memory stays flat however many complaints it holds.",
        epilog="examples:\n"
               "  complaintflow report --db complaintflow-demo.sqlite\n"
               "  complaintflow report --db peak.sqlite --since 2026-06-18 --until 2026-06-25 --top 5\n"
               "  complaintflow report --db peak.sqlite --json | jq .sla\n"
               "  complaintflow report --db postgresql://app@db/complaints --html report.html\n",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", required=True, type=db_argument,
                   help="an SQLite path or a database URL (postgresql://user@host/name)")
    p.add_argument("--since", help="only complaints received at or after this date or time "
                                   "(2026-06-01 is midnight UTC)")
    p.add_argument("--until", help="only complaints received before this date or time")
    p.add_argument("--top", type=_top, default=10, metavar="N",
                   help="regions, stores and lines shown (the rest summed as '(other)'; "
                        "default 10)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.add_argument("--html", type=Path, metavar="FILE", default=None,
                   help="also write a self-contained HTML page with charts to FILE")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, output: Output) -> int:
    since = None if args.since is None else parse_since(args.since, "--since")
    until = None if args.until is None else parse_since(args.until, "--until")
    if since is not None and until is not None and until <= since:
        raise UsageError("--until must be later than --since")
    html_path: Path | None = args.html
    if html_path is not None and (html_path.is_dir() or not html_path.parent.is_dir()):
        raise UsageError(f"--html: cannot write {html_path} (no such directory, or a directory)")
    db = args.db
    if not is_url(db):
        path = Path(db)
        if not path.exists():
            raise UsageError(f"{path}: no such database (create one with: complaintflow demo "
                             f"--db {path})")
        check_database(path)
    found = build_report(db, since=since, until=until, top=args.top)
    if html_path is not None:
        from complaintflow.reports import report_html

        name = "database" if is_url(db) else Path(db).name
        page = report_html(found, title=f"Complaints report: {name}")
        try:
            html_path.write_text(page, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--html: cannot write {html_path} ({exc.strerror})") from None
    if args.json:
        output.out.write(json.dumps(found.to_json(), ensure_ascii=False, indent=2) + "\n")
        return 0
    window = "".join((f" from {fmt_time(since)}" if since else "",
                      f" until {fmt_time(until)}" if until else ""))
    show_report(output, found, title=f"Report{window}")
    if html_path is not None:
        output.line(f"charts written to {html_path}")
    return 0
