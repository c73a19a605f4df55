"""Follow-ups: the reopen window, messages on a case, related cases on the same order, and
the follow-up link written in one transaction with the new complaint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import ChannelDuplicates, TieredEscalation
from complaintflow.policies._config import parse_policies
from complaintflow.store import MemoryStore, SQLiteStore
from failing_stores import FailingSave, FailingSQLite

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
F = cf.Finding("product_defect", "supply_chain", ("lab report",))
A = "agent-7"
BOSS = cf.Actor("exec-1", cf.Tier.EXECUTIVE)


def _resolved(wf: cf.Workflow, customer: str = "C-1", order: str | None = None) -> cf.Complaint:
    c = wf.receive("the lamp shade arrived cracked", customer_id=customer, channel="app",
                   order_id=order)
    c = wf.investigate(wf.acknowledge(c, actor=A), actor=A, finding=F)
    return wf.resolve(wf.propose(c, actor=A), actor=A)


def _screen(wf: cf.Workflow, c: cf.Complaint, actor: cf.Actor | str | None) -> dict[str, cf.Allowed]:
    return {a.command: a for a in wf.allowed(c, actor)}


# -- the reopen window ------------------------------------------------------------------------

@pytest.mark.parametrize("revisit", [False, True])
def test_reopen_within_the_window_from_resolved_or_revisited(revisit: bool) -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    c = _resolved(wf)
    assert c.resolved_at == T0
    if revisit:
        c = wf.revisit(c, actor=A, satisfaction=2)
    clock.advance(days=30)  # the last moment of the window
    assert _screen(wf, c, A)["reopen"].allowed
    assert "reopen" in wf.available(c)
    again = wf.reopen(c, actor=A, reason="the new shade is cracked too")
    assert again.state is cf.State.INVESTIGATED and again.reopens == 1
    assert cf.State.REVISITED not in again.deadlines  # the follow-up call is cancelled
    assert cf.Complaint.replay(again.history) == again


@pytest.mark.parametrize("command", ["reopen", "message"])
def test_after_the_window_reopen_and_messages_point_to_a_follow_up(command: str) -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    c = wf.revisit(_resolved(wf), actor=A, satisfaction=1)
    clock.advance(days=30, seconds=1)
    kwargs: dict[str, Any] = ({"reason": "still cracked"} if command == "reopen"
                              else {"text": "still cracked"})
    with pytest.raises(cf.InvalidTransition) as info:
        wf.fire(c, command, actor=A, **kwargs)
    message = str(info.value)
    assert "reopen window (30 days after resolution)" in message
    assert "2026-07-18T09:00:00+00:00" in message
    assert f"follow_up_of={c.id!r}" in message
    # allowed() gives the very same reason, and available() leaves the command out
    screen = _screen(wf, c, A)[command]
    assert not screen.allowed and screen.reasons == (message,)
    assert command not in wf.available(c)
    # nothing was recorded
    assert c.version == len(c.history)


@pytest.mark.parametrize("make_store", [MemoryStore, lambda: SQLiteStore(":memory:")])
def test_a_follow_up_after_the_window_links_both_cases(make_store: Callable[[], object]) -> None:
    clock = cf.FrozenClock(T0)
    store = make_store()
    wf = cf.Workflow(clock=clock, store=store)  # type: ignore[arg-type]
    old = wf.revisit(_resolved(wf, order="O-1"), actor=A, satisfaction=1)
    clock.advance(days=45)
    with pytest.raises(cf.InvalidTransition, match="follow_up_of"):
        wf.reopen(old, actor=A, reason="cracked again")
    new = wf.receive("the replacement shade is cracked too", customer_id="C-1", channel="app",
                     order_id="O-1", follow_up_of=old.id)
    earlier = store.get(old.id)  # type: ignore[attr-defined]
    assert new.follow_up_of == old.id and new.id != old.id and not new.merged
    assert earlier.follow_ups == (new.id,)
    assert earlier.history[-1].name == "followed_up"
    assert earlier.history[-1].data["complaint_id"] == new.id
    assert earlier.state is old.state  # linking does not reopen the earlier case
    assert store.get(new.id).follow_up_of == old.id  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", ["reopen", "message"])
def test_an_archived_case_points_to_a_follow_up(command: str) -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(T0))
    c = wf.revisit(_resolved(wf), actor=A, satisfaction=4)
    c = wf.archive(c, actor=A, summary="shade replaced")
    kwargs: dict[str, Any] = {"reason": "x"} if command == "reopen" else {"text": "x"}
    with pytest.raises(cf.InvalidTransition, match="follow_up_of") as info:
        wf.fire(c, command, actor=A, **kwargs)
    assert "the case is closed" in str(info.value)
    assert _screen(wf, c, A)[command].reasons == (str(info.value),)


@settings(max_examples=60, deadline=None)
@given(window_days=st.integers(1, 90), hours_later=st.integers(0, 24 * 120),
       revisit=st.booleans())
def test_reopen_is_allowed_exactly_within_the_policy_window(window_days: int, hours_later: int,
                                                            revisit: bool) -> None:
    """An independent oracle: the window's end is resolution + the configured days."""
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, escalation=TieredEscalation(reopen_window_days=window_days))
    c = _resolved(wf)
    if revisit:
        c = wf.revisit(c, actor=BOSS, satisfaction=2)
    resolved_at = clock.now()
    clock.advance(hours=hours_later)
    inside = resolved_at + timedelta(days=window_days) >= clock.now()
    screen = _screen(wf, c, BOSS)
    assert screen["reopen"].allowed is inside
    assert screen["message"].allowed is inside
    try:
        wf.reopen(c, actor=BOSS, reason="not fixed")
    except cf.InvalidTransition as exc:
        assert not inside and str(exc) in screen["reopen"].reasons
    else:
        assert inside


