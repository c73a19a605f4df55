"""Mutation checks: for every invariant, a deliberately broken workflow or policy that the
shipped machine catches, naming the invariant and showing the steps that broke it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    OpenAuthorization,
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
class ScreenSaysYes(cf.Workflow):
    """The screen allows everything, whoever asks."""

    def allowed(self, complaint: cf.Complaint,
                actor: cf.Actor | str | None) -> tuple[cf.Allowed, ...]:
        return tuple(cf.Allowed(a.command, True) for a in super().allowed(complaint, actor))


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

class KeepsText(MemoryStore):
    """An erasure that leaves the complaint's first event (its text) as it was."""

    def erase(self, complaints: Sequence[cf.Complaint], *, published: bool = True
              ) -> Sequence[cf.Complaint]:
        out = []
        for c in complaints:
            current = self.get(c.id)
            # written as is: a replay would refuse such a history
            self._items[c.id] = out_c = attrs.evolve(
                c, history=(current.history[0], *c.history[1:]), committed=c.version)
            out.append(out_c)
        return out


class SignsTheRecord(MemoryStore):
    """An erasure that also puts the erasing actor's name on the complaint's first event."""

    def erase(self, complaints: Sequence[cf.Complaint], *, published: bool = True
              ) -> Sequence[cf.Complaint]:
        out = []
        for c in super().erase(complaints, published=published):
            first = attrs.evolve(c.history[0], actor="dpo-1")
            bad = cf.Complaint.replay((first, *c.history[1:]))
            self._items[c.id] = out_c = attrs.evolve(bad, committed=bad.version)
            out.append(out_c)
        return out


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
    "allowed_agrees": stored(ScreenSaysYes),
    "erasure_complete": lambda clock: cf.Workflow(clock=clock, store=KeepsText()),
    "erasure_keeps_the_record": lambda clock: cf.Workflow(clock=clock, store=SignsTheRecord()),
}


#: Defects that also break an invariant the machine checks earlier, with the words both
#: reports share: a second breach recorded by a tick is also a second breach by the
#: referee's count, and the tick's own check (``sla_matches_referee``) comes first.
ALSO_NAMED: dict[str, tuple[set[str], str]] = {
    "breach_once_per_stage": ({"sla_matches_referee"}, "second breach"),
}


@pytest.mark.parametrize("invariant", sorted(CASES))
def test_the_machine_catches_each_broken_promise(invariant: str) -> None:
    violation = caught(CASES[invariant])
    also, words = ALSO_NAMED.get(invariant, (set(), ""))
    assert violation.invariant in {invariant, *also}, str(violation)
    assert f"invariant {violation.invariant!r} violated" in str(violation)
    assert words in str(violation)


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

    covered = {*CASES, "bad_input_refused", *NEW_INVARIANTS}
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


# -- the defects of the record, planted back ------------------------------------------------------
# Each mutant produces its defect on any workflow, whether or not the workflow itself has it:
# it rewrites what the real workflow recorded, or gives it a broken policy. The referee or
# an invariant on the truth of the record must report each one by name.
from complaintflow.testing import invariants as inv  # noqa: E402

START = WorkflowMachine.start
DEFECT = cf.Finding("product_defect", "supply_chain", ("lab report",))


def _renumbered(events: list[cf.Event]) -> cf.Complaint:
    return cf.Complaint.replay(attrs.evolve(e, seq=i) for i, e in enumerate(events, start=1))


def _changed(c: cf.Complaint, seq: int, **data: Any) -> list[cf.Event]:
    history = list(c.history)
    history[seq - 1] = attrs.evolve(history[seq - 1], data={**history[seq - 1].data, **data})
    return history


def _with_data(c: cf.Complaint, seq: int, **data: Any) -> cf.Complaint:
    return cf.Complaint.replay(_changed(c, seq, **data))


def _forged(c: cf.Complaint, history: list[cf.Event]) -> cf.Complaint:
    """``c`` with ``history``, built without the fold (which refuses a forged history, see
    ``REFUSED_ON_LOAD``): its version, offers and approvers are those the history records.
    The invariants judge the history, as they would one exported from another system."""
    proposals = [e.data for e in history if e.name == "proposed"]
    return attrs.evolve(c, history=tuple(history), version=len(history),
                        offers=tuple(cf.Offer.from_dict(d["offer"]) for d in proposals),
                        approvers=tuple(d.get("approved_by") for d in proposals))


def _forged_data(c: cf.Complaint, seq: int, **data: Any) -> cf.Complaint:
    return _forged(c, _changed(c, seq, **data))


