"""The command registry: every command declared once.

A :class:`Command` says everything about one command: its name, the states it may run in
and the state it leads to (or none: it keeps the state), its arguments and how each is
checked, its decider (a pure function from the complaint, the actor, ``now`` and the
arguments to the events to record), the events it may record, the stage it completes and
whether it resumes a paused clock. The lifecycle graph (:mod:`complaintflow._engine`), the
named :class:`~complaintflow.Workflow` methods, ``available()``, the testing kit's
strategies and machine rules and the command line's event text are all derived from it.

:data:`COMMANDS` holds the built-in commands; an integrator adds their own with
``Workflow(commands=[...])`` or :meth:`complaintflow.Workflow.register`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

import attrs

from complaintflow._clock import ensure_aware
from complaintflow._complaint import (
    SCOPES,
    Complaint,
    has_fold,
    register_edge,
    register_fold,
    replace,
    set_authority_judge,
    stage_times_to_data,
)
from complaintflow._events import Built, FrozenDict
from complaintflow._limits import MAX_ID, check_id, check_moment, check_text
from complaintflow._values import (
    FINAL_STATES,
    OPEN_STATES,
    STAGES,
    Actor,
    Finding,
    Offer,
    State,
    Tier,
)
from complaintflow.exceptions import (
    ComplaintflowError,
    CurrencyMismatch,
    InvalidTransition,
    NotAuthorized,
    ValidationError,
)

__all__ = ["COMMANDS", "Argument", "Command", "Decision", "reopen_window_refusal",
           "resume_event"]

#: One event a decider decides: ``(name, data)`` (recorded as the command's actor) or
#: ``(name, data, actor_id)`` (``None``: recorded as the system's).
Decision = tuple[str, Mapping[str, Any]] | tuple[str, Mapping[str, Any], str | None]
#: ``decide(workflow, complaint, actor, now, arguments) -> decisions``: pure; it reads the
#: workflow's policies only.
Decider = Callable[[Any, Complaint, Actor | None, datetime, Mapping[str, Any]], Iterable[Decision]]

_S = State
_NOT_FINAL: Final = tuple(s for s in State if s not in FINAL_STATES)
_NOT_ARCHIVED: Final = tuple(s for s in State if s is not State.ARCHIVED)
_WAITING: Final = (_S.ACKNOWLEDGED, _S.INVESTIGATED, _S.PROPOSED)
_REPLANNED_ON_REOPEN: Final = (State.PROPOSED, State.RESOLVED)
_RESET_ON_REOPEN: Final = (State.PROPOSED, State.RESOLVED, State.REVISITED)
_ORDERED: Final = tuple(s for s in STAGES if s is not State.REVISITED)


def _states(value: Iterable[State | str]) -> tuple[State, ...]:
    if isinstance(value, str | State):
        raise ValidationError("sources", "expected a collection of states, not one state")
    return tuple(State(s) for s in value)


def _target(value: State | str | None) -> State | None:
    return None if value is None else State(value)


def _accept(value: object) -> object:
    return value


@attrs.frozen
class Argument:
    """One keyword argument of a command: its name, whether it is required, its default,
    and ``check`` (value → value), which refuses bad input with a
    :class:`~complaintflow.ValidationError` naming the argument."""

    name: str
    required: bool = False
    default: Any = None
    check: Callable[[Any], Any] = _accept
    doc: str = ""


def _reason(value: object) -> str:
    return check_text("reason", value)


@attrs.frozen
class Command:
    """One command, declared once.

    ``sources``: the states it may run in; ``target``: the state it leads to (``None``:
    the state does not change). ``event``: the event it records (past tense);
    ``decide``: a pure function ``(workflow, complaint, actor, now, arguments)`` returning
    the events to record (default: ``event`` with the arguments as its data);
    ``events``: every event it may record. ``resumes``: whether running it ends a wait
    for the customer first. ``blocked``: ``complaint -> None``, or the reason (or the
    error) that refuses it now, for what the graph alone cannot say (e.g. "already
    waiting"). ``actor_required``: ``False`` lets
    the customer (no actor) run it.

    >>> import complaintflow as cf
    >>> cf.COMMANDS["acknowledge"].sources, cf.COMMANDS["acknowledge"].target
    ((<State.RECEIVED: 'received'>,), <State.ACKNOWLEDGED: 'acknowledged'>)
    """

    name: str
    sources: tuple[State, ...] = attrs.field(converter=_states)
    target: State | None = attrs.field(converter=_target)
    event: str
    decide: Decider | None = None
    arguments: tuple[Argument, ...] = ()
    events: tuple[str, ...] = ()
    resumes: bool = True
    blocked: Callable[[Complaint], str | ComplaintflowError | None] | None = None
    actor_required: bool = True
    doc: str = ""
    #: Like ``blocked``, for what also needs the workflow's policies and ``now``:
    #: ``(workflow, complaint, now) -> None`` or the reason (e.g. the reopen window).
    blocked_at: Callable[[Any, Complaint, datetime], str | ComplaintflowError | None] | None = None
    #: What to tell the caller when the graph refuses the command on a closed case
    #: (``{id}``: the complaint's id), e.g. to open a follow-up instead.
    closed_hint: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier() or not self.name.islower():
            raise ValidationError("name", f"a command name is a lower-case identifier, got {self.name!r}")
        if not self.sources:
            raise ValidationError("sources", f"{self.name} needs at least one state to run in")
        if self.event not in self.events:
            object.__setattr__(self, "events", (self.event, *self.events))

    @property
    def completes(self) -> State | None:
        """The SLA stage this command reaches (its target, when that is a stage)."""
        return self.target if self.target in STAGES else None

    @property
    def argument_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.arguments)

    def bind(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Check ``given`` keyword arguments: every name known, every required one there,
        each value through its check; the defaults fill the rest."""
        known = self.argument_names
        for name in given:
            if name not in known:
                raise ValidationError(name, f"{self.name} takes no argument {name!r}; it takes "
                                            f"{', '.join(sorted(known)) or 'none'}")
        out: dict[str, Any] = {}
        for arg in self.arguments:
            if arg.name in given:
                out[arg.name] = arg.check(given[arg.name])
            elif arg.required:
                raise ValidationError(arg.name, f"{self.name} needs {arg.name}=")
            else:
                out[arg.name] = arg.default
        return out

    def run(self, workflow: Any, complaint: Complaint, actor: Actor | None, now: datetime,
            arguments: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any], str | None]]:
        """The events this command decides, each with the actor id it is recorded with."""
        who = None if actor is None else actor.id
        if self.decide is None:
            data = {k: v for k, v in arguments.items() if v is not None}
            decided: Iterable[Decision] = [(self.event, data)]
        else:
            decided = self.decide(workflow, complaint, actor, now, arguments)
        out: list[tuple[str, Mapping[str, Any], str | None]] = []
        for item in decided:
            if len(item) == 2:
                out.append((item[0], item[1], who))
            else:
                out.append(item)
            if item[0] not in self.events:
                raise ValidationError("events", f"{self.name} may not record {item[0]!r}; "
                                                f"it declares {', '.join(self.events)}")
        return out


