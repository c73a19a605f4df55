"""Erasing a customer's personal data (PIPL art. 47, GDPR art. 17): the result and the
pure step that turns a complaint into its erased form. ``Workflow.erase`` finds the
customer's complaints, brings their clocks up to now, and commits what this module decides
through the store's ``erase`` (one transaction)."""

from __future__ import annotations

from datetime import datetime

import attrs

from complaintflow._complaint import Complaint, replace
from complaintflow._events import Event, FrozenDict, erased_by, scrub

__all__ = ["Erasure", "erase_complaint", "holds_personal_data"]


@attrs.frozen(slots=True)
class Erasure:
    """What :meth:`complaintflow.Workflow.erase` did: the complaints it erased (those
    that still held the customer's personal data, in the store's order), when and by whom.

    An empty ``complaint_ids`` means the store holds nothing personal of that customer
    (no complaint at all, or every one already erased); ``len(erasure)`` is the count.
    """

    complaint_ids: tuple[str, ...]
    at: datetime
    actor: str
    reason: str
    published: bool

    def __len__(self) -> int:
        return len(self.complaint_ids)

    def __bool__(self) -> bool:
        return bool(self.complaint_ids)


_QUOTING = ("received", "reclassified")


def holds_personal_data(complaint: Complaint) -> bool:
    """Whether any event of ``complaint`` still holds personal data (text, contact fields,
    customer attributes, evidence quoted from the text)."""
    for e in complaint.history:
        if "personal" in e.data and erased_by(e) is None:
            return True
        if e.name in _QUOTING and "evidence" in e.data:
            return True
    return False


def erase_complaint(complaint: Complaint, *, at: datetime, actor: str, reason: str,
                    published: bool) -> Complaint:
    """``complaint`` with its personal data erased at ``at``: every event scrubbed and an
    ``erased`` event (who, when, why: nothing personal) appended; replayed and checked as a
    loaded history is. ``committed`` is kept: a store's ``erase`` overwrites the first
    ``committed`` events and appends the rest."""
    seq = complaint.version + 1
    data = FrozenDict({"reason": reason, "published": published})
    history = (*(scrub(e, seq) for e in complaint.history), Event(seq, "erased", at, actor, data))
    erased = Complaint.replay(history)
    return replace(erased, {"committed": complaint.committed})
