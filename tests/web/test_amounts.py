"""Amounts are typed the Dutch way in Dutch and the English way in English; what could be
read two ways, or holds fractions of a cent, is refused with a message, never rounded."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django import forms
from django.utils import translation

from fund.forms import money_field
from ledger.money import AmountSyntaxError, parse_amount


class AmountForm(forms.Form):
    amount = money_field("Bedrag")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60.000,00", D("60000.00")),
        ("60000,00", D("60000.00")),
        ("60000.00", D("60000.00")),
        ("€ 1.234,56", D("1234.56")),
        ("1.000.000", D("1000000.00")),
        ("12,5", D("12.50")),
        ("  91.000,00 ", D("91000.00")),
    ],
)
def test_dutch_amounts_are_read_as_written(text, expected):
    assert parse_amount(text, "nl") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("60.000", "niet eenduidig"),
        ("10.005", "niet eenduidig"),
        ("0,005", "ten hoogste 2 cijfers"),
        ("NaN", "geen bedrag"),
        ("Infinity", "geen bedrag"),
        ("1.2.3", "scheidingstekens"),
        ("12,50.00", "scheidingstekens"),
        ("", "Vul een bedrag in"),
    ],
)
def test_ambiguous_or_inexact_amounts_are_refused(text, message):
    with pytest.raises(AmountSyntaxError, match=message):
        parse_amount(text, "nl")


def test_english_reads_its_own_format():
    assert parse_amount("60,000.00", "en") == D("60000.00")
    assert parse_amount("60000.00", "en") == D("60000.00")
    with pytest.raises(AmountSyntaxError):
        parse_amount("60,000", "en")


def test_the_form_field_accepts_dutch_and_prefills_dutch():
    with translation.override("nl"):
        form = AmountForm(data={"amount": "60.000,00"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["amount"] == D("60000.00")
        refused = AmountForm(data={"amount": "10.005"})
        assert not refused.is_valid()
        assert "niet eenduidig" in refused.errors["amount"][0]
        shown = str(AmountForm(initial={"amount": D("91000.00")})["amount"])
        assert 'value="91.000,00"' in shown
        assert 'type="text"' in shown and 'inputmode="decimal"' in shown
    with translation.override("en"):
        shown = str(AmountForm(initial={"amount": D("91000.00")})["amount"])
        assert 'value="91,000.00"' in shown


def test_the_form_field_keeps_its_minimum():
    with translation.override("nl"):
        form = AmountForm(data={"amount": "0,00"})
        assert not form.is_valid()
