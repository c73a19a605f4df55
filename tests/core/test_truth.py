"""The record is true: SLA outcomes, late commands, reopen and reclassify, checked histories,
refused input, the command registry and the public records' type hints."""

from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from core_helpers import DRESS, T0, finding, new, to_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import BusinessCalendar, TieredEscalation

S = cf.State
H = timedelta(hours=1)


# -- SLA truth --------------------------------------------------------------------------------
def test_a_late_acknowledgement_records_the_breach_before_itself() -> None:
    wf, c, clock = new("the zip is a bit stiff")  # severity 3, front line
    clock.advance(hours=2)
    c = wf.acknowledge(c, actor="agent-7")
    names = [e.name for e in c.history]
    assert names == ["received", "sla_warning", "sla_breached", "escalated", "acknowledged"]
    breach = c.history[2]
    assert breach.at == clock.now()
    assert breach.data["stage"] == "acknowledged"
    assert breach.data["deadline"] == (T0 + H).isoformat()
    assert c.tier is cf.Tier.STORE_SUPERVISOR
    assert c.sla[S.ACKNOWLEDGED].outcome is cf.SlaOutcome.MET_LATE
    assert c.sla[S.INVESTIGATED].outcome is cf.SlaOutcome.OPEN


def test_an_on_time_acknowledgement_is_met_on_time() -> None:
    wf, c, clock = new("the zip is a bit stiff")
    clock.advance(minutes=30)
    c = wf.acknowledge(c, actor="agent-7")
    assert [e.name for e in c.history] == ["received", "acknowledged"]
    assert c.sla[S.ACKNOWLEDGED].outcome is cf.SlaOutcome.MET_ON_TIME
    assert c.sla[S.ACKNOWLEDGED].met_at == clock.now()


def test_open_and_breached_versus_open_and_not_yet_due() -> None:
    wf, c, clock = new("the zip is a bit stiff")
    assert c.outcomes() == dict.fromkeys(c.deadlines, cf.SlaOutcome.OPEN)
    later = T0 + 2 * H
    assert c.outcomes(later)[S.ACKNOWLEDGED] is cf.SlaOutcome.BREACHED  # not recorded yet
    clock.set(later)
    c = wf.tick(c)
    assert c.outcomes()[S.ACKNOWLEDGED] is cf.SlaOutcome.BREACHED
    assert c.outcomes()[S.INVESTIGATED] is cf.SlaOutcome.OPEN


def test_reopen_cancels_the_old_follow_up() -> None:
    wf, c, clock = new()
    c = to_state(wf, c, S.RESOLVED)
    clock.advance(hours=1)
    c = wf.revisit(c, actor="agent-7", satisfaction=2)  # on time
    c = wf.reopen(c, actor="agent-7", reason="still fading")
    assert S.REVISITED not in c.deadlines
    assert S.REVISITED not in c.sla
    clock.advance(hours=5)
    c = wf.tick(c)
    assert not any(e.name == "sla_breached" and e.data["stage"] == "revisited"
                   for e in c.history)


def test_reclassify_to_injury_is_severity_one_and_regional_head() -> None:
    wf, c, _clock = new("the zip is a bit stiff")
    assert (c.severity, c.tier) == (3, cf.Tier.FRONT_LINE)
    c = wf.reclassify(c, actor="agent-7", reason="the zip cut her finger", category="injury")
    assert (c.category, c.dimension, c.severity) == ("injury", "safety", 1)
    assert c.tier >= cf.Tier.REGIONAL_HEAD
    with pytest.raises(cf.ValidationError, match="category"):
        wf.reclassify(c, actor="agent-7", reason="x", category="alien_abduction")
    with pytest.raises(cf.ValidationError, match="scope"):
        wf.reclassify(c, actor="agent-7", reason="x", scope="galaxy")


def _business() -> tuple[cf.Workflow, cf.FrozenClock, BusinessCalendar]:
    cal = BusinessCalendar("Asia/Shanghai", hours=("09:00", "18:00"), holidays="CN")
    clock = cf.FrozenClock(datetime(2026, 6, 23, 2, 0, tzinfo=UTC))  # Tue 10:00 Shanghai
    return cf.Workflow(clock=clock, escalation=TieredEscalation(calendar=cal)), clock, cal


