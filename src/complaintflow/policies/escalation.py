"""Escalation: who owns a case and by when each stage is due.

:class:`TieredEscalation` implements the complaint-handling brief: the SLA table by severity, a
warning at 80 % of each stage's time, one tier up on a breach. Given a
:class:`~complaintflow.policies.BusinessCalendar` it counts the table's hours in working
time (severity 1 always runs on the wall clock: critical cases never wait for office
hours); given regulatory profiles it takes, stage by stage, the stricter of the SLA
deadline and the regulator's.

>>> from datetime import datetime, timezone
>>> import complaintflow as cf
>>> cal = cf.BusinessCalendar(timezone="Asia/Shanghai", hours=("09:00", "18:00"), holidays="CN")
>>> wf = cf.Workflow(clock=cf.FrozenClock(datetime(2025, 12, 31, 9, 0, tzinfo=timezone.utc)),
...                  escalation=TieredEscalation(calendar=cal))
>>> tv = wf.receive("电视坏了 the TV stopped working", customer_id="C-1", channel="hotline")
>>> tv.deadlines[cf.State.ACKNOWLEDGED].isoformat()   # 17:00 local on 31 Dec, +1 working hour
'2025-12-31T10:00:00+00:00'
>>> tv.deadlines[cf.State.INVESTIGATED].isoformat()   # 1-3 Jan closed, Sun 4 Jan a make-up day
'2026-01-06T06:00:00+00:00'
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, ClassVar, Final

from complaintflow._complaint import Complaint, StageClock
from complaintflow._values import STAGES, State, Tier
from complaintflow.exceptions import ValidationError
from complaintflow.policies._checks import duration
from complaintflow.policies._config import ConfigContext, default_text, register_section
from complaintflow.policies.calendar import BusinessCalendar
from complaintflow.policies.markets import Market, market_of
from complaintflow.policies.regulatory import (
    RegulatoryProfile,
    bundled_profiles,
    calendar_from_config,
    profiles_from_config,
)

__all__ = ["EscalationPolicy", "StageClock", "TieredEscalation", "stage_clocks"]

_H: Final = timedelta(hours=1)
_ZERO: Final = timedelta(0)
_TABLE_STAGES: Final[tuple[State, ...]] = tuple(s for s in STAGES if s is not State.REVISITED)

Table = Mapping[int, tuple[Tier, Mapping[State, float]]]


class EscalationPolicy(ABC):
    """Decides the owning tier and the stage deadlines of a complaint.

    Override :meth:`deadlines` and :meth:`owner`; the other methods have sensible
    defaults (warning at :attr:`warning_ratio`, one tier up per breach, wall-clock pauses).
    """

    version: ClassVar[str] = "1"
    #: Fraction of a stage's time after which a warning is recorded.
    warning_ratio: float = 0.8
    #: How long after its resolution a case may still be reopened (by default
    #: 30 days); later, the customer's message opens a new complaint linked to it.
    reopen_window: timedelta = timedelta(days=30)

    @abstractmethod
    def deadlines(self, complaint: Complaint, start: datetime | None = None) -> Mapping[State, datetime]:
        """Deadlines of the stages acknowledged … resolved, counted from ``start``
        (default: the complaint's receipt)."""

    @abstractmethod
    def owner(self, complaint: Complaint) -> Tier:
        """The tier that owns a newly classified complaint."""

    def replan(self, complaint: Complaint, *, start: datetime | None = None,
               held: timedelta = _ZERO) -> Mapping[State, datetime]:
        """Deadlines planned again (after a reclassification): :meth:`deadlines` from
        ``start``, each moved by ``held``, the SLA time the clocks already stood still
        (counted in the same time as the deadlines)."""
        planned = self.deadlines(complaint, start)
        if not held:
            return planned
        return {s: d + held for s, d in planned.items()}

    def follow_up(self, complaint: Complaint, resolved_at: datetime) -> datetime:
        """When the follow-up call (revisit) is due after resolution."""
        return resolved_at + timedelta(hours=24)

    def warnings(self, complaint: Complaint, start: datetime,
                 deadlines: Mapping[State, datetime]) -> dict[State, datetime]:
        """When to warn for each deadline: at :attr:`warning_ratio` of the time from ``start``."""
        return {s: start + (d - start) * self.warning_ratio for s, d in deadlines.items()}

    def shift(self, complaint: Complaint, deadline: datetime, paused_at: datetime,
              resumed_at: datetime) -> datetime:
        """Move an open ``deadline`` by the time the clock was paused."""
        return deadline + (resumed_at - paused_at)

    def held(self, complaint: Complaint, paused_at: datetime, resumed_at: datetime) -> timedelta:
        """How much SLA time a pause held (wall-clock by default)."""
        return resumed_at - paused_at

    def pause_limit(self, complaint: Complaint, paused_at: datetime) -> datetime:
        """The latest moment a wait for the customer lasts before the clocks run again."""
        return paused_at + timedelta(hours=72)

    def reopen_until(self, complaint: Complaint, resolved_at: datetime) -> datetime:
        """The last moment a case resolved at ``resolved_at`` may be reopened (or take a
        message): :attr:`reopen_window` after it, on the wall clock."""
        return resolved_at + self.reopen_window

    def on_breach(self, complaint: Complaint, stage: State) -> Tier | None:
        """The tier a breach of ``stage`` hands the case to (``None``: no escalation)."""
        up = complaint.tier.up()
        return up if up > complaint.tier else None


def _table(table: Table) -> dict[int, tuple[Tier, dict[State, float]]]:
    out: dict[int, tuple[Tier, dict[State, float]]] = {}
    if not table:
        raise ValidationError("table", "the SLA table needs at least one severity")
    for severity, row in table.items():
        if isinstance(severity, bool) or not isinstance(severity, int) or severity < 1:
            raise ValidationError("table", f"severities are whole numbers >= 1, got {severity!r}")
        tier, hours = row
        stages: dict[State, float] = {}
        for stage, h in hours.items():
            st = State(stage)
            if st not in _TABLE_STAGES:
                raise ValidationError(f"table.{severity}", f"{st.value} is not a stage of the SLA table")
            if isinstance(h, bool) or not isinstance(h, int | float) or h <= 0:
                raise ValidationError(f"table.{severity}.{st.value}", f"hours must be positive, got {h!r}")
            stages[st] = h
        out[severity] = (Tier.parse(tier, f"table.{severity}.owner"), stages)
    return out


class TieredEscalation(EscalationPolicy):
    """The SLA table of the complaint-handling brief, by severity.

    ``calendar``: count the table's hours (and the follow-up) in working time; the
    severities in ``wall_clock_severities`` (default: 1) always run on the wall clock.
    ``regulators``: regulatory profiles (bundled names or
    :class:`~complaintflow.policies.RegulatoryProfile`) whose deadlines are combined with
    the table: the earlier deadline of each stage wins, and a profile's ``limits`` cap how
    far waiting for the customer can move a deadline. Pauses are accounted in the same
    time as the deadlines (working seconds with a calendar).

    Per market (``Complaint.market``, see :mod:`complaintflow.policies.markets`): with
    ``market_regulators`` (the default) the market's own regulatory profiles are added to
    ``regulators`` for its complaints; with ``market_calendars`` the SLA table counts in
    the market's business calendar instead of ``calendar``.

    Deadlines are fixed when they are set (they are stored in the events): a changed
    calendar or table applies to deadlines set afterwards only.
    """

    version: ClassVar[str] = "3"

    #: severity → (owner tier, {stage: hours from receipt})
    DEFAULT_TABLE: ClassVar[Table] = {
        1: (Tier.REGIONAL_HEAD, {State.ACKNOWLEDGED: 1, State.INVESTIGATED: 4,
                                 State.PROPOSED: 6, State.RESOLVED: 24}),
        2: (Tier.STORE_SUPERVISOR, {State.ACKNOWLEDGED: 1, State.INVESTIGATED: 4,
                                    State.PROPOSED: 6, State.RESOLVED: 72}),
        3: (Tier.FRONT_LINE, {State.ACKNOWLEDGED: 1, State.INVESTIGATED: 24,
                              State.PROPOSED: 48, State.RESOLVED: 72}),
    }

    def __init__(
        self,
        table: Table | None = None,
        follow_up_hours: float = 24,
        *,
        calendar: BusinessCalendar | None = None,
        wall_clock_severities: Iterable[int] = (1,),
        regulators: Iterable[str | RegulatoryProfile] = (),
        warning_ratio: float = 0.8,
        pause_limit_hours: float = 72,
        market_calendars: bool = False,
        market_regulators: bool = True,
        reopen_window_days: float = 30,
    ) -> None:
        self.table = _table(table if table is not None else self.DEFAULT_TABLE)
        if isinstance(follow_up_hours, bool) or not isinstance(follow_up_hours, int | float) or (
            follow_up_hours <= 0
        ):
            raise ValidationError("follow_up_hours", f"must be positive, got {follow_up_hours!r}")
        self.follow_up_hours = follow_up_hours
        if calendar is not None and not isinstance(calendar, BusinessCalendar):
            raise ValidationError("calendar", f"expected a cf.BusinessCalendar, got {calendar!r}")
        self.calendar = calendar
        self.wall_clock_severities = frozenset(wall_clock_severities)
        self.regulators = tuple(self._profile(r) for r in regulators)
        if isinstance(warning_ratio, bool) or not isinstance(warning_ratio, int | float) or not (
            0 < warning_ratio < 1
        ):
            raise ValidationError("warning_ratio",
                                  f"expected a fraction between 0 and 1, got {warning_ratio!r}")
        self.warning_ratio = float(warning_ratio)
        if isinstance(pause_limit_hours, bool) or not isinstance(pause_limit_hours, int | float) or (
            pause_limit_hours <= 0
        ):
            raise ValidationError("pause_limit_hours", f"must be positive, got {pause_limit_hours!r}")
        self.pause_limit_hours = pause_limit_hours
        for name, flag in (("market_calendars", market_calendars),
                           ("market_regulators", market_regulators)):
            if not isinstance(flag, bool):
                raise ValidationError(name, f"expected True or False, got {flag!r}")
        self.market_calendars = market_calendars
        self.market_regulators = market_regulators
        self._by_market: dict[str, tuple[Market, tuple[RegulatoryProfile, ...]]] = {}
        self.reopen_window = duration("reopen_window_days", reopen_window_days, "days")

    @staticmethod
    def _profile(value: str | RegulatoryProfile) -> RegulatoryProfile:
        if isinstance(value, RegulatoryProfile):
            return value
        known = bundled_profiles()
        if isinstance(value, str) and value in known:
            return known[value]
        raise ValidationError(
            "regulators", f"unknown regulatory profile {value!r}; bundled: {', '.join(sorted(known))}"
        )

    # -- time: wall clock or the calendar ---------------------------------------------------
    def calendar_for(self, complaint: Complaint) -> BusinessCalendar | None:
        """The calendar ``complaint``'s clocks run on (its market's with
        ``market_calendars``); ``None`` is the wall clock."""
        if complaint.severity in self.wall_clock_severities:
            return None
        if self.market_calendars:
            return market_of(complaint).calendar
        return self.calendar

    def regulators_for(self, complaint: Complaint) -> tuple[RegulatoryProfile, ...]:
        """The profiles considered for ``complaint``: ``regulators`` and, with
        ``market_regulators``, its market's (each still judged by :meth:`RegulatoryProfile.applies`)."""
        if not self.market_regulators:
            return self.regulators
        market = market_of(complaint)
        cached = self._by_market.get(market.code)
        if cached is not None and cached[0] is market:
            return cached[1]
        names = {p.name for p in self.regulators}
        found = self.regulators + tuple(p for p in market.regulators if p.name not in names)
        self._by_market[market.code] = (market, found)
        return found

    def after(self, complaint: Complaint, start: datetime, span: timedelta) -> datetime:
        """``span`` of SLA time after ``start`` (working time when a calendar applies)."""
        cal = self.calendar_for(complaint)
        return start + span if cal is None else cal.add(start, span)

    def elapsed(self, complaint: Complaint, start: datetime, end: datetime) -> timedelta:
        """SLA time from ``start`` to ``end`` (working time when a calendar applies)."""
        cal = self.calendar_for(complaint)
        if cal is None:
            return max(end - start, _ZERO)
        return cal.between(start, end)

    # -- the table ----------------------------------------------------------------------------
    def _row(self, complaint: Complaint) -> tuple[Tier, Mapping[State, float]]:
        return self.table.get(complaint.severity, self.table[max(self.table)])

    def owner(self, complaint: Complaint) -> Tier:
        return self._row(complaint)[0]

    def sla_deadlines(self, complaint: Complaint, start: datetime | None = None) -> dict[State, datetime]:
        """The SLA table's deadlines alone, without regulatory profiles."""
        base = complaint.received_at if start is None else start
        hours = self._row(complaint)[1]
        return {s: self.after(complaint, base, hours[s] * _H) for s in _TABLE_STAGES if s in hours}

    def regulatory_deadlines(self, complaint: Complaint,
                             start: datetime | None = None) -> dict[State, tuple[datetime, str]]:
        """The earliest regulatory deadline per stage, with the profile that sets it."""
        base = complaint.received_at if start is None else start
        out: dict[State, tuple[datetime, str]] = {}
        for profile in self.regulators_for(complaint):
            if not profile.deadlines or not profile.applies(complaint):
                continue
            for stage, when in profile.deadlines_from(base).items():
                if stage not in out or when < out[stage][0]:
                    out[stage] = (when, profile.name)
        return out

    def deadlines(self, complaint: Complaint, start: datetime | None = None) -> Mapping[State, datetime]:
        times = self.sla_deadlines(complaint, start)
        for stage, (when, _name) in self.regulatory_deadlines(complaint, start).items():
            if stage not in times or when < times[stage]:
                times[stage] = when
        # a regulator's later-stage deadline also bounds every earlier stage: the stages
        # stay in order (investigation cannot be due after the proposal it leads to)
        ordered = [s for s in _TABLE_STAGES if s in times]
        for earlier, later in reversed(list(pairwise(ordered))):
            times[earlier] = min(times[earlier], times[later])
        return {s: times[s] for s in ordered}

    def replan(self, complaint: Complaint, *, start: datetime | None = None,
               held: timedelta = _ZERO) -> Mapping[State, datetime]:
        """:meth:`deadlines` from ``start`` with ``held`` added in the complaint's time:
        working time with a calendar (so a deadline lands in working hours), the wall
        clock otherwise; a regulatory limit still caps each."""
        planned = self.deadlines(complaint, start)
        if not held:
            return planned
        out = {s: self.after(complaint, d, held) for s, d in planned.items()}
        if self.regulators_for(complaint):
            for stage, cap in self.limits(complaint).items():
                if stage in out:
                    out[stage] = max(planned[stage], min(out[stage], cap))
        return out

    def limits(self, complaint: Complaint) -> dict[State, datetime]:
        """Hard regulatory limits from receipt that no pause moves a deadline past."""
        out: dict[State, datetime] = {}
        for profile in self.regulators_for(complaint):
            if profile.applies(complaint):
                for stage, when in profile.limits_from(complaint.received_at).items():
                    out[stage] = min(out.get(stage, when), when)
        return out

    def follow_up(self, complaint: Complaint, resolved_at: datetime) -> datetime:
        return self.after(complaint, resolved_at, self.follow_up_hours * _H)

    def warnings(self, complaint: Complaint, start: datetime,
                 deadlines: Mapping[State, datetime]) -> dict[State, datetime]:
        out: dict[State, datetime] = {}
        for stage, deadline in deadlines.items():
            span = self.elapsed(complaint, start, deadline) * self.warning_ratio
            out[stage] = min(self.after(complaint, start, span), deadline)
        return out

    # -- pauses -------------------------------------------------------------------------------
    def held(self, complaint: Complaint, paused_at: datetime, resumed_at: datetime) -> timedelta:
        """SLA time the pause held: working time with a calendar, else wall-clock time."""
        return self.elapsed(complaint, paused_at, resumed_at)

    def shift(self, complaint: Complaint, deadline: datetime, paused_at: datetime,
              resumed_at: datetime) -> datetime:
        """Keep the SLA time that was left at the pause: the deadline is that much after
        the resumption. A deadline already past at the pause stays; a regulatory limit
        caps the move."""
        if deadline <= paused_at:
            return deadline
        left = self.elapsed(complaint, paused_at, deadline)
        moved = self.after(complaint, resumed_at, left)
        if self.regulators_for(complaint):
            limits = self.limits(complaint)
            # several stages may share one deadline: the strictest limit among them caps it
            caps = [limits[stage] for stage, when in complaint.deadlines.items()
                    if when == deadline and stage in limits]
            if caps:
                moved = max(deadline, min(moved, *caps))
        return moved

    def pause_limit(self, complaint: Complaint, paused_at: datetime) -> datetime:
        """Waiting for the customer lasts at most ``pause_limit_hours`` on the wall clock."""
        return paused_at + self.pause_limit_hours * _H


# -- stage clocks: kept by the fold -----------------------------------------------------------

def stage_clocks(complaint: Complaint) -> dict[State, StageClock]:
    """Every stage clock of ``complaint``, as the fold of its history keeps them
    (``complaint.clocks``): nothing walks the history a second time.

    >>> from datetime import datetime, timedelta, timezone
    >>> import complaintflow as cf
    >>> clock = cf.FrozenClock(datetime(2026, 6, 18, 9, 0, tzinfo=timezone.utc))
    >>> wf = cf.Workflow(clock=clock)
    >>> c = wf.receive("still not arrived", customer_id="C-1", channel="app")
    >>> c = wf.acknowledge(c, actor="a")
    >>> c = wf.await_customer(c, actor="a", reason="asked for the tracking number")
    >>> _ = clock.advance(hours=5)
    >>> c = wf.customer_replied(c, actor="a")
    >>> clocks = stage_clocks(c)
    >>> clocks[cf.State.ACKNOWLEDGED].held, clocks[cf.State.INVESTIGATED].held
    (datetime.timedelta(0), datetime.timedelta(seconds=18000))
    """
    return dict(complaint.clocks)


# -- TOML: [escalation] -----------------------------------------------------------------------

_KEYS: Final = frozenset({"table", "follow_up_hours", "warning_ratio", "pause_limit_hours",
                          "wall_clock_severities", "calendar", "regulators", "profiles",
                          "market_calendars", "market_regulators", "reopen_window_days"})
_ROW_KEYS: Final = frozenset({"owner", *(s.value for s in _TABLE_STAGES)})


def _table_from(raw: object, ctx: ConfigContext) -> Table:
    if not isinstance(raw, Mapping) or not raw:
        ctx.error("table", "expected [escalation.table.<severity>] tables")
    sub = ctx.sub("table")
    out: dict[int, tuple[Tier, Mapping[State, float]]] = {}
    for key, row in raw.items():
        if not key.isdigit() or int(key) < 1:
            sub.error(key, "severities are whole numbers >= 1")
        if not isinstance(row, Mapping):
            sub.error(key, "expected a table with owner and stage hours")
        rc = sub.sub(key)
        rc.unknown(row, _ROW_KEYS)
        owner = rc.get(row, "owner", str)
        if owner is None:
            rc.error("owner", "each severity needs its owner tier")
        try:
            tier = Tier.parse(owner)
        except ValidationError as exc:
            rc.error("owner", str(exc))
        hours: dict[State, float] = {s: rc.positive(row, s.value, 0) for s in _TABLE_STAGES if s.value in row}
        if not hours:
            rc.error("acknowledged", "give at least one stage's hours")
        out[int(key)] = (tier, hours)
    return out


def escalation_from_config(table: Mapping[str, Any], ctx: ConfigContext) -> TieredEscalation:
    """Build :class:`TieredEscalation` from the ``[escalation]`` table."""
    ctx.unknown(table, _KEYS)
    kwargs: dict[str, Any] = {}
    if "table" in table:
        kwargs["table"] = _table_from(table["table"], ctx)
    for key in ("follow_up_hours", "pause_limit_hours"):
        if key in table:
            kwargs[key] = ctx.positive(table, key, 1)
    if "reopen_window_days" in table:
        kwargs["reopen_window_days"] = ctx.get(table, "reopen_window_days", (int, float))
    if "warning_ratio" in table:
        ratio = ctx.get(table, "warning_ratio", (int, float))
        if not 0 < ratio < 1:
            ctx.error("warning_ratio", f"expected a fraction between 0 and 1, got {ratio!r}")
        kwargs["warning_ratio"] = ratio
    if "wall_clock_severities" in table:
        sev = ctx.get(table, "wall_clock_severities", list)
        if not all(isinstance(s, int) and not isinstance(s, bool) for s in sev):
            ctx.error("wall_clock_severities", "expected a list of severity numbers")
        kwargs["wall_clock_severities"] = sev
    if "calendar" in table:
        cal = table["calendar"]
        if not isinstance(cal, Mapping):
            ctx.error("calendar", "expected a table")
        kwargs["calendar"] = calendar_from_config(cal, ctx.sub("calendar"))
    profiles: dict[str, RegulatoryProfile] = dict(bundled_profiles())
    if "profiles" in table:
        profiles.update(profiles_from_config(table["profiles"], ctx.sub("profiles")))
    selected = ctx.get(table, "regulators", list, [])
    chosen: list[RegulatoryProfile] = []
    for name in selected:
        if not isinstance(name, str) or name not in profiles:
            ctx.error("regulators", f"unknown regulatory profile {name!r}; known: "
                                    f"{', '.join(sorted(profiles))}")
        chosen.append(profiles[name])
    kwargs["regulators"] = chosen
    for key in ("market_calendars", "market_regulators"):
        if key in table:
            kwargs[key] = ctx.get(table, key, bool)
    try:
        return TieredEscalation(**kwargs)
    except ValidationError as exc:
        ctx.error(exc.field, str(exc))


register_section("escalation", "escalation")(escalation_from_config)


def default_escalation_text() -> str:
    """The bundled ``escalation.toml``: the defaults, written in the schema users write."""
    return default_text("escalation.toml")
