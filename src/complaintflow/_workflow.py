"""The workflow: load → check → bring the clocks up to now → decide (pure) → fold → commit → notify.

Every command is declared once in the registry (:mod:`complaintflow._commands`); the
workflow runs them all the same way through :meth:`Workflow.fire`, and the named methods
are thin wrappers over it (a test checks them against the registry).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, Protocol

import attrs

from complaintflow._clock import Clock, SystemClock, ensure_aware
from complaintflow._commands import COMMANDS, Command, declare, resume_event
from complaintflow._complaint import (
    Complaint,
    apply,
    apply_received,
    attest,
    attested,
    replace,
    stage_times_to_data,
)
from complaintflow._engine import Engine, default_engine
from complaintflow._erasure import Erasure, erase_complaint, holds_personal_data
from complaintflow._events import Event, FrozenDict, vouch, vouched
from complaintflow._limits import (
    MAX_ID,
    check_complaint_id,
    check_customer,
    check_id,
    check_moment,
    check_text,
)
from complaintflow._markets import DEFAULT_MARKET, check_market, market_currency
from complaintflow._values import STAGES, Actor, Finding, Money, Offer, State, Tier
from complaintflow.exceptions import (
    ComplaintflowError,
    ConcurrencyError,
    CurrencyMismatch,
    InvalidTransition,
    UnknownCommand,
    ValidationError,
)
from complaintflow.policies._recent import (
    NO_HISTORY,
    IntakeSummaries,
    IntakeSummary,
    RecentComplaints,
    summarize,
)
from complaintflow.policies.authorization import AuthorizationPolicy, TieredAuthorization
from complaintflow.policies.classification import ClassificationPolicy, KeywordClassifier
from complaintflow.policies.compensation import CompensationLadder, CompensationPolicy
from complaintflow.policies.duplicates import ChannelDuplicates, DuplicatePolicy
from complaintflow.policies.escalation import EscalationPolicy, TieredEscalation
from complaintflow.policies.risk import DefaultRisk, RiskPolicy
from complaintflow.policies.scope import LineDetection, ScopePolicy
from complaintflow.store._base import Store

__all__ = ["CHANNELS", "Allowed", "Listener", "Workflow"]

log = logging.getLogger("complaintflow")

#: Intake channels of the complaint-handling brief.
CHANNELS: Final = (
    "hotline", "in_store", "online_chat", "wechat", "app", "email", "social_media",
)


@attrs.frozen
class Allowed:
    """Whether an actor may run ``command`` now, and if not, every reason why (the very
    messages the command would raise: wrong state, already waiting, not the owner,
    authority)."""

    command: str
    allowed: bool
    reasons: tuple[str, ...] = ()


class Listener(Protocol):
    """Called with each committed event and the complaint as it stands after it."""

    def __call__(self, event: Event, complaint: Complaint, /) -> object: ...


_Folded = list[tuple[Event, Complaint]]
#: The policies that decide a new complaint (recorded in its ``received`` event).
_INTAKE_POLICIES: Final = ("classifier", "escalation", "scope", "risk", "duplicates")
#: Actor ids already checked (a bounded set: it saves a pattern match per command).
_GOOD_IDS: set[str] = set()


def _random_id() -> str:
    """A new complaint id: 64 random bits, e.g. ``CF-3F9A0C1D2B4E5F60``."""
    return "CF-" + os.urandom(8).hex().upper()


def _plan(received_at: datetime, times: Mapping[State, datetime]) -> None:
    for stage, when in times.items():
        if when < received_at:
            raise ValidationError("deadlines", f"{stage.value} deadline {when} is before receipt")


def _price(amount: Money | Decimal, market: str, currency: str) -> Money:
    """The price paid, in the market's currency."""
    if not isinstance(amount, Money):
        return Money(amount, currency)
    if amount.currency != currency:
        raise CurrencyMismatch("amount", f"{amount} on a complaint of market {market}, which "
                                         f"trades in {currency}; convert first or pass its market")
    return amount


