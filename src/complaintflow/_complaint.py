"""The complaint and the one fold from events to a complaint.

A complaint is a fold of its events (:meth:`Complaint.replay`), so history alone rebuilds
it. Nothing here knows the workflow, the policies or the state machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import attrs

from complaintflow._clock import ensure_aware
from complaintflow._events import SCHEMA_VERSION, Event, FrozenDict
from complaintflow._values import (
    FINAL_STATES,
    OPEN_STATES,
    STAGES,
    Finding,
    Money,
    Offer,
    State,
    Tier,
)
from complaintflow.exceptions import ValidationError

__all__ = ["Complaint", "apply", "replace", "stage_times_to_data"]

_EMPTY: Final[Mapping[State, datetime]] = MappingProxyType({})


def _iso(value: datetime) -> str:
    return value.isoformat()


def _parse_time(value: object, field: str) -> datetime:
    if isinstance(value, datetime):
        return ensure_aware(value, field)
    if not isinstance(value, str):
        raise ValidationError(field, f"expected an ISO 8601 string, got {value!r}")
    return ensure_aware(datetime.fromisoformat(value), field)


_STATE_OF: Final = {s.value: s for s in State}


def _stage_times(raw: Mapping[str, Any] | None, field: str) -> dict[State, datetime]:
    if not raw:
        return {}
    out: dict[State, datetime] = {}
    for k, v in raw.items():
        stage = _STATE_OF.get(k)
        if stage is None:
            stage = State(k)  # raises ValueError, reported as a malformed event
        if type(v) is str:
            try:
                when = datetime.fromisoformat(v)
            except ValueError:
                raise ValidationError(f"{field}.{k}", f"{v!r} is not an ISO 8601 datetime") from None
            out[stage] = when if when.tzinfo is UTC else ensure_aware(when, f"{field}.{k}")
        else:
            out[stage] = _parse_time(v, f"{field}.{k}")
    return out


_STAGE_KEYS: Final = tuple((s, s.value) for s in STAGES)


def stage_times_to_data(times: Mapping[State, datetime]) -> dict[str, str]:
    """The JSON form of a stage → time mapping, in stage order (already frozen)."""
    return FrozenDict({key: times[s].isoformat() for s, key in _STAGE_KEYS if s in times})


@attrs.frozen(slots=False, kw_only=True)
class Complaint:
    """One customer complaint: every field is a fold of ``history``.

    Build complaints with :class:`complaintflow.Workflow`, rebuild them with
    :meth:`replay` or :meth:`from_dict`; never set fields by hand.
    """

    id: str
    state: State
    version: int
    history: tuple[Event, ...]
    customer_id: str
    channel: str
    received_at: datetime
    text: str | None
    order_id: str | None = None
    sku: str | None = None
    batch: str | None = None
    store: str | None = None
    region: str | None = None
    brand: str | None = None
    amount: Money | None = None
    category: str = "other"
    dimension: str = "other"
    severity: int = 3
    scope: str = "point"
    tier: Tier = Tier.FRONT_LINE
    evidence: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()
    deadlines: Mapping[State, datetime] = _EMPTY
    warnings: Mapping[State, datetime] = _EMPTY
    completed: frozenset[State] = frozenset()
    warned: frozenset[State] = frozenset()
    breached: frozenset[State] = frozenset()
    paused_at: datetime | None = None
    pause_until: datetime | None = None
    held: timedelta = timedelta(0)
    finding: Finding | None = None
    offers: tuple[Offer, ...] = ()
    approvers: tuple[str | None, ...] = ()
    declines: int = 0
    satisfaction: int | None = None
    reopens: int = 0
    summary: str | None = None
    reason: str | None = None
    channels: tuple[str, ...] = ()
    merged_ids: tuple[str, ...] = ()
    erased: bool = False
    #: The version this complaint was loaded from or last committed to a store at.
    committed: int = attrs.field(default=0, eq=False, repr=False)

    # -- derived views --------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        """Still being worked on (received … proposed)."""
        return self.state in OPEN_STATES

    @property
    def is_final(self) -> bool:
        """Archived, withdrawn or rejected: no deadline runs any more."""
        return self.state in FINAL_STATES

    @property
    def paused(self) -> bool:
        """Waiting for the customer: the SLA clocks stand still."""
        return self.paused_at is not None

    @property
    def offer(self) -> Offer | None:
        """The latest offer, if any."""
        return self.offers[-1] if self.offers else None

    @property
    def open_deadlines(self) -> Mapping[State, datetime]:
        """Deadlines of stages not yet reached (empty when closed)."""
        if self.is_final:
            return _EMPTY
        return {s: d for s, d in self.deadlines.items() if s not in self.completed}

    @property
    def next_due(self) -> datetime | None:
        """The next moment :meth:`Workflow.tick` has something to record, or None."""
        if self.is_final:
            return None
        if self.paused_at is not None:
            return self.pause_until
        times = [
            t for s, t in self.warnings.items()
            if s not in self.completed and s not in self.warned and s not in self.breached
        ]
        times += [
            d for s, d in self.deadlines.items() if s not in self.completed and s not in self.breached
        ]
        return min(times) if times else None

    @property
    def last_event_at(self) -> datetime:
        return self.history[-1].at

    # -- rebuilding -----------------------------------------------------------------------
    @classmethod
    def replay(cls, events: Iterable[Event]) -> Complaint:
        """Rebuild a complaint from its history (the one fold the whole library uses)."""
        complaint: Complaint | None = None
        for event in events:
            complaint = apply(complaint, event)
        if complaint is None:
            raise ValidationError("events", "a history needs at least its 'received' event")
        return complaint

    def to_dict(self, *, personal: bool = True) -> dict[str, Any]:
        """A JSON-compatible dict: a snapshot of the fields for readers plus the history.

        ``Complaint.from_dict(c.to_dict()) == c``. ``personal=False`` leaves the customer's
        personal data (complaint text, contact fields) out of every event; such an export
        still replays, to a complaint without its text.
        """
        return {
            "schema": SCHEMA_VERSION,
            "id": self.id,
            "state": self.state.value,
            "version": self.version,
            "customer_id": self.customer_id,
            "channel": self.channel,
            "received_at": _iso(self.received_at),
            "category": self.category,
            "dimension": self.dimension,
            "severity": self.severity,
            "scope": self.scope,
            "tier": self.tier.label,
            "flags": sorted(self.flags),
            "deadlines": stage_times_to_data(self.deadlines),
            "offers": [o.to_dict() for o in self.offers],
            "history": [e.to_dict(personal=personal) for e in self.history],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Complaint:
        """Rebuild from :meth:`to_dict` output (this or an older schema) by replaying history."""
        if not isinstance(data, Mapping):
            raise ValidationError("complaint", f"expected a mapping, got {type(data).__name__}")
        schema = data.get("schema", 1)
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise ValidationError(
                "schema", f"schema {schema!r} is newer than this complaintflow reads ({SCHEMA_VERSION})"
            )
        history = data.get("history")
        if not isinstance(history, list | tuple) or not history:
            raise ValidationError("history", "a complaint dict needs its non-empty 'history'")
        complaint = cls.replay(Event.from_dict(e) for e in history)
        if "version" in data and data["version"] != complaint.version:
            raise ValidationError(
                "version", f"says {data['version']} but the history holds {complaint.version} events"
            )
        if "id" in data and data["id"] != complaint.id:
            raise ValidationError("id", f"says {data['id']!r} but the history is of {complaint.id!r}")
        return complaint


# -- the fold ---------------------------------------------------------------------------------

_Changes: TypeAlias = dict[str, Any]
_Handler: TypeAlias = Callable[["Complaint", Event], _Changes]
_HANDLERS: dict[str, _Handler] = {}
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


def _handles(*names: str) -> Callable[[_Handler], _Handler]:
    def deco(fn: _Handler) -> _Handler:
        for name in names:
            _HANDLERS[name] = fn
        return fn

    return deco


def _opt_money(raw: Any) -> Money | None:
    return None if raw is None else Money.from_dict(raw, "amount")


def _received(event: Event) -> Complaint:
    d = event.data
    personal = d.get("personal") or {}
    deadlines = _stage_times(d.get("deadlines"), "deadlines")
    return Complaint(
        id=d["id"],
        state=State.RECEIVED,
        version=1,
        history=(event,),
        customer_id=d["customer_id"],
        channel=d["channel"],
        received_at=event.at,
        text=personal.get("text"),
        order_id=d.get("order_id"),
        sku=d.get("sku"),
        batch=d.get("batch"),
        store=d.get("store"),
        region=d.get("region"),
        brand=d.get("brand"),
        amount=_opt_money(d.get("amount")),
        category=d.get("category", "other"),
        dimension=d.get("dimension", "other"),
        severity=d.get("severity", 3),
        scope=d.get("scope", "point"),
        tier=Tier.parse(d.get("tier", "front_line")),
        evidence=tuple(d.get("evidence", ())),
        flags=frozenset(d.get("flags", ())),
        deadlines=MappingProxyType(deadlines),
        warnings=MappingProxyType(_stage_times(d.get("warnings"), "warnings")),
        channels=(d["channel"],),
        erased=bool(personal.get("erased", False)),
    )


def _merge_times(old: Mapping[State, datetime], raw: Any, field: str) -> Mapping[State, datetime]:
    if not raw:
        return old
    merged = dict(old)
    merged.update(_stage_times(raw, field))
    return MappingProxyType(merged)


def _tier_changes(c: Complaint, d: Mapping[str, Any]) -> _Changes:
    key = "to" if "to" in d else "tier"
    if key in d:
        return {"tier": max(c.tier, Tier.parse(d[key]))}
    return {}


@_handles("acknowledged", "archived", "withdrawn", "rejected", "message", "outreach_requested")
def _simple(c: Complaint, e: Event) -> _Changes:
    d = e.data
    out: _Changes = {}
    if "reason" in d:
        out["reason"] = d["reason"]
    if "summary" in d:
        out["summary"] = d["summary"]
    return out


@_handles("investigated")
def _investigated(c: Complaint, e: Event) -> _Changes:
    return {"finding": Finding.from_dict(e.data["finding"])}


@_handles("proposed")
def _proposed(c: Complaint, e: Event) -> _Changes:
    return {
        "offers": (*c.offers, Offer.from_dict(e.data["offer"])),
        "approvers": (*c.approvers, e.data.get("approved_by")),
    }


@_handles("declined")
def _declined(c: Complaint, e: Event) -> _Changes:
    return {"declines": c.declines + 1, "reason": e.data.get("reason")}


@_handles("resolved", "resumed", "reopened", "reclassified")
def _replanned(c: Complaint, e: Event) -> _Changes:
    """Events that (re)plan deadlines: resolution, resumption, reopening, reclassification."""
    d = e.data
    out: _Changes = {
        "deadlines": _merge_times(c.deadlines, d.get("deadlines"), "deadlines"),
        "warnings": _merge_times(c.warnings, d.get("warnings"), "warnings"),
    }
    reset = frozenset(State(s) for s in d.get("reset", ()))
    if reset:
        out["completed"] = c.completed - reset
        out["warned"] = c.warned - reset
        out["breached"] = c.breached - reset
    if e.name == "resumed":
        out["paused_at"] = None
        out["pause_until"] = None
        out["held"] = c.held + timedelta(seconds=d.get("held_seconds", 0))
    elif e.name == "reopened":
        out["reopens"] = c.reopens + 1
        out["reason"] = d.get("reason")
        out["satisfaction"] = None
    elif e.name == "reclassified":
        for key in ("category", "dimension", "severity", "scope"):
            if key in d:
                out[key] = d[key]
        if "evidence" in d:
            out["evidence"] = tuple(d["evidence"])
    out.update(_tier_changes(c, d))
    return out


@_handles("revisited")
def _revisited(c: Complaint, e: Event) -> _Changes:
    return {"satisfaction": e.data["satisfaction"]}


@_handles("escalated", "scope_changed")
def _escalated(c: Complaint, e: Event) -> _Changes:
    out = _tier_changes(c, e.data)
    if "scope" in e.data:
        out["scope"] = e.data["scope"]
    if "flags" in e.data:
        out["flags"] = c.flags | frozenset(e.data["flags"])
    return out


@_handles("paused")
def _paused(c: Complaint, e: Event) -> _Changes:
    until = e.data.get("until")
    return {"paused_at": e.at,
            "pause_until": None if until is None else _parse_time(until, "until"),
            "reason": e.data.get("reason")}


@_handles("sla_warning")
def _warning(c: Complaint, e: Event) -> _Changes:
    return {"warned": c.warned | {State(e.data["stage"])}}


@_handles("sla_breached")
def _breached(c: Complaint, e: Event) -> _Changes:
    return {"breached": c.breached | {State(e.data["stage"])}}


@_handles("merged")
def _merged(c: Complaint, e: Event) -> _Changes:
    d = e.data
    out: _Changes = {}
    if d.get("channel") and d["channel"] not in c.channels:
        out["channels"] = (*c.channels, d["channel"])
    if d.get("duplicate_id"):
        out["merged_ids"] = (*c.merged_ids, d["duplicate_id"])
    return out


@_handles("erased")
def _erased(c: Complaint, e: Event) -> _Changes:
    return {"text": None, "erased": True}


def apply(complaint: Complaint | None, event: Event) -> Complaint:
    """Fold one event into a complaint (``None`` before the first event)."""
    if complaint is None:
        if event.name != "received" or event.seq != 1:
            raise ValidationError("events", "a history must start with 'received' at seq 1")
        try:
            return _received(event)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                raise
            raise ValidationError("events", f"malformed 'received' event: {exc!r}") from None
    if event.seq != complaint.version + 1:
        raise ValidationError(
            "events", f"event seq {event.seq} does not follow version {complaint.version}"
        )
    if event.name == "received":
        raise ValidationError("events", "'received' may only be the first event")
    handler = _HANDLERS.get(event.name)
    if handler is None:
        raise ValidationError("event.name", f"no fold for event {event.name!r}")
    try:
        changes = handler(complaint, event)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError("events", f"malformed {event.name!r} event: {exc!r}") from None
    entered = _ENTERS.get(event.name)
    if entered is not None:
        changes["state"] = entered
        if entered in STAGES and entered not in complaint.completed:
            changes["completed"] = changes.get("completed", complaint.completed) | {entered}
    changes["version"] = event.seq
    changes["history"] = (*complaint.history, event)
    return replace(complaint, changes)


def replace(complaint: Complaint, changes: Mapping[str, Any]) -> Complaint:
    """A copy of ``complaint`` with ``changes`` (a faster ``attrs.evolve`` for the fold).

    Values are trusted: the fold and the workflow only pass what the fields declare.
    Complaint keeps a ``__dict__`` (not slots) so that this copy is two dict updates instead
    of one attribute store per field: the fold runs once per event, on every command.
    """
    new = object.__new__(Complaint)
    state = new.__dict__
    state.update(complaint.__dict__)
    state.update(changes)
    return new