def _offer(event: cf.Event, **changes: Any) -> dict[str, Any]:
    offer = dict(event.data["offer"])
    for name, value in changes.items():
        offer[name] = value if name == "remedy" else {"amount": value, "currency": "CNY"}
    return offer


class DropsBreaches(cf.Workflow):
    """Records no breach: neither a tick nor a command completing a stage late keeps its
    ``sla_breached`` event."""

    def _dropped(self, after: cf.Complaint) -> cf.Complaint:
        return _renumbered([e for e in after.history if e.name != "sla_breached"])

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        return self._dropped(super().fire(complaint, command, **kw))

    def tick(self, complaint: cf.Complaint, now: datetime | None = None) -> cf.Complaint:
        return self._dropped(super().tick(complaint, now))


class KeepsOldFollowUp(cf.Workflow):
    """After a reopening, the follow-up deadline planned at the earlier resolution still
    runs: a tick past it records its breach."""

    def tick(self, complaint: cf.Complaint, now: datetime | None = None) -> cf.Complaint:
        after = super().tick(complaint, now)
        names = [e.name for e in after.history]
        if "reopened" not in names or after.is_final:
            return after
        reopened = len(names) - names[::-1].index("reopened")
        resolved = [e for e in after.history[:reopened] if e.name == "resolved"]
        old = resolved[-1].data.get("deadlines", {}).get("revisited") if resolved else None
        at = max(now or self.clock.now(), after.last_event_at)
        if old is None or at < datetime.fromisoformat(old) or any(
                e.name == "sla_breached" and e.data.get("stage") == "revisited"
                for e in after.history[reopened:]):
            return after
        breach = cf.Event(after.version + 1, "sla_breached", at, None,
                          {"stage": "revisited", "deadline": old})
        return _forged(after, [*after.history, breach])


class ReclassifyKeepsSeverity(cf.Workflow):
    """Reclassifying to a safety category keeps the severity and the owner it had."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        after = super().fire(complaint, command, **kw)
        if command != "reclassify" or kw.get("category") is None:
            return after
        event = next(e for e in reversed(after.history) if e.name == "reclassified")
        return _with_data(after, event.seq, dimension="safety", severity=complaint.severity,
                          tier=complaint.tier.label)


class ReplansFromReceipt(cf.Workflow):
    """Reclassifying plans the open stages' deadlines from receipt, even those already
    past: the new deadlines land before the reclassification itself."""

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        after = super().fire(complaint, command, **kw)
        if command != "reclassify":
            return after
        event = next(e for e in reversed(after.history) if e.name == "reclassified")
        planned = self.escalation.deadlines(after)
        return _forged_data(after, event.seq, deadlines={
            s.value: when.isoformat() for s, when in planned.items()
            if s not in after.completed})


class RewritesProposals(cf.Workflow):
    """Records every proposal with ``change(event)`` applied to its data (built without
    the fold, which refuses most of these forgeries)."""

    def change(self, event: cf.Event) -> dict[str, Any]:
        raise NotImplementedError

    def fire(self, complaint: cf.Complaint, command: str, **kw: Any) -> cf.Complaint:
        after = super().fire(complaint, command, **kw)
        if command != "propose":
            return after
        event = next(e for e in reversed(after.history) if e.name == "proposed")
        return _forged_data(after, event.seq, **self.change(event))


class StatutoryWithoutFloor(RewritesProposals):
    """Pays 5,000 as statutory money where no legal minimum applies."""

    def change(self, event: cf.Event) -> dict[str, Any]:
        return {"offer": _offer(event, statutory="5000.00")}


class RefundAbovePrice(RewritesProposals):
    """A refund of 5,000 on a 399 purchase."""

    def change(self, event: cf.Event) -> dict[str, Any]:
        return {"offer": _offer(event, remedy="refund", remedy_value="5000.00")}


class NonePays(RewritesProposals):
    """Remedy "none" paying 5,000."""

    def change(self, event: cf.Event) -> dict[str, Any]:
        return {"offer": _offer(event, remedy="none", remedy_value="5000.00")}


class SelfApproval(RewritesProposals):
    """The actor approves their own offer as an executive."""

    def change(self, event: cf.Event) -> dict[str, Any]:
        return {"approved_by": event.actor, "approver_tier": "executive"}


class AutomaticAboveAuthority(RewritesProposals):
    """Records the policy's automatic offer with 500 of goodwill, approved by a supervisor."""

    def change(self, event: cf.Event) -> dict[str, Any]:
        return {"offer": _offer(event, goodwill="500.00"), "automatic": True,
                "approved_by": "sup-1", "approver_tier": "store_supervisor"}