def test_reclassify_after_a_pause_keeps_the_held_time_in_working_time() -> None:
    wf, clock, cal = _business()
    c = wf.receive("the zip is a bit stiff", customer_id="C-1", channel="hotline")
    c = wf.acknowledge(c, actor="a")
    c = wf.await_customer(c, actor="a", reason="photos please")
    clock.advance(hours=5)
    c = wf.customer_replied(c, actor="a")
    held = c.held
    assert held > timedelta(0)
    c = wf.reclassify(c, actor="a", reason="more serious", severity=2)
    for stage in (S.INVESTIGATED, S.PROPOSED, S.RESOLVED):
        when = c.deadlines[stage]
        # the plan from receipt plus the held working time, so inside working hours
        expected = wf.escalation.replan(c, start=c.received_at, held=held)[stage]
        assert when == max(expected, c.last_event_at)
        assert cal.add(when, timedelta(0)) == when or cal.between(when - H, when) > timedelta(0)


def test_reclassify_after_breaches_keeps_the_stages_in_order() -> None:
    wf, clock, _cal = _business()
    c = wf.receive("the zip is a bit stiff", customer_id="C-1", channel="hotline")
    clock.advance(days=6)
    c = wf.tick(c)
    c = wf.reclassify(c, actor="a", reason="serious", severity=1)
    open_ = [c.deadlines[s] for s in (S.ACKNOWLEDGED, S.INVESTIGATED, S.PROPOSED, S.RESOLVED)]
    assert open_ == sorted(open_)
    c = wf.acknowledge(c, actor="a")
    c = wf.await_customer(c, actor="a", reason="photos")
    clock.advance(days=3)
    c = wf.tick(c)
    assert cf.Complaint.replay(c.history) == c


# -- trusted input ----------------------------------------------------------------------------
def _dict_of(c: cf.Complaint) -> dict[str, Any]:
    return c.to_dict()


def test_from_dict_refuses_a_history_that_breaks_the_graph() -> None:
    _wf, c, _ = new()
    d = _dict_of(c)
    d["history"].append({"seq": 2, "name": "archived", "at": d["history"][0]["at"],
                         "actor": "a", "data": {"summary": None}})
    d.pop("version")
    with pytest.raises(cf.ValidationError, match="archived"):
        cf.Complaint.from_dict(d)


@pytest.mark.parametrize(("key", "value", "field"), [
    ("severity", "high", "severity"),
    ("channel", 5, "channel"),
    ("scope", "galaxy", "scope"),
    ("customer_id", "\ud800", "customer_id"),
])
def test_from_dict_refuses_bad_receipts(key: str, value: object, field: str) -> None:
    _, c, _ = new()
    d = _dict_of(c)
    d["history"][0]["data"][key] = value
    with pytest.raises(cf.ValidationError, match=field):
        cf.Complaint.from_dict(d)


def test_from_dict_refuses_bad_later_events() -> None:
    wf, c, _ = new()
    c = to_state(wf, c, S.REVISITED)
    d = _dict_of(c)
    revisit = next(e for e in d["history"] if e["name"] == "revisited")
    revisit["data"]["satisfaction"] = 9
    with pytest.raises(cf.ValidationError, match="satisfaction"):
        cf.Complaint.from_dict(d)
    d = _dict_of(c)
    resolved = next(e for e in d["history"] if e["name"] == "resolved")
    resolved["data"]["deadlines"] = {"follow_up_call": resolved["at"]}
    with pytest.raises(cf.ValidationError, match="stage"):
        cf.Complaint.from_dict(d)
    d = _dict_of(c)
    resolved = next(e for e in d["history"] if e["name"] == "resolved")
    resolved["data"]["deadlines"] = {"revisited": (T0 - H).isoformat()}
    with pytest.raises(cf.ValidationError, match="before the event"):
        cf.Complaint.from_dict(d)


def test_from_dict_refuses_an_offer_above_authority_without_approval() -> None:
    wf, c, _ = new()
    c = to_state(wf, c, S.PROPOSED)
    d = _dict_of(c)
    proposed = next(e for e in d["history"] if e["name"] == "proposed")
    proposed["data"]["offer"]["goodwill"] = {"amount": "5000.00", "currency": "CNY"}
    with pytest.raises(cf.AuthorityExceeded):
        cf.Complaint.from_dict(d)


