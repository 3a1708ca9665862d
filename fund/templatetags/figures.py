"""Rates and counts in templates, in the active language's format.

``{{ loan.annual_rate|rate }}`` gives ``2,5 %`` and ``3 %`` in Dutch (``2.5 %`` in English):
only the decimals the rate needs, so one format wherever a rate shows.
``{{ application.kwh_per_year|number }}`` gives ``334.000`` (``334,000`` in English).
"""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format

register = template.Library()

RATE_PLACES = 4  # the most decimals a rate is kept with


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def format_rate(value) -> str:
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    number = number.quantize(Decimal(1).scaleb(-RATE_PLACES)).normalize()
    places = max(0, -number.as_tuple().exponent)
    if places == 0:
        number = number.quantize(Decimal(1))  # 3E+1 -> 30
    return f"{number_format(number, decimal_pos=places)} %"


def format_number(value) -> str:
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    places = max(0, -number.as_tuple().exponent)
    return number_format(number, decimal_pos=places, force_grouping=True)


@register.filter
def rate(value) -> str:
    """A rate in percent with only the decimals it needs: ``2,5 %``, ``3 %``, ``0,125 %``."""
    return format_rate(value)


@register.filter
def number(value) -> str:
    """A count or quantity with the thousands separator: ``334.000``."""
    return format_number(value)
