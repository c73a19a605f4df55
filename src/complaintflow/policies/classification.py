"""Classification: what a complaint is about, and how severe it is."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs

from complaintflow._errors import ValidationError
from complaintflow._model import Complaint, Tier

__all__ = ["Classification", "ClassificationPolicy", "KeywordClassifier"]


@attrs.frozen(slots=True)
class Classification:
    """A classifier's verdict. ``evidence`` says why (e.g. the keywords that matched)."""

    category: str
    dimension: str
    severity: int
    evidence: tuple[str, ...] = ()
    min_tier: Tier | None = None

    def __attrs_post_init__(self) -> None:
        if self.severity not in (1, 2, 3):
            raise ValidationError("severity", f"expected 1, 2 or 3, got {self.severity!r}")


class ClassificationPolicy(ABC):
    """Decides category, dimension and severity of a new complaint.

    Override :meth:`classify`; the complaint passed in has its intake fields
    (text, channel, sku …) set and is not yet classified.
    """

    #: Recorded in every decision event so audits know which policy made it.
    version: ClassVar[str] = "1"

    @abstractmethod
    def classify(self, complaint: Complaint) -> Classification:
        """Return the classification of ``complaint``."""


_DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "food_safety": {"dimension": "safety", "severity": 1,
                    "keywords": ["食物中毒", "食品安全", "變質", "变质", "food poisoning", "expired food"]},
    "injury": {"dimension": "safety", "severity": 1,
               "keywords": ["受傷", "受伤", "燙傷", "烫伤", "injur", "burned"]},
    "quality_defect": {"dimension": "product", "severity": 3,
                       "keywords": ["褪色", "質量", "质量", "故障", "壞了", "坏了", "fading", "faded",
                                    "broken", "defect", "stopped working"]},
    "staff_attitude": {"dimension": "service", "severity": 2,
                       "keywords": ["態度", "态度", "冷漠", "rude", "impolite"]},
    "delivery_delay": {"dimension": "experience", "severity": 3,
                       "keywords": ["配送延遲", "配送延迟", "還沒到", "还没到", "late delivery",
                                    "not arrived", "delayed"]},
}
_SAFETY_TIER = Tier.REGIONAL_HEAD


class KeywordClassifier(ClassificationPolicy):
    """Keyword rules per category; the first category (in rule order) with a match wins.

    ``rules`` maps category → ``{"dimension", "severity", "keywords"}``.
    """

    def __init__(self, rules: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.rules: dict[str, dict[str, Any]] = {
            k: dict(v) for k, v in (rules if rules is not None else _DEFAULT_RULES).items()
        }
        self._lowered = [(cat, spec, tuple(w.lower() for w in spec["keywords"]))
                         for cat, spec in self.rules.items()]

    def matches(self, text: str) -> list[tuple[str, Sequence[str]]]:
        """Every category whose keywords occur in ``text``, with the keywords that did."""
        low = text.lower()
        out = []
        for cat, _spec, words in self._lowered:
            hit = [w for w in words if w in low]
            if hit:
                out.append((cat, hit))
        return out

    def classify(self, complaint: Complaint) -> Classification:
        found = self.matches(complaint.text or "")
        if not found:
            return Classification("other", "other", 3)
        cat, hit = found[0]
        spec = self.rules[cat]
        dim = spec["dimension"]
        return Classification(
            cat, dim, int(spec["severity"]), tuple(hit),
            _SAFETY_TIER if dim == "safety" else None,
        )
