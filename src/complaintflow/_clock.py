"""Clocks: the only place complaintflow asks the system for the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from complaintflow.exceptions import ValidationError

__all__ = ["Clock", "FrozenClock", "SystemClock", "ensure_aware"]


def ensure_aware(value: object, field: str) -> datetime:
    """Return ``value`` as an aware UTC datetime, refusing naive or non-datetime values."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value
    if not isinstance(value, datetime):
        raise ValidationError(field, f"expected an aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, f"naive datetime {value.isoformat()} refused; attach a tzinfo")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(field, f"{value.isoformat()} is out of range in UTC") from None


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` returning an aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time, in UTC."""

    __slots__ = ()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FrozenClock:
    """A clock that stands still until told to move: for tests, demos and backtests.

    >>> from datetime import datetime, timedelta, timezone
    >>> clock = FrozenClock(datetime(2026, 6, 18, 9, 0, tzinfo=timezone.utc))
    >>> clock.advance(hours=2).isoformat()
    '2026-06-18T11:00:00+00:00'
    """

    __slots__ = ("_now",)

    def __init__(self, now: datetime) -> None:
        self._now = ensure_aware(now, "now")

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> datetime:
        """Move the clock to ``now`` (forwards or backwards)."""
        self._now = ensure_aware(now, "now")
        return self._now

    def advance(self, delta: timedelta | None = None, /, **kwargs: float) -> datetime:
        """Move the clock forwards by ``delta`` or by ``timedelta(**kwargs)``; returns the new time."""
        step = delta if delta is not None else timedelta(**kwargs)
        if not isinstance(step, timedelta):
            raise ValidationError("delta", f"expected a timedelta, got {type(step).__name__}")
        if step < timedelta(0):
            raise ValidationError("delta", f"a clock only advances; got {step}")
        self._now = self._now + step
        return self._now

    def __repr__(self) -> str:
        return f"FrozenClock({self._now.isoformat()})"
