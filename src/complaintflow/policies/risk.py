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
from typing import Any, ClassVar, Final

from complaintflow._complaint import Complaint
from complaintflow.exceptions import ValidationError
from complaintflow.policies._config import ConfigContext, default_text, register_section
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
    (``complaint.flags``); they inform people and other policies and never reject.
    """

    version: ClassVar[str] = "1"
    window: timedelta = timedelta(days=30)

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
        if isinstance(frequent_count, bool) or not isinstance(frequent_count, int) or (
            frequent_count < 1
        ):
            raise ValidationError("frequent_count", f"expected an integer >= 1, got {frequent_count!r}")
        if isinstance(window_days, bool) or not isinstance(window_days, int | float) or not (
            window_days > 0
        ):
            raise ValidationError("window_days", f"expected a positive number, got {window_days!r}")
        if isinstance(churn_satisfaction, bool) or churn_satisfaction not in range(6):
            raise ValidationError("churn_satisfaction",
                                  f"expected an integer 0-5, got {churn_satisfaction!r}")
        self.frequent_count = frequent_count
        self.window = timedelta(days=window_days)
        self.churn_satisfaction = churn_satisfaction
        words = tuple(_defaults()["churn_keywords"] if churn_keywords is None else churn_keywords)
        if any(not isinstance(w, str) or not w.strip("~* ") for w in words):
            raise ValidationError("churn_keywords", "expected non-empty strings")
        self.churn_keywords = words
        if purchase_found is not None and not callable(purchase_found):
            raise ValidationError("purchase_found", "expected a callable(complaint) -> bool")
        self.purchase_found = purchase_found
        self._churn = shared_matcher(dict.fromkeys(words, ("churn",)), default_fold())

    def churn_words(self, text: str) -> list[str]:
        """The churn keywords (as written) that occur in ``text``."""
        return [word for _, word in self._churn.find(text)]

    def assess(self, complaint: Complaint, recent: Sequence[Complaint]) -> frozenset[str]:
        start = complaint.received_at - self.window
        earlier = [c for c in recent if c.id != complaint.id
                   and c.customer_id == complaint.customer_id
                   and start <= c.received_at <= complaint.received_at]
        flags: set[str] = set()
        if len(earlier) + 1 >= self.frequent_count:
            flags.add("high_frequency")
        unhappy = any(c.satisfaction is not None and c.satisfaction <= self.churn_satisfaction
                      for c in earlier)
        if unhappy or self.churn_words(complaint.text or ""):
            flags.add("churn_risk")
        if not complaint.order_id or (
            self.purchase_found is not None and not self.purchase_found(complaint)
        ):
            flags.add("unverified_purchase")
        flags.update(RISK_ACTIONS[f] for f in list(flags))
        return frozenset(flags)

    @classmethod
    def from_config(cls, table: Mapping[str, Any], ctx: ConfigContext) -> DefaultRisk:
        """Build from a ``[risk]`` table (``frequent_count``, ``window_days``,
        ``churn_satisfaction``, ``churn_keywords``, ``add_churn_keywords``)."""
        ctx.unknown(table, {"frequent_count", "window_days", "churn_satisfaction",
                            "churn_keywords", "add_churn_keywords"})
        count = ctx.integer(table, "frequent_count", 3, minimum=1)
        days = ctx.positive(table, "window_days", 30)
        score = ctx.integer(table, "churn_satisfaction", 2, minimum=0, maximum=5)
        words: list[str] = list(_defaults()["churn_keywords"])
        replaced = ctx.strings(table, "churn_keywords")
        if replaced is not None:
            words = replaced
        words += ctx.strings(table, "add_churn_keywords") or []
        return cls(frequent_count=count, window_days=days, churn_satisfaction=score,
                   churn_keywords=words)


@register_section("risk", "risk")
def _section(table: Mapping[str, Any], ctx: ConfigContext) -> DefaultRisk:
    return DefaultRisk.from_config(table, ctx)
