"""Deadlines and escalation: the SLA table, business time, warnings, breaches and pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policies_ii_helpers import DRESS, MILK, RUDE, T0, cn_calendar, receive, workflow

import complaintflow as cf
from complaintflow.policies import StageClock, TieredEscalation, stage_clocks
from complaintflow.policies._config import parse_policies

S = cf.State
SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def test_default_table_is_domain_section_4() -> None:
    wf, _ = workflow()
    expected = {
        DRESS: (3, cf.Tier.FRONT_LINE, (1, 24, 48, 72)),
        RUDE: (2, cf.Tier.STORE_SUPERVISOR, (1, 4, 6, 72)),
        MILK: (1, cf.Tier.REGIONAL_HEAD, (1, 4, 6, 24)),
    }
    for text, (severity, tier, hours) in expected.items():
        c = receive(wf, text)
        assert c.severity == severity and c.tier is tier
        stages = (S.ACKNOWLEDGED, S.INVESTIGATED, S.PROPOSED, S.RESOLVED)
        assert {s: c.deadlines[s] - T0 for s in stages} == {
            s: h * H for s, h in zip(stages, hours, strict=True)}


def test_with_a_calendar_the_table_counts_working_hours() -> None:
    cal = cn_calendar()
    evening = datetime(2026, 6, 17, 17, 0, tzinfo=SHANGHAI)  # Wednesday, one hour before close
    wf, _ = workflow(evening, escalation=TieredEscalation(calendar=cal))
    c = receive(wf, DRESS)
    assert c.deadlines[S.ACKNOWLEDGED] == datetime(2026, 6, 17, 18, 0, tzinfo=SHANGHAI)
    # 24 working hours: 1 h on Wednesday, 8 h Thursday, Friday is Dragon Boat Festival,
    # 8 h Monday, 7 h Tuesday (with the lunch hour off)
    assert c.deadlines[S.INVESTIGATED] == datetime(2026, 6, 23, 17, 0, tzinfo=SHANGHAI)
    for stage, hours in ((S.ACKNOWLEDGED, 1), (S.INVESTIGATED, 24), (S.PROPOSED, 48),
                         (S.RESOLVED, 72)):
        assert cal.between(evening, c.deadlines[stage]) == hours * H
        assert cal.is_open(c.deadlines[stage] - timedelta(seconds=1))


def test_severity_1_never_waits_for_office_hours() -> None:
    new_year_night = datetime(2026, 1, 1, 23, 0, tzinfo=SHANGHAI)
    wf, _ = workflow(new_year_night, escalation=TieredEscalation(calendar=cn_calendar()))
    milk = receive(wf, MILK)
    assert milk.severity == 1
    assert milk.deadlines[S.ACKNOWLEDGED] == new_year_night + H
    assert milk.deadlines[S.RESOLVED] == new_year_night + 24 * H
    tv = receive(wf, DRESS)
    assert tv.deadlines[S.ACKNOWLEDGED] > new_year_night + 24 * H  # waits for 4 January


def test_wall_clock_severities_are_a_setting() -> None:
    esc = TieredEscalation(calendar=cn_calendar(), wall_clock_severities=(1, 2))
    wf, _ = workflow(datetime(2026, 1, 1, 23, 0, tzinfo=SHANGHAI), escalation=esc)
    assert receive(wf, RUDE).deadlines[S.ACKNOWLEDGED] - wf.clock.now() == H


def test_warnings_fall_at_80_percent_of_working_time() -> None:
    cal = cn_calendar()
    at = datetime(2026, 6, 18, 16, 0, tzinfo=SHANGHAI)
    wf, _ = workflow(at, escalation=TieredEscalation(calendar=cal))
    c = receive(wf, DRESS)
    for stage, deadline in c.deadlines.items():
        assert cal.between(at, c.warnings[stage]) == cal.between(at, deadline) * 0.8
        assert c.warnings[stage] <= deadline


def test_warning_then_breach_escalate_one_tier_with_a_reason() -> None:
    wf, clock = workflow()
    c = receive(wf, DRESS)
    clock.advance(minutes=48)
    c = wf.tick(c)
    assert [e.name for e in c.history[1:]] == ["sla_warning"]
    assert c.history[-1].data["stage"] == "acknowledged"
    clock.advance(minutes=12)
    c = wf.tick(c)
    assert [e.name for e in c.history[-2:]] == ["sla_breached", "escalated"]
    esc = c.history[-1]
    assert esc.data["reason"] == "acknowledged deadline breached"
    assert (esc.data["from"], esc.data["to"]) == ("front_line", "store_supervisor")
    assert c.tier is cf.Tier.STORE_SUPERVISOR


def test_executive_breaches_do_not_escalate() -> None:
    wf, clock = workflow()
    c = wf.escalate(receive(wf, DRESS), actor="a", reason="press", to="executive")
    clock.advance(hours=2)
    c = wf.tick(c)
    assert c.history[-1].name == "sla_breached"
    assert TieredEscalation().on_breach(c, S.ACKNOWLEDGED) is None


def test_pause_with_a_calendar_holds_working_seconds() -> None:
    cal = cn_calendar()
    at = datetime(2026, 6, 18, 10, 0, tzinfo=SHANGHAI)
    # a wait of up to five days, so the customer's reply (not the limit) ends it
    wf, clock = workflow(at, escalation=TieredEscalation(calendar=cal, pause_limit_hours=120))
    c = wf.acknowledge(receive(wf, DRESS), actor="a")
    before = dict(c.open_deadlines)
    c = wf.await_customer(c, actor="a", reason="asked for photos")
    clock.set(datetime(2026, 6, 22, 10, 0, tzinfo=SHANGHAI))  # over the festival weekend
    c = wf.customer_replied(c, actor="a")
    held = cal.between(at, datetime(2026, 6, 22, 10, 0, tzinfo=SHANGHAI))
    assert held == 7 * H + 1 * H  # Thursday 10-18 minus lunch, Monday 9-10
    assert c.held == held
    assert c.history[-1].data["held_seconds"] == held.total_seconds()
    for stage, deadline in before.items():
        assert cal.between(at, c.deadlines[stage]) == cal.between(at, deadline) + held


def test_paused_then_resolved_keeps_the_hold() -> None:
    cal = cn_calendar()
    at = datetime(2026, 6, 18, 9, 0, tzinfo=SHANGHAI)
    wf, clock = workflow(at, escalation=TieredEscalation(calendar=cal))
    c = receive(wf, DRESS)
    c = wf.acknowledge(c, actor="a")
    c = wf.investigate(c, actor="a", finding=cf.Finding(
        cause="product_defect", party="supply_chain", evidence=("lab",)))
    c = wf.propose(c, actor="a")
    c = wf.await_customer(c, actor="a", reason="thinking it over")
    clock.advance(hours=5)
    c = wf.resolve(c, actor="a")
    assert [e.name for e in c.history[-2:]] == ["resumed", "resolved"]
    assert c.held == 5 * H - H  # the lunch hour is not working time
    clocks = stage_clocks(c)
    assert clocks[S.RESOLVED].held == 4 * H
    assert clocks[S.RESOLVED].stopped_at == c.history[-1].at
    assert clocks[S.PROPOSED].held == timedelta(0)  # stopped before the pause
    assert clocks[S.ACKNOWLEDGED].pauses == ()
    assert clocks[S.RESOLVED].pauses == ((c.history[-3].at, c.history[-2].at),)
    assert isinstance(clocks[S.REVISITED], StageClock)
    assert clocks[S.REVISITED].running


def test_reset_on_reopen_gives_the_stage_a_new_clock_with_a_reason() -> None:
    wf, clock = workflow()
    c = receive(wf, DRESS)
    for step in ("acknowledge", "investigate", "propose", "resolve", "revisit"):
        kwargs: dict[str, object] = {}
        if step == "investigate":
            kwargs["finding"] = cf.Finding(cause="product_defect", party="store", evidence=("x",))
        if step == "revisit":
            kwargs["satisfaction"] = 1
        c = wf.fire(c, step, actor="a", **kwargs)
        clock.advance(hours=1)
    c = wf.reopen(c, actor="a", reason="still fading")
    assert c.history[-1].data["reason"] == "still fading"
    assert set(c.history[-1].data["reset"]) == {"proposed", "resolved", "revisited"}
    clocks = stage_clocks(c)
    assert clocks[S.PROPOSED].started_at == c.history[-1].at
    assert clocks[S.PROPOSED].stopped_at is None
    assert clocks[S.ACKNOWLEDGED].stopped_at is not None


def test_a_changed_calendar_applies_to_new_deadlines_only() -> None:
    at = datetime(2026, 6, 18, 10, 0, tzinfo=SHANGHAI)
    wf, clock = workflow(at, escalation=TieredEscalation(calendar=cn_calendar()))
    c = receive(wf, DRESS)
    fixed = dict(c.deadlines)
    late = cf.BusinessCalendar(timezone="Asia/Shanghai", hours=("10:00", "16:00"), holidays="CN")
    wf2 = cf.Workflow(clock=clock, escalation=TieredEscalation(calendar=late))
    c = wf2.acknowledge(c, actor="a")
    assert dict(c.deadlines) == fixed
    assert cf.Complaint.replay(c.history).deadlines == c.deadlines
    c2 = receive(wf2, DRESS)
    assert late.between(at, c2.deadlines[S.INVESTIGATED]) == 24 * H


# -- pause accounting: a property over any path ------------------------------------------------

LONG = {3: (cf.Tier.FRONT_LINE, {S.ACKNOWLEDGED: 150, S.INVESTIGATED: 200, S.PROPOSED: 250,
                                 S.RESOLVED: 300})}
STEPS = st.lists(st.tuples(st.integers(0, 20 * 60),
                           st.sampled_from(["pause", "reply", "message", "tick", "escalate",
                                            "acknowledge", "withdraw"])), max_size=10)


@settings(max_examples=60)
@given(steps=STEPS, with_calendar=st.booleans(), start=st.integers(0, 7 * 24 * 60))
def test_pauses_never_lose_or_double_count_time(steps: list[tuple[int, str]],
                                                with_calendar: bool, start: int) -> None:
    cal = cn_calendar() if with_calendar else None
    at = datetime(2026, 9, 28, tzinfo=UTC) + timedelta(minutes=start)  # around National Day
    esc = TieredEscalation(LONG, calendar=cal)
    wf, clock = workflow(at, escalation=esc)
    c = receive(wf, DRESS)
    for minutes, action in steps:
        clock.advance(minutes=minutes)
        if c.is_final:
            break
        if action == "pause" and not c.paused and c.state is not S.RECEIVED:
            c = wf.await_customer(c, actor="a", reason="photos")
        elif action == "reply" and c.paused:
            c = wf.customer_replied(c, actor="a")
        elif action == "message":
            c = wf.message(c, text="any news?")
        elif action == "tick":
            c = wf.tick(c)
        elif action == "escalate" and c.tier < cf.Tier.EXECUTIVE:
            c = wf.escalate(c, actor="a", reason="asked for a manager")
        elif action == "acknowledge" and c.state is S.RECEIVED:
            c = wf.acknowledge(c, actor="a")
        elif action == "withdraw":
            c = wf.withdraw(c, actor="a", reason="sorted out")

    # every resumption holds exactly the SLA time between its pause and its end
    total = timedelta(0)
    pause_until: datetime | None = None
    for e in c.history:
        if e.name == "paused":
            pause_until = datetime.fromisoformat(e.data["until"])
        if e.name == "resumed":
            assert pause_until is not None
            paused_at = datetime.fromisoformat(e.data["paused_at"])
            held = esc.elapsed(c, paused_at, min(e.at, pause_until))
            assert e.data["held_seconds"] == held.total_seconds()
            total += held
    assert c.held == total
    assert cf.Complaint.replay(c.history).held == c.held
    # the stages still running got exactly the held time on top of their SLA
    for stage, deadline in c.open_deadlines.items():
        assert esc.elapsed(c, c.received_at, deadline) == LONG[3][1][stage] * H + c.held
    clocks = stage_clocks(c)
    for stage in c.open_deadlines:
        assert clocks[stage].held == c.held


# -- TOML -------------------------------------------------------------------------------------

def test_bundled_file_is_the_default() -> None:
    from complaintflow.policies.escalation import default_escalation_text

    esc = parse_policies(default_escalation_text())["escalation"]
    default = TieredEscalation()
    assert esc.table == default.table
    assert esc.follow_up_hours == default.follow_up_hours
    assert esc.warning_ratio == default.warning_ratio
    assert esc.pause_limit_hours == default.pause_limit_hours
    assert esc.calendar is None and esc.regulators == ()


def test_toml_calendar_and_table() -> None:
    text = """
