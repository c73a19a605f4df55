"""Events: immutable facts of a complaint's history, their JSON form and their upcasters."""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, NoReturn

import attrs

from complaintflow._clock import ensure_aware
from complaintflow.exceptions import ValidationError

__all__ = ["EVENT_NAMES", "SCHEMA_VERSION", "Event", "FrozenDict", "current_version", "erased_by",
           "freeze", "known_event", "pseudonym", "public_data", "register_event_name",
           "register_upcaster", "scrub", "thaw", "upcast"]

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
#: The data layout version events of each type are written in today, when not 1: one more
#: than the newest layout an upcaster reads (:func:`register_upcaster`).
_CURRENT: dict[str, int] = {}


def current_version(name: str) -> int:
    """The data layout version new events named ``name`` are written in (1 until an
    upcaster to a later layout is registered)."""
    return _CURRENT.get(name, 1)


def register_event_name(name: str) -> None:
    """Let histories hold events named ``name`` (an integrator's own command's event)."""
    if not isinstance(name, str) or not name.isidentifier() or not name.islower():
        raise ValidationError("event.name", f"{name!r} is not a lower-case identifier")
    _KNOWN.add(name)


def known_event(name: str) -> bool:
    """Whether a history may hold an event named ``name``."""
    return name in _KNOWN


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


class Built(FrozenDict):
    """The frozen data of a value object (an offer, a finding) that also carries the object
    it was written from (``value``, outside the mapping: equality, JSON, pickling and
    ``thaw`` see a plain :class:`FrozenDict`). The workflow's deciders write records this
    way, and the fold of the workflow's own events (``check=False``) takes ``value``
    instead of parsing the data back: that saves ``Offer.from_dict`` in the fold of every
    ``proposed`` event (about 13 → 7 µs) and ``Finding.from_dict`` in that of every
    ``investigated`` event (about 12 → 6 µs), measured on the events of
    ``benchmarks/bench_lifecycle.py``. A loaded history (``check=True``) is always parsed
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
    v: int = attrs.field(default=attrs.Factory(lambda self: current_version(self.name),
                                               takes_self=True))

    def __attrs_post_init__(self) -> None:
        if isinstance(self.seq, bool) or not isinstance(self.seq, int) or self.seq < 1:
            raise ValidationError("event.seq", f"expected an integer >= 1, got {self.seq!r}")
        if not isinstance(self.name, str) or self.name not in _KNOWN:
            raise ValidationError("event.name", f"unknown event {self.name!r}")
        if isinstance(self.v, bool) or not isinstance(self.v, int) or self.v < 0:
            raise ValidationError("event.v", f"expected a layout version >= 0, got {self.v!r}")
        if self.actor is not None and not isinstance(self.actor, str):
            raise ValidationError("event.actor", f"expected a string or None, got {self.actor!r}")

    @staticmethod
    def current_version(name: str) -> int:
        """The data layout version new events named ``name`` are written in: 1, or one
        past the newest layout a registered upcaster reads."""
        return current_version(name)

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
        put(event, "v", _CURRENT.get(name, 1))
        return event

    def to_dict(self, *, personal: bool = True, key: bytes | None = None) -> dict[str, Any]:
        """A JSON-compatible dict; ``Event.from_dict(e.to_dict()) == e``.

        ``personal=False`` writes the event as :func:`public_data` does, for exports that
        must not carry personal data: without ``data["personal"]`` (complaint text,
        contact fields, customer attributes), the order id and the evidence quoted from
        the text, and with the customer id replaced by its :func:`pseudonym` under
        ``key``. Such an event still reads back and replays.
        """
        data = thaw(self.data if personal else public_data(self.name, self.data, key))
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
        """Read an event dict written by this or an older complaintflow: an event in an
        older data layout (``v``) is passed through the upcasters registered for its type,
        one layout at a time, up to today's (:func:`register_upcaster`); a layout newer
        than this complaintflow reads is refused."""
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
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValidationError("event.v", f"expected a layout version >= 0, got {v!r}")
        if isinstance(name, str):
            payload, v = upcast(name, v, payload)
        return cls(seq=seq, name=name, at=at, actor=data.get("actor"), data=payload, v=v)


def upcast(name: str, v: int, data: Any) -> tuple[Any, int]:
    """``data`` of an event ``name`` written in layout ``v``, brought to today's layout by
    the registered upcasters, and that layout's version. A layout newer than today's, or
    an older one no upcaster reads, is refused naming ``event.v``."""
    target = _CURRENT.get(name, 1)
    if v > target:
        raise ValidationError("event.v", f"{name!r} layout v{v} is newer than this "
                                         f"complaintflow reads (v{target})")
    while v < target:
        step = _UPCASTERS.get((name, v))
        if step is None:
            raise ValidationError("event.v", f"no upcaster reads {name!r} layout v{v} "
                                             f"(today's is v{target})")
        if not isinstance(data, Mapping):
            raise ValidationError("event.data", f"expected a mapping, got {data!r}")
        data = step(thaw(data))
        if not isinstance(data, Mapping):
            raise ValidationError("event.data", f"the upcaster of {name!r} v{v} returned "
                                                f"{type(data).__name__}, not a mapping")
        v += 1
    return data, v


# -- personal data: erasure and exports without it ---------------------------------------------

#: Events whose ``evidence`` is the classifier's words quoted from the complaint text.
_QUOTING: Final = frozenset({"received", "reclassified"})


def erased_by(event: Event) -> int | None:
    """The seq of the ``erased`` event that scrubbed ``event``'s personal data, or None."""
    personal = event.data.get("personal")
    if isinstance(personal, Mapping) and "erased" in personal:
        mark = personal["erased"]
        return mark if isinstance(mark, int) and not isinstance(mark, bool) else -1
    return None


