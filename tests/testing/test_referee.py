"""The SLA referee: outcomes from a history's raw facts, and where a record disagrees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import OpenAuthorization
from complaintflow.testing import InvariantViolation, referee
from complaintflow.testing.referee import (
    BREACHED,
    CANCELLED,
    LATE,
    MET,
    OPEN,
    Verdict,
    check_sla,
    one_tier_up,
)

T0 = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)
S = cf.State
F = cf.Finding("product_defect", "supply_chain", ("lab report",))


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def times(**hours: float) -> dict[str, str]:
    return {stage: at(h).isoformat() for stage, h in hours.items()}


class History:
    """Builds a history event by event: ``h.add("acknowledged", 0.5, actor="a")``."""

    def __init__(self, tier: str = "front_line", **deadlines: float) -> None:
        planned = deadlines or {"acknowledged": 1, "investigated": 24, "proposed": 48,
                                "resolved": 72}
        warn = {s: h * 0.8 for s, h in planned.items()}
        self.events = [cf.Event(1, "received", T0, None, {
            "id": "CF-1", "customer_id": "C-1", "channel": "app", "tier": tier,
            "deadlines": times(**planned), "warnings": times(**warn)})]

    def add(self, name: str, hours: float, actor: str | None = "agent-7",
            **data: Any) -> History:
        self.events.append(cf.Event(len(self.events) + 1, name, at(hours), actor, data))
        return self

    def breach(self, stage: str, hours: float, deadline: float, *, warn: bool = True,
               to: str | None = None) -> History:
        if warn:
            self.add("sla_warning", hours, None, stage=stage, deadline=at(deadline).isoformat())
        self.add("sla_breached", hours, None, stage=stage, deadline=at(deadline).isoformat())
        if to is not None:
            self.add("escalated", hours, None, reason=f"{stage} deadline breached", to=to,
                     stage=stage)
        return self

    def verdict(self, **kwargs: Any) -> Verdict:
        return referee.sla_outcomes(self.events, **kwargs)


def outcomes(verdict: Verdict) -> list[tuple[str, str]]:
    return [(o.stage.value, o.outcome) for o in verdict.outcomes]


# -- hand-built histories the referee agrees with ---------------------------------------------------
def test_the_main_road_on_time() -> None:
    h = (History().add("acknowledged", 0.5).add("investigated", 2).add("proposed", 3)
         .add("resolved", 4, deadlines=times(revisited=28), warnings=times(revisited=23.2))
         .add("revisited", 20, satisfaction=5).add("archived", 21))
    verdict = h.verdict()
    assert verdict.agrees
    assert outcomes(verdict) == [("acknowledged", MET), ("investigated", MET),
                                 ("proposed", MET), ("resolved", MET), ("revisited", MET)]
    check_sla(h.events)


def test_a_tick_breach_with_its_warning_and_escalation() -> None:
    h = History().breach("acknowledged", 2, 1, to="store_supervisor").add("acknowledged", 3)
    verdict = check_sla(h.events)
    (ack,) = verdict.of(S.ACKNOWLEDGED)
    assert (ack.outcome, ack.breach, ack.ended_by) == (LATE, 3, 5)
    assert "late" in ack.describe()


def test_open_deadlines_as_of_now() -> None:
    h = History().add("acknowledged", 0.5)
    verdict = h.verdict(now=at(30))
    assert dict(outcomes(verdict)) == {"acknowledged": MET, "investigated": BREACHED,
                                       "proposed": OPEN, "resolved": OPEN}
    # without `now` the record may not have been ticked yet; with it, it must have been
    assert h.verdict().agrees
    assert not verdict.agrees
    assert "open and breached" in verdict.disagreements[0]
    h.breach("investigated", 30, 24, to="store_supervisor")
    assert h.verdict(now=at(30)).agrees


def test_a_warning_owed_when_ticked_up_to_now() -> None:
    h = History().add("acknowledged", 0.5)
    verdict = h.verdict(now=at(20))
    assert not verdict.agrees
    assert "a warning is owed" in verdict.disagreements[0]
    h.add("sla_warning", 20, None, stage="investigated")
    assert h.verdict(now=at(20)).agrees


def test_a_pause_holds_the_clock_and_resuming_replans() -> None:
    h = (History().add("acknowledged", 0.5).add("paused", 1, reason="photos", until=at(73).isoformat())
         .add("resumed", 40, reason="customer replied", held_seconds=39 * 3600,
              deadlines=times(investigated=63, proposed=87, resolved=111),
              warnings=times(investigated=58.2, proposed=77.4, resolved=96.6)))
    # while paused nothing is due; afterwards the moved deadlines run
    paused = referee.sla_outcomes(h.events[:3], now=at(39))
    assert dict(outcomes(paused))["investigated"] == OPEN
    assert paused.agrees
    verdict = h.verdict()
    assert [o.outcome for o in verdict.of(S.INVESTIGATED)] == [CANCELLED, OPEN]
    assert verdict.agrees


def test_an_overdue_deadline_stays_breached_through_a_pause() -> None:
    h = History().add("paused", 2, reason="photos", until=at(74).isoformat())
    verdict = h.verdict(now=at(10))
    assert dict(outcomes(verdict))["acknowledged"] == BREACHED
    assert verdict.agrees  # while paused the tick records nothing


def test_reopening_cancels_the_downstream_deadlines() -> None:
    h = (History().add("acknowledged", 0.5).add("investigated", 2).add("proposed", 3)
         .add("resolved", 4, deadlines=times(revisited=28)).add("revisited", 20, satisfaction=1)
         .add("reopened", 21, reason="still fading", reset=["proposed", "resolved", "revisited"],
              deadlines=times(proposed=69, resolved=93)))
    verdict = h.verdict(now=at(50))
    assert [o.outcome for o in verdict.of(S.REVISITED)] == [MET]
    assert [o.outcome for o in verdict.of(S.PROPOSED)] == [MET, OPEN]
    assert verdict.agrees
    h.add("proposed", 22).add("resolved", 23, deadlines=times(revisited=47))
    assert [o.outcome for o in h.verdict().of(S.REVISITED)] == [MET, OPEN]


def test_deadlines_cancelled_by_name() -> None:
    h = (History().add("acknowledged", 0.5)
         .add("reclassified", 1, None, deadlines={"resolved": None, "proposed": at(40).isoformat()})
         .add("escalated", 1, None, reset=["investigated"], to="store_supervisor"))
    verdict = h.verdict(now=at(100))
    assert [o.outcome for o in verdict.of(S.RESOLVED)] == [CANCELLED]
    assert [o.outcome for o in verdict.of(S.PROPOSED)] == [CANCELLED, BREACHED]
    assert [o.outcome for o in verdict.of(S.INVESTIGATED)] == [CANCELLED]
    assert h.verdict().agrees


def test_closing_ends_every_running_deadline() -> None:
    h = History().add("acknowledged", 0.5).add("withdrawn", 30, reason="bought elsewhere")
    verdict = h.verdict(now=at(500))
    assert dict(outcomes(verdict)) == {"acknowledged": MET, "investigated": BREACHED,
                                       "proposed": CANCELLED, "resolved": CANCELLED}
    assert verdict.agrees


def test_promises_are_reported_not_enforced() -> None:
    h = (History().add("acknowledged", 0.5, promise=at(4).isoformat())
         .add("investigated", 2).add("proposed", 5))
    verdict = h.verdict()
    assert [(p.stage, p.outcome) for p in verdict.promises] == [(S.PROPOSED, LATE)]
    assert verdict.agrees


def test_a_custom_escalation_rule() -> None:
    h = History().breach("acknowledged", 2, 1)
    assert not h.verdict().agrees
    assert h.verdict(escalation=lambda tier, stage: None).agrees
    assert h.verdict(escalation=None).agrees
    to_head = History().breach("acknowledged", 2, 1, to="regional_head")
    assert to_head.verdict(escalation=lambda tier, stage: cf.Tier.REGIONAL_HEAD).agrees
    assert not to_head.verdict().agrees
    assert one_tier_up(cf.Tier.EXECUTIVE, S.ACKNOWLEDGED) is None
    assert one_tier_up(cf.Tier.FRONT_LINE, S.ACKNOWLEDGED) is cf.Tier.STORE_SUPERVISOR


# -- hand-built histories the referee disagrees with ---------------------------------------------
WRONG: dict[str, tuple[History, str]] = {
    "late with no breach": (History().add("acknowledged", 2), "no breach recorded"),
    "breach before its deadline": (
        History().breach("acknowledged", 0.9, 1, to="store_supervisor"), "not yet due"),
    "breach of a deadline met on time": (
        History().add("acknowledged", 0.5).breach("acknowledged", 2, 1, to="store_supervisor"),
        "met (completed by event 2"),
    "breach without a warning": (
        History().breach("acknowledged", 2, 1, warn=False, to="store_supervisor"),
        "without a warning"),
    "breach not escalated": (
        History().breach("acknowledged", 2, 1).add("acknowledged", 3),
        "escalates to store_supervisor"),
    "escalated to the wrong tier": (
        History().breach("acknowledged", 2, 1, to="executive"), "escalates to executive"),
    "warning before its time": (
        History().add("sla_warning", 0.1, None, stage="acknowledged"), "no warning is due"),
    "breach naming another deadline": (
        History().add("sla_warning", 2, None, stage="acknowledged")
        .add("sla_breached", 2, None, stage="acknowledged", deadline=at(1.5).isoformat())
        .add("escalated", 2, None, to="store_supervisor"), "names"),
    "breach of a deadline never planned": (
        History(acknowledged=1).breach("revisited", 30, 29, to="store_supervisor"),
        "no revisited deadline is running"),
    "breach of a follow-up reset by reopening": (
        History().add("acknowledged", 0.5).add("investigated", 1).add("proposed", 2)
        .add("resolved", 3, deadlines=times(revisited=27)).add("revisited", 4, satisfaction=1)
        .add("reopened", 5, deadlines=times(proposed=53, resolved=77))
        .breach("revisited", 28, 27, to="store_supervisor"),
        "no revisited deadline is running"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_wrong_records_are_refused(case: str) -> None:
    h, words = WRONG[case]
    verdict = h.verdict()
    assert not verdict.agrees
    assert any(words in d for d in verdict.disagreements), verdict.disagreements
    with pytest.raises(InvariantViolation) as info:
        check_sla(h.events)
    assert info.value.invariant == "sla_matches_referee"
    assert words in str(info.value)


def test_a_violation_names_the_stage_the_deadline_and_both_verdicts() -> None:
    with pytest.raises(InvariantViolation) as info:
        check_sla(History().add("acknowledged", 2).events)
    message = str(info.value)
    assert "acknowledged deadline" in message
    assert at(1).isoformat() in message
    assert "the referee says late" in message
    assert "the record says no breach recorded" in message


def test_unreadable_histories() -> None:
    with pytest.raises(ValueError, match="received"):
        referee.sla_outcomes([])
    bad = History().add("resolved", 1, deadlines={"revisited": "tomorrow"})
    with pytest.raises(InvariantViolation, match="cannot be judged"):
        check_sla(bad.events)
    naive = History().add("resolved", 1, deadlines={"revisited": "2026-06-19T01:00:00"})
    with pytest.raises(InvariantViolation, match="naive"):
        check_sla(naive.events)


# -- histories the workflow writes -------------------------------------------------------------------
def test_the_workflow_main_road_and_ticks_agree() -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    c = wf.receive("衣服褪色了", customer_id="C-1", channel="hotline")
    c = wf.acknowledge(c, actor="agent-7")
    c = wf.investigate(c, actor="agent-7", finding=F)
    clock.advance(timedelta(days=5))
    c = wf.tick(c)
    verdict = check_sla(c, now=clock.now())
    assert dict(outcomes(verdict)) == {"acknowledged": MET, "investigated": MET,
                                       "proposed": BREACHED, "resolved": BREACHED}
    assert all(o.breach is not None for o in verdict.outcomes if o.outcome == BREACHED)


def test_the_workflow_paused_and_resumed_agrees() -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    c = wf.acknowledge(wf.receive("衣服褪色了", customer_id="C-1", channel="hotline"),
                       actor="a")
    c = wf.await_customer(c, actor="a", reason="photos, please")
    clock.advance(timedelta(days=4))
    c = wf.tick(c)  # the pause limit passed: the clocks run again
    clock.advance(timedelta(hours=1))
    c = wf.tick(wf.customer_replied(c, actor="a") if c.paused else c)
    check_sla(c, now=clock.now())


STEPS = st.lists(st.one_of(
    st.sampled_from(("forward", "forward", "pause", "resume", "escalate")),
    st.sampled_from((0.5, 3, 20, 50)),
), max_size=14)
ROAD = {S.RECEIVED: "acknowledge", S.ACKNOWLEDGED: "investigate", S.INVESTIGATED: "propose",
        S.PROPOSED: "resolve", S.RESOLVED: "revisit", S.REVISITED: "archive"}


@settings(max_examples=60, deadline=None)
@given(steps=STEPS, severity_text=st.sampled_from(
    ("衣服褪色了", "The staff were rude to me", "The dress gave us food poisoning")))
def test_workflow_histories_ticked_before_each_command_agree(
        steps: list[str | float], severity_text: str) -> None:
    """A workflow ticked before every command records each breach in time: the referee
    agrees with the record, as of the last event and (after a last tick) as of now."""
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, authorization=OpenAuthorization())
    c = wf.receive(severity_text, customer_id="C-1", channel="hotline")
    kwargs: dict[str, dict[str, Any]] = {
        "investigate": {"finding": F}, "revisit": {"satisfaction": 4}}
    for step in steps:
        if isinstance(step, float | int):
            clock.advance(timedelta(hours=step))
            continue
        c = wf.tick(c)
        if c.is_final:
            break
        if step == "forward" and c.state in ROAD:
            command = ROAD[c.state]
            c = wf.fire(c, command, actor="agent-7", **kwargs.get(command, {}))
        elif step == "pause" and "await_customer" in wf.available(c):
            c = wf.await_customer(c, actor="agent-7", reason="photos, please")
        elif step == "resume" and "customer_replied" in wf.available(c):
            c = wf.customer_replied(c, actor="agent-7")
        elif step == "escalate" and "escalate" in wf.available(c):
            c = wf.escalate(c, actor="agent-7", reason="VIP")
    check_sla(c)
    c = wf.tick(c)
    verdict = check_sla(c, now=clock.now())
    # the fold and the referee agree on which stages are breached
    breached = {o.stage for o in verdict.outcomes if o.breach is not None}
    assert breached == set(c.breached)


def test_the_referee_reads_only_the_events() -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, authorization=OpenAuthorization())
    c = wf.receive("衣服褪色了", customer_id="C-1", channel="hotline")
    clock.advance(timedelta(hours=2))
    c = wf.acknowledge(wf.tick(c), actor="a")
    assert referee.sla_outcomes(c) == referee.sla_outcomes(list(c.history))


@given(due=st.integers(1, 6000), done=st.integers(0, 12000), ticked=st.booleans())
def test_a_stage_is_late_exactly_when_completed_after_its_deadline(
        due: int, done: int, ticked: bool) -> None:
    """Minutes from receipt: the deadline ``due``, the acknowledgement ``done``; with
    ``ticked`` a tick right before the acknowledgement recorded what was owed."""
    h = History(acknowledged=due / 60)
    if ticked and done >= due:
        h.breach("acknowledged", done / 60, due / 60, to="store_supervisor")
    h.add("acknowledged", done / 60)
    verdict = h.verdict()
    (ack,) = verdict.of(S.ACKNOWLEDGED)
    assert ack.outcome == (LATE if done > due else MET)
    assert verdict.agrees == (done <= due or ticked)
