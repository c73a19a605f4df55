"""The compensation ladder, the goodwill layer and the legal floors (with worked examples)."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policies_ii_helpers import DRESS, MILK, investigated, receive, workflow

import complaintflow as cf
from complaintflow.policies import (
    CompensationLadder,
    CounterfeitFloor,
    Floor,
    FoodSafetyFloor,
    GoodwillLayer,
    LegalFloor,
    NoReasonReturnFloor,
)
from complaintflow.policies._config import parse_policies
from complaintflow.policies.compensation import REMEDY_RANK, default_compensation_text

S = cf.State
SUP = cf.Actor("sup-1", cf.Tier.STORE_SUPERVISOR)
HEAD = cf.Actor("head-1", cf.Tier.REGIONAL_HEAD)


def cny(amount: str | int) -> cf.Money:
    return cf.Money(Decimal(amount))


def case(text: str = DRESS, cause: str = "product_defect", party: str = "supply_chain",
         **kw: object) -> tuple[cf.Workflow, cf.Complaint]:
    wf, _ = workflow()
    c = investigated(wf, receive(wf, text, **kw), cause, party)
    return wf, c


def test_apology_first_then_three_rungs_then_the_goodwill_layer() -> None:
    wf, c = case()
    seen = []
    for _ in range(6):
        c = wf.propose(c, actor=HEAD)
        offer = c.offer
        assert offer is not None
        seen.append((offer.remedy, offer.goodwill, "apology" in offer.extras))
        c = wf.decline(c, actor=HEAD, reason="not enough")
    assert seen == [
        ("none", cny(0), True),
        ("partial_refund", cny(0), True),
        ("exchange", cny(0), True),
        ("refund", cny(0), True),
        ("refund", cny(500), True),
        ("refund", cny(500), True),  # the top rung stays the top rung
    ]
    layered = c.offers[4]
    assert {"apology_letter", "service_upgrade", "vip_programme"} <= set(layered.extras)
    assert [e.data["rung"] for e in c.history if e.name == "proposed"] == [0, 1, 2, 3, 4, 5]


def test_remedy_values_follow_the_price_paid() -> None:
    _, c = case(amount=Decimal("399.00"))
    ladder = CompensationLadder()
    values = {}
    for declines in range(4):
        offer = ladder.next_offer(attrs.evolve(c, declines=declines))
        values[offer.remedy] = offer.remedy_value
    assert values == {"none": cny(0), "partial_refund": cny(15), "exchange": cny(0),
                      "refund": cny("399.00")}
    cheap = attrs.evolve(c, declines=1, amount=cny("9.90"))
    assert ladder.next_offer(cheap).remedy_value == cny("9.90")  # never more than the price


def test_at_fault_first_offer_already_carries_the_layer() -> None:
    wf, c = case(cause="service_error", party="store")
    c = wf.propose(c, actor=SUP)
    assert c.offer is not None
    assert c.offer.goodwill == cny(500)
    assert "apology_letter" in c.offer.extras
    wf, c = case(cause="process_gap", party="store")
    assert CompensationLadder().next_offer(c).goodwill == cny(500)
    wf, c = case(cause="product_defect", party="supply_chain")
    assert CompensationLadder().next_offer(c).goodwill == cny(0)


def test_a_front_line_automatic_offer_never_needs_an_approval() -> None:
    wf, c = case(cause="service_error", party="store")
    c = wf.propose(c, actor="agent-7")
    offer = c.offer
    assert offer is not None
    assert offer.goodwill == cny(50)  # capped at the front line's own limit
    assert "apology_letter" in offer.extras  # the gestures stay
    assert c.history[-1].data["automatic"] is True
    assert c.history[-1].data["approved_by"] is None


# -- legal floors: worked examples ----------------------------------------------------------

def test_counterfeit_refund_plus_three_times_the_price() -> None:
    wf, c = case(cause="fraud", party="supply_chain", amount=Decimal("399.00"))
    c = wf.propose(c, actor="agent-7")
    assert c.offer is not None
    assert c.offer.remedy == "refund"
    assert c.offer.remedy_value == cny("399.00")
    assert c.offer.statutory == cny("1197.00")  # 3 × 399, above the 500 minimum
    assert c.offer.total == cny("1596.00")


def test_counterfeit_minimum_500() -> None:
    _, c = case(cause="fraud", party="store", amount=Decimal("99.00"))
    offer = CompensationLadder().next_offer(c)
    assert offer.statutory == cny(500)  # 3 × 99 = 297 is below the 500 minimum
    assert offer.remedy == "refund"


def test_fraud_by_the_customer_owes_nothing() -> None:
    _, c = case(cause="fraud", party="customer")
    assert CompensationLadder().floor(c) is None


def test_food_safety_ten_times_the_price_minimum_1000() -> None:
    wf, c = case(MILK, cause="safety_violation", party="supply_chain", amount=Decimal("59.00"))
    assert c.category == "food_safety"
    offer = CompensationLadder().next_offer(c)
    assert (offer.remedy, offer.statutory) == ("refund", cny(1000))  # 10 × 59 = 590 < 1000
    wf, c = case(MILK, cause="safety_violation", party="supply_chain", amount=Decimal("288.00"))
    c = wf.propose(c, actor="agent-7")  # the front line proposes it: statutory is owed
    assert c.offer is not None and c.offer.statutory == cny(2880)


def test_food_safety_three_times_the_loss_when_larger() -> None:
    class KnownLoss(FoodSafetyFloor):
        def loss(self, complaint: cf.Complaint) -> cf.Money | None:
            return cny(2000)  # e.g. the hospital bill

    _, c = case(MILK, cause="safety_violation", party="supply_chain", amount=Decimal("59.00"))
    ladder = CompensationLadder(floors=[KnownLoss()])
    assert ladder.next_offer(c).statutory == cny(6000)


def test_safety_violation_outside_food_is_not_the_food_law() -> None:
    _, c = case(DRESS, cause="safety_violation", party="supply_chain")
    assert c.category != "food_safety"
    assert CompensationLadder().floor(c) is None


def test_online_purchases_get_the_seven_day_no_reason_return() -> None:
    _, c = case(channel="app")
    first = CompensationLadder().next_offer(c)
    assert first.remedy == "refund" and first.statutory == cny(0)
    _, c = case(channel="app", cause="customer_error", party="customer")
    assert CompensationLadder().floor(c) is None
    _, c = case(channel="hotline")
    assert CompensationLadder().floor(c) is None
    _, c = case(channel="wechat", store="SH-01")  # bought in a store, complained online
    assert CompensationLadder().floor(c) is None

    class OutOfWindow(NoReasonReturnFloor):
        def in_window(self, complaint: cf.Complaint) -> bool:
            return False

    _, c = case(channel="app")
    assert CompensationLadder(floors=[OutOfWindow()]).next_offer(c).remedy == "none"


def test_floors_combine_to_the_highest_remedy_and_amount() -> None:
    _, c = case(MILK, cause="safety_violation", party="supply_chain", amount=Decimal("59.00"),
                 channel="wechat")
    floor = CompensationLadder().floor(c)
    assert floor is not None
    assert (floor.remedy, floor.statutory) == ("refund", cny(1000))
    assert "148" in floor.source and "25" in floor.source


def test_manual_offers_below_a_floor_are_refused_with_the_field() -> None:
    wf, c = case(cause="fraud", party="supply_chain", amount=Decimal("399.00"))
    with pytest.raises(cf.ValidationError) as info:
        wf.propose(c, actor="agent-7", offer=cf.Offer("refund", statutory=cny(500)))
    assert info.value.field == "offer.statutory"
    assert "art. 55" in str(info.value)
    with pytest.raises(cf.ValidationError) as info:
        wf.propose(c, actor="agent-7", offer=cf.Offer("exchange", statutory=cny(1197)))
    assert info.value.field == "offer.remedy"
    ok = wf.propose(c, actor="agent-7", offer=cf.Offer("refund", statutory=cny(1197)))
    assert ok.state is S.PROPOSED
    assert ok.version == c.version + 1


def test_another_jurisdiction_plugs_in_the_same_way() -> None:
    class TwiceThePrice(LegalFloor):
        name = "xx_double"
        source = "Example Act s. 1"

        def minimum(self, complaint: cf.Complaint) -> Floor | None:
            if complaint.finding is None or complaint.finding.cause != "product_defect":
                return None
            assert complaint.amount is not None
            return Floor("exchange", complaint.amount * 2, self.name, self.source)

    _, c = case(amount=Decimal("100.00"))
    offer = CompensationLadder(floors=[TwiceThePrice()]).next_offer(c)
    assert (offer.remedy, offer.statutory) == ("exchange", cny(200))


def test_floors_in_another_currency_are_an_error_not_a_sum() -> None:
    _, c = case(cause="fraud", party="store", amount=cf.Money(Decimal("99.00"), "USD"),
                market="US")
    assert CompensationLadder().floor(c) is None  # PRC law is not US law
    with pytest.raises(cf.CurrencyMismatch):  # its 500 CNY minimum against 297 USD
        CompensationLadder(floors=[CounterfeitFloor(markets=["US"])]).next_offer(c)
    usd = CompensationLadder(floors=[CounterfeitFloor(minimum=cf.Money(Decimal(70), "USD"),
                                                      markets=["US"])],
                             layer=GoodwillLayer(goodwill=cf.Money(Decimal(70), "USD")))
    offer = usd.next_offer(c)
    assert offer.statutory == cf.Money(Decimal(297), "USD")


@settings(max_examples=60)
@given(cause=st.sampled_from(("product_defect", "service_error", "process_gap", "fraud",
                             "safety_violation", "customer_error", "third_party")),
       party=st.sampled_from(("store", "supply_chain", "third_party", "customer")),
       text=st.sampled_from((DRESS, MILK)),
       channel=st.sampled_from(("hotline", "app", "wechat", "in_store")),
       price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(20000), places=2),
       declines=st.integers(0, 6),
       tier=st.sampled_from(list(cf.Tier)))
def test_no_automatic_offer_falls_below_a_floor(  # noqa: PLR0917 - one argument per strategy
        cause: str, party: str, text: str, channel: str, price: Decimal, declines: int,
        tier: cf.Tier) -> None:
    wf, c = case(text, cause=cause, party=party, channel=channel, amount=price)
    c = attrs.evolve(c, declines=declines)
    ladder = CompensationLadder()
    offer = ladder.fit_authority(c, ladder.next_offer(c), tier)
    ladder.check(c, offer)  # never refused
    floor = ladder.floor(c)
    if floor is not None:
        assert REMEDY_RANK[offer.remedy] >= REMEDY_RANK[floor.remedy]
        assert offer.statutory >= floor.statutory
    limit = ladder.limit(tier)
    assert limit is None or offer.goodwill <= limit
    proposed = wf.propose(attrs.evolve(c, declines=declines), actor=cf.Actor("x", tier))
    assert proposed.history[-1].data["approved_by"] is None


# -- TOML -------------------------------------------------------------------------------------

def test_bundled_file_is_the_default() -> None:
    ladder = parse_policies(default_compensation_text())["compensation"]
    default = CompensationLadder()
    assert ladder.rungs == default.rungs
    assert ladder.limits == default.limits
    assert ladder.layer == default.layer
    assert ladder.return_shipping == default.return_shipping
    assert [type(f) for f in ladder.floors] == [type(f) for f in default.floors]


def test_toml_rungs_layer_and_floors() -> None:
    text = """
