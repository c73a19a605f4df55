"""Plain assertion helpers: every promise of the lifecycle, checkable from any test.

Each ``check_*`` function returns ``None`` when the promise holds and raises
:class:`InvariantViolation` (an ``AssertionError``) naming the invariant when it does not.
They need neither Hypothesis nor a state machine:

>>> from datetime import datetime, timezone
>>> import complaintflow as cf
>>> from complaintflow.testing import invariants
>>> wf = cf.Workflow(clock=cf.FrozenClock(datetime(2026, 6, 18, 1, tzinfo=timezone.utc)))
>>> c = wf.receive("衣服褪色了", customer_id="C-1", channel="hotline")
>>> invariants.check_complaint(wf.acknowledge(c, actor="agent-7"), workflow=wf)

:data:`INVARIANTS` lists every invariant by name with its promise in plain words;
:class:`complaintflow.testing.WorkflowMachine` checks all of them after every step.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final

import attrs

from complaintflow._complaint import Complaint, apply
from complaintflow._erasure import holds_personal_data
from complaintflow._events import Event
from complaintflow._values import STAGES, Money, Offer, State, Tier
from complaintflow._workflow import CATCH_UP_EVENTS
from complaintflow.exceptions import (
    AuthorityExceeded,
    ComplaintflowError,
    InvalidTransition,
    NotAuthorized,
)

if TYPE_CHECKING:
    from complaintflow._workflow import Workflow
    from complaintflow.testing.referee import EscalationRule, Verdict

__all__ = [
    "INVARIANTS",
    "RECORD_TRUTH_INVARIANTS",
    "InvariantViolation",
    "check_allowed_agrees",
    "check_approver_not_actor",
    "check_archived_terminal",
    "check_automatic_offers_within_authority",
    "check_breach_once_per_stage",
    "check_complaint",
    "check_deadlines_after_planning",
    "check_deadlines_ordered",
    "check_erasure",
    "check_failed_command_changed_nothing",
    "check_goodwill_non_negative",
    "check_history_append_only",
    "check_legal_edges",
    "check_lifetime_goodwill",
    "check_limits_ordered",
    "check_offers_within_authority",
    "check_policies",
    "check_refusal",
    "check_remedy_within_price",
    "check_round_trip",
    "check_safety_severity",
    "check_single_currency",
    "check_sla_matches_referee",
    "check_statutory_within_floor",
    "check_step",
    "check_store_matches",
    "check_tier_never_down",
    "check_version",
    "escalation_rule",
]

#: Every invariant by name, with the promise it checks in plain words.
INVARIANTS: Final[Mapping[str, str]] = {
    "legal_edges": "a complaint's state is reached only through legal edges of the lifecycle "
                   "graph, and each successful command moves it along the edge it names",
    "archived_terminal": "an archived complaint stays archived: no command and no tick "
                         "changes its state, and nothing that changes state follows "
                         "'archived' in its history",
    "version_is_history_length": "version equals the number of events, and events are "
                                 "numbered 1, 2, 3 … without gaps",
    "history_append_only": "a command only appends events: the history before it is kept "
                           "unchanged as a prefix",
    "round_trip": "Complaint.replay(history) and Complaint.from_dict(to_dict()) rebuild an "
                  "equal complaint, and to_dict() is JSON",
    "failed_command_changes_nothing": "a refused command raises a ComplaintflowError and "
                                      "leaves the complaint, the store and the listeners "
                                      "exactly as they were",
    "bad_input_refused": "bad input is refused, and a command refuses only with a "
                         "ComplaintflowError (never another exception)",
    "deadlines_ordered": "deadlines are aware, never before receipt, and the deadlines planned "
                         "together fall in stage order (acknowledged … resolved); the "
                         "follow-up is never before the resolution",
    "tier_never_down": "the owning tier never goes down: not along the history, not from one "
                       "command to the next",
    "breach_once_per_stage": "a breach is recorded at most once per stage for each planned "
                             "deadline, and never before that deadline",
    "offers_within_authority": "the goodwill of every offer is within the limit of the tier "
                               "that approved it (the approver, or else the proposing actor)",
    "goodwill_non_negative": "no amount of an offer (goodwill, statutory, remedy value) is "
                             "negative",
    "single_currency": "money never mixes currencies: every amount of an offer, and every "
                       "offer of a complaint, is in the complaint's currency",
    "store_matches": "the store holds exactly the complaint the last command returned",
    "sla_matches_referee": "the recorded warnings, breaches and escalations are those an "
                           "independent referee derives from the planned deadlines, stage "
                           "entries and pauses of the history",
    "deadlines_after_planning": "every deadline an event plans is at or after that event "
                                "(a resumption only moves deadlines later)",
    "automatic_offer_within_authority": "an automatic offer (the policy's own choice) is "
                                        "within the acting tier's authority, and proposing "
                                        "one is never refused for authority",
    "statutory_within_floor": "the statutory money of an offer is never above what the "
                              "legal floors the policy reports make owed on the complaint, "
                              "unless the excess, counted as goodwill, is within authority",
    "remedy_within_price": "a remedy's value is never above the price paid, and remedies "
                           "that pay nothing (none, exchange, repair) have no value",
    "approver_not_actor": "the approver of an offer is never the actor who proposes it",
    "lifetime_goodwill_within_authority": "the goodwill given over the complaint's whole "
                                          "life (accepted offers, reopenings included) plus "
                                          "a new offer's is within the authority of the "
                                          "tier that proposes or approves it",
    "safety_is_severe": "a complaint of dimension safety is severity 1 and owned by at least "
                        "the regional head, at intake and after every reclassification",
    "allowed_agrees": "Workflow.allowed() and the commands agree: a command it allows is not "
                      "refused for its state or its actor, and one it blocks is refused",
    "erasure_complete": "after Workflow.erase, no event of the customer's complaints holds "
                        "personal data (texts, contact fields, customer attributes, quoted "
                        "evidence), and each erased complaint ends with one erased event",
    "erasure_keeps_the_record": "an erasure changes nothing but personal data: every earlier "
                                "event keeps its name, time and actor, only SLA events come "
                                "between them and the erased event, the state, "
                                "classification, offers and SLA outcomes stay, and other "
                                "customers' complaints are untouched",
}

#: The invariants about the truth of the record (SLA outcomes, money, classification);
#: :func:`check_complaint` and :func:`check_step` run them with the others.
RECORD_TRUTH_INVARIANTS: Final = (
    "sla_matches_referee", "deadlines_after_planning", "statutory_within_floor",
    "remedy_within_price", "approver_not_actor", "lifetime_goodwill_within_authority",
    "safety_is_severe",
)

#: Event names that record a move along an edge of the graph → the command that makes them.
_COMMAND_OF: Final = {
    "acknowledged": "acknowledge",
    "investigated": "investigate",
    "proposed": "propose",
    "declined": "decline",
    "resolved": "resolve",
    "revisited": "revisit",
    "reopened": "reopen",
    "archived": "archive",
    "withdrawn": "withdraw",
    "rejected": "reject",
}
#: Stages whose deadlines must be in order when they are planned together.
_ORDERED: Final = tuple(s for s in STAGES if s is not State.REVISITED)


class InvariantViolation(AssertionError):
    """A promise of the lifecycle was broken; ``invariant`` names it (a key of :data:`INVARIANTS`)."""

    def __init__(self, invariant: str, message: str, *, complaint: Complaint | None = None) -> None:
        self.invariant = invariant
        self.complaint = complaint
        where = f" (complaint {complaint.id!r} at version {complaint.version})" if complaint else ""
        super().__init__(f"invariant {invariant!r} violated{where}: {message}")


def _fail(invariant: str, message: str, complaint: Complaint | None = None) -> InvariantViolation:
    return InvariantViolation(invariant, message, complaint=complaint)


def _edges(workflow: Workflow | None) -> dict[tuple[State, str], State]:
    if workflow is not None:
        edges = workflow.engine.edges()
    else:
        from complaintflow._engine import default_engine

        edges = default_engine().edges()
    return {(source, command): dest for source, command, dest in edges}


# -- one complaint ------------------------------------------------------------------------------
def check_version(complaint: Complaint) -> None:
    """``version == len(history)`` and the events are numbered 1 … n."""
    if complaint.version != len(complaint.history):
        raise _fail("version_is_history_length",
                    f"version is {complaint.version} but the history holds "
                    f"{len(complaint.history)} events", complaint)
    for i, event in enumerate(complaint.history, start=1):
        if event.seq != i:
            raise _fail("version_is_history_length",
                        f"event {i} of the history has seq {event.seq}", complaint)


def check_legal_edges(complaint: Complaint, *, workflow: Workflow | None = None) -> None:
    """Walk the history through the lifecycle graph: every move is a legal edge and the
    walk ends in ``complaint.state``."""
    edges = _edges(workflow)
    history = complaint.history
    if not history or history[0].name != "received":
        raise _fail("legal_edges", "the history does not start with 'received'", complaint)
    state = State.RECEIVED
    for event in history[1:]:
        command = _COMMAND_OF.get(event.name)
        if command is None:
            continue
        dest = edges.get((state, command))
        if dest is None:
            raise _fail("legal_edges",
                        f"event {event.seq} {event.name!r} follows state {state.value!r}, "
                        f"but {command!r} is not allowed there", complaint)
        state = dest
    if state is not complaint.state:
        raise _fail("legal_edges",
                    f"the history leads to {state.value!r} but the complaint says "
                    f"{complaint.state.value!r}", complaint)


def check_archived_terminal(complaint: Complaint, *, workflow: Workflow | None = None) -> None:
    """No edge leaves ``archived``, and no state-changing event follows 'archived'."""
    for (source, command), dest in _edges(workflow).items():
        if source is State.ARCHIVED and dest is not State.ARCHIVED:
            raise _fail("archived_terminal",
                        f"the graph lets {command!r} lead from archived to {dest.value!r}")
    archived = False
    for event in complaint.history:
        if archived and event.name in _COMMAND_OF:
            raise _fail("archived_terminal",
                        f"event {event.seq} {event.name!r} follows 'archived'", complaint)
        archived = archived or event.name == "archived"
    if archived and complaint.state is not State.ARCHIVED:
        raise _fail("archived_terminal",
                    f"archived earlier, now {complaint.state.value!r}", complaint)


def check_round_trip(complaint: Complaint) -> None:
    """Replay and the dict form rebuild an equal complaint; the dict form is JSON."""
    try:
        replayed = Complaint.replay(complaint.history)
    except ComplaintflowError as exc:
        raise _fail("round_trip", f"the history does not replay: {exc}", complaint) from exc
    if replayed != complaint:
        raise _fail("round_trip", _diff("replay(history)", replayed, complaint), complaint)
    data = complaint.to_dict()
    try:
        text = json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise _fail("round_trip", f"to_dict() is not JSON: {exc}", complaint) from exc
    try:
        rebuilt = Complaint.from_dict(json.loads(text))
    except ComplaintflowError as exc:
        raise _fail("round_trip", f"from_dict(to_dict()) refused: {exc}", complaint) from exc
    if rebuilt != complaint:
        raise _fail("round_trip", _diff("from_dict(to_dict())", rebuilt, complaint), complaint)


def _diff(label: str, got: Complaint, want: Complaint) -> str:
    names = [a.name for a in attrs.fields(Complaint) if a.eq
             and getattr(got, a.name) != getattr(want, a.name)]
    return f"{label} differs in {', '.join(names) or 'identity'}"


def _planned(complaint: Complaint) -> Iterable[tuple[int, datetime, dict[State, datetime], bool]]:
    """(seq, at, deadlines planned by that event, whether it planned a resolution follow-up)."""
    for event in complaint.history:
        raw = event.data.get("deadlines")
        if not raw or not isinstance(raw, Mapping):
            continue
        times = {State(k): datetime.fromisoformat(v) if isinstance(v, str) else v
                 for k, v in raw.items()}
        yield event.seq, event.at, times, event.name == "resolved"


def check_deadlines_ordered(complaint: Complaint) -> None:
    """Deadlines are aware, never before receipt, in stage order when planned together;
    the follow-up is never before the resolution."""
    received = complaint.received_at
    for stage, when in complaint.deadlines.items():
        if when.tzinfo is None or when.utcoffset() is None:
            raise _fail("deadlines_ordered", f"the {stage.value} deadline is naive", complaint)
        if when < received:
            raise _fail("deadlines_ordered",
                        f"the {stage.value} deadline {when.isoformat()} is before receipt "
                        f"{received.isoformat()}", complaint)
    for seq, at, times, resolution in _planned(complaint):
        if resolution and State.REVISITED in times and times[State.REVISITED] < at:
            raise _fail("deadlines_ordered",
                        f"event {seq} planned the follow-up before the resolution", complaint)
        _planned_in_order(times, received, f"event {seq}", complaint)


def _tier_of(value: object) -> Tier | None:
    try:
        return Tier.parse(value)
    except ComplaintflowError:
        return None


def check_tier_never_down(complaint: Complaint, before: Complaint | None = None) -> None:
    """The tier never goes down along the history, nor from ``before`` to ``complaint``."""
    if before is not None and complaint.tier < before.tier:
        raise _fail("tier_never_down",
                    f"the tier went down from {before.tier.label} to {complaint.tier.label}",
                    complaint)
    tier: Tier | None = None
    for event in complaint.history:
        data = event.data
        if event.name == "received":
            tier = _tier_of(data.get("tier", "front_line"))
            continue
        for key in ("from", "to", "tier"):
            if key not in data:
                continue
            named = _tier_of(data[key])
            if named is not None and tier is not None and key != "from" and named < tier:
                raise _fail("tier_never_down",
                            f"event {event.seq} {event.name!r} sets {named.label} below "
                            f"{tier.label}", complaint)
            if named is not None and key != "from":
                tier = max(tier, named) if tier is not None else named
    if tier is not None and complaint.tier < tier:
        raise _fail("tier_never_down",
                    f"the history reached {tier.label} but the complaint is owned by "
                    f"{complaint.tier.label}", complaint)


def check_breach_once_per_stage(complaint: Complaint) -> None:
    """At most one ``sla_breached`` per stage for each planned deadline, none before it."""
    seen: set[State] = set()
    for event in complaint.history:
        data = event.data
        for stage in data.get("reset", ()) or ():
            seen.discard(State(stage))
        if event.name != "sla_breached":
            continue
        stage = State(data["stage"])
        if stage in seen:
            raise _fail("breach_once_per_stage",
                        f"event {event.seq} records a second breach of {stage.value}", complaint)
        seen.add(stage)
        deadline = data.get("deadline")
        if isinstance(deadline, str) and event.at < datetime.fromisoformat(deadline):
            raise _fail("breach_once_per_stage",
                        f"event {event.seq} records a breach of {stage.value} at "
                        f"{event.at.isoformat()}, before its deadline {deadline}", complaint)


def _amount(raw: object) -> tuple[Decimal, str] | None:
    if not isinstance(raw, Mapping):
        return None
    try:
        return Decimal(str(raw.get("amount"))), str(raw.get("currency", "CNY"))
    except InvalidOperation:
        return None


def _proposals(complaint: Complaint) -> Iterable[tuple[int, Mapping[str, Any]]]:
    for event in complaint.history:
        if event.name == "proposed":
            yield event.seq, event.data


def check_goodwill_non_negative(complaint: Complaint) -> None:
    """No amount of any offer is negative (in the offers and in the proposal events)."""
    for i, offer in enumerate(complaint.offers, start=1):
        for name in ("goodwill", "statutory", "remedy_value"):
            money: Money = getattr(offer, name)
            if money.amount < 0:
                raise _fail("goodwill_non_negative",
                            f"offer {i} has {name} {money.amount}", complaint)
    for seq, data in _proposals(complaint):
        offer_data = data.get("offer")
        if not isinstance(offer_data, Mapping):
            continue
        for name in ("goodwill", "statutory", "remedy_value"):
            found = _amount(offer_data.get(name))
            if found is not None and found[0] < 0:
                raise _fail("goodwill_non_negative",
                            f"event {seq} proposes {name} {found[0]}", complaint)


def _currencies(offer: Offer) -> set[str]:
    return {offer.goodwill.currency, offer.statutory.currency, offer.remedy_value.currency}


def check_single_currency(complaint: Complaint) -> None:
    """Every amount of an offer, and every offer that pays anything, is in one currency:
    the complaint's (its market's), which the price paid is in too."""
    expected = complaint.currency
    if complaint.amount is not None and complaint.amount.currency != expected:
        raise _fail("single_currency", f"the price paid is in {complaint.amount.currency} on a "
                    f"complaint of market {complaint.market}, in {expected}", complaint)
    for i, offer in enumerate(complaint.offers, start=1):
        found = _currencies(offer)
        if len(found) > 1:
            raise _fail("single_currency",
                        f"offer {i} mixes {', '.join(sorted(found))}", complaint)
        paying = any(m.amount for m in (offer.goodwill, offer.statutory, offer.remedy_value))
        if not paying:
            continue
        (currency,) = found
        if currency != expected:
            raise _fail("single_currency",
                        f"offer {i} pays in {currency} on a complaint in {expected}", complaint)


def check_offers_within_authority(complaint: Complaint, *, workflow: Workflow) -> None:
    """Every offer's goodwill is within ``workflow.compensation.limit`` of the tier that
    approved it: the proposing actor's tier, or the approver's when one signed it (the
    higher of the two limits applies)."""
    policy = workflow.compensation
    if len(complaint.approvers) != len(complaint.offers):
        raise _fail("offers_within_authority",
                    f"{len(complaint.offers)} offers but {len(complaint.approvers)} approvers",
                    complaint)
    for seq, data in _proposals(complaint):
        offer_data = data.get("offer")
        if not isinstance(offer_data, Mapping) or data.get("actor_tier") is None:
            continue
        goodwill = _amount(offer_data.get("goodwill"))
        if goodwill is None:
            continue
        amount, currency = goodwill
        if not amount:
            continue
        raw = [data["actor_tier"]]
        if data.get("approved_by") is not None:
            raw.append(data.get("approver_tier"))
        limits: list[tuple[Tier, Money | None]] = []
        for value in raw:
            tier = _tier_of(value)
            if tier is None:
                raise _fail("offers_within_authority",
                            f"event {seq} names an unknown tier {value!r}", complaint)
            try:
                limits.append((tier, policy.limit_in(tier, currency)))
            except NotAuthorized:
                raise _fail("single_currency", f"event {seq} grants goodwill in {currency}, in "
                            f"which {tier.label} has no limit", complaint) from None
        if any(limit is None for _, limit in limits):
            continue
        for tier, limit in limits:
            assert limit is not None
            if currency != limit.currency:
                raise _fail("single_currency",
                            f"event {seq} grants goodwill in {currency} against a "
                            f"{tier.label} limit in {limit.currency}", complaint)
        tier, best = max(limits, key=lambda pair: pair[1].amount if pair[1] else Decimal(0))
        assert best is not None
        if amount > best.amount:
            names = " or ".join(f"{t.label} ({lim})" for t, lim in limits)
            raise _fail("offers_within_authority",
                        f"event {seq} grants goodwill {amount} {currency}, above the limit of "
                        f"{names}", complaint)


def check_limits_ordered(workflow: Workflow) -> None:
    """A higher tier never has a lower goodwill limit than a lower tier (``None``, unlimited,
    is the highest)."""
    policy = workflow.compensation
    previous: tuple[Tier, Money | None] | None = None
    for tier in Tier:
        limit = policy.limit(tier)
        if previous is not None:
            low_tier, low = previous
            if low is None and limit is not None:
                raise _fail("offers_within_authority",
                            f"{tier.label} may grant {limit} but {low_tier.label} is unlimited")
            if low is not None and limit is not None:
                if limit.currency != low.currency:
                    raise _fail("single_currency",
                                f"the {low_tier.label} limit is in {low.currency}, the "
                                f"{tier.label} limit in {limit.currency}")
                if limit.amount < low.amount:
                    raise _fail("offers_within_authority",
                                f"{tier.label} may grant only {limit}, less than "
                                f"{low_tier.label} ({low})")
        previous = (tier, limit)


def _planned_in_order(times: Mapping[State, datetime], received: datetime, what: str,
                      complaint: Complaint) -> None:
    """Deadlines planned together: none before receipt, all in stage order."""
    for stage, when in times.items():
        if when < received:
            raise _fail("deadlines_ordered",
                        f"{what} puts {stage.value} at {when.isoformat()}, before receipt "
                        f"{received.isoformat()}", complaint)
    ordered = [(s, times[s]) for s in _ORDERED if s in times]
    for (s1, t1), (s2, t2) in pairwise(ordered):
        if t2 < t1:
            raise _fail("deadlines_ordered",
                        f"{what} puts {s2.value} ({t2.isoformat()}) before {s1.value} "
                        f"({t1.isoformat()})", complaint)


def check_policies(complaint: Complaint, *, workflow: Workflow,
                   now: datetime | None = None) -> None:
    """Ask the workflow's policies about ``complaint`` and check their answers keep the
    promises even where the workflow would quietly correct or refuse them: deadlines from
    receipt in stage order and not before it, a follow-up not before ``now``, a breach
    never handing the case to a lower tier, limits rising with the tier. Answers that are
    refusals (a ``ComplaintflowError``) are not judged. (Deadlines planned later, e.g. on
    reopening, are judged where they are recorded: see :func:`check_deadlines_ordered`.)"""
    check_limits_ordered(workflow)
    if complaint.is_final:
        return
    at = now if now is not None else workflow.clock.now()
    at = max(at, complaint.last_event_at)
    esc = workflow.escalation
    try:
        times = esc.deadlines(complaint)
    except ComplaintflowError:
        pass
    else:
        _planned_in_order(times, complaint.received_at,
                          "the escalation policy's deadlines from receipt", complaint)
    try:
        due = esc.follow_up(complaint, at)
    except ComplaintflowError:
        pass
    else:
        if due < at:
            raise _fail("deadlines_ordered",
                        f"the escalation policy's follow-up {due.isoformat()} is before the "
                        f"resolution at {at.isoformat()}", complaint)
    for stage in STAGES:
        try:
            target = esc.on_breach(complaint, stage)
        except ComplaintflowError:
            continue
        if target is not None and Tier(target) < complaint.tier:
            raise _fail("tier_never_down",
                        f"on a {stage.value} breach the escalation policy hands the case to "
                        f"{Tier(target).label}, below its owner {complaint.tier.label}",
                        complaint)


def check_store_matches(complaint: Complaint, *, workflow: Workflow) -> None:
    """The workflow's store (if any) holds exactly ``complaint``."""
    store = workflow.store
    if store is None:
        return
    try:
        stored = store.get(complaint.id)
    except ComplaintflowError as exc:
        raise _fail("store_matches", f"the store cannot load it: {exc}", complaint) from exc
    if stored.version != complaint.version or stored != complaint:
        raise _fail("store_matches",
                    f"the store holds version {stored.version}, the last command returned "
                    f"{complaint.version}", complaint)


