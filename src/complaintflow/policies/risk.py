"""Risk: flags about the customer (frequent complainer, churn, unverified purchase).

the complaint-handling brief: high-frequency complainers get a dedicated account manager, customers
likely to churn get a retention package, and claims without a purchase record are
verified before any remedy (never rejected automatically).
"""

from __future__ import annotations

import functools
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Final, Self

from complaintflow._complaint import Complaint
from complaintflow.exceptions import ValidationError
from complaintflow.policies._checks import duration, whole_number
from complaintflow.policies._checks import words as _words
from complaintflow.policies._config import ConfigContext, default_text, register_section
from complaintflow.policies._recent import IntakeSummary
from complaintflow.policies.classification import default_fold, shared_matcher

__all__ = ["RISK_ACTIONS", "DefaultRisk", "RiskPolicy"]

#: Each signal flag and the action flag that goes with it.
RISK_ACTIONS: Final = {
    "high_frequency": "account_manager",
    "churn_risk": "retention_package",
    "unverified_purchase": "verify_purchase",
}


class RiskPolicy(ABC):
    """Flags a new complaint. ``recent`` holds the customer's complaints in :attr:`window`.

    Override :meth:`assess`. Flags are plain names recorded on the complaint
    (``complaint.flags``); they inform people and other policies and never reject. The
    workflow calls :meth:`assess_from` with an
    :class:`~complaintflow.policies.IntakeSummary` of the customer's complaints (counts
    aggregated by the store); by default it passes the whole complaints
    (``summary.complaints()``) to :meth:`assess`.
    """

    version: ClassVar[str] = "1"
    window: timedelta = timedelta(days=30)

    def assess_from(self, complaint: Complaint, summary: IntakeSummary) -> frozenset[str]:
        """The flags from intake's summary; by default :meth:`assess` of the whole
        complaints."""
        return self.assess(complaint, summary.complaints())

    @abstractmethod
    def assess(self, complaint: Complaint, recent: Sequence[Complaint]) -> frozenset[str]:
        """Return the risk flags of ``complaint``."""


@functools.cache
def _defaults() -> dict[str, Any]:
    table: dict[str, Any] = tomllib.loads(default_text("risk.toml"))["risk"]
    return table


class DefaultRisk(RiskPolicy):
    """The defaults of the complaint-handling brief, every number and word configurable.

    - ``high_frequency`` + ``account_manager``: ``frequent_count`` complaints of this
      customer (this one included) within ``window_days`` (inclusive);
    - ``churn_risk`` + ``retention_package``: a churn keyword in the text ("再也不買",
      "never again", "cancel my membership" …), or an earlier complaint in the window
      revisited with a satisfaction of ``churn_satisfaction`` or less;
    - ``unverified_purchase`` + ``verify_purchase``: no order id, or ``purchase_found``
      (your lookup in the purchase records, if given) says the order is not ours — verify
      before any remedy; the complaint is received as usual, never rejected.
    """

    def __init__(self, frequent_count: int = 3, window_days: float = 30,
                 churn_satisfaction: int = 2,
                 churn_keywords: Iterable[str] | None = None,
                 purchase_found: Callable[[Complaint], bool] | None = None) -> None:
        self.frequent_count = whole_number("frequent_count", frequent_count, minimum=1)
        self.window = duration("window_days", window_days, "days")
        self.churn_satisfaction = whole_number("churn_satisfaction", churn_satisfaction,
                                               minimum=0, maximum=5)
        words = _words("churn_keywords",
                       _defaults()["churn_keywords"] if churn_keywords is None else churn_keywords)
        if any(not w.strip("~* ") for w in words):
            raise ValidationError("churn_keywords", "expected non-empty strings")
        self.churn_keywords = words
        if purchase_found is not None and not callable(purchase_found):
            raise ValidationError("purchase_found", "expected a callable(complaint) -> bool")
        self.purchase_found = purchase_found
        self._churn = shared_matcher(dict.fromkeys(words, ("churn",)), default_fold())

    def churn_words(self, text: str) -> list[str]:
        """The churn keywords (as written) that occur in ``text``."""
        return [word for _, word in self._churn.find(text)]

    def assess_from(self, complaint: Complaint, summary: IntakeSummary) -> frozenset[str]:
        """:meth:`assess` from the store's counts: how many complaints the customer made in
        the window and the lowest satisfaction among them (a subclass that overrides
        :meth:`assess` is given the whole complaints instead)."""
        if type(self).assess is not DefaultRisk.assess:
            return super().assess_from(complaint, summary)
        lowest = summary.lowest_satisfaction
        return self._flags(complaint, summary.count("customer_id"),
                           lowest is not None and lowest <= self.churn_satisfaction)

    def _flags(self, complaint: Complaint, earlier: int, unhappy: bool) -> frozenset[str]:
        flags: set[str] = set()
        if earlier + 1 >= self.frequent_count:
            flags.add("high_frequency")
        if unhappy or self.churn_words(complaint.text or ""):
            flags.add("churn_risk")
        if not complaint.order_id or (
            self.purchase_found is not None and not self.purchase_found(complaint)
        ):
            flags.add("unverified_purchase")
        flags.update(RISK_ACTIONS[f] for f in list(flags))
        return frozenset(flags)

    def assess(self, complaint: Complaint, recent: Sequence[Complaint]) -> frozenset[str]:
        start = complaint.received_at - self.window
        earlier = [c for c in recent if c.id != complaint.id
                   and c.customer_id == complaint.customer_id
                   and start <= c.received_at <= complaint.received_at]
        unhappy = any(c.satisfaction is not None and c.satisfaction <= self.churn_satisfaction
                      for c in earlier)
        return self._flags(complaint, len(earlier), unhappy)

    @classmethod
    def from_config(cls, table: Mapping[str, Any], ctx: ConfigContext) -> Self:
        """Build from a ``[risk]`` table: its keys are the constructor's arguments, which
        validate them, besides ``add_churn_keywords`` (added to ``churn_keywords``, or to
        the default words when that key is absent)."""
        ctx.unknown(table, {"frequent_count", "window_days", "churn_satisfaction",
                            "churn_keywords", "add_churn_keywords"})
        kwargs = {k: v for k, v in table.items() if k != "add_churn_keywords"}
        if "add_churn_keywords" in table:
            base = ctx.strings(table, "churn_keywords")
            added = ctx.strings(table, "add_churn_keywords") or []
            kwargs["churn_keywords"] = [
                *(base if base is not None else _defaults()["churn_keywords"]), *added]
        return ctx.build(cls, **kwargs)


# -- TOML: [risk] -----------------------------------------------------------------------------

@register_section("risk", "risk")
def _section(table: Mapping[str, Any], ctx: ConfigContext) -> DefaultRisk:
    return DefaultRisk.from_config(table, ctx)