class GreedyLadder(CompensationLadder):
    """Its automatic offer carries 500 of goodwill whoever proposes it, never fitted to the
    actor's authority."""

    def next_offer(self, complaint: cf.Complaint) -> cf.Offer:
        return attrs.evolve(super().next_offer(complaint), goodwill=cf.Money(Decimal(500)))

    def fit_authority(self, complaint: cf.Complaint, offer: cf.Offer,
                      tier: cf.Tier) -> cf.Offer:
        return offer


def _investigated(wf: cf.Workflow, text: str = "連衣裙第一次冷水手洗就嚴重褪色",
                  **receive: Any) -> cf.Complaint:
    c = wf.receive(text, customer_id="C-1", channel="hotline", **receive)
    return wf.investigate(wf.acknowledge(c, actor="agent-1"), actor="agent-1", finding=DEFECT)


def _late_acknowledgement(clock: cf.FrozenClock) -> tuple[cf.Workflow, cf.Complaint]:
    wf = DropsBreaches(clock=clock)
    c = wf.receive("連衣裙第一次冷水手洗就嚴重褪色", customer_id="C-1", channel="hotline")
    clock.advance(timedelta(hours=2))
    return wf, wf.acknowledge(c, actor="agent-1")


def _reopened_then_ticked(clock: cf.FrozenClock) -> tuple[cf.Workflow, cf.Complaint]:
    wf = KeepsOldFollowUp(clock=clock)
    c = wf.propose(_investigated(wf), actor="agent-1")
    c = wf.revisit(wf.resolve(c, actor="agent-1"), actor="agent-1", satisfaction=1)
    c = wf.reopen(c, actor="agent-1", reason="still fading")
    clock.advance(timedelta(hours=30))
    return wf, wf.tick(c)


def _reclassified_to_injury(clock: cf.FrozenClock) -> tuple[cf.Workflow, cf.Complaint]:
    wf = ReclassifyKeepsSeverity(clock=clock)
    c = wf.receive("連衣裙第一次冷水手洗就嚴重褪色", customer_id="C-1", channel="hotline")
    return wf, wf.reclassify(c, actor="agent-1", reason="the customer was hurt",
                             category="injury")


def _reclassified_late(clock: cf.FrozenClock) -> tuple[cf.Workflow, cf.Complaint]:
    wf = ReplansFromReceipt(clock=clock)
    c = wf.acknowledge(wf.receive("連衣裙第一次冷水手洗就嚴重褪色", customer_id="C-1",
                                  channel="hotline"), actor="agent-1")
    clock.advance(timedelta(hours=20))
    return wf, wf.reclassify(c, actor="agent-1", reason="worse than it looked", severity=1)


def _proposed_by(cls: type[cf.Workflow], **receive: Any
                 ) -> Callable[[cf.FrozenClock], tuple[cf.Workflow, cf.Complaint]]:
    def scenario(clock: cf.FrozenClock) -> tuple[cf.Workflow, cf.Complaint]:
        wf = cls(clock=clock)
        return wf, wf.propose(_investigated(wf, **receive), actor="agent-1",
                              offer=cf.Offer("exchange"))

    return scenario


def _automatic(clock: cf.FrozenClock) -> tuple[cf.Workflow, cf.Complaint]:
    wf = AutomaticAboveAuthority(clock=clock)
    return wf, wf.propose(_investigated(wf), actor="agent-1")


def _five_cycles_at_fifty(clock: cf.FrozenClock) -> tuple[cf.Workflow, cf.Complaint]:
    """Five reopen cycles, each offer recorded with 50 of goodwill and no approval."""
    wf = cf.Workflow(clock=clock, authorization=OpenAuthorization())
    c = _investigated(wf)
    proposals = []
    for cycle in range(5):
        c = wf.propose(c, actor="agent-1", offer=cf.Offer("exchange"))
        proposals.append(c.history[-1])
        c = wf.revisit(wf.resolve(c, actor="agent-1"), actor="agent-1", satisfaction=1)
        if cycle < 4:
            c = wf.reopen(c, actor="agent-1", reason="still fading")
    for event in proposals:
        c = _forged_data(c, event.seq, offer=_offer(event, goodwill="50.00"))
    return wf, c


