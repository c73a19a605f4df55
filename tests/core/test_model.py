"""The data model: money, offers, findings, events, dict round trips, replay."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from core_helpers import T0, new, to_state

import complaintflow as cf
from complaintflow._events import freeze, register_upcaster


def test_money_rounds_to_minor_unit_and_refuses_floats_and_negatives() -> None:
    assert cf.Money(Decimal("1.005")).amount == Decimal("1.01")
    assert cf.Money(Decimal("1500.4"), "JPY").amount == Decimal("1500")
    assert cf.Money(0) == cf.Money(Decimal("0.00"))
    with pytest.raises(cf.ValidationError, match="amount"):
        cf.Money(1.5)  # type: ignore[arg-type]
    with pytest.raises(cf.ValidationError, match="amount"):
        cf.Money(Decimal("-1"))
    with pytest.raises(cf.ValidationError, match="amount"):
        cf.Money(Decimal("NaN"))
    with pytest.raises(cf.ValidationError, match="currency"):
        cf.Money(1, "yuan")


def test_money_never_mixes_currencies() -> None:
    with pytest.raises(cf.CurrencyMismatch, match="CNY and EUR"):
        cf.Money(1) + cf.Money(1, "EUR")
    with pytest.raises(cf.CurrencyMismatch):
        assert cf.Money(1) < cf.Money(2, "USD")
    assert cf.Money(2) * 3 == cf.Money(6)
    assert cf.Money(Decimal("5.5")) - cf.Money(Decimal("0.5")) == cf.Money(5)


def test_offer_validation_and_currency() -> None:
    with pytest.raises(cf.ValidationError, match="offer.remedy"):
        cf.Offer("cash_back")  # type: ignore[arg-type]
    with pytest.raises(cf.CurrencyMismatch):
        cf.Offer("refund", goodwill=cf.Money(5, "EUR"), statutory=cf.Money(5, "CNY"))
    eur = cf.Offer("refund", goodwill=cf.Money(5, "EUR"))
    assert eur.statutory == cf.Money(0, "EUR")
    assert eur.currency == "EUR"
    assert cf.Offer.from_dict(json.loads(json.dumps(eur.to_dict()))) == eur


def test_finding_needs_evidence_and_known_values() -> None:
    with pytest.raises(cf.ValidationError, match="finding.evidence"):
        cf.Finding(cause="product_defect", party="store", evidence=())
    with pytest.raises(cf.ValidationError, match="finding.evidence"):
        cf.Finding(cause="product_defect", party="store", evidence="lab report")  # type: ignore[arg-type]
    with pytest.raises(cf.ValidationError, match="finding.cause"):
        cf.Finding(cause="bad luck", party="store", evidence=("x",))  # type: ignore[arg-type]
    with pytest.raises(cf.ValidationError, match="finding.party"):
        cf.Finding(cause="fraud", party="moon", evidence=("x",))  # type: ignore[arg-type]


def test_tier_order_and_parsing() -> None:
    assert cf.Tier.FRONT_LINE < cf.Tier.STORE_SUPERVISOR < cf.Tier.REGIONAL_HEAD < cf.Tier.EXECUTIVE
    assert cf.Tier.parse("store_supervisor") is cf.Tier.STORE_SUPERVISOR
    assert str(cf.Tier.REGIONAL_HEAD) == "regional_head"
    with pytest.raises(cf.ValidationError, match="tier"):
        cf.Tier.parse("ceo")
    assert cf.Actor.of("x").tier is cf.Tier.FRONT_LINE


def test_event_is_immutable_and_json_round_trips() -> None:
    e = cf.Event(3, "escalated", T0, "a", {"reason": "x", "nested": {"list": [1, "b"]}})
    with pytest.raises(TypeError):
        e.data["reason"] = "y"  # type: ignore[index]
    with pytest.raises(AttributeError):
        e.seq = 4  # type: ignore[misc]
    d = json.loads(json.dumps(e.to_dict()))
    assert cf.Event.from_dict(d) == e
    assert d["schema"] == 1


def test_event_time_is_aware_utc() -> None:
    shanghai = timezone(timedelta(hours=8))
    e = cf.Event(1, "received", datetime(2026, 6, 18, 17, 0, tzinfo=shanghai), None, {})
    assert e.at == T0 and e.at.utcoffset() == timedelta(0)
    with pytest.raises(cf.ValidationError, match="event.at"):
        cf.Event(1, "received", datetime(2026, 6, 18, 9, 0), None, {})  # noqa: DTZ001
    with pytest.raises(cf.ValidationError, match="data"):
        cf.Event(1, "received", T0, None, {"x": Decimal(1)})
    with pytest.raises(cf.ValidationError, match="event.name"):
        cf.Event(1, "exploded", T0, None, {})


def test_frozen_clock_refuses_naive_and_backwards_steps() -> None:
    with pytest.raises(cf.ValidationError, match="now"):
        cf.FrozenClock(datetime(2026, 1, 1))  # noqa: DTZ001
    clock = cf.FrozenClock(T0)
    with pytest.raises(cf.ValidationError, match="delta"):
        clock.advance(timedelta(hours=-1))
    assert clock.advance(hours=1) == T0 + timedelta(hours=1)
    assert cf.SystemClock().now().tzinfo is not None


def test_complaint_dict_round_trip_and_schema_checks() -> None:
    wf, c, _ = new()
    c = to_state(wf, c, cf.State.ARCHIVED)
    d = json.loads(json.dumps(c.to_dict()))
    assert cf.Complaint.from_dict(d) == c
    assert d["state"] == "archived" and d["version"] == c.version
    with pytest.raises(cf.ValidationError, match="schema"):
        cf.Complaint.from_dict({**d, "schema": 99})
    with pytest.raises(cf.ValidationError, match="version"):
        cf.Complaint.from_dict({**d, "version": 3})
    with pytest.raises(cf.ValidationError, match="history"):
        cf.Complaint.from_dict({**d, "history": []})


def test_replay_refuses_gaps_and_bad_starts() -> None:
    wf, c, _ = new()
    c = to_state(wf, c, cf.State.INVESTIGATED)
    assert cf.Complaint.replay(c.history) == c
    with pytest.raises(cf.ValidationError, match="seq"):
        cf.Complaint.replay((c.history[0], c.history[2]))
    with pytest.raises(cf.ValidationError, match="received"):
        cf.Complaint.replay(c.history[1:])
    with pytest.raises(cf.ValidationError):
        cf.Complaint.replay(())


def test_upcaster_reads_old_event_layouts() -> None:
    @register_upcaster("withdrawn", 0)
    def _v0_to_v1(data: dict[str, object]) -> dict[str, object]:
        return {"reason": data.pop("why")}

    old = {"seq": 2, "name": "withdrawn", "v": 0, "at": T0.isoformat(), "actor": "a",
           "data": {"why": "changed my mind"}}
    e = cf.Event.from_dict(old)
    assert e.v == 1 and e.data["reason"] == "changed my mind"


def test_freeze_thaw_preserves_json() -> None:
    data = {"a": [1, {"b": None}], "c": "d"}
    assert json.loads(json.dumps(cf.Event(1, "received", T0, None, data).to_dict()["data"])) == data
    assert freeze(freeze(data)) == freeze(data)


def test_exports_can_leave_personal_data_out() -> None:
    wf, c, _ = new()
    c = wf.receive("my phone 13800138000 broke", customer_id="C-9", channel="app",
                   contact={"phone": "13800138000"})
    c = wf.message(c, text="any news? call 13800138000")
    exported = json.dumps(c.to_dict(personal=False), ensure_ascii=False)
    assert "13800138000" not in exported
    assert "13800138000" in json.dumps(c.to_dict(), ensure_ascii=False)
    back = cf.Complaint.from_dict(json.loads(exported))
    assert back.text is None
    assert (back.id, back.state, back.version, back.category, back.deadlines) == (
        c.id, c.state, c.version, c.category, c.deadlines)
