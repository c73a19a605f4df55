"""Stores whose ``save`` fails while armed: the second write of a command that writes twice
(a follow-up's link on the earlier case, after the new complaint), to show that nothing
is half-written."""

from __future__ import annotations

from typing import Any

import complaintflow as cf
from complaintflow.store import MemoryStore, SQLiteStore


class _FailsWhileArmed:
    armed = False

    def save(self, complaint: cf.Complaint) -> cf.Complaint:
        if self.armed:
            raise cf.OperationalError("disk full")
        out: Any = super().save(complaint)  # type: ignore[misc]
        return out


class FailingSave(_FailsWhileArmed, MemoryStore):
    """A :class:`MemoryStore` that fails while armed."""


class FailingSQLite(_FailsWhileArmed, SQLiteStore):
    """A :class:`SQLiteStore` that fails while armed."""
