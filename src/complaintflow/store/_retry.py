"""The load → command → save loop, run again when another writer got there first."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from complaintflow.exceptions import ConcurrencyError, OperationalError, ValidationError

if TYPE_CHECKING:
    from complaintflow._complaint import Complaint
    from complaintflow.store._base import Store

__all__ = ["retry"]

T = TypeVar("T")


def retry(
    store: Store,
    complaint_id: str,
    command: Callable[[Complaint], T],
    *,
    attempts: int = 5,
    backoff: float = 0.01,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Load ``complaint_id`` from ``store``, run ``command`` on it, and when the save is
    refused as stale (:class:`~complaintflow.exceptions.ConcurrencyError`) or the database
    is busy, locked or unreachable for a moment
    (:class:`~complaintflow.exceptions.OperationalError`), load it again and rerun.

    ``command`` receives the freshly loaded complaint and runs one workflow command on it
    (the workflow saves through the store). Because it sees the current state each time,
    a command that no longer applies raises its own error (e.g. ``InvalidTransition``)
    instead of overwriting what the other writer did. Between attempts it waits
    ``backoff * 2**n`` seconds with jitter; after ``attempts`` refusals the last error is
    raised. An :class:`~complaintflow.exceptions.IntegrityError` (a record that is not
    true) or any other error is raised at once: trying again would not help.

    >>> import complaintflow as cf
    >>> from complaintflow.store import MemoryStore, retry
    >>> from datetime import datetime, UTC
    >>> wf = cf.Workflow(store=MemoryStore(), clock=cf.FrozenClock(datetime(2026, 6, 18, tzinfo=UTC)))
    >>> c = wf.receive("the kettle leaks", customer_id="C1", channel="hotline")
    >>> retry(wf.store, c.id, lambda c: wf.acknowledge(c, actor="agent-7")).state.value
    'acknowledged'
    """
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ValidationError("attempts", f"expected an integer >= 1, got {attempts!r}")
    if not callable(command):
        raise ValidationError("command", "expected a callable taking the loaded complaint")
    for attempt in range(attempts):
        try:
            return command(store.get(complaint_id))
        except (ConcurrencyError, OperationalError):
            if attempt == attempts - 1:
                raise
            sleep(backoff * (2 ** attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover
