"""The data model: plain frozen attrs records and the fold from events to a complaint.

Nothing here knows the workflow, the policies or the state machine: a complaint is a
fold of its events (:meth:`Complaint.replay`), so history alone rebuilds it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Final, Literal, NoReturn, TypeAlias, get_args

import attrs

from complaintflow._clock import ensure_aware
from complaintflow._errors import CurrencyMismatch, ValidationError

__all__ = [
    "CAUSES",
    "PARTIES",
    "REMEDIES",
    "SCHEMA_VERSION",
    "STAGES",
    "Actor",
    "Complaint",
    "Event",
    "Finding",
    "Money",
    "Offer",
    "State",
    "Tier",
    "register_upcaster",
]

#: Version of the dict layout written by ``to_dict``; ``from_dict`` reads this and older ones.
SCHEMA_VERSION: Final = 1


class State(enum.StrEnum):
    """The nine states of a complaint (values are the lower-case names)."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATED = "investigated"
    PROPOSED = "proposed"
    RESOLVED = "resolved"
    REVISITED = "revisited"
    ARCHIVED = "archived"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return self.value


#: The stages that carry a deadline, in the order they are due.
STAGES: Final = (
    State.ACKNOWLEDGED,
    State.INVESTIGATED,
    State.PROPOSED,
    State.RESOLVED,
    State.REVISITED,
)
#: States in which the customer's problem is still being worked on.
OPEN_STATES: Final = frozenset(
    {State.RECEIVED, State.ACKNOWLEDGED, State.INVESTIGATED, State.PROPOSED}
)
#: States from which nothing but archiving is left.
FINAL_STATES: Final = frozenset({State.ARCHIVED, State.WITHDRAWN, State.REJECTED})


class Tier(enum.IntEnum):
    """Who owns a case, in rising order of authority."""

    FRONT_LINE = 1
    STORE_SUPERVISOR = 2
    REGIONAL_HEAD = 3
    EXECUTIVE = 4

    @property
    def label(self) -> str:
        """The lower-case name used in data and messages, e.g. ``"store_supervisor"``."""
        return _TIER_LABELS[self]

    def __str__(self) -> str:
        return self.label

    @classmethod
    def parse(cls, value: object, field: str = "tier") -> Tier:
        """A ``Tier`` from a Tier, its label or its number."""
        if isinstance(value, Tier):
            return value
        if isinstance(value, str):
            try:
                return cls[value.strip().upper()]
            except KeyError:
                pass
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        names = ", ".join(t.label for t in cls)
        raise ValidationError(field, f"unknown tier {value!r}; expected one of {names}")

    def up(self) -> Tier:
        """The next tier up (the executive stays executive)."""
        return Tier(min(self.value + 1, Tier.EXECUTIVE.value))


_TIER_LABELS: Final = {tier: tier.name.lower() for tier in Tier}


def _nonempty_str(field: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a string, got {type(value).__name__}")
    if not value.strip():
        raise ValidationError(field, "must not be empty")
    return value


@attrs.frozen(slots=True)
class Actor:
    """Someone acting on a complaint. A bare id string means a front-line actor."""

    id: str
    tier: Tier = Tier.FRONT_LINE

    def __attrs_post_init__(self) -> None:
        _nonempty_str("actor", self.id)
        object.__setattr__(self, "tier", Tier.parse(self.tier, "actor.tier"))

    @classmethod
    def of(cls, value: Actor | str, field: str = "actor") -> Actor:
        """An ``Actor`` from an Actor or an id string."""
        if isinstance(value, Actor):
            return value
        if isinstance(value, str):
            cached = _FRONT_LINE_ACTORS.get(value)
            if cached is None:
                _nonempty_str(field, value)
                if len(_FRONT_LINE_ACTORS) > 4096:
                    _FRONT_LINE_ACTORS.clear()
                cached = _FRONT_LINE_ACTORS[value] = cls(value)
            return cached
        raise ValidationError(field, f"expected an id string or cf.Actor, got {type(value).__name__}")


_FRONT_LINE_ACTORS: dict[str, Actor] = {}


# -- money ------------------------------------------------------------------------------------

#: Minor units of currencies that do not use two decimals (ISO 4217).
_MINOR_UNITS: Final = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}


def minor_unit(currency: str) -> int:
    """Decimal places of ``currency`` (ISO 4217; 2 unless listed otherwise)."""
    return _MINOR_UNITS.get(currency, 2)


