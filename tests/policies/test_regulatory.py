"""Regulatory profiles: worked examples of each rule and how they combine with the SLA table."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policies_ii_helpers import DRESS, cn_calendar, receive, workflow

import complaintflow as cf
from complaintflow.policies import Period, RegulatoryProfile, TieredEscalation, bundled_profiles
from complaintflow.policies._config import parse_policies

S = cf.State
H = timedelta(hours=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
BRUSSELS = ZoneInfo("Europe/Brussels")
NEW_YORK = ZoneInfo("America/New_York")
#: an SLA table slow enough for the regulators to be the stricter side
SLOW = {3: (cf.Tier.FRONT_LINE, {S.ACKNOWLEDGED: 1000, S.INVESTIGATED: 1000,
                                 S.PROPOSED: 1000, S.RESOLVED: 1000})}


def profile(name: str) -> RegulatoryProfile:
    return bundled_profiles()[name]


def test_bundled_profiles_cite_their_rule() -> None:
    profiles = bundled_profiles()
    assert set(profiles) == {"cn_samr", "uk_fca_disp", "eu_psd2", "us_cfpb"}
    sources = {"cn_samr": "市场监督管理投诉举报处理暂行办法", "uk_fca_disp": "DISP 1.6.2R",
               "eu_psd2": "2015/2366", "us_cfpb": "5534"}
    for name, source in sources.items():
        assert source in profiles[name].rule
        assert profiles[name].name == name
        assert name in repr(profiles[name])


def test_samr_accept_or_refuse_within_seven_working_days_over_national_day() -> None:
    received = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    # 1-7 October off; Thu 8, Fri 9, the make-up Saturday 10, Mon 12 … Thu 15 are the 7 days
    assert profile("cn_samr").deadlines_from(received) == {
        S.ACKNOWLEDGED: datetime(2026, 10, 15, 18, 0, tzinfo=SHANGHAI)}


def test_fca_summary_resolution_and_final_response() -> None:
    received = datetime(2026, 4, 2, 16, 0, tzinfo=LONDON)  # Thursday before Easter
    times = profile("uk_fca_disp").deadlines_from(received)
    # Good Friday and Easter Monday are bank holidays in England
    assert times[S.PROPOSED] == datetime(2026, 4, 9, 17, 0, tzinfo=LONDON)
    assert times[S.RESOLVED] == received + timedelta(weeks=8)


def test_psd2_fifteen_business_days_and_the_35_day_limit() -> None:
    received = datetime(2026, 6, 15, 10, 0, tzinfo=BRUSSELS)  # a Monday
    p = profile("eu_psd2")
    assert p.deadlines_from(received) == {S.RESOLVED: datetime(2026, 7, 6, 17, 0, tzinfo=BRUSSELS)}
    assert p.limits_from(received) == {S.RESOLVED: datetime(2026, 8, 3, 17, 0, tzinfo=BRUSSELS)}


def test_cfpb_days_are_calendar_days() -> None:
    received = datetime(2026, 12, 20, 12, 0, tzinfo=NEW_YORK)
    assert profile("us_cfpb").deadlines_from(received) == {
        S.PROPOSED: received + timedelta(days=15), S.RESOLVED: received + timedelta(days=60)}


def test_the_stricter_deadline_wins() -> None:
    received = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    wf, _ = workflow(received, escalation=TieredEscalation(regulators=["cn_samr"]))
    c = receive(wf, DRESS)
    assert c.deadlines[S.ACKNOWLEDGED] == received + H  # the SLA hour is stricter
    wf, _ = workflow(received, escalation=TieredEscalation(SLOW, regulators=["cn_samr"]))
    c = receive(wf, DRESS)
    assert c.deadlines[S.ACKNOWLEDGED] == datetime(2026, 10, 15, 18, 0, tzinfo=SHANGHAI)
    assert c.deadlines[S.RESOLVED] == received + 1000 * H


def test_profiles_combine_stage_by_stage() -> None:
    received = datetime(2026, 4, 2, 16, 0, tzinfo=LONDON)
    esc = TieredEscalation(calendar=cn_calendar(), regulators=["uk_fca_disp", "us_cfpb"])
    wf, _ = workflow(received, escalation=esc)
    c = receive(wf, DRESS)
    # 48 working hours in Shanghai are later than the FCA's third business day
    assert c.deadlines[S.PROPOSED] == datetime(2026, 4, 9, 17, 0, tzinfo=LONDON)
    sla = esc.sla_deadlines(c)
    regulatory = esc.regulatory_deadlines(c)
    assert regulatory[S.PROPOSED][1] == "uk_fca_disp"
    for stage, when in c.deadlines.items():
        candidates = [sla[stage]] + ([regulatory[stage][0]] if stage in regulatory else [])
        assert when == min(candidates)


def test_a_pause_never_moves_a_deadline_past_the_regulatory_limit() -> None:
    received = datetime(2026, 6, 15, 10, 0, tzinfo=BRUSSELS)
    wf, clock = workflow(received, escalation=TieredEscalation(SLOW, regulators=["eu_psd2"]))
    c = wf.acknowledge(receive(wf, DRESS), actor="a")
    limit = datetime(2026, 8, 3, 17, 0, tzinfo=BRUSSELS)
    first = c.deadlines[S.RESOLVED]
    for _ in range(12):
        c = wf.await_customer(c, actor="a", reason="holding reply sent, waiting for documents")
        clock.advance(hours=71)  # within the 72 h a wait lasts at most
        c = wf.customer_replied(c, actor="a")
        assert first <= c.deadlines[S.RESOLVED] <= limit
    assert c.deadlines[S.RESOLVED] == limit


def test_a_profile_can_cover_some_categories_only() -> None:
    payments = RegulatoryProfile(
        name="payments", title="payments", rule="test rule",
        deadlines={S.ACKNOWLEDGED: Period(1, "hours")}, categories={"payment"})
    wf, _ = workflow(escalation=TieredEscalation(SLOW, regulators=[payments]))
    c = receive(wf, DRESS)
    assert c.category != "payment"
    assert c.deadlines[S.ACKNOWLEDGED] == c.received_at + 1000 * H


@pytest.mark.parametrize("text", ["7", "seven business_days", "3 fortnights", "-1 days"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(cf.ValidationError, match="period"):
        Period.parse(text)


def test_a_revisit_deadline_is_not_a_regulatory_stage() -> None:
    with pytest.raises(cf.ValidationError, match="revisited"):
        RegulatoryProfile(name="x", title="x", rule="x",
                          deadlines={S.REVISITED: Period(1, "days")})


@settings(max_examples=40)
@given(count=st.integers(0, 40), unit=st.sampled_from(["hours", "working_hours",
                                                         "business_days", "days", "weeks"]),
       minutes=st.integers(0, 60 * 24 * 365))
def test_periods_never_end_before_they_start(count: int, unit: str, minutes: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=SHANGHAI) + timedelta(minutes=minutes)
    period = Period.parse(f"{count} {unit}")
    assert str(period) == f"{count} {unit}"
    end = period.after(start, cn_calendar())
    assert end >= start
    if unit == "business_days" and count:
        assert cn_calendar().is_working_day(end.astimezone(SHANGHAI).date())


# -- TOML -------------------------------------------------------------------------------------

def test_a_profile_is_data_in_the_toml_schema() -> None:
    text = """
