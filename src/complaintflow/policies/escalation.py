"""Escalation: who owns a case and by when each stage is due."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar

from complaintflow._model import STAGES, Complaint, State, Tier

__all__ = ["EscalationPolicy", "TieredEscalation"]

_H = timedelta(hours=1)


class EscalationPolicy(ABC):
    """Decides the owning tier and the stage deadlines of a complaint.

    Override :meth:`deadlines` and :meth:`owner`; the other methods have sensible
    defaults (warning at :attr:`warning_ratio`, one tier up per breach, wall-clock pauses).
    """

    version: ClassVar[str] = "1"
    #: Fraction of a stage's time after which a warning is recorded.
    warning_ratio: float = 0.8

    @abstractmethod
    def deadlines(self, complaint: Complaint, start: datetime | None = None) -> Mapping[State, datetime]:
        """Deadlines of the stages acknowledged … resolved, counted from ``start``
        (default: the complaint's receipt)."""

    @abstractmethod
    def owner(self, complaint: Complaint) -> Tier:
        """The tier that owns a newly classified complaint."""

    def follow_up(self, complaint: Complaint, resolved_at: datetime) -> datetime:
        """When the follow-up call (revisit) is due after resolution."""
        return resolved_at + timedelta(hours=24)

    def warnings(self, complaint: Complaint, start: datetime,
                 deadlines: Mapping[State, datetime]) -> dict[State, datetime]:
        """When to warn for each deadline: at :attr:`warning_ratio` of the time from ``start``."""
        return {s: start + (d - start) * self.warning_ratio for s, d in deadlines.items()}

    def shift(self, complaint: Complaint, deadline: datetime, paused_at: datetime,
              resumed_at: datetime) -> datetime:
        """Move an open ``deadline`` by the time the clock was paused."""
        return deadline + (resumed_at - paused_at)

    def held(self, complaint: Complaint, paused_at: datetime, resumed_at: datetime) -> timedelta:
        """How much SLA time a pause held (wall-clock by default)."""
        return resumed_at - paused_at

    def pause_limit(self, complaint: Complaint, paused_at: datetime) -> datetime:
        """The latest moment a wait for the customer lasts before the clocks run again."""
        return paused_at + timedelta(hours=72)

    def on_breach(self, complaint: Complaint, stage: State) -> Tier | None:
        """The tier a breach of ``stage`` hands the case to (``None``: no escalation)."""
        up = complaint.tier.up()
        return up if up > complaint.tier else None


class TieredEscalation(EscalationPolicy):
    """The SLA table of DOMAIN.md section 4, by severity, in wall-clock hours."""

    #: severity → (owner tier, {stage: hours from receipt})
    DEFAULT_TABLE: ClassVar[Mapping[int, tuple[Tier, Mapping[State, float]]]] = {
        1: (Tier.REGIONAL_HEAD, {State.ACKNOWLEDGED: 1, State.INVESTIGATED: 4,
                                 State.PROPOSED: 6, State.RESOLVED: 24}),
        2: (Tier.STORE_SUPERVISOR, {State.ACKNOWLEDGED: 1, State.INVESTIGATED: 4,
                                    State.PROPOSED: 6, State.RESOLVED: 72}),
        3: (Tier.FRONT_LINE, {State.ACKNOWLEDGED: 1, State.INVESTIGATED: 24,
                              State.PROPOSED: 48, State.RESOLVED: 72}),
    }

    def __init__(self, table: Mapping[int, tuple[Tier, Mapping[State, float]]] | None = None,
                 follow_up_hours: float = 24) -> None:
        self.table = dict(table if table is not None else self.DEFAULT_TABLE)
        self.follow_up_hours = follow_up_hours

    def _row(self, complaint: Complaint) -> tuple[Tier, Mapping[State, float]]:
        return self.table.get(complaint.severity, self.table[max(self.table)])

    def owner(self, complaint: Complaint) -> Tier:
        return self._row(complaint)[0]

    def deadlines(self, complaint: Complaint, start: datetime | None = None) -> Mapping[State, datetime]:
        base = complaint.received_at if start is None else start
        hours = self._row(complaint)[1]
        return {s: base + hours[s] * _H for s in STAGES if s in hours}

    def follow_up(self, complaint: Complaint, resolved_at: datetime) -> datetime:
        return resolved_at + self.follow_up_hours * _H
