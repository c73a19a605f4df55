"""The shipped state machine on our own workflows: the defaults, every policy subclassed,
and escalation counted in business time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

import complaintflow as cf
from complaintflow.policies import (
    BusinessCalendar,
    ChannelDuplicates,
    Classification,
    CompensationLadder,
    DefaultRisk,
    KeywordClassifier,
    LineDetection,
    TieredEscalation,
)
from complaintflow.store import MemoryStore
from complaintflow.testing import DEFAULT_SETTINGS, WorkflowMachine, workflow_machine
from complaintflow.testing.strategies import COMMAND_NAMES

# -- the default workflow -------------------------------------------------------------------------
TestDefaultWorkflow = WorkflowMachine.TestCase


# -- every policy subclassed, as an integrator would ----------------------------------------------
class Hotline(KeywordClassifier):
    """Anything mentioning a lawyer is major."""

    def classify(self, complaint: cf.Complaint) -> Classification:
        verdict = super().classify(complaint)
        if "律師" in (complaint.text or "") or "lawyer" in (complaint.text or "").lower():
            return Classification(verdict.category, verdict.dimension, min(verdict.severity, 2),
                                  verdict.evidence)
        return verdict


class QuickAcknowledge(TieredEscalation):
    """Acknowledge within 30 minutes, whatever the severity."""

    def deadlines(self, complaint: cf.Complaint,
                  start: datetime | None = None) -> dict[cf.State, datetime]:
        out = dict(super().deadlines(complaint, start))
        if cf.State.ACKNOWLEDGED in out:
            base = complaint.received_at if start is None else start
            out[cf.State.ACKNOWLEDGED] = base + timedelta(minutes=30)
        return out


class GenerousFrontLine(CompensationLadder):
    """Front line may grant 80 CNY of goodwill."""

    def limit(self, tier: cf.Tier) -> cf.Money | None:
        if tier is cf.Tier.FRONT_LINE:
            return cf.Money(Decimal(80))
        return super().limit(tier)


class Watchful(DefaultRisk):
    def assess(self, complaint: cf.Complaint, recent: Sequence[cf.Complaint]) -> frozenset[str]:
        flags = set(super().assess(complaint, recent))
        if complaint.channel == "social_media":
            flags.add("public")
        return frozenset(flags)


class EagerLines(LineDetection):
    def __init__(self) -> None:
        super().__init__(threshold=2)


class LongWindow(ChannelDuplicates):
    def __init__(self) -> None:
        super().__init__(window_hours=72)


def subclassed(clock: cf.FrozenClock) -> cf.Workflow:
    return cf.Workflow(clock=clock, store=MemoryStore(), classifier=Hotline(),
                       escalation=QuickAcknowledge(), compensation=GenerousFrontLine(),
                       risk=Watchful(), scope=EagerLines(), duplicates=LongWindow())


class SubclassedPolicies(workflow_machine(subclassed, name="SubclassedPolicies")):  # type: ignore[misc]
    """Adds an integrator's own promise: a breached stage never stays with the front line."""

    @invariant()
    def breaches_leave_the_front_line(self) -> None:
        for c in self.changed.values():
            if any(e.name == "sla_breached" for e in c.history):
                assert c.tier > cf.Tier.FRONT_LINE, c.id


TestSubclassedPolicies = SubclassedPolicies.TestCase


def business_time(clock: cf.FrozenClock) -> cf.Workflow:
    calendar = BusinessCalendar("Asia/Shanghai", hours=("09:00", "18:00"), holidays="CN")
    return cf.Workflow(clock=clock, store=MemoryStore(),
                       escalation=TieredEscalation(calendar=calendar))


TestBusinessTime = workflow_machine(business_time, name="BusinessTime").TestCase


# -- the machine itself ---------------------------------------------------------------------------
def test_there_is_a_rule_for_every_command() -> None:
    commands = set(cf.Workflow().engine.commands)
    assert commands <= set(COMMAND_NAMES)
    for name in COMMAND_NAMES:
        assert callable(getattr(WorkflowMachine, name)), name


