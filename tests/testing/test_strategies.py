"""The strategies integrators use: what they draw, and that bad arguments raise."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.policies import TieredEscalation
from complaintflow.testing import (
    Command,
    actors,
    amounts,
    calendars,
    commands,
    complaints,
    findings,
    markets,
    offers,
    texts,
)
from complaintflow.testing import invariants as inv

T0 = datetime(2026, 6, 18, 1, 0, tzinfo=UTC)


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@given(texts())
def test_texts_are_accepted_by_receive(text: str) -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(T0))
    c = wf.receive(text, customer_id="C-1", channel="hotline")
    assert c.text == text
    assert text.strip()


@given(texts(languages=["zh"]), texts(languages=["en"]))
def test_texts_speak_the_language_asked(zh: str, en: str) -> None:
    assert _cjk(zh)
    assert en.isascii()


def test_texts_cover_what_the_classifier_knows() -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(T0))
    seen: set[str] = set()

    @settings(max_examples=150, database=None)
    @given(texts())
    def collect(text: str) -> None:
        seen.add(wf.receive(text, customer_id="C-1", channel="app").category)

    collect()
    assert len(seen - {"other"}) >= 3


@given(texts(noise=st.just(" #618")))
def test_texts_append_noise(text: str) -> None:
    assert text.endswith(" #618")


@given(actors(tiers=st.just(cf.Tier.REGIONAL_HEAD)))
def test_actors_take_their_tier_from_the_strategy(actor: cf.Actor) -> None:
    assert actor.tier is cf.Tier.REGIONAL_HEAD
    assert actor.id.strip()


@given(findings(causes=st.just("fraud")))
def test_findings_are_valid(finding: cf.Finding) -> None:
    assert finding.cause == "fraud"
    assert finding.evidence
    assert cf.Finding.from_dict(finding.to_dict()) == finding


@given(amounts(currencies=st.sampled_from(["CNY", "JPY", "KWD"]), max_value=Decimal(99)))
def test_amounts_respect_bounds_and_currency(money: cf.Money) -> None:
    assert Decimal(0) <= money.amount <= Decimal(99)
    assert money.currency in {"CNY", "JPY", "KWD"}


@given(offers(currencies=st.sampled_from(["CNY", "USD"]), max_goodwill=Decimal(300)))
def test_offers_are_in_one_currency(offer: cf.Offer) -> None:
    assert len({offer.goodwill.currency, offer.statutory.currency,
                offer.remedy_value.currency}) == 1
    assert offer.goodwill.amount <= Decimal(300)
    assert cf.Offer.from_dict(offer.to_dict()) == offer


@settings(max_examples=20)
@given(calendars(), st.integers(1, 3))
def test_calendars_plan_deadlines_that_keep_the_promises(
        calendar: cf.BusinessCalendar, severity: int) -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(T0),
                     escalation=TieredEscalation(calendar=calendar))
    text = {1: "牛奶变质了", 2: "店员态度冷漠", 3: "The dress faded"}[severity]
    c = wf.receive(text, customer_id="C-1", channel="hotline")
    assert isinstance(calendar, cf.BusinessCalendar)
    inv.check_deadlines_ordered(c)


@settings(max_examples=30)
@given(complaints(states=[cf.State.INVESTIGATED, cf.State.RECEIVED]), commands())
def test_commands_run_or_are_refused_cleanly(complaint: cf.Complaint, command: Command) -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(complaint.last_event_at))
    try:
        after = command.run(wf, complaint)
    except cf.ComplaintflowError:
        return
    inv.check_step(complaint, after, command.name, workflow=wf)


@settings(max_examples=40)
@given(complaints(), commands(invalid=True))
def test_invalid_commands_are_always_refused(complaint: cf.Complaint, command: Command) -> None:
    wf = cf.Workflow(clock=cf.FrozenClock(complaint.last_event_at))
    with pytest.raises(cf.ComplaintflowError):
        command.run(wf, complaint)


@given(commands(names=["revisit"]))
def test_commands_only_of_the_names_asked(command: Command) -> None:
    assert command.name == "revisit"
    assert 1 <= command.kwargs["satisfaction"] <= 5
    assert "revisit" in repr(command)


@pytest.mark.parametrize("state", list(cf.State))
def test_complaints_reach_every_state(state: cf.State) -> None:
    @settings(max_examples=5, database=None)
    @given(complaints(states=[state]))
    def check(c: cf.Complaint) -> None:
        assert c.state is state
        inv.check_complaint(c)

    check()


@settings(max_examples=30)
@given(complaints())
def test_complaints_keep_every_promise(c: cf.Complaint) -> None:
    inv.check_complaint(c)


@settings(max_examples=10)
@given(st.data())
def test_complaints_use_the_factory(data: st.DataObject) -> None:
    used: list[cf.Workflow] = []

    def factory(clock: cf.FrozenClock) -> cf.Workflow:
        used.append(cf.Workflow(clock=clock, channels=["kiosk"]))
        return used[-1]

    c = data.draw(complaints(factory=factory, channels=st.just("kiosk")))
    assert used
    assert c.channel == "kiosk"


@settings(max_examples=10)
@given(complaints(states=[cf.State.RECEIVED], max_detours=0,
                  received_at=st.just(T0), texts=st.just("The rice cooker is broken")))
def test_complaints_take_receipt_time_and_text(c: cf.Complaint) -> None:
    assert c.received_at == T0
    assert c.text == "The rice cooker is broken"
    assert c.version == 1


@settings(max_examples=10)
@given(st.from_type(cf.Complaint), st.from_type(cf.Offer), st.from_type(cf.Finding),
       st.from_type(cf.Actor), st.from_type(cf.Money))
def test_from_type_draws_every_domain_type(c: cf.Complaint, offer: cf.Offer,
                                           finding: cf.Finding, actor: cf.Actor,
                                           money: cf.Money) -> None:
    inv.check_complaint(c)
    assert isinstance(offer, cf.Offer)
    assert isinstance(finding, cf.Finding)
    assert isinstance(actor, cf.Actor)
    assert isinstance(money, cf.Money)


@pytest.mark.parametrize(("make", "error"), [
    (lambda: texts(languages=["fr"]), ValueError),
    (lambda: texts(languages=[]), ValueError),
    (lambda: amounts(min_value=Decimal(5), max_value=Decimal(1)), ValueError),
    (lambda: commands(names=["teleport"]), ValueError),
    (lambda: commands(names=[]), ValueError),
    (lambda: complaints(states=[]), ValueError),
    (lambda: complaints(states=["received"]), TypeError),  # type: ignore[list-item]
    (lambda: complaints(max_detours=-1), ValueError),
])
def test_bad_arguments_raise_when_the_strategy_is_used(make: object, error: type[Exception]) -> None:
    assert callable(make)
    strategy = make()  # defining it is fine, e.g. at import time of a test module
    with pytest.raises(error):
        strategy.validate()


@given(code=markets())
def test_markets_draws_the_bundled_markets(code: str) -> None:
    assert code in ("CN", "EU", "GB", "HK", "US")


def test_markets_refuses_unknown_codes_when_used() -> None:
    bad = markets(codes=["ZZ"])  # built lazily: the error comes when the test draws

    @given(bad)
    def draws(code: str) -> None:
        pass

    with pytest.raises(ValueError, match="ZZ"):
        draws()
