"""Charts as SVG, drawn on the server with pygal (docs/statements.md, "Charts").

The same SVG serves the web page and the PDF: no JavaScript, no file fetched from anywhere
(pygal's tooltips script is switched off), amounts on the axes as the reader's locale writes
them. Each function takes plain figures (Decimals, labels) and returns the SVG as text, to be
put inline in a template with ``|safe`` (the labels are escaped by pygal's XML writer).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import pygal
from django.utils.formats import number_format
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#d0d0d0",
    opacity="0.85",
    opacity_hover="0.95",
    colors=("#0b6e4f", "#e09f3e", "#3a6ea5", "#9e2a2b", "#6c757d", "#8fb339", "#5e548e"),
    font_family="DejaVu Sans, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=10,
    legend_font_size=11,
    title_font_size=13,
    tooltip_font_size=10,
    guide_stroke_color="#e3e3e3",
    major_guide_stroke_color="#c8c8c8",
    guide_stroke_dasharray="1,0",
    major_guide_stroke_dasharray="1,0",
)

WIDTH, HEIGHT = 760, 330

# pygal writes its configuration as an inline script, ids for its (scripted) legend and a
# comment naming itself; none of it is drawn, and a page's CSP refuses inline scripts.
_UNDRAWN = re.compile(r"<script.*?</script>|<!--.*?-->|\sid=\"activate-serie-\d+\"", re.S)


def _svg(chart) -> str:
    return _UNDRAWN.sub("", chart.render(is_unicode=True))


def _euro(value) -> str:
    """Whole euros as the reader's locale writes them: ``€ 250.000`` (``€ 250,000``)."""
    if value is None:
        return ""
    euros = Decimal(str(value)).quantize(Decimal("1"), ROUND_HALF_UP)
    return f"€\N{NO-BREAK SPACE}{number_format(euros, decimal_pos=0, force_grouping=True)}"


def _options(title: str, **extra) -> dict:
    return {
        "title": title,
        "style": STYLE,
        "width": WIDTH,
        "height": HEIGHT,
        "js": [],  # no script from anywhere
        "disable_xml_declaration": True,
        "explicit_size": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 3,
        "print_values": False,
        "show_minor_x_labels": True,
        "truncate_legend": -1,
        "truncate_label": -1,
        "value_formatter": _euro,
        **extra,
    }


def _as_float(values: Sequence) -> list[float | None]:
    # pygal draws with floats; the figures stay Decimals everywhere else.
    return [None if v is None else float(v) for v in values]


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence]) -> str:
    """A line per series over ``labels`` (months, say)."""
    chart = pygal.Line(
        **_options(str(title), x_label_rotation=0, dots_size=2.5, show_x_guides=False)
    )
    chart.x_labels = [str(label) for label in labels]
    chart.x_labels_major_every = max(1, len(labels) // 8)
    chart.show_minor_x_labels = len(labels) <= 12
    for name, values in series.items():
        chart.add(str(name), _as_float(values))
    return _svg(chart)


def bar_chart(title: str, labels: Sequence[str], series: dict[str, Sequence]) -> str:
    """Bars side by side per label (disbursed against repaid per quarter, say)."""
    chart = pygal.Bar(**_options(str(title)))
    chart.x_labels = [str(label) for label in labels]
    for name, values in series.items():
        chart.add(str(name), _as_float(values))
    return _svg(chart)


def share_chart(title: str, parts: dict[str, Decimal]) -> str:
    """Horizontal bars of the parts of a whole (the portfolio by SDG or by kind)."""
    chart = pygal.HorizontalBar(**_options(str(title), show_legend=False, print_values=True))
    # pygal draws the first bar at the bottom: smallest first puts the largest on top.
    ordered = sorted(((str(k), v) for k, v in parts.items()), key=lambda item: (item[1], item[0]))
    chart.x_labels = [name for name, _value in ordered]
    chart.add(str(title), _as_float([value for _name, value in ordered]))
    return _svg(chart)