def declare(command: Command) -> Command:
    """Teach the fold the command's events: the edge of its own event, a note fold for any
    event it records that has no fold yet."""
    for name in command.events:
        if not has_fold(name):
            register_fold(name)
    register_edge(command.event, command.sources, command.target)
    return command


# -- argument checks ----------------------------------------------------------------------

def _opt_text(field: str) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        return None if value is None else check_text(field, value)

    return check


def _finding(value: object) -> Finding:
    if not isinstance(value, Finding):
        raise ValidationError("finding", f"expected a cf.Finding, got {type(value).__name__}")
    return value


def _offer(value: object) -> Offer | None:
    if value is not None and not isinstance(value, Offer):
        raise ValidationError("offer", f"expected a cf.Offer, got {type(value).__name__}")
    return value


def _approver(value: object) -> Actor | None:
    if value is None:
        return None
    actor = Actor.of(value, "approved_by")  # type: ignore[arg-type]
    check_id("approved_by", actor.id)
    return actor


def _satisfaction(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError("satisfaction", f"expected an integer 1-5, got {value!r}")
    return value


def _promise(value: object) -> datetime | None:
    return None if value is None else check_moment("promise", ensure_aware(value, "promise"))


def _evidence(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValidationError("evidence", "expected a sequence of non-empty strings")
    return tuple(check_text("evidence", e) for e in value)


def _tier_to(value: object) -> Tier | None:
    return None if value is None else Tier.parse(value, "to")


def _severity(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or value not in (1, 2, 3):
        raise ValidationError("severity", f"expected 1, 2 or 3, got {value!r}")
    return int(value)


def _scope(value: object) -> str | None:
    if value is None:
        return None
    if value not in SCOPES:
        raise ValidationError("scope", f"expected point, line or plane, got {value!r}")
    return str(value)


def _label(field: str) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        return None if value is None else check_text(field, value, limit=MAX_ID)

    return check


def _channel(value: object) -> str | None:
    return None if value is None else check_id("channel", value, strict=False)


_REASON: Final = Argument("reason", required=True, check=_reason, doc="why, in words")


# -- deciders ------------------------------------------------------------------------------

def _acknowledge(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
                 args: Mapping[str, Any]) -> list[Decision]:
    assert actor is not None
    promise: datetime | None = args["promise"]
    planned = promise is None
    if promise is None:
        promise = c.deadlines.get(State.PROPOSED, now)
        if promise <= now:
            # acknowledged late: promise a first solution planned afresh from now
            promise = wf.escalation.deadlines(c, start=now).get(State.PROPOSED, now)
    promised = ensure_aware(promise, "promise")
    if promised < now:
        raise ValidationError("promise", f"{promised.isoformat()} is already past")
    data = {"promise": promised.isoformat(), "actor_tier": actor.tier.label}
    if planned:
        # the promise is the escalation policy's plan, not the agent's own word
        data["policy"] = wf._policy_stamp("escalation")
    return [("acknowledged", FrozenDict(data))]


def _investigate(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
                 args: Mapping[str, Any]) -> list[Decision]:
    finding = args["finding"]
    return [("investigated", {"finding": Built.of(finding.to_dict(), finding)})]


def _same_currency(complaint: Complaint, offer: Offer) -> None:
    """An offer that pays anything pays in the complaint's currency: its market's."""
    paying = [m for m in (offer.goodwill, offer.statutory, offer.remedy_value) if m.amount]
    if not paying:
        return
    expected = complaint.currency
    if paying[0].currency != expected:
        raise CurrencyMismatch(
            "offer", f"pays in {paying[0].currency} on a complaint in {expected} (market "
                     f"{complaint.market}); convert first"
        )


def _limit_data(policy: Any, tiers: Mapping[str, Tier | None], currency: str
                ) -> dict[str, dict[str, str] | None]:
    """The limits in ``currency`` the decision was judged by, per key (a tier with no limit
    in the currency is left out: an offer that adds nothing needed none)."""
    out: dict[str, dict[str, str] | None] = {}
    for key, tier in tiers.items():
        if tier is None:
            out[key] = None
            continue
        try:
            limit = policy.limit_in(tier, currency)
        except NotAuthorized:
            continue
        out[key] = None if limit is None else limit.to_dict()
    return out


def _propose(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
             args: Mapping[str, Any]) -> list[Decision]:
    assert actor is not None
    policy = wf.compensation
    offer: Offer | None = args["offer"]
    automatic = offer is None
    if offer is None:
        offer = policy.fit_authority(c, policy.next_offer(c), actor.tier)
    _same_currency(c, offer)
    approver: Actor | None = args["approved_by"]
    approval = policy.judge(c, offer, actor=actor, approved_by=approver)
    data = approval.to_data()
    # the limits the decision was judged by, so a loaded history is judged by them too
    data["authority"] = FrozenDict({
        **data["authority"],
        **_limit_data(policy, {"actor_limit": actor.tier,
                               "approver_limit": None if approver is None else approver.tier},
                      c.currency),
    })
    return [("proposed", {"offer": Built.of(offer.to_dict(), offer), "automatic": automatic,
                          "rung": c.declines, **data})]


def _decline(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
             args: Mapping[str, Any]) -> list[Decision]:
    return [("declined", FrozenDict(reason=args["reason"]))]


def _resolve(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
             args: Mapping[str, Any]) -> list[Decision]:
    due = ensure_aware(wf.escalation.follow_up(c, now), "follow_up")
    if due < now:
        raise ValidationError("follow_up", "the follow-up deadline is before resolution")
    times = {State.REVISITED: due}
    return [("resolved", FrozenDict(
        deadlines=stage_times_to_data(times),
        warnings=stage_times_to_data(_warnings(wf, c, now, times)),
        policy=wf._policy_stamp("escalation"),
    ))]


def _warnings(wf: Any, c: Complaint, start: datetime,
              times: Mapping[State, datetime]) -> dict[State, datetime]:
    """The policy's warnings for ``times``, each between ``start`` and its deadline."""
    out = {}
    for stage, when in wf.escalation.warnings(c, start, times).items():
        if stage in times:
            out[stage] = min(max(ensure_aware(when, "warnings"), start), times[stage])
    return out


def _revisit(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
             args: Mapping[str, Any]) -> list[Decision]:
    return [("revisited", FrozenDict(satisfaction=args["satisfaction"]))]


def _reopen(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
            args: Mapping[str, Any]) -> list[Decision]:
    planned = wf.escalation.deadlines(c, start=now)
    times = {s: ensure_aware(d, "deadlines") for s, d in planned.items()
             if s in _REPLANNED_ON_REOPEN}
    for stage, when in times.items():
        _not_before(c, stage, when, now)
    out: list[Decision] = [("reopened", {
        "reason": args["reason"], "reset": [s.value for s in _RESET_ON_REOPEN],
        "deadlines": stage_times_to_data(times),
        "warnings": stage_times_to_data(_warnings(wf, c, now, times)),
        "policy": wf._policy_stamp("escalation"),
    })]
    if c.reopens >= 1 and c.tier < Tier.EXECUTIVE:
        out.append(("escalated", {"reason": "reopened a second time",
                                  "from": c.tier.label, "to": c.tier.up().label}, None))
    return out


def _archive(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
             args: Mapping[str, Any]) -> list[Decision]:
    return [("archived", FrozenDict(summary=args["summary"],
                                    policy=wf._policy_stamp("authorization")))]


def _withdraw(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
              args: Mapping[str, Any]) -> list[Decision]:
    return [("withdrawn", FrozenDict(reason=args["reason"],
                                     policy=wf._policy_stamp("authorization")))]


def _reject(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
            args: Mapping[str, Any]) -> list[Decision]:
    return [("rejected", {"reason": args["reason"], "evidence": list(args["evidence"]),
                          "policy": wf._policy_stamp("authorization")})]


def _take_over(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
               args: Mapping[str, Any]) -> list[Decision]:
    assert actor is not None
    data: dict[str, Any] = {"actor_tier": actor.tier.label, "from": c.owner,
                            "policy": wf._policy_stamp("authorization")}
    if args["reason"] is not None:
        data["reason"] = args["reason"]
    return [("taken_over", data)]


def _escalate(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
              args: Mapping[str, Any]) -> list[Decision]:
    target = c.tier.up() if args["to"] is None else args["to"]
    if target <= c.tier:
        raise ValidationError(
            "tier", f"the case is already owned by {c.tier.label}; escalation only goes up"
        )
    return [("escalated", {"reason": args["reason"], "from": c.tier.label, "to": target.label})]


def _await(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
           args: Mapping[str, Any]) -> list[Decision]:
    until = ensure_aware(wf.escalation.pause_limit(c, now), "pause_limit")
    return [("paused", {"reason": args["reason"], "until": until.isoformat(),
                        "policy": wf._policy_stamp("escalation")})]


def _not_before(c: Complaint, stage: State, when: datetime, now: datetime) -> None:
    """A deadline a policy plans now is not in the past (the policy would be broken)."""
    if when < c.received_at:
        raise ValidationError("deadlines", f"the policy planned {stage.value} at "
                                           f"{when.isoformat()}, before receipt")
    if when < now:
        raise ValidationError("deadlines", f"the policy planned {stage.value} at "
                                           f"{when.isoformat()}, before now ({now.isoformat()})")


def resume_event(wf: Any, c: Complaint, now: datetime, reason: str,
                 actor: str | None = None) -> tuple[str, Mapping[str, Any], str | None]:
    """The ``resumed`` event that ends a wait at ``now``: the held SLA time, and the
    deadlines (and warnings) that move by it; those already past at the pause stay."""
    assert c.paused_at is not None
    esc = wf.escalation
    start = c.paused_at
    held = esc.held(c, start, now)
    deadlines: dict[State, datetime] = {}
    warnings: dict[State, datetime] = {}
    for s, d in c.open_deadlines.items():
        moved = ensure_aware(esc.shift(c, d, start, now), "deadlines")
        if moved == d or d <= start:
            continue
        _not_before(c, s, moved, now)
        deadlines[s] = moved
        w = c.warnings.get(s)
        if w is not None and w > start and s not in c.warned:
            warnings[s] = min(max(ensure_aware(esc.shift(c, w, start, now), "warnings"), now),
                              moved)
    return ("resumed", {
        "reason": reason, "held_seconds": held.total_seconds(),
        "paused_at": start.isoformat(),
        "deadlines": stage_times_to_data(deadlines),
        "warnings": stage_times_to_data(warnings),
        "policy": wf._policy_stamp("escalation"),
    }, actor)


def _replied(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
             args: Mapping[str, Any]) -> list[Decision]:
    return [resume_event(wf, c, now, "customer replied", None if actor is None else actor.id)]


def _message(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
             args: Mapping[str, Any]) -> list[Decision]:
    channel = args["channel"]
    if channel is not None and channel not in wf.channels:
        raise ValidationError("channel", f"unknown channel {channel!r}")
    who = None if actor is None else actor.id
    out: list[Decision] = []
    if c.paused:
        out.append(resume_event(wf, c, now, "customer wrote", who))
    out.append(("message", {"channel": channel, "personal": {"text": args["text"]}}, who))
    return out


def _reclassify(wf: Any, c: Complaint, actor: Actor | None, now: datetime,
                args: Mapping[str, Any]) -> list[Decision]:
    """Intake's rules again: a known category (its dimension from the classifier), a
    safety dimension is severity 1 and owned by at least the regional head; the open
    stages are planned again from receipt under the new classification, counting the
    time already held in the policy's time (working time with a calendar)."""
    category, dimension = args["category"], args["dimension"]
    severity, scope = args["severity"], args["scope"]
    changes: dict[str, Any] = {}
    if category is not None:
        known = wf.classifier.dimension_of(category)
        if known is None:
            raise ValidationError("category", f"unknown category {category!r}")
        changes["category"] = category
        if dimension is None:
            dimension = known
    if dimension is not None:
        changes["dimension"] = dimension
    if severity is not None:
        changes["severity"] = severity
    if scope is not None:
        changes["scope"] = scope
    if not changes:
        raise ValidationError("category", "reclassify needs a new category, severity or scope")
    safety = changes.get("dimension", c.dimension) == "safety"
    if safety:
        if severity is not None and severity != 1:
            raise ValidationError("severity", "a safety complaint is always severity 1")
        changes["severity"] = 1
    trial = replace(c, changes)
    tier = max(c.tier, wf.escalation.owner(trial))
    if trial.scope != "point" or safety:
        tier = max(tier, Tier.REGIONAL_HEAD)
    planned = wf.escalation.replan(trial, start=c.received_at, held=c.held)
    still_open = [s for s in _ORDERED if s in c.deadlines and s not in c.completed
                  and s not in c.breached]
    times: dict[State, datetime] = {}
    floor = now
    for stage in _ORDERED:
        if stage in still_open and stage in planned:
            times[stage] = max(ensure_aware(planned[stage], "deadlines"), floor)
            floor = times[stage]
        elif stage in c.deadlines and stage not in c.completed:
            # a breached stage keeps its deadline; later stages are not due before it
            floor = max(floor, c.deadlines[stage])
    return [("reclassified", {
        "reason": args["reason"], **changes, "tier": tier.label,
        "deadlines": stage_times_to_data(times),
        "warnings": stage_times_to_data(_warnings(wf, trial, now, times)),
        "policy": wf._policy_stamp("classifier", "escalation"),
    })]


_FOLLOW_UP: Final = "open a follow-up instead: receive(..., follow_up_of={id!r})"


def reopen_window_refusal(wf: Any, c: Complaint, now: datetime,
                          command: str) -> InvalidTransition | None:
    """Why ``command`` may no longer run on a resolved case: the escalation policy's
    reopen window after its resolution has closed (``None`` while it is open)."""
    if c.state not in _RESOLVED_STATES or c.resolved_at is None:
        return None
    esc = wf.escalation
    until = ensure_aware(esc.reopen_until(c, c.resolved_at), "reopen_until")
    if now <= until:
        return None
    window = esc.reopen_window
    days = window / timedelta(days=1)
    span = f"{days:g} days" if days >= 1 else f"{window.total_seconds() / 3600:g} hours"
    return InvalidTransition(command, c.state.value, detail=(
        f"the reopen window ({span} after resolution) closed at {until.isoformat()}; "
        + _FOLLOW_UP.format(id=c.id)))


def _blocked_reopen(wf: Any, c: Complaint, now: datetime) -> InvalidTransition | None:
    return reopen_window_refusal(wf, c, now, "reopen")


def _blocked_message(wf: Any, c: Complaint, now: datetime) -> InvalidTransition | None:
    return reopen_window_refusal(wf, c, now, "message")


def _blocked_await(c: Complaint) -> str | None:
    return "already waiting for the customer" if c.paused else None


def _blocked_replied(c: Complaint) -> str | None:
    return None if c.paused else "the case is not waiting for the customer"


def _blocked_escalate(c: Complaint) -> ValidationError | None:
    if c.tier is Tier.EXECUTIVE:
        return ValidationError("tier", "the case is already owned by executive; escalation only "
                                       "goes up")
    return None


_OPEN: Final = tuple(s for s in State if s in OPEN_STATES)
_RESOLVED_STATES: Final = (_S.RESOLVED, _S.REVISITED)
_ACTIVE: Final = (*_OPEN, _S.RESOLVED, _S.REVISITED)

_BUILT_IN: Final = (
    Command("acknowledge", [_S.RECEIVED], _S.ACKNOWLEDGED, "acknowledged", _acknowledge,
            (Argument("promise", check=_promise,
                      doc="when the customer gets a first solution (default: the proposal "
                          "deadline)"),),
            doc="Tell the customer we have it, with a committed time."),
    Command("investigate", [_S.ACKNOWLEDGED], _S.INVESTIGATED, "investigated", _investigate,
            (Argument("finding", required=True, check=_finding,
                      doc="root cause, responsible party and evidence"),),
            doc="Record the finding."),
    Command("propose", [_S.INVESTIGATED], _S.PROPOSED, "proposed", _propose,
            (Argument("offer", check=_offer, doc="the offer (default: the ladder's next rung)"),
             Argument("approved_by", check=_approver,
                      doc="who approved goodwill above the actor's authority")),
            doc="Offer a remedy."),
    Command("decline", [_S.PROPOSED], _S.INVESTIGATED, "declined", _decline, (_REASON,),
            doc="The customer declined the offer; the next one steps up the ladder."),
    Command("resolve", [_S.PROPOSED], _S.RESOLVED, "resolved", _resolve,
            doc="The customer accepted and the remedy was carried out."),
    Command("revisit", [_S.RESOLVED], _S.REVISITED, "revisited", _revisit,
            (Argument("satisfaction", required=True, check=_satisfaction, doc="1 to 5"),),
            doc="Record the follow-up call and the customer's satisfaction."),
    Command("reopen", _RESOLVED_STATES, _S.INVESTIGATED, "reopened", _reopen, (_REASON,),
            events=("escalated",), blocked_at=_blocked_reopen, closed_hint=_FOLLOW_UP,
            doc="The customer is not satisfied: back to investigation with new deadlines "
                "(within the reopen window after resolution)."),
    Command("archive", [_S.REVISITED, _S.WITHDRAWN, _S.REJECTED], _S.ARCHIVED, "archived",
            _archive, (Argument("summary", check=_opt_text("summary"),
                                doc="the lesson learned"),),
            doc="Close the case with a summary."),
    Command("withdraw", _OPEN, _S.WITHDRAWN, "withdrawn",
            _withdraw, (_REASON,), doc="The customer withdrew the complaint."),
    Command("reject", [_S.RECEIVED, _S.ACKNOWLEDGED, _S.INVESTIGATED], _S.REJECTED, "rejected",
            _reject, (_REASON, Argument("evidence", default=(), check=_evidence,
                                        doc="what the refusal rests on")),
            doc="Refuse an invalid or abusive complaint, after verification."),
    Command("escalate", _ACTIVE, None, "escalated", _escalate,
            (_REASON, Argument("to", check=_tier_to, doc="the tier (default: one up)")),
            resumes=False, blocked=_blocked_escalate,
            doc="Raise the owning tier; the state does not change."),
    Command("await_customer", _WAITING, None, "paused", _await, (_REASON,), resumes=False,
            blocked=_blocked_await, doc="Pause the SLA clocks while we wait for the customer."),
    Command("customer_replied", _WAITING, None, "resumed", _replied, resumes=False,
            blocked=_blocked_replied, doc="Resume the SLA clocks."),
    Command("message", _NOT_ARCHIVED, None, "message", _message,
            (Argument("text", required=True, check=lambda v: check_text("text", v)),
             Argument("channel", check=_channel)),
            events=("resumed",), resumes=False, actor_required=False,
            blocked_at=_blocked_message, closed_hint=_FOLLOW_UP,
            doc="Record a message from the customer (resumes a paused clock)."),
    Command("reclassify", _OPEN, None, "reclassified",
            _reclassify,
            (_REASON, Argument("category", check=_label("category")),
             Argument("dimension", check=_label("dimension")),
             Argument("severity", check=_severity), Argument("scope", check=_scope)),
            resumes=False, doc="Correct the classification with a reason."),
    Command("take_over", _ACTIVE, None, "taken_over", _take_over,
            (Argument("reason", check=_opt_text("reason"), doc="why (a shift change, say)"),),
            resumes=False, doc="Become the case's one owner (recorded)."),
)

#: Every built-in command by name (read-only).
COMMANDS: Final[Mapping[str, Command]] = MappingProxyType({c.name: declare(c) for c in _BUILT_IN})
#: Events the workflow records on its own (time passing, intake), with the states they
#: may follow.
register_edge("sla_warning", _NOT_FINAL, None)
register_edge("sla_breached", _NOT_FINAL, None)
register_edge("escalated", _ACTIVE, None)
register_edge("resumed", _WAITING, None)
register_edge("merged", _NOT_FINAL, None)
register_edge("outreach_requested", (_S.RECEIVED,), None)
register_edge("scope_changed", _NOT_FINAL, None)
del _NOT_ARCHIVED


def _loaded_authority(complaint: Complaint, offer: Offer, data: Mapping[str, Any],
                      actor_id: str | None) -> None:
    """A loaded ``proposed`` event, judged by the compensation rules with the limits and
    the legal floor it recorded (events that recorded none: the default ladder's)."""
    if "actor_tier" not in data:
        return
    from complaintflow.policies.compensation import (
        CompensationLadder,
        recorded_parties,
        recorded_policy,
    )

    policy = recorded_policy(data, _ladder(CompensationLadder))
    actor, approver = recorded_parties(data, actor_id)
    policy.judge(complaint, offer, actor=actor, approved_by=approver)


_LADDERS: dict[type, Any] = {}


def _ladder(kind: type) -> Any:
    found = _LADDERS.get(kind)
    if found is None:
        found = _LADDERS[kind] = kind()
    return found


set_authority_judge(_loaded_authority)
