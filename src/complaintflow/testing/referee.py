"""An independent referee for SLA outcomes: what a history's raw facts say each deadline
came to, and whether the recorded warnings, breaches and escalations agree.

The referee reads only the events: the deadlines and warning times each event planned
(``data["deadlines"]`` and ``data["warnings"]``, on ``received``, ``resolved``,
``reopened``, ``resumed``, ``reclassified`` …; a stage planned as ``None`` is cancelled),
the stages an event opens again (``reopened``: every stage after investigation, and any
named in ``data["reset"]``), the moments stages were entered, the pauses (``paused`` …
``resumed``) and the tier changes. It never calls the library's fold
or a policy, so when the fold and the referee disagree one of them is wrong.

Each planned deadline comes to exactly one outcome:

- :data:`MET`: its stage was completed before the deadline;
- :data:`LATE`: its stage was completed after the deadline (a breach is owed, recorded
  before the completing event);
- :data:`BREACHED`: not completed and past due: still running at ``now``, or re-planned,
  reset or closed after it had passed;
- :data:`OPEN`: still running at ``now`` and not yet due (a pause holds it);
- :data:`CANCELLED`: re-planned, reset by a reopening, or closed before it was due.

>>> from datetime import datetime, timedelta, timezone
>>> import complaintflow as cf
>>> from complaintflow.testing import referee
>>> t0 = datetime(2026, 6, 18, 1, tzinfo=timezone.utc)
>>> received = cf.Event(1, "received", t0, None, {
...     "id": "CF-1", "customer_id": "C-1", "channel": "app", "tier": "front_line",
...     "deadlines": {"acknowledged": (t0 + timedelta(hours=1)).isoformat()}})
>>> acknowledged = cf.Event(2, "acknowledged", t0 + timedelta(hours=2), "agent-7", {})
>>> verdict = referee.sla_outcomes([received, acknowledged])
>>> [(o.stage.value, o.outcome) for o in verdict.outcomes]
[('acknowledged', 'late')]
>>> verdict.agrees
False
>>> import textwrap
>>> print(textwrap.fill(verdict.disagreements[0], 80))
the acknowledged deadline 2026-06-18T02:00:00+00:00 (planned by event 1): the
referee says late (completed by event 2 at 2026-06-18T03:00:00+00:00, a breach
is owed before it); the record says no breach recorded
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Final

import attrs

from complaintflow._complaint import Complaint
from complaintflow._events import Event
from complaintflow._values import State, Tier

__all__ = [
    "BREACHED",
    "CANCELLED",
    "LATE",
    "MET",
    "OPEN",
    "EscalationRule",
    "Outcome",
    "Verdict",
    "check_sla",
    "one_tier_up",
    "sla_outcomes",
]

MET: Final = "met"
LATE: Final = "late"
BREACHED: Final = "breached"
OPEN: Final = "open"
CANCELLED: Final = "cancelled"

#: The stages that carry deadlines, in the order a complaint reaches them.
_ORDER: Final = (State.ACKNOWLEDGED, State.INVESTIGATED, State.PROPOSED, State.RESOLVED,
                 State.REVISITED)
#: Event name → the state it enters.
_ENTERS: Final = {
    "acknowledged": State.ACKNOWLEDGED,
    "investigated": State.INVESTIGATED,
    "proposed": State.PROPOSED,
    "declined": State.INVESTIGATED,
    "resolved": State.RESOLVED,
    "revisited": State.REVISITED,
    "reopened": State.INVESTIGATED,
    "archived": State.ARCHIVED,
    "withdrawn": State.WITHDRAWN,
    "rejected": State.REJECTED,
}
_CLOSING: Final = frozenset({"archived", "withdrawn", "rejected"})

#: ``rule(tier, stage)``: the tier a breach of ``stage`` hands a case owned by ``tier`` to,
#: or ``None`` for no escalation.
EscalationRule = Callable[[Tier, State], "Tier | None"]


def one_tier_up(tier: Tier, stage: State) -> Tier | None:
    """The default escalation policy's rule: every breach raises the owner one tier (the
    executive stays)."""
    return None if tier is Tier.EXECUTIVE else Tier(tier + 1)


@attrs.frozen
class Outcome:
    """What one planned deadline came to."""

    #: The stage the deadline is for (``proposed`` for a promise made on acknowledgement).
    stage: State
    deadline: datetime
    #: One of :data:`MET`, :data:`LATE`, :data:`BREACHED`, :data:`OPEN`, :data:`CANCELLED`.
    outcome: str
    #: The seq of the event that planned it.
    planned_by: int
    #: When a warning was planned for it, if one was.
    warn_at: datetime | None = None
    #: The seq and time of the event that completed, re-planned, reset or closed it.
    ended_by: int | None = None
    ended_at: datetime | None = None
    #: The seq of the recorded ``sla_breached`` naming it, if any.
    breach: int | None = None

    def describe(self) -> str:
        """The referee's verdict in words."""
        if self.outcome == MET:
            return f"met (completed by event {self.ended_by} at {_iso(self.ended_at)})"
        if self.outcome == LATE:
            return (f"late (completed by event {self.ended_by} at {_iso(self.ended_at)}, "
                    "a breach is owed before it)")
        if self.outcome == CANCELLED:
            return f"cancelled (by event {self.ended_by} at {_iso(self.ended_at)}, before it was due)"
        if self.outcome == OPEN:
            return "open and not yet due"
        if self.ended_by is not None:
            return f"breached (still open when event {self.ended_by} ended it)"
        return "open and breached"


