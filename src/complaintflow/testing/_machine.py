"""``WorkflowMachine``: a Hypothesis rule-based state machine over a whole workflow."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, Final

import attrs

from complaintflow.testing._guard import require_hypothesis

require_hypothesis()

from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import (  # noqa: E402
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from complaintflow._clock import FrozenClock  # noqa: E402
from complaintflow._commands import COMMANDS  # noqa: E402
from complaintflow._complaint import Complaint  # noqa: E402
from complaintflow._erasure import holds_personal_data  # noqa: E402
from complaintflow._events import Event  # noqa: E402
from complaintflow._markets import MARKET_CURRENCIES, check_market, market_currency  # noqa: E402
from complaintflow._values import Actor, Finding, Money, Offer, State, Tier  # noqa: E402
from complaintflow._workflow import CHANNELS, Workflow  # noqa: E402
from complaintflow.exceptions import ComplaintflowError  # noqa: E402
from complaintflow.testing import invariants as inv  # noqa: E402
from complaintflow.testing.strategies import (  # noqa: E402
    Command,
    actors,
    commands,
    customers,
    findings,
    offers,
    texts,
)

__all__ = ["DEFAULT_SETTINGS", "WorkflowMachine", "workflow_machine"]

#: What every ``WorkflowMachine`` class runs with unless given other settings: a CI can
#: afford it (a few seconds per machine with the default policies). Override it with
#: ``@settings(...)`` on your subclass or ``MyMachine.TestCase.settings = settings(...)``.
#: A failing run stops at the first promise broken and shrinks that one failure.
DEFAULT_SETTINGS: Final = settings(
    max_examples=50,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=(HealthCheck.too_slow, HealthCheck.filter_too_much),
    report_multiple_bugs=False,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
)

_REASONS: Final = st.sampled_from(("customer asked for photos", "顧客不滿意", "wrong size again"))
_STEPS: Final = st.sampled_from((timedelta(minutes=10), timedelta(minutes=50), timedelta(hours=3),
                                 timedelta(hours=20), timedelta(days=3)))
_PICK: Final = st.integers(min_value=0, max_value=15)
#: Actors of every tier from a small desk, so owners recur and others take cases over.
_ACTORS: Final = actors(ids=st.sampled_from(("agent-1", "agent-2", "sup-1", "head-1", "exec-1")))
_STRETCH: Final = st.one_of(st.none(), st.sampled_from(
    (Decimal("-0.01"), Decimal(0), Decimal("0.01"), Decimal(1000))))
#: The main road: the command that moves a complaint one state on.
_ROAD: Final = {
    State.RECEIVED: "acknowledge",
    State.ACKNOWLEDGED: "investigate",
    State.INVESTIGATED: "propose",
    State.PROPOSED: "resolve",
    State.RESOLVED: "revisit",
    State.REVISITED: "archive",
}


def _can(command: str) -> Callable[[WorkflowMachine], bool]:
    def allowed(self: WorkflowMachine) -> bool:
        return bool(self._allowing(command))

    allowed.__name__ = f"some_complaint_allows_{command}"
    return allowed


class WorkflowMachine(RuleBasedStateMachine):
    """Random command sequences on a workflow, checking every promise of the lifecycle.

    Override :meth:`make_workflow` to test your own policies, and add your own
    ``@invariant()`` methods; they see :attr:`workflow`, :attr:`clock`,
    :attr:`complaints` (every complaint by id, as the last command returned it) and
    :attr:`changed` (those the last step changed). Run it with
    ``TestMyWorkflow = MyMachine.TestCase`` under pytest or unittest.

    Every rule that runs a command checks the step (legal edge, append-only history,
    tier not lowered, a refusal changes nothing); the ``lifecycle_promises`` invariant
    checks every complaint the step changed, through :meth:`check`. A broken promise raises
    :class:`~complaintflow.testing.invariants.InvariantViolation` naming it (a key of
    :data:`~complaintflow.testing.invariants.INVARIANTS`).

    Each subclass runs with :data:`DEFAULT_SETTINGS` unless given its own.
    """

    #: Where the machine's clock starts.
    start: ClassVar[datetime] = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)
    #: How many complaints one run receives at most (few, so each goes a long way).
    max_complaints: ClassVar[int] = 3
    #: The markets complaints are received in (``receive(..., market=...)``). ``None``: the
    #: workflow's own market, and every other known market in whose currency the
    #: workflow's compensation policy gives the front line a limit (so money in several
    #: currencies meets one workflow).
    markets: ClassVar[tuple[str, ...] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.TestCase.settings = DEFAULT_SETTINGS

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock(self.start)
        self.workflow = self.make_workflow(self.clock)
        self.complaints: dict[str, Complaint] = {}
        self.changed: dict[str, Complaint] = {}
        self.published: list[Event] = []
        #: The workflow's currency: that of its authority limits (CNY if it has none).
        self.currency = next((lim.currency for t in Tier
                              if (lim := self.workflow.compensation.limit(t)) is not None),
                             "CNY")
        self.workflow.subscribe(self._published)
        #: The markets this run receives complaints in (see :attr:`markets`).
        self.market_codes = self._markets()

    def make_workflow(self, clock: FrozenClock) -> Workflow:
        """The workflow under test, built on ``clock`` (default policies, memory store)."""
        from complaintflow.store import MemoryStore

        return Workflow(clock=clock, store=MemoryStore())

    # -- plumbing -----------------------------------------------------------------------------
    def _markets(self) -> tuple[str, ...]:
        if self.markets is not None:
            return tuple(check_market(m) for m in self.markets) or (self.workflow.market,)
        policy = self.workflow.compensation
        found = [self.workflow.market]
        for code in MARKET_CURRENCIES:
            if code in found:
                continue
            try:
                policy.limit_in(Tier.FRONT_LINE, market_currency(code))
            except ComplaintflowError:
                continue
            found.append(code)
        return tuple(found)

    def _published(self, event: Event, complaint: Complaint) -> None:
        self.published.append(event)

    def _allowing(self, command: str) -> list[Complaint]:
        engine = self.workflow.engine
        return [c for c in self.complaints.values() if engine.allows(c.state, command)]

    def _pick(self, pick: int, among: list[Complaint] | None = None) -> Complaint:
        pool = list(self.complaints.values()) if among is None else among
        return pool[pick % len(pool)]

    def _stretched(self, complaint: Complaint, actor: Actor, offer: Offer | None,
                   stretch: Decimal | None) -> Offer | None:
        """``offer``, or with ``stretch`` the ladder's next offer with its goodwill set to
        the actor's limit plus ``stretch``: the edge of the actor's authority."""
        policy = self.workflow.compensation
        currency = market_currency(complaint.market)
        try:
            limit = policy.limit_in(actor.tier, currency)
        except ComplaintflowError:  # no limit in this currency: the command will say so
            limit = None
        if stretch is None or limit is None or limit.amount + stretch < 0:
            return None if offer is None else self._at_home(offer, currency)
        try:
            base = policy.fit_authority(complaint, policy.next_offer(complaint), actor.tier)
        except ComplaintflowError:
            return None if offer is None else self._at_home(offer, currency)
        if base.currency != limit.currency and base.total:
            return None if offer is None else self._at_home(offer, currency)
        return attrs.evolve(
            base, goodwill=Money(limit.amount + stretch, limit.currency),
            statutory=Money(base.statutory.amount, limit.currency),
            remedy_value=Money(base.remedy_value.amount, limit.currency))

    def _at_home(self, offer: Offer, currency: str | None = None) -> Offer:
        """``offer`` with its amounts in ``currency`` (a complaint's; by default the
        workflow's)."""
        cur = currency if currency is not None else self.currency
        if offer.currency == cur:
            return offer
        return attrs.evolve(offer, goodwill=Money(offer.goodwill.amount, cur),
                            statutory=Money(offer.statutory.amount, cur),
                            remedy_value=Money(offer.remedy_value.amount, cur))

    def _keep(self, complaint: Complaint) -> None:
        self.complaints[complaint.id] = complaint
        self.changed[complaint.id] = complaint

    def _run(self, before: Complaint, command: str, kwargs: Mapping[str, Any],
             *, refused_only: bool = False, generic: bool = False) -> Complaint | None:
        """Run ``command`` on ``before`` and check the step; ``None`` when refused.

        The workflow's named method runs the command (``workflow.acknowledge(...)``), or
        with ``generic`` the generic ``workflow.fire(complaint, name, ...)``."""
        self.changed = {}
        snapshot = before.to_dict()
        published = len(self.published)
        screen = self._screen(before, command, kwargs)
        try:
            if generic:
                after = self.workflow.fire(before, command, **kwargs)
            else:
                after = getattr(self.workflow, command)(before, **kwargs)
        except ComplaintflowError as exc:
            inv.check_failed_command_changed_nothing(
                before, snapshot, workflow=self.workflow,
                published=len(self.published) - published)
            if not refused_only:
                inv.check_refusal(command, exc, complaint=before, arguments=kwargs)
                inv.check_allowed_agrees(command, screen, exc, complaint=before)
            return None
        except Exception as exc:
            raise inv.InvariantViolation(
                "bad_input_refused",
                f"{command} with {dict(kwargs)!r} raised {type(exc).__name__} ({exc}) instead "
                "of refusing with a ComplaintflowError", complaint=before) from exc
        if refused_only:
            raise inv.InvariantViolation(
                "bad_input_refused", f"{command} accepted bad input {dict(kwargs)!r}",
                complaint=after)
        if after.version > before.version:  # it recorded something: it ran
            inv.check_allowed_agrees(command, screen, None, complaint=after)
        inv.check_step(before, after, command, workflow=self.workflow)
        self._keep(after)
        return after

    def _screen(self, before: Complaint, command: str, kwargs: Mapping[str, Any]) -> Any:
        """What ``workflow.allowed()`` says of ``command`` for the actor just before it runs
        (``None`` when the actor itself is bad input)."""
        actor = kwargs.get("actor")
        if actor is not None and not isinstance(actor, Actor | str):
            return None
        try:
            screen = self.workflow.allowed(before, actor)
        except ComplaintflowError:
            return None
        return next((a for a in screen if a.command == command), None)

    # -- intake -------------------------------------------------------------------------------
    @precondition(lambda self: len(self.complaints) < self.max_complaints)
    @rule(text=texts(), channel=st.sampled_from(CHANNELS), customer=st.integers(1, 4),
          order=st.sampled_from((None, "O-1", "O-2")),
          amount=st.one_of(st.none(), st.decimals(0, 5_000, places=2)),
          attributes=customers(), market=st.integers(0, 7))
    def receive(self, text: str, channel: str, customer: int, order: str | None,
                amount: Decimal | None, *, attributes: dict[str, str] | None = None,
                market: int = 0) -> None:
        self.changed = {}
        known = dict(self.complaints)
        code = self.market_codes[market % len(self.market_codes)]
        # the workflow's own market is not named, so a receive() without markets still runs
        where: dict[str, Any] = {} if code == self.workflow.market else {"market": code}
        currency = market_currency(code) if where else self.currency
        try:
            c = self.workflow.receive(text, customer_id=f"C-{customer}", channel=channel,
                                      order_id=order, customer=attributes,
                                      amount=None if amount is None else Money(amount, currency),
                                      **where)
        except ComplaintflowError as exc:
            inv.check_refusal("receive", exc)
            return
        except Exception as exc:
            raise inv.InvariantViolation(
                "bad_input_refused", f"receive raised {type(exc).__name__} ({exc}) instead of "
                "refusing with a ComplaintflowError") from exc
        if c.id in known:  # a duplicate on a second channel, merged into its case
            inv.check_step(known[c.id], c, "message", workflow=self.workflow)
        self._keep(c)

    # -- one rule per command -----------------------------------------------------------------
    @precondition(_can("acknowledge"))
    @rule(pick=_PICK, actor=_ACTORS, promise_in=st.sampled_from(
        (None, timedelta(hours=1), timedelta(hours=30))))
    def acknowledge(self, pick: int, actor: Actor, promise_in: timedelta | None) -> None:
        promise = None if promise_in is None else self.clock.now() + promise_in
        self._run(self._pick(pick, self._allowing("acknowledge")), "acknowledge",
                  {"actor": actor, "promise": promise})

    @precondition(_can("investigate"))
    @rule(pick=_PICK, actor=_ACTORS, finding=findings())
    def investigate(self, pick: int, actor: Actor, finding: Finding) -> None:
        self._run(self._pick(pick, self._allowing("investigate")), "investigate",
                  {"actor": actor, "finding": finding})

    @precondition(_can("propose"))
    @rule(pick=_PICK, actor=_ACTORS, offer=st.one_of(st.none(), offers()),
          approved_by=st.one_of(st.none(), _ACTORS), stretch=_STRETCH)
    def propose(self, pick: int, actor: Actor, offer: Offer | None,
                approved_by: Actor | None, stretch: Decimal | None) -> None:
        """Propose the ladder's next offer, or ``offer``; with ``stretch`` its goodwill is
        set to the actor's limit plus ``stretch`` (the edge of their authority)."""
        c = self._pick(pick, self._allowing("propose"))
        self._run(c, "propose",
                  {"actor": actor, "offer": self._stretched(c, actor, offer, stretch),
                   "approved_by": approved_by})

    @precondition(_can("decline"))
    @rule(pick=_PICK, actor=_ACTORS, reason=_REASONS)
    def decline(self, pick: int, actor: Actor, reason: str) -> None:
        self._run(self._pick(pick, self._allowing("decline")), "decline",
                  {"actor": actor, "reason": reason})

    @precondition(_can("resolve"))
    @rule(pick=_PICK, actor=_ACTORS)
    def resolve(self, pick: int, actor: Actor) -> None:
        self._run(self._pick(pick, self._allowing("resolve")), "resolve", {"actor": actor})

    @precondition(_can("revisit"))
    @rule(pick=_PICK, actor=_ACTORS, satisfaction=st.integers(1, 5))
    def revisit(self, pick: int, actor: Actor, satisfaction: int) -> None:
        self._run(self._pick(pick, self._allowing("revisit")), "revisit",
                  {"actor": actor, "satisfaction": satisfaction})

    @precondition(_can("reopen"))
    @rule(pick=_PICK, actor=_ACTORS, reason=_REASONS)
    def reopen(self, pick: int, actor: Actor, reason: str) -> None:
        self._run(self._pick(pick, self._allowing("reopen")), "reopen",
                  {"actor": actor, "reason": reason})

    @precondition(_can("archive"))
    @rule(pick=_PICK, actor=_ACTORS, summary=st.sampled_from((None, "dye defect in batch B7")))
    def archive(self, pick: int, actor: Actor, summary: str | None) -> None:
        self._run(self._pick(pick, self._allowing("archive")), "archive",
                  {"actor": actor, "summary": summary})

    @precondition(_can("withdraw"))
    @rule(pick=_PICK, actor=_ACTORS, reason=_REASONS)
    def withdraw(self, pick: int, actor: Actor, reason: str) -> None:
        self._run(self._pick(pick, self._allowing("withdraw")), "withdraw",
                  {"actor": actor, "reason": reason})

    @precondition(_can("reject"))
    @rule(pick=_PICK, actor=_ACTORS, reason=_REASONS,
          evidence=st.sampled_from(((), ("purchase records",))))
    def reject(self, pick: int, actor: Actor, reason: str, evidence: tuple[str, ...]) -> None:
        self._run(self._pick(pick, self._allowing("reject")), "reject",
                  {"actor": actor, "reason": reason, "evidence": evidence})

    @precondition(_can("take_over"))
    @rule(pick=_PICK, actor=_ACTORS, reason=st.one_of(st.none(), _REASONS))
    def take_over(self, pick: int, actor: Actor, reason: str | None) -> None:
        self._run(self._pick(pick, self._allowing("take_over")), "take_over",
                  {"actor": actor, "reason": reason})

    @precondition(_can("escalate"))
    @rule(pick=_PICK, actor=_ACTORS, reason=_REASONS,
          to=st.one_of(st.none(), st.sampled_from(Tier)))
    def escalate(self, pick: int, actor: Actor, reason: str, to: Tier | None) -> None:
        self._run(self._pick(pick, self._allowing("escalate")), "escalate",
                  {"actor": actor, "reason": reason, "to": to})

    @precondition(_can("await_customer"))
    @rule(pick=_PICK, actor=_ACTORS, reason=_REASONS)
    def await_customer(self, pick: int, actor: Actor, reason: str) -> None:
        self._run(self._pick(pick, self._allowing("await_customer")), "await_customer",
                  {"actor": actor, "reason": reason})

    @precondition(_can("customer_replied"))
    @rule(pick=_PICK, actor=_ACTORS)
    def customer_replied(self, pick: int, actor: Actor) -> None:
        self._run(self._pick(pick, self._allowing("customer_replied")), "customer_replied",
                  {"actor": actor})

    @precondition(_can("message"))
    @rule(pick=_PICK, text=texts(), channel=st.sampled_from((None, "wechat", "hotline")))
    def message(self, pick: int, text: str, channel: str | None) -> None:
        self._run(self._pick(pick, self._allowing("message")), "message",
                  {"text": text, "channel": channel})

    @precondition(lambda self: any(c.state in _ROAD for c in self.complaints.values()))
    @rule(pick=_PICK, hops=st.integers(1, 5), actor=_ACTORS, finding=findings(),
          mood=st.integers(1, 5), offer=st.one_of(st.none(), offers()), stretch=_STRETCH,
          approved_by=st.one_of(st.none(), _ACTORS))
    def forward(self, *, pick: int, hops: int, actor: Actor, finding: Finding, mood: int,
                offer: Offer | None, stretch: Decimal | None, approved_by: Actor | None) -> None:
        """Take up to ``hops`` steps along the main road (received … archived); a customer
        in a bad ``mood`` (1 or 2) declines offers and reopens after the follow-up. The
        proposal is the ladder's, or ``offer`` (see :meth:`propose`)."""
        c: Complaint | None = self._pick(
            pick, [c for c in self.complaints.values() if c.state in _ROAD])
        changed: dict[str, Complaint] = {}
        for _ in range(hops):
            if c is None or c.state not in _ROAD:
                break
            command = _ROAD[c.state]
            kwargs: dict[str, Any] = {"actor": actor}
            if command == "acknowledge":
                kwargs["promise"] = self.clock.now() + timedelta(hours=4)
            elif command == "investigate":
                kwargs["finding"] = finding
            elif command == "propose":
                kwargs["offer"] = self._stretched(c, actor, offer, stretch)
                kwargs["approved_by"] = approved_by
            elif command == "revisit":
                kwargs["satisfaction"] = mood
            elif command == "resolve" and mood <= 2:
                command, kwargs["reason"] = "decline", "not enough"
            elif command == "archive" and mood <= 2:
                command, kwargs["reason"] = "reopen", "still fading"
            c = self._run(c, command, kwargs)
            changed.update(self.changed)
            if c is not None:
                inv.check_complaint(c, workflow=self.workflow)
        self.changed = changed

    @precondition(_can("reclassify"))
    @rule(pick=_PICK, actor=_ACTORS, reason=_REASONS,
          severity=st.sampled_from((None, 1, 2, 3)),
          scope=st.sampled_from((None, "point", "line", "plane")))
    def reclassify(self, pick: int, actor: Actor, reason: str, severity: int | None,
                   scope: str | None) -> None:
        self._run(self._pick(pick, self._allowing("reclassify")), "reclassify",
                  {"actor": actor, "reason": reason, "severity": severity, "scope": scope})

    # -- an integrator's own commands (registered beyond the built-in ones) -------------------
    def _own_commands(self) -> list[str]:
        """Commands the workflow's registry holds beyond the built-in ones that need no
        argument the machine could not invent."""
        return [n for n, c in self.workflow.commands.items()
                if n not in COMMANDS and not any(a.required for a in c.arguments)]

    @precondition(lambda self: bool(self.complaints) and bool(self._own_commands()))
    @rule(pick=_PICK, which=_PICK, actor=_ACTORS)
    def own_command(self, pick: int, which: int, actor: Actor) -> None:
        """Run one of the workflow's own commands (from its registry) on any complaint:
        refused cleanly or a legal step."""
        names = self._own_commands()
        self._run(self._pick(pick), names[which % len(names)], {"actor": actor}, generic=True)

    # -- anything, anywhere: refused cleanly or a legal step ------------------------------------
    @precondition(lambda self: bool(self.complaints))
    @rule(pick=_PICK, command=commands())
    def any_command(self, pick: int, command: Command) -> None:
        self._run(self._pick(pick), command.name, command.kwargs, generic=True)

    @precondition(lambda self: bool(self.complaints))
    @rule(pick=_PICK, command=commands(invalid=True))
    def bad_input(self, pick: int, command: Command) -> None:
        self._run(self._pick(pick), command.name, command.kwargs, refused_only=True,
                  generic=True)

    @precondition(lambda self: bool(self.complaints))
    @rule(pick=_PICK, name=st.sampled_from(("teleport", "Acknowledge", "")))
    def unknown_command(self, pick: int, name: str) -> None:
        self._run(self._pick(pick), name, {"actor": "agent-1"}, refused_only=True,
                  generic=True)

    # -- personal data ------------------------------------------------------------------------
    @precondition(lambda self: bool(self.complaints) and self.workflow.store is not None)
    @rule(customer=st.integers(1, 4), actor=st.sampled_from(("dpo-1", "agent-1")),
          published=st.booleans())
    def erase(self, customer: int, actor: str, published: bool) -> None:
        """Erase a customer's personal data (``Workflow.erase``): their complaints keep
        their record and lose every personal datum; nobody else's complaint changes."""
        self.changed = {}
        store = self.workflow.store
        assert store is not None
        customer_id = f"C-{customer}"
        mine = {i: c for i, c in self.complaints.items() if c.customer_id == customer_id}
        try:
            done = self.workflow.erase(customer_id, actor=actor, reason="customer request",
                                       published=published)
        except ComplaintflowError as exc:
            inv.check_refusal("erase", exc)
            for c in self.complaints.values():
                inv.check_store_matches(c, workflow=self.workflow)
            return
        except Exception as exc:
            raise inv.InvariantViolation(
                "bad_input_refused", f"erase raised {type(exc).__name__} ({exc}) instead of "
                "refusing with a ComplaintflowError") from exc
        held = {i for i, c in mine.items() if holds_personal_data(c)}
        if set(done.complaint_ids) != held:
            raise inv.InvariantViolation(
                "erasure_complete", f"erase named {sorted(done.complaint_ids)}, but the "
                f"complaints of {customer_id} holding personal data were {sorted(held)}")
        for i in held:
            after = store.get(i)
            inv.check_erasure(mine[i], after, workflow=self.workflow)
            self._keep(after)
        for i, c in self.complaints.items():
            if i not in held:  # untouched: what the last command returned is still stored
                inv.check_store_matches(c, workflow=self.workflow)

    # -- time ---------------------------------------------------------------------------------
    @rule(step=_STEPS)
    def advance_clock(self, step: timedelta) -> None:
        self.changed = {}
        self.clock.advance(step)

    @precondition(lambda self: bool(self.complaints))
    @rule(step=_STEPS)
    def time_passes(self, step: timedelta) -> None:
        """Advance the clock and tick every complaint, as a scheduler's sweep would."""
        self.clock.advance(step)
        changed: dict[str, Complaint] = {}
        for c in list(self.complaints.values()):
            self._run(c, "tick", {})
            changed.update(self.changed)
        self.changed = changed

    @precondition(lambda self: bool(self.complaints))
    @rule(pick=_PICK, ahead=st.sampled_from((None, timedelta(0), timedelta(hours=2))))
    def tick(self, pick: int, ahead: timedelta | None) -> None:
        now = None if ahead is None else self.clock.now() + ahead
        self._run(self._pick(pick), "tick", {"now": now})

    # -- invariants ---------------------------------------------------------------------------
    def check(self, complaint: Complaint) -> None:
        """Check one complaint the last step changed against every promise (in a fixed
        order, most specific first); extend it to add checks on each changed complaint."""
        inv.check_complaint(complaint, workflow=self.workflow)

    @invariant()
    def lifecycle_promises(self) -> None:
        """Every promise of :data:`~complaintflow.testing.invariants.INVARIANTS`, on every
        complaint the last step changed; a failure names the promise broken."""
        for complaint in self.changed.values():
            self.check(complaint)


WorkflowMachine.TestCase.settings = DEFAULT_SETTINGS


def workflow_machine(factory: Callable[[FrozenClock], Workflow], *,
                     name: str | None = None) -> type[WorkflowMachine]:
    """A :class:`WorkflowMachine` subclass whose workflow is ``factory(clock)``.

    >>> import complaintflow as cf
    >>> from complaintflow.testing import workflow_machine
    >>> Machine = workflow_machine(lambda clock: cf.Workflow(clock=clock))
    >>> TestMyWorkflow = Machine.TestCase
    """
    if not callable(factory):
        raise TypeError(f"factory must be a callable taking the clock, got {factory!r}")

    def make_workflow(self: WorkflowMachine, clock: FrozenClock) -> Workflow:
        return factory(clock)

    cls_name = name or f"WorkflowMachine_{getattr(factory, '__name__', 'factory')}"
    cls_name = cls_name.replace("<", "").replace(">", "")
    return type(cls_name, (WorkflowMachine,), {
        "make_workflow": make_workflow, "__doc__": f"WorkflowMachine over {factory!r}.",
        "__module__": getattr(factory, "__module__", __name__),
    })
