"""Money: Decimal with a currency, rounded to its minor unit, never silently mixed."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf

amounts = st.decimals(min_value=0, max_value=10**9, allow_nan=False, allow_infinity=False)
currencies = st.sampled_from(["CNY", "USD", "EUR", "GBP", "JPY", "KWD"])


@pytest.mark.parametrize(("currency", "raw", "rounded"), [
    ("CNY", "12.345", "12.35"),
    ("CNY", "12.344", "12.34"),
    ("JPY", "1234.5", "1235"),
    ("KWD", "1.2345", "1.235"),
    ("EUR", "0.005", "0.01"),
])
def test_rounding_to_the_minor_unit(currency: str, raw: str, rounded: str) -> None:
    m = cf.Money(Decimal(raw), currency)
    assert m.amount == Decimal(rounded)
    assert str(m.amount) == rounded


def test_mixing_currencies_is_an_error_never_a_sum() -> None:
    cny, usd = cf.Money(Decimal(1)), cf.Money(Decimal(1), "USD")
    with pytest.raises(cf.CurrencyMismatch, match="CNY and USD"):
        cny + usd
    with pytest.raises(cf.CurrencyMismatch):
        cny < usd  # noqa: B015
    with pytest.raises(cf.CurrencyMismatch):
        cf.Offer("refund", goodwill=cny, statutory=usd)


def test_floats_and_negative_amounts_are_refused() -> None:
    with pytest.raises(cf.ValidationError, match="amount"):
        cf.Money(0.1)
    with pytest.raises(cf.ValidationError, match="amount"):
        cf.Money(Decimal(-1))
    with pytest.raises(cf.ValidationError, match="currency"):
        cf.Money(Decimal(1), "yuan")


@settings(max_examples=80)
@given(a=amounts, b=amounts, currency=currencies)
def test_sums_are_exact_decimals(a: Decimal, b: Decimal, currency: str) -> None:
    x, y = cf.Money(a, currency), cf.Money(b, currency)
    total = x + y
    assert total.amount == x.amount + y.amount
    assert total.currency == currency
    assert isinstance(total.amount, Decimal)
    assert x + y == y + x
    assert total >= x and total >= y
    assert cf.Money.from_dict(total.to_dict()) == total


@settings(max_examples=60)
@given(a=amounts, factor=st.integers(0, 20), currency=currencies)
def test_multiples_stay_on_the_minor_unit(a: Decimal, factor: int, currency: str) -> None:
    m = cf.Money(a, currency) * factor
    exponent = m.amount.as_tuple().exponent
    assert isinstance(exponent, int)
    assert exponent == -{"JPY": 0, "KWD": 3}.get(currency, 2)


# -- bad input is a ValidationError naming the field, never a raw decimal error -------------

@pytest.mark.parametrize("raw", [
    "1e26", "1E+13", "1000000000000.01", 10**13, Decimal("1e999998"), "1e999999999",
    "-1e999999999", "NaN", "sNaN", "Infinity", "-Infinity", Decimal("NaN"), "twelve", "",
    "1e", "\ud800",
])
def test_amounts_out_of_range_or_not_numbers_name_the_amount(raw: object) -> None:
    with pytest.raises(cf.ValidationError) as info:
        cf.Money(raw)
    assert info.value.field == "amount"
    with pytest.raises(cf.ValidationError) as info:
        cf.Money.from_dict({"amount": raw, "currency": "CNY"}, "offer.goodwill")
    assert info.value.field.startswith("offer.goodwill")


def test_the_largest_amount_is_documented_and_held() -> None:
    from complaintflow._values import MAX_AMOUNT

    assert cf.Money(MAX_AMOUNT).amount == MAX_AMOUNT
    with pytest.raises(cf.ValidationError, match="largest amount"):
        cf.Money(MAX_AMOUNT) + cf.Money(Decimal("0.01"))
    with pytest.raises(cf.ValidationError) as info:
        cf.Money(Decimal(5)) * Decimal("1e999998")
    assert info.value.field == "factor"
    with pytest.raises(cf.ValidationError, match="largest amount"):
        cf.Money(MAX_AMOUNT) * 2


def test_tiny_exponents_and_negative_zero_are_plain_zero() -> None:
    assert cf.Money("1e-99999999") == cf.Money.zero()
    assert str(cf.Money("-0")) == "0.00 CNY"


def test_rounding_does_not_depend_on_the_applications_decimal_context() -> None:
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.traps[decimal.Inexact] = True
        assert cf.Money("123456.789").amount == Decimal("123456.79")


@pytest.mark.parametrize("currency", ["yuan", "cny", "CN", "CNYY", "C\ud800Y", "ÇNY", "", 156, None])
def test_bad_currency_codes_name_the_currency(currency: object) -> None:
    with pytest.raises(cf.ValidationError) as info:
        cf.Money(Decimal(1), currency)  # type: ignore[arg-type]
    assert info.value.field.endswith("currency")
    with pytest.raises(cf.ValidationError) as info:
        cf.Money.from_dict({"amount": "1", "currency": currency})
    assert info.value.field.endswith("currency")


LONE = "\udc00"


@pytest.mark.parametrize(("build", "field"), [
    (lambda: cf.Actor("agent" + LONE), "actor"),
    (lambda: cf.Actor.of("agent" + LONE), "actor"),
    (lambda: cf.Finding("fraud", "store", ("receipt" + LONE,)), "finding.evidence"),
    (lambda: cf.Finding("fraud", "store", ("receipt",), note=LONE), "finding.note"),
    (lambda: cf.Offer("none", extras=("apology" + LONE,)), "offer.extras"),
    (lambda: cf.Finding("fraud" + LONE, "store", ("receipt",)), "finding.cause"),  # type: ignore[arg-type]
    (lambda: cf.Offer("refund" + LONE), "offer.remedy"),  # type: ignore[arg-type]
])
def test_lone_surrogates_are_refused_with_the_field(build: object, field: str) -> None:
    with pytest.raises(cf.ValidationError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field


@pytest.mark.parametrize(("build", "field"), [
    (lambda: cf.Actor(""), "actor"),
    (lambda: cf.Actor(5), "actor"),  # type: ignore[arg-type]
    (lambda: cf.Actor("a", "intern"), "actor.tier"),  # type: ignore[arg-type]
    (lambda: cf.Finding("bad_luck", "store", ("x",)), "finding.cause"),  # type: ignore[arg-type]
    (lambda: cf.Finding("fraud", "martians", ("x",)), "finding.party"),  # type: ignore[arg-type]
    (lambda: cf.Finding("fraud", "store", ()), "finding.evidence"),
    (lambda: cf.Finding("fraud", "store", "x"), "finding.evidence"),  # type: ignore[arg-type]
    (lambda: cf.Finding("fraud", "store", (5,)), "finding.evidence"),  # type: ignore[arg-type]
    (lambda: cf.Finding("fraud", "store", ("x",), note=None), "finding.note"),  # type: ignore[arg-type]
    (lambda: cf.Offer("cake"), "offer.remedy"),  # type: ignore[arg-type]
    (lambda: cf.Offer("none", goodwill=0.5), "offer.goodwill"),
    (lambda: cf.Offer("none", statutory="1e30"), "offer.statutory"),
    (lambda: cf.Offer("none", extras=("",)), "offer.extras"),
    (lambda: cf.Offer.from_dict({"remedy": "none"}), "offer.goodwill"),
    (lambda: cf.Offer.from_dict([]), "offer"),  # type: ignore[arg-type]
    (lambda: cf.Offer.from_dict({"remedy": "none", "goodwill": {"amount": "1"},
                                 "statutory": {"amount": "0"}, "extras": "apology"}),
     "offer.extras"),
    (lambda: cf.Finding.from_dict({"cause": "fraud", "party": "store"}), "finding.evidence"),
    (lambda: cf.Finding.from_dict({"cause": "fraud", "party": "store", "evidence": 5}),
     "finding.evidence"),
])
def test_records_name_the_bad_field(build: object, field: str) -> None:
    with pytest.raises(cf.ValidationError) as info:
        build()  # type: ignore[operator]
    assert info.value.field == field


# -- introspection: typing and cattrs -------------------------------------------------------

@pytest.mark.parametrize("record", [cf.Money, cf.Offer, cf.Finding, cf.Actor])
def test_type_hints_resolve(record: type) -> None:
    import typing

    hints = typing.get_type_hints(record)
    assert set(hints) == {f.name for f in attrs.fields(record)}


def test_literals_list_the_accepted_values() -> None:
    import typing

    from complaintflow._values import CAUSES, PARTIES, REMEDIES, Cause, Party, Remedy, TierLabel

    assert typing.get_args(TierLabel) == tuple(t.label for t in cf.Tier)
    assert (typing.get_args(Cause), typing.get_args(Party), typing.get_args(Remedy)) == (
        CAUSES, PARTIES, REMEDIES)
    assert all(cf.Tier.parse(label).label == label for label in typing.get_args(TierLabel))


def _moneys() -> st.SearchStrategy[cf.Money]:
    return st.builds(cf.Money, amounts, st.just("CNY"))


offers = st.builds(
    cf.Offer, st.sampled_from(("none", "partial_refund", "exchange", "refund", "repair")),
    goodwill=_moneys(), statutory=_moneys(), remedy_value=_moneys(),
    extras=st.lists(st.text(min_size=1).filter(str.strip).filter(
        lambda s: not any(0xD800 <= ord(ch) <= 0xDFFF for ch in s)), max_size=3).map(tuple))
findings = st.builds(
    cf.Finding, st.sampled_from(("fraud", "product_defect", "customer_error")),
    st.sampled_from(("store", "customer")), st.lists(st.sampled_from(("a", "收據")), min_size=1,
                                                      max_size=3).map(tuple),
    note=st.text(max_size=20).filter(lambda s: not any(0xD800 <= ord(ch) <= 0xDFFF for ch in s)))
actors = st.builds(cf.Actor, st.text(min_size=1, max_size=12).filter(str.strip).filter(
    lambda s: not any(0xD800 <= ord(ch) <= 0xDFFF for ch in s)), st.sampled_from(list(cf.Tier)))


@given(record=st.one_of(offers, findings, actors, _moneys()))
def test_cattrs_round_trips_every_record(record: object) -> None:
    import cattrs

    converter = cattrs.Converter()
    data = converter.unstructure(record)
    assert isinstance(data, dict)
    assert converter.structure(data, type(record)) == record


def test_cattrs_reports_the_libraries_own_refusal() -> None:
    import cattrs

    with pytest.raises(cattrs.ClassValidationError) as info:
        cattrs.Converter().structure({"amount": "1e26", "currency": "CNY"}, cf.Money)
    (inner,) = info.value.exceptions
    assert isinstance(inner, cf.ValidationError) and inner.field == "amount"


# -- promises: any input gives a record or a ValidationError, nothing else -------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.decimals(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=8,
)


@given(raw=st.one_of(st.text(), st.integers(), st.decimals(), st.floats(), st.none(),
                     st.booleans()),
       currency=st.one_of(st.just("CNY"), st.text(max_size=4), st.integers()))
def test_money_from_anything_is_money_or_a_validation_error(raw: object, currency: object) -> None:
    try:
        m = cf.Money(raw, currency)  # type: ignore[arg-type]
    except cf.ValidationError as exc:
        assert exc.field in ("amount", "currency")
        return
    assert 0 <= m.amount <= 10**12
    assert m.amount.is_finite()


def _record(name: str, data: object) -> dict[str, object]:
    shapes: dict[str, dict[str, object]] = {
        "offer": {"remedy": "refund", "goodwill": {"amount": "1", "currency": "CNY"},
                  "statutory": {"amount": "0", "currency": "CNY"}, "extras": ["apology"]},
        "finding": {"cause": "fraud", "party": "store", "evidence": ["receipt"], "note": ""},
    }
    out = dict(shapes[name])
    if isinstance(data, dict):
        out.update(data)
    return out


@given(kind=st.sampled_from(["offer", "finding"]),
       key=st.sampled_from(["remedy", "goodwill", "statutory", "extras", "remedy_value",
                            "cause", "party", "evidence", "note", "x"]),
       value=json_values, whole=st.booleans())
def test_records_from_any_json_are_records_or_validation_errors(kind: str, key: str,
                                                                value: object,
                                                                whole: bool) -> None:
    data: object = value if whole else _record(kind, {key: value})
    build = cf.Offer.from_dict if kind == "offer" else cf.Finding.from_dict
    try:
        record = build(data)  # type: ignore[arg-type]
    except cf.ValidationError as exc:
        assert exc.field.split(".")[0] in ("offer", "finding", "money", "amount", "currency")
        return
    assert type(record).from_dict(record.to_dict()) == record  # type: ignore[attr-defined]
