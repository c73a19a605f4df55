"""Markets: the currency, the consumer law, the regulators and the calendar of a complaint.

A complaint belongs to one market (``wf.receive(..., market="US")``, else the workflow's
``market``, ``"CN"`` by default); ``Complaint.market`` names it and the ``received``
event records it. A :class:`Market` is policy data: its currency (every amount on the
complaint is in it), the regulatory profiles that apply to its complaints, its business
calendar, and notes on what its law gives. The policies choose by the complaint's market:

- :class:`~complaintflow.policies.CompensationLadder` applies a legal floor only to the
  complaints of the markets whose law it is (:attr:`LegalFloor.markets`), offers in the
  complaint's currency and judges authority against the limits in that currency;
- :class:`~complaintflow.policies.TieredEscalation` adds the market's regulatory profiles
  to its own and, with ``market_calendars=True``, counts the SLA table in the market's
  calendar.

The bundled markets are data, ``policies/data/markets.toml``, in the schema a user's
``policies.toml`` uses (``[markets.<CODE>]``):

>>> sorted(MARKETS)
['CN', 'EU', 'GB', 'HK', 'US']
>>> us = MARKETS["US"]
>>> us.currency, us.calendar.timezone, [p.name for p in us.regulators]
('USD', 'America/New_York', ['us_cfpb'])
>>> [f.name for f in MARKETS["CN"].floors], MARKETS["US"].floors
(['cn_consumer_fraud', 'cn_food_safety', 'cn_online_return'], ())
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from complaintflow._complaint import Complaint
from complaintflow._markets import DEFAULT_MARKET, MARKET_CURRENCIES, register_market_code
from complaintflow._values import Money
from complaintflow.exceptions import ValidationError
from complaintflow.policies._config import ConfigContext, default_text, register_section
from complaintflow.policies.calendar import BusinessCalendar
from complaintflow.policies.compensation import DEFAULT_FLOORS, LegalFloor
from complaintflow.policies.regulatory import (
    CALENDAR_KEYS,
    RegulatoryProfile,
    bundled_profiles,
    calendar_from_config,
)

__all__ = ["DEFAULT_MARKET", "MARKETS", "Market", "market_of", "markets", "register_market"]


def _profiles(value: Iterable[RegulatoryProfile]) -> tuple[RegulatoryProfile, ...]:
    if isinstance(value, RegulatoryProfile | str):
        raise ValidationError("regulators", "expected a collection of RegulatoryProfile")
    out = tuple(value)
    for p in out:
        if not isinstance(p, RegulatoryProfile):
            raise ValidationError("regulators", f"expected RegulatoryProfile instances, got {p!r}")
    return out


@attrs.frozen(slots=True, eq=False)
class Market:
    """One market, as data.

    ``code`` is what ``Complaint.market`` records (``"US"``); ``currency`` the ISO 4217
    currency every amount on its complaints is in; ``regulators`` the regulatory profiles
    that apply to its complaints (each may be limited to some categories); ``calendar``
    its business calendar. The notes say in words what its law gives (the floors, the
    regulators' deadlines, the calendar), including what was not modelled.
    """

    code: str
    name: str
    currency: str
    calendar: BusinessCalendar = attrs.field(factory=BusinessCalendar)
    regulators: tuple[RegulatoryProfile, ...] = attrs.field(default=(), converter=_profiles)
    floors_note: str = ""
    regulators_note: str = ""
    calendar_note: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("name", f"expected the market's name, got {self.name!r}")
        Money.zero(self.currency)  # an ISO 4217 code, or refused naming the currency
        if not isinstance(self.calendar, BusinessCalendar):
            raise ValidationError("calendar", f"expected a cf.BusinessCalendar, got {self.calendar!r}")

    @property
    def floors(self) -> tuple[LegalFloor, ...]:
        """The legal floors of the default compensation ladder that apply in this market."""
        return tuple(f for f in DEFAULT_FLOORS if f.applies_in(self.code))

    def _key(self) -> tuple[object, ...]:
        return (self.code, self.name, self.currency, self.calendar,
                tuple((p.name, p.categories, p.markets) for p in self.regulators),
                self.floors_note, self.regulators_note, self.calendar_note)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Market):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Market({self.code!r}: {self.name}, {self.currency})"


_REGISTRY: dict[str, Market] = {}
#: Every market defined, by code: the bundled ones (CN, HK, GB, EU, US) and those
#: registered (:func:`register_market`, or ``[markets.<CODE>]`` in a policies file).
MARKETS: Final[Mapping[str, Market]] = MappingProxyType(_REGISTRY)


def markets() -> Mapping[str, Market]:
    """Every market defined, by code (:data:`MARKETS`)."""
    return MARKETS


def register_market(market: Market, *, replace: bool = False) -> Market:
    """Define ``market``, so complaints may be received in it and histories naming it load.

    A code is defined once: defining it again with the same data changes nothing, with
    other data is refused unless ``replace`` (complaints already recorded keep the
    deadlines and offers decided under the old data); its currency never changes.
    """
    if not isinstance(market, Market):
        raise ValidationError("market", f"expected a Market, got {type(market).__name__}")
    known = _REGISTRY.get(market.code)
    if known is not None and known != market and not replace:
        raise ValidationError(f"markets.{market.code}", "is already defined with other data; "
                                                        "pass replace=True to change it")
    register_market_code(market.code, market.currency)
    _REGISTRY[market.code] = market
    return market


def market_of(complaint: Complaint | str) -> Market:
    """The :class:`Market` of ``complaint`` (or of a market code)."""
    code = complaint.market if isinstance(complaint, Complaint) else complaint
    found = _REGISTRY.get(code) if isinstance(code, str) else None
    if found is None:
        raise ValidationError("market", f"unknown market {code!r}; known markets: "
                                        f"{', '.join(sorted(_REGISTRY))}")
    return found


# -- TOML: [markets] --------------------------------------------------------------------------

_KEYS: Final = frozenset({"name", "currency", "regulators", "floors_note", "regulators_note",
                          "calendar_note", *CALENDAR_KEYS})


def _regulators_from(raw: object, ctx: ConfigContext) -> tuple[RegulatoryProfile, ...]:
    if not isinstance(raw, Mapping):
        ctx.error("regulators", "expected a table of profile = [categories] ([] for every category)")
    known = bundled_profiles()
    out = []
    sub = ctx.sub("regulators")
    for name in raw:
        if name not in known:
            sub.error(name, f"unknown regulatory profile; bundled: {', '.join(sorted(known))}")
        chosen = sub.strings(raw, name) or []
        out.append(attrs.evolve(known[name], categories=frozenset(chosen)))
    return tuple(out)


def market_from_config(code: str, table: Mapping[str, Any], ctx: ConfigContext) -> Market:
    """A :class:`Market` from its ``[markets.<CODE>]`` table; a bundled code's table changes
    only the keys it gives (its currency stays)."""
    if not isinstance(table, Mapping):
        ctx.error(code, "expected a table")
    mc = ctx.sub(code)
    mc.unknown(table, _KEYS)
    base = _REGISTRY.get(code)
    currency = mc.get(table, "currency", str, None if base is None else base.currency)
    if currency is None:
        mc.error("currency", "a new market needs its currency (an ISO 4217 code like 'JPY')")
    try:
        register_market_code(code, currency)
    except ValidationError as exc:
        key = "currency" if exc.field != "market" or code in MARKET_CURRENCIES else ""
        (mc if key else ctx).error(key or code, str(exc).split(": ", 1)[-1])
    kwargs: dict[str, Any] = {"code": code, "currency": currency}
    if base is not None:
        kwargs.update(name=base.name, calendar=base.calendar, regulators=base.regulators,
                      floors_note=base.floors_note, regulators_note=base.regulators_note,
                      calendar_note=base.calendar_note)
    kwargs["name"] = mc.get(table, "name", str, kwargs.get("name", code))
    for key in ("floors_note", "regulators_note", "calendar_note"):
        if key in table:
            kwargs[key] = mc.get(table, key, str)
    calendar = {k: table[k] for k in CALENDAR_KEYS if k in table}
    if calendar:
        kwargs["calendar"] = calendar_from_config(calendar, mc)
    if "regulators" in table:
        kwargs["regulators"] = _regulators_from(table["regulators"], mc)
    return mc.build(Market, **kwargs)


def markets_from_config(table: Mapping[str, Any], ctx: ConfigContext) -> str | None:
    """Define every ``[markets.<CODE>]`` table (:func:`register_market`) and return the
    ``default`` market, the Workflow's ``market`` (``None`` when not given)."""
    default: str | None = ctx.get(table, "default", str)
    for code, sub in table.items():
        if code == "default":
            continue
        market = market_from_config(code, sub, ctx)
        try:
            register_market(market)
        except ValidationError as exc:
            ctx.error(code, str(exc).split(": ", 1)[-1])
    if default is not None and default not in _REGISTRY:
        ctx.error("default", f"unknown market {default!r}; known markets: {', '.join(sorted(_REGISTRY))}")
    return default


register_section("markets", "market")(markets_from_config)


def default_markets_text() -> str:
    """The bundled ``markets.toml``: the bundled markets, in the schema users write."""
    return default_text("markets.toml")


def _load_bundled() -> None:
    text = default_markets_text()
    data = tomllib.loads(text)
    markets_from_config(data["markets"], ConfigContext(
        text, "complaintflow/policies/data/markets.toml").sub("markets"))


_load_bundled()
assert DEFAULT_MARKET in _REGISTRY
