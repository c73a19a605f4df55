"""The async face: :class:`AsyncWorkflow`, the same workflow awaited.

It shares every decision with :class:`~complaintflow.Workflow` by running the very same
code: a sync workflow (the *core*) built with the same policies, whose store is the async
store seen through SQLAlchemy's greenlet bridge (the mechanism its own ``AsyncSession``
uses to run the sync ORM). Each command runs in a greenlet; where the core would block
on the store (intake gathering the customer's and the item's recent complaints, loading,
committing), the greenlet awaits the async store instead, and the event loop runs other
tasks meanwhile. Deciding, checking, folding and the commit's all-or-nothing rule are
not copied: they are the sync face's.

Listeners, sync or async, are called after the commit, in event order.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar

from complaintflow._clock import Clock
from complaintflow._commands import Command
from complaintflow._complaint import Complaint
from complaintflow._engine import Engine
from complaintflow._events import Event
from complaintflow._values import Actor
from complaintflow._workflow import CHANNELS, Allowed, Workflow
from complaintflow.exceptions import ComplaintflowError, ValidationError
from complaintflow.policies.authorization import AuthorizationPolicy
from complaintflow.policies.classification import ClassificationPolicy
from complaintflow.policies.compensation import CompensationPolicy
from complaintflow.policies.duplicates import DuplicatePolicy
from complaintflow.policies.escalation import EscalationPolicy
from complaintflow.policies.risk import RiskPolicy
from complaintflow.policies.scope import ScopePolicy
from complaintflow.store._async import materialized

if TYPE_CHECKING:
    from complaintflow.store._async import AsyncStore
    from complaintflow.store._base import Store

__all__ = ["AsyncListener", "AsyncWorkflow"]

log = logging.getLogger("complaintflow")

_P = ParamSpec("_P")
_R = TypeVar("_R")
_Told = list[tuple[Event, Complaint]]

_EXTRA = "AsyncWorkflow needs greenlet (through SQLAlchemy): pip install 'complaintflow[async]'"


class AsyncListener(Protocol):
    """Called with each committed event and the complaint after it; may be ``async def``."""

    def __call__(self, event: Event, complaint: Complaint, /) -> object | Awaitable[object]: ...


def _bridge() -> tuple[Callable[..., Awaitable[Any]], Callable[[Awaitable[Any]], Any]]:
    """SQLAlchemy's ``greenlet_spawn`` and ``await_only``."""
    try:
        from sqlalchemy.util import await_only, greenlet_spawn
    except ImportError as exc:  # pragma: no cover - exercised without the extra installed
        raise ComplaintflowError(_EXTRA) from exc
    return greenlet_spawn, await_only


def _current() -> object:
    """Which command is running: its task (a greenlet runs inside the task that awaits it,
    and a task awaits one command at a time)."""
    return asyncio.current_task()


class _Awaiting:
    """An async store seen from inside the bridge: each method call awaits the store's
    coroutine (the greenlet pauses; the event loop runs on)."""

    def __init__(self, store: object, await_only: Callable[[Awaitable[Any]], Any]) -> None:
        self._store = store
        self._await = await_only

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if not callable(found):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            out = found(*args, **kwargs)
            if hasattr(out, "__aenter__") and hasattr(out, "__aexit__"):
                return _AwaitingBlock(out, self._await)  # ``async with store.batch()``
            return self._await(out) if inspect.isawaitable(out) else out

        return call


class _AwaitingBlock:
    """An async context manager of the store (its ``batch()``) seen from inside the bridge
    as a plain one: entering and leaving await it."""

    def __init__(self, block: Any, await_only: Callable[[Awaitable[Any]], Any]) -> None:
        self._block = block
        self._await = await_only

    def __enter__(self) -> Any:
        return self._await(self._block.__aenter__())

    def __exit__(self, *exc: Any) -> Any:
        return self._await(self._block.__aexit__(*exc))


