"""The workflow: command → guard → decide events → fold → commit → notify."""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol

from complaintflow._clock import Clock, SystemClock, ensure_aware
from complaintflow._complaint import Complaint, apply, replace, stage_times_to_data
from complaintflow._engine import Engine, default_engine
from complaintflow._events import Event, FrozenDict
from complaintflow._values import STAGES, Actor, Finding, Money, Offer, State, Tier
from complaintflow.exceptions import (
    CurrencyMismatch,
    InvalidTransition,
    ValidationError,
)
from complaintflow.policies._recent import NO_HISTORY, RecentComplaints
from complaintflow.policies.classification import ClassificationPolicy, KeywordClassifier
from complaintflow.policies.compensation import CompensationLadder, CompensationPolicy
from complaintflow.policies.duplicates import ChannelDuplicates, DuplicatePolicy
from complaintflow.policies.escalation import EscalationPolicy, TieredEscalation
from complaintflow.policies.risk import DefaultRisk, RiskPolicy
from complaintflow.policies.scope import LineDetection, ScopePolicy

if TYPE_CHECKING:
    from complaintflow.store import Store

__all__ = ["CHANNELS", "Listener", "Workflow"]

log = logging.getLogger("complaintflow")

#: Intake channels of the complaint-handling brief.
CHANNELS: Final = (
    "hotline", "in_store", "online_chat", "wechat", "app", "email", "social_media",
)
_RESET_ON_REOPEN: Final = (State.PROPOSED, State.RESOLVED, State.REVISITED)
_NO_AUTO_RESUME: Final = frozenset(
    {"escalate", "await_customer", "customer_replied", "reclassify", "message"}
)


class Listener(Protocol):
    """Called with each committed event and the complaint as it stands after it."""

    def __call__(self, event: Event, complaint: Complaint, /) -> object: ...


Draft = list[tuple[str, Mapping[str, Any], str | None]]