def _to_decimal(value: object, field: str = "amount") -> Decimal:
    if type(value) is Decimal and value.is_finite():
        return value
    if isinstance(value, (bool, float)):
        raise ValidationError(
            field, f"money must be a Decimal, int or numeric string, never {type(value).__name__}"
        )
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, int | str):
        try:
            dec = Decimal(value)
        except InvalidOperation:
            raise ValidationError(field, f"{value!r} is not a number") from None
    else:
        raise ValidationError(field, f"expected a Decimal, got {type(value).__name__}")
    if not dec.is_finite():
        raise ValidationError(field, f"{value!r} is not a finite amount")
    return dec


#: Quantum (smallest step) of each currency seen so far, e.g. Decimal("0.01") for CNY.
_QUANTA: dict[str, Decimal] = {}
_ZEROS: dict[str, Money] = {}
#: Recently read amounts ("399.00", "CNY") → Money; Money is immutable, so they are shared.
_PARSED: dict[tuple[str, str], Money] = {}


@attrs.frozen(slots=True, order=False)
class Money:
    """An amount of a currency: ``Decimal`` only, never negative, rounded to the minor unit.

    >>> Money("12.345")
    Money(amount=Decimal('12.35'), currency='CNY')
    >>> Money(5) + Money("0.50")
    Money(amount=Decimal('5.50'), currency='CNY')
    """

    amount: Decimal = attrs.field(converter=_to_decimal)
    currency: str = "CNY"

    def __attrs_post_init__(self) -> None:
        cur = self.currency
        quantum = _QUANTA.get(cur) if type(cur) is str else None
        if quantum is None:
            if not (isinstance(cur, str) and len(cur) == 3 and cur.isascii() and cur.isupper()
                    and cur.isalpha()):
                raise ValidationError("currency", f"expected an ISO 4217 code like 'CNY', got {cur!r}")
            quantum = _QUANTA[cur] = Decimal(1).scaleb(-minor_unit(cur))
        if self.amount < 0:
            raise ValidationError("amount", f"money must not be negative, got {self.amount}")
        object.__setattr__(self, "amount", self.amount.quantize(quantum, rounding=ROUND_HALF_UP))

    @classmethod
    def zero(cls, currency: str = "CNY") -> Money:
        """Nothing, in ``currency`` (one shared instance per currency)."""
        zero = _ZEROS.get(currency)
        if zero is None:
            zero = cls(Decimal(0), currency)
            if len(_ZEROS) < 256:
                _ZEROS[currency] = zero
        return zero

    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise ValidationError("money", f"cannot {op} Money and {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                "currency", f"cannot {op} {self.currency} and {other.currency}; convert first"
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other, "add").amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other, "subtract").amount, self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        return Money(self.amount * _to_decimal(factor, "factor"), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def to_dict(self) -> dict[str, str]:
        return {"amount": str(self.amount), "currency": self.currency}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], field: str = "money") -> Money:
        if not isinstance(data, Mapping) or "amount" not in data:
            raise ValidationError(field, f"expected {{'amount': ..., 'currency': ...}}, got {data!r}")
        raw, currency = data["amount"], data.get("currency", "CNY")
        key = (raw, currency) if type(raw) is str and type(currency) is str else None
        if key is not None:
            cached = _PARSED.get(key)
            if cached is not None:
                return cached
        money = cls(_to_decimal(raw, f"{field}.amount"), currency)
        if key is not None and cls is Money:
            if len(_PARSED) >= 4096:
                _PARSED.clear()
            _PARSED[key] = money
        return money


def _money(value: object, field: str) -> Money:
    if isinstance(value, Money):
        return value
    return Money(_to_decimal(value, field))


def _goodwill(value: object) -> Money:
    return _money(value, "offer.goodwill")


def _statutory(value: object) -> Money:
    return _money(value, "offer.statutory")


def _remedy_value(value: object) -> Money:
    return _money(value, "offer.remedy_value")


# -- findings and offers ----------------------------------------------------------------------

Remedy: TypeAlias = Literal["none", "partial_refund", "exchange", "refund", "repair"]
Cause: TypeAlias = Literal[
    "product_defect", "service_error", "process_gap", "fraud", "safety_violation",
    "customer_error", "third_party",
]
Party: TypeAlias = Literal["store", "supply_chain", "third_party", "customer"]
REMEDIES: Final[tuple[str, ...]] = get_args(Remedy)
CAUSES: Final[tuple[str, ...]] = get_args(Cause)
PARTIES: Final[tuple[str, ...]] = get_args(Party)


