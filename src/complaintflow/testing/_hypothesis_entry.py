"""Hypothesis entry point: runs once, when Hypothesis is imported.

It registers the ``complaintflow.ci`` settings profile.
"""

from __future__ import annotations

__all__ = ["_hypothesis_setup_hook"]


def _hypothesis_setup_hook() -> None:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "complaintflow.ci",
        max_examples=50,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