def _channels(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("channels", f"expected a collection of channel names, got {value!r}")
    out = frozenset(check_id("channels", c, strict=False) for c in value)
    if not out:
        raise ValidationError("channels", "at least one channel is needed")
    return out


def check_expected(complaint: Complaint, expected_version: object) -> None:
    """Refuse a command on ``complaint`` when the caller expected another version."""
    if isinstance(expected_version, bool) or not isinstance(expected_version, int) \
            or expected_version < 0:
        raise ValidationError("expected_version",
                              f"expected a version number >= 0, got {expected_version!r}")
    if expected_version != complaint.version:
        raise ConcurrencyError(complaint.id, expected_version, complaint.version)


class _Summarizing:
    """Intake summaries for a store that only has ``recent`` (summarized in Python)."""

    def __init__(self, recent: RecentComplaints) -> None:
        self._recent = recent

    def intake_summary(self, **query: Any) -> IntakeSummary:
        return summarize(self._recent, **query)


def _labels_fit(dimension: object, category: object, evidence: Sequence[object],
                flags: Sequence[object]) -> bool:
    """Whether the policies' words for a new complaint pass the fold's checks of a loaded
    ``received`` event (then its event is the workflow's own: see ``vouch``)."""
    try:
        check_text("dimension", dimension, limit=MAX_ID)
        check_text("category", category, limit=MAX_ID)
        for item in (*evidence, *flags):
            check_text("evidence", item)
    except ValidationError:
        return False
    return True


#: The events :meth:`Workflow._catch_up` records when a command or a tick brings a complaint
#: up to now: the end of a wait at its limit, a missed warning, a breach and the
#: escalation it prescribes.
CATCH_UP_EVENTS: Final = frozenset({"resumed", "sla_warning", "sla_breached", "escalated"})


class Workflow:
    """Carries complaints through their lifecycle.

    Every policy is a keyword argument with a default that implements the
    complaint-handling brief; the workflow holds no domain numbers of its own. A workflow
    is cheap to share: one per application, used for every complaint. ``commands`` adds
    an integrator's own :class:`~complaintflow.Command` declarations to the built-in
    :data:`~complaintflow.COMMANDS`; one named like a built-in command replaces it.
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
        commands: Iterable[Command] = (),
        authorization: AuthorizationPolicy | None = None,
        market: str | None = None,
    ) -> None:
        #: The market of a complaint received without one (``receive(market=...)``).
        self.market = check_market(market if market is not None else DEFAULT_MARKET)
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.classifier = classifier if classifier is not None else KeywordClassifier()
        self.escalation = escalation if escalation is not None else TieredEscalation()
        self.compensation = compensation if compensation is not None else CompensationLadder()
        self.risk = risk if risk is not None else DefaultRisk()
        self.scope = scope if scope is not None else LineDetection()
        self.duplicates = duplicates if duplicates is not None else ChannelDuplicates()
        self.authorization: AuthorizationPolicy = (
            authorization if authorization is not None else TieredAuthorization())
        self.store = store
        self.channels = _channels(channels)
        self._ids = ids if ids is not None else _random_id
        self._listeners: list[Listener] = list(listeners)
        self._stamps: dict[tuple[object, ...], FrozenDict] = {}
        self._recent_of: tuple[Store | None, RecentComplaints] | None = None
        self._commands: dict[str, Command] = dict(COMMANDS)
        self._engine = engine
        given: set[str] = set()
        for command in commands:
            # a command named like a built-in one replaces it (its decider, say)
            self._add(command, replace=command.name not in given)
            given.add(command.name)
        self.engine = engine if engine is not None else (
            default_engine() if self._commands == COMMANDS else Engine(self._commands))

    # -- commands -----------------------------------------------------------------------------
    @property
    def commands(self) -> Mapping[str, Command]:
        """Every command this workflow runs, by name (built-in and registered)."""
        return MappingProxyType(self._commands)

    def _add(self, command: Command, *, replace: bool = False) -> None:
        if not isinstance(command, Command):
            raise ValidationError("command", f"expected a cf.Command, got {type(command).__name__}")
        built_in = command.name in COMMANDS
        taken = command.name in self._commands and not (replace and built_in)
        if taken or command.name == "tick" or (hasattr(Workflow, command.name) and not built_in):
            raise ValidationError("command", f"a command named {command.name!r} already exists")
        self._commands[command.name] = declare(command)

    def register(self, command: Command) -> Command:
        """Add an integrator's own command; ``wf.fire(c, command.name, ...)`` runs it.

        Returns the command, so it can decorate nothing and be kept for reference.
        """
        self._add(command)
        if self._engine is None:
            self.engine = Engine(self._commands)
        return command

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
    def _clock_now(self) -> datetime:
        return check_moment("clock.now()", ensure_aware(self.clock.now(), "clock.now()"))

    def _now(self, complaint: Complaint | None = None) -> datetime:
        now = self._clock_now()
        if complaint is not None and now < complaint.last_event_at:
            # a clock behind the last event (another server's skew) never reorders history
            return complaint.last_event_at
        return now

    @property
    def _recent(self) -> RecentComplaints:
        store = self.store
        known = self._recent_of
        if known is not None and known[0] is store:
            return known[1]  # a Protocol isinstance check costs more than the lookups
        found = store if store is not None and isinstance(store, RecentComplaints) else NO_HISTORY
        self._recent_of = (store, found)
        return found

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
        customer: Mapping[str, str] | None = None,
        follow_up_of: str | None = None,
        market: str | None = None,
    ) -> Complaint:
        """Log a complaint from any channel, classify it and set its deadlines.

        Intake first gathers what it needs from the store (the customer's and the item's
        recent complaints), then decides its events purely and folds them like every
        other command. When the policy finds the same customer's same problem already open
        (a second channel), the existing complaint is returned with a ``merged`` event.
        ``at`` (default: the clock's now) may be in the past, never after the clock's now.
        ``customer``: attributes the integrator supplies (``{"segment": "vip",
        "language": "zh", "market": "CN"}``), recorded with the personal data and seen by
        every policy as ``complaint.customer``.
        ``follow_up_of``: the id of an earlier complaint of the same customer that is no
        longer open (resolved or closed): the new complaint records it, and the earlier one
        records a ``followed_up`` event naming the new one, in the same transaction as the
        new complaint (the store's ``batch()``: both or neither are stored).
        ``complaint.merged`` tells a merge from a new complaint. With an ``order_id``, the
        same customer's earlier cases on that order that are no longer open (found by the
        duplicate policy's :meth:`~complaintflow.policies.DuplicatePolicy.related`, within
        its ``related_window``) are recorded as ``complaint.related``: a suggested link
        for the agent.
        ``market``: the market the complaint belongs to (default: the workflow's
        ``market``); ``amount`` is in its currency (a ``Decimal`` is taken in it).
        """
        text_ = check_text("text", text)
        cust = check_id("customer_id", customer_id)
        if not isinstance(channel, str) or channel not in self.channels:
            raise ValidationError(
                "channel", f"unknown channel {channel!r}; expected one of {', '.join(sorted(self.channels))}"
            )
        refs = {"order_id": order_id, "sku": sku, "batch": batch, "store": store,
                "region": region, "brand": brand}
        for name, value in refs.items():
            if value is not None:
                check_text(name, value, limit=MAX_ID)
        market_ = check_market(market if market is not None else self.market)
        currency = market_currency(market_)
        if amount is not None:
            amount = _price(amount, market_, currency)
        if contact is not None:
            if not isinstance(contact, Mapping) or not all(isinstance(k, str) for k in contact):
                raise ValidationError("contact", "expected a mapping of strings")
            for key, value in contact.items():
                check_text(f"contact.{key}", value)
        attributes = None if customer is None else check_customer(customer)
        earlier = None if follow_up_of is None else self._earlier(follow_up_of, cust)
        if not isinstance(brand_wide, bool):
            raise ValidationError("brand_wide", "expected True or False")
        clock_now = self._clock_now()
        if at is None:
            now = clock_now
        else:
            now = check_moment("at", ensure_aware(at, "at"))
            if now > clock_now:
                raise ValidationError("at", f"{now.isoformat()} is after the clock's now "
                                            f"({clock_now.isoformat()})")
        cid = check_complaint_id("complaint_id",
                                 complaint_id if complaint_id is not None else self._ids())
        data: dict[str, Any] = {
            "id": cid, "customer_id": cust, "channel": channel, **refs, "market": market_,
            **({"follow_up_of": earlier.id} if earlier is not None else {}),
            "amount": None if amount is None else FrozenDict(amount.to_dict()),
            "personal": FrozenDict(
                {"text": text_, **({"contact": FrozenDict(contact)} if contact else {}),
                 **({"customer": FrozenDict(attributes)} if attributes else {})}
            ),
        }
        # what intake's policies see: the receipt alone, folded like any event
        draft = apply(None, Event._trusted(1, "received", now, None, FrozenDict(data)), check=False)
        facts = self._gather(draft, now, brand_wide)
        primary = facts.get("duplicate_of")
        if primary is not None:
            at = max(now, primary.last_event_at)
            caught: _Folded = []
            # like every command, the merge first makes the record true as of its own time
            work = self._catch_up(primary, at, caught) if at > primary.last_event_at else primary
            return self._run(primary, work, caught, at, [("merged", {
                "channel": channel, "duplicate_id": cid, "order_id": order_id,
                "personal": {"text": text_}, "policy": self._policy_stamp("duplicates"),
            }, None)])
        try:
            events = self._decide_intake(draft, data, now, facts)
        except OverflowError:
            raise ValidationError("at", f"{now.isoformat()} is too close to the end of time "
                                        "for its deadlines") from None
        # the receipt fields are the draft's: only the classification and the plan are new
        complaint = apply_received(draft, events[0])
        folded: _Folded = [(events[0], complaint)]
        for event in events[1:]:
            complaint = apply(complaint, event, check=False)
            folded.append((event, complaint))
        # a policy may plan a deadline at the very moment of receipt
        complaint = self._catch_up(complaint, now, folded)
        linked: _Folded = []
        if self.store is not None:
            # the new complaint and the link on the earlier one: one transaction
            if all(vouched(e) for e, _ in folded):
                attest(complaint)
            with self._together(earlier is not None):
                complaint = self.store.add(complaint)
                folded[-1] = (folded[-1][0], complaint)
                if earlier is not None:
                    linked = self._link(earlier, complaint.id, now)
        self._notify(folded)
        self._notify(linked)
        return complaint

    def _together(self, needed: bool) -> AbstractContextManager[object]:
        """The store's ``batch()`` (its writes kept all together or not at all) when
        ``needed`` and the store has one; otherwise nothing."""
        batch = getattr(self.store, "batch", None) if needed else None
        return batch() if callable(batch) else nullcontext()

    def _earlier(self, complaint_id: str, customer_id: str) -> Complaint:
        """The closed complaint a new one follows up (same customer, in the store)."""
        cid = check_complaint_id("follow_up_of", complaint_id)
        if self.store is None:
            raise ValidationError("follow_up_of", "a follow-up needs the workflow's store")
        earlier = self.store.get(cid)
        if earlier.customer_id != customer_id:
            raise ValidationError("follow_up_of", "a follow-up belongs to the same customer")
        if earlier.is_open:
            raise ValidationError("follow_up_of", f"{cid} is still open: record a message on "
                                                  "it instead")
        return earlier

    def _link(self, earlier: Complaint, later_id: str, now: datetime) -> _Folded:
        """Record on ``earlier`` that ``later_id`` follows it up, saved through the store
        (inside intake's transaction); the folded events, for the listeners once it
        commits."""
        assert self.store is not None
        fresh = self.store.get(earlier.id)
        at = max(now, fresh.last_event_at)
        caught: _Folded = []
        work = self._catch_up(fresh, at, caught) if at > fresh.last_event_at else fresh
        self._fold(work, ("followed_up", {"complaint_id": later_id}, None), at, caught)
        saved = self.store.save(caught[-1][1])
        caught[-1] = (caught[-1][0], saved)
        return caught

    def _gather(self, draft: Complaint, now: datetime, brand_wide: bool) -> dict[str, Any]:
        """What intake needs from the store, asked before anything is decided: summaries
        (counts and a few rows, aggregated by the store) of the customer's and the item's
        recent complaints, never the whole complaints unless a policy asks for them."""
        recent = self._recent
        if recent is NO_HISTORY:
            empty = IntakeSummary(now, now)
            return {"item": empty, "mine": empty, "brand_wide": brand_wide}
        related: tuple[str, ...] = ()
        summaries: IntakeSummaries = (recent if isinstance(recent, IntakeSummaries)
                                      else _Summarizing(recent))
        if draft.order_id:
            dup = summaries.intake_summary(since=now - self.duplicates.window, until=now,
                                           customer_id=draft.customer_id)
            found = self.duplicates.find_from(draft, dup)
            if found is not None:
                assert self.store is not None  # a store answered the summary
                primary = self.store.get(found)
                if primary.customer_id != draft.customer_id:
                    raise ValidationError("customer_id", "a duplicate must belong to the same customer")
                return {"duplicate_of": primary}
            related = self._related(summaries, draft, now)
        item = summaries.intake_summary(since=now - self.scope.window, until=now, sku=draft.sku,
                                        batch=draft.batch, brand=draft.brand)
        mine = summaries.intake_summary(since=now - self.risk.window, until=now,
                                        customer_id=draft.customer_id)
        return {"item": item, "mine": mine, "brand_wide": brand_wide, "related": related}

    def _related(self, summaries: IntakeSummaries, draft: Complaint, now: datetime
                 ) -> tuple[str, ...]:
        """The ids of the customer's earlier cases on the draft's order that the duplicate
        policy calls related (no longer open): from the store's summary of the newest few
        complaints on that order, never the whole complaints."""
        policy = self.duplicates
        summary = summaries.intake_summary(since=now - policy.related_window, until=now,
                                           order_id=draft.order_id, limit=policy.related_limit)
        found: list[str] = []
        for other in policy.related_from(draft, summary):
            if not isinstance(other, str):
                raise ValidationError("related", f"expected complaint ids, got {other!r}")
            if other != draft.follow_up_of and other not in found:
                found.append(other)
        return tuple(found)

    def _decide_intake(self, draft: Complaint, data: dict[str, Any], now: datetime,
                       facts: Mapping[str, Any]) -> list[Event]:
        """The ``received`` event (and the outreach a line or plane asks for): pure."""
        verdict = self.classifier.classify(draft)
        data.update(category=verdict.category, dimension=verdict.dimension,
                    severity=verdict.severity, evidence=tuple(map(str, verdict.evidence)))
        classified = replace(draft, {"category": verdict.category, "dimension": verdict.dimension,
                                     "severity": verdict.severity,
                                     "evidence": tuple(verdict.evidence)})
        item = facts["item"]
        scope = "plane" if facts["brand_wide"] else self.scope.scope_from(classified, item)
        if scope not in ("point", "line", "plane"):
            raise ValidationError("scope", f"policy returned {scope!r}")
        if facts.get("related"):
            data["related"] = tuple(facts["related"])
        flags = set(self.risk.assess_from(classified, facts["mine"]))
        if scope != "point":
            flags.add("outreach")
        data.update(scope=scope, flags=tuple(sorted(flags)))
        classified = replace(classified, {"scope": scope, "flags": frozenset(flags)})
        tier = self.escalation.owner(classified)
        if verdict.min_tier is not None:
            tier = max(tier, verdict.min_tier)
        if scope != "point":
            tier = max(tier, Tier.REGIONAL_HEAD)
        deadlines = {s: ensure_aware(d, "deadlines")
                     for s, d in self.escalation.deadlines(classified).items()}
        _plan(now, deadlines)
        warnings = {s: min(max(ensure_aware(w, "warnings"), now), deadlines[s])
                    for s, w in self.escalation.warnings(classified, now, deadlines).items()
                    if s in deadlines}
        data.update(
            tier=tier.label,
            deadlines=stage_times_to_data(deadlines),
            warnings=stage_times_to_data(warnings),
            policy=self._stamp(),
        )
        events = [Event._trusted(1, "received", now, None, FrozenDict(data))]
        if _labels_fit(verdict.dimension, verdict.category, data["evidence"], data["flags"]):
            vouch(events[0])  # every other field was checked as input or built here
        if scope != "point":
            # a line or plane asks for proactive outreach to the other buyers
            events.append(Event(2, "outreach_requested", now, None, {
                "scope": scope, "sku": draft.sku, "batch": draft.batch, "brand": draft.brand,
                "related": list(self.scope.related_from(classified, item, scope)),
                "policy": self._policy_stamp("scope"),
            }))
        return events

    def _stamp(self) -> FrozenDict:
        """Which policies (and versions) decided a new complaint, for audits and backtests."""
        return self._policy_stamp(*_INTAKE_POLICIES)

    def _policy_stamp(self, *roles: str) -> FrozenDict:
        """``{role: policy class name, role_v: its version}`` of the policies in ``roles``
        (``"escalation"``, ``"authorization"`` …): what a decision event records of the
        policies that made it (cached: the same record for every event)."""
        policies = tuple(getattr(self, role) for role in roles)
        key = (roles, *(type(p) for p in policies), *(getattr(p, "version", None)
                                                       for p in policies))
        stamp = self._stamps.get(key)
        if stamp is None:
            data: dict[str, Any] = {}
            for role, policy in zip(roles, policies, strict=True):
                data[role] = type(policy).__name__
                data[f"{role}_v"] = str(getattr(policy, "version", "1"))
            stamp = self._stamps[key] = FrozenDict(data)
        return stamp

    # -- the generic command ------------------------------------------------------------------
    def fire(self, complaint: Complaint, command: str, *, actor: Actor | str | None = None,
             expected_version: int | None = None, **data: Any) -> Complaint:
        """Run ``command`` by name: ``wf.fire(c, "acknowledge", actor="agent-7")``.

        An unknown name raises :class:`~complaintflow.UnknownCommand`; a command the state
        does not allow raises :class:`~complaintflow.InvalidTransition`. ``expected_version``
        (an HTTP ``If-Match``, say) is the version the caller last saw: when the complaint
        is at another one, :class:`~complaintflow.ConcurrencyError` names both and nothing
        runs (a store's own check then catches a change between loading and saving).
        """
        if not isinstance(complaint, Complaint):
            raise ValidationError("complaint", f"expected a Complaint, got {type(complaint).__name__}")
        if expected_version is not None:
            check_expected(complaint, expected_version)
        if command == "tick":
            return self.tick(complaint, **data)
        spec = self._commands.get(command) if isinstance(command, str) else None
        if spec is None:
            raise UnknownCommand(str(command), tuple(self._commands))
        who: Actor | None = None
        if actor is not None or spec.actor_required:
            who = Actor.of(actor, "actor")  # type: ignore[arg-type]
            if who.id not in _GOOD_IDS:
                if len(_GOOD_IDS) > 4096:
                    _GOOD_IDS.clear()
                _GOOD_IDS.add(check_id("actor", who.id))
        self._graph(complaint, spec)
        args = spec.bind(data)
        now = self._now(complaint)
        folded: _Folded = []
        try:
            work = complaint
            if now > complaint.last_event_at:
                # the record is true as of its last event (every command and tick keeps it
                # so): only time after it can have made something due
                work = self._catch_up(complaint, now, folded, reaching=spec.completes)
            if work.paused and spec.resumes:
                work = self._fold(work, resume_event(
                    self, work, now, f"{command} while waiting for the customer"), now, folded)
            refused = self._refusal(work, spec, who, now)
            if refused is not None:
                raise refused
            replanned = False
            own = self._own(spec)
            for decided in spec.run(self, work, who, now, args):
                work = self._fold(work, decided, now, folded, own=own)
                replanned = replanned or "deadlines" in decided[1] or "warnings" in decided[1]
            if replanned:
                # a deadline planned again may already be due now
                self._catch_up(work, now, folded)
        except OverflowError:
            raise ValidationError("now", f"{now.isoformat()} is too close to the end of time "
                                         "for the deadlines it plans") from None
        return self._commit(complaint, folded)

    def _own(self, spec: Command) -> bool:
        """Whether ``spec``'s events are the workflow's own decisions, made from checked
        input: a built-in command's decider (and, for an offer, the compensation rules'
        own judgement, which the fold of a loaded offer applies too)."""
        if COMMANDS.get(spec.name) is not spec:
            return False
        return spec.name != "propose" or (
            type(self.compensation).judge is CompensationPolicy.judge)

    def _fold(self, work: Complaint, decided: tuple[str, Mapping[str, Any], str | None],
              now: datetime, folded: _Folded, *, own: bool = True) -> Complaint:
        """Record one decided event and fold it; ``own``: the workflow decided it from
        checked input, so a store need not check its data again (see ``vouch``)."""
        name, data, who = decided
        event = Event._trusted(work.version + 1, name, now, who, data)
        if own:
            vouch(event)
        work = apply(work, event, check=False)
        folded.append((event, work))
        return work

    def _run(self, complaint: Complaint, work: Complaint, folded: _Folded, now: datetime,
             draft: Sequence[tuple[str, Mapping[str, Any], str | None]]) -> Complaint:
        for decided in draft:
            work = self._fold(work, decided, now, folded)
        return self._commit(complaint, folded)

    def _catch_up(self, complaint: Complaint, at: datetime, folded: _Folded,
                  reaching: State | None = None) -> Complaint:
        """Record what time has made true by ``at``: the end of a wait at its limit, then per
        stage a missed warning, the breach (naming the deadline) and the escalation the
        policy prescribes. Every command runs it first, so a stage reached late records
        its breach before the event that reaches it; the stage a command is ``reaching``
        exactly at its deadline is reached in time."""
        work = complaint
        if work.is_final:
            return work
        if work.paused:
            if work.pause_until is None or at < work.pause_until:
                return work
            # the wait ended at its limit: recorded then, and the clocks run from there
            ended = max(work.pause_until, work.last_event_at)
            work = self._fold(work, resume_event(self, work, ended,
                                                 "waited for the customer until the limit"),
                              ended, folded)
        for stage in STAGES:
            deadline = work.deadlines.get(stage)
            if deadline is None or stage in work.completed or stage in work.breached:
                continue
            late = at > deadline or (at == deadline and stage is not reaching)
            warn = work.warnings.get(stage)
            # a stage reached in time needs no warning any more; one reached late gets it
            # before its breach
            if (warn is not None and at >= warn and stage not in work.warned
                    and (late or stage is not reaching)):
                work = self._fold(work, ("sla_warning", FrozenDict(
                    stage=stage.value, deadline=deadline.isoformat()), None), at, folded)
            if late:
                work = self._fold(work, ("sla_breached", FrozenDict(
                    stage=stage.value, deadline=deadline.isoformat()), None), at, folded)
                target = self.escalation.on_breach(work, stage)
                if target is not None and target > work.tier:
                    work = self._fold(work, ("escalated", {
                        "reason": f"{stage.value} deadline breached", "from": work.tier.label,
                        "to": target.label, "stage": stage.value,
                        "policy": self._policy_stamp("escalation")}, None), at, folded)
        return work

    def _commit(self, complaint: Complaint, folded: _Folded) -> Complaint:
        """Save the folded events through the store (all or nothing), then tell listeners."""
        if not folded:
            return complaint
        current = folded[-1][1]
        if self.store is not None:
            if attested(complaint) and all(vouched(e) for e, _ in folded):
                attest(current)  # the store need not fold the events again
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

    # -- time passing -------------------------------------------------------------------------
    def tick(self, complaint: Complaint, now: datetime | None = None) -> Complaint:
        """Bring the SLA clocks up to ``now``: record warnings and breaches, escalate on breach."""
        if not isinstance(complaint, Complaint):
            raise ValidationError("complaint", f"expected a Complaint, got {type(complaint).__name__}")
        at = self._clock_now() if now is None else check_moment("now", ensure_aware(now, "now"))
        if complaint.is_final or at < complaint.last_event_at:
            return complaint
        folded: _Folded = []
        try:
            self._catch_up(complaint, at, folded)
        except OverflowError:
            raise ValidationError("now", f"{at.isoformat()} is out of range") from None
        return self._commit(complaint, folded)

    # -- what may happen now ------------------------------------------------------------------
    def _graph(self, complaint: Complaint, spec: Command) -> None:
        """Refuse ``spec`` when the state graph does not allow it from the complaint's state
        (on a closed case, with the command's hint: open a follow-up instead)."""
        try:
            self.engine.target(complaint.state, spec.name)
        except InvalidTransition:
            if spec.closed_hint and complaint.is_final:
                raise InvalidTransition(spec.name, complaint.state.value, detail=(
                    f"the case is closed; {spec.closed_hint.format(id=complaint.id)}")) from None
            raise

    def _refusals(self, work: Complaint, spec: Command, who: Actor | None, now: datetime,
                  *, every: bool = False) -> list[ComplaintflowError]:
        """Why ``who`` may not run ``spec`` on ``work`` (the clocks brought up to ``now``),
        past the state graph: the command's own ``blocked`` and ``blocked_at`` hooks, then
        the authorization policy. :meth:`fire` raises the first; :meth:`allowed` reports
        them all."""
        out: list[ComplaintflowError] = []
        for why in (None if spec.blocked is None else spec.blocked(work),
                    None if spec.blocked_at is None else spec.blocked_at(self, work, now)):
            if isinstance(why, ComplaintflowError):
                out.append(why)
            elif why is not None:
                out.append(InvalidTransition(spec.name, work.state.value, detail=why))
        if out and not every:
            return out[:1]
        denied = self.authorization.refusal(work, spec.name, who)
        if denied is not None:
            out.append(denied)
        return out

    def _refusal(self, work: Complaint, spec: Command, who: Actor | None,
                 now: datetime) -> ComplaintflowError | None:
        found = self._refusals(work, spec, who, now)
        return found[0] if found else None

    def allowed(self, complaint: Complaint, actor: Actor | str | None) -> tuple[Allowed, ...]:
        """Every command this workflow runs, each with whether ``actor`` may run it on
        ``complaint`` now and, if not, the reasons: the messages the command itself would
        raise (wrong state, already waiting, not the owner, authority). Judged as
        :meth:`fire` judges, once the clocks are brought up to now; arguments aside (an
        offer beyond the actor's authority is refused by the command)."""
        if not isinstance(complaint, Complaint):
            raise ValidationError("complaint", f"expected a Complaint, got {type(complaint).__name__}")
        who = None if actor is None else Actor.of(actor, "actor")
        now = self._now(complaint)
        try:
            work = self._catch_up(complaint, now, [])
        except (ComplaintflowError, OverflowError):
            work = complaint
        out: list[Allowed] = []
        for name, spec in self._commands.items():
            reasons: list[str] = []
            if not self.engine.allows(complaint.state, name):
                try:
                    self._graph(complaint, spec)
                except ComplaintflowError as exc:
                    reasons.append(str(exc))
                else:  # pragma: no cover - allows() and target() read the same table
                    reasons.append(f"{name}: not allowed in {complaint.state.value}")
            elif who is None and spec.actor_required:
                reasons.append(f"actor: {name} needs an actor")
            else:
                reasons.extend(str(e) for e in self._refusals(work, spec, who, now, every=True))
            out.append(Allowed(name, not reasons, tuple(reasons)))
        return tuple(out)

    def available(self, complaint: Complaint) -> tuple[str, ...]:
        """Commands the state graph allows on ``complaint`` now (guards on input aside),
        judged as the complaint stands once the clocks are brought up to now (a breach
        that escalated the case to the executive leaves nothing to escalate)."""
        at = self._now(complaint)
        try:
            now = self._catch_up(complaint, at, [])
        except (ComplaintflowError, OverflowError):
            now = complaint
        out = []
        for command in self.engine.commands_from(complaint.state):
            spec = self._commands.get(command)
            if spec is None or (spec.blocked is not None and spec.blocked(now) is not None) or (
                    spec.blocked_at is not None and spec.blocked_at(self, now, at) is not None):
                continue
            out.append(command)
        return tuple(out)

    # -- named commands (thin wrappers over fire; a test checks them against the registry) --
    def acknowledge(self, complaint: Complaint, *, actor: Actor | str,
                    promise: datetime | None = None,
                    expected_version: int | None = None) -> Complaint:
        """Tell the customer we have it, with a committed time (default: the proposal deadline)."""
        return self.fire(complaint, "acknowledge", actor=actor, promise=promise,
                         expected_version=expected_version)

    def investigate(self, complaint: Complaint, *, actor: Actor | str, finding: Finding,
                    expected_version: int | None = None) -> Complaint:
        """Record the finding: root cause, responsible party and evidence."""
        return self.fire(complaint, "investigate", actor=actor, finding=finding,
                         expected_version=expected_version)

    def propose(self, complaint: Complaint, *, actor: Actor | str, offer: Offer | None = None,
                approved_by: Actor | str | None = None,
                expected_version: int | None = None) -> Complaint:
        """Offer a remedy; without ``offer`` the compensation ladder picks the next rung."""
        return self.fire(complaint, "propose", actor=actor, offer=offer, approved_by=approved_by,
                         expected_version=expected_version)

    def decline(self, complaint: Complaint, *, actor: Actor | str, reason: str,
                expected_version: int | None = None) -> Complaint:
        """The customer declined the offer: back to investigation; the next offer steps up."""
        return self.fire(complaint, "decline", actor=actor, reason=reason,
                         expected_version=expected_version)

    def resolve(self, complaint: Complaint, *, actor: Actor | str,
                expected_version: int | None = None) -> Complaint:
        """The customer accepted the offer and the remedy was carried out."""
        return self.fire(complaint, "resolve", actor=actor,
                         expected_version=expected_version)

    def revisit(self, complaint: Complaint, *, actor: Actor | str, satisfaction: int,
                expected_version: int | None = None) -> Complaint:
        """Record the follow-up call and the customer's satisfaction (1-5)."""
        return self.fire(complaint, "revisit", actor=actor, satisfaction=satisfaction,
                         expected_version=expected_version)

    def reopen(self, complaint: Complaint, *, actor: Actor | str, reason: str,
               expected_version: int | None = None) -> Complaint:
        """The customer is not satisfied: back to investigation; the proposal and
        resolution deadlines are planned again from now and the follow-up is cancelled.

        Allowed from resolved or revisited within the escalation policy's reopen window
        after the resolution (default 30 days); later, or once the case is archived, the
        refusal says to open a follow-up: ``receive(..., follow_up_of=complaint.id)``."""
        return self.fire(complaint, "reopen", actor=actor, reason=reason,
                         expected_version=expected_version)

    def archive(self, complaint: Complaint, *, actor: Actor | str,
                summary: str | None = None,
                expected_version: int | None = None) -> Complaint:
        """Close the case with a summary or lesson learned."""
        return self.fire(complaint, "archive", actor=actor, summary=summary,
                         expected_version=expected_version)

    def withdraw(self, complaint: Complaint, *, actor: Actor | str, reason: str,
                 expected_version: int | None = None) -> Complaint:
        """The customer withdrew the complaint."""
        return self.fire(complaint, "withdraw", actor=actor, reason=reason,
                         expected_version=expected_version)

    def reject(self, complaint: Complaint, *, actor: Actor | str, reason: str,
               evidence: Sequence[str] = (),
               expected_version: int | None = None) -> Complaint:
        """Refuse an invalid or abusive complaint, after verification: ``evidence`` names
        what the refusal rests on."""
        return self.fire(complaint, "reject", actor=actor, reason=reason, evidence=evidence,
                         expected_version=expected_version)

    def escalate(self, complaint: Complaint, *, actor: Actor | str, reason: str,
                 to: Tier | str | None = None,
                 expected_version: int | None = None) -> Complaint:
        """Raise the owning tier (one up, or ``to``); the state does not change."""
        return self.fire(complaint, "escalate", actor=actor, reason=reason, to=to,
                         expected_version=expected_version)

    def await_customer(self, complaint: Complaint, *, actor: Actor | str, reason: str,
                       expected_version: int | None = None) -> Complaint:
        """Pause the SLA clocks while we wait for the customer (the pause has its own limit)."""
        return self.fire(complaint, "await_customer", actor=actor, reason=reason,
                         expected_version=expected_version)

    def customer_replied(self, complaint: Complaint, *, actor: Actor | str,
                         expected_version: int | None = None) -> Complaint:
        """Resume the SLA clocks: open deadlines move by the paused time."""
        return self.fire(complaint, "customer_replied", actor=actor,
                         expected_version=expected_version)

    def message(self, complaint: Complaint, *, text: str, channel: str | None = None,
                actor: Actor | str | None = None,
                expected_version: int | None = None) -> Complaint:
        """Record a message from the customer on the case (resumes a paused clock). A
        resolved case takes messages within its reopen window; later, or once archived,
        the refusal says to open a follow-up instead."""
        return self.fire(complaint, "message", actor=actor, text=text, channel=channel,
                         expected_version=expected_version)

    def reclassify(self, complaint: Complaint, *, actor: Actor | str, reason: str,
                   category: str | None = None, dimension: str | None = None,
                   severity: int | None = None, scope: str | None = None,
                   expected_version: int | None = None) -> Complaint:
        """Correct the classification with a reason, by intake's rules.

        The category must be one the classifier knows (its fallback, "other", included); a
        safety category is severity 1 and owned by at least the regional head. The
        deadlines of stages still open are planned again from receipt under the new
        classification, the time already held counted in the policy's time (working time
        with a calendar); a stage already breached stays breached, and the owning tier
        never goes down.
        """
        return self.fire(complaint, "reclassify", actor=actor, reason=reason, category=category,
                         dimension=dimension, severity=severity, scope=scope,
                         expected_version=expected_version)

    def take_over(self, complaint: Complaint, *, actor: Actor | str,
                  reason: str | None = None,
                  expected_version: int | None = None) -> Complaint:
        """Become the case's one owner (a shift change, a supervisor stepping in); recorded
        as a ``taken_over`` event."""
        return self.fire(complaint, "take_over", actor=actor, reason=reason,
                         expected_version=expected_version)

    # -- personal data --------------------------------------------------------------------
    def erase(self, customer_id: str, *, actor: Actor | str, reason: str,
              published: bool = True) -> Erasure:
        """Erase a customer's personal data from the store (PIPL art. 47, GDPR art. 17).

        Every complaint of ``customer_id`` that still holds personal data is brought up to
        now (warnings and breaches recorded, as every command does), then its complaint
        and message texts, contact fields, customer attributes and the evidence quoted from
        its text are scrubbed from every stored event, and an ``erased`` event records who,
        when and why (nothing personal). The state rows and the outbox follow (pending
        items always; already published ones too unless ``published=False``), all in one
        transaction of the store. Deadlines, SLA outcomes, categories, offers and every
        report figure are unchanged. ``actor`` must be named; the authorization policy's
        :meth:`~complaintflow.policies.AuthorizationPolicy.erasure_refusal` may refuse.
        Returns an :class:`~complaintflow.Erasure` (empty when nothing was left to erase).
        When one of the complaints changed between loading and committing, the store
        raises :class:`~complaintflow.ConcurrencyError` and erases nothing: run it again
        (``complaintflow.store.retry``).
        """
        cust = check_id("customer_id", customer_id)
        who = Actor.of(actor, "actor")
        check_id("actor", who.id)
        why = check_text("reason", reason)
        if not isinstance(published, bool):
            raise ValidationError("published", "expected True or False")
        store = self.store
        if store is None:
            raise ValidationError("store", "erasure needs the workflow's store")
        refused = self.authorization.erasure_refusal(cust, who)
        if refused is not None:
            raise refused
        now = self._clock_now()
        found = store.recent(since=datetime.min.replace(tzinfo=UTC), customer_id=cust)
        erased: list[Complaint] = []
        for c in sorted(found, key=lambda c: (c.received_at, c.id)):
            if not holds_personal_data(c):
                continue
            at = max(now, c.last_event_at)
            caught: _Folded = []
            work = self._catch_up(c, at, caught) if at > c.last_event_at else c
            erased.append(erase_complaint(work, at=at, actor=who.id, reason=why,
                                          published=published))
        if not erased:
            return Erasure((), now, who.id, why, published)
        done = list(store.erase(erased, published=published))
        self._notify([(e, after) for before, after in zip(erased, done, strict=True)
                      for e in after.history[before.committed:]])
        return Erasure(tuple(c.id for c in done), now, who.id, why, published)
