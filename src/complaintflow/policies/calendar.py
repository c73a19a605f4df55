"""Business calendars: counting deadlines in working time.

A :class:`BusinessCalendar` knows a time zone, the working hours of a day (one shift or
several, e.g. with a lunch break), the weekend and the public holidays of a country —
including China's make-up working days (调休) — taken from the maintained
`holidays <https://pypi.org/project/holidays/>`_ library, never from a hand-written table.

>>> from datetime import datetime, timedelta, timezone
>>> cal = BusinessCalendar(timezone="Asia/Shanghai", hours=("09:00", "18:00"), holidays="CN")
>>> new_year = datetime(2026, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
>>> cal.is_open(new_year)
False
>>> cal.next_open(new_year).isoformat()   # 2 Jan is a day off, 3 Jan a Saturday
'2026-01-04T01:00:00+00:00'
>>> cal.is_working_day(new_year.date().replace(day=4))   # Sunday 4 Jan 2026: a make-up day
True

Opening intervals are computed once per day and cached, so adding working time walks
days, never minutes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as _holidays

from complaintflow._clock import ensure_aware
from complaintflow.exceptions import ValidationError

__all__ = ["BusinessCalendar"]

_ZERO: Final = timedelta(0)
_DAY: Final = timedelta(days=1)
#: How far a calendar looks for an opening before it gives up (a calendar that is never open).
_HORIZON_DAYS: Final = 3660
_WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")

Interval = tuple[datetime, datetime]


def _minutes(value: object, field: str) -> int:
    if not isinstance(value, str):
        raise ValidationError(field, f"expected a time like '09:00', got {value!r}")
    m = _CLOCK.match(value.strip())
    if not m:
        raise ValidationError(field, f"expected a time like '09:00', got {value!r}")
    minutes = int(m.group(1)) * 60 + int(m.group(2))
    if minutes > 24 * 60:
        raise ValidationError(field, f"{value!r} is after 24:00")
    return minutes


def _shifts(hours: object) -> tuple[tuple[int, int], ...]:
    """Working hours as ``((start_minute, end_minute), ...)``, sorted and not overlapping."""
    if isinstance(hours, str) or not isinstance(hours, Sequence) or not hours:
        raise ValidationError("hours", f"expected ('09:00', '18:00') or a list of such pairs, got {hours!r}")
    pairs: list[Any] = [hours] if isinstance(hours[0], str) else list(hours)
    out: list[tuple[int, int]] = []
    for i, pair in enumerate(pairs):
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValidationError(f"hours[{i}]", f"expected a (start, end) pair, got {pair!r}")
        start, end = _minutes(pair[0], f"hours[{i}]"), _minutes(pair[1], f"hours[{i}]")
        if end <= start:
            raise ValidationError(f"hours[{i}]", f"a shift must end after it starts, got {pair!r}")
        out.append((start, end))
    out.sort()
    for (_, end), (start, _) in pairwise(out):
        if start < end:
            raise ValidationError("hours", "shifts must not overlap")
    return tuple(out)


def _weekdays(value: Iterable[int | str], field: str) -> frozenset[int]:
    days: set[int] = set()
    for item in value:
        if isinstance(item, str) and item.strip().lower()[:3] in _WEEKDAYS:
            days.add(_WEEKDAYS.index(item.strip().lower()[:3]))
        elif isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 6:
            days.add(item)
        else:
            raise ValidationError(field, f"expected weekday names ('sat') or numbers 0-6, got {item!r}")
    return frozenset(days)


class BusinessCalendar:
    """Working time in one place: time zone, working hours, weekend and public holidays.

    ``hours`` is one shift ``("09:00", "18:00")`` or several
    ``(("09:00", "12:00"), ("13:00", "18:00"))``; ``"24:00"`` ends a shift at midnight.
    ``holidays`` is a country code known to the ``holidays`` library (``"CN"``, ``"GB"``,
    ``"US"`` …, with an optional ``subdivision``), a ready ``holidays.HolidayBase``, or
    ``None`` for weekends only. ``weekend`` defaults to the country's own weekend
    (Saturday and Sunday without a country). Make-up working days the country declares
    (China's 调休) are working days even on a weekend. ``categories`` chooses which of
    the country's holiday categories close the office (default: the library's default,
    its public holidays); Hong Kong's general holidays, on which banks and offices close,
    are ``("public", "optional")``.

    A calendar is immutable in effect: deadlines computed with it are stored on the
    complaint when they are set, so changing the calendar later only affects deadlines
    set afterwards.
    """

    __slots__ = ("_days", "_holidays", "_shifts", "_tz", "_weekend", "_workdays",
                 "categories", "holidays_code", "hours", "subdivision", "timezone")

    def __init__(
        self,
        timezone: str = "UTC",
        hours: Sequence[str] | Sequence[Sequence[str]] = ("09:00", "18:00"),
        holidays: str | _holidays.HolidayBase | None = None,
        *,
        subdivision: str | None = None,
        weekend: Iterable[int | str] | None = None,
        categories: Iterable[str] | None = None,
    ) -> None:
        if not isinstance(timezone, str):
            raise ValidationError("timezone", f"expected an IANA time zone name, got {timezone!r}")
        try:
            self._tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError("timezone", f"unknown IANA time zone {timezone!r}") from None
        self.timezone = timezone
        self._shifts = _shifts(hours)
        self.hours = tuple((f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}")
                           for a, b in self._shifts)
        self.subdivision = subdivision
        if categories is not None:
            if isinstance(categories, str) or not all(isinstance(c, str) and c for c in categories):
                raise ValidationError("categories", f"expected a list of holiday categories, got "
                                      f"{categories!r}")
            if holidays is None or not isinstance(holidays, str):
                raise ValidationError("categories", "holiday categories need a country code")
            self.categories: tuple[str, ...] | None = tuple(sorted(set(categories)))
        else:
            self.categories = None
        if holidays is None:
            self._holidays: Any = None
            self.holidays_code: str | None = None
        elif isinstance(holidays, str):
            extra: dict[str, Any] = {} if self.categories is None else {"categories": self.categories}
            try:
                self._holidays = _holidays.country_holidays(holidays, subdiv=subdivision, **extra)
            except NotImplementedError:
                raise ValidationError(
                    "holidays", f"no public holidays known for {holidays!r} "
                    f"(subdivision {subdivision!r}); use an ISO country code like 'CN'"
                ) from None
            except ValueError as exc:
                raise ValidationError("categories", f"{exc} (country {holidays!r})") from None
            self.holidays_code = holidays
        elif isinstance(holidays, _holidays.HolidayBase):
            self._holidays = holidays
            self.holidays_code = getattr(holidays, "country", None)
        else:
            raise ValidationError("holidays", f"expected a country code or holidays object, got {holidays!r}")
        if weekend is not None:
            if isinstance(weekend, str):
                raise ValidationError("weekend", "expected a list of weekdays")
            self._weekend = _weekdays(weekend, "weekend")
        elif self._holidays is not None:
            self._weekend = frozenset(getattr(self._holidays, "weekend", {5, 6}))
        else:
            self._weekend = frozenset({5, 6})
        self._workdays: dict[date, bool] = {}
        self._days: dict[date, tuple[Interval, ...]] = {}

    # -- identity ---------------------------------------------------------------------------
    def _key(self) -> tuple[object, ...]:
        return (self.timezone, self._shifts, self.holidays_code, self.subdivision, self._weekend,
                self.categories)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"BusinessCalendar(timezone={self.timezone!r}, hours={self.hours!r}, "
                f"holidays={self.holidays_code!r})")

    @property
    def weekend(self) -> frozenset[int]:
        """Weekday numbers (Monday 0) that are not worked unless declared make-up days."""
        return self._weekend

    # -- days -------------------------------------------------------------------------------
    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (a local date) is worked: not a weekend or holiday, or a make-up day."""
        cached = self._workdays.get(day)
        if cached is not None:
            return cached
        h = self._holidays
        if h is None:
            working = day.weekday() not in self._weekend
        else:
            holiday = day in h  # also loads that year's holidays and make-up days
            if day in getattr(h, "weekend_workdays", ()):
                working = True
            else:
                working = day.weekday() not in self._weekend and not holiday
        self._workdays[day] = working
        return working

    def openings(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of local ``day``, as aware UTC datetimes (cached)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        out: tuple[Interval, ...] = ()
        if self.is_working_day(day):
            midnight = datetime(day.year, day.month, day.day, tzinfo=self._tz)
            intervals = []
            for a, b in self._shifts:
                # wall-clock arithmetic in the local zone, then to UTC (DST days stay right)
                start = (midnight + timedelta(minutes=a)).astimezone(UTC)
                end = (midnight + timedelta(minutes=b)).astimezone(UTC)
                if end > start:
                    intervals.append((start, end))
            out = tuple(intervals)
        self._days[day] = out
        return out

    def _local_day(self, at: datetime) -> date:
        return at.astimezone(self._tz).date()

    # -- moments ----------------------------------------------------------------------------
    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` falls inside working time (start included, end excluded)."""
        at = ensure_aware(at, "at")
        return any(a <= at < b for a, b in self.openings(self._local_day(at)))

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when the calendar is open then, otherwise the next opening."""
        at = ensure_aware(at, "at")
        day = self._local_day(at)
        for _ in range(_HORIZON_DAYS):
            for a, b in self.openings(day):
                if b > at:
                    return max(a, at)
            day += _DAY
        raise ValidationError("calendar", f"no working time within {_HORIZON_DAYS} days of {at}")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of working time after ``start``.

        Time outside working hours does not count: a complaint received at night is
        counted from the next opening. A deadline that uses up a shift exactly falls on
        that shift's close.
        """
        start = ensure_aware(start, "start")
        if not isinstance(duration, timedelta) or duration < _ZERO:
            raise ValidationError("duration", f"expected a non-negative timedelta, got {duration!r}")
        remaining = duration
        day = self._local_day(start)
        for _ in range(_HORIZON_DAYS):
            for a, b in self.openings(day):
                if b <= start:
                    continue
                s = a if a > start else start
                span = b - s
                if remaining <= span:
                    return s + remaining
                remaining -= span
            day += _DAY
        raise ValidationError("calendar", f"no working time within {_HORIZON_DAYS} days of {start}")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from ``start`` to ``end`` (zero when ``end`` is not after ``start``)."""
        start = ensure_aware(start, "start")
        end = ensure_aware(end, "end")
        if end <= start:
            return _ZERO
        total = _ZERO
        day = self._local_day(start)
        last = self._local_day(end)
        while day <= last:
            for a, b in self.openings(day):
                lo = a if a > start else start
                hi = b if b < end else end
                if hi > lo:
                    total += hi - lo
            day += _DAY
        return total

    def close_of_business(self, start: datetime, days: int) -> datetime:
        """Close of business on the ``days``-th working day after the local day of ``start``.

        The day of ``start`` itself is not counted (the usual legal way of counting a period
        in days); ``days=0`` is the close of ``start``'s own day, or of the next working day
        when that day is not worked or already closed.
        """
        start = ensure_aware(start, "start")
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValidationError("days", f"expected a non-negative whole number, got {days!r}")
        day = self._local_day(start)
        if days == 0:
            for _ in range(_HORIZON_DAYS):
                spans = self.openings(day)
                if spans and spans[-1][1] > start:
                    return spans[-1][1]
                day += _DAY
            raise ValidationError("calendar", f"no working day within {_HORIZON_DAYS} days")
        counted = 0
        for _ in range(_HORIZON_DAYS):
            day += _DAY
            spans = self.openings(day)
            if spans:
                counted += 1
                if counted == days:
                    return spans[-1][1]
        raise ValidationError("calendar", f"no {days} working days within {_HORIZON_DAYS} days")