def check_complaint(complaint: Complaint, *, workflow: Workflow | None = None) -> None:
    """Every invariant that one complaint can be checked for on its own, the truth of the
    record (:data:`RECORD_TRUTH_INVARIANTS`) included.

    With ``workflow`` it also checks the lifecycle graph of that workflow, the offers
    against its compensation policy (the legal floors and the authority over the whole
    life included) and its store.
    """
    check_version(complaint)
    check_legal_edges(complaint, workflow=workflow)
    check_archived_terminal(complaint, workflow=workflow)
    check_tier_never_down(complaint)
    check_breach_once_per_stage(complaint)
    check_deadlines_ordered(complaint)
    check_goodwill_non_negative(complaint)
    check_single_currency(complaint)
    if workflow is not None:
        check_offers_within_authority(complaint, workflow=workflow)
        check_automatic_offers_within_authority(complaint, workflow=workflow)
        check_policies(complaint, workflow=workflow)
    _check_record_truth(complaint, workflow)
    check_round_trip(complaint)
    if workflow is not None:
        check_store_matches(complaint, workflow=workflow)


def _check_record_truth(complaint: Complaint, workflow: Workflow | None,
                        now: datetime | None = None) -> None:
    check_safety_severity(complaint)
    check_deadlines_after_planning(complaint)
    check_sla_matches_referee(complaint, workflow=workflow, now=now)
    check_approver_not_actor(complaint)
    check_remedy_within_price(complaint)
    if workflow is not None:
        check_statutory_within_floor(complaint, workflow=workflow)
        check_lifetime_goodwill(complaint, workflow=workflow)


