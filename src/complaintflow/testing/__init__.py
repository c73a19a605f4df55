"""complaintflow's testing kit: Hypothesis strategies, a state machine and invariant checks.

Check that a workflow built on your own policies keeps every promise of the lifecycle::

    import complaintflow as cf
    from complaintflow.testing import workflow_machine

    TestMyWorkflow = workflow_machine(lambda clock: cf.Workflow(clock=clock, ...)).TestCase

- strategies: :func:`complaints`, :func:`texts`, :func:`findings`, :func:`offers`,
  :func:`actors`, :func:`amounts`, :func:`calendars`, :func:`commands`, :func:`markets`;
- :class:`WorkflowMachine` and :func:`workflow_machine`;
- :mod:`complaintflow.testing.invariants`: plain assertion helpers for any test;
- :mod:`complaintflow.testing.referee`: an independent referee of SLA outcomes
  (:func:`sla_outcomes`, :func:`check_sla`).
- :class:`StoreConformance` (:mod:`complaintflow.testing.stores`): the conformance suite
  a store of your own can pass.

The strategies and the machine need Hypothesis (``pip install 'complaintflow[testing]'``);
without it, importing them raises a ``ModuleNotFoundError`` that says so.
:mod:`~complaintflow.testing.invariants` and :mod:`~complaintflow.testing.referee` need
nothing beyond complaintflow. Names are
loaded on first use, so the pytest plugin in this package stays cheap to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from complaintflow.testing._guard import require_hypothesis

if TYPE_CHECKING:
    from complaintflow.testing import invariants, referee
    from complaintflow.testing._machine import DEFAULT_SETTINGS, WorkflowMachine, workflow_machine
    from complaintflow.testing.invariants import INVARIANTS, InvariantViolation
    from complaintflow.testing.referee import Outcome, Verdict, check_sla, sla_outcomes
    from complaintflow.testing.stores import StoreConformance
    from complaintflow.testing.strategies import (
        Command,
        actors,
        amounts,
        calendars,
        commands,
        complaints,
        customers,
        findings,
        markets,
        offers,
        texts,
    )

__all__ = [
    "DEFAULT_SETTINGS",
    "INVARIANTS",
    "Command",
    "InvariantViolation",
    "Outcome",
    "StoreConformance",
    "Verdict",
    "WorkflowMachine",
    "actors",
    "amounts",
    "calendars",
    "check_sla",
    "commands",
    "complaints",
    "customers",
    "findings",
    "invariants",
    "markets",
    "offers",
    "referee",
    "sla_outcomes",
    "texts",
    "workflow_machine",
]

_WHERE = {
    "DEFAULT_SETTINGS": "_machine",
    "WorkflowMachine": "_machine",
    "workflow_machine": "_machine",
    "INVARIANTS": "invariants",
    "InvariantViolation": "invariants",
    "Outcome": "referee",
    "Verdict": "referee",
    "check_sla": "referee",
    "sla_outcomes": "referee",
    "StoreConformance": "stores",
    "Command": "strategies",
    "actors": "strategies",
    "amounts": "strategies",
    "calendars": "strategies",
    "commands": "strategies",
    "complaints": "strategies",
    "findings": "strategies",
    "markets": "strategies",
    "offers": "strategies",
    "texts": "strategies",
}
_NEEDS_HYPOTHESIS = frozenset({"_machine", "strategies", "stores"})


def __getattr__(name: str) -> Any:
    if name in ("invariants", "referee"):
        return importlib.import_module(f"{__name__}.{name}")
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if where in _NEEDS_HYPOTHESIS:
        require_hypothesis()
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
