"""Markets: each complaint's currency, consumer law, regulators and calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import (
    MARKETS,
    Classification,
    ClassificationPolicy,
    CompensationLadder,
    CounterfeitFloor,
    LocalMoney,
    Market,
    TieredEscalation,
    bundled_profiles,
    market_of,
    markets,
    parse_policies,
    register_market,
)
from complaintflow.testing import complaints
from complaintflow.testing import markets as market_codes
from complaintflow.testing.invariants import check_single_currency

S = cf.State
T = cf.Tier
CURRENCY = {"CN": "CNY", "HK": "HKD", "GB": "GBP", "EU": "EUR", "US": "USD"}
#: The front line's default goodwill limit in each market's currency (the CNY defaults
#: converted and rounded, as the docs say).
FRONT_LINE = {"CN": 50, "HK": 50, "GB": 5, "EU": 6, "US": 7}
SUP = cf.Actor("sup-1", T.STORE_SUPERVISOR)


def money(amount: int | str, currency: str) -> cf.Money:
    return cf.Money(Decimal(amount), currency)


class Fixed(ClassificationPolicy):
    """Classifies every complaint alike (a financial category, say, which the keyword
    classifier does not know)."""

    def __init__(self, category: str = "credit", severity: int = 3) -> None:
        self.category, self.severity = category, severity

    def classify(self, complaint: cf.Complaint) -> Classification:
        return Classification(self.category, "service", self.severity)


# -- the registry -------------------------------------------------------------------------------

def test_the_bundled_markets_and_their_currencies() -> None:
    assert {code: m.currency for code, m in MARKETS.items()} == CURRENCY
    assert markets() is MARKETS
    for code, market in MARKETS.items():
        assert market.code == code and market.name
        assert market.floors_note and market.regulators_note and market.calendar_note


def test_only_prc_law_gives_money_floors() -> None:
    assert [f.name for f in MARKETS["CN"].floors] == [
        "cn_consumer_fraud", "cn_food_safety", "cn_online_return"]
    for code in ("HK", "GB", "EU", "US"):
        assert MARKETS[code].floors == (), code
        assert "No statutory money floor" in MARKETS[code].floors_note or \
            "No federal statutory money floor" in MARKETS[code].floors_note


def test_each_markets_regulators_and_what_they_cover() -> None:
    covered = {code: {p.name: p.categories for p in m.regulators} for code, m in MARKETS.items()}
    assert covered == {
        "CN": {"cn_samr": frozenset()},
        "HK": {},
        "GB": {"uk_fca_disp": frozenset({"credit", "banking", "insurance", "investment"}),
               "uk_fca_disp_payments": frozenset({"payment", "e_money"})},
        "EU": {"eu_psd2": frozenset({"payment", "e_money"})},
        "US": {"us_cfpb": frozenset({"payment", "e_money", "credit", "banking"})},
    }
    # the market's copies are restricted; the bundled profiles themselves are not
    assert bundled_profiles()["us_cfpb"].categories == frozenset()


def test_market_of_an_unknown_code_names_the_market() -> None:
    with pytest.raises(cf.ValidationError) as info:
        market_of("ZZ")
    assert info.value.field == "market"


# -- calendars, checked against the published holiday lists of 2026 ---------------------------

#: Independent oracles: the days off of 2026 as the governments publish them (weekdays only).
DAYS_OFF_2026 = {
    # US federal holidays (OPM): 4 July is a Saturday, observed on Friday 3 July
    "US": ["01-01", "01-19", "02-16", "05-25", "06-19", "07-03", "09-07", "10-12", "11-11",
           "11-26", "12-25"],
    # bank holidays of England and Wales (gov.uk): Boxing Day, a Saturday, moves to 28 Dec
    "GB": ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    # Hong Kong general holidays (gazette)
    "HK": ["01-01", "02-17", "02-18", "02-19", "04-03", "04-06", "04-07", "05-01", "05-25",
           "06-19", "07-01", "10-01", "10-19", "12-25"],
    # no public holidays common to the EU: weekends only
    "EU": [],
}


@pytest.mark.parametrize("code", sorted(DAYS_OFF_2026))
def test_market_calendars_are_exact_for_2026(code: str) -> None:
    cal = MARKETS[code].calendar
    off = {date.fromisoformat(f"2026-{d}") for d in DAYS_OFF_2026[code]}
    day = date(2026, 1, 1)
    wrong = []
    while day.year == 2026:
        expected = day.weekday() < 5 and day not in off
        if cal.is_working_day(day) != expected:
            wrong.append(day.isoformat())
        day += timedelta(days=1)
    assert wrong == []


def test_the_chinese_calendar_keeps_national_day_and_its_make_up_day() -> None:
    cal = MARKETS["CN"].calendar
    assert not any(cal.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert cal.is_working_day(date(2026, 10, 10))  # a Saturday worked to make up


def test_holiday_categories_are_validated() -> None:
    with pytest.raises(cf.ValidationError) as info:
        cf.BusinessCalendar(holidays="HK", categories=["festive"])
    assert info.value.field == "categories"
    with pytest.raises(cf.ValidationError):
        cf.BusinessCalendar(categories=["public"])  # categories need a country


# -- intake -------------------------------------------------------------------------------------

T0 = datetime(2026, 6, 18, 9, 0, tzinfo=UTC)


def wf_at(at: datetime = T0, **kw: object) -> cf.Workflow:
    return cf.Workflow(clock=cf.FrozenClock(at), **kw)  # type: ignore[arg-type]


def test_receive_records_the_market_and_takes_a_price_in_its_currency() -> None:
    wf = wf_at()
    c = wf.receive("The blender stopped working", customer_id="C-1", channel="email",
                   amount=Decimal("80"), market="US")
    assert (c.market, c.currency, c.amount) == ("US", "USD", money(80, "USD"))
    assert c.history[0].data["market"] == "US"
    assert c.to_dict()["market"] == "US"
    again = cf.Complaint.from_dict(c.to_dict())
    assert again == c and again.market == "US"
    plain = wf.receive("The blender stopped working", customer_id="C-2", channel="email")
    assert (plain.market, plain.currency) == ("CN", "CNY")
    assert wf_at(market="GB").receive("late", customer_id="C-3", channel="app").market == "GB"


def test_receive_refuses_an_unknown_market_and_a_price_in_another_currency() -> None:
    wf = wf_at()
    with pytest.raises(cf.ValidationError) as info:
        wf.receive("late", customer_id="C-1", channel="app", market="Mars")
    assert info.value.field == "market"
    with pytest.raises(cf.CurrencyMismatch) as cur:
        wf.receive("late", customer_id="C-1", channel="app", market="US",
                   amount=money(10, "EUR"))
    assert "EUR" in str(cur.value) and "USD" in str(cur.value) and cur.value.field == "amount"
    with pytest.raises(cf.ValidationError) as bad:
        cf.Workflow(market="XX")
    assert bad.value.field == "market"


def _history(c: cf.Complaint, **changes: object) -> dict[str, object]:
    data = c.to_dict()
    first = dict(data["history"][0])
    first["data"] = {**first["data"], **changes}
    data["history"] = [first, *data["history"][1:]]
    return data


def test_a_history_naming_an_unknown_market_is_refused() -> None:
    c = wf_at().receive("late", customer_id="C-1", channel="app", market="HK",
                        amount=Decimal(100))
    with pytest.raises(cf.ValidationError) as info:
        cf.Complaint.from_dict(_history(c, market="ZZ"))
    assert info.value.field == "market"
    with pytest.raises(cf.ValidationError) as info:
        cf.Complaint.from_dict(_history(c, market=7))
    assert info.value.field == "market"
    # the price paid must be in the recorded market's currency
    with pytest.raises(cf.ValidationError) as info:
        cf.Complaint.from_dict(_history(c, market="US"))
    assert info.value.field == "amount.currency"


def test_a_history_from_before_markets_is_chinese() -> None:
    c = wf_at().receive("late", customer_id="C-1", channel="app", amount=Decimal(10))
    data = c.to_dict()
    first = dict(data["history"][0])
    first["data"] = {k: v for k, v in first["data"].items() if k != "market"}
    data["history"] = [first]
    assert cf.Complaint.from_dict(data).market == "CN"


# -- a whole life in each market ----------------------------------------------------------------

@pytest.mark.parametrize("code", sorted(CURRENCY))
def test_a_whole_life_in_each_market(code: str) -> None:
    cur = CURRENCY[code]
    wf = wf_at()
    c = wf.receive("The kettle leaks and the shop assistant was rude", customer_id="C-1",
                   channel="email", amount=Decimal("120"), market=code)
    c = wf.acknowledge(c, actor="agent-7")
    c = wf.investigate(c, actor="agent-7", finding=cf.Finding(
        cause="service_error", party="store", evidence=("call recording",)))
    # the automatic offer: in the market's currency, the goodwill layer capped at the front
    # line's limit in that currency; PRC art. 25 (bought online, no store) owes a refund in
    # CN only
    auto = wf.propose(c, actor="agent-7")
    offer = auto.offer
    assert offer is not None
    assert {m.currency for m in (offer.goodwill, offer.statutory, offer.remedy_value)} == {cur}
    assert offer.goodwill == money(FRONT_LINE[code], cur)
    assert offer.statutory == cf.Money.zero(cur)
    if code == "CN":
        assert (offer.remedy, offer.remedy_value) == ("refund", money(120, cur))
        assert auto.history[-1].data["authority"]["floor_rules"] == "cn_online_return"
    else:
        assert (offer.remedy, offer.remedy_value) == ("none", cf.Money.zero(cur))
        assert auto.history[-1].data["authority"]["floor_rules"] is None
    authority = auto.history[-1].data["authority"]
    assert authority["currency"] == cur
    assert authority["actor_limit"] == {"amount": f"{FRONT_LINE[code]}.00", "currency": cur}
    c = wf.decline(auto, actor="agent-7", reason="wants more")
    # an explicit offer in another currency is refused, naming both
    other = "JPY"
    with pytest.raises(cf.CurrencyMismatch) as info:
        wf.propose(c, actor="agent-7", offer=cf.Offer("refund", goodwill=money(1, other)))
    assert other in str(info.value) and cur in str(info.value)
    # an explicit offer above the front line's limit needs the store supervisor
    voucher = cf.Offer("refund", goodwill=money(FRONT_LINE[code] + 1, cur),
                       remedy_value=money(120, cur))
    with pytest.raises(cf.AuthorityExceeded) as over:
        wf.propose(c, actor="agent-7", offer=voucher)
    assert over.value.needed_tier == "store_supervisor"
    c = wf.propose(c, actor="agent-7", offer=voucher, approved_by=SUP)
    assert c.history[-1].data["authority"]["approver_limit"]["currency"] == cur
    # the approval hands the case to the approver's tier
    c = wf.resolve(c, actor=SUP)
    c = wf.revisit(c, actor=SUP, satisfaction=4)
    c = wf.archive(c, actor=SUP, summary="kettle seal")
    assert c.state is S.ARCHIVED
    check_single_currency(c)
    assert cf.Complaint.replay(c.history) == c
    # a recorded history is judged again against the limits it recorded
    from complaintflow.policies import judge_recorded_offers
    judge_recorded_offers(c, wf.compensation)


@pytest.mark.parametrize(("code", "floored"), [("CN", True), ("HK", False), ("GB", False),
                                               ("EU", False), ("US", False)])
def test_the_fraud_floor_is_prc_law_only(code: str, floored: bool) -> None:
    wf = wf_at()
    c = wf.receive("counterfeit sneakers", customer_id="C-1", channel="in_store", store="S-1",
                   amount=Decimal("200"), market=code)
    c = wf.investigate(wf.acknowledge(c, actor="a"), actor="a", finding=cf.Finding(
        cause="fraud", party="store", evidence=("brand's report",)))
    floor = wf.compensation.floor(c)
    if floored:  # PRC CRPL art. 55: 3 x the price, at least 500 CNY
        assert floor is not None and floor.statutory == money(600, "CNY")
        assert wf.propose(c, actor="a").offer.statutory == money(600, "CNY")  # type: ignore[union-attr]
    else:
        assert floor is None
        assert wf.propose(c, actor="a").offer.statutory == cf.Money.zero(CURRENCY[code])  # type: ignore[union-attr]


def test_a_floor_can_be_made_law_in_another_market() -> None:
    usd = CompensationLadder(floors=[CounterfeitFloor(minimum=money(70, "USD"), markets=["US"])])
    wf = wf_at(compensation=usd)
    c = wf.receive("fake", customer_id="C-1", channel="hotline", amount=Decimal(10), market="US")
    c = wf.investigate(wf.acknowledge(c, actor="a"), actor="a", finding=cf.Finding(
        cause="fraud", party="store", evidence=("x",)))
    assert usd.floor(c).statutory == money(70, "USD")  # type: ignore[union-attr]
    cn = wf.receive("fake", customer_id="C-2", channel="hotline", amount=Decimal(10))
    cn = wf.investigate(wf.acknowledge(cn, actor="a"), actor="a", finding=cf.Finding(
        cause="fraud", party="store", evidence=("x",)))
    assert usd.floor(cn) is None


# -- authority per currency ---------------------------------------------------------------------

def test_limits_per_currency_default_to_round_local_figures() -> None:
    ladder = CompensationLadder()
    table = {cur: [None if (m := ladder.limit_in(t, cur)) is None else m.amount for t in T]
             for cur in ("CNY", "HKD", "GBP", "EUR", "USD")}
    assert table == {
        "CNY": [50, 500, 5000, None], "HKD": [50, 500, 5000, None], "GBP": [5, 50, 500, None],
        "EUR": [6, 60, 600, None], "USD": [7, 70, 700, None],
    }
    assert [str(ladder.limit(t)) for t in T] == ['50.00 CNY', '500.00 CNY', '5000.00 CNY', 'None']


def test_a_currency_without_limits_is_refused_naming_it() -> None:
    register_market(Market(code="JP", name="Japan", currency="JPY",
                           calendar=cf.BusinessCalendar("Asia/Tokyo", holidays="JP")))
    wf = wf_at()
    c = wf.receive("rude staff", customer_id="C-1", channel="in_store", market="JP")
    c = wf.investigate(wf.acknowledge(c, actor="a"), actor="a", finding=cf.Finding(
        cause="service_error", party="store", evidence=("CCTV",)))
    with pytest.raises(cf.CurrencyMismatch) as mismatch:
        wf.propose(c, actor="a")  # the layer's goodwill has no amount in yen
    assert "JPY" in str(mismatch.value) and "compensation.local.JPY" in str(mismatch.value)
    local = {"JPY": LocalMoney(money(10000, "JPY"), money(300, "JPY"))}
    wf = wf_at(compensation=CompensationLadder(local=local))
    with pytest.raises(cf.AuthorityExceeded) as info:
        wf.propose(c, actor="a")  # and the front line has no limit in yen
    assert "JPY" in str(info.value) and "compensation.limits.JPY" in str(info.value)
    # an offer that adds nothing needs no limit in any currency
    assert wf.propose(c, actor="a", offer=cf.Offer("none", extras=("apology",))).offer
    # nor does the executive's, who is unlimited in every currency
    boss = cf.Actor("ceo", T.EXECUTIVE)
    assert wf.propose(c, actor=boss, offer=cf.Offer("none", goodwill=money(5, "JPY"))).offer
    # limits and the layer's amounts in yen make it work
    yen = parse_policies('''
[compensation.limits.JPY]
front_line = "1000"
store_supervisor = "10000"
regional_head = "100000"
executive = "unlimited"

[compensation.local.JPY]
goodwill = "10000"
return_shipping = "300"
''')["compensation"]
    wf = wf_at(compensation=yen)
    offer = wf.propose(c, actor="a").offer
    assert offer is not None and offer.goodwill == money(1000, "JPY")


def test_toml_limits_in_another_currency() -> None:
    ladder = parse_policies('[compensation.limits.USD]\nfront_line = "20"\n')["compensation"]
    assert ladder.limit_in(T.FRONT_LINE, "USD") == money(20, "USD")
    assert ladder.limit_in(T.STORE_SUPERVISOR, "USD") == money(70, "USD")  # the default kept
    for text, key in (
        ('[compensation.limits.USD]\nfront_line = "80"\n',  # above the supervisor's 70
         "compensation.limits.USD.store_supervisor"),
        ('[compensation.limits.yen]\nfront_line = "1"\n', "compensation.limits.yen"),
        ('[compensation.limits.NOK]\nfront_line = "1"\n', "compensation.limits.NOK.store_supervisor"),
        ('[compensation.local.USD]\ngoodwill = 5.5\n', "compensation.local.USD.goodwill"),
        ('[compensation.local.NOK]\ngoodwill = "5"\n', "compensation.local.NOK.return_shipping"),
        ('[compensation.floors.cn_consumer_fraud]\nmarkets = ["Mars"]\n',
         "compensation.floors.cn_consumer_fraud.markets"),
    ):
        with pytest.raises(cf.ConfigError) as info:
            parse_policies(text)
        assert info.value.key == key, text


# -- deadlines: the market's calendar and its regulators ----------------------------------------

def test_a_us_complaint_before_independence_day_skips_the_observed_holiday() -> None:
    # Thursday 2 July 2026, 16:00 in New York; 4 July is a Saturday, observed on Friday 3 July
    at = datetime(2026, 7, 2, 20, 0, tzinfo=UTC)
    esc = TieredEscalation(market_calendars=True)
    wf = wf_at(at, escalation=esc, classifier=Fixed("delivery_delay", 3))
    c = wf.receive("my parcel is late", customer_id="C-1", channel="email", market="US")
    assert c.deadlines == {
        S.ACKNOWLEDGED: datetime(2026, 7, 2, 21, 0, tzinfo=UTC),  # 1 working hour, 17:00 EDT
        # 24 working hours of 8: Thu 1, (Fri off, weekend) Mon 8, Tue 8, Wed 7 -> 16:00 EDT
        S.INVESTIGATED: datetime(2026, 7, 8, 20, 0, tzinfo=UTC),
        # 48: then Wed 1, Thu 8, Fri 8, Mon 7 -> Monday 13 July, 16:00 EDT
        S.PROPOSED: datetime(2026, 7, 13, 20, 0, tzinfo=UTC),
        # 72: then Mon 1, Tue 8, Wed 8, Thu 7 -> Thursday 16 July, 16:00 EDT
        S.RESOLVED: datetime(2026, 7, 16, 20, 0, tzinfo=UTC),
    }
    # the same complaint in the EU market (weekends only, Brussels) is not held by 3 July
    eu = wf.receive("my parcel is late", customer_id="C-2", channel="email", market="EU")
    assert eu.deadlines[S.ACKNOWLEDGED] == datetime(2026, 7, 3, 8, 0, tzinfo=UTC)  # Fri 10:00 CEST
    # without market calendars the table runs on the wall clock
    plain = wf_at(at, classifier=Fixed("delivery_delay", 3)).receive(
        "my parcel is late", customer_id="C-3", channel="email", market="US")
    assert plain.deadlines[S.INVESTIGATED] == at + timedelta(hours=24)


def test_market_regulators_apply_only_to_their_markets_and_categories() -> None:
    at = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # Sunday 1 March, 15:00 EST
    esc = TieredEscalation()
    credit = wf_at(at, escalation=esc, classifier=Fixed("credit"))
    us = credit.receive("the card fee was wrong", customer_id="C-1", channel="email", market="US")
    regulatory = esc.regulatory_deadlines(us)
    # CFPB: 15 and 60 days, ending at the end of the New York day; summer time begins on
    # Sunday 8 March (second Sunday of March), so the ends are at 23:59:59.999999 EDT
    assert regulatory == {
        S.PROPOSED: (datetime(2026, 3, 17, 3, 59, 59, 999999, tzinfo=UTC), "us_cfpb"),
        S.RESOLVED: (datetime(2026, 5, 1, 3, 59, 59, 999999, tzinfo=UTC), "us_cfpb"),
    }
    assert esc.limits(us) == {S.RESOLVED: datetime(2026, 5, 1, 3, 59, 59, 999999, tzinfo=UTC)}
    cn = credit.receive("the card fee was wrong", customer_id="C-2", channel="email")
    assert esc.regulatory_deadlines(cn) == {}
    parcel = wf_at(at, escalation=esc, classifier=Fixed("delivery_delay")).receive(
        "late", customer_id="C-3", channel="email", market="US")
    assert esc.regulatory_deadlines(parcel) == {}
    off = TieredEscalation(market_regulators=False)
    assert off.regulatory_deadlines(us) == {}


def test_cfpb_days_across_the_end_of_summer_time() -> None:
    # Tuesday 20 October 2026, 12:00 EDT; summer time ends on Sunday 1 November (first
    # Sunday of November): the 15th day ends at 23:59:59.999999 EST
    at = datetime(2026, 10, 20, 16, 0, tzinfo=UTC)
    esc = TieredEscalation()
    c = wf_at(at, escalation=esc, classifier=Fixed("payment")).receive(
        "double charge", customer_id="C-1", channel="email", market="US")
    assert esc.regulatory_deadlines(c)[S.PROPOSED] == (
        datetime(2026, 11, 5, 4, 59, 59, 999999, tzinfo=UTC), "us_cfpb")


@pytest.mark.parametrize(("received", "category", "expected", "profile"), [
    # Tuesday 10 March 2026, 15:00 GMT: 8 weeks end on Tuesday 5 May, 23:59:59.999999 BST
    # (summer time began on Sunday 29 March, the last Sunday of March)
    (datetime(2026, 3, 10, 15, 0, tzinfo=UTC), "credit",
     datetime(2026, 5, 5, 22, 59, 59, 999999, tzinfo=UTC), "uk_fca_disp"),
    # Tuesday 15 September 2026, 11:00 BST: 8 weeks end on Tuesday 10 November, 23:59:59.999999
    # GMT (summer time ended on Sunday 25 October, the last Sunday of October)
    (datetime(2026, 9, 15, 10, 0, tzinfo=UTC), "insurance",
     datetime(2026, 11, 10, 23, 59, 59, 999999, tzinfo=UTC), "uk_fca_disp"),
    # Monday 16 March 2026: the 15th business day after it, Good Friday (3 April) and
    # Easter Monday (6 April) not counted, is Wednesday 8 April; close of business 17:00 BST
    (datetime(2026, 3, 16, 12, 0, tzinfo=UTC), "payment",
     datetime(2026, 4, 8, 16, 0, tzinfo=UTC), "uk_fca_disp_payments"),
])
def test_fca_deadlines_in_the_gb_market(received: datetime, category: str, expected: datetime,
                                        profile: str) -> None:
    esc = TieredEscalation()
    c = wf_at(received, escalation=esc, classifier=Fixed(category)).receive(
        "a complaint about the firm", customer_id="C-1", channel="email", market="GB")
    assert esc.regulatory_deadlines(c)[S.PROPOSED] == (expected, profile)
    # the stricter deadline wins: the SLA table's 48 hours come first
    assert c.deadlines[S.PROPOSED] == received + timedelta(hours=48)


# -- TOML ---------------------------------------------------------------------------------------

def test_toml_default_market_and_a_new_market() -> None:
    loaded = parse_policies('''
[markets]
default = "SG"

[markets.SG]
name = "Singapore"
currency = "SGD"
timezone = "Asia/Singapore"
hours = ["09:00", "18:00"]
holidays = "SG"
regulators = { eu_psd2 = ["payment"] }
floors_note = "none modelled"

[compensation.limits.SGD]
front_line = "10"
store_supervisor = "100"
regional_head = "1000"
executive = "unlimited"

[compensation.local.SGD]
goodwill = "100"
return_shipping = "3"

[escalation]
market_calendars = true
''', "team.toml")
    assert loaded["market"] == "SG"
    sg = MARKETS["SG"]
    assert (sg.currency, sg.calendar.timezone, [p.name for p in sg.regulators]) == (
        "SGD", "Asia/Singapore", ["eu_psd2"])
    assert loaded["escalation"].market_calendars is True
    wf = wf_at(**loaded)
    c = wf.receive("the staff were rude", customer_id="C-1", channel="in_store",
                   amount=Decimal(30))
    assert (c.market, c.amount) == ("SG", money(30, "SGD"))
    # reading the same definition again changes nothing
    assert parse_policies('[markets.SG]\nname = "Singapore"\n')["market"] is None


@pytest.mark.parametrize(("text", "key"), [
    ('[markets]\ndefault = "ZZ"\n', "markets.default"),
    ('[markets.GB]\ncurrency = "EUR"\n', "markets.GB.currency"),
    ('[markets.GB]\nhours = ["08:00", "16:00"]\n', "markets.GB"),
    ('[markets.ZX]\nname = "Nowhere"\n', "markets.ZX.currency"),
    ('[markets.ZX]\ncurrency = "ZXQ1"\n', "markets.ZX.currency"),
    ('[markets.zx]\ncurrency = "USD"\n', "markets.zx"),
    ('[markets.ZX]\ncurrency = "USD"\ncolour = "red"\n', "markets.ZX.colour"),
    ('[markets.ZX]\ncurrency = "USD"\nregulators = { moon_rule = [] }\n',
     "markets.ZX.regulators.moon_rule"),
    ('[markets.ZX]\ncurrency = "USD"\ntimezone = "Mars/Olympus"\n', "markets.ZX.timezone"),
    ('[markets.ZX]\ncurrency = "USD"\nholidays = "HK"\nholiday_categories = ["x"]\n',
     "markets.ZX.holiday_categories"),
    ('[escalation]\nmarket_calendars = "yes"\n', "escalation.market_calendars"),
    ('[escalation.profiles.p]\nrule = "r"\ndeadlines = { resolved = "1 days" }\n'
     'markets = ["ZZ"]\n', "escalation.profiles.p.markets"),
])
def test_toml_market_errors_name_the_key(text: str, key: str) -> None:
    with pytest.raises(cf.ConfigError) as info:
        parse_policies(text)
    assert info.value.key == key
    assert "ZX" not in MARKETS and "zx" not in MARKETS


def test_a_profile_limited_to_markets() -> None:
    esc = parse_policies('''
[escalation]
regulators = ["hk_reply"]
market_regulators = false

[escalation.profiles.hk_reply]
rule = "Example Ordinance s. 1: reply within 10 business days"
timezone = "Asia/Hong_Kong"
holidays = "HK"
holiday_categories = ["public", "optional"]
deadlines = { resolved = "10 business_days" }
markets = ["HK"]
''')["escalation"]
    wf = wf_at(escalation=esc)
    hk = wf.receive("late", customer_id="C-1", channel="app", market="HK")
    cn = wf.receive("late", customer_id="C-2", channel="app")
    assert S.RESOLVED in esc.regulatory_deadlines(hk)
    assert esc.regulatory_deadlines(cn) == {}


def test_registering_a_market_again() -> None:
    gb = MARKETS["GB"]
    assert register_market(gb) is gb
    import attrs
    with pytest.raises(cf.ValidationError):
        register_market(attrs.evolve(gb, name="Britain"))
    with pytest.raises(cf.ValidationError):
        register_market(attrs.evolve(gb, currency="EUR"), replace=True)
    assert MARKETS["GB"] is gb


# -- the money of a complaint is in its market's currency ---------------------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=complaints(markets=market_codes(codes=sorted(CURRENCY)),
                    states=[S.PROPOSED, S.RESOLVED, S.REVISITED, S.ARCHIVED]))
def test_money_is_always_in_the_markets_currency(c: cf.Complaint) -> None:
    cur = CURRENCY[c.market]
    assert c.currency == cur
    if c.amount is not None:
        assert c.amount.currency == cur
    for offer in c.offers:
        paying = [m for m in (offer.goodwill, offer.statutory, offer.remedy_value) if m.amount]
        assert all(m.currency == cur for m in paying)
    for event in c.history:
        authority = event.data.get("authority")
        if authority is not None:
            assert authority["currency"] == cur
    check_single_currency(c)


@given(code=st.sampled_from(sorted(CURRENCY)), offer_cur=st.sampled_from(
    ["CNY", "HKD", "GBP", "EUR", "USD", "JPY"]), amount=st.integers(1, 40))
@settings(max_examples=60, deadline=None)
def test_an_offer_pays_in_the_complaints_currency_or_is_refused(
        code: str, offer_cur: str, amount: int) -> None:
    wf = wf_at()
    c = wf.receive("broken", customer_id="C-1", channel="hotline", market=code)
    c = wf.investigate(wf.acknowledge(c, actor="a"), actor="a", finding=cf.Finding(
        cause="product_defect", party="supply_chain", evidence=("x",)))
    offer = cf.Offer("exchange", statutory=money(amount, offer_cur))
    boss = cf.Actor("ceo", T.EXECUTIVE)
    if offer_cur == CURRENCY[code]:
        assert wf.propose(c, actor=boss, offer=offer).offer == offer
    else:
        with pytest.raises(cf.CurrencyMismatch) as info:
            wf.propose(c, actor=boss, offer=offer)
        assert offer_cur in str(info.value) and CURRENCY[code] in str(info.value)
