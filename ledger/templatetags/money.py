"""Money in templates: ``{{ cents|cents }}`` for ledger minor units, ``{{ amount|euro }}``
for Decimal or Money. Both give ``€ 1.234,56`` in Dutch and ``€ 1,234.56`` in English."""

from decimal import Decimal

from django import template
from moneyed import Money

from ledger.money import format_amount

register = template.Library()


@register.filter
def cents(value, currency="EUR"):
    if value is None or value == "":
        return ""
    return format_amount(int(value), currency)


@register.filter
def euro(value):
    if value is None or value == "":
        return ""
    if isinstance(value, Money):
        return format_amount(value.amount, str(value.currency))
    return format_amount(Decimal(value))
