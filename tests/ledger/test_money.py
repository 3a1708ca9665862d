"""ledger.money: exact conversions between Decimal amounts and integer cents, and display."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from ledger.money import (
    MoneyError,
    as_decimal,
    format_amount,
    from_cents,
    minor_exponent,
    round_money,
    to_cents,
)

NBSP = "\N{NO-BREAK SPACE}"


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        (Decimal("1234.56"), 123456),
        (Decimal("0.01"), 1),
        (Decimal("-12.30"), -1230),
        (Decimal("5"), 500),
        ("19.99", 1999),
        (7, 700),
        (Decimal("1.500"), 150),  # trailing zeros are still whole cents
    ],
)
def test_to_cents_of_whole_cents(value, cents):
    assert to_cents(value) == cents


@pytest.mark.parametrize("value", [Decimal("0.005"), Decimal("1.001"), "12.345", Decimal("-0.001")])
def test_to_cents_refuses_sub_cent_amounts_without_a_rounding_mode(value):
    with pytest.raises(MoneyError, match="not a whole number"):
        to_cents(value)


@pytest.mark.parametrize(
    ("value", "mode", "cents"),
    [
        ("0.005", "half-up", 1),
        ("0.005", "half-even", 0),
        ("0.015", "half-even", 2),
        ("-0.005", "half-up", -1),
        ("2.675", "half-even", 268),
    ],
)
def test_to_cents_rounds_when_told_how(value, mode, cents):
    assert to_cents(value, rounding=mode) == cents


@pytest.mark.parametrize("value", [1.5, 0.1, float("nan")])
def test_floats_are_refused(value):
    with pytest.raises(MoneyError, match="floats"):
        to_cents(value)


@pytest.mark.parametrize("value", ["abc", None, Decimal("NaN"), Decimal("Infinity"), "1,50"])
def test_non_amounts_are_refused(value):
    with pytest.raises(MoneyError):
        to_cents(value)


def test_unknown_rounding_mode_is_refused():
    with pytest.raises((KeyError, ValueError)):
        to_cents("0.005", rounding="banker")


def test_bool_is_not_an_amount():
    """from_cents and entry_post refuse bool; to_cents should too (True is not 1 euro)."""
    with pytest.raises(MoneyError):
        to_cents(True)


def test_from_cents():
    assert from_cents(123456) == Decimal("1234.56")
    assert str(from_cents(5)) == "0.05"
    assert str(from_cents(-100)) == "-1.00"
    assert str(from_cents(0)) == "0.00"
    assert from_cents(1000, "JPY") == Decimal("1000")
    for bad in (True, 1.0, Decimal("1"), "100"):
        with pytest.raises(MoneyError):
            from_cents(bad)


def test_minor_exponent_per_currency():
    assert (minor_exponent("EUR"), minor_exponent("JPY"), minor_exponent("BHD")) == (2, 0, 3)
    assert to_cents("1.234", "BHD") == 1234
    assert round_money("1.005") == Decimal("1.01")
    assert as_decimal(3) == Decimal(3)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_from_cents_and_to_cents_round_trip(cents):
    assert to_cents(from_cents(cents)) == cents


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_to_cents_is_exact_on_two_decimals(amount):
    assert from_cents(to_cents(amount)) == amount


@pytest.mark.parametrize(
    ("value", "nl", "en"),
    [
        (123456, "€ 1.234,56", "€ 1,234.56"),
        (Decimal("1234.56"), "€ 1.234,56", "€ 1,234.56"),
        (5, "€ 0,05", "€ 0.05"),
        (123456789, "€ 1.234.567,89", "€ 1,234,567.89"),
        (-123456, "€ -1.234,56", "€ -1,234.56"),
        (0, "€ 0,00", "€ 0.00"),
        (Decimal("999.999"), "€ 1.000,00", "€ 1,000.00"),
    ],
)
def test_format_amount_in_dutch_and_english(value, nl, en):
    with translation.override("nl"):
        assert format_amount(value) == nl.replace(" ", NBSP)
    with translation.override("en"):
        assert format_amount(value) == en.replace(" ", NBSP)


def test_format_amount_uses_a_no_break_space():
    with translation.override("nl"):
        text = format_amount(123456)
    assert text == "€\u00a01.234,56"
    assert " " not in text