# -- the truth of the record: SLA outcomes -------------------------------------------------------
def escalation_rule(workflow: Workflow | None) -> EscalationRule | None:
    """The breach escalation rule the referee expects of ``workflow``: one tier up per
    breach for an escalation policy that keeps the default ``on_breach`` (and without a
    workflow); ``None`` (escalations not judged) for one that overrides it."""
    from complaintflow.policies.escalation import EscalationPolicy
    from complaintflow.testing.referee import one_tier_up

    if workflow is None:
        return one_tier_up
    if type(workflow.escalation).on_breach is EscalationPolicy.on_breach:
        return one_tier_up
    return None


def check_sla_matches_referee(complaint: Complaint, *, workflow: Workflow | None = None,
                              now: datetime | None = None) -> Verdict:
    """The recorded warnings, breaches and escalations are the referee's
    (:func:`complaintflow.testing.referee.check_sla` with :func:`escalation_rule` of
    ``workflow``; call ``check_sla`` directly for another rule). Returns the verdict."""
    from complaintflow.testing.referee import check_sla

    return check_sla(complaint, now=now, escalation=escalation_rule(workflow))


def check_deadlines_after_planning(complaint: Complaint) -> None:
    """Every deadline an event plans is at or after that event. A deadline an event
    repeats unchanged is not planned again; a resumption may keep a moved deadline
    before its own time (it moves deadlines from the moment the pause ended) but never
    moves a deadline earlier."""
    current: dict[State, datetime] = {}
    for event in complaint.history:
        raw = event.data.get("deadlines")
        if not raw or not isinstance(raw, Mapping):
            continue
        for key, value in raw.items():
            stage = State(key)
            when = datetime.fromisoformat(value) if isinstance(value, str) else value
            before = current.get(stage)
            current[stage] = when
            if when == before:
                continue
            if event.name == "resumed":
                if before is not None and when < before:
                    raise _fail("deadlines_after_planning",
                                f"event {event.seq} 'resumed' moves the {stage.value} deadline "
                                f"from {before.isoformat()} back to {when.isoformat()}",
                                complaint)
                continue
            if when < event.at:
                raise _fail("deadlines_after_planning",
                            f"event {event.seq} {event.name!r} at {event.at.isoformat()} plans "
                            f"the {stage.value} deadline at {when.isoformat()}, before itself",
                            complaint)


