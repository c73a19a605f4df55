"""The complaintflow pytest plugin: fixtures for tests of code built on complaintflow.

Registered through the ``pytest11`` entry point, so it is active wherever complaintflow is
installed next to pytest. It is imported by every pytest run, so it imports nothing heavy at
module level: the fixtures import complaintflow when they are first used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import complaintflow as cf

__all__ = ["FROZEN_AT", "frozen_clock", "workflow"]

#: Where :func:`frozen_clock` starts: a Thursday morning, 09:00 in Shanghai.
FROZEN_AT = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)


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
