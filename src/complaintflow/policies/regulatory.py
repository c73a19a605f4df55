"""Regulatory profiles: deadlines a regulator sets, combined with the SLA table.

A :class:`RegulatoryProfile` is data: for some stages a :class:`Period` counted from
receipt (``"7 business_days"``, ``"8 weeks"``), optionally a hard limit that waiting for
the customer can never push a deadline past, the calendar its business days are counted
in, and the categories it covers. :class:`~complaintflow.policies.TieredEscalation` takes
the earlier of the SLA deadline and every selected profile's deadline for each stage
(the stricter deadline wins).

The bundled profiles live in ``policies/data/regulatory.toml`` in the same schema a
user's ``policies.toml`` uses (``[escalation.profiles.<name>]``):

>>> from datetime import datetime, timezone
>>> fca = bundled_profiles()["uk_fca_disp"]
>>> fca.rule.split(": ")[0]
'FCA Handbook DISP 1.6.2R'
>>> friday = datetime(2026, 4, 3, 10, 0, tzinfo=timezone.utc)   # Good Friday in England
>>> fca.windows_from(friday)["summary_resolution"].isoformat()   # Easter Monday not counted
'2026-04-09T16:00:00+00:00'
>>> fca.deadlines_from(friday)[State.PROPOSED].isoformat()   # 8 weeks, end of the London day
'2026-05-29T22:59:59.999999+00:00'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, get_args
from zoneinfo import ZoneInfo

import attrs

from complaintflow._complaint import Complaint
from complaintflow._markets import check_market
from complaintflow._values import STAGES, State
from complaintflow.exceptions import ValidationError
from complaintflow.policies.calendar import BusinessCalendar

if TYPE_CHECKING:
    from complaintflow.policies._config import ConfigContext

__all__ = ["Period", "RegulatoryProfile", "Window", "bundled_profiles", "profile_from_config"]

Unit: TypeAlias = Literal["hours", "working_hours", "business_days", "days", "weeks"]
UNITS: Final[tuple[str, ...]] = get_args(Unit)
_PERIOD = re.compile(r"^\s*(\d+)\s+([a-z_]+)\s*$")
_WINDOW = re.compile(r"^\s*(\d+\s+[a-z_]+)(?:\s+after\s+([a-z_][a-z0-9_]*))?\s*$")
_END_OF_DAY: Final = time(23, 59, 59, 999999)
_DEADLINE_STAGES: Final = tuple(s for s in STAGES if s is not State.REVISITED)


@attrs.frozen(slots=True)
class Period:
    """A span a rule gives: ``count`` of ``unit``.

    Units: ``hours`` run on the wall clock; ``days`` and ``weeks`` end at the end of the
    local day (in the calendar's time zone) that many days or weeks after the local day of
    the start, whatever daylight-saving change lies between; ``working_hours`` count the
    profile calendar's working time; ``business_days`` end at the close of business of the
    n-th working day after the day of receipt (the day of receipt is not counted).

    >>> Period.parse("15 business_days")
    Period(count=15, unit='business_days')
    >>> str(Period(8, "weeks"))
    '8 weeks'
    """

    count: int
    unit: Unit

    def __attrs_post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise ValidationError("period.count", f"expected a whole number >= 0, got {self.count!r}")
        if self.unit not in UNITS:
            raise ValidationError("period.unit",
                                  f"unknown unit {self.unit!r}; expected one of {', '.join(UNITS)}")

    @classmethod
    def parse(cls, text: object) -> Period:
        """A period from ``"<count> <unit>"``."""
        if not isinstance(text, str):
            raise ValidationError("period", f"expected a string like '7 business_days', got {text!r}")
        m = _PERIOD.match(text)
        if not m:
            raise ValidationError("period", f"expected '<count> <unit>' like '7 business_days', got {text!r}")
        unit = m.group(2)
        if unit not in UNITS:
            raise ValidationError("period", f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")
        return cls(int(m.group(1)), unit)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.count} {self.unit}"

    def after(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """The end of this period counted from ``start``."""
        if self.unit == "hours":
            return start + timedelta(hours=self.count)
        if self.unit in ("days", "weeks"):
            zone = ZoneInfo(calendar.timezone)
            days = self.count * (7 if self.unit == "weeks" else 1)
            day = start.astimezone(zone).date() + timedelta(days=days)
            return datetime.combine(day, _END_OF_DAY, tzinfo=zone).astimezone(start.tzinfo)
        if self.unit == "working_hours":
            return calendar.add(start, timedelta(hours=self.count))
        return calendar.close_of_business(start, self.count)


def _stage_periods(value: Mapping[State, Period]) -> Mapping[State, Period]:
    out: dict[State, Period] = {}
    for stage, period in value.items():
        st = State(stage)
        if st not in _DEADLINE_STAGES:
            raise ValidationError("deadlines", f"{st.value} has no regulatory deadline; expected one of "
                                  f"{', '.join(s.value for s in _DEADLINE_STAGES)}")
        if not isinstance(period, Period):
            raise ValidationError(f"deadlines.{st.value}", f"expected a Period, got {period!r}")
        out[st] = period
    return MappingProxyType(out)


def _words(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        raise ValidationError("categories", f"expected a collection of names, got {value!r}")
    return frozenset(value)


@attrs.frozen(slots=True)
class Window:
    """A span a rule gives that is not a deadline of the seller's: an exemption ("resolved
    within 3 business days, a summary resolution communication is enough") or a step of
    the regulator's the seller must be ready for ("the regulator ends mediation 45 working
    days after accepting the complaint"). ``after`` names another window of the same
    profile the span is counted from (``None``: from receipt).

    >>> Window.parse("45 business_days after acceptance_decision")
    Window(period=Period(count=45, unit='business_days'), after='acceptance_decision')
    """

    period: Period
    after: str | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.period, Period):
            raise ValidationError("window.period", f"expected a Period, got {self.period!r}")
        if self.after is not None and (not isinstance(self.after, str) or not self.after):
            raise ValidationError("window.after", f"expected a window name, got {self.after!r}")

    @classmethod
    def parse(cls, text: object) -> Window:
        """A window from ``"<count> <unit>"`` or ``"<count> <unit> after <window>"``."""
        m = _WINDOW.match(text) if isinstance(text, str) else None
        if m is None:
            raise ValidationError("window", "expected '<count> <unit>' or '<count> <unit> after "
                                  f"<window>', got {text!r}")
        return cls(Period.parse(m.group(1)), m.group(2))

    def __str__(self) -> str:
        return str(self.period) if self.after is None else f"{self.period} after {self.after}"


def _windows(value: Mapping[str, Window]) -> Mapping[str, Window]:
    out: dict[str, Window] = {}
    for name, window in value.items():
        if not isinstance(window, Window):
            raise ValidationError(f"windows.{name}", f"expected a Window, got {window!r}")
        if window.after is not None and window.after not in out:
            raise ValidationError(f"windows.{name}", f"counted after {window.after!r}, which is not "
                                  "a window listed before it")
        out[name] = window
    return MappingProxyType(out)


@attrs.frozen(slots=True, eq=False)
class RegulatoryProfile:
    """One regulator's complaint-handling deadlines, as data.

    ``deadlines`` gives, per stage, the period from receipt the rule allows; ``limits``
    gives hard limits from receipt that waiting for the customer never pushes a deadline
    past (e.g. PSD2's 35 business days). ``windows`` are named spans that are not the
    seller's deadlines (see :class:`Window`): exemptions and the regulator's own steps.
    ``categories`` restricts the profile to those complaint categories (empty: every
    complaint), ``markets`` to the complaints of those markets (``Complaint.market``;
    empty: every market). ``rule`` cites the legal source.
    """

    name: str
    title: str
    rule: str
    deadlines: Mapping[State, Period] = attrs.field(converter=_stage_periods)
    limits: Mapping[State, Period] = attrs.field(factory=dict, converter=_stage_periods)
    calendar: BusinessCalendar = attrs.field(factory=BusinessCalendar)
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_words)
    url: str = ""
    windows: Mapping[str, Window] = attrs.field(factory=dict, converter=_windows)
    markets: frozenset[str] = attrs.field(default=frozenset(), converter=_words)

    def applies(self, complaint: Complaint) -> bool:
        """Whether the rule covers ``complaint`` (by category and market)."""
        return ((not self.categories or complaint.category in self.categories)
                and (not self.markets or complaint.market in self.markets))

    def deadlines_from(self, start: datetime) -> dict[State, datetime]:
        """The rule's deadline of each stage, counted from ``start``."""
        return {s: p.after(start, self.calendar) for s, p in self.deadlines.items()}

    def limits_from(self, received_at: datetime) -> dict[State, datetime]:
        """The hard limits, counted from receipt."""
        return {s: p.after(received_at, self.calendar) for s, p in self.limits.items()}

    def windows_from(self, received_at: datetime, **known: datetime) -> dict[str, datetime]:
        """When each window ends, counted from receipt or from the end of the window it
        follows; ``known`` gives the real time of a step that has happened (e.g.
        ``acceptance_decision=...`` once the regulator accepted the complaint), used
        instead of the latest time the rule allows."""
        unknown = set(known) - set(self.windows)
        if unknown:
            raise ValidationError("windows", f"no window {sorted(unknown)[0]!r} in {self.name}")
        out: dict[str, datetime] = {}
        for name, window in self.windows.items():
            if name in known:
                out[name] = known[name]
                continue
            start = received_at if window.after is None else out[window.after]
            out[name] = window.period.after(start, self.calendar)
        return out

    def __repr__(self) -> str:
        return f"RegulatoryProfile({self.name!r}: {self.title})"


#: The keys of a calendar in TOML (a profile's, a market's, ``[escalation.calendar]``).
CALENDAR_KEYS: Final = frozenset({"timezone", "hours", "holidays", "subdivision", "weekend",
                                  "holiday_categories"})


def _calendar_from(table: Mapping[str, Any], ctx: ConfigContext) -> BusinessCalendar:
    ctx.unknown(table, CALENDAR_KEYS)
    kwargs: dict[str, Any] = {}
    for key, kind in (("timezone", str), ("holidays", str), ("subdivision", str)):
        value = ctx.get(table, key, kind)
        if value is not None:
            kwargs[key] = value
    if "holiday_categories" in table:
        kwargs["categories"] = ctx.strings(table, "holiday_categories")
    for key in ("hours", "weekend"):
        value = ctx.get(table, key, list)
        if value is not None:
            kwargs[key] = value
    try:
        return BusinessCalendar(**kwargs)
    except ValidationError as exc:
        key = exc.field.split("[")[0]
        ctx.error("holiday_categories" if key == "categories" else key, str(exc))


def calendar_from_config(table: Mapping[str, Any], ctx: ConfigContext) -> BusinessCalendar:
    """A :class:`BusinessCalendar` from a TOML table (``timezone``, ``hours``, ``holidays``,
    ``subdivision``, ``weekend``, ``holiday_categories``)."""
    return _calendar_from(table, ctx)


def _periods(table: object, ctx: ConfigContext, key: str) -> dict[State, Period]:
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        ctx.error(key, "expected a table of stage = \"<count> <unit>\"")
    sub = ctx.sub(key)
    out: dict[State, Period] = {}
    for stage, text in table.items():
        try:
            st = State(stage)
        except ValueError:
            sub.error(stage, f"unknown stage; expected one of {', '.join(s.value for s in _DEADLINE_STAGES)}")
        if st not in _DEADLINE_STAGES:
            sub.error(stage, "this stage has no regulatory deadline")
        try:
            out[st] = Period.parse(text)
        except ValidationError as exc:
            sub.error(stage, str(exc))
    return out


_PROFILE_KEYS: Final = frozenset({"title", "rule", "url", "deadlines", "limits", "categories",
                                  "windows", "markets", *CALENDAR_KEYS})


def _windows_from(table: object, ctx: ConfigContext) -> dict[str, Window]:
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        ctx.error("windows", "expected a table of name = \"<count> <unit> [after <window>]\"")
    sub = ctx.sub("windows")
    out: dict[str, Window] = {}
    for name, text in table.items():
        try:
            window = Window.parse(text)
        except ValidationError as exc:
            sub.error(name, str(exc))
        if window.after is not None and window.after not in out:
            sub.error(name, f"counted after {window.after!r}, which is not a window listed before it")
        out[name] = window
    return out


def profile_from_config(name: str, table: Mapping[str, Any], ctx: ConfigContext) -> RegulatoryProfile:
    """A :class:`RegulatoryProfile` from its TOML table ``[escalation.profiles.<name>]``."""
    ctx.unknown(table, _PROFILE_KEYS)
    title = ctx.get(table, "title", str, name)
    rule = ctx.get(table, "rule", str)
    if not rule:
        ctx.error("rule", "cite the legal source of the profile's deadlines")
    deadlines = _periods(table.get("deadlines"), ctx, "deadlines")
    windows = _windows_from(table.get("windows"), ctx)
    if not deadlines and not windows:
        ctx.error("deadlines", "a profile needs at least one stage deadline or window")
    limits = _periods(table.get("limits"), ctx, "limits")
    categories = ctx.get(table, "categories", list, [])
    if not all(isinstance(c, str) for c in categories):
        ctx.error("categories", "expected a list of category names")
    markets = ctx.get(table, "markets", list, [])
    for code in markets:
        try:
            check_market(code)
        except ValidationError as exc:
            ctx.error("markets", str(exc).split(": ", 1)[-1])
    cal = _calendar_from({k: table[k] for k in CALENDAR_KEYS if k in table}, ctx)
    return RegulatoryProfile(name=name, title=title, rule=rule, deadlines=deadlines, limits=limits,
                             calendar=cal, categories=frozenset(categories),
                             markets=frozenset(markets),
                             url=ctx.get(table, "url", str, ""), windows=windows)


def profiles_from_config(table: object, ctx: ConfigContext) -> dict[str, RegulatoryProfile]:
    """Every ``[escalation.profiles.<name>]`` table of ``table``."""
    if not isinstance(table, Mapping):
        ctx.error("", "expected a table of profiles")
    out: dict[str, RegulatoryProfile] = {}
    for name, sub in table.items():
        if not isinstance(sub, Mapping):
            ctx.error(name, "expected a table")
        out[name] = profile_from_config(name, sub, ctx.sub(name))
    return out


@cache
def bundled_profiles() -> Mapping[str, RegulatoryProfile]:
    """The profiles shipped with complaintflow, by name (``cn_samr``, ``uk_fca_disp``,
    ``uk_fca_disp_payments``, ``eu_psd2``, ``us_cfpb``)."""
    from complaintflow.policies._config import ConfigContext, default_text

    text = default_text("regulatory.toml")
    data = tomllib.loads(text)
    ctx = ConfigContext(text, "complaintflow/policies/data/regulatory.toml")
    profiles = profiles_from_config(data["escalation"]["profiles"],
                                    ctx.sub("escalation").sub("profiles"))
    return MappingProxyType(profiles)
