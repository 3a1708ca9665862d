"""The server's charts (reports/charts.py): SVG without script, the amounts as the reader's
locale writes them, and as an image that keeps its own styles under the page's CSP."""

from __future__ import annotations

import base64
import re
from decimal import Decimal

from django.utils import translation

from reports import charts
from reports.templatetags.statement_figures import chart_img, count, decimal2, percent

MONTHS = ["10-2026", "11-2026", "12-2026"]


def _text(svg: str) -> list[str]:
    return [t.strip() for t in re.findall(r">([^<>]+)<", svg) if t.strip()]


def test_a_line_chart_is_svg_without_script_or_anything_fetched():
    svg = charts.line_chart("Pool", MONTHS, {"Bank": [Decimal("100000.00")] * 3})
    assert svg.startswith("<svg")
    assert "<script" not in svg
    assert "http://kozea" not in svg and "pygal.org" not in svg
    assert 'id="activate-serie' not in svg


def test_the_axes_speak_the_readers_language():
    values = {"Bank": [Decimal("1000.00"), Decimal("250000.00"), Decimal("500000.00")]}
    with translation.override("nl"):
        dutch = _text(charts.line_chart("Pool", MONTHS, values))
    with translation.override("en"):
        english = _text(charts.line_chart("Pool", MONTHS, values))
    assert "€\xa0500.000" in dutch
    assert "€\xa0500,000" in english
    assert all(month in dutch for month in MONTHS)  # labels are never cut short


def test_a_share_chart_puts_the_largest_part_on_top():
    svg = charts.share_chart("Per soort", {"Klein": Decimal("10"), "Groot": Decimal("90")})
    labels = [t for t in _text(svg) if t in ("Klein", "Groot")]
    # pygal draws the first label at the bottom: the smallest comes first.
    assert labels[:2] == ["Klein", "Groot"]


def test_a_bar_chart_has_a_series_per_name():
    svg = charts.bar_chart("Per kwartaal", ["K1", "K2"], {"Uit": [1, 2], "Terug": [3, 4]})
    assert "Uit" in _text(svg) and "Terug" in _text(svg)


def test_the_image_holds_the_same_svg():
    svg = charts.line_chart("Pool", MONTHS, {"Bank": [1, 2, 3]})
    tag = chart_img(svg, "De pool")
    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', tag).group(1)
    assert base64.b64decode(data).decode() == svg
    assert 'alt="De pool"' in tag
    assert chart_img("", "leeg") == ""


def test_shares_factors_and_counts_in_the_readers_locale():
    with translation.override("nl"):
        assert percent(Decimal("0.1247"), 1) == "12,5\xa0%"
        assert decimal2(Decimal("1.175")) == "1,18"
        assert count(2242000) == "2.242.000"
    with translation.override("en"):
        assert percent(Decimal("0.1247"), 2) == "12.47\xa0%"
        assert count(2242000) == "2,242,000"
