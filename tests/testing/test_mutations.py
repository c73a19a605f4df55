"""Mutation checks: for every invariant, a deliberately broken workflow or policy that the
shipped machine catches, naming the invariant and showing the steps that broke it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

import complaintflow as cf
from complaintflow._engine import EDGES, Engine
from complaintflow.policies import (
    Classification,
    CompensationLadder,
    KeywordClassifier,
    TieredEscalation,
)
from complaintflow.store import MemoryStore
from complaintflow.testing import InvariantViolation, WorkflowMachine, workflow_machine

HUNT = settings(max_examples=300, stateful_step_count=30, deadline=None, database=None,
                derandomize=True, phases=(Phase.generate,),
                suppress_health_check=list(HealthCheck))
S = cf.State


def caught(factory: Callable[[cf.FrozenClock], cf.Workflow],
           machine: type[WorkflowMachine] | None = None) -> InvariantViolation:
    """Run the machine on ``factory``'s workflow and return the violation it must find."""
    cls = machine if machine is not None else workflow_machine(factory)
    with pytest.raises(InvariantViolation) as info:
        run_state_machine_as_test(cls, settings=HUNT)
    return info.value


def stored(cls: type[cf.Workflow], **kwargs: Any) -> Callable[[cf.FrozenClock], cf.Workflow]:
    return lambda clock: cls(clock=clock, store=MemoryStore(), **kwargs)


# -- broken workflows ---------------------------------------------------------------------------
class WithdrawArchives(cf.Workflow):
    """Withdrawing jumps straight to archived, outside the graph."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        after = super().fire(complaint, command, **kw)
        return attrs.evolve(after, state=S.ARCHIVED) if command == "withdraw" else after


class StaleVersion(cf.Workflow):
    """Returns a version one ahead of the history."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        after = super().fire(complaint, command, **kw)
        return attrs.evolve(after, version=after.version + 1) if command == "acknowledge" else after


class ReturnsInput(cf.Workflow):
    """Commits the command but hands back the complaint it was given."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        super().fire(complaint, command, **kw)
        return complaint


class RewritesHistory(cf.Workflow):
    """Rewrites the actor of every earlier event on investigation."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        after = super().fire(complaint, command, **kw)
        if command != "investigate":
            return after
        events = tuple(attrs.evolve(e, actor="investigator") for e in after.history)
        return cf.Complaint.replay(events)


class ForgetsToRecord(cf.Workflow):
    """Sets a field that no event records."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        after = super().fire(complaint, command, **kw)
        return attrs.evolve(after, summary="handled") if command == "acknowledge" else after


class MutatesOnRefusal(cf.Workflow):
    """Marks the complaint it was given when refusing a command."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        try:
            return super().fire(complaint, command, **kw)
        except cf.ComplaintflowError:
            object.__setattr__(complaint, "reason", "refused")
            raise


class WrongError(cf.Workflow):
    """Lets bad input escape as a plain ValueError."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        try:
            return super().fire(complaint, command, **kw)
        except cf.ValidationError as exc:
            raise ValueError(str(exc)) from None


class SwallowsErrors(cf.Workflow):
    """Accepts anything: a refused command returns the complaint as if it had run."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        try:
            return super().fire(complaint, command, **kw)
        except cf.ComplaintflowError:
            return complaint


class HandsBack(cf.Workflow):
    """Hands a case back to the front line when the customer writes."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        after = super().fire(complaint, command, **kw)
        if command == "message" and after.tier > cf.Tier.FRONT_LINE:
            return attrs.evolve(after, tier=cf.Tier.FRONT_LINE)
        return after


class BreachesTwice(cf.Workflow):
    """Records every breach twice."""

    def tick(self, complaint: cf.Complaint, now: datetime | None = None) -> cf.Complaint:
        after = super().tick(complaint, now)
        new = after.history[complaint.version:]
        extra = [e for e in new if e.name == "sla_breached"][:1]
        if not extra:
            return after
        dup = attrs.evolve(extra[0], seq=after.version + 1)
        return cf.Complaint.replay((*after.history, dup))


class FastLane(cf.Workflow):
    """Retries an offer above the actor's authority with a policy that lets front line
    grant 10,000."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        try:
            return super().fire(complaint, command, **kw)
        except cf.AuthorityExceeded:
            real = self.compensation
            self.compensation = CompensationLadder(
                limits={t: cf.Money(Decimal(10_000)) for t in cf.Tier})
            try:
                return super().fire(complaint, command, **kw)
            finally:
                self.compensation = real