RECORD_DEFECTS: dict[str, tuple[str, Callable[[cf.FrozenClock],
                                              tuple[cf.Workflow, cf.Complaint]]]] = {
    "a late command that records no breach": ("sla_matches_referee", _late_acknowledgement),
    "a reopening that keeps the old follow-up deadline": (
        "sla_matches_referee", _reopened_then_ticked),
    "reclassified to injury keeping severity 3": ("safety_is_severe", _reclassified_to_injury),
    "reclassified late, planned from receipt": ("deadlines_after_planning", _reclassified_late),
    "statutory 5,000 with no floor": (
        "statutory_within_floor", _proposed_by(StatutoryWithoutFloor)),
    "a refund above the price paid": (
        "remedy_within_price", _proposed_by(RefundAbovePrice, amount=cf.Money(Decimal(399)))),
    "remedy none paying 5,000": ("remedy_within_price", _proposed_by(NonePays)),
    "self-approval": ("approver_not_actor", _proposed_by(SelfApproval)),
    "goodwill over reopenings": ("lifetime_goodwill_within_authority", _five_cycles_at_fifty),
    "an automatic offer above authority": ("automatic_offer_within_authority", _automatic),
}


#: The defects the fold itself refuses when such a history is loaded (``replay``,
#: ``from_dict``), with what the refusal names; the kit must still report each one in a
#: complaint built without the fold.
REFUSED_ON_LOAD: dict[str, tuple[str, ...]] = {
    "a reopening that keeps the old follow-up deadline": (
        "stage", "revisited has no deadline planned"),
    "reclassified late, planned from receipt": ("deadlines.", "before the event"),
    "statutory 5,000 with no floor": ("5000.00 CNY statutory above the 0.00 CNY the law owes",),
    "a refund above the price paid": ("offer.remedy_value", "above what is left of the price"),
    "remedy none paying 5,000": ("offer.remedy_value", "pays no money"),
    "self-approval": ("approved_by", "cannot also approve it"),
    "goodwill over reopenings": ("50.00 CNY accepted before", "front_line limit of 50.00 CNY"),
}


@pytest.mark.parametrize("defect", sorted(RECORD_DEFECTS))
def test_each_defect_of_the_record_is_caught(defect: str) -> None:
    invariant, scenario = RECORD_DEFECTS[defect]
    wf, c = scenario(cf.FrozenClock(START))
    with pytest.raises(InvariantViolation) as info:
        inv.check_complaint(c, workflow=wf)
    assert info.value.invariant == invariant, str(info.value)
    words = REFUSED_ON_LOAD.get(defect)
    if words is None:
        return
    for load in (lambda: cf.Complaint.replay(c.history),
                 lambda: cf.Complaint.from_dict(c.to_dict())):
        with pytest.raises((cf.ValidationError, cf.AuthorityExceeded)) as refused:
            load()
        for word in words:
            assert word in str(refused.value)


def test_the_referee_names_the_cancelled_follow_up() -> None:
    _wf, c = _reopened_then_ticked(cf.FrozenClock(START))
    with pytest.raises(InvariantViolation, match="no revisited deadline is running"):
        inv.check_sla_matches_referee(c)


def test_a_policy_whose_automatic_offer_is_refused_is_reported() -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(START), compensation=GreedyLadder())
    c = _investigated(wf)
    try:
        after = wf.propose(c, actor="agent-1")
    except cf.AuthorityExceeded as exc:
        with pytest.raises(InvariantViolation) as info:
            inv.check_refusal("propose", exc, complaint=c, arguments={"actor": "agent-1"})
    else:
        with pytest.raises(InvariantViolation) as info:
            inv.check_automatic_offers_within_authority(after, workflow=wf)
    assert info.value.invariant == "automatic_offer_within_authority"


def _record_truth_machine(factory: Callable[[cf.FrozenClock], cf.Workflow],
                          *checks: Callable[..., object]) -> type[WorkflowMachine]:
    """The machine on ``factory``'s workflow, also running ``checks`` on every changed
    complaint."""
    base = workflow_machine(factory)

    class Machine(base):  # type: ignore[valid-type, misc]
        def check(self, complaint: cf.Complaint) -> None:
            super().check(complaint)
            for check in checks:
                if check is inv.check_sla_matches_referee:
                    check(complaint, workflow=self.workflow)
                else:
                    check(complaint)

    return Machine


@pytest.mark.parametrize(("factory", "check", "invariant"), [
    (lambda clock: DropsBreaches(clock=clock), inv.check_sla_matches_referee,
     "sla_matches_referee"),
    (lambda clock: SelfApproval(clock=clock), inv.check_approver_not_actor,
     "approver_not_actor"),
])
def test_the_machine_finds_defects_of_the_record(
        factory: Callable[[cf.FrozenClock], cf.Workflow], check: Callable[..., object],
        invariant: str) -> None:
    violation = caught(factory, _record_truth_machine(factory, check))
    assert violation.invariant == invariant


NEW_INVARIANTS = {invariant for invariant, _scenario in RECORD_DEFECTS.values()}
