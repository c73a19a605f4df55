"""The optional-dependency guard of the testing kit."""

from __future__ import annotations

import importlib.util

__all__ = ["MISSING_HYPOTHESIS", "require_hypothesis"]

MISSING_HYPOTHESIS = (
    "complaintflow.testing needs Hypothesis, which is not installed; "
    "install the testing extra: pip install 'complaintflow[testing]'"
)


def require_hypothesis() -> None:
    """Raise a ``ModuleNotFoundError`` that names the extra to install if Hypothesis is missing."""
    try:
        found = importlib.util.find_spec("hypothesis") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ModuleNotFoundError(MISSING_HYPOTHESIS, name="hypothesis")