def _one_of(field: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValidationError(field, f"unknown value {value!r}; expected one of {', '.join(allowed)}")


def _str_tuple(field: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(field, f"expected a tuple of strings, got {value!r}")
    items = tuple(value)
    for item in items:
        _nonempty_str(field, item)
    return items


@attrs.frozen(slots=True)
class Finding:
    """What an investigation established: root cause, responsible party and the evidence."""

    cause: Cause
    party: Party
    evidence: tuple[str, ...]
    note: str = ""

    def __attrs_post_init__(self) -> None:
        _one_of("finding.cause", self.cause, CAUSES)
        _one_of("finding.party", self.party, PARTIES)
        ev = _str_tuple("finding.evidence", self.evidence)
        if not ev:
            raise ValidationError("finding.evidence", "at least one piece of evidence is required")
        object.__setattr__(self, "evidence", ev)
        if not isinstance(self.note, str):
            raise ValidationError("finding.note", "expected a string")

    @property
    def our_fault(self) -> bool:
        """True when the store or our supply chain caused the problem."""
        return self.party in ("store", "supply_chain") and self.cause not in (
            "customer_error", "fraud", "third_party",
        )

    def to_dict(self) -> dict[str, Any]:
        return {"cause": self.cause, "party": self.party, "evidence": list(self.evidence),
                "note": self.note}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(cause=data["cause"], party=data["party"], evidence=tuple(data["evidence"]),
                   note=data.get("note", ""))


@attrs.frozen(slots=True)
class Offer:
    """A remedy offered to the customer.

    ``goodwill`` is what we give beyond the remedy and is limited by the actor's authority;
    ``statutory`` is what the law makes us owe and is never limited by authority;
    ``remedy_value`` is the money the remedy itself moves (a refund, a partial refund).
    Amounts that are zero take the currency of the others; non-zero amounts in two
    currencies are refused.
    """

    remedy: Remedy
    goodwill: Money = attrs.field(default=Money.zero(), converter=_goodwill)
    statutory: Money = attrs.field(default=Money.zero(), converter=_statutory)
    extras: tuple[str, ...] = ()
    remedy_value: Money = attrs.field(default=Money.zero(), converter=_remedy_value)

    def __attrs_post_init__(self) -> None:
        _one_of("offer.remedy", self.remedy, REMEDIES)
        extras = self.extras
        if type(extras) is not tuple or not all(type(e) is str and e.strip() for e in extras):
            object.__setattr__(self, "extras", _str_tuple("offer.extras", extras))
        cur = self.goodwill.currency
        if self.statutory.currency == cur and self.remedy_value.currency == cur:
            return  # one currency throughout: nothing to harmonise
        amounts = {"goodwill": self.goodwill, "statutory": self.statutory,
                   "remedy_value": self.remedy_value}
        currencies = {m.currency for m in amounts.values() if m.amount}
        if len(currencies) > 1:
            raise CurrencyMismatch(
                "offer", f"amounts in {', '.join(sorted(currencies))} cannot share one offer"
            )
        if currencies:
            (cur,) = currencies
            for name, m in amounts.items():
                if m.currency != cur:
                    object.__setattr__(self, name, Money.zero(cur))

    @property
    def currency(self) -> str:
        return self.goodwill.currency

    @property
    def total(self) -> Money:
        """Everything the offer pays out: remedy value + goodwill + statutory."""
        return self.remedy_value + self.goodwill + self.statutory

    def to_dict(self) -> dict[str, Any]:
        return {
            "remedy": self.remedy,
            "goodwill": self.goodwill.to_dict(),
            "statutory": self.statutory.to_dict(),
            "extras": list(self.extras),
            "remedy_value": self.remedy_value.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Offer:
        return cls(
            remedy=data["remedy"],
            goodwill=Money.from_dict(data["goodwill"], "offer.goodwill"),
            statutory=Money.from_dict(data["statutory"], "offer.statutory"),
            extras=tuple(data.get("extras", ())),
            remedy_value=Money.from_dict(
                data.get("remedy_value", {"amount": "0", "currency": data["goodwill"]["currency"]}),
                "offer.remedy_value",
            ),
        )


# -- events -----------------------------------------------------------------------------------

EVENT_NAMES: Final = frozenset({
    "received", "acknowledged", "investigated", "proposed", "declined", "resolved",
    "revisited", "reopened", "archived", "withdrawn", "rejected", "escalated", "paused",
    "resumed", "sla_warning", "sla_breached", "merged", "reclassified", "message",
    "scope_changed", "erased", "outreach_requested",
})


_SCALARS: Final = (str, int, bool, type(None))


class FrozenDict(dict[str, Any]):
    """A read-only ``dict``: event data is immutable yet still plain JSON for ``json.dumps``."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("event data is immutable")

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __ior__(self, other: object) -> NoReturn:  # type: ignore[misc]
        raise TypeError("event data is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        return self

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"


def freeze(value: object, field: str = "data") -> Any:
    """A deeply immutable copy of JSON-compatible data (dicts become :class:`FrozenDict`,
    lists become tuples)."""
    kind = type(value)
    if kind in _SCALARS or kind is FrozenDict:
        return value
    if kind is dict or (kind is not list and kind is not tuple and isinstance(value, Mapping)):
        out: dict[str, Any] = {}
        for k, v in value.items():  # type: ignore[attr-defined]
            if type(k) is not str:
                raise ValidationError(field, f"keys must be strings, got {k!r}")
            out[k] = v if type(v) in _SCALARS else freeze(v, field)
        return FrozenDict(out)
    if kind is list or kind is tuple or isinstance(value, list | tuple):
        return tuple(v if type(v) in _SCALARS else freeze(v, field) for v in value)  # type: ignore[attr-defined]
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, f"{value!r} is not JSON-compatible")
        return value
    if isinstance(value, str | int):
        return value
    raise ValidationError(field, f"{type(value).__name__} is not JSON-compatible")


def thaw(value: Any) -> Any:
    """The plain JSON form (dicts and lists) of data made by :func:`freeze`."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def _event_at(value: object) -> datetime:
    return ensure_aware(value, "event.at")


@attrs.frozen(slots=True, eq=True)
class Event:
    """One immutable fact in a complaint's history.

    ``name`` is past tense; ``data`` is a read-only JSON-compatible mapping carrying the
    decision that was made (category, deadlines, offer, approver...), so replaying the
    history never re-runs a policy. ``v`` is the version of this event type's data layout.
    """

    seq: int
    name: str
    at: datetime = attrs.field(converter=_event_at)
    actor: str | None = None
    data: Mapping[str, Any] = attrs.field(factory=dict, converter=freeze)
    v: int = 1

    def __attrs_post_init__(self) -> None:
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 1:
            raise ValidationError("event.seq", f"expected an integer >= 1, got {self.seq!r}")
        if not isinstance(self.name, str) or self.name not in EVENT_NAMES:
            raise ValidationError("event.name", f"unknown event {self.name!r}")
        if self.actor is not None and not isinstance(self.actor, str):
            raise ValidationError("event.actor", f"expected a string or None, got {self.actor!r}")

    @classmethod
    def _trusted(cls, seq: int, name: str, at: datetime, actor: str | None,
                 data: Mapping[str, Any]) -> Event:
        """Build an event from values the workflow already checked (``at`` aware UTC;
        ``data`` a :class:`FrozenDict` is taken as already deeply frozen)."""
        event = object.__new__(cls)
        put = object.__setattr__
        put(event, "seq", seq)
        put(event, "name", name)
        put(event, "at", at)
        put(event, "actor", actor)
        put(event, "data", data if type(data) is FrozenDict else freeze(data))
        put(event, "v", 1)
        return event

    def to_dict(self, *, personal: bool = True) -> dict[str, Any]:
        """A JSON-compatible dict; ``Event.from_dict(e.to_dict()) == e``.

        ``personal=False`` leaves the customer's personal data (``data["personal"]``:
        complaint text, contact fields) out, for exports that must not carry it.
        """
        data = thaw(self.data)
        if not personal:
            data.pop("personal", None)
        return {
            "schema": SCHEMA_VERSION,
            "seq": self.seq,
            "name": self.name,
            "v": self.v,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "data": data,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """Read an event dict written by this or an older complaintflow (upcasting old layouts)."""
        if not isinstance(data, Mapping):
            raise ValidationError("event", f"expected a mapping, got {type(data).__name__}")
        schema = data.get("schema", 1)
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise ValidationError(
                "event.schema",
                f"schema {schema!r} is newer than this complaintflow reads ({SCHEMA_VERSION})",
            )
        try:
            name, v, payload = data["name"], data.get("v", 1), data.get("data", {})
            at_raw = data["at"]
            seq = data["seq"]
        except KeyError as exc:
            raise ValidationError(f"event.{exc.args[0]}", "missing") from None
        if not isinstance(at_raw, str):
            raise ValidationError("event.at", f"expected an ISO 8601 string, got {at_raw!r}")
        try:
            at = datetime.fromisoformat(at_raw)
        except ValueError:
            raise ValidationError("event.at", f"{at_raw!r} is not an ISO 8601 datetime") from None
        while (name, v) in _UPCASTERS:
            payload = _UPCASTERS[name, v](thaw(payload))
            v += 1
        return cls(seq=seq, name=name, at=at, actor=data.get("actor"), data=payload, v=v)


_UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


def register_upcaster(
    name: str, v: int
) -> Callable[[Callable[[dict[str, Any]], dict[str, Any]]], Callable[[dict[str, Any]], dict[str, Any]]]:
    """Register a function that turns event ``name`` data of layout ``v`` into layout ``v + 1``."""

    def deco(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        _UPCASTERS[name, v] = fn
        return fn

    return deco


# -- the complaint ----------------------------------------------------------------------------

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