def test_the_window_runs_from_the_latest_resolution() -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    c = _resolved(wf)
    clock.advance(days=20)
    # (the missed follow-up call escalated the case: its new owner acts)
    c = wf.reopen(c, actor=BOSS, reason="the shade is cracked again")
    c = wf.resolve(wf.propose(c, actor=BOSS), actor=BOSS)
    assert c.resolved_at == clock.now()
    clock.advance(days=25)  # 45 days after the first resolution, 25 after the second
    assert wf.reopen(c, actor=BOSS, reason="and again").reopens == 2


def test_the_window_is_a_policy_number_that_a_subclass_may_change() -> None:
    class LongerForVips(TieredEscalation):
        def reopen_until(self, complaint: cf.Complaint, resolved_at: datetime) -> datetime:
            if complaint.customer.get("segment") == "vip":
                return resolved_at + timedelta(days=90)
            return super().reopen_until(complaint, resolved_at)

    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, escalation=LongerForVips())
    vip = wf.receive("the lamp shade arrived cracked", customer_id="C-9", channel="app",
                     customer={"segment": "vip"})
    vip = wf.investigate(wf.acknowledge(vip, actor=A), actor=A, finding=F)
    vip = wf.resolve(wf.propose(vip, actor=A), actor=A)
    plain = _resolved(wf)
    clock.advance(days=60)
    assert wf.reopen(vip, actor=BOSS, reason="cracked again").state is cf.State.INVESTIGATED
    with pytest.raises(cf.InvalidTransition, match="reopen window"):
        wf.reopen(plain, actor=BOSS, reason="cracked again")


def test_the_window_comes_from_toml_and_is_validated(tmp_path: Path) -> None:
    from complaintflow.policies.escalation import default_escalation_text

    assert parse_policies(default_escalation_text())["escalation"].reopen_window == timedelta(
        days=30)
    esc = parse_policies("[escalation]\nreopen_window_days = 7\n")["escalation"]
    assert esc.reopen_window == timedelta(days=7)
    for bad in ("0", "-1", "\"30\"", "true", "nan", "1e9"):
        with pytest.raises(cf.ConfigError) as info:
            parse_policies(f"[escalation]\nreopen_window_days = {bad}\n", "policies.toml")
        assert info.value.key == "escalation.reopen_window_days"
        assert info.value.line == 2
    with pytest.raises(cf.ValidationError) as err:
        TieredEscalation(reopen_window_days=0)
    assert err.value.field == "reopen_window_days"


# -- messages ---------------------------------------------------------------------------------

def test_a_message_on_an_open_case_is_recorded_and_resumes_a_paused_clock() -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    c = wf.acknowledge(wf.receive("where is my parcel", customer_id="C-1", channel="app"),
                       actor=A)
    c = wf.message(c, text="any news?", channel="wechat")
    assert (c.history[-1].name, c.history[-1].actor) == ("message", None)
    assert c.history[-1].data["personal"]["text"] == "any news?"
    before = dict(c.open_deadlines)
    c = wf.await_customer(c, actor=A, reason="asked for the tracking number")
    clock.advance(hours=3)
    c = wf.message(c, text="here it is: SF123")
    assert [e.name for e in c.history[-2:]] == ["resumed", "message"]
    assert not c.paused and c.held == timedelta(hours=3)
    # every open deadline moved by the time we waited (none of them was due at the pause)
    assert dict(c.open_deadlines) == {s: d + timedelta(hours=3) for s, d in before.items()}
    assert cf.Complaint.replay(c.history) == c


def test_a_message_on_a_resolved_case_within_the_window_is_recorded() -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock)
    c = _resolved(wf)
    clock.advance(days=10)
    c = wf.message(c, text="the shade is fine, thanks")
    assert c.state is cf.State.RESOLVED and c.history[-1].name == "message"


# -- related cases on the same order ----------------------------------------------------------

def _closed(wf: cf.Workflow, customer: str, order: str | None) -> cf.Complaint:
    c = wf.receive("the parcel is late", customer_id=customer, channel="app", order_id=order)
    c = wf.withdraw(wf.acknowledge(c, actor=A), actor=A, reason="it arrived")
    return wf.archive(c, actor=A)