# -- the truth of the record: money ---------------------------------------------------------------
_PAYING: Final = frozenset({"refund", "partial_refund"})


def _offers_of(complaint: Complaint) -> Iterable[tuple[Event, Offer]]:
    for event in complaint.history:
        if event.name == "proposed" and isinstance(event.data.get("offer"), Mapping):
            yield event, Offer.from_dict(event.data["offer"])


def _offers_as_they_stood(complaint: Complaint) -> Iterable[tuple[Event, Offer, Complaint]]:
    """Each offer with the complaint as it stood just before it: the history folded once,
    event by event (a prefix of an erased history names an erasure it does not hold, which
    :meth:`Complaint.replay` rightly refuses)."""
    before: Complaint | None = None
    for event in complaint.history:
        if (before is not None and event.name == "proposed"
                and isinstance(event.data.get("offer"), Mapping)):
            yield event, Offer.from_dict(event.data["offer"]), before
        before = apply(before, event)


def _limit_of(workflow: Workflow, raw: object, currency: str) -> tuple[Tier, Money | None] | None:
    """The tier ``raw`` names and its limit in ``currency`` (``None`` for an unknown tier or
    one without a limit in the currency: ``single_currency`` reports those)."""
    tier = _tier_of(raw)
    if tier is None:
        return None
    try:
        return tier, workflow.compensation.limit_in(tier, currency)
    except NotAuthorized:
        return None