@pytest.mark.parametrize("call", [
    lambda wf, c: wf.receive("\ud800", customer_id="C-1", channel="hotline"),
    lambda wf, c: wf.reject(c, actor="a", reason="abuse", evidence=5),
    lambda wf, c: wf.reject(c, actor="a", reason="abuse \udfff", evidence=["no order"]),
    lambda wf, c: wf.withdraw(c, actor="a", reason="x" * (cf.MAX_TEXT + 1)),
    lambda wf, c: wf.acknowledge(c, actor="a" * (cf.MAX_ID + 1)),
    lambda wf, c: wf.receive("fading", customer_id="C 1/../x", channel="hotline"),
    lambda wf, c: wf.receive("fading", customer_id="C-1", channel="hotline",
                             at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC)),
    lambda wf, c: wf.receive("fading", customer_id="C-1", channel="hotline",
                             at=datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5)))),
    lambda wf, c: wf.receive("fading", customer_id="C-1", channel="hotline",
                             at=T0 + timedelta(days=30)),
    lambda wf, c: wf.acknowledge(c, actor="a",
                                 promise=datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
    lambda wf, c: wf.tick(c, now=datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
    lambda wf, c: cf.Workflow(channels="hotline"),
])
def test_bad_input_is_a_validation_error(call: Any) -> None:
    wf, c, _ = new()
    with pytest.raises(cf.ValidationError):
        call(wf, c)


def test_unknown_commands_are_validation_errors() -> None:
    wf, c, _ = new()
    with pytest.raises(cf.UnknownCommand, match="nope"):
        wf.fire(c, "nope", actor="a")


# -- the registry -----------------------------------------------------------------------------
def test_the_named_methods_match_the_registry() -> None:
    import inspect

    for name, command in cf.COMMANDS.items():
        method = getattr(cf.Workflow, name)
        params = inspect.signature(method).parameters
        named = [p for p in params if p not in ("self", "complaint", "actor", "expected_version")]
        assert set(named) == set(command.argument_names), name
        for arg in command.arguments:
            assert (params[arg.name].default is inspect.Parameter.empty) == arg.required, (
                name, arg.name)


def test_the_graph_is_the_registrys() -> None:
    wf = cf.Workflow()
    for name, command in cf.COMMANDS.items():
        assert set(wf.engine.sources(name)) == set(command.sources)
        for source in command.sources:
            assert wf.engine.target(source, name) is (command.target or source)
    assert set(wf.engine.commands) == set(cf.COMMANDS)


def test_commands_is_read_only() -> None:
    with pytest.raises(TypeError):
        cf.COMMANDS["teleport"] = cf.COMMANDS["acknowledge"]  # type: ignore[index]


def test_an_integrator_adds_a_note_command() -> None:
    hold = cf.Command("legal_hold", sources=[s for s in S if s is not S.ARCHIVED], target=None,
                      event="legal_hold_noted",
                      arguments=(cf.Argument("case", required=True),))
    wf, c, _clock = new()
    wf.register(hold)
    c = wf.fire(c, "legal_hold", actor="counsel-1", case="2026-SH-42")
    assert c.history[-1].name == "legal_hold_noted"
    assert c.history[-1].data == {"case": "2026-SH-42"}
    assert c.state is S.RECEIVED
    assert "legal_hold" in wf.available(c)
    assert cf.Complaint.from_dict(c.to_dict()) == c
    with pytest.raises(cf.ValidationError, match="case"):
        wf.fire(c, "legal_hold", actor="counsel-1")


# -- public records -----------------------------------------------------------------------------
@pytest.mark.parametrize("record", [cf.Complaint, cf.Event, cf.Offer, cf.Money, cf.Finding,
                                    cf.Actor, cf.StageClock, cf.Command, cf.Argument])
def test_type_hints_resolve_on_every_public_record(record: type) -> None:
    hints = typing.get_type_hints(record)
    if attrs.has(record):
        for field in attrs.fields(record):
            assert field.name in hints
            assert not isinstance(field.type, str), (record, field.name)