class _Core(Workflow):
    """The sync workflow an :class:`AsyncWorkflow` runs. What it would tell listeners is
    kept per command (by the task awaiting it) for the async face to deliver after the
    commit."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._told: dict[object, _Told] = {}

    def _notify(self, folded: Sequence[tuple[Event, Complaint]]) -> None:
        told = self._told.get(_current())
        if told is not None:
            told.extend(folded)


def _awaited(method: Callable[Concatenate[Workflow, _P], _R]
             ) -> Callable[Concatenate[AsyncWorkflow, _P], Coroutine[Any, Any, _R]]:
    """The sync method ``method``, awaited: same arguments, same result, same errors."""
    name = method.__name__

    @functools.wraps(method)
    async def run(self: AsyncWorkflow, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        out: _R = await self._run(getattr(self._core, name), *args, **kwargs)
        return out

    return run


class AsyncWorkflow:
    """:class:`~complaintflow.Workflow` for async code: ``await wf.receive(...)``,
    ``await wf.acknowledge(c, actor=...)`` and every other command, ``await wf.fire(...)``,
    ``await wf.tick(c)``; :meth:`allowed` and :meth:`available` stay plain calls (they do
    no I/O).

    The keyword arguments are the sync workflow's, with ``store`` an async store
    (:class:`~complaintflow.store.AsyncSQLStore`,
    :class:`~complaintflow.store.AsyncSQLiteStore`,
    :class:`~complaintflow.store.AsyncMemoryStore` or any object with the
    :class:`~complaintflow.store.AsyncStore` methods). Every decision is the sync face's:
    the two faces on one database behave as one. Listeners may be plain functions or
    ``async def``; they are called (awaited) after each command's commit, in event
    order, and a listener that fails is logged and does not undo the command.
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
        store: AsyncStore | None = None,
        channels: Iterable[str] = CHANNELS,
        ids: Callable[[], str] | None = None,
        listeners: Iterable[AsyncListener] = (),
        engine: Engine | None = None,
        commands: Iterable[Command] = (),
        authorization: AuthorizationPolicy | None = None,
        market: str | None = None,
    ) -> None:
        self._spawn, self._await_only = _bridge()
        self._core = _Core(
            clock=clock, classifier=classifier, escalation=escalation,
            compensation=compensation, risk=risk, scope=scope, duplicates=duplicates,
            channels=channels, ids=ids, engine=engine, commands=commands,
            authorization=authorization, market=market,
        )
        self.store = store
        self._bound = store is None
        self._binding: asyncio.Lock | None = None
        self._listeners: list[AsyncListener] = []
        for listener in listeners:
            self.subscribe(listener)

    def __repr__(self) -> str:
        return f"AsyncWorkflow(store={self.store!r})"

    # -- what the sync face decides, read directly ------------------------------------------
    @property
    def clock(self) -> Clock:
        """The workflow's clock."""
        return self._core.clock

    @property
    def workflow(self) -> Workflow:
        """The sync workflow holding this face's policies (read its ``classifier``,
        ``escalation``, ``engine`` ...). Its store is the async store as seen from inside
        this face's commands: use the async face to run commands."""
        return self._core

    @property
    def commands(self) -> Mapping[str, Command]:
        """Every command this workflow runs, by name (built-in and registered)."""
        return self._core.commands

    def register(self, command: Command) -> Command:
        """Add an integrator's own command: ``await wf.fire(c, command.name, ...)`` runs it."""
        return self._core.register(command)

    def allowed(self, complaint: Complaint, actor: Actor | str | None) -> tuple[Allowed, ...]:
        """Every command, allowed or blocked for ``actor`` now, with the reasons
        (:meth:`Workflow.allowed`; no I/O, so not awaited)."""
        return self._core.allowed(complaint, actor)

    def available(self, complaint: Complaint) -> tuple[str, ...]:
        """Commands the state graph allows on ``complaint`` now (:meth:`Workflow.available`)."""
        return self._core.available(complaint)

    # -- listeners ----------------------------------------------------------------------------
    def subscribe(self, callback: AsyncListener) -> Callable[[], None]:
        """Call (or await, for ``async def``) ``callback(event, complaint)`` after every
        committed event; returns an unsubscribe."""
        if not callable(callback):
            raise ValidationError("callback", "expected a callable")
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    async def _tell(self, told: _Told) -> None:
        for event, complaint in told:
            for listener in tuple(self._listeners):
                try:
                    out = listener(event, complaint)
                    if inspect.isawaitable(out):
                        await out
                except Exception:
                    log.exception("listener %r failed on %s of %s", listener, event.name,
                                  complaint.id)

    # -- running the sync face's code ---------------------------------------------------------
    async def _bind(self) -> None:
        """Give the core the store as it is seen from inside the bridge (opening it)."""
        if self._binding is None:
            self._binding = asyncio.Lock()
        async with self._binding:
            if self._bound:
                return
            hook = getattr(self.store, "_greenlet_store", None)
            sync: Store | None = await hook() if hook is not None else None
            self._core.store = sync if sync is not None else _Awaiting(
                self.store, self._await_only)
            self._bound = True

    async def _run(self, fn: Callable[..., _R], /, *args: Any, **kwargs: Any) -> _R:
        if not self._bound:
            await self._bind()
        told: _Told = []
        core = self._core

        def call() -> _R:
            me = _current()
            core._told[me] = told
            try:
                # a complaint's older events read now, inside the bridge, not later
                return materialized(fn(*args, **kwargs))  # type: ignore[no-any-return]
            finally:
                del core._told[me]

        try:
            out: _R = await self._spawn(call)
        finally:
            # what was committed is told, even when a later step of the call failed
            if told:
                await self._tell(told)
        return out

    # -- the commands: the sync methods, awaited ----------------------------------------------
    async def fire(self, complaint: Complaint, command: str, *, actor: Actor | str | None = None,
                   expected_version: int | None = None, **data: Any) -> Complaint:
        """Run ``command`` by name (:meth:`Workflow.fire`, awaited):
        ``await wf.fire(c, "acknowledge", actor="agent-7")``."""
        out: Complaint = await self._run(self._core.fire, complaint, command, actor=actor,
                                         expected_version=expected_version, **data)
        return out

    receive = _awaited(Workflow.receive)
    tick = _awaited(Workflow.tick)
    acknowledge = _awaited(Workflow.acknowledge)
    investigate = _awaited(Workflow.investigate)
    propose = _awaited(Workflow.propose)
    decline = _awaited(Workflow.decline)
    resolve = _awaited(Workflow.resolve)
    revisit = _awaited(Workflow.revisit)
    reopen = _awaited(Workflow.reopen)
    archive = _awaited(Workflow.archive)
    withdraw = _awaited(Workflow.withdraw)
    reject = _awaited(Workflow.reject)
    escalate = _awaited(Workflow.escalate)
    await_customer = _awaited(Workflow.await_customer)
    customer_replied = _awaited(Workflow.customer_replied)
    message = _awaited(Workflow.message)
    reclassify = _awaited(Workflow.reclassify)
    take_over = _awaited(Workflow.take_over)
    erase = _awaited(Workflow.erase)
