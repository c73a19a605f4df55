"""Backtesting policies: the stored complaints' inputs replayed under other policies."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from complaintflow._clock import FrozenClock
from complaintflow._commands import COMMANDS, Command
from complaintflow._complaint import Complaint
from complaintflow._events import Event
from complaintflow._values import STAGES, Actor, Finding, Offer, Tier
from complaintflow._workflow import CATCH_UP_EVENTS, Workflow
from complaintflow.exceptions import ComplaintflowError, ValidationError
from complaintflow.policies.authorization import OpenAuthorization
from complaintflow.reports._database import Database, open_database
from complaintflow.store import MemoryStore
from complaintflow.store._base import event_from_row, replay_rows

__all__ = ["Backtest", "Side", "backtest"]

_STAGES: Final = tuple(s.value for s in STAGES)
_BY_EVENT: Final[Mapping[str, Command]] = {c.event: c for c in COMMANDS.values()}
_PAGE: Final = 500


def _money_map(values: Mapping[str, Decimal]) -> dict[str, str]:
    return {k: str(v) for k, v in sorted(values.items())}


@attrs.frozen
class Side:
    """The figures of one side of a backtest: what happened, or what the replay did."""

    #: stage → outcome ("met_on_time", "met_late", "open_breached", "open") → complaints
    sla: Mapping[str, Mapping[str, int]]
    escalations: int
    #: owner tier → complaints
    tiers: Mapping[str, int]
    #: "rung N" (the ladder's offers) or "agent's offer" → currency → spend
    spend_by_rung: Mapping[str, Mapping[str, Decimal]]
    #: owner tier → currency → spend
    spend_by_tier: Mapping[str, Mapping[str, Decimal]]
    #: currency → spend
    spend: Mapping[str, Decimal]

    def to_json(self) -> dict[str, Any]:
        return {
            "sla": {k: dict(v) for k, v in self.sla.items()},
            "escalations": self.escalations,
            "tiers": dict(self.tiers),
            "spend_by_rung": {k: _money_map(v) for k, v in self.spend_by_rung.items()},
            "spend_by_tier": {k: _money_map(v) for k, v in self.spend_by_tier.items()},
            "spend": _money_map(self.spend),
        }


@attrs.frozen
class Backtest:
    """What happened and what the other policies would have done, side by side."""

    complaints: int
    actual: Side
    replayed: Side
    #: why a replay stopped early (a command the other policies refuse) → complaints
    diverged: Mapping[str, int]
    #: the complaints whose outcome changes most: id, spend and escalations before and
    #: after, owner tier before and after, the stages whose SLA outcome changes
    changes: tuple[Mapping[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        return {"complaints": self.complaints, "actual": self.actual.to_json(),
                "replayed": self.replayed.to_json(), "diverged": dict(self.diverged),
                "changes": [dict(c) for c in self.changes]}


# -- one complaint's figures -------------------------------------------------------------------
@attrs.frozen
class _Outcome:
    sla: Mapping[str, str]
    escalations: int
    tier: str
    spend: tuple[tuple[str, str, Decimal], ...]  # (rung, currency, amount) per accepted offer

    def total(self) -> Decimal:
        return sum((a for _, _, a in self.spend), Decimal(0))


def _outcome(c: Complaint) -> _Outcome:
    names = [e.name for e in c.history]
    breached = {e.data.get("stage") for e in c.history if e.name == "sla_breached"}
    sla = {}
    for stage in _STAGES:
        entered = stage in names
        if entered:
            sla[stage] = "met_late" if stage in breached else "met_on_time"
        elif stage in breached:
            sla[stage] = "open_breached"
        elif c.is_open:
            sla[stage] = "open"
    spend = []
    offer: tuple[str, Offer] | None = None
    for e in c.history:
        if e.name == "proposed":
            rung = (f"rung {int(e.data.get('rung', 0)) + 1}" if e.data.get("automatic")
                    else "agent's offer")
            offer = (rung, Offer.from_dict(e.data["offer"]))
        elif e.name == "resolved" and offer is not None:
            paid = offer[1].total
            spend.append((offer[0], paid.currency, paid.amount))
    return _Outcome(sla=sla, escalations=names.count("escalated"), tier=c.tier.label,
                    spend=tuple(spend))


class _Tally:
    def __init__(self) -> None:
        self.sla = {s: Counter[str]() for s in _STAGES}
        self.escalations = 0
        self.tiers: Counter[str] = Counter()
        self.by_rung: dict[str, dict[str, Decimal]] = {}
        self.by_tier: dict[str, dict[str, Decimal]] = {}
        self.spend: dict[str, Decimal] = {}

    def add(self, o: _Outcome) -> None:
        for stage, result in o.sla.items():
            self.sla[stage][result] += 1
        self.escalations += o.escalations
        self.tiers[o.tier] += 1
        for rung, currency, amount in o.spend:
            for table, key in ((self.by_rung, rung), (self.by_tier, o.tier)):
                row = table.setdefault(key, {})
                row[currency] = row.get(currency, Decimal(0)) + amount
            self.spend[currency] = self.spend.get(currency, Decimal(0)) + amount

    def side(self) -> Side:
        keys = ("met_on_time", "met_late", "open_breached", "open")
        return Side(
            sla={s: {k: c[k] for k in keys} for s, c in self.sla.items()},
            escalations=self.escalations, tiers=dict(sorted(self.tiers.items())),
            spend_by_rung={k: dict(sorted(v.items())) for k, v in sorted(self.by_rung.items())},
            spend_by_tier={k: dict(sorted(v.items())) for k, v in sorted(self.by_tier.items())},
            spend=dict(sorted(self.spend.items())))


# -- replaying one complaint -------------------------------------------------------------------
def _actor(e: Event, tiers: dict[str, Tier]) -> Actor | None:
    if e.actor is None:
        return None
    label = e.data.get("actor_tier")
    if isinstance(label, str):
        tiers[e.actor] = Tier.parse(label)
    return Actor(e.actor, tiers.get(e.actor, Tier.parse("front_line")))


def _propose_args(d: Mapping[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {} if d.get("automatic") else {"offer": Offer.from_dict(d["offer"])}
    if d.get("approved_by"):
        args["approved_by"] = Actor(str(d["approved_by"]),
                                    Tier.parse(d.get("approver_tier") or "front_line"))
    return args


def _reason(d: Mapping[str, Any]) -> dict[str, Any]:
    return {"reason": d.get("reason")}


#: How a command's arguments are read back from the data of the event it recorded.
_ARGUMENTS: Final[Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    "investigate": lambda d: {"finding": Finding.from_dict(d["finding"])},
    "propose": _propose_args,
    "decline": _reason, "reopen": _reason, "withdraw": _reason, "await_customer": _reason,
    "revisit": lambda d: {"satisfaction": d["satisfaction"]},
    "archive": lambda d: {"summary": d.get("summary")},
    "reject": lambda d: {"reason": d.get("reason"), "evidence": tuple(d.get("evidence") or ())},
    "escalate": lambda d: {"reason": d.get("reason"), "to": d.get("to")},
    "message": lambda d: {"text": (d.get("personal") or {}).get("text") or "-",
                          "channel": d.get("channel")},
    "reclassify": lambda d: {k: d[k] for k in ("reason", "category", "dimension", "severity",
                                               "scope") if k in d},
}


def _arguments(command: str, d: Mapping[str, Any]) -> dict[str, Any]:
    read = _ARGUMENTS.get(command)
    return {} if read is None else read(d)


def _receive(wf: Workflow, e: Event) -> Complaint:
    d = e.data
    personal = d.get("personal") or {}
    amount = d.get("amount")
    from complaintflow._markets import DEFAULT_MARKET
    from complaintflow._values import Money

    return wf.receive(
        personal.get("text") or "-", customer_id=d["customer_id"], channel=d["channel"],
        order_id=d.get("order_id"), sku=d.get("sku"), batch=d.get("batch"), store=d.get("store"),
        region=d.get("region"), brand=d.get("brand"),
        amount=None if amount is None else Money.from_dict(amount),
        contact=dict(personal["contact"]) if personal.get("contact") else None,
        complaint_id=d.get("id") or d.get("complaint_id"),
        market=d.get("market", DEFAULT_MARKET))  # a history without one is Chinese


def _command_of(events: Sequence[Event], i: int) -> Command | None:
    """The command whose own event ``events[i]`` is, if it is one (not a side effect)."""
    e = events[i]
    command = _BY_EVENT.get(e.name)
    if command is None or (e.actor is None and command.actor_required):
        return None
    if e.name == "resumed" and i + 1 < len(events) and events[i + 1].at == e.at:
        return None  # recorded by the next command, which ends the wait first
    return command


def _replay(wf: Workflow, clock: FrozenClock, original: Complaint,
            tiers: dict[str, Tier]) -> tuple[Complaint, str | None]:
    events = original.history
    clock.set(events[0].at)
    c = _receive(wf, events[0])
    last_at, last_events = events[0].at, frozenset(e.name for e in events)
    tick_at: datetime | None = None
    for i in range(1, len(events)):
        e = events[i]
        command = _command_of(events, i)
        if command is None:
            if e.name == "merged" or (e.at == last_at and e.name in last_events):
                continue  # the result of the command before (or a duplicate's intake)
            if tick_at is not None and tick_at < e.at:
                clock.set(tick_at)
                c = wf.tick(c, tick_at)
            tick_at = e.at
            continue
        if tick_at is not None and tick_at < e.at:
            clock.set(tick_at)
            c = wf.tick(c, tick_at)
        tick_at = None
        clock.set(e.at)
        try:
            c = wf.fire(c, command.name, actor=_actor(e, tiers), **_arguments(command.name, e.data))
        except ComplaintflowError as exc:
            return c, f"{command.name} refused ({type(exc).__name__})"
        last_at, last_events = e.at, frozenset((command.event, *command.events)) | CATCH_UP_EVENTS
    if tick_at is not None:
        clock.set(tick_at)
        c = wf.tick(c, tick_at)
    return c, None


# -- reading the stored complaints -------------------------------------------------------------
def _stored(db: Database, since: datetime | None, until: datetime | None
            ) -> Iterator[Complaint]:
    """The stored complaints, oldest first, read a page at a time (never written)."""
    conds, params = [], {}
    if since is not None:
        conds.append("received_at >= :since")
        params["since"] = db.time(since)
    if until is not None:
        conds.append("received_at < :until")
        params["until"] = db.time(until)
    where = " AND ".join(conds) if conds else "1 = 1"
    ids = [(str(r[0]), r[1]) for r in db.rows(
        f"SELECT id, received_at FROM cf_complaints WHERE {where} ORDER BY received_at, id",
        params)]
    for first in range(0, len(ids), _PAGE):
        page = [cid for cid, _ in ids[first:first + _PAGE]]
        marks = ", ".join(f":k{n}" for n in range(len(page)))
        rows: dict[str, list[Event]] = {cid: [] for cid in page}
        for cid, seq, name, v, at, actor, data in db.rows(
                f"SELECT complaint_id, seq, name, v, at, actor, data FROM cf_events "
                f"WHERE complaint_id IN ({marks}) ORDER BY complaint_id, seq",
                {f"k{n}": cid for n, cid in enumerate(page)}):
            rows[cid].append(event_from_row(seq, name, v, at, actor, data))
        for cid in page:
            yield replay_rows(cid, rows[cid])


def backtest(db: str | os.PathLike[str] | Database, policies: Mapping[str, Any], *,
             since: datetime | None = None, until: datetime | None = None,
             top: int = 10) -> Backtest:
    """Replay the complaints of ``db`` received in ``[since, until)`` under ``policies``.

    ``policies`` are :class:`~complaintflow.Workflow` keyword arguments, e.g. from
    :func:`complaintflow.load_policies`. Each complaint's inputs (its text and intake
    fields, every command's time, actor and arguments, the agents' own offers; the
    ladder's offers are asked of the ladder again) run through a workflow with those
    policies and an in-memory store, in the order they were received; sweeps run when the
    stored history shows one ran. Nothing is written to ``db``. A command the other policies
    refuse stops that complaint's replay (counted in :attr:`Backtest.diverged`).
    """
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 10_000:
        raise ValidationError("top", f"expected a whole number from 1 to 10000, got {top!r}")
    own = not isinstance(db, Database)
    database = open_database(db) if not isinstance(db, Database) else db
    clock = FrozenClock(datetime.fromisoformat("2000-01-01T00:00:00+00:00"))
    # who may act was judged when it happened (and the stored actors carry no tiers): the
    # backtest asks other policies for the numbers, not for the desk's permissions again
    options = {"authorization": OpenAuthorization(), **dict(policies)}
    wf = Workflow(store=MemoryStore(), clock=clock, **options)
    actual, replayed = _Tally(), _Tally()
    diverged: Counter[str] = Counter()
    changes: list[tuple[Decimal, int, dict[str, Any]]] = []
    tiers: dict[str, Tier] = {}
    n = 0
    try:
        for original in _stored(database, since, until):
            n += 1
            before = _outcome(original)
            after_complaint, stopped = _replay(wf, clock, original, tiers)
            after = _outcome(after_complaint)
            actual.add(before)
            replayed.add(after)
            if stopped:
                diverged[stopped] += 1
            delta = after.total() - before.total()
            moved = after.escalations - before.escalations
            stages = sorted(s for s in _STAGES if before.sla.get(s) != after.sla.get(s))
            if delta or moved or stages or before.tier != after.tier or stopped:
                changes.append((abs(delta), abs(moved) + len(stages), {
                    "id": original.id, "spend_before": str(before.total()),
                    "spend_after": str(after.total()), "escalations_before": before.escalations,
                    "escalations_after": after.escalations, "tier_before": before.tier,
                    "tier_after": after.tier, "sla_changed": stages, "stopped": stopped}))
                changes.sort(key=lambda x: (-x[0], -x[1], x[2]["id"]))
                del changes[top:]
    finally:
        if own:
            database.close()
    return Backtest(complaints=n, actual=actual.side(), replayed=replayed.side(),
                    diverged=dict(diverged.most_common()),
                    changes=tuple(c for _, _, c in changes))