[escalation]
regulators = ["hk_ccc", "us_cfpb"]

[escalation.profiles.hk_ccc]
title = "Example regulator"
rule = "Example Ordinance s. 12"
timezone = "Asia/Hong_Kong"
holidays = "HK"
deadlines = { acknowledged = "2 business_days", resolved = "30 days" }
limits = { resolved = "45 days" }
categories = ["quality_defect"]
"""
    esc = parse_policies(text)["escalation"]
    hk, cfpb = esc.regulators
    assert cfpb is bundled_profiles()["us_cfpb"]
    assert hk.rule == "Example Ordinance s. 12"
    assert hk.deadlines == {S.ACKNOWLEDGED: Period(2, "business_days"),
                            S.RESOLVED: Period(30, "days")}
    assert hk.calendar == cf.BusinessCalendar(timezone="Asia/Hong_Kong", holidays="HK")
    assert hk.categories == frozenset({"quality_defect"})


@pytest.mark.parametrize(("body", "key", "line"), [
    ('rule = "x"\ndeadlines = { resolved = "3 moons" }\n', "escalation.profiles.p.deadlines.resolved", 5),
    ('rule = "x"\ndeadlines = { archived = "3 days" }\n', "escalation.profiles.p.deadlines.archived", 5),
    ('title = "no rule"\ndeadlines = { resolved = "3 days" }\n', "escalation.profiles.p.rule", 3),
    ('rule = "x"\n', "escalation.profiles.p.deadlines", 3),
    ('rule = "x"\ndeadline = { resolved = "3 days" }\n', "escalation.profiles.p.deadline", 5),
])
def test_profile_errors_name_key_and_line(body: str, key: str, line: int) -> None:
    # line 3 is the profile's header, line 4 onwards its body
    text = f"[escalation]\n\n[escalation.profiles.p]\n{body}"
    with pytest.raises(cf.ConfigError) as info:
        parse_policies(text, "policies.toml")
    assert info.value.key == key
    assert info.value.line == line


def test_a_regulator_deadline_pulls_earlier_stages_forward() -> None:
    from datetime import UTC, datetime

    import complaintflow as cf
    from complaintflow.policies import TieredEscalation

    cal = cf.BusinessCalendar(timezone="Asia/Shanghai", hours=("09:00", "18:00"), holidays="CN")
    esc = TieredEscalation(calendar=cal, regulators=["uk_fca_disp"])
    # received just before the Dragon Boat Festival holidays
    clock = cf.FrozenClock(datetime(2026, 6, 18, 9, 0, tzinfo=UTC))
    wf = cf.Workflow(clock=clock, escalation=esc)
    c = wf.receive("the kettle stopped working", customer_id="C-1", channel="email")
    planned = [c.deadlines[s] for s in (cf.State.ACKNOWLEDGED, cf.State.INVESTIGATED,
                                        cf.State.PROPOSED, cf.State.RESOLVED)]
    assert planned == sorted(planned)
    assert c.deadlines[cf.State.INVESTIGATED] <= c.deadlines[cf.State.PROPOSED]
