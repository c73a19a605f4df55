"""What intake asks a store about earlier complaints, so policies never open a store.

Two query protocols. :class:`IntakeSummaries` (``store.intake_summary(...)``) answers with
counts and a few small rows per key (SKU, batch, brand, customer, order) within a window,
aggregated where the data lives: what the default scope, risk and duplicate policies
need, at a cost that does not grow with the number of complaints on a key.
:class:`RecentComplaints` (``store.recent(...)``) returns whole complaints; it stays for
policies that want more than the summary, and :meth:`IntakeSummary.complaints` reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from complaintflow._clock import ensure_aware
from complaintflow._complaint import Complaint
from complaintflow._values import OPEN_STATES, State
from complaintflow.exceptions import ValidationError

__all__ = [
    "INTAKE_KEYS",
    "INTAKE_LIMIT",
    "NO_HISTORY",
    "IntakeSummaries",
    "IntakeSummary",
    "RecentComplaints",
    "RecentRow",
    "SkuCount",
    "build_summary",
    "summarize",
]

#: The keys an intake summary can be asked about, in the order it reports them.
INTAKE_KEYS: Final = ("customer_id", "order_id", "sku", "batch", "brand")

#: How many rows per key a summary carries by default (the newest in the window).
INTAKE_LIMIT: Final = 50


@runtime_checkable
class RecentComplaints(Protocol):
    """Complaints received at or after ``since`` matching every filter that is not None.

    Stores implement this; the workflow hands it to policies so they never open a store.
    """

    def recent(
        self,
        *,
        since: datetime,
        customer_id: str | None = None,
        sku: str | None = None,
        batch: str | None = None,
        order_id: str | None = None,
        brand: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Complaint]: ...


@attrs.frozen
class RecentRow:
    """What a summary carries of one earlier complaint: its keys, its state and the few
    fields the default policies judge by (read from the state row, never the history)."""

    id: str
    customer_id: str
    received_at: datetime
    state: State
    scope: str = "point"
    order_id: str | None = None
    sku: str | None = None
    batch: str | None = None
    brand: str | None = None
    satisfaction: int | None = None

    @property
    def is_open(self) -> bool:
        """Still being worked on (received … proposed)."""
        return self.state in OPEN_STATES

    @classmethod
    def of(cls, complaint: Complaint) -> RecentRow:
        """The row of a whole complaint."""
        return cls(complaint.id, complaint.customer_id, complaint.received_at, complaint.state,
                   complaint.scope, complaint.order_id, complaint.sku, complaint.batch,
                   complaint.brand, complaint.satisfaction)


@attrs.frozen
class SkuCount:
    """One SKU of a brand within the window: how many complaints, and whether one of them
    was already scoped ``line`` or ``plane``."""

    count: int
    marked: bool = False


_EMPTY: Final[Mapping[Any, Any]] = MappingProxyType({})


@attrs.frozen
class IntakeSummary:
    """What a store knows of the complaints received in ``[since, until]`` that share a
    key with a new one.

    ``keys`` are the keys asked (``{"sku": "DRESS-0420", ...}``). For each:
    ``counts[key]`` is how many complaints have it; ``rows`` holds the newest ``limit`` of
    them (all keys together, each complaint once, newest first). For ``brand``,
    ``brand_skus`` counts per SKU of that brand; for ``customer_id``,
    ``lowest_satisfaction`` is the lowest satisfaction score recorded on the customer's
    complaints (``None``: none recorded).

    :meth:`complaints` returns the whole complaints instead (from the store's ``recent``,
    each key's from ``since`` on): what a policy written for whole complaints receives.
    """

    since: datetime
    until: datetime
    keys: Mapping[str, str] = _EMPTY
    counts: Mapping[str, int] = _EMPTY
    rows: tuple[RecentRow, ...] = ()
    brand_skus: Mapping[str, SkuCount] = _EMPTY
    lowest_satisfaction: int | None = None
    limit: int = INTAKE_LIMIT
    source: RecentComplaints | None = attrs.field(default=None, eq=False, repr=False)

    def count(self, key: str) -> int:
        """How many complaints share ``key`` (0 when the key was not asked)."""
        return self.counts.get(key, 0)

    def complaints(self) -> list[Complaint]:
        """The whole complaints received since :attr:`since` sharing any asked key, each
        once, in the order of the keys asked: one ``recent`` query per key, so this costs
        what those complaints cost to load."""
        if self.source is None:
            return []
        out: dict[str, Complaint] = {}
        for key, value in self.keys.items():
            one: dict[str, Any] = {key: value}
            for c in self.source.recent(since=self.since, **one):
                out.setdefault(c.id, c)
        return list(out.values())


@runtime_checkable
class IntakeSummaries(Protocol):
    """Stores that summarize earlier complaints for intake (all the built-in ones do)."""

    def intake_summary(
        self, *, since: datetime, until: datetime, customer_id: str | None = None,
        order_id: str | None = None, sku: str | None = None, batch: str | None = None,
        brand: str | None = None, limit: int = INTAKE_LIMIT,
    ) -> IntakeSummary: ...


def check_window(since: object, until: object, limit: object) -> tuple[datetime, datetime]:
    """The arguments of ``intake_summary`` checked; returns the window as aware UTC."""
    lo, hi = ensure_aware(since, "since"), ensure_aware(until, "until")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValidationError("limit", f"expected an integer >= 0, got {limit!r}")
    return lo, hi


def asked(**keys: str | None) -> dict[str, str]:
    """The keys given (not None), in :data:`INTAKE_KEYS` order."""
    return {k: keys[k] for k in INTAKE_KEYS if keys.get(k) is not None}  # type: ignore[misc]


def build_summary(
    since: datetime, until: datetime, keys: Mapping[str, str],
    found: Mapping[str, Sequence[RecentRow]], *, limit: int, source: RecentComplaints | None,
) -> IntakeSummary:
    """The summary of ``found``: for each asked key, every row in the window that has it
    (the in-process way; SQL stores aggregate in the database instead)."""
    counts = {k: len(found.get(k, ())) for k in keys}
    newest: dict[str, RecentRow] = {}
    for k in keys:
        ordered = sorted(found.get(k, ()), key=lambda r: (r.received_at, r.id), reverse=True)
        for row in ordered[:limit]:
            newest.setdefault(row.id, row)
    rows = tuple(sorted(newest.values(), key=lambda r: (r.received_at, r.id), reverse=True))
    skus: dict[str, SkuCount] = {}
    for row in found.get("brand", ()) if "brand" in keys else ():
        if row.sku:
            was = skus.get(row.sku, SkuCount(0))
            skus[row.sku] = SkuCount(was.count + 1, was.marked or row.scope != "point")
    scores = [r.satisfaction for r in found.get("customer_id", ()) if r.satisfaction is not None]
    return IntakeSummary(since, until, MappingProxyType(dict(keys)), MappingProxyType(counts),
                         rows, MappingProxyType(skus), min(scores, default=None), limit, source)


def summarize(
    recent: RecentComplaints, *, since: datetime, until: datetime,
    customer_id: str | None = None, order_id: str | None = None, sku: str | None = None,
    batch: str | None = None, brand: str | None = None, limit: int = INTAKE_LIMIT,
) -> IntakeSummary:
    """:meth:`IntakeSummaries.intake_summary` for a store that only has ``recent``: it
    loads the complaints of each key and summarizes them (what intake did before stores
    summarized; a store of your own can do better in its own query language)."""
    lo, hi = check_window(since, until, limit)
    keys = asked(customer_id=customer_id, order_id=order_id, sku=sku, batch=batch, brand=brand)
    found: dict[str, list[RecentRow]] = {}
    for k, v in keys.items():
        one: dict[str, Any] = {k: v}
        found[k] = [RecentRow.of(c) for c in recent.recent(since=lo, **one) if c.received_at <= hi]
    return build_summary(lo, hi, keys, found, limit=limit, source=recent)


def rows_in(rows: Iterable[RecentRow], since: datetime, until: datetime) -> list[RecentRow]:
    """The ``rows`` received in ``[since, until]``."""
    return [r for r in rows if since <= r.received_at <= until]


class _NoHistory:
    """What policies see when the workflow has no store: no earlier complaints."""

    def recent(self, *, since: datetime, customer_id: str | None = None, sku: str | None = None,
               batch: str | None = None, order_id: str | None = None, brand: str | None = None,
               limit: int | None = None) -> Sequence[Complaint]:
        return ()

    def intake_summary(
        self, *, since: datetime, until: datetime, customer_id: str | None = None,
        order_id: str | None = None, sku: str | None = None, batch: str | None = None,
        brand: str | None = None, limit: int = INTAKE_LIMIT,
    ) -> IntakeSummary:
        return summarize(self, since=since, until=until, customer_id=customer_id,
                         order_id=order_id, sku=sku, batch=batch, brand=brand, limit=limit)


NO_HISTORY: RecentComplaints = _NoHistory()
