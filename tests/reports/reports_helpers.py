"""The report's figures recomputed in Python from the stored events, without any SQL."""

from __future__ import annotations

import contextlib
import io
import math
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import complaintflow as cf
from complaintflow.cli import main


def quiet(*argv: str) -> int:
    """Run the command line with its output thrown away."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(list(argv))

STAGES = ("acknowledged", "investigated", "proposed", "resolved", "revisited")


def rank(values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def independent(complaints: Iterable[cf.Complaint]) -> dict[str, Any]:
    """Every figure the report shows, folded from each complaint's events."""
    out: dict[str, Any] = {"by_state": Counter(), "by_category": Counter(), "heatmap": {},
                           "sla": {s: Counter() for s in STAGES}, "escalation_events": 0,
                           "escalated": 0, "reopened": 0, "revisited": 0, "resolved": 0,
                           "spend": {},
                           "scores": Counter()}
    closed: list[float] = []
    again: list[float] = []
    rework: list[float] = []
    total = 0
    for c in complaints:
        total += 1
        out["by_state"][c.state.value] += 1
        out["by_category"][c.category] += 1
        row = out["heatmap"].setdefault(c.region or "-", Counter())
        row[c.category] += 1
        names = [e.name for e in c.history]
        breached = {e.data["stage"] for e in c.history if e.name == "sla_breached"}
        for stage in STAGES:
            entered = stage in names
            if entered and stage not in breached:
                out["sla"][stage]["met_on_time"] += 1
            elif entered:
                out["sla"][stage]["met_late"] += 1
            elif stage in breached:
                out["sla"][stage]["open_breached"] += 1
            if c.is_open and not entered and stage not in breached:
                out["sla"][stage]["open"] += 1
        out["escalation_events"] += names.count("escalated")
        out["escalated"] += "escalated" in names
        out["reopened"] += "reopened" in names
        out["revisited"] += "revisited" in names
        out["resolved"] += "resolved" in names
        offer = None
        last_resolved = None
        last_reopened = None
        score = None
        for e in c.history:
            if e.name == "proposed":
                offer = cf.Offer.from_dict(e.data["offer"])
            elif e.name == "reopened":
                last_resolved, last_reopened = None, e.at
            elif e.name == "resolved":
                last_resolved = e.at
                assert offer is not None
                paid = offer.total
                out["spend"][paid.currency] = out["spend"].get(paid.currency, Decimal(0)) + paid.amount
            elif e.name == "revisited":
                score = int(e.data["satisfaction"])
        if score is not None:
            out["scores"][score] += 1
        if last_resolved is not None:
            hours = (last_resolved - c.received_at).total_seconds() / 3600
            (again if "reopened" in names else closed).append(hours)
            if last_reopened is not None:
                rework.append((last_resolved - last_reopened).total_seconds() / 3600)
    out["total"] = total
    out["median"] = rank(closed, 0.5)
    out["p90"] = rank(closed, 0.9)
    out["reopened_median"] = rank(again, 0.5)
    out["reopened_cases"] = len(again)
    out["rework_median"] = rank(rework, 0.5)
    out["rework_p90"] = rank(rework, 0.9)
    out["closed_cases"] = len(closed)
    return out
