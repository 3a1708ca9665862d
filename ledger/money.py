"""The one module that owns precision and rounding of money.

Python code works in :class:`~decimal.Decimal`; the ledger stores integer minor units
(cents). Conversions are explicit: :func:`to_cents` refuses an amount that is not a whole
number of cents unless the caller names a rounding mode.
"""

from __future__ import annotations

import unicodedata
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import number_format
from moneyed import get_currency

BASE_CURRENCY = "EUR"
ZERO = Decimal("0.00")  # the one zero amount of the apps (the pure engines keep their own)
ROUNDING_MODES = {"half-up": ROUND_HALF_UP, "half-even": ROUND_HALF_EVEN}


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in the currency's minor unit."""


def minor_exponent(currency: str = BASE_CURRENCY) -> int:
    """Number of decimals of the currency's minor unit (2 for EUR)."""
    sub_unit = get_currency(currency).sub_unit
    exponent = len(str(sub_unit)) - 1
    if 10**exponent != sub_unit:  # pragma: no cover - no such currency in ISO 4217 today
        raise MoneyError(f"currency {currency} has a non-decimal minor unit")
    return exponent


def quantum(currency: str = BASE_CURRENCY) -> Decimal:
    return Decimal(1).scaleb(-minor_exponent(currency))


def as_decimal(value: Decimal | int | str) -> Decimal:
    """Coerce to Decimal; floats are refused because they are not exact."""
    if isinstance(value, float):
        raise MoneyError("floats are not accepted as money; use Decimal or a string")
    if isinstance(value, bool):
        raise MoneyError("a bool is not an amount")
    try:
        return value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc


def round_money(
    value: Decimal | int | str, currency: str = BASE_CURRENCY, rounding: str = "half-up"
) -> Decimal:
    """Round to the currency's minor unit with an explicit mode (half-up or half-even)."""
    if rounding not in ROUNDING_MODES:
        raise MoneyError(f"unknown rounding mode {rounding!r}; use half-up or half-even")
    amount = as_decimal(value)
    if not amount.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    try:
        return amount.quantize(quantum(currency), rounding=ROUNDING_MODES[rounding])
    except InvalidOperation as exc:  # more digits than a Decimal context holds (1e999)
        raise MoneyError(f"not an amount of money: {value!r}") from exc


def to_cents(
    value: Decimal | int | str, currency: str = BASE_CURRENCY, rounding: str | None = None
) -> int:
    """Decimal amount to integer minor units.

    Without ``rounding`` an amount with more decimals than the currency has is an error,
    so that no cent is lost silently.
    """
    amount = as_decimal(value)
    if not amount.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    rounded = round_money(amount, currency, rounding or "half-up")
    if rounding is None and rounded != amount:
        raise MoneyError(f"{amount} is not a whole number of {currency} minor units")
    return int(rounded.scaleb(minor_exponent(currency)))


