"""Business calendars: working hours, time zones, holidays and make-up days."""

from __future__ import annotations

import doctest
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import calendar as calendar_module
from complaintflow.policies import compensation as compensation_module
from complaintflow.policies import escalation as escalation_module
from complaintflow.policies import regulatory as regulatory_module

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(tz: ZoneInfo, *parts: int) -> datetime:
    """``local(tz, year, month, day, hour, minute)``."""
    year, month, day, hour, minute = parts
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def cn() -> cf.BusinessCalendar:
    return cf.BusinessCalendar(timezone="Asia/Shanghai", hours=("09:00", "18:00"), holidays="CN")


@pytest.mark.parametrize("module", [calendar_module, regulatory_module, escalation_module,
                                    compensation_module])
def test_module_examples_run(module: object) -> None:
    failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert tried > 0
    assert failed == 0


def test_public_name() -> None:
    assert cf.BusinessCalendar is cf.policies.BusinessCalendar
    assert "BusinessCalendar" in cf.__all__


def test_chinese_new_year_holidays_and_make_up_days_come_from_the_library() -> None:
    cal = cn()
    lib = holidays.country_holidays("CN", years=2026)
    for day in (date(2026, 1, 1) + timedelta(days=n) for n in range(365)):
        assert cal.is_working_day(day) == lib.is_working_day(day), day
    assert not cal.is_working_day(date(2026, 1, 1))   # New Year's Day
    assert not cal.is_working_day(date(2026, 2, 17))  # Spring Festival
    assert cal.is_working_day(date(2026, 1, 4))       # a Sunday made a working day (调休)
    assert cal.is_working_day(date(2026, 2, 14))      # a Saturday made a working day


def test_a_complaint_received_outside_working_hours_counts_from_the_next_opening() -> None:
    cal = cn()
    night = local(SHANGHAI, 2026, 6, 17, 22, 30)
    assert not cal.is_open(night)
    assert cal.next_open(night) == local(SHANGHAI, 2026, 6, 18, 9, 0)
    assert cal.add(night, timedelta(hours=1)) == local(SHANGHAI, 2026, 6, 18, 10, 0)
    # a deadline that uses up the day ends at the close, not the next morning
    assert cal.add(night, timedelta(hours=9)) == local(SHANGHAI, 2026, 6, 18, 18, 0)


def test_the_new_year_tv_waits_over_the_holiday() -> None:
    cal = cn()
    new_year = local(SHANGHAI, 2026, 1, 1, 10, 0)
    # 1 and 2 January are days off, 3 January a Saturday, 4 January a make-up Sunday
    assert cal.add(new_year, timedelta(hours=4)) == local(SHANGHAI, 2026, 1, 4, 13, 0)


def test_split_shifts_skip_the_lunch_break() -> None:
    cal = cf.BusinessCalendar(timezone="Asia/Shanghai",
                              hours=[("13:00", "18:00"), ("09:00", "12:00")])
    morning = local(SHANGHAI, 2026, 6, 18, 11, 0)
    assert cal.add(morning, timedelta(hours=2)) == local(SHANGHAI, 2026, 6, 18, 14, 0)
    assert not cal.is_open(local(SHANGHAI, 2026, 6, 18, 12, 30))
    assert cal.between(morning, local(SHANGHAI, 2026, 6, 18, 14, 0)) == timedelta(hours=2)
    assert cal.hours == (("09:00", "12:00"), ("13:00", "18:00"))


def test_any_iana_zone_and_its_daylight_saving_days() -> None:
    cal = cf.BusinessCalendar(timezone="America/New_York", hours=("00:00", "24:00"))
    ny = ZoneInfo("America/New_York")
    # Sunday 8 March 2026 is not worked; the Monday after the clocks went forward is
    friday = local(ny, 2026, 3, 6, 12, 0)
    assert cal.add(friday, timedelta(hours=12)) == local(ny, 2026, 3, 7, 0, 0)  # Friday's close
    assert cal.add(friday, timedelta(hours=13)) == local(ny, 2026, 3, 9, 1, 0)
    assert local(ny, 2026, 3, 9, 1, 0).utcoffset() == timedelta(hours=-4)
    sat_cal = cf.BusinessCalendar(timezone="America/New_York", hours=("00:00", "24:00"), weekend=[])
    start = local(ny, 2026, 3, 8, 0, 0)
    assert sat_cal.between(start, start + timedelta(days=1)) == timedelta(hours=23)  # 23 h day
    assert sat_cal.openings(date(2026, 3, 8))[0][1] - sat_cal.openings(date(2026, 3, 8))[0][0] \
        == timedelta(hours=23)


