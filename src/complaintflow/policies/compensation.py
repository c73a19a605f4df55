"""Compensation: which offer comes next, and who may grant how much goodwill."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar

import attrs

from complaintflow._model import Complaint, Money, Offer, Tier

__all__ = ["CompensationLadder", "CompensationPolicy"]


class CompensationPolicy(ABC):
    """Decides the next offer on the ladder and the goodwill limit of each tier.

    Override :meth:`next_offer` and/or :meth:`limit`.
    """

    version: ClassVar[str] = "1"

    @abstractmethod
    def next_offer(self, complaint: Complaint) -> Offer:
        """The offer to propose now (``complaint.declines`` offers were declined before)."""

    @abstractmethod
    def limit(self, tier: Tier) -> Money | None:
        """The most goodwill ``tier`` may grant without approval; ``None`` is unlimited."""

    def approver_for(self, goodwill: Money) -> Tier:
        """The lowest tier whose limit covers ``goodwill``."""
        for tier in Tier:
            lim = self.limit(tier)
            if lim is None or goodwill <= lim:
                return tier
        return Tier.EXECUTIVE

    def fit_authority(self, complaint: Complaint, offer: Offer, tier: Tier) -> Offer:
        """Bring an automatic offer within ``tier``'s authority (default: cap the goodwill)."""
        lim = self.limit(tier)
        if lim is None or offer.goodwill <= lim:
            return offer
        return attrs.evolve(offer, goodwill=lim)

    def check(self, complaint: Complaint, offer: Offer) -> None:
        """Refuse an offer the law or the policy does not allow (default: accept all)."""


class CompensationLadder(CompensationPolicy):
    """Apology first, then partial refund → exchange → refund, each decline one rung up."""

    DEFAULT_RUNGS: ClassVar[tuple[Offer, ...]] = (
        Offer("partial_refund", extras=("apology",)),
        Offer("exchange", extras=("apology",)),
        Offer("refund", extras=("apology",)),
    )
    DEFAULT_LIMITS: ClassVar[Mapping[Tier, Money | None]] = {
        Tier.FRONT_LINE: Money(Decimal(50)),
        Tier.STORE_SUPERVISOR: Money(Decimal(500)),
        Tier.REGIONAL_HEAD: Money(Decimal(5000)),
        Tier.EXECUTIVE: None,
    }

    def __init__(self, rungs: tuple[Offer, ...] | None = None,
                 limits: Mapping[Tier, Money | None] | None = None) -> None:
        self.rungs = tuple(rungs if rungs is not None else self.DEFAULT_RUNGS)
        self.limits = dict(limits if limits is not None else self.DEFAULT_LIMITS)

    def next_offer(self, complaint: Complaint) -> Offer:
        return self.rungs[min(complaint.declines, len(self.rungs) - 1)]

    def limit(self, tier: Tier) -> Money | None:
        return self.limits.get(tier)