[escalation]
follow_up_hours = 8
regulators = ["cn_samr"]

[escalation.table.1]
owner = "executive"
acknowledged = 0.5

[escalation.table.3]
owner = "front_line"
acknowledged = 2
resolved = 40

[escalation.calendar]
timezone = "Asia/Shanghai"
hours = [["09:00", "12:00"], ["13:00", "18:00"]]
holidays = "CN"
"""
    esc = parse_policies(text)["escalation"]
    assert esc.calendar == cn_calendar()
    assert esc.table[1] == (cf.Tier.EXECUTIVE, {S.ACKNOWLEDGED: 0.5})
    assert [p.name for p in esc.regulators] == ["cn_samr"]
    wf, _ = workflow(escalation=esc)
    c = receive(wf, DRESS)
    assert set(c.deadlines) >= {S.ACKNOWLEDGED, S.RESOLVED}
    assert esc.calendar.between(T0, c.deadlines[S.RESOLVED]) == 40 * H


@pytest.mark.parametrize(("text", "key", "line"), [
    ("[escalation]\nwarning_ratio = 1.5\n", "escalation.warning_ratio", 2),
    ("[escalation]\nregulators = [\"nobody\"]\n", "escalation.regulators", 2),
    ("[escalation]\nfollow_up = 3\n", "escalation.follow_up", 2),
    ("[escalation.table.2]\nowner = \"boss\"\nacknowledged = 1\n", "escalation.table.2.owner", 2),
    ("[escalation.table.2]\nowner = \"front_line\"\nacknowledged = -1\n",
     "escalation.table.2.acknowledged", 3),
    ("[escalation.calendar]\ntimezone = \"Nowhere/City\"\n", "escalation.calendar.timezone", 2),
    ("[escalation.calendar]\nhours = [\"18:00\", \"09:00\"]\n", "escalation.calendar.hours", 2),
])
def test_toml_errors_name_key_and_line(text: str, key: str, line: int) -> None:
    with pytest.raises(cf.ConfigError) as info:
        parse_policies(text, "policies.toml")
    assert info.value.key == key
    assert info.value.line == line


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"warning_ratio": 0}, "warning_ratio"),
    ({"follow_up_hours": 0}, "follow_up_hours"),
    ({"pause_limit_hours": -1}, "pause_limit_hours"),
    ({"regulators": ["nobody"]}, "regulators"),
    ({"calendar": "CN"}, "calendar"),
    ({"table": {}}, "table"),
    ({"table": {1: (cf.Tier.FRONT_LINE, {S.REVISITED: 1})}}, "table.1"),
])
def test_bad_arguments_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(cf.ValidationError) as info:
        TieredEscalation(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