def check_automatic_offers_within_authority(complaint: Complaint, *, workflow: Workflow) -> None:
    """Every automatic offer (``proposed`` with ``automatic: true``: the policy's own
    choice) has goodwill within the acting tier's limit, approver or not."""
    for event, offer in _offers_of(complaint):
        if event.data.get("automatic") is not True:
            continue
        found = _limit_of(workflow, event.data.get("actor_tier"), complaint.currency)
        if found is None or not offer.goodwill.amount:
            continue
        tier, limit = found
        goodwill = offer.goodwill
        if limit is not None and goodwill.currency == limit.currency and goodwill > limit:
            raise _fail("automatic_offer_within_authority",
                        f"event {event.seq}: the policy's automatic offer grants goodwill "
                        f"{offer.goodwill}, above the {tier.label} limit of {limit}", complaint)


def check_statutory_within_floor(complaint: Complaint, *, workflow: Workflow) -> None:
    """No offer's ``statutory`` money goes beyond the statutory amount the legal floors the
    compensation policy reports (``policy.floor(complaint)`` as the complaint stood; a
    policy without floors owes nothing statutory) still owe, unless the excess is
    authorised: statutory money above the floor counts as goodwill, so the excess plus the
    offer's goodwill must be within the higher limit of the proposing actor's and the
    approver's tier. Money in another currency than the floor's or the limits' is left to
    ``single_currency``."""
    from complaintflow.policies.compensation import given

    policy = workflow.compensation
    floor_of = getattr(policy, "floor", None)
    if not any(offer.statutory.amount for _, offer in _offers_of(complaint)):
        return
    for event, offer, then in _offers_as_they_stood(complaint):
        statutory = offer.statutory
        if not statutory.amount:
            continue
        floor = floor_of(then) if callable(floor_of) else None
        owed = getattr(floor, "statutory", None)
        if isinstance(owed, Money) and owed.amount and owed.currency != statutory.currency:
            continue
        owed_amount = owed.amount if isinstance(owed, Money) else Decimal(0)
        paid = getattr(policy, "given", given)(then).statutory
        excess = (max(paid + statutory.amount - owed_amount, Decimal(0))
                  - max(paid - owed_amount, Decimal(0)))
        if excess <= 0:
            continue
        raw = [event.data.get("actor_tier")]
        if event.data.get("approved_by") is not None:
            raw.append(event.data.get("approver_tier"))
        limits = [_limit_of(workflow, r, complaint.currency) for r in raw]
        if any(found is None or found[1] is None for found in limits):
            continue  # an unknown tier (offers_within_authority) or an unlimited signer
        amounts = [found[1] for found in limits if found is not None and found[1] is not None]
        if any(limit.currency != statutory.currency for limit in amounts):
            continue
        best = max(limit.amount for limit in amounts)
        counted = excess + offer.goodwill.amount
        if counted > best:
            said = f"{owed}" if isinstance(owed, Money) and owed.amount else "nothing"
            raise _fail("statutory_within_floor",
                        f"event {event.seq} pays {statutory} as statutory money where the "
                        f"legal floors owe {said}; the {excess} {statutory.currency} above "
                        f"them counts as goodwill ({counted} {statutory.currency} with the "
                        f"offer's), above the authority of {best} {statutory.currency}",
                        complaint)


