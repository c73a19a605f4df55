"""Duplicates: the same complaint arriving on a second channel is one case (the complaint-handling brief).

When :meth:`DuplicatePolicy.find` names an earlier case, ``Workflow.receive`` does not open
a new one: it records a ``merged`` event (channel, duplicate id, text) on that case and
returns it. A duplicate only ever joins a case of the same customer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Self, TypeVar

from complaintflow._complaint import Complaint
from complaintflow.exceptions import ValidationError
from complaintflow.policies._checks import duration
from complaintflow.policies._config import ConfigContext, register_section
from complaintflow.policies._recent import IntakeSummary, RecentRow

_C = TypeVar("_C", Complaint, RecentRow)

__all__ = ["ChannelDuplicates", "DuplicatePolicy"]


class DuplicatePolicy(ABC):
    """Finds the case a new complaint duplicates among the customer's recent ones.

    ``recent`` holds the customer's complaints received within :attr:`window`. Override
    :meth:`find`; a case returned for another customer is refused by the workflow.
    """

    version: ClassVar[str] = "1"
    window: timedelta = timedelta(hours=48)
    #: How far back intake looks for the customer's earlier cases on the same order.
    related_window: timedelta = timedelta(days=180)
    #: At most this many of the newest such cases are looked at.
    related_limit: int = 10

    @abstractmethod
    def find(self, complaint: Complaint, recent: Sequence[Complaint]) -> Complaint | None:
        """The primary case ``complaint`` duplicates, or ``None``."""

    def related(self, complaint: Complaint, earlier: Sequence[Complaint]) -> Sequence[Complaint]:
        """Among ``earlier`` (the customer's newest cases on ``complaint``'s order, received
        within :attr:`related_window`), those to suggest as linked: by default every one no
        longer open (resolved, closed, withdrawn or rejected), newest first. An open one
        took the complaint as a duplicate already, unless :meth:`find` declined it."""
        return [c for c in earlier if c.id != complaint.id and not c.is_open
                and c.customer_id == complaint.customer_id
                and c.order_id == complaint.order_id]

    def related_from(self, complaint: Complaint, summary: IntakeSummary) -> Sequence[str]:
        """The ids :meth:`related` would suggest, from intake's summary of the complaints on
        ``complaint``'s order (their newest rows: id, customer, state, receipt time). A
        subclass that overrides :meth:`related` receives the whole complaints
        (``summary.complaints()``) instead."""
        if type(self).related is not DuplicatePolicy.related:  # judged on whole complaints
            found = self.related(complaint, summary.complaints())
            if any(c.customer_id != complaint.customer_id for c in found):
                raise ValidationError("related", "a related case must belong to the same customer")
            return [c.id for c in found]
        rows = sorted(summary.rows, key=lambda r: (r.received_at, r.id), reverse=True)
        return [r.id for r in rows if r.id != complaint.id and not r.is_open
                and r.customer_id == complaint.customer_id
                and r.order_id == complaint.order_id]

    def find_from(self, complaint: Complaint, summary: IntakeSummary) -> str | None:
        """The id of the primary case, from intake's summary of the customer's complaints
        on the same order (their newest rows: id, state, keys, receipt time); by default
        :meth:`find` of the whole complaints (``summary.complaints()``). The workflow
        loads the case it names."""
        found = self.find(complaint, summary.complaints())
        return None if found is None else found.id


class ChannelDuplicates(DuplicatePolicy):
    """Same customer and same order within ``window_hours`` (inclusive), on any channel.

    Only a case still open (received … proposed) takes the duplicate: a case already
    resolved, closed, withdrawn or rejected is never reopened by it — the new message
    becomes a new case. Among several candidates the earliest received is the primary.
    A complaint without an order id is never a duplicate. ``related_days``: how far back
    intake looks for the customer's closed cases on the same order (suggested links,
    ``complaint.related``).
    """

    #: 2: suggests the customer's closed cases on the same order (``related``)
    version: ClassVar[str] = "2"

    def __init__(self, window_hours: float = 48, related_days: float = 180) -> None:
        self.window = duration("window_hours", window_hours, "hours")
        self.related_window = duration("related_days", related_days, "days")

    def find_from(self, complaint: Complaint, summary: IntakeSummary) -> str | None:
        if type(self).find is not ChannelDuplicates.find:  # judged on whole complaints
            return super().find_from(complaint, summary)
        found = self._first(complaint, summary.rows)
        return None if found is None else found.id

    def find(self, complaint: Complaint, recent: Sequence[Complaint]) -> Complaint | None:
        return self._first(complaint, recent)

    def _first(self, complaint: Complaint, recent: Sequence[_C]) -> _C | None:
        if not complaint.order_id:
            return None
        start = complaint.received_at - self.window
        for other in sorted(recent, key=lambda c: (c.received_at, c.id)):
            if (other.id != complaint.id
                    and other.customer_id == complaint.customer_id
                    and other.order_id == complaint.order_id
                    and other.is_open
                    and start <= other.received_at <= complaint.received_at):
                return other
        return None

    @classmethod
    def from_config(cls, table: Mapping[str, Any], ctx: ConfigContext) -> Self:
        """Build from a ``[duplicates]`` table: its keys ``window_hours`` and
        ``related_days`` are the constructor's arguments, which validate them."""
        ctx.unknown(table, {"window_hours", "related_days"})
        return ctx.build(cls, **table)


# -- TOML: [duplicates] -----------------------------------------------------------------------


@register_section("duplicates", "duplicates")
def _section(table: Mapping[str, Any], ctx: ConfigContext) -> ChannelDuplicates:
    return ChannelDuplicates.from_config(table, ctx)
