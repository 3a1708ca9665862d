"""Rates and measures are typed the Dutch way: ``2,5`` is two and a half, never 25
(a browser's <input type=number> turned it into 25 without a word)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from fund.forms import DecimalTextField


class RateForm(forms.Form):
    rate = DecimalTextField(decimal_places=6, max_digits=9, min_value=0, max_value=100)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("2,5", "2.5"),
        ("2.5", "2.5"),
        ("2,50 %", "2.50"),
        ("0", "0"),
        ("100", "100"),
        ("٢,٥", "2.5"),
    ],
)
def test_a_rate_typed_with_a_comma_or_a_point(typed, value):
    with translation.override("nl"):
        form = RateForm({"rate": typed})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["rate"] == Decimal(value)


@pytest.mark.parametrize("typed", ["1.000,5", "2,5,1", "abc", "NaN", "1e3", "101", "-1", ","])
def test_a_rate_that_cannot_be_read_one_way_is_refused(typed):
    with translation.override("nl"):
        form = RateForm({"rate": typed})
        assert not form.is_valid()


def test_the_rate_box_is_text_and_shows_a_dutch_comma():
    with translation.override("nl"):
        html = str(RateForm(initial={"rate": Decimal("2.500000")})["rate"])
    assert 'type="text"' in html and 'value="2,5"' in html
    with translation.override("en"):
        html = str(RateForm(initial={"rate": Decimal("2.500000")})["rate"])
    assert 'value="2.5"' in html