@attrs.frozen
class Verdict:
    """The referee's outcome for every planned deadline of a history, and where the record
    disagrees with it (empty when it agrees)."""

    outcomes: tuple[Outcome, ...]
    #: Promises made to the customer on acknowledgement (``data["promise"]``), judged
    #: against the proposal; reported, not enforced.
    promises: tuple[Outcome, ...]
    disagreements: tuple[str, ...]
    now: datetime

    @property
    def agrees(self) -> bool:
        """Whether the record's warnings, breaches and escalations are the referee's."""
        return not self.disagreements

    def of(self, stage: State) -> tuple[Outcome, ...]:
        """The outcomes of ``stage``'s deadlines, in the order they were planned."""
        return tuple(o for o in self.outcomes if o.stage is stage)


def _iso(value: datetime | None) -> str:
    return "?" if value is None else value.isoformat()


def _time(value: object, where: str) -> datetime:
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not an ISO 8601 time") from None
    else:
        raise ValueError(f"{where}: expected a time, got {value!r}")
    if when.tzinfo is None:
        raise ValueError(f"{where}: {value!r} is naive")
    return when


def _tier(value: object) -> Tier | None:
    """The tier an event names (``to`` or ``tier``), or None when it names none."""
    if isinstance(value, Tier):
        return value
    if isinstance(value, str) and value.upper() in Tier.__members__:
        return Tier[value.upper()]
    return None


def _stage_times(raw: object, where: str) -> dict[State, datetime]:
    if not raw:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected a mapping of stage to time, got {raw!r}")
    return {State(stage): _time(when, f"{where}.{stage}") for stage, when in raw.items()
            if when is not None}


@attrs.define
class _Plan:
    stage: State
    due: datetime
    warn: datetime | None
    planned_by: int
    breach: int | None = None

    def end(self, outcome: str, seq: int | None, at: datetime | None) -> Outcome:
        return Outcome(self.stage, self.due, outcome, self.planned_by, self.warn, seq, at,
                       self.breach)