def from_cents(cents: int, currency: str = BASE_CURRENCY) -> Decimal:
    """Integer minor units to a Decimal with the currency's decimals (1234 -> 12.34)."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise MoneyError(f"minor units must be an int, not {type(cents).__name__}")
    return Decimal(cents).scaleb(-minor_exponent(currency)).quantize(quantum(currency))


def format_amount(value: Decimal | int, currency: str = BASE_CURRENCY) -> str:
    """Display form in the active locale: ``€ 1.234,56`` in Dutch, ``€ 1,234.56`` in English.

    Ints are taken as minor units.
    """
    amount = from_cents(value, currency) if isinstance(value, int) else round_money(value, currency)
    symbol = "€" if currency == "EUR" else currency
    text = number_format(abs(amount), decimal_pos=minor_exponent(currency), force_grouping=True)
    sign = "-" if amount < 0 else ""
    return f"{symbol}\N{NO-BREAK SPACE}{sign}{text}"


class AmountSyntaxError(ValueError):
    """Text that is not an amount, or whose reading is ambiguous; the message says why."""


_SEPARATORS = {"nl": (",", "."), "en": (".", ",")}  # language: (decimal, grouping)


def _grouped(text: str, group: str) -> bool:
    """``1.234.567`` is grouped by thousands: the first part 1-3 digits, the rest 3."""
    parts = text.split(group)
    return (
        all(p.isdigit() for p in parts)
        and 1 <= len(parts[0]) <= 3
        and all(len(p) == 3 for p in parts[1:])
    )


def parse_amount(text: str, language: str = "nl", decimals: int = 2) -> Decimal:
    """Read an amount as a person types it, exactly, without rounding.

    Dutch reads ``60.000,00``, ``60000,00`` and ``60000.00`` as sixty thousand; English reads
    ``60,000.00``, ``60000.00`` and ``60000,00``. With both separators the last one is the
    decimal separator and the other must group by thousands. A single separator followed by
    exactly three digits (``60.000``, ``10.005``, ``60,000``) could be either, so it is refused,
    and so are more than ``decimals`` decimals, letters, ``NaN`` and infinities: nothing is
    rounded silently. Messages are translated by the caller's active language.
    """
    from django.utils.translation import gettext as _

    decimal_sep, group_sep = _SEPARATORS.get((language or "nl")[:2], _SEPARATORS["nl"])
    raw = str(text).strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    raw = raw.replace("\u2009", "").replace("'", "")
    # Digits of any script as ASCII (a full-width ５ is a 5); a superscript ² is no digit.
    raw = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in raw)
    sign = ""
    if raw and raw[0] in "+-":
        sign, raw = ("-" if raw[0] == "-" else ""), raw[1:]
    if not raw:
        raise AmountSyntaxError(_("Vul een bedrag in."))
    if not all(ch in "0123456789.," for ch in raw) or not any(ch in "0123456789" for ch in raw):
        raise AmountSyntaxError(_("Dit is geen bedrag; typ bijvoorbeeld 1.234,56."))
    dots, commas = raw.count("."), raw.count(",")
    whole, fraction = raw, ""
    if dots and commas:
        last = max(raw.rfind("."), raw.rfind(","))
        point, group = raw[last], ("," if raw[last] == "." else ".")
        whole, fraction = raw[:last], raw[last + 1 :]
        if point in whole or not _grouped(whole, group):
            raise AmountSyntaxError(
                _("De scheidingstekens kloppen niet; typ bijvoorbeeld 1.234,56 of 1234,56.")
            )
        whole = whole.replace(group, "")
    elif dots or commas:
        sep = "." if dots else ","
        parts = raw.split(sep)
        if len(parts) > 2:
            if not _grouped(raw, sep):
                raise AmountSyntaxError(
                    _("De scheidingstekens kloppen niet; typ bijvoorbeeld 1.234,56 of 1234,56.")
                )
            whole = raw.replace(sep, "")
        elif len(parts[1]) == 3 and parts[0] not in ("", "0"):
            whole_reading = f"{parts[0]}{group_sep}{parts[1]}{decimal_sep}00"
            cents = parts[1].rstrip("0")
            if len(cents) <= decimals:
                raise AmountSyntaxError(
                    _("“%(text)s” is niet eenduidig: bedoelt u %(whole)s of %(small)s?")
                    % {
                        "text": text.strip(),
                        "whole": whole_reading,
                        "small": f"{parts[0]}{decimal_sep}{parts[1][:decimals]}",
                    }
                )
            raise AmountSyntaxError(
                _("“%(text)s” is niet eenduidig: bedoelt u %(whole)s? Schrijf de centen erbij.")
                % {"text": text.strip(), "whole": whole_reading}
            )
        else:
            whole, fraction = parts
    if len(fraction) > decimals:
        raise AmountSyntaxError(
            _("Een bedrag heeft ten hoogste %(n)d cijfers achter de komma.") % {"n": decimals}
        )
    if len((whole or "0").lstrip("0")) > MAX_WHOLE_DIGITS:
        raise AmountSyntaxError(_("Dit bedrag is te groot om te boeken."))
    return Decimal(f"{sign}{whole or '0'}.{fraction or '0'}").quantize(Decimal(1).scaleb(-decimals))


# Ten trillion: the ledger's own limit per line (ledger.services.MAX_LINE_CENTS) is 10**15
# cents; an amount with more digits is no amount any fund holds, and would not fit a Decimal.
MAX_WHOLE_DIGITS = 13