def scrub(event: Event, by: int) -> Event:
    """``event`` as an erasure recorded at seq ``by`` leaves it: its ``personal`` part
    (complaint text, contact fields, customer attributes, message texts) replaced by the
    mark ``{"erased": by}``, and the classifier's evidence quoted from the text dropped.
    Everything else (every decision) is kept as it was; an event with nothing personal
    left is returned unchanged, so scrubbing twice changes nothing."""
    data = event.data
    personal = data.get("personal")
    drop_personal = personal is not None and erased_by(event) is None
    drop_evidence = event.name in _QUOTING and "evidence" in data
    if not drop_personal and not drop_evidence:
        return event
    out: dict[str, Any] = {k: v for k, v in data.items()
                           if not (drop_evidence and k == "evidence")}
    if drop_personal:
        out["personal"] = FrozenDict({"erased": by})
    return attrs.evolve(event, data=out)


def pseudonym(value: str, key: bytes | None = None) -> str:
    """A stable stand-in for an identifier (a customer id) in exports without personal data:
    ``"p-"`` and 24 hex digits of HMAC-SHA256 of ``value`` under ``key``.

    The same id and key give the same pseudonym, so exports still count complaints per
    customer. Without a key anyone who can guess ids can hash them and re-identify the
    customer; with a secret key only its holders can, and destroying the key makes the
    pseudonyms unlinkable for good.

    >>> from complaintflow.store import pseudonym
    >>> pseudonym("C-1001", b"secret") == pseudonym("C-1001", b"secret")
    True
    >>> pseudonym("C-1001", b"secret") == pseudonym("C-1001", b"other")
    False
    """
    digest = hmac.new(key or b"complaintflow", value.encode(), hashlib.sha256).hexdigest()
    return f"p-{digest[:24]}"


def public_data(name: str, data: Mapping[str, Any], key: bytes | None = None) -> Mapping[str, Any]:
    """The data of an event named ``name`` without personal data, for exports and the
    outbox (``include_personal=False``): no ``personal`` part, no order id, no evidence
    quoted from the text (the classifier's) or written about the customer (a finding's
    becomes ``["withheld"]``, a rejection's is left out), and the customer id replaced by
    its :func:`pseudonym` under ``key``. Every decision (category, deadlines, offers,
    tiers) is kept, so the result still replays."""
    out = {k: v for k, v in data.items() if k not in ("personal", "order_id")}
    if name in _QUOTING or name == "rejected":
        out.pop("evidence", None)
    if isinstance(out.get("customer_id"), str):
        out["customer_id"] = pseudonym(out["customer_id"], key)
    finding = out.get("finding")
    if name == "investigated" and isinstance(finding, Mapping) and "evidence" in finding:
        out["finding"] = FrozenDict({**finding, "evidence": ("withheld",)})
    if len(out) == len(data) and all(out[k] is data[k] for k in out):
        return data
    return FrozenDict(out)


_UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def register_upcaster(name: str, v: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that turns event ``name`` data of layout ``v`` into layout
    ``v + 1`` (a decorator). Layout ``v + 1`` becomes the one new ``name`` events are
    written in, unless a later one is registered too; every reader
    (:meth:`Event.from_dict`, the stores, the relay) brings older events up to it. The
    fold of ``name`` (:func:`complaintflow.register_fold`) reads today's layout only.
    """
    if not isinstance(name, str) or not name.isidentifier() or not name.islower():
        raise ValidationError("event.name", f"{name!r} is not a lower-case identifier")
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValidationError("v", f"expected a layout version >= 0, got {v!r}")

    def deco(fn: Upcaster) -> Upcaster:
        if not callable(fn):
            raise ValidationError("upcaster", f"expected a function, got {fn!r}")
        _UPCASTERS[name, v] = fn
        _CURRENT[name] = max(_CURRENT.get(name, 1), v + 1)
        return fn

    return deco
