"""The complaintflow pytest plugin: fixtures for tests of code built on complaintflow.

Registered through the ``pytest11`` entry point, so it is active wherever complaintflow is
installed next to pytest. It is imported by every pytest run, so it imports nothing heavy at
module level: the fixtures import what they need when they are first used. It also
registers the ``complaintflow.ci`` Hypothesis profile (``--hypothesis-profile=complaintflow.ci``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import complaintflow as cf

__all__ = ["FROZEN_AT", "frozen_clock", "pytest_configure", "workflow"]

#: Where :func:`frozen_clock` starts: a Thursday morning, 09:00 in Shanghai.
FROZEN_AT = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register the ``complaintflow.ci`` Hypothesis profile before Hypothesis' own plugin
    loads the profile named by ``--hypothesis-profile`` (only when Hypothesis is installed;
    Hypothesis' plugin imports it at this point anyway)."""
    import importlib.util

    if importlib.util.find_spec("hypothesis") is not None:
        from complaintflow.testing._hypothesis_entry import register_profile

        register_profile()


@pytest.fixture
def frozen_clock() -> cf.FrozenClock:
    """A :class:`complaintflow.FrozenClock` standing at :data:`FROZEN_AT`; advance it by hand."""
    from complaintflow import FrozenClock

    return FrozenClock(FROZEN_AT)


@pytest.fixture
def workflow(frozen_clock: cf.FrozenClock) -> cf.Workflow:
    """A :class:`complaintflow.Workflow` with the default policies, a memory store and
    the ``frozen_clock`` fixture's clock."""
    from complaintflow import Workflow
    from complaintflow.store import MemoryStore

    return Workflow(clock=frozen_clock, store=MemoryStore())
