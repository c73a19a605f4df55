"""Policies: every domain decision, replaceable by subclassing one method or by TOML."""

from complaintflow.policies._recent import NO_HISTORY, RecentComplaints
from complaintflow.policies.classification import (
    Classification,
    ClassificationPolicy,
    KeywordClassifier,
)
from complaintflow.policies.compensation import CompensationLadder, CompensationPolicy
from complaintflow.policies.duplicates import ChannelDuplicates, DuplicatePolicy
from complaintflow.policies.escalation import EscalationPolicy, TieredEscalation
from complaintflow.policies.risk import DefaultRisk, RiskPolicy
from complaintflow.policies.scope import LineDetection, ScopePolicy

__all__ = [
    "NO_HISTORY",
    "ChannelDuplicates",
    "Classification",
    "ClassificationPolicy",
    "CompensationLadder",
    "CompensationPolicy",
    "DefaultRisk",
    "DuplicatePolicy",
    "EscalationPolicy",
    "KeywordClassifier",
    "LineDetection",
    "RecentComplaints",
    "RiskPolicy",
    "ScopePolicy",
    "TieredEscalation",
]
