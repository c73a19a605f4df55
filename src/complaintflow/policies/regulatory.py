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
>>> fca.rule.split(" (")[0]
'FCA Handbook DISP 1.5.2R'
>>> friday = datetime(2026, 4, 3, 10, 0, tzinfo=timezone.utc)   # Good Friday in England
>>> fca.deadlines_from(friday)[State.PROPOSED].isoformat()   # Easter Monday is not counted
'2026-04-09T16:00:00+00:00'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, get_args

import attrs

from complaintflow._complaint import Complaint
from complaintflow._values import STAGES, State
from complaintflow.exceptions import ValidationError
from complaintflow.policies.calendar import BusinessCalendar

if TYPE_CHECKING:
    from complaintflow.policies._config import ConfigContext

__all__ = ["Period", "RegulatoryProfile", "bundled_profiles", "profile_from_config"]

Unit: TypeAlias = Literal["hours", "working_hours", "business_days", "days", "weeks"]
UNITS: Final[tuple[str, ...]] = get_args(Unit)
_PERIOD = re.compile(r"^\s*(\d+)\s+([a-z_]+)\s*$")
_DEADLINE_STAGES: Final = tuple(s for s in STAGES if s is not State.REVISITED)


@attrs.frozen(slots=True)
class Period:
    """A span a rule gives: ``count`` of ``unit``.

    Units: ``hours`` and ``days``/``weeks`` run on the wall clock; ``working_hours`` count
    the profile calendar's working time; ``business_days`` end at the close of business of
    the n-th working day after the day of receipt (the day of receipt is not counted).

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
        if self.unit == "days":
            return start + timedelta(days=self.count)
        if self.unit == "weeks":
            return start + timedelta(weeks=self.count)
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


@attrs.frozen(slots=True, eq=False)
class RegulatoryProfile:
    """One regulator's complaint-handling deadlines, as data.

    ``deadlines`` gives, per stage, the period from receipt the rule allows; ``limits``
    gives hard limits from receipt that waiting for the customer never pushes a deadline
    past (e.g. PSD2's 35 business days). ``categories`` restricts the profile to those
    complaint categories (empty: every complaint). ``rule`` cites the legal source.
    """

    name: str
    title: str
    rule: str
    deadlines: Mapping[State, Period] = attrs.field(converter=_stage_periods)
    limits: Mapping[State, Period] = attrs.field(factory=dict, converter=_stage_periods)
    calendar: BusinessCalendar = attrs.field(factory=BusinessCalendar)
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_words)
    url: str = ""

    def applies(self, complaint: Complaint) -> bool:
        """Whether the rule covers ``complaint`` (by category)."""
        return not self.categories or complaint.category in self.categories

    def deadlines_from(self, start: datetime) -> dict[State, datetime]:
        """The rule's deadline of each stage, counted from ``start``."""
        return {s: p.after(start, self.calendar) for s, p in self.deadlines.items()}

    def limits_from(self, received_at: datetime) -> dict[State, datetime]:
        """The hard limits, counted from receipt."""
        return {s: p.after(received_at, self.calendar) for s, p in self.limits.items()}

    def __repr__(self) -> str:
        return f"RegulatoryProfile({self.name!r}: {self.title})"


def _calendar_from(table: Mapping[str, Any], ctx: ConfigContext) -> BusinessCalendar:
    ctx.unknown(table, {"timezone", "hours", "holidays", "subdivision", "weekend"})
    kwargs: dict[str, Any] = {}
    for key, kind in (("timezone", str), ("holidays", str), ("subdivision", str)):
        value = ctx.get(table, key, kind)
        if value is not None:
            kwargs[key] = value
    for key in ("hours", "weekend"):
        value = ctx.get(table, key, list)
        if value is not None:
            kwargs[key] = value
    try:
        return BusinessCalendar(**kwargs)
    except ValidationError as exc:
        ctx.error(exc.field.split("[")[0], str(exc))


def calendar_from_config(table: Mapping[str, Any], ctx: ConfigContext) -> BusinessCalendar:
    """A :class:`BusinessCalendar` from a TOML table (``timezone``, ``hours``, ``holidays``,
    ``subdivision``, ``weekend``)."""
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
                                  "timezone", "hours", "holidays", "subdivision", "weekend"})


def profile_from_config(name: str, table: Mapping[str, Any], ctx: ConfigContext) -> RegulatoryProfile:
    """A :class:`RegulatoryProfile` from its TOML table ``[escalation.profiles.<name>]``."""
    ctx.unknown(table, _PROFILE_KEYS)
    title = ctx.get(table, "title", str, name)
    rule = ctx.get(table, "rule", str)
    if not rule:
        ctx.error("rule", "cite the legal source of the profile's deadlines")
    deadlines = _periods(table.get("deadlines"), ctx, "deadlines")
    if not deadlines:
        ctx.error("deadlines", "a profile needs at least one stage deadline")
    limits = _periods(table.get("limits"), ctx, "limits")
    categories = ctx.get(table, "categories", list, [])
    if not all(isinstance(c, str) for c in categories):
        ctx.error("categories", "expected a list of category names")
    cal = _calendar_from({k: table[k] for k in ("timezone", "hours", "holidays", "subdivision",
                                                "weekend") if k in table}, ctx)
    return RegulatoryProfile(name=name, title=title, rule=rule, deadlines=deadlines, limits=limits,
                             calendar=cal, categories=frozenset(categories),
                             url=ctx.get(table, "url", str, ""))


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
    ``eu_psd2``, ``us_cfpb``)."""
    from complaintflow.policies._config import ConfigContext, default_text

    text = default_text("regulatory.toml")
    data = tomllib.loads(text)
    ctx = ConfigContext(text, "complaintflow/policies/data/regulatory.toml")
    profiles = profiles_from_config(data["escalation"]["profiles"],
                                    ctx.sub("escalation").sub("profiles"))
    return MappingProxyType(profiles)