def check_remedy_within_price(complaint: Complaint) -> None:
    """No remedy's value is above the price paid (when known), and remedies that pay
    nothing (``none``, ``exchange``, ``repair``) carry no value."""
    price = complaint.amount
    for event, offer in _offers_of(complaint):
        value = offer.remedy_value
        if not value.amount:
            continue
        if offer.remedy not in _PAYING:
            raise _fail("remedy_within_price",
                        f"event {event.seq}: remedy {offer.remedy!r} pays nothing but is "
                        f"valued {value}", complaint)
        if price is not None and value.amount > price.amount:
            raise _fail("remedy_within_price",
                        f"event {event.seq}: a {offer.remedy!r} of {value} is above the "
                        f"price paid, {price}", complaint)


def check_approver_not_actor(complaint: Complaint) -> None:
    """The approver of every offer is another actor than the one proposing it."""
    for event in complaint.history:
        approver = event.data.get("approved_by") if event.name == "proposed" else None
        if approver is not None and approver == event.actor:
            raise _fail("approver_not_actor",
                        f"event {event.seq}: {approver!r} approved their own offer", complaint)


def check_lifetime_goodwill(complaint: Complaint, *, workflow: Workflow) -> None:
    """At every proposal, the goodwill already given (offers the customer accepted, in
    earlier cycles too) plus the new offer's is within the higher limit of the proposing
    actor's and the approver's tier."""
    given = Decimal(0)
    pending = Decimal(0)
    for event in complaint.history:
        if event.name == "resolved":
            given += pending
            pending = Decimal(0)
            continue
        if event.name != "proposed" or not isinstance(event.data.get("offer"), Mapping):
            continue
        goodwill = Offer.from_dict(event.data["offer"]).goodwill
        pending = goodwill.amount
        total = given + goodwill.amount
        if not goodwill.amount or not given:
            continue
        raw = [event.data.get("actor_tier")]
        if event.data.get("approved_by") is not None:
            raw.append(event.data.get("approver_tier"))
        amounts: list[Decimal] = []
        for found in (_limit_of(workflow, r, complaint.currency) for r in raw):
            if found is None or found[1] is None or found[1].currency != goodwill.currency:
                break
            amounts.append(found[1].amount)
        else:
            best = max(amounts)
            if total <= best:
                continue
            raise _fail("lifetime_goodwill_within_authority",
                        f"event {event.seq} brings the goodwill given on this complaint to "
                        f"{total} {goodwill.currency} ({given} accepted before), above the "
                        f"authority of {best} {goodwill.currency}", complaint)


