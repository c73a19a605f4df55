"""Scope (點/線/面): one customer's problem, a product line's, or the brand's.

the complaint-handling brief: a *point* is one customer's problem; a *line* is a product series or
batch failing for a group of buyers (by default 5 complaints on the same SKU or batch
within 7 days); a *plane* is brand-wide (lines on several SKUs of one brand, or a case
marked as a media storm). A line or plane asks for proactive outreach to the other buyers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Final, Self

from complaintflow._complaint import Complaint
from complaintflow.policies._checks import duration, whole_number
from complaintflow.policies._config import ConfigContext, register_section
from complaintflow.policies._recent import IntakeSummary, RecentRow, SkuCount

__all__ = ["SCOPES", "LineDetection", "ScopePolicy"]

#: The three scopes, narrowest first.
SCOPES: Final = ("point", "line", "plane")


class ScopePolicy(ABC):
    """Decides ``point``, ``line`` or ``plane`` for a new complaint.

    The workflow calls :meth:`scope_from` and :meth:`related_from` with an
    :class:`~complaintflow.policies.IntakeSummary` of the complaints received within
    :attr:`window` before it that share its SKU, its batch or its brand (counts and a few
    rows, aggregated by the store). Their defaults pass the whole complaints
    (``summary.complaints()``) to :meth:`scope` and :meth:`related`: override those to
    judge whole complaints (each intake then loads them), or the ``_from`` methods to judge
    the summary.
    """

    version: ClassVar[str] = "1"
    window: timedelta = timedelta(days=7)

    @abstractmethod
    def scope(self, complaint: Complaint, recent: Sequence[Complaint]) -> str:
        """Return ``"point"``, ``"line"`` or ``"plane"``."""

    def scope_from(self, complaint: Complaint, summary: IntakeSummary) -> str:
        """The scope from intake's summary; by default :meth:`scope` of the whole
        complaints."""
        return self.scope(complaint, summary.complaints())

    def related_from(self, complaint: Complaint, summary: IntakeSummary,
                     scope: str) -> tuple[str, ...]:
        """The related complaints from intake's summary; by default :meth:`related` of
        the whole complaints."""
        return self.related(complaint, summary.complaints(), scope)

    def related(self, complaint: Complaint, recent: Sequence[Complaint],
                scope: str) -> tuple[str, ...]:
        """Ids of the complaints that share the problem, oldest first (for outreach).

        A line: those on the same SKU or batch; a plane: also those of the same brand.
        """
        def shares(c: Complaint) -> bool:
            if complaint.sku and c.sku == complaint.sku:
                return True
            if complaint.batch and c.batch == complaint.batch:
                return True
            return scope == "plane" and bool(complaint.brand) and c.brand == complaint.brand

        found = sorted((c for c in recent if c.id != complaint.id and shares(c)),
                       key=lambda c: (c.received_at, c.id))
        return tuple(dict.fromkeys(c.id for c in found))


class LineDetection(ScopePolicy):
    """The defaults of the complaint-handling brief, every number configurable.

    - *line*: ``threshold`` complaints (this one included) on its SKU, or on its batch,
      received within ``window_days`` (inclusive) up to this one;
    - *plane*: its brand has lines on at least ``plane_skus`` different SKUs within the
      window (a SKU has a line when it reaches ``threshold`` complaints, or when one of its
      complaints was already scoped line or plane), this complaint's own included.

    Complaints received after this one (a back-dated intake) do not count. From intake's
    summary (:meth:`scope_from`) the counts come from the store's aggregates, and an
    outreach names the newest related complaints the summary carries (at most its
    ``limit`` per key; ``INTAKE_LIMIT``, 50, by default). A subclass that overrides
    :meth:`scope` or :meth:`related` is given the whole complaints instead.
    """

    def __init__(self, threshold: int = 5, window_days: float = 7, plane_skus: int = 3) -> None:
        self.threshold = whole_number("threshold", threshold, minimum=1)
        self.plane_skus = whole_number("plane_skus", plane_skus, minimum=1)
        self.window = duration("window_days", window_days, "days")

    def _in_window(self, complaint: Complaint, recent: Sequence[Complaint]) -> list[Complaint]:
        start = complaint.received_at - self.window
        return [c for c in recent if c.id != complaint.id
                and start <= c.received_at <= complaint.received_at]

    def scope(self, complaint: Complaint, recent: Sequence[Complaint]) -> str:
        earlier = self._in_window(complaint, recent)

        def count(attr: str) -> int:
            key = getattr(complaint, attr)
            if not key:
                return 0
            return 1 + sum(1 for c in earlier if getattr(c, attr) == key)

        line = max(count("sku"), count("batch")) >= self.threshold
        if complaint.brand:
            per_sku: dict[str, int] = {}
            marked: set[str] = set()
            for c in (*earlier, complaint):
                if c.brand != complaint.brand or not c.sku:
                    continue
                per_sku[c.sku] = per_sku.get(c.sku, 0) + 1
                if c.scope != "point":
                    marked.add(c.sku)
            lines = {sku for sku, n in per_sku.items() if n >= self.threshold} | marked
            if line and complaint.sku:
                lines.add(complaint.sku)
            if len(lines) >= self.plane_skus:
                return "plane"
        return "line" if line else "point"

    def scope_from(self, complaint: Complaint, summary: IntakeSummary) -> str:
        if type(self).scope is not LineDetection.scope:  # judged on whole complaints
            return super().scope_from(complaint, summary)
        line = max(summary.count("sku") + 1 if complaint.sku else 0,
                   summary.count("batch") + 1 if complaint.batch else 0) >= self.threshold
        if complaint.brand and "brand" in summary.keys:
            skus = dict(summary.brand_skus)
            if complaint.sku:  # this complaint counts on its own SKU
                was = skus.get(complaint.sku, SkuCount(0))
                skus[complaint.sku] = SkuCount(was.count + 1, was.marked)
            lines = {sku for sku, n in skus.items() if n.count >= self.threshold or n.marked}
            if line and complaint.sku:
                lines.add(complaint.sku)
            if len(lines) >= self.plane_skus:
                return "plane"
        return "line" if line else "point"

    def related_from(self, complaint: Complaint, summary: IntakeSummary,
                     scope: str) -> tuple[str, ...]:
        if type(self).related is not ScopePolicy.related:
            return super().related_from(complaint, summary, scope)

        def shares(c: RecentRow) -> bool:
            if complaint.sku and c.sku == complaint.sku:
                return True
            if complaint.batch and c.batch == complaint.batch:
                return True
            return scope == "plane" and bool(complaint.brand) and c.brand == complaint.brand

        found = sorted((c for c in summary.rows if c.id != complaint.id and shares(c)),
                       key=lambda c: (c.received_at, c.id))
        return tuple(dict.fromkeys(c.id for c in found))

    @classmethod
    def from_config(cls, table: Mapping[str, Any], ctx: ConfigContext) -> Self:
        """Build from a ``[scope]`` table: its keys (``threshold``, ``window_days``,
        ``plane_skus``) are the constructor's arguments, which validate them."""
        ctx.unknown(table, {"threshold", "window_days", "plane_skus"})
        return ctx.build(cls, **table)


# -- TOML: [scope] ----------------------------------------------------------------------------

@register_section("scope", "scope")
def _section(table: Mapping[str, Any], ctx: ConfigContext) -> LineDetection:
    return LineDetection.from_config(table, ctx)