class NegativeGoodwill(cf.Workflow):
    """Hands back an offer whose goodwill went negative."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        after = super().fire(complaint, command, **kw)
        if command != "propose" or after.offer is None:
            return after
        minus = cf.Money(Decimal(0))
        object.__setattr__(minus, "amount", Decimal("-10.00"))
        offer = attrs.evolve(after.offer, goodwill=minus)
        return attrs.evolve(after, offers=(*after.offers[:-1], offer))


# -- broken policies ----------------------------------------------------------------------------
class OutOfOrder(TieredEscalation):
    """Plans the resolution before the proposal."""

    def deadlines(self, complaint: cf.Complaint,
                  start: datetime | None = None) -> dict[cf.State, datetime]:
        out = dict(super().deadlines(complaint, start))
        out[S.RESOLVED] = out[S.PROPOSED] - timedelta(hours=1)
        return out


class ShiftsBack(TieredEscalation):
    """Moves deadlines back by a month when the customer replies."""

    def shift(self, complaint: cf.Complaint, deadline: datetime, paused_at: datetime,
              resumed_at: datetime) -> datetime:
        return deadline - timedelta(days=30)


def _pays_in_dollars(wf: Any, c: cf.Complaint, actor: Any, now: datetime, args: Any) -> Any:
    """Records every offer as paid in dollars, whatever the complaint's currency."""
    (name, data), *rest = cf.COMMANDS["propose"].decide(wf, c, actor, now, args)  # type: ignore[misc]
    offer = {**data["offer"], "statutory": {"amount": "20.00", "currency": "USD"},
             "goodwill": {"amount": "0", "currency": "USD"},
             "remedy_value": {"amount": "0", "currency": "USD"}}
    return [(name, {**data, "offer": offer}), *rest]


PAYS_IN_DOLLARS = attrs.evolve(cf.COMMANDS["propose"], decide=_pays_in_dollars)


REOPEN_FROM_ARCHIVED = Engine({**EDGES, "reopen": ((S.REVISITED, S.ARCHIVED), S.INVESTIGATED)})

CASES: dict[str, Callable[[cf.FrozenClock], cf.Workflow]] = {
    "legal_edges": stored(WithdrawArchives),
    "archived_terminal": stored(cf.Workflow, engine=REOPEN_FROM_ARCHIVED),
    "version_is_history_length": stored(StaleVersion),
    "history_append_only": stored(RewritesHistory),
    "round_trip": stored(ForgetsToRecord),
    "failed_command_changes_nothing": stored(MutatesOnRefusal),
    "deadlines_ordered": stored(cf.Workflow, escalation=OutOfOrder()),
    "tier_never_down": stored(HandsBack),
    "breach_once_per_stage": lambda clock: BreachesTwice(clock=clock),
    "offers_within_authority": stored(FastLane),
    "goodwill_non_negative": stored(NegativeGoodwill),
    "single_currency": stored(cf.Workflow, commands=[PAYS_IN_DOLLARS]),
    "store_matches": stored(ReturnsInput),
}


@pytest.mark.parametrize("invariant", sorted(CASES))
def test_the_machine_catches_each_broken_promise(invariant: str) -> None:
    violation = caught(CASES[invariant])
    assert violation.invariant == invariant
    assert f"invariant {invariant!r} violated" in str(violation)


def test_deadlines_moved_before_receipt_are_caught() -> None:
    violation = caught(stored(cf.Workflow, escalation=ShiftsBack()))
    assert violation.invariant == "deadlines_ordered"
    assert "before receipt" in str(violation)


class CrashingClassifier(KeywordClassifier):
    """Fails on English texts with a plain exception."""

    def classify(self, complaint: cf.Complaint) -> Classification:
        if (complaint.text or "").isascii():
            raise KeyError("no rule for English")
        return super().classify(complaint)


