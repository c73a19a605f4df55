"""Snapshots: a complaint's folded state, stored in its state row, so a load reads the
snapshot and the events after it instead of folding the whole history.

A snapshot is text: ``cf1:<sha-256 of the JSON>:<JSON>``. The JSON holds every field of
:class:`~complaintflow.Complaint` except the history, each written by its declared type
(so a field added to the complaint is carried without changing this module; a type this
module does not know fails the tests, never silently). Reading one back checks the
checksum (a damaged or hand-edited snapshot is an :class:`IntegrityError`), every type
and the ranges a command would have checked (the value classes' own constructors:
``Money``, ``Offer``, ``Finding``), and the store then checks it against its state row and
the stored event it claims to reflect. A snapshot of another layout (written by another
version of complaintflow, whose complaint has other fields) is not an error: the store
replays the history instead, and the next save writes a current snapshot.
"""

from __future__ import annotations

import functools
import hashlib
import json
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

import attrs

from complaintflow import _complaint
from complaintflow._complaint import SCOPES, Complaint, StageClock
from complaintflow._limits import check_complaint_id
from complaintflow._values import Finding, Money, Offer, State, Tier
from complaintflow.exceptions import ComplaintflowError, IntegrityError, ValidationError

__all__ = ["FORMAT", "decode", "encode"]

#: The snapshot layout written by this complaintflow.
FORMAT: Final = "cf1"

#: Fields a snapshot leaves out: the history (read from the events) and the store's mark.
_SKIP: Final = frozenset({"history", "committed"})

_Codec = tuple[Callable[[Any], Any], Callable[[Any, str], Any]]


def _fail(field: str, expected: str, raw: object) -> ValidationError:
    return ValidationError(field, f"expected {expected}, got {raw!r}"[:300])


def _plain(kind: type, name: str) -> _Codec:
    def dec(raw: Any, field: str) -> Any:
        if type(raw) is not kind:
            raise _fail(field, name, raw)
        return raw

    return (lambda v: v), dec


def _datetime() -> _Codec:
    def dec(raw: Any, field: str) -> datetime:
        if type(raw) is not str:
            raise _fail(field, "an ISO 8601 string", raw)
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise _fail(field, "an ISO 8601 datetime", raw) from None
        if value.tzinfo is None:
            raise _fail(field, "an aware datetime", raw)
        return value if value.tzinfo is UTC else value.astimezone(UTC)

    return (lambda v: v.isoformat()), dec


def _timedelta() -> _Codec:
    def dec(raw: Any, field: str) -> timedelta:
        if (type(raw) is not list or len(raw) != 3
                or not all(type(x) is int for x in raw)):
            raise _fail(field, "[days, seconds, microseconds]", raw)
        try:
            return timedelta(days=raw[0], seconds=raw[1], microseconds=raw[2])
        except OverflowError:
            raise _fail(field, "a duration in range", raw) from None

    return (lambda v: [v.days, v.seconds, v.microseconds]), dec


def _enum_state() -> _Codec:
    by_value = {s.value: s for s in State}

    def dec(raw: Any, field: str) -> State:
        found = by_value.get(raw) if type(raw) is str else None
        if found is None:
            raise _fail(field, "a state", raw)
        return found

    return (lambda v: v.value), dec


def _enum_tier() -> _Codec:
    def dec(raw: Any, field: str) -> Tier:
        if type(raw) is not str:
            raise _fail(field, "a tier", raw)
        return Tier.parse(raw, field)

    return (lambda v: v.label), dec


def _record(kind: Any) -> _Codec:
    def dec(raw: Any, field: str) -> Any:
        if type(raw) is not dict:
            raise _fail(field, f"a {kind.__name__} mapping", raw)
        try:
            return kind.from_dict(raw)
        except (KeyError, TypeError) as exc:
            raise _fail(field, f"a {kind.__name__} mapping", raw) from exc

    return (lambda v: v.to_dict()), dec


def _optional(inner: _Codec) -> _Codec:
    enc, dec = inner
    return (lambda v: None if v is None else enc(v)), (
        lambda raw, field: None if raw is None else dec(raw, field))


def _tuple(inner: _Codec) -> _Codec:
    enc, dec = inner

    def decode(raw: Any, field: str) -> tuple[Any, ...]:
        if type(raw) is not list:
            raise _fail(field, "a list", raw)
        return tuple(dec(x, field) for x in raw)

    return (lambda v: [enc(x) for x in v]), decode


def _fixed(parts: tuple[_Codec, ...]) -> _Codec:
    def decode(raw: Any, field: str) -> tuple[Any, ...]:
        if type(raw) is not list or len(raw) != len(parts):
            raise _fail(field, f"a list of {len(parts)}", raw)
        return tuple(c[1](x, field) for c, x in zip(parts, raw, strict=True))

    return (lambda v: [c[0](x) for c, x in zip(parts, v, strict=True)]), decode


def _frozenset(inner: _Codec) -> _Codec:
    enc, dec = inner

    def decode(raw: Any, field: str) -> frozenset[Any]:
        if type(raw) is not list:
            raise _fail(field, "a list", raw)
        return frozenset(dec(x, field) for x in raw)

    return (lambda v: sorted(enc(x) for x in v)), decode


