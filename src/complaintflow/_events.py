"""Events: immutable facts of a complaint's history, their JSON form and their upcasters."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, NoReturn

import attrs

from complaintflow._clock import ensure_aware
from complaintflow.exceptions import ValidationError

__all__ = ["EVENT_NAMES", "SCHEMA_VERSION", "Event", "FrozenDict", "freeze", "known_event",
           "register_event_name", "register_upcaster", "thaw"]

#: Version of the dict layout written by ``to_dict``; ``from_dict`` reads this and older ones.
SCHEMA_VERSION: Final = 1

EVENT_NAMES: Final = frozenset({
    "received", "acknowledged", "investigated", "proposed", "declined", "resolved",
    "revisited", "reopened", "archived", "withdrawn", "rejected", "escalated", "paused",
    "resumed", "sla_warning", "sla_breached", "merged", "reclassified", "message",
    "scope_changed", "erased", "outreach_requested",
})

#: Every event name a history may hold: the built-in ones plus those registered for
#: integrators' own commands (:func:`register_event_name`).
_KNOWN: set[str] = set(EVENT_NAMES)


def register_event_name(name: str) -> None:
    """Let histories hold events named ``name`` (an integrator's own command's event)."""
    if not isinstance(name, str) or not name.isidentifier() or not name.islower():
        raise ValidationError("event.name", f"{name!r} is not a lower-case identifier")
    _KNOWN.add(name)


def known_event(name: str) -> bool:
    """Whether a history may hold an event named ``name``."""
    return name in _KNOWN


_SCALARS: Final = frozenset({str, int, bool, type(None)})


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


class Built(FrozenDict):
    """The frozen data of a value object (an offer, a finding) that also carries the object
    it was written from (``value``, outside the mapping: equality, JSON, pickling and
    ``thaw`` see a plain :class:`FrozenDict`). The workflow's deciders write records this
    way, and the fold of the workflow's own events (``check=False``) takes ``value``
    instead of parsing the data back: that saves ``Offer.from_dict`` in the fold of every
    ``proposed`` event (about 13 → 7 µs) and ``Finding.from_dict`` in that of every
    ``investigated`` event (about 12 → 6 µs), measured on the events of
    the lifecycle row of ``benchmarks/run.py``. A loaded history (``check=True``) is always parsed
    and checked."""

    __slots__ = ("value",)

    value: Any

    @classmethod
    def of(cls, data: Mapping[str, Any], value: object) -> Built:
        """``data`` (``value.to_dict()``) frozen, carrying ``value``."""
        record = cls(freeze(data))
        record.value = value
        return record


def freeze(value: object, field: str = "data") -> Any:
    """A deeply immutable copy of JSON-compatible data (dicts become :class:`FrozenDict`,
    lists become tuples)."""
    kind = type(value)
    if kind in _SCALARS or kind is FrozenDict or kind is Built:
        return value
    if kind is dict or (kind is not list and kind is not tuple and isinstance(value, Mapping)):
        for k in value:  # type: ignore[attr-defined]
            if type(k) is not str:
                raise ValidationError(field, f"keys must be strings, got {k!r}")
        scalars = _SCALARS
        return FrozenDict({k: v if type(v) in scalars else freeze(v, field)
                           for k, v in value.items()})  # type: ignore[attr-defined]
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
        if not isinstance(self.name, str) or self.name not in _KNOWN:
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


#: Events the workflow decided itself from checked input (its built-in deciders, the
#: clocks' catch-up), by ``id``; each is held while listed, so an id never names another
#: object. A store folds these onto the complaint it saves without checking their data
#: again (the record is still refolded and compared); any other event is checked. Bounded:
#: a save follows its command at once, and an event forgotten is merely checked again.
_VOUCHED: dict[int, Event] = {}
_VOUCHED_MAX: Final = 1024


def vouch(event: Event) -> Event:
    """Note ``event`` as decided by the workflow from checked input."""
    if len(_VOUCHED) >= _VOUCHED_MAX:
        _VOUCHED.clear()
    _VOUCHED[id(event)] = event
    return event


def vouched(event: Event) -> bool:
    """Whether :func:`vouch` noted this very event object (and has not forgotten it)."""
    return _VOUCHED.get(id(event)) is event


_UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


def register_upcaster(
    name: str, v: int
) -> Callable[[Callable[[dict[str, Any]], dict[str, Any]]], Callable[[dict[str, Any]], dict[str, Any]]]:
    """Register a function that turns event ``name`` data of layout ``v`` into layout ``v + 1``."""

    def deco(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        _UPCASTERS[name, v] = fn
        return fn

    return deco