def test_literals_are_exported() -> None:
    assert "refund" in typing.get_args(cf.Remedy)
    assert "supply_chain" in typing.get_args(cf.Party)
    assert "fraud" in typing.get_args(cf.Cause)
    assert set(typing.get_args(cf.TierLabel)) == {t.label for t in cf.Tier}
    assert cf.register_upcaster is not None


# -- properties ---------------------------------------------------------------------------------
_STEPS = st.lists(st.tuples(
    st.sampled_from(["acknowledge", "investigate", "propose", "decline", "resolve", "revisit",
                     "reopen", "await_customer", "customer_replied", "escalate", "message",
                     "reclassify", "withdraw", "archive", "tick"]),
    st.sampled_from([timedelta(minutes=10), H, 5 * H, timedelta(days=2)])), max_size=14)


def _kwargs(name: str) -> dict[str, Any]:
    return {"investigate": {"finding": finding()}, "decline": {"reason": "no"},
            "revisit": {"satisfaction": 2}, "reopen": {"reason": "again"},
            "await_customer": {"reason": "photos"}, "escalate": {"reason": "vip"},
            "message": {"text": "any news?"}, "withdraw": {"reason": "bye"},
            "reclassify": {"reason": "r", "severity": 2}}.get(name, {})


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=_STEPS, calendar=st.booleans())
def test_replay_equals_and_every_deadline_has_one_outcome(
        steps: list[tuple[str, timedelta]], calendar: bool) -> None:
    clock = cf.FrozenClock(T0)
    esc = TieredEscalation(calendar=BusinessCalendar("Asia/Shanghai", holidays="CN")
                           if calendar else None)
    wf = cf.Workflow(clock=clock, escalation=esc)
    c = wf.receive(DRESS, customer_id="C-1", channel="hotline")
    for name, step in steps:
        clock.advance(step)
        try:
            if name == "tick":
                c = wf.tick(c)
            else:
                actor = None if name == "message" else "agent-1"
                c = wf.fire(c, name, actor=actor, **_kwargs(name))
        except cf.ComplaintflowError:
            continue
        assert cf.Complaint.replay(c.history) == c
        assert cf.Complaint.from_dict(c.to_dict()) == c
        for stage, clk in c.sla.items():
            outcome = clk.outcome
            assert outcome in set(cf.SlaOutcome)
            met = stage in c.completed
            breached = stage in c.breached
            assert (outcome is cf.SlaOutcome.MET_ON_TIME) == (met and not breached)
            assert (outcome is cf.SlaOutcome.MET_LATE) == (met and breached)
            assert (outcome is cf.SlaOutcome.BREACHED) == (not met and breached)
            assert (outcome is cf.SlaOutcome.OPEN) == (not met and not breached)
            if not met and not c.paused and not c.is_final:
                # the record is true as of its last event: nothing due is left unrecorded
                assert (outcome is cf.SlaOutcome.OPEN) == (c.last_event_at < clk.deadline)  # type: ignore[operator]


def test_a_merged_duplicate_first_records_what_time_made_due() -> None:
    """A duplicate arriving after a deadline passed records the breach before ``merged``,
    so a command at the same moment does not reach a late stage unrecorded."""
    from datetime import datetime, timedelta

    import complaintflow as cf

    clock = cf.FrozenClock(datetime(2026, 6, 18, 1, 0, tzinfo=UTC))
    wf = cf.Workflow(clock=clock, store=cf_store())
    c = wf.receive("the kettle leaks", customer_id="C-4", channel="hotline", order_id="O-1")
    clock.advance(hours=20)
    merged = wf.receive("the kettle leaks", customer_id="C-4", channel="wechat", order_id="O-1")
    assert merged.id == c.id
    names = [e.name for e in merged.history]
    assert names.index("sla_breached") < names.index("merged")
    acked = wf.acknowledge(merged, actor="agent-7")
    assert acked.outcomes()[cf.State.ACKNOWLEDGED] is cf.SlaOutcome.MET_LATE
    assert [e.data["stage"] for e in acked.history if e.name == "sla_breached"].count(
        "acknowledged") == 1
    assert acked.history[-1].at - c.history[0].at == timedelta(hours=20)


def cf_store():  # type: ignore[no-untyped-def]
    from complaintflow.store import MemoryStore

    return MemoryStore()
