"""Scope (點/線/面): one customer's problem, a product line's, or the brand's."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar

from complaintflow._model import Complaint

__all__ = ["LineDetection", "ScopePolicy"]


class ScopePolicy(ABC):
    """Decides ``point``, ``line`` or ``plane``; ``recent`` holds complaints on the same
    SKU or batch received within :attr:`window`."""

    version: ClassVar[str] = "1"
    window: timedelta = timedelta(days=7)

    @abstractmethod
    def scope(self, complaint: Complaint, recent: Sequence[Complaint]) -> str:
        """Return ``"point"``, ``"line"`` or ``"plane"``."""


class LineDetection(ScopePolicy):
    """``threshold`` complaints (this one included) on one SKU or batch within the window."""

    def __init__(self, threshold: int = 5, window_days: float = 7) -> None:
        self.threshold = threshold
        self.window = timedelta(days=window_days)

    def scope(self, complaint: Complaint, recent: Sequence[Complaint]) -> str:
        def count(attr: str) -> int:
            key = getattr(complaint, attr)
            if not key:
                return 0
            return 1 + sum(1 for c in recent if c.id != complaint.id and getattr(c, attr) == key)

        return "line" if max(count("sku"), count("batch")) >= self.threshold else "point"
