"""Money: Decimal with a currency, rounded to its minor unit, never silently mixed."""

from __future__ import annotations

from decimal import Decimal

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
