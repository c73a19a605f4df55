"""Duplicates: the same complaint arriving on a second channel is one case."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import timedelta
from typing import ClassVar

from complaintflow._model import Complaint

__all__ = ["ChannelDuplicates", "DuplicatePolicy"]


class DuplicatePolicy(ABC):
    """Finds the case a new complaint duplicates among the customer's recent ones."""

    version: ClassVar[str] = "1"
    window: timedelta = timedelta(hours=48)

    @abstractmethod
    def find(self, complaint: Complaint, recent: Sequence[Complaint]) -> Complaint | None:
        """The primary case ``complaint`` duplicates, or ``None``."""


class ChannelDuplicates(DuplicatePolicy):
    """Same customer and same order within 48 h, on a case that is not closed."""

    def __init__(self, window_hours: float = 48) -> None:
        self.window = timedelta(hours=window_hours)

    def find(self, complaint: Complaint, recent: Sequence[Complaint]) -> Complaint | None:
        if not complaint.order_id:
            return None
        for other in sorted(recent, key=lambda c: c.received_at):
            if (other.customer_id == complaint.customer_id and other.order_id == complaint.order_id
                    and not other.is_final
                    and complaint.received_at - other.received_at <= self.window):
                return other
        return None
