"""Policies: every domain decision, replaceable by subclassing one method or by TOML."""

from complaintflow.policies._config import (
    ConfigContext,
    load_policies,
    parse_policies,
    register_section,
    starter_policies,
)
from complaintflow.policies._recent import (
    INTAKE_LIMIT,
    NO_HISTORY,
    IntakeSummaries,
    IntakeSummary,
    RecentComplaints,
    RecentRow,
    SkuCount,
)
from complaintflow.policies.authorization import (
    AuthorizationPolicy,
    OpenAuthorization,
    TieredAuthorization,
)
from complaintflow.policies.calendar import BusinessCalendar
from complaintflow.policies.classification import (
    Classification,
    ClassificationPolicy,
    KeywordClassifier,
)
from complaintflow.policies.compensation import (
    Approval,
    CompensationLadder,
    CompensationPolicy,
    CounterfeitFloor,
    Floor,
    FoodSafetyFloor,
    Given,
    GoodwillLayer,
    LegalFloor,
    LocalMoney,
    NoReasonReturnFloor,
    judge_offer,
    judge_recorded_offers,
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
from complaintflow.policies.markets import MARKETS, Market, market_of, markets, register_market
from complaintflow.policies.regulatory import Period, RegulatoryProfile, Window, bundled_profiles
from complaintflow.policies.risk import DefaultRisk, RiskPolicy
from complaintflow.policies.scope import LineDetection, ScopePolicy

__all__ = [
    "INTAKE_LIMIT",
    "MARKETS",
    "NO_HISTORY",
    "Approval",
    "AuthorizationPolicy",
    "BusinessCalendar",
    "ChannelDuplicates",
    "Classification",
    "ClassificationPolicy",
    "ClassifierScore",
    "CompensationLadder",
    "CompensationPolicy",
    "ConfigContext",
    "CounterfeitFloor",
    "DefaultRisk",
    "DuplicatePolicy",
    "EscalationPolicy",
    "Floor",
    "FoodSafetyFloor",
    "Given",
    "GoodwillLayer",
    "HybridClassifier",
    "IntakeSummaries",
    "IntakeSummary",
    "KeywordClassifier",
    "LegalFloor",
    "LineDetection",
    "LocalMoney",
    "Market",
    "NoReasonReturnFloor",
    "OpenAuthorization",
    "Period",
    "RecentComplaints",
    "RecentRow",
    "RegulatoryProfile",
    "RiskPolicy",
    "ScopePolicy",
    "SkuCount",
    "StageClock",
    "TextModel",
    "TieredAuthorization",
    "TieredEscalation",
    "Window",
    "bundled_profiles",
    "evaluate_classifier",
    "judge_offer",
    "judge_recorded_offers",
    "load_policies",
    "market_of",
    "markets",
    "parse_policies",
    "register_market",
    "register_section",
    "stage_clocks",
    "starter_policies",
    "train_classifier",
]