[compensation]
return_shipping = "12"

[[compensation.rungs]]
remedy = "repair"
extras = ["apology", "free pick-up"]

[[compensation.rungs]]
remedy = "refund"
goodwill = "20"

[compensation.layer]
goodwill = "300"
extras = ["apology_letter"]
causes = ["service_error"]

[compensation.floors.cn_consumer_fraud]
multiple = 3
minimum = "500"
"""
    ladder = parse_policies(text)["compensation"]
    assert [r.remedy for r in ladder.rungs] == ["repair", "refund"]
    assert ladder.rungs[1].goodwill == cny(20)
    assert ladder.layer.goodwill == cny(300)
    assert ladder.layer.parties == frozenset({"store"})
    assert [type(f) for f in ladder.floors] == [CounterfeitFloor]
    assert ladder.return_shipping == cny(12)


def test_empty_floors_table_turns_the_floors_off() -> None:
    ladder = parse_policies("[compensation]\nfloors = {}\n")["compensation"]
    assert ladder.floors == ()


@pytest.mark.parametrize(("text", "key", "line"), [
    ("[compensation]\nreturn_shipping = 1.5\n", "compensation.return_shipping", 2),
    ("[compensation]\ncurrency = \"yen\"\n", "compensation.currency", 2),
    ("[compensation]\nladder = []\n", "compensation.ladder", 2),
    ("[[compensation.rungs]]\nremedy = \"cake\"\n", "compensation.rungs", 1),
    ("[compensation.layer]\ncauses = [\"bad_luck\"]\n", "compensation.layer.causes", 2),
    ("[compensation.floors.cn_food_safety]\nprice_multiple = 0\n",
     "compensation.floors.cn_food_safety.price_multiple", 2),
    ("[compensation.floors.moon_law]\nx = 1\n", "compensation.floors.moon_law", 1),
    ("[compensation]\ncurrency = \"USD\"\n", "compensation.authority", 1),
])
def test_toml_errors_name_key_and_line(text: str, key: str, line: int) -> None:
    with pytest.raises(cf.ConfigError) as info:
        parse_policies(text, "policies.toml")
    assert info.value.key == key
    assert info.value.line == line