class LeakyStore(MemoryStore):
    """Keeps a save it then reports as refused."""

    def save(self, complaint: cf.Complaint) -> cf.Complaint:
        saved = super().save(complaint)
        if any(e.name == "escalated" for e in complaint.history[complaint.committed:]):
            raise cf.ConcurrencyError(complaint.id, complaint.committed, saved.version)
        return saved


def test_a_policy_crashing_with_a_plain_exception_is_reported() -> None:
    violation = caught(lambda clock: cf.Workflow(clock=clock, classifier=CrashingClassifier()))
    assert violation.invariant == "bad_input_refused"
    assert "KeyError" in str(violation)


def test_a_refusal_that_still_wrote_to_the_store_is_caught() -> None:
    violation = caught(lambda clock: cf.Workflow(clock=clock, store=LeakyStore()))
    assert violation.invariant == "failed_command_changes_nothing"
    assert "store moved" in str(violation)


@pytest.mark.parametrize("broken", [WrongError, SwallowsErrors])
def test_bad_input_must_be_refused_cleanly(broken: type[cf.Workflow]) -> None:
    violation = caught(stored(broken))
    assert violation.invariant == "bad_input_refused"


def test_every_listed_invariant_has_a_mutation() -> None:
    from complaintflow.testing import INVARIANTS

    covered = {*CASES, "bad_input_refused"}
    assert covered == set(INVARIANTS)


def test_a_failure_shows_the_shrunk_command_sequence() -> None:
    machine = workflow_machine(stored(StaleVersion), name="StaleMachine")
    with pytest.raises(InvariantViolation) as info:
        run_state_machine_as_test(machine, settings=settings(
            HUNT, phases=(Phase.generate, Phase.shrink), max_examples=100))
    notes = "\n".join(getattr(info.value, "__notes__", ()))
    assert "state = StaleMachine()" in notes
    assert "state.receive(" in notes
    assert "acknowledge" in notes or "forward" in notes


class Demotes(TieredEscalation):
    """Hands a breached case back to the front line."""

    def on_breach(self, complaint: cf.Complaint, stage: cf.State) -> cf.Tier | None:
        return cf.Tier.FRONT_LINE


class BeforeReceipt(TieredEscalation):
    """Counts every deadline from a day before receipt."""

    def deadlines(self, complaint: cf.Complaint,
                  start: datetime | None = None) -> dict[cf.State, datetime]:
        base = (complaint.received_at if start is None else start) - timedelta(days=1)
        return dict(super().deadlines(complaint, base))


class GenerousFrontLine(CompensationLadder):
    """Lets the front line grant 10,000 while a store supervisor keeps 500."""

    def limit(self, tier: cf.Tier) -> cf.Money | None:
        if tier is cf.Tier.FRONT_LINE:
            return cf.Money(Decimal(10_000))
        return super().limit(tier)


@pytest.mark.parametrize(("policy", "invariant", "words"), [
    ({"escalation": Demotes()}, "tier_never_down", "hands the case to front_line"),
    ({"escalation": BeforeReceipt()}, "deadlines_ordered", "before"),
    ({"compensation": GenerousFrontLine()}, "offers_within_authority",
     "store_supervisor may grant only"),
])
def test_broken_policies_are_caught_even_where_the_workflow_guards(
        policy: dict[str, Any], invariant: str, words: str) -> None:
    """The workflow ignores a lower breach target and refuses deadlines before receipt;
    the machine still reports the policy that gave such answers."""
    violation = caught(stored(cf.Workflow, **policy))
    assert violation.invariant == invariant
    assert words in str(violation)


def test_user_invariants_are_checked_too() -> None:
    class NothingEscalates(WorkflowMachine):
        @invariant()
        def nothing_escalates(self) -> None:
            for c in self.complaints.values():
                assert all(e.name != "escalated" for e in c.history), "escalated"

    with pytest.raises(AssertionError, match="escalated"):
        run_state_machine_as_test(NothingEscalates, settings=HUNT)