def _mapping(key: _Codec, value: _Codec) -> _Codec:
    kenc, kdec = key
    venc, vdec = value

    def decode(raw: Any, field: str) -> Mapping[Any, Any]:
        if type(raw) is not dict:
            raise _fail(field, "a mapping", raw)
        return MappingProxyType({kdec(k, field): vdec(v, field) for k, v in raw.items()})

    return (lambda v: {kenc(k): venc(x) for k, x in v.items()}), decode


def _named_tuple(kind: Any) -> _Codec:
    hints = typing.get_type_hints(kind, vars(_complaint))
    parts = [(name, _codec(hints[name])) for name in kind._fields]

    def enc(v: Any) -> list[Any]:
        return [c[0](getattr(v, name)) for name, c in parts]

    def dec(raw: Any, field: str) -> Any:
        if type(raw) is not list or len(raw) != len(parts):
            raise _fail(field, f"a {kind.__name__} of {len(parts)} values", raw)
        return kind(*[c[1](x, field) for (_, c), x in zip(parts, raw, strict=True)])

    return enc, dec


def _codec(tp: Any) -> _Codec:
    """How a value of type ``tp`` is written to JSON and read back, checked."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return _optional(_codec(rest[0]))
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple(_codec(args[0]))
    elif origin is tuple and Ellipsis not in args:
        return _fixed(tuple(_codec(a) for a in args))
    elif origin is frozenset:
        return _frozenset(_codec(args[0]))
    elif origin in (Mapping, dict):
        return _mapping(_codec(args[0]), _codec(args[1]))
    elif origin is None:
        simple: dict[Any, Callable[[], _Codec]] = {
            str: lambda: _plain(str, "a string"), int: lambda: _plain(int, "an integer"),
            bool: lambda: _plain(bool, "true or false"), datetime: _datetime,
            timedelta: _timedelta, State: _enum_state, Tier: _enum_tier,
            Money: lambda: _record(Money), Finding: lambda: _record(Finding),
            Offer: lambda: _record(Offer), StageClock: lambda: _named_tuple(StageClock),
        }
        if tp in simple:
            return simple[tp]()
    msg = f"snapshots cannot carry a field of type {tp!r}: teach store/_snapshot.py"
    raise TypeError(msg)


@functools.cache
def _fields() -> tuple[tuple[str, _Codec], ...]:
    hints = typing.get_type_hints(Complaint, vars(_complaint))
    return tuple((f.name, _codec(hints[f.name])) for f in attrs.fields(Complaint)
                 if f.name not in _SKIP)


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()


def encode(complaint: Complaint) -> str:
    """The snapshot text of ``complaint`` (its state at ``complaint.version``)."""
    state = complaint.__dict__
    body = {name: codec[0](state[name]) for name, codec in _fields()}
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return f"{FORMAT}:{_digest(payload)}:{payload}"


def decode(text: object, complaint_id: str) -> dict[str, Any] | None:
    """The complaint fields (all but the history) a snapshot holds, checked; ``None`` for
    a snapshot of another layout (replay the history instead). A damaged or forged
    snapshot is an :class:`IntegrityError` naming the complaint and the field."""
    where = f"complaint {complaint_id!r}: stored snapshot"
    if not isinstance(text, str):
        raise IntegrityError(f"{where} is not text")
    head, _, rest = text.partition(":")
    if head != FORMAT:
        return None
    digest, sep, payload = rest.partition(":")
    if not sep or digest != _digest(payload):
        raise IntegrityError(f"{where} does not match its checksum (damaged or edited)")
    try:
        body = json.loads(payload)
    except ValueError as exc:
        raise IntegrityError(f"{where} is not JSON: {exc}") from exc
    fields = _fields()
    if type(body) is not dict or body.keys() != {name for name, _ in fields}:
        return None  # written for a complaint with other fields: replay instead
    try:
        out = {name: codec[1](body[name], name) for name, codec in fields}
        _check(out, complaint_id)
    except ComplaintflowError as exc:
        raise IntegrityError(f"{where}: {exc}") from exc
    except (TypeError, ValueError, OverflowError) as exc:
        raise IntegrityError(f"{where} is malformed: {exc!r}") from exc
    return out


def _check(fields: Mapping[str, Any], complaint_id: str) -> None:
    """The ranges a command would have kept, beyond the types."""
    if fields["id"] != complaint_id:
        raise ValidationError("id", f"the snapshot is of {fields['id']!r}")
    check_complaint_id("id", fields["id"])
    if fields["version"] < 1:
        raise ValidationError("version", f"expected >= 1, got {fields['version']}")
    if fields["severity"] < 1:
        raise ValidationError("severity", f"expected >= 1, got {fields['severity']}")
    if fields["scope"] not in SCOPES:
        raise ValidationError("scope", f"expected point, line or plane, got {fields['scope']!r}")
    for name in ("declines", "reopens"):
        if fields[name] < 0:
            raise ValidationError(name, f"expected >= 0, got {fields[name]}")
    satisfaction = fields["satisfaction"]
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ValidationError("satisfaction", f"expected 1-5, got {satisfaction}")
    if len(fields["approvers"]) != len(fields["offers"]):
        raise ValidationError("approvers", "one approver (or none) per offer")


def build(fields: Mapping[str, Any], history: Any, committed: int) -> Complaint:
    """The complaint of checked snapshot ``fields`` with ``history`` (the fold's own
    copy-by-``__dict__``, as :func:`complaintflow._complaint.replace` does)."""
    new = object.__new__(Complaint)
    state = new.__dict__
    state.update(fields)
    state["history"] = history
    state["committed"] = committed
    return new
