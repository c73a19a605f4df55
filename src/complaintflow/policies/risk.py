"""Risk: flags about the customer (frequent complainer, churn, unverified purchase)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar

from complaintflow._model import Complaint

__all__ = ["DefaultRisk", "RiskPolicy"]


class RiskPolicy(ABC):
    """Flags a new complaint. ``recent`` holds the customer's complaints in :attr:`window`."""

    version: ClassVar[str] = "1"
    window: timedelta = timedelta(days=30)

    @abstractmethod
    def assess(self, complaint: Complaint, recent: Sequence[Complaint]) -> frozenset[str]:
        """Return the risk flags of ``complaint``."""


class DefaultRisk(RiskPolicy):
    """3 complaints in 30 days → ``high_frequency``; no order id → ``unverified_purchase``."""

    def __init__(self, frequent_count: int = 3, window_days: float = 30) -> None:
        self.frequent_count = frequent_count
        self.window = timedelta(days=window_days)

    def assess(self, complaint: Complaint, recent: Sequence[Complaint]) -> frozenset[str]:
        flags = set()
        others = [c for c in recent if c.id != complaint.id]
        if len(others) + 1 >= self.frequent_count:
            flags.add("high_frequency")
        if not complaint.order_id:
            flags.add("unverified_purchase")
        return frozenset(flags)
