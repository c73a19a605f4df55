"""Hypothesis entry point: runs once, when Hypothesis is imported.

It registers the ``complaintflow.ci`` settings profile and strategies for complaintflow's
types, so ``st.from_type(cf.Complaint)`` draws complaints built by real commands. The
strategies module is imported only when such a strategy is first used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["_hypothesis_setup_hook", "register_profile"]


def _lazy(name: str) -> Any:
    def resolve(_type: type) -> Any:
        from complaintflow.testing import strategies

        return getattr(strategies, name)()

    return resolve


def register_profile() -> None:
    """Register the ``complaintflow.ci`` Hypothesis profile: settings a CI can afford."""
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "complaintflow.ci",
        max_examples=50,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def _hypothesis_setup_hook() -> None:
    from hypothesis import strategies as st

    register_profile()

    from complaintflow._complaint import Complaint
    from complaintflow._values import Actor, Finding, Money, Offer

    for kind, name in ((Complaint, "complaints"), (Finding, "findings"), (Offer, "offers"),
                       (Actor, "actors"), (Money, "amounts")):
        st.register_type_strategy(kind, _lazy(name))