@pytest.mark.parametrize("make_store", [MemoryStore, lambda: SQLiteStore(":memory:")])
def test_a_closed_case_on_the_same_order_is_suggested(make_store: Callable[[], object]) -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=make_store())  # type: ignore[arg-type]
    mine = _closed(wf, "C-1", "O-9")
    _closed(wf, "C-2", "O-9")  # another customer's: never related
    _closed(wf, "C-1", "O-8")  # another order: not related
    clock.advance(days=5)
    still_open = wf.receive("wrong colour", customer_id="C-1", channel="app", order_id="O-7")
    new = wf.receive("the parcel box was crushed", customer_id="C-1", channel="hotline",
                     order_id="O-9")
    assert not new.merged and new.related == (mine.id,)
    assert new.history[0].data["related"] == (mine.id,)
    assert wf.store.get(new.id).related == (mine.id,)  # type: ignore[union-attr]
    assert cf.Complaint.from_dict(new.to_dict()) == new
    # an open case on the order takes the complaint as a duplicate instead
    dup = wf.receive("wrong colour, again", customer_id="C-1", channel="wechat", order_id="O-7")
    assert dup.merged and dup.id == still_open.id
    # the case named as follow_up_of is the link itself, not a suggestion
    linked = wf.receive("late once more", customer_id="C-1", channel="app", order_id="O-8",
                        follow_up_of=wf.store.recent(  # type: ignore[union-attr]
                            since=T0, customer_id="C-1", order_id="O-8")[0].id)
    assert linked.related == () and linked.follow_up_of is not None


def test_related_cases_are_looked_for_within_the_policy_window() -> None:
    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=MemoryStore(),
                     duplicates=ChannelDuplicates(related_days=30))
    old = _closed(wf, "C-1", "O-9")
    clock.advance(days=31)
    assert wf.receive("late", customer_id="C-1", channel="app", order_id="O-9").related == ()
    assert parse_policies("[duplicates]\nrelated_days = 7\n")["duplicates"].related_window == (
        timedelta(days=7))
    with pytest.raises(cf.ConfigError) as info:
        parse_policies("[duplicates]\nrelated_days = 0\n")
    assert info.value.key == "duplicates.related_days"
    assert old.id


def test_related_asks_the_store_for_a_bounded_indexed_query() -> None:
    """Intake asks for a summary of the newest few cases on that order, never for whole
    complaints."""
    asked: list[dict[str, object]] = []

    class Watching(MemoryStore):
        def recent(self, **kwargs: object) -> list[cf.Complaint]:
            raise AssertionError("intake loaded whole complaints")

        def intake_summary(self, **kwargs: Any) -> Any:
            asked.append(kwargs)
            return super().intake_summary(**kwargs)

    wf = cf.Workflow(clock=cf.FrozenClock(T0), store=Watching())
    _closed(wf, "C-1", "O-9")
    asked.clear()
    c = wf.receive("late", customer_id="C-1", channel="app", order_id="O-9")
    assert len(c.related) == 1
    by_order = [k for k in asked if k.get("order_id") == "O-9"]
    assert by_order == [{"since": T0 - timedelta(days=180), "until": T0,
                         "order_id": "O-9", "limit": 10}]


def test_a_related_case_loaded_with_bad_data_is_refused() -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(T0), store=MemoryStore())
    _closed(wf, "C-1", "O-9")
    c = wf.receive("late", customer_id="C-1", channel="app", order_id="O-9")
    d = c.to_dict()
    d["history"][0]["data"]["related"] = [""]
    with pytest.raises(cf.ValidationError, match="related"):
        cf.Complaint.from_dict(d)


# -- the follow-up link: one transaction -----------------------------------------------------

@pytest.mark.parametrize("make_store", [FailingSave, lambda: FailingSQLite(":memory:")])
def test_the_follow_up_link_is_written_with_the_new_complaint_or_not_at_all(
        make_store: Callable[[], FailingSave | FailingSQLite]) -> None:
    store = make_store()
    clock = cf.FrozenClock(T0)
    seen: list[str] = []
    wf = cf.Workflow(clock=clock, store=store, ids=iter(["CF-OLD", "CF-NEW", "CF-NEW2"]).__next__)
    old = _closed(wf, "C-1", None)
    wf.subscribe(lambda e, c: seen.append(f"{c.id}:{e.name}"))
    clock.advance(days=40)
    store.armed = True
    with pytest.raises(cf.OperationalError, match="disk full"):
        wf.receive("late again", customer_id="C-1", channel="app", follow_up_of=old.id)
    store.armed = False
    # nothing half-written: no new complaint, no link, nothing relayed, no listener called
    with pytest.raises(cf.NotFound):
        store.get("CF-NEW")
    assert store.get(old.id) == old and store.get(old.id).follow_ups == ()
    assert store.counts("state") == {"archived": 1}
    assert all(item.complaint_id == old.id for item in store.pending(100))
    assert seen == []
    # the same call succeeds once the store does
    new = wf.receive("late again", customer_id="C-1", channel="app", follow_up_of=old.id)
    assert new.id == "CF-NEW2" and store.get(old.id).follow_ups == (new.id,)
    assert seen == ["CF-NEW2:received", f"{old.id}:followed_up"]