def sla_outcomes(history: Complaint | Iterable[Event], *, now: datetime | None = None,
            escalation: EscalationRule | None = one_tier_up,
            require_warnings: bool = True) -> Verdict:
    """Judge a history's SLA record from its raw facts alone.

    ``history`` is a complaint or its events. The outcomes are as of ``now`` (default: the
    last event). The record must hold, for each planned deadline:

    - a deadline met late: its breach, recorded before the event that completed the stage;
    - a deadline met on time, cancelled, or not yet due: no breach;
    - every ``sla_breached`` names a deadline still running and already due, and is
      followed by the escalation ``escalation(tier, stage)`` prescribes (an ``escalated``
      event to that tier at the moment of the breach, before the next breach; with
      ``escalation=None`` escalations are not judged);
    - a breach comes after a warning of its stage when a warning time was planned and had
      passed (``require_warnings``); every ``sla_warning`` names a running deadline whose
      warning time had passed.

    With ``now`` given, the record is expected up to date at ``now`` (as right after
    ``tick(now)``): every running deadline already due has its breach and every warning
    time passed its warning, unless the clock is paused. Without it, a deadline that came
    due since the last tick may still lack its breach.
    """
    events = tuple(history.history if isinstance(history, Complaint) else history)
    if not events or events[0].name != "received":
        raise ValueError("a history starts with its 'received' event")
    problems: list[str] = []
    done: list[Outcome] = []
    promises: list[Outcome] = []
    live: dict[State, _Plan] = {}
    promise: _Plan | None = None
    completed: set[State] = set()
    warned: set[State] = set()
    paused_since: datetime | None = None
    tier = _tier(events[0].data.get("tier")) or Tier.FRONT_LINE
    #: (seq of the breach, stage, the tier the rule hands the case to), owed at the moment
    #: of the breach (before a later breach or a later moment)
    owed: tuple[int, State, Tier] | None = None
    owed_at = events[0].at

    def disagree(plan: _Plan | Outcome | None, stage: State, says: str, record: str) -> None:
        if plan is None:
            problems.append(f"{stage.value}: the referee says {says}; the record says {record}")
        else:
            due, by = (plan.due, plan.planned_by) if isinstance(plan, _Plan) else (
                plan.deadline, plan.planned_by)
            problems.append(f"the {stage.value} deadline {due.isoformat()} (planned by event "
                            f"{by}): the referee says {says}; the record says {record}")

    def last_of(stage: State) -> Outcome | None:
        return next((o for o in reversed(done) if o.stage is stage), None)

    def close(plan: _Plan, at: datetime, seq: int) -> None:
        """End a plan that was not completed: re-planned, reset or closed at ``at``."""
        effective = paused_since if paused_since is not None else at
        done.append(plan.end(BREACHED if plan.due <= effective else CANCELLED, seq, at))

    for event in events:
        seq, at, data, name = event.seq, event.at, event.data, event.name
        if owed is not None and (name == "sla_breached" or at > owed_at):
            b_seq, b_stage, target = owed
            disagree(None, b_stage, f"the breach (event {b_seq}) escalates to {target.label}",
                     f"no escalation before event {seq} {name!r}")
            owed = None

        # -- the record's warnings, breaches and escalations --------------------------------
        if name in ("sla_breached", "sla_warning"):
            stage = State(data["stage"])
            plan = live.get(stage)
            named = data.get("deadline")
            what = "breach" if name == "sla_breached" else "warning"
            if plan is None:
                last = last_of(stage)
                says = (f"no {stage.value} deadline is running" if last is None
                        else f"{last.describe()}, so no {stage.value} deadline is running")
                disagree(last, stage, says, f"a {what} at event {seq} ({at.isoformat()})")
                continue
            if named is not None and _time(named, f"event {seq} deadline") != plan.due:
                disagree(plan, stage, f"the {what} names the running deadline",
                         f"event {seq} names {named}")
            if name == "sla_warning":
                if plan.warn is None or at < plan.warn:
                    disagree(plan, stage, f"no warning is due before {_iso(plan.warn)}",
                             f"a warning at event {seq} ({at.isoformat()})")
                warned.add(stage)
                continue
            if at < plan.due:
                disagree(plan, stage, "not yet due",
                         f"a breach at event {seq} ({at.isoformat()})")
            if plan.breach is not None:
                disagree(plan, stage, f"breached once (event {plan.breach})",
                         f"a second breach at event {seq}")
            if (require_warnings and plan.warn is not None and plan.warn <= at
                    and stage not in warned):
                disagree(plan, stage, f"a warning is owed from {plan.warn.isoformat()}, "
                         "before the breach", f"a breach at event {seq} without a warning")
            plan.breach = seq
            rule = None if escalation is None else escalation(tier, stage)
            if rule is not None and rule > tier:
                owed, owed_at = (seq, stage, rule), at
            continue
        new = _tier(data.get("to", data.get("tier")))
        if new is not None:
            if owed is not None and name == "escalated":
                b_seq, b_stage, target = owed
                if new != target:
                    disagree(None, b_stage, f"the breach (event {b_seq}) escalates to "
                             f"{target.label}", f"event {seq} escalates to {new.label}")
                owed = None
            tier = max(tier, new)

        # -- stages entered, reset or closed --------------------------------------------------
        entered = _ENTERS.get(name)
        if entered is not None and entered in _ORDER and entered not in completed:
            completed.add(entered)
            plan = live.pop(entered, None)
            if plan is not None:
                late = at > plan.due
                outcome = plan.end(LATE if late else MET, seq, at)
                done.append(outcome)
                if late and plan.breach is None:
                    disagree(plan, entered, outcome.describe(), "no breach recorded")
            if entered is State.PROPOSED and promise is not None:
                promises.append(promise.end(LATE if at > promise.due else MET, seq, at))
                promise = None
        reset = {State(s) for s in data.get("reset", ()) or ()}
        if name == "reopened":  # back to investigation: every later stage runs again
            reset.update(_ORDER[_ORDER.index(State.INVESTIGATED) + 1:])
        for stage in reset:
            plan = live.pop(stage, None)
            if plan is not None:
                close(plan, at, seq)
            completed.discard(stage)
            warned.discard(stage)
        if name in _CLOSING:
            for plan in live.values():
                close(plan, at, seq)
            live.clear()
        if name == "paused" and paused_since is None:
            paused_since = at
        if name == "acknowledged" and data.get("promise") is not None:
            promise = _Plan(State.PROPOSED, _time(data["promise"], f"event {seq} promise"),
                            None, seq)

        # -- deadlines planned --------------------------------------------------------------
        raw = data.get("deadlines")
        if isinstance(raw, Mapping):  # a stage planned as None: its deadline is cancelled
            for key in [k for k, v in raw.items() if v is None]:
                plan = live.pop(State(key), None)
                if plan is not None:
                    close(plan, at, seq)
            raw = {k: v for k, v in raw.items() if v is not None}
        due = _stage_times(raw, f"event {seq} deadlines")
        warn = _stage_times(data.get("warnings"), f"event {seq} warnings")
        for stage, when in due.items():
            if stage in completed:  # reached in this round already: nothing left to plan
                continue
            old = live.get(stage)
            if old is not None and old.due == when:
                old.warn = warn.get(stage, old.warn)
                continue
            if old is not None:
                close(old, at, seq)
            live[stage] = _Plan(stage, when, warn.get(stage), seq)
        if name == "resumed":
            paused_since = None

    at_now = events[-1].at if now is None else now
    if owed is not None:
        b_seq, b_stage, target = owed
        disagree(None, b_stage, f"the breach (event {b_seq}) escalates to {target.label}",
                 "no escalation")
    held_at = paused_since if paused_since is not None else at_now
    for plan in live.values():
        outcome = plan.end(BREACHED if plan.due <= held_at else OPEN, None, None)
        done.append(outcome)
        if now is None or paused_since is not None:
            continue
        if outcome.outcome == BREACHED and plan.breach is None:
            disagree(plan, plan.stage, f"open and breached at {now.isoformat()}",
                     "no breach recorded")
        elif (plan.warn is not None and plan.warn <= now and plan.breach is None
              and plan.stage not in warned):
            disagree(plan, plan.stage, f"a warning is owed from {plan.warn.isoformat()}",
                     "no warning recorded")
    if promise is not None:
        promises.append(promise.end(BREACHED if promise.due <= held_at else OPEN, None, None))
    done.sort(key=lambda o: o.planned_by)
    return Verdict(tuple(done), tuple(promises), tuple(problems), at_now)


def check_sla(complaint: Complaint | Iterable[Event], *, now: datetime | None = None,
              escalation: EscalationRule | None = one_tier_up,
              require_warnings: bool = True) -> Verdict:
    """Raise :class:`~complaintflow.testing.invariants.InvariantViolation`
    (``sla_matches_referee``) when the recorded warnings, breaches or escalations differ
    from :func:`sla_outcomes`'; return the verdict when they agree. The arguments are
    :func:`sla_outcomes`'."""
    from complaintflow.testing.invariants import InvariantViolation

    subject = complaint if isinstance(complaint, Complaint) else None
    try:
        verdict = sla_outcomes(complaint, now=now, escalation=escalation,
                          require_warnings=require_warnings)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvariantViolation("sla_matches_referee", f"the history cannot be judged: {exc}",
                                 complaint=subject) from exc
    if verdict.disagreements:
        raise InvariantViolation("sla_matches_referee", "; ".join(verdict.disagreements),
                                 complaint=subject)
    return verdict
