"""Policies: every domain decision, replaceable by subclassing one method or by TOML."""

from complaintflow.policies._recent import NO_HISTORY, RecentComplaints
from complaintflow.policies.calendar import BusinessCalendar
from complaintflow.policies.classification import (
    Classification,
    ClassificationPolicy,
    KeywordClassifier,
)
from complaintflow.policies.compensation import (
    CompensationLadder,
    CompensationPolicy,
    CounterfeitFloor,
    Floor,
    FoodSafetyFloor,
    GoodwillLayer,
    LegalFloor,
    NoReasonReturnFloor,
)
from complaintflow.policies.duplicates import ChannelDuplicates, DuplicatePolicy
from complaintflow.policies.escalation import (
    EscalationPolicy,
    StageClock,
    TieredEscalation,
    stage_clocks,
)
from complaintflow.policies.hybrid import (
    ClassifierScore,
    HybridClassifier,
    TextModel,
    evaluate_classifier,
    train_classifier,
)
from complaintflow.policies.regulatory import Period, RegulatoryProfile, Window, bundled_profiles
from complaintflow.policies.risk import DefaultRisk, RiskPolicy
from complaintflow.policies.scope import LineDetection, ScopePolicy

__all__ = [
    "NO_HISTORY",
    "BusinessCalendar",
    "ChannelDuplicates",
    "Classification",
    "ClassificationPolicy",
    "ClassifierScore",
    "CompensationLadder",
    "CompensationPolicy",
    "CounterfeitFloor",
    "DefaultRisk",
    "DuplicatePolicy",
    "EscalationPolicy",
    "Floor",
    "FoodSafetyFloor",
    "GoodwillLayer",
    "HybridClassifier",
    "KeywordClassifier",
    "LegalFloor",
    "LineDetection",
    "NoReasonReturnFloor",
    "Period",
    "RecentComplaints",
    "RegulatoryProfile",
    "RiskPolicy",
    "ScopePolicy",
    "StageClock",
    "TextModel",
    "TieredEscalation",
    "Window",
    "bundled_profiles",
    "evaluate_classifier",
    "stage_clocks",
    "train_classifier",
]