def test_default_settings_are_affordable() -> None:
    chosen = WorkflowMachine.TestCase.settings
    assert chosen is DEFAULT_SETTINGS
    assert chosen.max_examples <= 100
    assert chosen.stateful_step_count <= 50
    assert SubclassedPolicies.TestCase.settings.max_examples == chosen.max_examples


def test_workflow_machine_builds_the_workflow_from_the_factory() -> None:
    built: list[cf.Workflow] = []

    def factory(clock: cf.FrozenClock) -> cf.Workflow:
        built.append(cf.Workflow(clock=clock))
        return built[-1]

    machine = workflow_machine(factory)()
    assert machine.workflow is built[-1]
    assert machine.workflow.clock is machine.clock
    assert issubclass(type(machine), WorkflowMachine)


def test_workflow_machine_refuses_a_non_callable() -> None:
    with pytest.raises(TypeError, match="factory"):
        workflow_machine("not a factory")  # type: ignore[arg-type]


def _final_complaints(examples: int) -> list[cf.Complaint]:
    """Every complaint as each run of the default machine left it."""
    seen: list[cf.Complaint] = []

    class Recording(WorkflowMachine):
        def teardown(self) -> None:
            seen.extend(self.complaints.values())

    run_state_machine_as_test(Recording, settings=settings(
        max_examples=examples, stateful_step_count=30, deadline=None, database=None,
        derandomize=True, suppress_health_check=list(HealthCheck)))
    return seen


def test_the_machine_reaches_deep_states() -> None:
    """Guard against a machine that only ever tries refused commands."""
    seen = _final_complaints(300)
    reached = {c.state for c in seen}
    names = {e.name for c in seen for e in c.history}
    assert {cf.State.ARCHIVED, cf.State.REJECTED, cf.State.WITHDRAWN} <= reached
    assert {"proposed", "resolved", "revisited", "declined", "sla_breached", "paused",
            "resumed", "escalated", "erased"} <= names


def test_the_machine_takes_complaints_in_every_market_the_policy_prices() -> None:
    seen = _final_complaints(150)
    # the default ladder has limits in every bundled market's currency
    assert {c.market for c in seen} == {"CN", "HK", "GB", "EU", "US"}
    # offers made in several currencies, each in its complaint's market's
    assert len({o.currency for c in seen for o in c.offers}) >= 2
    assert all(o.currency == c.offers[0].currency for c in seen for o in c.offers)


class OnlyYuan(CompensationLadder):
    """Authority limits in CNY only: no other currency has a limit."""

    def limit_in(self, tier: cf.Tier, currency: str) -> cf.Money | None:
        if currency != "CNY":
            raise cf.AuthorityExceeded(f"no limit in {currency}")
        return super().limit_in(tier, currency)


def test_the_machine_draws_only_the_markets_a_workflow_can_pay_in() -> None:
    machine = workflow_machine(
        lambda clock: cf.Workflow(clock=clock, store=MemoryStore(), compensation=OnlyYuan()))()
    assert machine.market_codes == ("CN",)

    class TwoMarkets(WorkflowMachine):
        markets = ("US", "GB")

    assert TwoMarkets().market_codes == ("US", "GB")
    assert WorkflowMachine().market_codes[0] == "CN"  # the workflow's own market first


# -- an integrator's own command, run by the machine from the registry ---------------------------
def with_a_note(clock: cf.FrozenClock) -> cf.Workflow:
    note = cf.Command("flag_for_audit", sources=[s for s in cf.State if s is not cf.State.ARCHIVED],
                      target=None, event="audit_flagged", resumes=False)
    return cf.Workflow(clock=clock, store=MemoryStore(), commands=[note])


def test_the_machine_runs_a_registered_command() -> None:
    ran: list[str] = []

    class Recording(workflow_machine(with_a_note, name="WithANote")):  # type: ignore[misc]
        def teardown(self) -> None:
            ran.extend(e.name for c in self.complaints.values() for e in c.history)

    run_state_machine_as_test(Recording, settings=settings(
        max_examples=30, stateful_step_count=20, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
    assert "audit_flagged" in ran


def test_every_registered_command_has_a_rule() -> None:
    for name in cf.COMMANDS:
        assert callable(getattr(WorkflowMachine, name)), name
    assert callable(WorkflowMachine.own_command)