# -- the truth of the record: classification ------------------------------------------------------
def check_safety_severity(complaint: Complaint) -> None:
    """A safety complaint (dimension ``safety``) is severity 1 and owned by at least the
    regional head, after intake and after every reclassification."""
    dimension, severity, tier = "other", 3, Tier.FRONT_LINE
    for event in complaint.history:
        data = event.data
        if event.name not in ("received", "reclassified", "escalated"):
            continue
        dimension = data.get("dimension", dimension)
        severity = data.get("severity", severity)
        named = _tier_of(data.get("to", data.get("tier", tier)))
        tier = max(tier, named) if named is not None else tier
        if event.name == "escalated" or dimension != "safety":
            continue
        if severity != 1 or tier < Tier.REGIONAL_HEAD:
            raise _fail("safety_is_severe",
                        f"event {event.seq} {event.name!r} leaves a safety complaint "
                        f"({data.get('category', complaint.category)}) at severity {severity} "
                        f"owned by {tier.label}", complaint)


# -- refusals -----------------------------------------------------------------------------------
#: Fields the workflow names when it refuses a command because a policy's answer broke a
#: promise (rather than because of the caller's input or the complaint's state).
_POLICY_FIELDS: Final = {"deadlines": "deadlines_ordered", "follow_up": "deadlines_ordered",
                         "warnings": "deadlines_ordered"}


def check_refusal(command: str, error: ComplaintflowError, *,
                  complaint: Complaint | None = None,
                  arguments: Mapping[str, Any] | None = None) -> None:
    """A refusal of ``command`` with good ``arguments`` is clean unless a policy caused it:
    deadlines a policy planned wrong (a refusal naming ``deadlines``, ``warnings`` or
    ``follow_up``: ``deadlines_ordered``), or an automatic offer (``propose`` without
    ``offer`` and without ``approved_by``) refused for authority: the policy chose an offer
    the actor may not make (``automatic_offer_within_authority``)."""
    invariant = _POLICY_FIELDS.get(getattr(error, "field", ""))
    if invariant is not None:
        raise InvariantViolation(
            invariant, f"{command} with good input was refused because of a policy's "
            f"answer: {error}", complaint=complaint) from error
    args = arguments if arguments is not None else {}
    if (command == "propose" and isinstance(error, AuthorityExceeded)
            and args.get("offer") is None and args.get("approved_by") is None):
        raise InvariantViolation(
            "automatic_offer_within_authority",
            f"propose without an offer was refused: the policy's own offer is beyond the "
            f"actor's authority ({error})", complaint=complaint) from error


