"""Values: states, tiers, actors, money, findings and offers — plain frozen attrs records.

Nothing here knows events, the workflow, the policies or the state machine.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final, Literal, TypeAlias, get_args

import attrs

from complaintflow.exceptions import CurrencyMismatch, ValidationError

__all__ = [
    "CAUSES",
    "FINAL_STATES",
    "OPEN_STATES",
    "PARTIES",
    "REMEDIES",
    "STAGES",
    "Actor",
    "Finding",
    "Money",
    "Offer",
    "State",
    "Tier",
]


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
#: The labels of :class:`Tier` (``Tier.parse`` reads them).
TierLabel: TypeAlias = Literal["front_line", "store_supervisor", "regional_head", "executive"]
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
