"""Authority: goodwill limits per tier, approvals, and statutory money outside them."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from policies_ii_helpers import DRESS, MILK, investigated, receive, workflow

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


def test_statutory_money_the_law_owes_needs_no_approval() -> None:
    wf, _ = workflow()
    c = investigated(wf, receive(wf), "fraud", "supply_chain")  # art. 55: 3 × 399 = 1,197
    offer = cf.Offer("refund", statutory=cny(1197), remedy_value=cny(399))
    after = wf.propose(c, actor="agent-7", offer=offer)
    assert after.offer == offer
    event = after.history[-1]
    assert event.data["approved_by"] is None
    assert event.data["authority"]["floor_owed"] == "1197.00"
    assert event.data["authority"]["currency"] == "CNY"
    assert "cn_consumer_fraud" in event.data["authority"]["floor_rules"]


def test_statutory_money_where_no_legal_minimum_applies_is_goodwill() -> None:
    wf, c = ready()  # a product defect bought in a store: no floor applies
    assert wf.compensation.floor(c) is None
    offer = cf.Offer("refund", statutory=cny(5000), remedy_value=cny(399))
    with pytest.raises(cf.AuthorityExceeded, match="statutory above") as info:
        wf.propose(c, actor="agent-7", offer=offer)
    assert info.value.needed_tier == "regional_head"
    after = wf.propose(c, actor="agent-7", offer=offer,
                       approved_by=cf.Actor("head-1", T.REGIONAL_HEAD))
    assert after.history[-1].data["authority"]["goodwill_life"] == "5000.00"


def test_statutory_above_the_floor_counts_the_excess_only() -> None:
    wf, _ = workflow()
    c = investigated(wf, receive(wf), "fraud", "supply_chain")
    offer = cf.Offer("refund", statutory=cny(1247), remedy_value=cny(399))  # 50 above
    assert wf.propose(c, actor="agent-7", offer=offer).offer == offer
    with pytest.raises(cf.AuthorityExceeded):
        wf.propose(c, actor="agent-7", offer=attrs.evolve(offer, statutory=cny("1247.01")))


def test_a_remedy_that_pays_nothing_carries_no_value() -> None:
    wf, c = ready()
    for remedy in ("none", "exchange", "repair"):
        with pytest.raises(cf.ValidationError) as info:
            wf.propose(c, actor=cf.Actor("ceo", T.EXECUTIVE),
                       offer=cf.Offer(remedy, remedy_value=cny(5000)))
        assert info.value.field == "offer.remedy_value"


def test_a_refund_is_never_above_the_price_paid() -> None:
    wf, c = ready()  # 399.00 paid
    with pytest.raises(cf.ValidationError, match="price paid") as info:
        wf.propose(c, actor=cf.Actor("ceo", T.EXECUTIVE),
                   offer=cf.Offer("refund", remedy_value=cny(5000)))
    assert info.value.field == "offer.remedy_value"
    assert wf.propose(c, actor="agent-7",
                      offer=cf.Offer("refund", remedy_value=cny(399))).state is cf.State.PROPOSED


def test_an_unknown_price_makes_a_remedy_value_goodwill() -> None:
    wf, _ = workflow()
    c = investigated(wf, receive(wf, amount=None))
    with pytest.raises(cf.AuthorityExceeded, match="no known price") as info:
        wf.propose(c, actor="agent-7", offer=cf.Offer("refund", remedy_value=cny(399)))
    assert info.value.needed_tier == "store_supervisor"
    assert wf.propose(c, actor="agent-7", offer=cf.Offer("refund", remedy_value=cny(50))).offer


def test_nobody_approves_their_own_offer() -> None:
    wf, c = ready()
    offer = cf.Offer("exchange", goodwill=cny(5000))
    for me in ("agent-7", cf.Actor("agent-7", T.FRONT_LINE)):
        with pytest.raises(cf.AuthorityExceeded, match="another actor"):
            wf.propose(c, actor=me, offer=offer, approved_by=cf.Actor("agent-7", T.EXECUTIVE))
    head = cf.Actor("head-1", T.REGIONAL_HEAD)
    with pytest.raises(cf.AuthorityExceeded, match="another actor"):
        wf.propose(c, actor=head, offer=cf.Offer("exchange"), approved_by=head)


def _cycle(wf: cf.Workflow, c: cf.Complaint, offer: cf.Offer,
           approver: cf.Actor | None = None) -> cf.Complaint:
    """Propose ``offer``, resolve, revisit unhappy and reopen."""
    c = wf.propose(c, actor="agent-7", offer=offer, approved_by=approver)
    c = wf.resolve(c, actor="agent-7")
    c = wf.revisit(c, actor="agent-7", satisfaction=1)
    return wf.reopen(c, actor="agent-7", reason="still fading")


def test_goodwill_counts_over_the_whole_life_reopenings_included() -> None:
    wf, c = ready()
    fifty = cf.Offer("exchange", goodwill=cny(50))
    c = _cycle(wf, c, fifty)  # 50 accepted: within the front line's limit
    with pytest.raises(cf.AuthorityExceeded, match="accepted before") as info:
        wf.propose(c, actor="agent-7", offer=fifty)  # 100 over the life
    assert info.value.needed_tier == "store_supervisor"
    sup = cf.Actor("sup-1", T.STORE_SUPERVISOR)
    given = 50
    for _ in range(4):
        c = _cycle(wf, c, fifty, sup)
        given += 50
        data = c.history[[e.name for e in c.history].index("proposed", -6)].data
        assert data["authority"]["goodwill_life"] == f"{given}.00"
    assert given == 250
    # declined offers paid nothing: they do not count
    c = wf.propose(c, actor="agent-7", offer=cf.Offer("exchange"))
    c = wf.decline(c, actor="agent-7", reason="no")
    assert wf.compensation.given(c).goodwill == 250
    assert wf.compensation.given(c).money()["goodwill"] == cny(250)


def test_the_automatic_offer_fits_what_is_left_of_the_authority() -> None:
    wf, _ = workflow()
    c = investigated(wf, receive(wf), "service_error", "store")
    c = _cycle(wf, c, cf.Offer("exchange", goodwill=cny(30)))
    auto = wf.propose(c, actor="agent-7")
    assert auto.offer is not None and auto.offer.goodwill == cny(20)  # 50 - 30 accepted
    c = _cycle(wf, c, cf.Offer("exchange", goodwill=cny(20)))
    auto = wf.propose(c, actor="agent-7")
    assert auto.offer is not None and auto.offer.goodwill == cny(0)


def test_a_reopened_case_does_not_pay_the_floor_or_the_price_twice() -> None:
    wf, _ = workflow()
    c = investigated(wf, receive(wf), "fraud", "supply_chain")
    first = wf.propose(c, actor="agent-7")
    assert first.offer is not None
    assert (first.offer.statutory, first.offer.remedy_value) == (cny(1197), cny(399))
    c = wf.reopen(wf.revisit(wf.resolve(first, actor="agent-7"), actor="agent-7",
                             satisfaction=1), actor="agent-7", reason="still angry")
    again = wf.propose(c, actor="agent-7")
    assert again.offer is not None
    assert (again.offer.remedy, again.offer.statutory, again.offer.remedy_value) == (
        "refund", cny(0), cny(0))
    with pytest.raises(cf.ValidationError, match="already accepted"):
        wf.propose(c, actor="agent-7", offer=cf.Offer("refund", remedy_value=cny(1)))
    with pytest.raises(cf.AuthorityExceeded, match="statutory above"):
        wf.propose(c, actor="agent-7", offer=cf.Offer("refund", statutory=cny(1197)))


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


CAUSES = st.sampled_from(("product_defect", "service_error", "process_gap", "fraud",
                          "safety_violation", "customer_error", "third_party"))
PARTIES = st.sampled_from(("store", "supply_chain", "third_party", "customer"))
PRICES = st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal(3000),
                                           places=2))
MONEY = st.one_of(st.just(Decimal(0)),
                  st.decimals(min_value=0, max_value=Decimal(8000), places=2))
TIERS = st.sampled_from(list(T))


def start(text: str, cause: str, party: str, channel: str,
          price: Decimal | None) -> tuple[cf.Workflow, cf.Complaint]:
    wf, _ = workflow()
    return wf, investigated(wf, receive(wf, text, channel=channel, amount=price), cause, party)


def life_counted(accepted: list[cf.Offer], owed: Decimal, price: Decimal | None) -> Decimal:
    """An independent sum of the goodwill counted over a life of accepted offers."""
    goodwill = sum((o.goodwill.amount for o in accepted), Decimal(0))
    statutory = sum((o.statutory.amount for o in accepted), Decimal(0))
    unbacked = sum((o.remedy_value.amount for o in accepted), Decimal(0)) if price is None else 0
    return goodwill + max(statutory - owed, Decimal(0)) + unbacked


def after_refused(c: cf.Complaint, before: cf.Complaint) -> bool:
    """A refused command changed nothing."""
    return c is before and c.state is cf.State.INVESTIGATED


@given(cause=CAUSES, party=PARTIES, text=st.sampled_from((DRESS, MILK)),
       channel=st.sampled_from(("hotline", "app")), price=PRICES,
       steps=st.lists(st.tuples(
           st.sampled_from(("none", "partial_refund", "exchange", "refund", "repair")),
           MONEY, MONEY, MONEY, TIERS, st.one_of(st.none(), TIERS), st.booleans()),
           min_size=1, max_size=6))
def test_the_judge_never_lets_life_goodwill_pass_the_signers_limit(  # noqa: PLR0917
        cause: str, party: str, text: str, channel: str, price: Decimal | None,
        steps: list[tuple[str, Decimal, Decimal, Decimal, cf.Tier, cf.Tier | None, bool]]) -> None:
    wf, c = start(text, cause, party, channel, price)
    ladder = wf.compensation
    accepted: list[cf.Offer] = []
    for remedy, goodwill, statutory, value, actor_tier, approver_tier, accept in steps:
        offer = cf.Offer(remedy, goodwill=cf.Money(goodwill), statutory=cf.Money(statutory),  # type: ignore[arg-type]
                         remedy_value=cf.Money(value))
        approver = None if approver_tier is None else cf.Actor("boss", approver_tier)
        try:
            after = wf.propose(c, actor=cf.Actor("me", actor_tier), offer=offer,
                               approved_by=approver)
        except (cf.AuthorityExceeded, cf.ValidationError):
            continue
        floor = ladder.floor(c)
        owed = floor.statutory.amount if floor is not None else Decimal(0)
        before = life_counted(accepted, owed, price)
        total = life_counted([*accepted, offer], owed, price)
        statutory_life = sum((o.statutory.amount for o in [*accepted, offer]), Decimal(0))
        if total > before:  # the offer adds counted goodwill: its signer holds the total
            signer = actor_tier if approver_tier is None else approver_tier
            limit = ladder.limit(signer)
            assert limit is None or total <= limit.amount
            # in particular statutory money beyond the floor owed is within that authority
            assert limit is None or max(statutory_life - owed, Decimal(0)) <= limit.amount
        else:  # nothing counted was added: no statutory money beyond the floor either
            assert max(statutory_life - owed, 0) <= max(
                sum((o.statutory.amount for o in accepted), Decimal(0)) - owed, Decimal(0))
            if approver_tier is not None:
                assert after.history[-1].data["approved_by"] == "boss"
        if remedy in ("none", "exchange", "repair"):
            assert value == 0
        if price is not None:
            assert sum(o.remedy_value.amount for o in [*accepted, offer]) <= price
        data = after.history[-1].data["authority"]
        assert Decimal(data["goodwill_life"]) == total
        assert Decimal(data["floor_owed"]) == owed
        if accept:
            c = wf.resolve(after, actor="me")
            accepted.append(offer)
            c = wf.reopen(wf.revisit(c, actor="me", satisfaction=1), actor="me", reason="again")
        else:
            c = wf.decline(after, actor="me", reason="no")


@given(cause=CAUSES, party=PARTIES, text=st.sampled_from((DRESS, MILK)),
       channel=st.sampled_from(("hotline", "app", "wechat")), price=PRICES,
       earlier=st.lists(MONEY, max_size=3), declines=st.integers(0, 5), tier=TIERS)
def test_the_automatic_offer_is_always_within_the_acting_tiers_authority(  # noqa: PLR0917
        cause: str, party: str, text: str, channel: str, price: Decimal | None,
        earlier: list[Decimal], declines: int, tier: cf.Tier) -> None:
    wf, c = start(text, cause, party, channel, price)
    ceo = cf.Actor("ceo", T.EXECUTIVE)
    for goodwill in earlier:  # accepted offers in earlier cycles, approved by the executive
        ladder = wf.compensation
        auto = ladder.fit_authority(c, ladder.next_offer(c), T.EXECUTIVE)
        c = wf.propose(c, actor=ceo, offer=attrs.evolve(auto, goodwill=cf.Money(goodwill)),
                       approved_by=cf.Actor("board", T.EXECUTIVE))
        c = wf.resolve(c, actor=ceo)
        c = wf.reopen(wf.revisit(c, actor=ceo, satisfaction=1), actor=ceo, reason="again")
    for _ in range(declines):
        c = wf.decline(wf.propose(c, actor=ceo), actor=ceo, reason="no")
    after = wf.propose(c, actor=cf.Actor("me", tier))  # never refused
    event = after.history[-1]
    assert event.data["automatic"] is True and event.data["approved_by"] is None
    limit = wf.compensation.limit(tier)
    life = Decimal(event.data["authority"]["goodwill_life"])
    before = Decimal(event.data["authority"]["goodwill_before"])
    assert life == before or limit is None or life <= limit.amount


def _tamper(c: cf.Complaint, seq: int, **changes: object) -> cf.Complaint:
    """``c`` loaded back with the data of event ``seq`` changed (as a forged export)."""
    data = c.to_dict()
    data["history"][seq - 1]["data"].update(changes)
    return cf.Complaint.from_dict(data)


def test_recorded_offers_are_judged_like_new_ones() -> None:
    """A forged export is refused on loading (``from_dict`` judges each recorded offer by the
    money rules under the limits it recorded); ``judge_recorded_offers`` re-judges a loaded
    history under a policy of the caller's choice."""
    from complaintflow.policies import judge_recorded_offers

    wf, c = ready()
    sup = cf.Actor("sup-1", T.STORE_SUPERVISOR)
    c = wf.propose(c, actor="agent-7", offer=cf.Offer("exchange", goodwill=cny(300)),
                   approved_by=sup)
    judge_recorded_offers(c, wf.compensation)  # a true record passes
    with pytest.raises(cf.AuthorityExceeded) as info:
        _tamper(c, c.version, approved_by=None, approver_tier=None)
    assert info.value.needed_tier == "store_supervisor"
    with pytest.raises(cf.AuthorityExceeded, match="another actor"):
        _tamper(c, c.version, approved_by="agent-7", approver_tier="executive")
    with pytest.raises(cf.ValidationError) as vinfo:
        _tamper(c, c.version, offer={**c.history[-1].data["offer"], "remedy": "refund",
                                     "remedy_value": {"amount": "5000", "currency": "CNY"}})
    assert vinfo.value.field == "offer.remedy_value"

    class Stricter(type(wf.compensation)):  # type: ignore[misc]
        def limit(self, tier: cf.Tier) -> cf.Money | None:
            return cny(100) if tier is T.STORE_SUPERVISOR else super().limit(tier)

    with pytest.raises(cf.AuthorityExceeded, match=r"history\[3\]"):
        judge_recorded_offers(c, Stricter())


def test_judge_offer_is_the_policys_judge() -> None:
    from complaintflow.policies import judge_offer

    wf, c = ready()
    offer = cf.Offer("exchange", goodwill=cny(30))
    approval = judge_offer(c, offer, actor="agent-7", policy=wf.compensation)
    assert approval.approver is None and approval.goodwill_life == cny(30)
    assert approval.needed_tier is T.FRONT_LINE
    assert approval.to_data()["policy"] == {"compensation": "CompensationLadder",
                                            "compensation_v": CompensationLadder.version}
    with pytest.raises(cf.AuthorityExceeded):
        judge_offer(c, cf.Offer("exchange", goodwill=cny(51)), actor="agent-7")

