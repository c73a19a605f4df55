"""Who may do what: the authorization policy, ownership and ``allowed()``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import OpenAuthorization, TieredAuthorization
from complaintflow.testing import actors, complaints

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)
F = cf.Finding("product_defect", "supply_chain", ("lab report",))
BOSS = cf.Actor("exec-1", cf.Tier.EXECUTIVE)


def _wf() -> cf.Workflow:
    return cf.Workflow(clock=cf.FrozenClock(T0))


def _safety(wf: cf.Workflow) -> cf.Complaint:
    c = wf.receive("the kettle exploded and burned my hand", customer_id="C-1", channel="hotline")
    assert c.tier >= cf.Tier.REGIONAL_HEAD
    return c


@pytest.mark.parametrize("command", ["withdraw", "reject"])
def test_the_front_line_may_not_close_a_case_owned_above_it(command: str) -> None:
    wf = _wf()
    c = wf.acknowledge(_safety(wf), actor="agent-7")
    kwargs = {"reason": "no purchase", **({"evidence": ["no order"]} if command == "reject" else {})}
    with pytest.raises(cf.NotAuthorized, match="authority") as info:
        wf.fire(c, command, actor="agent-7", **kwargs)
    assert info.value.needed_tier == c.tier.label
    assert wf.store is None and c.version == 2
    assert wf.fire(c, command, actor=BOSS, **kwargs).state.value in ("withdrawn", "rejected")


def test_one_owner_per_case_taking_over_is_recorded() -> None:
    wf = _wf()
    c = wf.acknowledge(wf.receive("late delivery", customer_id="C-1", channel="app"),
                       actor="agent-1")
    with pytest.raises(cf.NotAuthorized, match="not the owner"):
        wf.investigate(c, actor="agent-2", finding=F)
    with pytest.raises(cf.NotAuthorized, match="already owns"):
        wf.take_over(c, actor="agent-1")
    c = wf.take_over(c, actor="agent-2")
    assert (c.owner, c.history[-1].name, c.history[-1].data["from"]) == ("agent-2", "taken_over",
                                                                           "agent-1")
    assert cf.Complaint.replay(c.history).owner == "agent-2"
    c = wf.investigate(c, actor="agent-2", finding=F)
    # a higher tier acts without taking over; a lower one may not take a supervisor's case
    sup = cf.Actor("sup-1", cf.Tier.STORE_SUPERVISOR)
    c = wf.take_over(c, actor=sup)
    with pytest.raises(cf.NotAuthorized, match="owner's tier"):
        wf.take_over(c, actor="agent-1")
    assert wf.propose(c, actor=BOSS).state is cf.State.PROPOSED


def test_reject_records_checked_evidence() -> None:
    wf = _wf()
    c = wf.receive("late delivery", customer_id="C-1", channel="app")
    with pytest.raises(cf.ValidationError, match="evidence"):
        wf.reject(c, actor="agent-1", reason="abusive", evidence=5)  # type: ignore[arg-type]
    with pytest.raises(cf.ValidationError, match="evidence"):
        wf.reject(c, actor="agent-1", reason="abusive", evidence=[""])
    done = wf.reject(c, actor="agent-1", reason="abusive", evidence=["no order O-9 on record"])
    assert done.history[-1].data["evidence"] == ("no order O-9 on record",)


def test_allowed_lists_every_command_with_reasons() -> None:
    wf = _wf()
    c = wf.receive("late delivery", customer_id="C-1", channel="app")
    screen = wf.allowed(c, "agent-1")
    assert [a.command for a in screen] == list(wf.commands)
    for a in screen:
        assert a.allowed == (not a.reasons)
    names = {a.command for a in screen if a.allowed}
    assert names == set(wf.available(c))
    customer = {a.command for a in wf.allowed(c, None) if a.allowed}
    assert customer == {"message"}


@settings(max_examples=40, deadline=None)
@given(c=complaints(), actor=actors(), data=st.data())
def test_allowed_and_the_commands_agree(c: cf.Complaint, actor: cf.Actor,
                                        data: st.DataObject) -> None:
    """Whatever allowed() says of a command, running it (good arguments) says the same."""
    from complaintflow.testing.strategies import _valid_kwargs  # the kit's argument maker

    wf = cf.Workflow(clock=cf.FrozenClock(c.last_event_at))
    for a in wf.allowed(c, actor):
        if a.command not in cf.COMMANDS:
            continue
        kwargs = data.draw(_valid_kwargs(a.command, st.just(actor)))
        kwargs.pop("promise", None)
        try:
            wf.fire(c, a.command, **kwargs)
        except (cf.InvalidTransition, cf.NotAuthorized) as exc:
            if isinstance(exc, cf.AuthorityExceeded):
                continue
            assert not a.allowed, exc
            assert str(exc) in a.reasons
        except cf.ValidationError:
            continue
        else:
            assert a.allowed, a.reasons


def test_open_authorization_allows_everyone() -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(T0), authorization=OpenAuthorization())
    c = wf.acknowledge(_safety(wf), actor="agent-7")
    assert wf.withdraw(c, actor="agent-8", reason="changed mind").state is cf.State.WITHDRAWN


def test_tiered_rules_are_configurable() -> None:
    policy = TieredAuthorization(close=("resolve",), free=("message", "escalate"))
    assert (policy.rule("escalate"), policy.rule("archive"), policy.rule("resolve")) == (
        "free", "act", "close")
    with pytest.raises(cf.ValidationError, match="close"):
        TieredAuthorization(close="resolve")


def test_customer_attributes_are_recorded_and_seen_by_policies() -> None:
    seen: list[object] = []

    class VipFirst(TieredAuthorization):
        def refusal(self, complaint: cf.Complaint, command: str,
                    actor: cf.Actor | None) -> cf.NotAuthorized | None:
            seen.append(complaint.customer.get("segment"))
            return super().refusal(complaint, command, actor)

    wf = cf.Workflow(clock=cf.FrozenClock(T0), authorization=VipFirst())
    c = wf.receive("late delivery", customer_id="C-1", channel="app",
                   customer={"segment": "vip", "language": "zh", "market": "CN"})
    assert dict(c.customer) == {"segment": "vip", "language": "zh", "market": "CN"}
    assert c.history[0].data["personal"]["customer"]["segment"] == "vip"
    assert cf.Complaint.replay(c.history) == c
    with pytest.raises(TypeError):
        c.customer["segment"] = "standard"  # type: ignore[index]
    wf.acknowledge(c, actor="agent-1")
    assert seen == ["vip"]
    # without personal data the attributes are left out
    assert not cf.Complaint.from_dict(c.to_dict(personal=False)).customer


@pytest.mark.parametrize("bad", [{"a b": "x"}, {"segment": 5}, {"segment": ""},
                                 {f"k{i}": "v" for i in range(17)}, ["vip"],
                                 {"segment": "x" * 65}])
def test_bad_customer_attributes_are_refused(bad: object) -> None:
    wf = _wf()
    with pytest.raises(cf.ValidationError, match="customer"):
        wf.receive("late", customer_id="C-1", channel="app", customer=bad)  # type: ignore[arg-type]


def test_a_follow_up_after_closure_links_both_cases() -> None:
    from complaintflow.store import MemoryStore

    clock = cf.FrozenClock(T0)
    wf = cf.Workflow(clock=clock, store=MemoryStore())
    old = wf.receive("late delivery", customer_id="C-1", channel="app")
    old = wf.withdraw(wf.acknowledge(old, actor="agent-1"), actor="agent-1", reason="delivered")
    old = wf.archive(old, actor="agent-1")
    with pytest.raises(cf.ValidationError, match="same customer"):
        wf.receive("late again", customer_id="C-2", channel="app", follow_up_of=old.id)
    clock.advance(days=40)
    new = wf.receive("late again", customer_id="C-1", channel="app", follow_up_of=old.id)
    assert new.follow_up_of == old.id and not new.merged
    stored_old = wf.store.get(old.id)  # type: ignore[union-attr]
    assert stored_old.follow_ups == (new.id,)
    assert stored_old.history[-1].name == "followed_up"
    assert cf.Complaint.replay(stored_old.history) == stored_old
    assert cf.Complaint.replay(new.history).follow_up_of == old.id
    with pytest.raises(cf.ValidationError, match="still open"):
        wf.receive("and again", customer_id="C-1", channel="app", follow_up_of=new.id)


def test_receive_tells_a_merge_from_a_new_complaint() -> None:
    from complaintflow.store import MemoryStore

    wf = cf.Workflow(clock=cf.FrozenClock(T0), store=MemoryStore())
    first = wf.receive("洗衣机漏水", customer_id="C1", channel="hotline", order_id="O1")
    assert not first.merged
    again = wf.receive("洗衣机漏水", customer_id="C1", channel="wechat", order_id="O1")
    assert again.id == first.id and again.merged
    assert not wf.message(again, text="any news?").merged
