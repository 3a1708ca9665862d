"""Filters for the figures of statements: shares as percentages, factors, counts."""

import base64
from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html

register = template.Library()


@register.filter
def percent(value, places: int = 1) -> str:
    """A fraction (0.1247) as the reader's locale writes a percentage: ``12,5 %``."""
    if value in (None, ""):
        return ""
    unit = Decimal(1).scaleb(-int(places))
    shown = (Decimal(value) * 100).quantize(unit, ROUND_HALF_UP)
    return f"{number_format(shown, decimal_pos=int(places))}\N{NO-BREAK SPACE}%"


@register.filter
def decimal2(value) -> str:
    """A factor or a tonnage with two decimals, in the reader's locale: ``1,18``."""
    if value in (None, ""):
        return ""
    return number_format(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP), decimal_pos=2)


@register.filter
def count(value) -> str:
    """A whole number grouped as the reader's locale does: ``2.242.000``."""
    if value in (None, ""):
        return ""
    return number_format(int(value), force_grouping=True)


@register.filter
def chart_img(svg: str, alt: str = "") -> str:
    """A chart of :mod:`reports.charts` as an image: the SVG in a data URL. So it keeps its
    own styles under the page's content security policy (no inline style on the page), and
    the PDF lays out the very same picture."""
    if not svg:
        return ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return format_html(
        '<img class="chart-img" src="data:image/svg+xml;base64,{}" alt="{}">', data, alt
    )
