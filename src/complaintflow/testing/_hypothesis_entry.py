"""Hypothesis entry point: runs once, when Hypothesis is imported.

It registers the ``complaintflow.ci`` settings profile and strategies for complaintflow's
types, so ``st.from_type(cf.Complaint)`` draws complaints built by real commands. The
strategies module is imported only when such a strategy is first used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["_hypothesis_setup_hook"]


def _lazy(name: str) -> Any:
    def resolve(_type: type) -> Any:
        from complaintflow.testing import strategies

        return getattr(strategies, name)()

    return resolve


def _hypothesis_setup_hook() -> None:
    from hypothesis import HealthCheck, settings
    from hypothesis import strategies as st

    settings.register_profile(
        "complaintflow.ci",
        max_examples=50,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )

    from complaintflow._model import Actor, Complaint, Finding, Money, Offer

    for kind, name in ((Complaint, "complaints"), (Finding, "findings"), (Offer, "offers"),
                       (Actor, "actors"), (Money, "amounts")):
        st.register_type_strategy(kind, _lazy(name))
