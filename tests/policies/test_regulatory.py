"""Regulatory profiles: worked examples of each rule and how they combine with the SLA table."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policies_ii_helpers import DRESS, cn_calendar, receive, workflow

import complaintflow as cf
from complaintflow.policies import (
    Period,
    RegulatoryProfile,
    TieredEscalation,
    Window,
    bundled_profiles,
)
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
    assert set(profiles) == {"cn_samr", "uk_fca_disp", "uk_fca_disp_payments", "eu_psd2",
                             "us_cfpb"}
    sources = {"cn_samr": ("市场监督管理投诉举报处理暂行办法", "art. 14", "art. 21"),
               "uk_fca_disp": ("DISP 1.6.2R", "DISP 1.5.1R", "holding response"),
               "uk_fca_disp_payments": ("DISP 1.6.2AR", "35 business days"),
               "eu_psd2": ("2015/2366",), "us_cfpb": ("5534",)}
    for name, cited in sources.items():
        for source in cited:
            assert source in profiles[name].rule
        assert profiles[name].name == name
        assert name in repr(profiles[name])


def test_samr_binds_the_regulator_so_the_seller_gets_windows_not_deadlines() -> None:
    samr = profile("cn_samr")
    assert samr.deadlines == {} and samr.limits == {}
    received = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    # art. 14: 1-7 October off; Thu 8, Fri 9, the make-up Saturday 10, Mon 12 … Thu 15
    # art. 21: 45 working days after the latest acceptance: Fri 16 October … Thu 17 December
    assert samr.windows_from(received) == {
        "acceptance_decision": datetime(2026, 10, 15, 18, 0, tzinfo=SHANGHAI),
        "mediation_ends": datetime(2026, 12, 17, 18, 0, tzinfo=SHANGHAI)}
    # once the regulator has accepted (Friday 9 October), mediation is counted from then:
    # Saturday 10 (make-up day) is the first of the 45, Thursday 10 December the last
    accepted = datetime(2026, 10, 9, 11, 0, tzinfo=SHANGHAI)
    assert samr.windows_from(received, acceptance_decision=accepted) == {
        "acceptance_decision": accepted,
        "mediation_ends": datetime(2026, 12, 10, 18, 0, tzinfo=SHANGHAI)}
    with pytest.raises(cf.ValidationError, match="no window 'decision'"):
        samr.windows_from(received, decision=accepted)


def test_samr_adds_no_deadline_to_the_seller() -> None:
    received = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    with_samr, _ = workflow(received, escalation=TieredEscalation(SLOW, regulators=["cn_samr"]))
    without, _ = workflow(received, escalation=TieredEscalation(SLOW))
    assert receive(with_samr, DRESS).deadlines == receive(without, DRESS).deadlines


def test_fca_summary_resolution_is_an_exemption_and_eight_weeks_a_written_response() -> None:
    fca = profile("uk_fca_disp")
    received = datetime(2026, 4, 2, 16, 0, tzinfo=LONDON)  # Thursday before Easter
    # DISP 1.5: Good Friday and Easter Monday are bank holidays in England
    assert fca.windows_from(received) == {
        "summary_resolution": datetime(2026, 4, 9, 17, 0, tzinfo=LONDON)}
    # DISP 1.6.2R: a final or holding response; the proposal is the written final response
    eight_weeks = datetime(2026, 5, 28, 23, 59, 59, 999999, tzinfo=LONDON)
    assert fca.deadlines_from(received) == {S.PROPOSED: eight_weeks}
    assert fca.limits_from(received) == {S.PROPOSED: eight_weeks}


def test_fca_payment_services_fifteen_and_thirty_five_business_days() -> None:
    fca = profile("uk_fca_disp_payments")
    received = datetime(2026, 6, 15, 10, 0, tzinfo=LONDON)  # a Monday
    assert fca.deadlines_from(received) == {S.PROPOSED: datetime(2026, 7, 6, 17, 0, tzinfo=LONDON)}
    assert fca.limits_from(received) == {S.PROPOSED: datetime(2026, 8, 3, 17, 0, tzinfo=LONDON)}
    assert fca.windows_from(received) == {
        "summary_resolution": datetime(2026, 6, 18, 17, 0, tzinfo=LONDON)}


def test_psd2_fifteen_business_days_and_the_35_day_limit() -> None:
    received = datetime(2026, 6, 15, 10, 0, tzinfo=BRUSSELS)  # a Monday
    p = profile("eu_psd2")
    assert p.deadlines_from(received) == {S.RESOLVED: datetime(2026, 7, 6, 17, 0, tzinfo=BRUSSELS)}
    assert p.limits_from(received) == {S.RESOLVED: datetime(2026, 8, 3, 17, 0, tzinfo=BRUSSELS)}


@pytest.mark.parametrize(("received", "expected"), [
    # British Summer Time starts on 29 March 2026: 56 days later, the end of the BST day
    (datetime(2026, 3, 10, 15, 0, tzinfo=UTC), datetime(2026, 5, 5, 22, 59, 59, 999999, tzinfo=UTC)),
    # and ends on 25 October 2026: the end of the GMT day
    (datetime(2026, 10, 1, 9, 0, tzinfo=UTC), datetime(2026, 11, 26, 23, 59, 59, 999999, tzinfo=UTC)),
    # received at 00:30 BST on 2 April is still 1 April in UTC: the London day counts
    (datetime(2026, 4, 1, 23, 30, tzinfo=UTC), datetime(2026, 5, 28, 22, 59, 59, 999999, tzinfo=UTC)),
])
def test_eight_weeks_end_at_the_end_of_the_london_day_across_dst(
        received: datetime, expected: datetime) -> None:
    assert profile("uk_fca_disp").deadlines_from(received)[S.PROPOSED] == expected


def test_cfpb_days_end_at_the_end_of_the_new_york_day_across_dst() -> None:
    # Eastern Daylight Time ends on 1 November 2026
    received = datetime(2026, 10, 1, 12, 0, tzinfo=NEW_YORK)
    assert profile("us_cfpb").deadlines_from(received) == {
        S.PROPOSED: datetime(2026, 10, 16, 23, 59, 59, 999999, tzinfo=NEW_YORK),
        S.RESOLVED: datetime(2026, 12, 1, 4, 59, 59, 999999, tzinfo=UTC)}
    # and starts on 8 March 2026
    received = datetime(2026, 2, 1, 8, 0, tzinfo=NEW_YORK)
    assert profile("us_cfpb").deadlines_from(received)[S.RESOLVED] == datetime(
        2026, 4, 3, 3, 59, 59, 999999, tzinfo=UTC)


@settings(max_examples=60)
@given(minutes=st.integers(0, 60 * 24 * 365 * 2), count=st.integers(1, 70),
       unit=st.sampled_from(["days", "weeks"]),
       zone=st.sampled_from(["Europe/London", "America/New_York", "Asia/Shanghai"]))
def test_days_and_weeks_always_end_at_the_end_of_a_local_day(
        minutes: int, count: int, unit: str, zone: str) -> None:
    tz = ZoneInfo(zone)
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    end = Period(count, unit).after(start, cf.BusinessCalendar(timezone=zone))  # type: ignore[arg-type]
    local = end.astimezone(tz)
    assert local.time() == time(23, 59, 59, 999999)
    days = count * (7 if unit == "weeks" else 1)
    assert local.date() - start.astimezone(tz).date() == timedelta(days=days)


def test_the_stricter_deadline_wins() -> None:
    received = datetime(2026, 6, 15, 10, 0, tzinfo=LONDON)
    wf, _ = workflow(received, escalation=TieredEscalation(regulators=["uk_fca_disp_payments"]))
    c = receive(wf, DRESS)
    assert c.deadlines[S.PROPOSED] < datetime(2026, 7, 6, 17, 0, tzinfo=LONDON)  # the SLA's
    wf, _ = workflow(received, escalation=TieredEscalation(SLOW, regulators=["uk_fca_disp_payments"]))
    c = receive(wf, DRESS)
    assert c.deadlines[S.PROPOSED] == datetime(2026, 7, 6, 17, 0, tzinfo=LONDON)
    assert c.deadlines[S.RESOLVED] == received + 1000 * H


def test_profiles_combine_stage_by_stage() -> None:
    received = datetime(2026, 4, 2, 16, 0, tzinfo=LONDON)
    esc = TieredEscalation(SLOW, calendar=cn_calendar(),
                           regulators=["uk_fca_disp_payments", "us_cfpb"])
    wf, _ = workflow(received, escalation=esc)
    c = receive(wf, DRESS)
    # FCA: 27 April 17:00 London (Easter not counted); CFPB: the end of 17 April in New York
    assert c.deadlines[S.PROPOSED] == datetime(2026, 4, 17, 23, 59, 59, 999999, tzinfo=NEW_YORK)
    sla = esc.sla_deadlines(c)
    regulatory = esc.regulatory_deadlines(c)
    assert regulatory[S.PROPOSED][1] == "us_cfpb"
    for stage in (S.PROPOSED, S.RESOLVED):
        candidates = [sla[stage]] + ([regulatory[stage][0]] if stage in regulatory else [])
        assert c.deadlines[stage] == min(candidates)


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


def test_a_window_counted_after_an_unknown_window_is_refused() -> None:
    with pytest.raises(cf.ValidationError, match="not a window listed before it"):
        RegulatoryProfile(name="x", title="x", rule="x", deadlines={},
                          windows={"b": Window(Period(1, "days"), "a")})
    with pytest.raises(cf.ValidationError, match="window"):
        Window.parse("3 days after")


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
windows = { first_hearing = "10 business_days", award = "30 days after first_hearing" }
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
    assert hk.windows == {"first_hearing": Window(Period(10, "business_days")),
                          "award": Window(Period(30, "days"), "first_hearing")}
    assert str(hk.windows["award"]) == "30 days after first_hearing"


@pytest.mark.parametrize(("body", "key", "line"), [
    ('rule = "x"\ndeadlines = { resolved = "3 moons" }\n', "escalation.profiles.p.deadlines.resolved", 5),
    ('rule = "x"\ndeadlines = { archived = "3 days" }\n', "escalation.profiles.p.deadlines.archived", 5),
    ('title = "no rule"\ndeadlines = { resolved = "3 days" }\n', "escalation.profiles.p.rule", 3),
    ('rule = "x"\n', "escalation.profiles.p.deadlines", 3),
    ('rule = "x"\ndeadline = { resolved = "3 days" }\n', "escalation.profiles.p.deadline", 5),
    ('rule = "x"\nwindows = { a = "3 days after b" }\n', "escalation.profiles.p.windows.a", 5),
    ('rule = "x"\nwindows = { a = "soon" }\n', "escalation.profiles.p.windows.a", 5),
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
