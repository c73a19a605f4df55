"""The figures of a complaint desk, each one a ``GROUP BY`` over the stored rows and events."""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from complaintflow._values import STAGES
from complaintflow.exceptions import ValidationError
from complaintflow.reports._database import Database, open_database

__all__ = ["CYCLE_BUCKETS", "MAX_TOP", "Report", "build_report"]

#: The upper edges (hours) of the cycle-time histogram's buckets; the last is open-ended.
CYCLE_BUCKETS: Final = (4, 8, 24, 48, 72, 120, 168, 336)
#: The largest ``top`` a report accepts.
MAX_TOP: Final = 10_000
_OTHER: Final = "(other)"
_STAGES: Final = tuple(s.value for s in STAGES)
_SCALE: Final = Decimal(10000)


@attrs.frozen
class Report:
    """What a complaint desk reviews, computed by the database (see :func:`build_report`)."""

    total: int
    by_state: Mapping[str, int]
    by_category: Mapping[str, int]
    #: stage → {"met_on_time", "met_late", "open_breached", "open"} → complaints
    sla: Mapping[str, Mapping[str, int]]
    #: {"events", "complaints", "to": {tier: events}}
    escalations: Mapping[str, Any]
    reopened: int
    revisited: int
    #: ``{"cases", "median", "p90", "mean"}`` hours, each of: ``closed`` (resolved at the
    #: first go, never reopened: receipt to resolution), ``reopened`` (reopened and resolved
    #: again: receipt to the last resolution) and ``rework`` (the same cases: the last
    #: reopening to the resolution after it). A case reopened and not resolved again is in
    #: none of them yet.
    cycle: Mapping[str, Mapping[str, float | int | None]]
    #: bucket label → cases (never reopened)
    cycle_histogram: Mapping[str, int]
    #: currency → total paid by accepted offers
    compensation_total: Mapping[str, Decimal]
    #: rows {"tier", "remedy", "currency", "offers", "remedy_value", "goodwill", "statutory", "total"}
    compensation: tuple[Mapping[str, Any], ...]
    #: score (1-5) → complaints, the latest score of each revisited complaint
    satisfaction: Mapping[int, int]
    #: region → category → complaints (the ``top`` regions; the rest as "(other)")
    heatmap: Mapping[str, Mapping[str, int]]
    store_heatmap: Mapping[str, Mapping[str, int]]
    #: detected lines and planes: {"scope", "sku", "batch", "brand", "complaints", "first"}
    lines: tuple[Mapping[str, Any], ...]
    since: datetime | None = None
    until: datetime | None = None
    top: int = 10
    #: complaints resolved at least once
    resolved: int = 0

    @property
    def reopen_rate(self) -> float | None:
        """Reopened complaints among those resolved at least once (a case may be reopened
        from resolution or after the follow-up call)."""
        return self.reopened / self.resolved if self.resolved else None

    @property
    def satisfaction_mean(self) -> float | None:
        n = sum(self.satisfaction.values())
        return sum(k * v for k, v in self.satisfaction.items()) / n if n else None

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-compatible data (money as decimal strings)."""
        return {
            "total": self.total,
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "by_state": dict(self.by_state),
            "by_category": dict(self.by_category),
            "sla": {k: dict(v) for k, v in self.sla.items()},
            "escalations": dict(self.escalations),
            "reopened": self.reopened,
            "revisited": self.revisited,
            "resolved": self.resolved,
            "reopen_rate": self.reopen_rate,
            "median_cycle_hours": self.cycle["closed"]["median"],
            "p90_cycle_hours": self.cycle["closed"]["p90"],
            "cycle": {k: dict(v) for k, v in self.cycle.items()},
            "cycle_histogram": dict(self.cycle_histogram),
            "compensation_total": {k: str(v) for k, v in self.compensation_total.items()},
            "compensation": [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}
                             for row in self.compensation],
            "satisfaction": {"mean": self.satisfaction_mean,
                             "scores": {str(k): v for k, v in self.satisfaction.items()}},
            "heatmap": {k: dict(v) for k, v in self.heatmap.items()},
            "store_heatmap": {k: dict(v) for k, v in self.store_heatmap.items()},
            "lines": [dict(r) for r in self.lines],
        }


def _bucket_labels() -> tuple[str, ...]:
    edges = (0, *CYCLE_BUCKETS)
    labels = [f"{a}-{b} h" for a, b in itertools.pairwise(edges)]
    return (*labels, f"{CYCLE_BUCKETS[-1]}+ h")


def _ordered(pairs: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0])))


def _grid(rows: Any, top: int) -> dict[str, dict[str, int]]:
    """``{row: {column: n}}`` of the ``top`` rows by total; the others summed as "(other)"."""
    grid: dict[str, dict[str, int]] = {}
    for key, col, n in rows:
        grid.setdefault(str(key), {})[str(col)] = int(n)
    totals = sorted(grid, key=lambda k: (-sum(grid[k].values()), k))
    kept = {k: dict(sorted(grid[k].items())) for k in totals[:top]}
    rest = totals[top:]
    if rest:
        other: dict[str, int] = {}
        for k in rest:
            for col, n in grid[k].items():
                other[col] = other.get(col, 0) + n
        kept[_OTHER] = dict(sorted(other.items()))
    return kept


class _Queries:
    def __init__(self, db: Database, since: datetime | None, until: datetime | None) -> None:
        self.db = db
        conds, self.params = [], {}
        if since is not None:
            conds.append("c.received_at >= :since")
            self.params["since"] = db.time(since)
        if until is not None:
            conds.append("c.received_at < :until")
            self.params["until"] = db.time(until)
        self.w = " AND ".join(conds) if conds else "1 = 1"

    def rows(self, sql: str) -> Any:
        return self.db.rows(sql, self.params)

    def count_by(self, column: str) -> dict[str, int]:
        return _ordered({str(k): int(n) for k, n in self.rows(
            f"SELECT {column}, COUNT(*) FROM cf_complaints c WHERE {self.w} GROUP BY {column}")})

    def grid(self, column: str, top: int) -> dict[str, dict[str, int]]:
        expr = f"COALESCE(c.{column}, '-')"
        return _grid(self.rows(
            f"SELECT {expr}, c.category, COUNT(*) FROM cf_complaints c WHERE {self.w} "
            f"GROUP BY {expr}, c.category"), top)

    def sla(self) -> dict[str, dict[str, int]]:
        db = self.db
        stage = f"CASE WHEN e.name = 'sla_breached' THEN {db.json('e.data', 'stage')} ELSE e.name END"
        names = ", ".join(f"'{s}'" for s in ("sla_breached", *_STAGES))
        open_total = sum(int(r[0]) for r in self.rows(
            f"SELECT COUNT(*) FROM cf_complaints c WHERE {self.w} AND c.is_open"))
        found = {s: {"met_on_time": 0, "met_late": 0, "open_breached": 0, "open": open_total}
                 for s in _STAGES}
        for name, on_time, late, open_breached, open_seen in self.rows(f"""
            SELECT s.stage,
                   SUM(CASE WHEN s.entered = 1 AND s.breached = 0 THEN 1 ELSE 0 END),
                   SUM(CASE WHEN s.entered = 1 AND s.breached = 1 THEN 1 ELSE 0 END),
                   SUM(CASE WHEN s.entered = 0 AND s.breached = 1 THEN 1 ELSE 0 END),
                   SUM(s.still_open)
            FROM (SELECT e.complaint_id, {stage} AS stage,
                         MAX(CASE WHEN e.name = 'sla_breached' THEN 1 ELSE 0 END) AS breached,
                         MAX(CASE WHEN e.name = 'sla_breached' THEN 0 ELSE 1 END) AS entered,
                         MAX(CASE WHEN c.is_open THEN 1 ELSE 0 END) AS still_open
                  FROM cf_events e JOIN cf_complaints c ON c.id = e.complaint_id
                  WHERE e.name IN ({names}) AND {self.w}
                  GROUP BY e.complaint_id, {stage}) s
            GROUP BY s.stage"""):
            if name in found:
                found[name] = {"met_on_time": int(on_time), "met_late": int(late),
                               "open_breached": int(open_breached),
                               "open": open_total - int(open_seen)}
        return found

    def escalations(self) -> dict[str, Any]:
        to = self.db.json("e.data", "to")
        by_to = _ordered({str(k): int(n) for k, n in self.rows(
            f"SELECT {to}, COUNT(*) FROM cf_events e JOIN cf_complaints c ON c.id = e.complaint_id "
            f"WHERE e.name = 'escalated' AND {self.w} GROUP BY {to}")})
        (events, complaints), = self.rows(
            "SELECT COUNT(*), COUNT(DISTINCT e.complaint_id) FROM cf_events e "
            f"JOIN cf_complaints c ON c.id = e.complaint_id WHERE e.name = 'escalated' AND {self.w}")
        return {"events": int(events), "complaints": int(complaints), "to": by_to}

    def reopens(self) -> tuple[int, int, int]:
        """Complaints reopened, revisited and resolved (each counted once)."""
        (reopened, revisited, resolved), = self.rows(
            "SELECT COUNT(DISTINCT CASE WHEN e.name = 'reopened' THEN e.complaint_id END), "
            "COUNT(DISTINCT CASE WHEN e.name = 'revisited' THEN e.complaint_id END), "
            "COUNT(DISTINCT CASE WHEN e.name = 'resolved' THEN e.complaint_id END) "
            "FROM cf_events e JOIN cf_complaints c ON c.id = e.complaint_id "
            f"WHERE e.name IN ('reopened', 'revisited', 'resolved') AND {self.w}")
        return int(reopened or 0), int(revisited or 0), int(resolved or 0)

    def _cycles(self) -> str:
        """One row per complaint resolved and not reopened since: ``h`` hours from receipt
        to its last resolution, ``reopened`` (1 if it was ever reopened) and, for those,
        ``rework`` hours from the last reopening to the resolution after it. A case
        reopened and not resolved again has no cycle time yet."""
        db = self.db
        return f"""
            SELECT {db.hours("r.done", "r.received_at")} AS h, r.reopened AS reopened,
                   {db.hours("r.done", "r.back")} AS rework
            FROM (SELECT e.complaint_id, c.received_at AS received_at,
                         MAX(CASE WHEN e.name = 'resolved' THEN e.at END) AS done,
                         MAX(CASE WHEN e.name = 'resolved' THEN e.seq END) AS done_seq,
                         MAX(CASE WHEN e.name = 'reopened' THEN e.at END) AS back,
                         MAX(CASE WHEN e.name = 'reopened' THEN e.seq END) AS back_seq,
                         MAX(CASE WHEN e.name = 'reopened' THEN 1 ELSE 0 END) AS reopened
                  FROM cf_events e JOIN cf_complaints c ON c.id = e.complaint_id
                  WHERE e.name IN ('resolved', 'reopened') AND {self.w}
                  GROUP BY e.complaint_id, c.received_at) r
            WHERE r.done_seq IS NOT NULL AND (r.back_seq IS NULL OR r.done_seq > r.back_seq)"""

    def _spread(self, column: str, where: str = "1 = 1") -> list[tuple[Any, ...]]:
        """``(reopened, cases, median, p90, mean)`` of ``column`` over the cycles, per
        ``reopened`` (nearest rank, by window functions)."""
        return list(self.rows(f"""
            WITH cyc AS (SELECT {column} AS h, reopened FROM ({self._cycles()}) c0
                         WHERE {where}),
            ranked AS (SELECT h, reopened,
                              ROW_NUMBER() OVER (PARTITION BY reopened ORDER BY h) AS rn,
                              COUNT(*) OVER (PARTITION BY reopened) AS n
                       FROM cyc)
            SELECT reopened, MAX(n), MAX(CASE WHEN rn = (n + 1) / 2 THEN h END),
                   MAX(CASE WHEN rn = (9 * n + 9) / 10 THEN h END), AVG(h)
            FROM ranked GROUP BY reopened"""))

    def cycle(self) -> dict[str, dict[str, float | int | None]]:
        out: dict[str, dict[str, float | int | None]] = {
            k: {"cases": 0, "median": None, "p90": None, "mean": None}
            for k in ("closed", "reopened", "rework")}
        spreads = [(r, "h") for r in self._spread("h")]
        spreads += [(r, "rework") for r in self._spread("rework", "reopened = 1")]
        for (reopened, n, median, p90, mean), column in spreads:
            key = column if column == "rework" else ("reopened" if int(reopened) else "closed")
            out[key] = {"cases": int(n), "median": _round(median), "p90": _round(p90),
                        "mean": _round(mean)}
        return out

    def histogram(self) -> dict[str, int]:
        labels = _bucket_labels()
        cases = " ".join(f"WHEN h < {edge} THEN {i}" for i, edge in enumerate(CYCLE_BUCKETS))
        found = {int(b): int(n) for b, n in self.rows(f"""
            SELECT CASE {cases} ELSE {len(CYCLE_BUCKETS)} END AS bucket, COUNT(*)
            FROM ({self._cycles()}) cyc WHERE reopened = 0 GROUP BY bucket""")}
        return {label: found.get(i, 0) for i, label in enumerate(labels)}

    def compensation(self) -> tuple[tuple[dict[str, Any], ...], dict[str, Decimal]]:
        db = self.db
        j = db.json
        parts = [db.cents(j("p.data", "offer", part, "amount"))
                 for part in ("remedy_value", "goodwill", "statutory")]
        remedy = j("p.data", "offer", "remedy")
        currency = j("p.data", "offer", "remedy_value", "currency")
        rows = []
        totals: dict[str, Decimal] = {}
        for tier, rem, raw_cur, offers, value, goodwill, statutory in self.rows(f"""
            SELECT c.tier, {remedy}, {currency}, COUNT(*),
                   SUM({parts[0]}), SUM({parts[1]}), SUM({parts[2]})
            FROM cf_events r
            JOIN cf_complaints c ON c.id = r.complaint_id
            JOIN cf_events p ON p.complaint_id = r.complaint_id AND p.seq = (
                SELECT MAX(p2.seq) FROM cf_events p2
                WHERE p2.complaint_id = r.complaint_id AND p2.name = 'proposed' AND p2.seq < r.seq)
            WHERE r.name = 'resolved' AND {self.w}
            GROUP BY c.tier, {remedy}, {currency}
            ORDER BY c.tier, {remedy}, {currency}"""):
            money = [Decimal(int(v or 0)) / _SCALE for v in (value, goodwill, statutory)]
            total = sum(money, Decimal(0))
            cur = str(raw_cur or "CNY")
            rows.append({"tier": str(tier), "remedy": str(rem), "currency": cur,
                         "offers": int(offers), "remedy_value": _money(money[0]),
                         "goodwill": _money(money[1]), "statutory": _money(money[2]),
                         "total": _money(total)})
            totals[cur] = _money(totals.get(cur, Decimal(0)) + total)
        return tuple(rows), dict(sorted(totals.items()))

    def satisfaction(self) -> dict[int, int]:
        score = self.db.integer(self.db.json("e.data", "satisfaction"))
        return dict(sorted((int(k), int(n)) for k, n in self.rows(f"""
            SELECT {score} AS score, COUNT(*)
            FROM cf_events e JOIN cf_complaints c ON c.id = e.complaint_id
            WHERE e.name = 'revisited' AND {self.w} AND e.seq = (
                SELECT MAX(e2.seq) FROM cf_events e2
                WHERE e2.complaint_id = e.complaint_id AND e2.name = 'revisited')
            GROUP BY {score}""")))

    def lines(self, top: int) -> tuple[dict[str, Any], ...]:
        return tuple(
            {"scope": scope, "sku": sku, "batch": batch, "brand": brand, "complaints": int(n),
             "first": first if isinstance(first, str) else first.isoformat()}
            for scope, sku, batch, brand, n, first in self.rows(f"""
                SELECT c.scope, c.sku, c.batch, c.brand, COUNT(*), MIN(c.received_at)
                FROM cf_complaints c WHERE c.scope <> 'point' AND {self.w}
                GROUP BY c.scope, c.sku, c.batch, c.brand
                ORDER BY COUNT(*) DESC, c.scope, c.sku, c.batch
                LIMIT {int(top)}"""))


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01")) if value == value.quantize(Decimal("0.01")) else value


def build_report(db: str | os.PathLike[str] | Database, *, since: datetime | None = None,
                 until: datetime | None = None, top: int = 10) -> Report:
    """The :class:`Report` of the complaints received in ``[since, until)``.

    ``db`` is the path of an SQLite store, a database URL (``postgresql://...``, with the
    ``sql`` extra) or an open :class:`Database`. Every figure is computed by the database
    (``GROUP BY`` over the state rows and the events, window functions for the median and
    90th percentile, by nearest rank), so memory stays flat in the number of complaints.
    ``top`` bounds the long dimensions (regions and stores of the heat maps, lines).
    """
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MAX_TOP:
        raise ValidationError("top", f"expected a whole number from 1 to {MAX_TOP}, got {top!r}")
    for name, value in (("since", since), ("until", until)):
        if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
            raise ValidationError(name, f"expected an aware datetime, got {value!r}")
    if since is not None and until is not None and until <= since:
        raise ValidationError("until", "must be later than since")
    own = not isinstance(db, Database)
    database = open_database(db) if not isinstance(db, Database) else db
    try:
        q = _Queries(database, since, until)
        by_state = q.count_by("c.state")
        reopened, revisited, resolved = q.reopens()
        compensation, totals = q.compensation()
        return Report(
            total=sum(by_state.values()), by_state=by_state, by_category=q.count_by("c.category"),
            sla=q.sla(), escalations=q.escalations(), reopened=reopened, revisited=revisited,
            cycle=q.cycle(), cycle_histogram=q.histogram(), compensation_total=totals,
            compensation=compensation, satisfaction=q.satisfaction(),
            heatmap=q.grid("region", top), store_heatmap=q.grid("store", top),
            lines=q.lines(top), since=since, until=until, top=top, resolved=resolved)
    finally:
        if own:
            database.close()