def check_allowed_agrees(command: str, screen: Any, error: ComplaintflowError | None, *,
                        complaint: Complaint | None = None) -> None:
    """``screen`` (the :class:`~complaintflow.Allowed` that ``workflow.allowed()`` gave for
    ``command`` just before it ran) agrees with what the command did: allowed and then
    refused for its state or its actor (``InvalidTransition``, ``NotAuthorized`` other than
    an offer's ``AuthorityExceeded``), or blocked and then run, is a violation."""
    if screen is None:
        return
    if error is None:
        if not screen.allowed:
            raise _fail("allowed_agrees", f"allowed() blocked {command} "
                        f"({'; '.join(screen.reasons)}) but the command ran", complaint)
        return
    gate = isinstance(error, InvalidTransition | NotAuthorized) and not isinstance(
        error, AuthorityExceeded)
    if gate and screen.allowed:
        raise _fail("allowed_agrees", f"allowed() allowed {command} but it was refused: "
                    f"{error}", complaint)
    if gate and str(error) not in screen.reasons:
        raise _fail("allowed_agrees", f"{command} was refused ({error}) for a reason "
                    f"allowed() did not give ({'; '.join(screen.reasons)})", complaint)


# -- one step -----------------------------------------------------------------------------------
def check_history_append_only(before: Complaint, after: Complaint) -> None:
    """``after``'s history starts with ``before``'s, unchanged."""
    if after.id != before.id:
        raise _fail("history_append_only",
                    f"the command returned complaint {after.id!r} for {before.id!r}", after)
    if after.history[: len(before.history)] != before.history:
        raise _fail("history_append_only", "the earlier history was changed", after)


def check_step(before: Complaint, after: Complaint, command: str, *,
               workflow: Workflow | None = None) -> None:
    """A successful ``command`` took ``before`` to ``after`` along its edge, only appended
    events, and did not lower the tier. With ``workflow``, a tick must also have brought
    the SLA record up to date at the workflow clock's now (``sla_matches_referee``)."""
    check_history_append_only(before, after)
    check_tier_never_down(after, before)
    if command == "tick":
        # a tick brings the record up to date at least to the clock's now
        now = None if workflow is None else workflow.clock.now()
        if now is not None and now >= after.last_event_at:
            check_sla_matches_referee(after, workflow=workflow, now=now)
    if command in ("tick", "message") or after.version == before.version:
        return
    if before.state is State.ARCHIVED and after.state is not State.ARCHIVED:
        raise _fail("archived_terminal",
                    f"{command!r} moved an archived complaint to {after.state.value!r}", after)
    dest = _edges(workflow).get((before.state, command))
    if dest is None:
        raise _fail("legal_edges",
                    f"{command!r} succeeded in state {before.state.value!r}, where the graph "
                    "does not allow it", after)
    if after.state is not dest:
        raise _fail("legal_edges",
                    f"{command!r} from {before.state.value!r} should lead to {dest.value!r}, "
                    f"got {after.state.value!r}", after)


def check_erasure(before: Complaint, after: Complaint, *,
                  workflow: Workflow | None = None) -> None:
    """``after`` is ``before`` erased by :meth:`~complaintflow.Workflow.erase`: nothing
    personal is left (``erasure_complete``) and nothing but personal data changed
    (``erasure_keeps_the_record``); with ``workflow``, the store holds ``after``."""
    if holds_personal_data(after):
        raise _fail("erasure_complete", "an event still holds personal data after the "
                    "erasure", after)
    names = [e.name for e in after.history[before.version:]]
    if not names or names[-1] != "erased" or names.count("erased") != 1 or not after.erased:
        raise _fail("erasure_complete", f"the erasure should end the history with one erased "
                    f"event, the events after the last command are {names}", after)
    if not set(names[:-1]) <= CATCH_UP_EVENTS:
        raise _fail("erasure_keeps_the_record", f"the erasure recorded {names[:-1]} besides "
                    "what bringing the complaint up to now records", after)
    for old, new in zip(before.history, after.history, strict=False):
        if (old.seq, old.name, old.at, old.actor) != (new.seq, new.name, new.at, new.actor):
            raise _fail("erasure_keeps_the_record",
                        f"event {old.seq} ({old.name}) became {new.name!r} at {new.at} by "
                        f"{new.actor!r}", after)
    kept = ("id", "state", "customer_id", "category", "dimension", "severity", "scope",
            "offers", "approvers", "accepted", "finding", "market", "follow_up_of")
    for field in kept:
        if getattr(before, field) != getattr(after, field):
            raise _fail("erasure_keeps_the_record", f"the erasure changed {field}: "
                        f"{getattr(before, field)!r} became {getattr(after, field)!r}", after)
    if not before.breached <= after.breached or after.tier < before.tier:
        raise _fail("erasure_keeps_the_record", "the erasure undid a breach or lowered the "
                    "owning tier", after)
    check_round_trip(after)
    if workflow is not None:
        check_store_matches(after, workflow=workflow)


def check_failed_command_changed_nothing(before: Complaint, snapshot: Mapping[str, Any],
                                         *, workflow: Workflow | None = None,
                                         published: int = 0) -> None:
    """After a refused command: ``before`` still equals its ``snapshot`` (``to_dict()`` taken
    before the command), the store still holds it and no event was published."""
    if before.to_dict() != snapshot or Complaint.from_dict(snapshot) != before:
        raise _fail("failed_command_changes_nothing",
                    "the refused command changed the complaint it was given", before)
    if published:
        raise _fail("failed_command_changes_nothing",
                    f"the refused command published {published} events", before)
    if workflow is not None and workflow.store is not None:
        stored = workflow.store.get(before.id)
        if stored.version != before.version or stored != before:
            raise _fail("failed_command_changes_nothing",
                        f"the store moved from version {before.version} to {stored.version}",
                        before)