def test_weekend_follows_the_country_or_the_setting() -> None:
    assert cn().weekend == frozenset({5, 6})
    cal = cf.BusinessCalendar(timezone="Asia/Dubai", weekend=["sat", "sun"])
    assert cal.is_working_day(date(2026, 6, 19))  # a Friday
    fri_sat = cf.BusinessCalendar(timezone="Asia/Riyadh", weekend=[4, 5])
    assert not fri_sat.is_working_day(date(2026, 6, 19))
    assert fri_sat.is_working_day(date(2026, 6, 21))


def test_close_of_business_counts_days_after_the_day_of_receipt() -> None:
    cal = cn()
    thursday = local(SHANGHAI, 2026, 6, 18, 10, 0)  # Dragon Boat Festival is Friday 19 June
    assert cal.close_of_business(thursday, 1) == local(SHANGHAI, 2026, 6, 22, 18, 0)
    assert cal.close_of_business(thursday, 0) == local(SHANGHAI, 2026, 6, 18, 18, 0)
    evening = local(SHANGHAI, 2026, 6, 18, 19, 0)
    assert cal.close_of_business(evening, 0) == local(SHANGHAI, 2026, 6, 22, 18, 0)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"hours": ("18:00", "09:00")}, "hours[0]"),
    ({"hours": ("9am", "5pm")}, "hours[0]"),
    ({"hours": [("09:00", "13:00"), ("12:00", "18:00")]}, "hours"),
    ({"hours": "09:00-18:00"}, "hours"),
    ({"holidays": "XX"}, "holidays"),
    ({"weekend": ["someday"]}, "weekend"),
])
def test_bad_settings_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(cf.ValidationError) as info:
        cf.BusinessCalendar(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_naive_times_and_negative_durations_are_refused() -> None:
    cal = cn()
    with pytest.raises(cf.ValidationError, match="start"):
        cal.add(datetime(2026, 6, 18, 9, 0), timedelta(hours=1))  # noqa: DTZ001
    with pytest.raises(cf.ValidationError, match="duration"):
        cal.add(datetime(2026, 6, 18, 9, 0, tzinfo=UTC), timedelta(hours=-1))


def test_a_calendar_that_never_opens_says_so() -> None:
    never = cf.BusinessCalendar(weekend=range(7))
    with pytest.raises(cf.ValidationError, match="calendar"):
        never.add(datetime(2026, 6, 18, tzinfo=UTC), timedelta(hours=1))


def test_calendars_compare_by_their_settings() -> None:
    assert cn() == cn()
    assert hash(cn()) == hash(cn())
    assert cn() != cf.BusinessCalendar(timezone="Asia/Shanghai", hours=("09:00", "17:00"),
                                       holidays="CN")
    assert cn() != cf.BusinessCalendar(timezone="Asia/Shanghai", hours=("09:00", "18:00"))
    assert "Asia/Shanghai" in repr(cn())


# -- properties -------------------------------------------------------------------------------

ZONES = ("Asia/Shanghai", "Europe/London", "America/New_York", "Australia/Lord_Howe", "UTC",
         "Asia/Kathmandu")
COUNTRIES = (None, "CN", "GB", "US", "DE", "JP")


@st.composite
def calendars(draw: st.DrawFn) -> cf.BusinessCalendar:
    cuts = sorted(draw(st.sets(st.integers(0, 24 * 4), min_size=2, max_size=6)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    shifts = [(f"{a // 4:02d}:{a % 4 * 15:02d}", f"{b // 4:02d}:{b % 4 * 15:02d}")
              for a, b in zip(cuts[::2], cuts[1::2], strict=True)]
    return cf.BusinessCalendar(timezone=draw(st.sampled_from(ZONES)), hours=shifts,
                               holidays=draw(st.sampled_from(COUNTRIES)))


moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31),  # noqa: DTZ001
                       timezones=st.just(UTC))
durations = st.integers(0, 200 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=80)
@given(cal=calendars(), start=moments, span=durations)
def test_deadlines_fall_inside_working_time_and_sum_to_the_span(
        cal: cf.BusinessCalendar, start: datetime, span: timedelta) -> None:
    end = cal.add(start, span)
    assert end >= start
    assert cal.between(start, end) == span
    # the deadline is inside an opening (closing time included)
    day = end.astimezone(ZoneInfo(cal.timezone)).date()
    spans = cal.openings(day) + cal.openings(day - timedelta(days=1))
    assert any(a <= end <= b for a, b in spans)
    if span:
        # and not a minute later than needed: just before it, less time had passed
        assert cal.between(start, end - timedelta(minutes=1)) < span


@settings(max_examples=60)
@given(cal=calendars(), a=moments, b=durations, c=durations)
def test_working_time_adds_up(cal: cf.BusinessCalendar, a: datetime, b: timedelta,
                              c: timedelta) -> None:
    m1 = a + b
    m2 = m1 + c
    assert cal.between(a, m2) == cal.between(a, m1) + cal.between(m1, m2)
    assert cal.between(a, m2) <= m2 - a


