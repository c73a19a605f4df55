"""Authority: goodwill limits per tier, approvals, and statutory money outside them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policies_ii_helpers import investigated, receive, workflow

import complaintflow as cf
from complaintflow.policies import CompensationLadder
from complaintflow.policies._config import parse_policies

T = cf.Tier


def cny(amount: str | int) -> cf.Money:
    return cf.Money(Decimal(amount))


def ready(compensation: CompensationLadder | None = None) -> tuple[cf.Workflow, cf.Complaint]:
    wf, _ = workflow(compensation=compensation)
    return wf, investigated(wf, receive(wf))


def test_default_limits() -> None:
    ladder = CompensationLadder()
    assert [ladder.limit(t) for t in T] == [cny(50), cny(500), cny(5000), None]


@pytest.mark.parametrize(("goodwill", "tier"), [
    ("0", T.FRONT_LINE), ("50", T.FRONT_LINE), ("50.01", T.STORE_SUPERVISOR),
    ("500", T.STORE_SUPERVISOR), ("501", T.REGIONAL_HEAD), ("5000", T.REGIONAL_HEAD),
    ("5000.01", T.EXECUTIVE), ("1000000", T.EXECUTIVE),
])
def test_the_lowest_tier_that_could_approve(goodwill: str, tier: cf.Tier) -> None:
    assert CompensationLadder().approver_for(cny(goodwill)) is tier


def test_above_the_limit_names_the_tier_that_could_approve() -> None:
    wf, c = ready()
    offer = cf.Offer("exchange", goodwill=cny(800))
    with pytest.raises(cf.AuthorityExceeded, match="regional_head") as info:
        wf.propose(c, actor="agent-7", offer=offer)
    assert info.value.needed_tier == "regional_head"


def test_an_approver_below_the_needed_tier_is_refused() -> None:
    wf, c = ready()
    offer = cf.Offer("exchange", goodwill=cny(800))
    with pytest.raises(cf.AuthorityExceeded, match="regional_head"):
        wf.propose(c, actor="agent-7", offer=offer,
                   approved_by=cf.Actor("sup-1", T.STORE_SUPERVISOR))
    after = wf.propose(c, actor="agent-7", offer=offer,
                       approved_by=cf.Actor("head-1", T.REGIONAL_HEAD))
    event = after.history[-1]
    assert (event.data["approved_by"], event.data["approver_tier"]) == ("head-1", "regional_head")
    assert after.approvers == ("head-1",)


def test_a_named_approver_must_hold_the_authority_even_when_not_needed() -> None:
    wf, c = ready()
    offer = cf.Offer("exchange", goodwill=cny(300))
    sup = cf.Actor("sup-1", T.STORE_SUPERVISOR)
    with pytest.raises(cf.AuthorityExceeded, match="store_supervisor"):
        wf.propose(c, actor=sup, offer=offer, approved_by="agent-8")
    assert wf.propose(c, actor=sup, offer=offer).history[-1].data["approved_by"] is None


def test_statutory_money_needs_no_approval() -> None:
    wf, c = ready()
    offer = cf.Offer("refund", statutory=cny(50000))
    after = wf.propose(c, actor="agent-7", offer=offer)
    assert after.offer == offer
    assert after.history[-1].data["approved_by"] is None


def test_give_store_supervisors_a_higher_limit() -> None:
    limits = {**CompensationLadder.DEFAULT_LIMITS, T.STORE_SUPERVISOR: cny(1000)}
    wf, c = ready(CompensationLadder(limits=limits))
    sup = cf.Actor("sup-1", T.STORE_SUPERVISOR)
    assert wf.propose(c, actor=sup, offer=cf.Offer("refund", goodwill=cny(900))).offer is not None
    with pytest.raises(cf.AuthorityExceeded, match="regional_head"):
        wf.propose(c, actor=sup, offer=cf.Offer("refund", goodwill=cny(1001)))


def test_limits_must_rise_with_the_tier() -> None:
    with pytest.raises(cf.ValidationError) as info:
        CompensationLadder(limits={T.FRONT_LINE: cny(600), T.STORE_SUPERVISOR: cny(500),
                                   T.REGIONAL_HEAD: cny(5000), T.EXECUTIVE: None})
    assert info.value.field == "limits.store_supervisor"
    with pytest.raises(cf.ValidationError) as info:
        CompensationLadder(limits={T.FRONT_LINE: cny(50)})
    assert info.value.field == "limits.store_supervisor"


def test_toml_authority() -> None:
    text = '[compensation.authority]\nstore_supervisor = "1000"\n'
    ladder = parse_policies(text)["compensation"]
    assert ladder.limit(T.STORE_SUPERVISOR) == cny(1000)
    assert ladder.limit(T.FRONT_LINE) == cny(50)
    assert ladder.limit(T.EXECUTIVE) is None
    with pytest.raises(cf.ConfigError) as info:
        parse_policies('[compensation.authority]\nfront_line = "900"\n', "p.toml")
    assert info.value.key == "compensation.authority.store_supervisor"
    with pytest.raises(cf.ConfigError) as info:
        parse_policies('[compensation.authority]\nintern = "5"\n', "p.toml")
    assert (info.value.key, info.value.line) == ("compensation.authority.intern", 2)
    usd = parse_policies('[compensation]\ncurrency = "USD"\n[compensation.authority]\n'
                         'front_line = "10"\nstore_supervisor = "80"\nregional_head = "700"\n'
                         'executive = "unlimited"\n')["compensation"]
    assert usd.limit(T.FRONT_LINE) == cf.Money(Decimal(10), "USD")


@settings(max_examples=80)
@given(goodwill=st.decimals(min_value=0, max_value=20000, places=2),
       statutory=st.decimals(min_value=0, max_value=20000, places=2),
       actor_tier=st.sampled_from(list(T)),
       approver_tier=st.one_of(st.none(), st.sampled_from(list(T))))
def test_no_offer_exceeds_the_approvers_limit(goodwill: Decimal, statutory: Decimal,
                                             actor_tier: cf.Tier,
                                             approver_tier: cf.Tier | None) -> None:
    wf, c = ready()
    ladder = wf.compensation
    offer = cf.Offer("refund", goodwill=cf.Money(goodwill), statutory=cf.Money(statutory))
    approver = None if approver_tier is None else cf.Actor("boss", approver_tier)
    try:
        after = wf.propose(c, actor=cf.Actor("me", actor_tier), offer=offer, approved_by=approver)
    except cf.AuthorityExceeded as exc:
        assert after_refused(c, wf)
        needed = ladder.approver_for(offer.goodwill)
        assert exc.needed_tier == needed.label
        if approver is None:
            assert needed > actor_tier
        else:  # a named approver must hold the authority, needed or not
            assert needed > approver.tier
        return
    signer = actor_tier if after.history[-1].data["approved_by"] is None else approver_tier
    assert signer is not None
    limit = ladder.limit(signer)
    assert limit is None or offer.goodwill <= limit


def after_refused(c: cf.Complaint, wf: cf.Workflow) -> bool:
    """A refused command changed nothing: the complaint is as it was."""
    return c.state is cf.State.INVESTIGATED and c.offers == ()