def _text(field: str, value: object, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a string, got {type(value).__name__}")
    if not value.strip():
        raise ValidationError(field, "must not be empty")
    return value


def _random_id() -> str:
    """A new complaint id: 64 random bits, e.g. ``CF-3F9A0C1D2B4E5F60``."""
    return "CF-" + os.urandom(8).hex().upper()


def _required(field: str, value: object) -> str:
    out = _text(field, value)
    assert out is not None
    return out


def _reason(value: object) -> str:
    return _required("reason", value)


def _same_currency(complaint: Complaint, offer: Offer) -> None:
    """An offer that pays anything pays in the complaint's currency: that of the price paid,
    else that of the earlier paying offers."""
    paying = [m for m in (offer.goodwill, offer.statutory, offer.remedy_value) if m.amount]
    if not paying:
        return
    expected = complaint.amount.currency if complaint.amount is not None else None
    if expected is None:
        for earlier in complaint.offers:
            if earlier.total.amount:
                expected = earlier.currency
                break
    if expected is not None and paying[0].currency != expected:
        raise CurrencyMismatch(
            "offer", f"pays in {paying[0].currency} on a complaint in {expected}; convert first"
        )


def _plan(complaint: Complaint, times: Mapping[State, datetime]) -> None:
    for stage, when in times.items():
        if when < complaint.received_at:
            raise ValidationError("deadlines", f"{stage.value} deadline {when} is before receipt")


class Workflow:
    """Carries complaints through their lifecycle.

    Every policy is a keyword argument with a default that implements the complaint-handling brief; the
    workflow holds no domain numbers of its own. A workflow is cheap to share: one
    per application, used for every complaint.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        classifier: ClassificationPolicy | None = None,
        escalation: EscalationPolicy | None = None,
        compensation: CompensationPolicy | None = None,
        risk: RiskPolicy | None = None,
        scope: ScopePolicy | None = None,
        duplicates: DuplicatePolicy | None = None,
        store: Store | None = None,
        channels: Iterable[str] = CHANNELS,
        ids: Callable[[], str] | None = None,
        listeners: Iterable[Listener] = (),
        engine: Engine | None = None,
    ) -> None:
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.classifier = classifier if classifier is not None else KeywordClassifier()
        self.escalation = escalation if escalation is not None else TieredEscalation()
        self.compensation = compensation if compensation is not None else CompensationLadder()
        self.risk = risk if risk is not None else DefaultRisk()
        self.scope = scope if scope is not None else LineDetection()
        self.duplicates = duplicates if duplicates is not None else ChannelDuplicates()
        self.store = store
        self.channels = frozenset(channels)
        self._ids = ids if ids is not None else _random_id
        self._listeners: list[Listener] = list(listeners)
        self.engine = engine if engine is not None else default_engine()
        self._stamps: dict[tuple[object, ...], FrozenDict] = {}
        self._checks: dict[str, Callable[..., Draft]] = {
            "acknowledge": self._d_acknowledge,
            "investigate": self._d_investigate,
            "propose": self._d_propose,
            "decline": self._d_decline,
            "resolve": self._d_resolve,
            "revisit": self._d_revisit,
            "reopen": self._d_reopen,
            "archive": self._d_archive,
            "withdraw": self._d_withdraw,
            "reject": self._d_reject,
            "escalate": self._d_escalate,
            "await_customer": self._d_await,
            "customer_replied": self._d_replied,
            "message": self._d_message,
            "reclassify": self._d_reclassify,
        }
        #: command -> (keyword arguments it takes, or None for any; those it needs)
        self._arguments: dict[str, tuple[frozenset[str] | None, tuple[str, ...]]] = {}
        for command, decide in self._checks.items():
            every = inspect.signature(decide).parameters.values()
            params = [p for p in every if p.kind is inspect.Parameter.KEYWORD_ONLY]
            takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in every)
            self._arguments[command] = (
                None if takes_any else frozenset(p.name for p in params),
                tuple(p.name for p in params if p.default is inspect.Parameter.empty),
            )

    # -- listeners ----------------------------------------------------------------------------
    def subscribe(self, callback: Listener) -> Callable[[], None]:
        """Call ``callback(event, complaint)`` after every committed event; returns an unsubscribe."""
        if not callable(callback):
            raise ValidationError("callback", "expected a callable")
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    # -- time ---------------------------------------------------------------------------------
    def _now(self, complaint: Complaint | None = None) -> datetime:
        now = ensure_aware(self.clock.now(), "clock.now()")
        if complaint is not None and now < complaint.last_event_at:
            # a clock behind the last event (another server's skew) never reorders history
            return complaint.last_event_at
        return now

    @property
    def _recent(self) -> RecentComplaints:
        store = self.store
        if store is not None and isinstance(store, RecentComplaints):
            return store
        return NO_HISTORY

    # -- intake -------------------------------------------------------------------------------
    def receive(
        self,
        text: str,
        *,
        customer_id: str,
        channel: str,
        order_id: str | None = None,
        sku: str | None = None,
        batch: str | None = None,
        store: str | None = None,
        region: str | None = None,
        brand: str | None = None,
        amount: Money | Decimal | None = None,
        contact: Mapping[str, str] | None = None,
        brand_wide: bool = False,
        at: datetime | None = None,
        complaint_id: str | None = None,
    ) -> Complaint:
        """Log a complaint from any channel, classify it and set its deadlines.

        When the policy finds the same customer's same problem already open (a second
        channel), the existing complaint is returned with a ``merged`` event instead.
        """
        text_ = _required("text", text)
        cust = _required("customer_id", customer_id)
        if not isinstance(channel, str) or channel not in self.channels:
            raise ValidationError(
                "channel", f"unknown channel {channel!r}; expected one of {', '.join(sorted(self.channels))}"
            )
        fields = {"order_id": order_id, "sku": sku, "batch": batch, "store": store,
                  "region": region, "brand": brand}
        for name, value in fields.items():
            _text(name, value, required=False)
        if amount is not None and not isinstance(amount, Money):
            amount = Money(amount)
        if contact is not None and (not isinstance(contact, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in contact.items()
        )):
            raise ValidationError("contact", "expected a mapping of strings")
        if not isinstance(brand_wide, bool):
            raise ValidationError("brand_wide", "expected True or False")
        now = ensure_aware(at, "at") if at is not None else self._now()
        cid = complaint_id if complaint_id is not None else self._ids()
        _text("complaint_id", cid)
        data: dict[str, Any] = {
            "id": cid, "customer_id": cust, "channel": channel, **fields,
            "amount": None if amount is None else FrozenDict(amount.to_dict()),
            "personal": FrozenDict(
                {"text": text_, **({"contact": FrozenDict(contact)} if contact else {})}
            ),
        }
        draft = Complaint(
            id=cid, state=State.RECEIVED, version=1, history=(), customer_id=cust,
            channel=channel, received_at=now, text=text_, amount=amount, channels=(channel,),
            order_id=order_id, sku=sku, batch=batch, store=store, region=region, brand=brand,
        )
        recent = self._recent
        history = recent is not NO_HISTORY

        dup_window = self.duplicates.window
        if history and draft.order_id:
            mine = recent.recent(since=now - dup_window, customer_id=cust)
            primary = self.duplicates.find(draft, mine)
            if primary is not None:
                if primary.customer_id != cust:
                    raise ValidationError("customer_id", "a duplicate must belong to the same customer")
                return self._run(primary, primary, [], max(now, primary.last_event_at), [("merged", {
                    "channel": channel, "duplicate_id": cid, "order_id": order_id,
                    "personal": {"text": text_},
                }, None)])

        verdict = self.classifier.classify(draft)
        data.update(category=verdict.category, dimension=verdict.dimension,
                    severity=verdict.severity, evidence=tuple(map(str, verdict.evidence)))
        classified = replace(draft, {"category": verdict.category, "dimension": verdict.dimension,
                                     "severity": verdict.severity,
                                     "evidence": tuple(verdict.evidence)})

        same_item: list[Complaint] = []
        since = now - self.scope.window
        seen: set[str] = set()
        for key in ("sku", "batch", "brand"):
            value = getattr(draft, key)
            if value and history:
                for c in recent.recent(since=since, **{key: value}):
                    if c.id not in seen:
                        seen.add(c.id)
                        same_item.append(c)
        scope = "plane" if brand_wide else self.scope.scope(classified, same_item)
        if scope not in ("point", "line", "plane"):
            raise ValidationError("scope", f"policy returned {scope!r}")
        mine_recent = recent.recent(since=now - self.risk.window, customer_id=cust) if history else ()
        flags = set(self.risk.assess(classified, mine_recent))
        if scope != "point":
            flags.add("outreach")
        data.update(scope=scope, flags=tuple(sorted(flags)))
        classified = replace(classified, {"scope": scope, "flags": frozenset(flags)})

        tier = self.escalation.owner(classified)
        if verdict.min_tier is not None:
            tier = max(tier, verdict.min_tier)
        if scope != "point":
            tier = max(tier, Tier.REGIONAL_HEAD)
        deadlines = dict(self.escalation.deadlines(classified))
        _plan(classified, deadlines)
        warnings = self.escalation.warnings(classified, now, deadlines)
        data.update(
            tier=tier.label,
            deadlines=stage_times_to_data(deadlines),
            warnings=stage_times_to_data(warnings),
            policy=self._stamp(),
        )
        first = Event._trusted(1, "received", now, None, FrozenDict(data))
        complaint = replace(classified, {
            "history": (first,), "tier": tier,
            "deadlines": MappingProxyType({s: ensure_aware(d, "deadlines") for s, d in deadlines.items()}),
            "warnings": MappingProxyType({s: ensure_aware(d, "warnings") for s, d in warnings.items()}),
        })
        folded = [(first, complaint)]
        if scope != "point":
            # a line or plane asks for proactive outreach to the other buyers
            outreach = Event(2, "outreach_requested", now, None, {
                "scope": scope, "sku": draft.sku, "batch": draft.batch, "brand": draft.brand,
                "related": list(self.scope.related(classified, same_item, scope)),
            })
            complaint = apply(complaint, outreach)
            folded.append((outreach, complaint))
        if self.store is not None:
            complaint = self.store.add(complaint)
            folded[-1] = (folded[-1][0], complaint)
        self._notify(folded)
        return complaint

    def _stamp(self) -> FrozenDict:
        """Which policies (and versions) decided a new complaint, for audits and backtests."""
        key = (type(self.classifier), self.classifier.version, type(self.escalation),
               self.escalation.version)
        stamp = self._stamps.get(key)
        if stamp is None:
            stamp = self._stamps[key] = FrozenDict({
                "classifier": key[0].__name__, "classifier_v": key[1],
                "escalation": key[2].__name__, "escalation_v": key[3],
            })
        return stamp

    # -- the generic command ------------------------------------------------------------------
    def fire(self, complaint: Complaint, command: str, *, actor: Actor | str | None = None,
             **data: Any) -> Complaint:
        """Run ``command`` by name: ``wf.fire(c, "acknowledge", actor="agent-7")``."""
        if not isinstance(complaint, Complaint):
            raise ValidationError("complaint", f"expected a Complaint, got {type(complaint).__name__}")
        if command == "tick":
            return self.tick(complaint, **data)
        decide = self._checks.get(command)
        if decide is None:
            raise InvalidTransition(
                command, complaint.state.value,
                detail=f"unknown command; expected one of {', '.join(self._checks)}",
            )
        who = None if actor is None and command == "message" else Actor.of(actor)  # type: ignore[arg-type]
        self.engine.target(complaint.state, command)
        now = self._now(complaint)
        work = complaint
        folded: list[tuple[Event, Complaint]] = []
        if work.paused and command not in _NO_AUTO_RESUME:
            resumed = self._event(
                work, *self._resume_event(work, now, f"{command} while waiting for the customer"),
                now)
            work = apply(work, resumed)
            folded.append((resumed, work))
        allowed, required = self._arguments[command]
        for name in data:
            if allowed is not None and name not in allowed:
                raise ValidationError(name, f"{command} takes no argument {name!r}; it takes "
                                      f"{', '.join(sorted(allowed)) or 'none'}")
        for name in required:
            if name not in data:
                raise ValidationError(name, f"{command} needs {name}=")
        events = decide(work, who, now, **data)
        return self._run(complaint, work, folded, now, events)

    def _event(self, complaint: Complaint, name: str, data: Mapping[str, Any], actor: str | None,
               now: datetime) -> Event:
        return Event._trusted(complaint.version + 1, name, now, actor, data)

    def _run(self, complaint: Complaint, work: Complaint,
             folded: list[tuple[Event, Complaint]], now: datetime, draft: Draft) -> Complaint:
        """Fold the decided events onto ``work`` (``complaint`` plus what ``folded`` holds)
        and commit them all."""
        for name, data, who in draft:
            event = self._event(work, name, data, who, now)
            work = apply(work, event)
            folded.append((event, work))
        return self._commit(complaint, folded)

    def _commit(self, complaint: Complaint, folded: list[tuple[Event, Complaint]]) -> Complaint:
        """Save the folded events through the store (all or nothing), then tell listeners."""
        if not folded:
            return complaint
        current = folded[-1][1]
        if self.store is not None:
            current = self.store.save(current)
            folded[-1] = (folded[-1][0], current)
        self._notify(folded)
        return current

    def _notify(self, folded: Sequence[tuple[Event, Complaint]]) -> None:
        if not self._listeners:
            return
        for event, complaint in folded:
            for listener in tuple(self._listeners):
                try:
                    listener(event, complaint)
                except Exception:
                    log.exception("listener %r failed on %s of %s", listener, event.name,
                                  complaint.id)

    # -- named commands -----------------------------------------------------------------------
    def acknowledge(self, complaint: Complaint, *, actor: Actor | str,
                    promise: datetime | None = None) -> Complaint:
        """Tell the customer we have it, with a committed time (default: the proposal deadline)."""
        return self.fire(complaint, "acknowledge", actor=actor, promise=promise)

    def investigate(self, complaint: Complaint, *, actor: Actor | str, finding: Finding) -> Complaint:
        """Record the finding: root cause, responsible party and evidence."""
        return self.fire(complaint, "investigate", actor=actor, finding=finding)

    def propose(self, complaint: Complaint, *, actor: Actor | str, offer: Offer | None = None,
                approved_by: Actor | str | None = None) -> Complaint:
        """Offer a remedy; without ``offer`` the compensation ladder picks the next rung."""
        return self.fire(complaint, "propose", actor=actor, offer=offer, approved_by=approved_by)

    def decline(self, complaint: Complaint, *, actor: Actor | str, reason: str) -> Complaint:
        """The customer declined the offer: back to investigation; the next offer steps up."""
        return self.fire(complaint, "decline", actor=actor, reason=reason)

    def resolve(self, complaint: Complaint, *, actor: Actor | str) -> Complaint:
        """The customer accepted the offer and the remedy was carried out."""
        return self.fire(complaint, "resolve", actor=actor)

    def revisit(self, complaint: Complaint, *, actor: Actor | str, satisfaction: int) -> Complaint:
        """Record the follow-up call and the customer's satisfaction (1-5)."""
        return self.fire(complaint, "revisit", actor=actor, satisfaction=satisfaction)

    def reopen(self, complaint: Complaint, *, actor: Actor | str, reason: str) -> Complaint:
        """The customer is not satisfied: back to investigation with new deadlines."""
        return self.fire(complaint, "reopen", actor=actor, reason=reason)

    def archive(self, complaint: Complaint, *, actor: Actor | str,
                summary: str | None = None) -> Complaint:
        """Close the case with a summary or lesson learned."""
        return self.fire(complaint, "archive", actor=actor, summary=summary)

    def withdraw(self, complaint: Complaint, *, actor: Actor | str, reason: str) -> Complaint:
        """The customer withdrew the complaint."""
        return self.fire(complaint, "withdraw", actor=actor, reason=reason)

    def reject(self, complaint: Complaint, *, actor: Actor | str, reason: str,
               evidence: Sequence[str] = ()) -> Complaint:
        """Refuse an invalid or abusive complaint, after verification."""
        return self.fire(complaint, "reject", actor=actor, reason=reason, evidence=evidence)

    def escalate(self, complaint: Complaint, *, actor: Actor | str, reason: str,
                 to: Tier | str | None = None) -> Complaint:
        """Raise the owning tier (one up, or ``to``); the state does not change."""
        return self.fire(complaint, "escalate", actor=actor, reason=reason, to=to)

    def await_customer(self, complaint: Complaint, *, actor: Actor | str, reason: str) -> Complaint:
        """Pause the SLA clocks while we wait for the customer (the pause has its own limit)."""
        return self.fire(complaint, "await_customer", actor=actor, reason=reason)

    def customer_replied(self, complaint: Complaint, *, actor: Actor | str) -> Complaint:
        """Resume the SLA clocks: open deadlines move by the paused time."""
        return self.fire(complaint, "customer_replied", actor=actor)

    def message(self, complaint: Complaint, *, text: str, channel: str | None = None,
                actor: Actor | str | None = None) -> Complaint:
        """Record a message from the customer on the case (resumes a paused clock)."""
        return self.fire(complaint, "message", actor=actor, text=text, channel=channel)

    def reclassify(self, complaint: Complaint, *, actor: Actor | str, reason: str,
                   category: str | None = None, dimension: str | None = None,
                   severity: int | None = None, scope: str | None = None) -> Complaint:
        """Correct the classification with a reason.

        The deadlines of stages still open are planned again under the new severity (from the
        receipt, moved by the time already held); a stage already breached stays breached, and
        the owning tier never goes down.
        """
        return self.fire(complaint, "reclassify", actor=actor, reason=reason, category=category,
                         dimension=dimension, severity=severity, scope=scope)

    # -- deciding -----------------------------------------------------------------------------
    @staticmethod
    def _id(actor: Actor | None) -> str | None:
        return None if actor is None else actor.id

    def _d_acknowledge(self, c: Complaint, actor: Actor, now: datetime, *,
                       promise: datetime | None = None) -> Draft:
        if promise is None:
            promise = c.deadlines.get(State.PROPOSED, now)
            if promise <= now:
                # acknowledged late: promise a first solution planned afresh from now
                promise = self.escalation.deadlines(c, start=now).get(State.PROPOSED, now)
        promised = ensure_aware(promise, "promise")
        if promised < now:
            raise ValidationError("promise", f"{promised.isoformat()} is already past")
        return [("acknowledged", {"promise": promised.isoformat(), "actor_tier": actor.tier.label},
                 actor.id)]

    def _d_investigate(self, c: Complaint, actor: Actor, now: datetime, *,
                       finding: Finding) -> Draft:
        if not isinstance(finding, Finding):
            raise ValidationError("finding", f"expected a cf.Finding, got {type(finding).__name__}")
        return [("investigated", {"finding": finding.to_dict()}, actor.id)]

    def _d_propose(self, c: Complaint, actor: Actor, now: datetime, *, offer: Offer | None = None,
                   approved_by: Actor | str | None = None) -> Draft:
        policy = self.compensation
        automatic = offer is None
        if offer is None:
            offer = policy.fit_authority(c, policy.next_offer(c), actor.tier)
        elif not isinstance(offer, Offer):
            raise ValidationError("offer", f"expected a cf.Offer, got {type(offer).__name__}")
        _same_currency(c, offer)
        approval = policy.judge(c, offer, actor=actor, approved_by=approved_by)
        return [("proposed", {"offer": offer.to_dict(), "automatic": automatic,
                              "rung": c.declines, **approval.to_data()}, actor.id)]

    def _d_reclassify(self, c: Complaint, actor: Actor, now: datetime, *, reason: str,
                      category: str | None = None, dimension: str | None = None,
                      severity: int | None = None, scope: str | None = None) -> Draft:
        why = _reason(reason)
        changes: dict[str, Any] = {}
        if category is not None:
            changes["category"] = _required("category", category)
            if dimension is None:
                dimension = self.classifier.dimension_of(category)
        if dimension is not None:
            changes["dimension"] = _required("dimension", dimension)
        if severity is not None:
            if isinstance(severity, bool) or severity not in (1, 2, 3):
                raise ValidationError("severity", f"expected 1, 2 or 3, got {severity!r}")
            changes["severity"] = severity
        if scope is not None:
            if scope not in ("point", "line", "plane"):
                raise ValidationError("scope", f"expected point, line or plane, got {scope!r}")
            changes["scope"] = scope
        if not changes:
            raise ValidationError("category", "reclassify needs a new category, severity or scope")
        trial = replace(c, changes)
        tier = max(c.tier, self.escalation.owner(trial))
        if trial.scope != "point":
            tier = max(tier, Tier.REGIONAL_HEAD)
        planned = self.escalation.deadlines(trial)
        still_open = {s for s in c.deadlines if s not in c.completed and s not in c.breached}
        times: dict[State, datetime] = {
            s: d + c.held for s, d in planned.items() if s in still_open
        }
        data: dict[str, Any] = {
            "reason": why, **changes, "tier": tier.label,
            "deadlines": stage_times_to_data(times),
            "warnings": stage_times_to_data(self.escalation.warnings(trial, c.received_at, times)),
        }
        return [("reclassified", data, actor.id)]

    def _d_decline(self, c: Complaint, actor: Actor, now: datetime, *, reason: str) -> Draft:
        return [("declined", {"reason": _reason(reason)}, actor.id)]

    def _d_resolve(self, c: Complaint, actor: Actor, now: datetime) -> Draft:
        due = self.escalation.follow_up(c, now)
        if ensure_aware(due, "follow_up") < now:
            raise ValidationError("follow_up", "the follow-up deadline is before resolution")
        times = {State.REVISITED: due}
        return [("resolved", {
            "deadlines": stage_times_to_data(times),
            "warnings": stage_times_to_data(self.escalation.warnings(c, now, times)),
        }, actor.id)]

    def _d_revisit(self, c: Complaint, actor: Actor, now: datetime, *, satisfaction: int) -> Draft:
        if isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or not (
            1 <= satisfaction <= 5
        ):
            raise ValidationError("satisfaction", f"expected an integer 1-5, got {satisfaction!r}")
        return [("revisited", {"satisfaction": satisfaction}, actor.id)]

    def _d_reopen(self, c: Complaint, actor: Actor, now: datetime, *, reason: str) -> Draft:
        why = _reason(reason)
        planned = self.escalation.deadlines(c, start=now)
        times: dict[State, datetime] = {s: d for s, d in planned.items() if s in _RESET_ON_REOPEN}
        data: dict[str, Any] = {
            "reason": why, "reset": [s.value for s in _RESET_ON_REOPEN],
            "deadlines": stage_times_to_data(times),
            "warnings": stage_times_to_data(self.escalation.warnings(c, now, times)),
        }
        draft: Draft = [("reopened", data, actor.id)]
        if c.reopens >= 1 and c.tier < Tier.EXECUTIVE:
            draft.append(("escalated", {"reason": "reopened a second time",
                                        "from": c.tier.label, "to": c.tier.up().label}, None))
        return draft

    def _d_archive(self, c: Complaint, actor: Actor, now: datetime, *,
                   summary: str | None = None) -> Draft:
        return [("archived", {"summary": _text("summary", summary, required=False)}, actor.id)]

    def _d_withdraw(self, c: Complaint, actor: Actor, now: datetime, *, reason: str) -> Draft:
        return [("withdrawn", {"reason": _reason(reason)}, actor.id)]

    def _d_reject(self, c: Complaint, actor: Actor, now: datetime, *, reason: str,
                  evidence: Sequence[str] = ()) -> Draft:
        why = _reason(reason)
        if isinstance(evidence, str) or not all(isinstance(e, str) and e for e in evidence):
            raise ValidationError("evidence", "expected a sequence of non-empty strings")
        return [("rejected", {"reason": why, "evidence": list(evidence)}, actor.id)]

    def _d_escalate(self, c: Complaint, actor: Actor, now: datetime, *, reason: str,
                    to: Tier | str | None = None) -> Draft:
        why = _reason(reason)
        target = c.tier.up() if to is None else Tier.parse(to, "to")
        if target <= c.tier:
            raise ValidationError(
                "tier", f"the case is already owned by {c.tier.label}; escalation only goes up"
            )
        return [("escalated", {"reason": why, "from": c.tier.label, "to": target.label}, actor.id)]

    def _d_await(self, c: Complaint, actor: Actor, now: datetime, *, reason: str) -> Draft:
        why = _reason(reason)
        if c.paused:
            raise InvalidTransition("await_customer", c.state.value,
                                    detail="already waiting for the customer")
        until = ensure_aware(self.escalation.pause_limit(c, now), "pause_limit")
        return [("paused", {"reason": why, "until": until.isoformat()}, actor.id)]

    def _resume_event(self, c: Complaint, now: datetime, reason: str,
                      actor: str | None = None) -> tuple[str, Mapping[str, Any], str | None]:
        assert c.paused_at is not None
        esc = self.escalation
        start = c.paused_at
        held = esc.held(c, start, now)
        open_ = c.open_deadlines
        deadlines = {s: esc.shift(c, d, start, now) for s, d in open_.items()}
        warnings = {s: esc.shift(c, w, start, now) for s, w in c.warnings.items() if s in open_}
        return ("resumed", {
            "reason": reason, "held_seconds": held.total_seconds(),
            "paused_at": start.isoformat(),
            "deadlines": stage_times_to_data(deadlines),
            "warnings": stage_times_to_data(warnings),
        }, actor)

    def _d_replied(self, c: Complaint, actor: Actor, now: datetime) -> Draft:
        if not c.paused:
            raise InvalidTransition("customer_replied", c.state.value,
                                    detail="the case is not waiting for the customer")
        return [self._resume_event(c, now, "customer replied", actor.id)]

    def _d_message(self, c: Complaint, actor: Actor | None, now: datetime, *, text: str,
                   channel: str | None = None) -> Draft:
        body = _text("text", text)
        if channel is not None and channel not in self.channels:
            raise ValidationError("channel", f"unknown channel {channel!r}")
        draft: Draft = []
        if c.paused:
            draft.append(self._resume_event(c, now, "customer wrote", self._id(actor)))
        draft.append(("message", {"channel": channel, "personal": {"text": body}},
                      self._id(actor)))
        return draft

    # -- time passing -------------------------------------------------------------------------
    def tick(self, complaint: Complaint, now: datetime | None = None) -> Complaint:
        """Bring the SLA clocks up to ``now``: record warnings and breaches, escalate on breach."""
        if not isinstance(complaint, Complaint):
            raise ValidationError("complaint", f"expected a Complaint, got {type(complaint).__name__}")
        at = self._now() if now is None else ensure_aware(now, "now")
        if complaint.is_final or at < complaint.last_event_at:
            return complaint
        folded: list[tuple[Event, Complaint]] = []
        work = complaint

        def record(name: str, data: Mapping[str, Any]) -> None:
            nonlocal work
            event = self._event(work, name, data, None, at)
            work = apply(work, event)
            folded.append((event, work))

        if work.paused:
            if work.pause_until is None or at < work.pause_until:
                return complaint
            name, data, _who = self._resume_event(work, work.pause_until,
                                                  "waited for the customer until the limit")
            record(name, data)
        for stage in STAGES:
            if stage in work.completed or stage not in work.deadlines:
                continue
            deadline = work.deadlines[stage]
            warn = work.warnings.get(stage)
            if (warn is not None and at >= warn and stage not in work.warned
                    and stage not in work.breached):
                record("sla_warning", {"stage": stage.value, "deadline": deadline.isoformat()})
            if at >= deadline and stage not in work.breached:
                record("sla_breached", {"stage": stage.value, "deadline": deadline.isoformat()})
                target = self.escalation.on_breach(work, stage)
                if target is not None and target > work.tier:
                    record("escalated", {"reason": f"{stage.value} deadline breached",
                                         "from": work.tier.label, "to": target.label,
                                         "stage": stage.value})
        return self._commit(complaint, folded)

    # -- what may happen now ------------------------------------------------------------------
    def available(self, complaint: Complaint) -> tuple[str, ...]:
        """Commands the state graph allows on ``complaint`` now (guards on input aside)."""
        out = []
        for command in self.engine.commands_from(complaint.state):
            if command == "await_customer" and complaint.paused:
                continue
            if command == "customer_replied" and not complaint.paused:
                continue
            if command == "escalate" and complaint.tier is Tier.EXECUTIVE:
                continue
            if command not in self._checks:
                continue
            out.append(command)
        return tuple(out)

