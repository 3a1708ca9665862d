"""Amortisation engine: loan terms in, an instalment schedule out.

Pure Python: no Django, no database, no floats. It takes ``Decimal`` amounts and ``date``s and
returns immutable values (frozen dataclasses; the rows are typed NamedTuples, for speed). It is
the one place where instalments are computed (ARCHITECTURE
section 5); the loans app persists and services what :func:`build_schedule` returns, and
``manage.py schedule`` prints it. Every convention is written down in ``docs/schedule.md``.

Arithmetic is exact. Amounts are Decimals with ``terms.decimals`` places; each rounding step takes
the exact value (a rational number) and rounds it once, with the contract's mode:

* the level payment of an annuity comes from the closed form
  ``B * r * (1 + r)**m / ((1 + r)**m - 1)`` (``r`` the periodic rate), evaluated with 60-digit
  Decimals and, when that value lies within 10**-20 of a rounding tie, with exact integers; so a
  payment that sits exactly on a tie is rounded as the contract says, which a float ``pmt``
  cannot promise. numpy-financial is the independent oracle for it in the tests;
* the interest of a row is ``balance * rate * time``, multiplied in a 50-digit Decimal context and
  quantised once. The exact value has a denominator of at most about 10**16 (amounts with at most
  2 places, rates with at most 6, day counts over 360, 365 or 365 * 366), so it lies at least
  10**-16 away from any tie it does not sit on, while the 50-digit product is off by less than
  10**-35: the quantised result is the exactly rounded one.

Restructuring and prepayment use the same entry point: ``build_schedule`` with
``principal=<outstanding balance>``, ``start=<the date>``, ``first_due=<next due date>``,
``periods=<remaining instalments>`` and ``due_day=<the original day of the month>`` continues the
original calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import (
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import StrEnum
from fractions import Fraction
from typing import NamedTuple

__all__ = [
    "DayCount",
    "Frequency",
    "GraceInterest",
    "Instalment",
    "InterestMethod",
    "LoanTerms",
    "Method",
    "Rounding",
    "Schedule",
    "ScheduleError",
    "accrued_interest",
    "add_months",
    "add_periods",
    "build_schedule",
    "days_30e_360",
    "due_dates",
    "level_payment",
    "level_payment_exact",
    "periodic_interest",
    "year_fraction",
]

MAX_PRINCIPAL = Decimal("1000000000000")  # one trillion: far above any fund, keeps arithmetic exact
MAX_BALANCE = MAX_PRINCIPAL * 1000  # a balance grown by capitalised interest may not pass this
MAX_RATE = Decimal(100)  # percent per year
MAX_RATE_DECIMALS = 6
MAX_PERIODS = 1200  # a hundred years of monthly instalments
ALLOWED_DECIMALS = (0, 2)


class ScheduleError(ValueError):
    """Loan terms that make no schedule; the message is one line that names the problem."""


class Method(StrEnum):
    """How the principal is repaid."""

    ANNUITY = "annuity"  # equal instalments (principal + interest)
    LINEAR = "linear"  # equal principal parts, interest on top
    BULLET = "bullet"  # interest only, all principal with the last instalment


class Frequency(StrEnum):
    """How often an instalment falls due."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMI_ANNUAL = "semi-annual"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        """Months between two due dates."""
        return _MONTHS[self]

    @property
    def per_year(self) -> int:
        """Instalments per year: the divisor of the annual rate under period interest."""
        return 12 // _MONTHS[self]


_MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.SEMI_ANNUAL: 6,
    Frequency.ANNUAL: 12,
}


class InterestMethod(StrEnum):
    """How the interest of a row is computed."""

    PERIOD = "period"  # balance * annual rate / instalments per year, whatever the period's length
    DAILY = "daily"  # balance * annual rate * year fraction under the day count


class DayCount(StrEnum):
    """Day-count conventions for daily interest (see :func:`year_fraction`)."""

    THIRTY_E_360 = "30E/360"
    ACT_365 = "ACT/365"
    ACT_ACT = "ACT/ACT"
    ACT_360 = "ACT/360"


class Rounding(StrEnum):
    """Rounding mode of every rounded amount."""

    HALF_UP = "half-up"
    HALF_EVEN = "half-even"

    @property
    def decimal_mode(self) -> str:
        """The matching ``decimal`` rounding constant."""
        return ROUND_HALF_UP if self is Rounding.HALF_UP else ROUND_HALF_EVEN


class GraceInterest(StrEnum):
    """What happens to the interest of a full-grace period."""

    CAPITALISE = "capitalise"  # added to the balance, so it bears interest itself
    DEFER = "defer"  # not compounded; collected with the first instalment that is paid


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------

_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and _is_leap(year):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def _anchor_day(day: date, due_day: int | None) -> int:
    """The day of the month a series aims for: ``due_day``, else month end (31) or ``day.day``."""
    if due_day is not None:
        return due_day
    if day.day == _days_in_month(day.year, day.month):
        return 31
    return day.day


def add_months(day: date, months: int, *, due_day: int | None = None) -> date:
    """The date ``months`` calendar months after ``day`` (before it if negative).

    The result falls on ``due_day`` (default: the day of ``day``, or the month end if ``day`` is the
    last day of its month) and falls back to the last day of a shorter month: 31 January + 1 month
    is 29 February 2024, and 29 February 2024 + 1 month is 31 March (month end stays month end).
    """
    anchor = _anchor_day(day, due_day)
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month0 + 1
    try:
        return date(year, month, min(anchor, _days_in_month(year, month)))
    except ValueError as exc:  # year outside 1..9999
        raise ScheduleError(f"date {months} months after {day} is out of range") from exc


def add_periods(
    day: date, frequency: Frequency | str, count: int, *, due_day: int | None = None
) -> date:
    """The date ``count`` repayment periods after ``day``, with the month-end rule of add_months."""
    return add_months(
        day, count * _to_enum(Frequency, frequency, "frequency").months, due_day=due_day
    )


def due_dates(
    first_due: date, frequency: Frequency | str, count: int, *, due_day: int | None = None
) -> tuple[date, ...]:
    """The first ``count`` due dates: ``first_due`` and every period after it.

    Each date is computed from ``first_due`` (never from the previous date), so a day such as the
    30th comes back after February: 30 Jan, 29 Feb, 30 Mar. A ``first_due`` at a month end keeps
    month ends (31 Jan, 29 Feb, 31 Mar) unless ``due_day`` says otherwise.
    """
    step = _to_enum(Frequency, frequency, "frequency").months
    return tuple(_calendar(first_due, first_due, step, count, due_day)[0])


# Due dates repeat across the loans of a fund (and across a batch of schedules), and building a
# date object is a large part of a row's cost: keep the (date, ordinal) of each (year, month,
# anchor day) seen. Dates are immutable, so sharing them is safe.
_DAY_CACHE: dict[int, tuple[date, int]] = {}
_DAY_CACHE_LIMIT = 200_000  # about 550 years of days; cleared when full


def _calendar(
    start: date, first_due: date, step: int, count: int, due_day: int | None
) -> tuple[list[date], list[int]]:
    """Due dates every ``step`` months from ``first_due``, and the actual days of each period."""
    anchor = _anchor_day(first_due, due_day)
    year, month = first_due.year, first_due.month
    cache = _DAY_CACHE
    if len(cache) > _DAY_CACHE_LIMIT:
        cache.clear()
    lookup = cache.get
    dates: list[date] = []
    days: list[int] = []
    add_date = dates.append
    add_days = days.append
    previous = start.toordinal()
    try:
        for _ in range(count):
            key = (year * 16 + month) * 32 + anchor
            hit = lookup(key)
            if hit is None:
                value = date(year, month, min(anchor, _days_in_month(year, month)))
                hit = cache[key] = (value, value.toordinal())
            value, ordinal = hit
            add_date(value)
            add_days(ordinal - previous)
            previous = ordinal
            month += step
            if month > 12:
                month -= 12
                year += 1
    except ValueError as exc:
        raise ScheduleError(f"{count} due dates from {first_due} run past the year 9999") from exc
    return dates, days


def days_30e_360(start: date, end: date) -> int:
    """Days from ``start`` to ``end`` under 30E/360 (Eurobond basis): a day 31 counts as 30.

    Every month has 30 days, the 31st is treated as the 30th on both dates, and February keeps its
    actual end (28 February to 31 March is 32 days), as in ISDA 2006 section 4.16(g).
    """
    d1 = 30 if start.day == 31 else start.day
    d2 = 30 if end.day == 31 else end.day
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def _act_act_split(start: date, end: date) -> tuple[int, int]:
    """Actual days from ``start`` to ``end`` that lie in common years and in leap years."""
    common = leap = 0
    cursor = start
    while cursor < end:
        boundary = date(cursor.year + 1, 1, 1) if cursor.year < end.year else end
        days = (boundary - cursor).days
        if _is_leap(cursor.year):
            leap += days
        else:
            common += days
        cursor = boundary
    return common, leap


def year_fraction(start: date, end: date, day_count: DayCount | str) -> Fraction:
    """The exact fraction of a year from ``start`` to ``end`` under ``day_count``.

    * 30E/360: :func:`days_30e_360` / 360;
    * ACT/365 (fixed): actual days / 365, in leap years too;
    * ACT/360: actual days / 360;
    * ACT/ACT (ISDA): the period is split at 1 January; days in a common year count 1/365,
      days in a leap year 1/366.
    """
    convention = _to_enum(DayCount, day_count, "day count")
    if end < start:
        raise ScheduleError(f"year fraction from {start} back to {end}")
    if convention is DayCount.THIRTY_E_360:
        return Fraction(days_30e_360(start, end), 360)
    if convention is DayCount.ACT_ACT:
        common, leap = _act_act_split(start, end)
        return Fraction(common, 365) + Fraction(leap, 366)
    days = (end - start).days
    return Fraction(days, 365 if convention is DayCount.ACT_365 else 360)


# ---------------------------------------------------------------------------------------------
# Exact rounding
# ---------------------------------------------------------------------------------------------


def _round_div(num: int, den: int, rounding: Rounding) -> int:
    """``num / den`` rounded to an integer (``den > 0``); half-up rounds ties away from zero."""
    if num < 0:
        return -_round_div(-num, den, rounding)
    quotient, remainder = divmod(num, den)
    twice = 2 * remainder
    if twice > den or (twice == den and (rounding is Rounding.HALF_UP or quotient % 2 == 1)):
        quotient += 1
    return quotient


def _round_fraction(value: Fraction, unit: Decimal, rounding: Rounding) -> int:
    """How many ``unit``s ``value`` rounds to."""
    step = Fraction(unit)
    return _round_div(
        value.numerator * step.denominator, value.denominator * step.numerator, rounding
    )


def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def _from_units(units: int, decimals: int) -> Decimal:
    """``units`` hundredths (or whole units) as a Decimal with exactly ``decimals`` places."""
    return Decimal(units).scaleb(-decimals).quantize(_quantum(decimals))


def _periodic_rate(annual_rate: Decimal, frequency: Frequency) -> Fraction:
    return Fraction(annual_rate) / (100 * frequency.per_year)


def level_payment_exact(
    principal: Decimal, annual_rate: Decimal, periods: int, frequency: Frequency | str
) -> Fraction:
    """The unrounded level payment that repays ``principal`` in ``periods`` equal instalments.

    ``annual_rate`` is the nominal rate in percent; the periodic rate is ``annual_rate / 100 /
    instalments per year``. With a rate of 0 the payment is ``principal / periods``. The result is
    exact (a Fraction), so rounding it is a deliberate, single step: see :func:`level_payment`.
    """
    freq = _to_enum(Frequency, frequency, "frequency")
    if periods < 1:
        raise ScheduleError(f"periods must be at least 1, got {periods}")
    amount = Fraction(_to_decimal(principal, "principal"))
    rate = _periodic_rate(_to_decimal(annual_rate, "annual rate"), freq)
    if rate == 0:
        return amount / periods
    a, b = rate.numerator, rate.denominator
    growth = (a + b) ** periods
    return Fraction(amount.numerator * a * growth, amount.denominator * b * (growth - b**periods))


# Working precision of the level payment: 60 digits put the Decimal value within 10**-40 of the
# exact one for any allowed terms, far inside the 10**-20 band around a tie in which
# _level_units falls back to exact integer arithmetic.
_PMT_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero])
_TIE_BAND = Decimal("1e-20")
_HALF = Decimal("0.5")


def _level_units(
    principal: Decimal,
    annual_rate: Decimal,
    periods: int,
    frequency: Frequency,
    unit: Decimal,
    rounding: Rounding,
) -> int:
    """How many ``unit``s the exact level payment rounds to.

    Fast path in 60-digit Decimals; when the value comes within 10**-20 units of a tie (or the
    rate is 0), the exact rational value decides instead.
    """
    if annual_rate:
        with localcontext(_PMT_CONTEXT):
            rate = annual_rate / (100 * frequency.per_year)
            growth = (1 + rate) ** periods
            units = principal * rate * growth / ((growth - 1) * unit)
            whole = units.to_integral_value(rounding=ROUND_FLOOR)
            above_half = units - whole - _HALF
            if abs(above_half) > _TIE_BAND:
                return int(whole) + (1 if above_half > 0 else 0)
    exact = level_payment_exact(principal, annual_rate, periods, frequency)
    return _round_fraction(exact, unit, rounding)


def level_payment(
    principal: Decimal,
    annual_rate: Decimal,
    periods: int,
    frequency: Frequency | str = Frequency.MONTHLY,
    *,
    decimals: int = 2,
    rounding: Rounding | str = Rounding.HALF_UP,
    multiple: Decimal | None = None,
) -> Decimal:
    """The level payment of an annuity, rounded once from its exact value.

    The exact value (:func:`level_payment_exact`) is rounded to ``decimals`` places with
    ``rounding``, or, when ``multiple`` is given, straight to the nearest multiple of it (for
    example whole euros) with the same mode, so there is never a double rounding. The result has
    ``decimals`` places. ``numpy_financial.pmt`` computes the same value in float; the tests use it
    as an independent oracle, the engine does not, because a float cannot round a tie exactly.
    """
    mode = _to_enum(Rounding, rounding, "rounding")
    freq = _to_enum(Frequency, frequency, "frequency")
    if periods < 1:
        raise ScheduleError(f"periods must be at least 1, got {periods}")
    unit = _quantum(decimals) if multiple is None else _to_decimal(multiple, "multiple")
    if unit <= 0:
        raise ScheduleError(f"multiple must be positive, got {unit}")
    units = _level_units(
        _to_decimal(principal, "principal"),
        _to_decimal(annual_rate, "annual rate"),
        periods,
        freq,
        unit,
        mode,
    )
    with localcontext(_CONTEXT):
        return (Decimal(units) * unit).quantize(_quantum(decimals))


def periodic_interest(
    balance: Decimal,
    annual_rate: Decimal,
    frequency: Frequency | str,
    *,
    decimals: int = 2,
    rounding: Rounding | str = Rounding.HALF_UP,
) -> Decimal:
    """Interest of one repayment period: ``balance * annual_rate / 100 / instalments per year``."""
    freq = _to_enum(Frequency, frequency, "frequency")
    mode = _to_enum(Rounding, rounding, "rounding")
    value = Fraction(_to_decimal(balance, "balance"))
    value *= _periodic_rate(_to_decimal(annual_rate, "annual rate"), freq)
    return _from_units(_round_fraction(value, _quantum(decimals), mode), decimals)


def accrued_interest(
    balance: Decimal,
    annual_rate: Decimal,
    start: date,
    end: date,
    day_count: DayCount | str,
    *,
    decimals: int = 2,
    rounding: Rounding | str = Rounding.HALF_UP,
) -> Decimal:
    """Daily interest from ``start`` to ``end``: ``balance * annual_rate / 100 * year fraction``.

    The same rule the engine uses for a row under daily interest; the loans app uses it for
    month-end accruals and payoff quotes.
    """
    mode = _to_enum(Rounding, rounding, "rounding")
    value = Fraction(_to_decimal(balance, "balance"))
    value *= Fraction(_to_decimal(annual_rate, "annual rate")) / 100
    value *= year_fraction(start, end, day_count)
    return _from_units(_round_fraction(value, _quantum(decimals), mode), decimals)


# ---------------------------------------------------------------------------------------------
# Terms and schedule
# ---------------------------------------------------------------------------------------------


def _to_enum(enum_type, value, label: str):
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum_type)
        raise ScheduleError(f"unknown {label} {value!r}; expected one of {choices}") from None


def _to_decimal(value, label: str) -> Decimal:
    if isinstance(value, bool | float):
        raise ScheduleError(f"{label} must be a Decimal, not {type(value).__name__} {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ScheduleError(f"{label} {value!r} is not a number") from None
    else:
        raise ScheduleError(f"{label} must be a Decimal, not {type(value).__name__}")
    if not number.is_finite():
        raise ScheduleError(f"{label} must be a finite number, got {number}")
    return number


def _to_int(value, label: str, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScheduleError(f"{label} must be a whole number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ScheduleError(f"{label} must be {bound}, got {value}")
    return value


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _to_date(value, label: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ScheduleError(f"{label} must be a date, got {value!r}")
    return value


@dataclass(frozen=True)
class LoanTerms:
    """The contract terms of a loan (or of its outstanding balance, for a restructuring).

    Validated on construction; a problem raises :class:`ScheduleError` with one line naming it.
    Strings are accepted for the enum fields and for the amounts, and normalised: ``principal``
    gets ``decimals`` places, enum fields become their enum.

    * ``principal``: positive, at most ``decimals`` places, at most 10**12.
    * ``annual_rate``: nominal rate in percent per year, 0 to 100, at most 6 places.
    * ``periods``: number of instalments, grace periods included (1 to 1200).
    * ``start``: disbursement date, interest runs from it; ``first_due`` must be after it.
    * ``interest`` / ``day_count``: period interest (``rate / instalments per year``) or daily
      interest under the day count; the day count is ignored under period interest.
    * ``grace_full``: first instalments with no payment at all; their interest is capitalised or
      deferred (``grace_interest``, required when there is full grace).
    * ``grace_principal``: the next instalments pay interest only. The principal is amortised
      over the remaining ``periods - grace_full - grace_principal`` instalments (at least one).
    * ``decimals`` (0 or 2) and ``rounding``: every amount is rounded to ``decimals`` places.
    * ``instalment_multiple``: round the annuity's level payment (the linear principal part) to a
      multiple of this amount, e.g. ``Decimal(1)`` for whole euros. Not for bullet loans.
    * ``level_payment``: annuity only: pay this level amount instead of the computed one (a
      prepayment that shortens the term keeps the instalment); rows after the loan is repaid
      pay nothing, so the caller takes the rows up to the one that repays it.
    * ``due_day``: the day of the month due dates aim for (1 to 31, 31 meaning month end); by
      default ``first_due``'s day, or month end if ``first_due`` is the last day of its month.
    """

    principal: Decimal
    annual_rate: Decimal
    periods: int
    frequency: Frequency
    method: Method
    start: date
    first_due: date
    interest: InterestMethod = InterestMethod.PERIOD
    day_count: DayCount = DayCount.THIRTY_E_360
    grace_principal: int = 0
    grace_full: int = 0
    grace_interest: GraceInterest | None = None
    decimals: int = 2
    rounding: Rounding = Rounding.HALF_UP
    instalment_multiple: Decimal | None = None
    due_day: int | None = None
    level_payment: Decimal | None = None

    def __post_init__(self) -> None:
        put = object.__setattr__
        decimals = self.decimals
        if isinstance(decimals, bool) or decimals not in ALLOWED_DECIMALS:
            raise ScheduleError(f"decimals must be 0 or 2, got {decimals!r}")
        quantum = _quantum(decimals)

        principal = _to_decimal(self.principal, "principal")
        if principal <= 0:
            raise ScheduleError(f"principal must be positive, got {principal}")
        if principal > MAX_PRINCIPAL:
            raise ScheduleError(f"principal {principal} exceeds the maximum {MAX_PRINCIPAL}")
        if _places(principal) > decimals:
            raise ScheduleError(f"principal {principal} has more than {decimals} decimals")
        put(self, "principal", principal.quantize(quantum))

        rate = _to_decimal(self.annual_rate, "annual rate")
        if rate < 0 or rate > MAX_RATE:
            raise ScheduleError(f"annual rate must be between 0 and 100 percent, got {rate}")
        if _places(rate) > MAX_RATE_DECIMALS:
            raise ScheduleError(f"annual rate {rate} has more than {MAX_RATE_DECIMALS} decimals")
        put(self, "annual_rate", rate)

        periods = _to_int(self.periods, "periods", 1, MAX_PERIODS)
        frequency = _to_enum(Frequency, self.frequency, "frequency")
        method = _to_enum(Method, self.method, "method")
        put(self, "frequency", frequency)
        put(self, "method", method)
        put(self, "interest", _to_enum(InterestMethod, self.interest, "interest method"))
        put(self, "day_count", _to_enum(DayCount, self.day_count, "day count"))
        put(self, "rounding", _to_enum(Rounding, self.rounding, "rounding"))

        start = _to_date(self.start, "start")
        first_due = _to_date(self.first_due, "first due date")
        if first_due < start:
            raise ScheduleError(f"first due date {first_due} is before the start date {start}")
        if first_due == start:
            raise ScheduleError(f"first due date {first_due} is the start date; it must be later")
        last_year = first_due.year + ((periods - 1) * frequency.months + first_due.month - 1) // 12
        if last_year > 9999:
            raise ScheduleError(f"{periods} {frequency} instalments run past the year 9999")

        if self.due_day is not None:
            due_day = _to_int(self.due_day, "due day", 1, 31)
            expected = min(due_day, _days_in_month(first_due.year, first_due.month))
            if first_due.day != expected:
                raise ScheduleError(
                    f"first due date {first_due} does not fall on due day {due_day}"
                )

        grace_full = _to_int(self.grace_full, "full grace periods", 0)
        grace_principal = _to_int(self.grace_principal, "principal grace periods", 0)
        if grace_full + grace_principal >= periods:
            raise ScheduleError(
                f"grace of {grace_full} full + {grace_principal} principal periods leaves no "
                f"repayment out of {periods} periods"
            )
        if self.grace_interest is not None:
            put(
                self,
                "grace_interest",
                _to_enum(GraceInterest, self.grace_interest, "grace interest"),
            )
        elif grace_full:
            raise ScheduleError("full grace needs a grace interest treatment: capitalise or defer")

        multiple = self.instalment_multiple
        if multiple is not None:
            multiple = _to_decimal(multiple, "instalment multiple")
            if multiple <= 0:
                raise ScheduleError(f"instalment multiple must be positive, got {multiple}")
            if _places(multiple) > decimals:
                raise ScheduleError(
                    f"instalment multiple {multiple} has more than {decimals} decimals"
                )
            if multiple > MAX_PRINCIPAL:
                raise ScheduleError(
                    f"instalment multiple {multiple} exceeds the maximum {MAX_PRINCIPAL}"
                )
            if method is Method.BULLET:
                raise ScheduleError("an instalment multiple does not apply to a bullet loan")
            put(self, "instalment_multiple", multiple)

        level = self.level_payment
        if level is not None:
            level = _to_decimal(level, "level payment")
            if method is not Method.ANNUITY:
                raise ScheduleError("a level payment applies to an annuity only")
            if level <= 0 or _places(level) > decimals:
                raise ScheduleError(
                    f"level payment must be positive with at most {decimals} decimals"
                )
            if multiple is not None:
                raise ScheduleError("a level payment and an instalment multiple exclude each other")
            put(self, "level_payment", level.quantize(quantum))

    @property
    def amortising_periods(self) -> int:
        """Instalments that repay principal: periods minus both kinds of grace."""
        return self.periods - self.grace_full - self.grace_principal


class Instalment(NamedTuple):
    """One row of a schedule; ``payment == principal + interest`` and
    ``balance == opening_balance - principal`` hold for every row.

    * ``days``: actual days since the previous due date (the start date for row 1), whatever the
      interest method.
    * ``principal``: the principal part. Negative in a full-grace row whose interest is
      capitalised: the interest is added to the balance instead of being paid.
    * ``interest``: interest due on ``due_date``. Under deferred full grace the grace rows show 0
      and the first paying row carries the deferred interest on top of its own.
    * ``payment``: the amount due on ``due_date`` (0 in full grace).
    * ``balance``: outstanding principal after this instalment.

    An immutable, typed NamedTuple rather than a frozen dataclass: the same guarantees, but a row
    is built three times faster, and rows are most of the engine's work (bench/schedule.py).
    Use ``row._replace(...)`` and ``row._asdict()`` where a dataclass would use ``replace`` and
    ``asdict``.
    """

    n: int
    due_date: date
    days: int
    opening_balance: Decimal
    principal: Decimal
    interest: Decimal
    payment: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Schedule:
    """A complete schedule for ``terms``.

    ``instalment`` is the regular amount quoted to the borrower: for an annuity the level payment;
    for a linear loan the level principal part (interest comes on top); for a bullet loan the
    interest of one period at the periodic rate. Grace rows, the deferred interest and the last
    row (which absorbs every rounding difference) can differ from it.
    ``total_principal`` equals ``terms.principal`` exactly.
    """

    terms: LoanTerms
    instalment: Decimal
    rows: tuple[Instalment, ...]
    total_interest: Decimal
    total_principal: Decimal
    total_payment: Decimal

    @property
    def maturity(self) -> date:
        """Due date of the last instalment."""
        return self.rows[-1].due_date


# 50 significant digits: see the module docstring for why this makes each quantize exact.
_CONTEXT = Context(
    prec=50, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)

_tuple_new = tuple.__new__


def _row(n, due, days, opening, principal, interest, payment, balance) -> Instalment:
    return _tuple_new(Instalment, (n, due, days, opening, principal, interest, payment, balance))


def _interest_factors(terms: LoanTerms, dates: list[date], days: list[int]) -> list[Decimal]:
    """Per row, the factor that turns the opening balance into unrounded interest.

    Called inside the 50-digit context. Under daily interest the factor depends only on the
    period's day count, so it is computed once per distinct count.
    """
    rate = terms.annual_rate
    if terms.interest is InterestMethod.PERIOD:
        return [rate / (100 * terms.frequency.per_year)] * len(dates)
    convention = terms.day_count
    if convention is DayCount.ACT_365 or convention is DayCount.ACT_360:
        basis = 36500 if convention is DayCount.ACT_365 else 36000
        by_days = {actual: rate * actual / basis for actual in set(days)}
        return [by_days[actual] for actual in days]
    if convention is DayCount.THIRTY_E_360:
        # days_30e_360 as a difference of "30E serial numbers": 360 y + 30 m + min(d, 30)
        start = terms.start
        serials = [360 * start.year + 30 * start.month + (30 if start.day == 31 else start.day)]
        serials.extend(360 * d.year + 30 * d.month + (30 if d.day == 31 else d.day) for d in dates)
        keys: list = [later - earlier for earlier, later in zip(serials, serials[1:], strict=False)]
        by_key = {key: rate * key / 36000 for key in set(keys)}
    else:  # ACT/ACT ISDA: days in common and in leap years
        keys = []
        previous = terms.start
        year, leap = 0, False
        for due, actual in zip(dates, days, strict=True):
            if previous.year != due.year:
                keys.append(_act_act_split(previous, due))
            else:
                if due.year != year:
                    year, leap = due.year, _is_leap(due.year)
                keys.append((0, actual) if leap else (actual, 0))
            previous = due
        by_key = {
            key: rate * (key[0] * 366 + key[1] * 365) / (100 * 365 * 366) for key in set(keys)
        }
    return [by_key[key] for key in keys]


def build_schedule(terms: LoanTerms) -> Schedule:
    """The instalment schedule of ``terms``.

    Rows, in order: ``grace_full`` rows without payment, ``grace_principal`` interest-only rows,
    then the amortising rows of the method. Each row's interest is the rounded product of its
    opening balance and the rate under the terms' interest method. Under an annuity each row pays
    the level payment (computed from the periodic rate, also under daily interest) and the interest
    decides the split; a row never pays less than its interest (the principal part is then 0) and
    never repays more than the balance. The last row repays the remaining balance, so the
    principal parts add up exactly to the principal.
    """
    if not isinstance(terms, LoanTerms):
        raise ScheduleError(f"build_schedule needs LoanTerms, got {type(terms).__name__}")
    n = terms.periods
    decimals = terms.decimals
    quantum = _quantum(decimals)
    mode = terms.rounding.decimal_mode
    method = terms.method
    grace_full = terms.grace_full
    paying_from = grace_full
    amortising_from = grace_full + terms.grace_principal
    last = n - 1

    dates, days = _calendar(terms.start, terms.first_due, terms.frequency.months, n, terms.due_day)

    rows: list[Instalment] = []
    append = rows.append
    with localcontext(_CONTEXT):
        factors = _interest_factors(terms, dates, days)
        zero = Decimal(0).quantize(quantum)
        balance = terms.principal
        total_interest = zero
        deferred = zero

        # Full grace: nothing is paid; the interest is capitalised or set aside.
        capitalise = terms.grace_interest is GraceInterest.CAPITALISE
        for i in range(grace_full):
            interest = (balance * factors[i]).quantize(quantum, rounding=mode)
            opening = balance
            if capitalise:
                balance = balance + interest
                if balance > MAX_BALANCE:
                    raise ScheduleError(
                        f"capitalised interest grows the balance past {MAX_BALANCE} "
                        f"after {i + 1} grace periods"
                    )
                capitalised = zero - interest  # not -interest: no "-0.00" when it is zero
                append(
                    _row(i + 1, dates[i], days[i], opening, capitalised, interest, zero, balance)
                )
                total_interest += interest
            else:
                deferred += interest
                append(_row(i + 1, dates[i], days[i], opening, zero, zero, zero, balance))

        amortising = n - amortising_from
        instalment = (
            terms.level_payment
            if terms.level_payment is not None
            else _regular_amount(terms, balance, amortising)
        )
        # Interest-only rows: principal grace, and a bullet loan until its last row.
        interest_only_until = last if method is Method.BULLET else amortising_from
        for i in range(grace_full, interest_only_until):
            interest = (balance * factors[i]).quantize(quantum, rounding=mode)
            append(_row(i + 1, dates[i], days[i], balance, zero, interest, interest, balance))
            total_interest += interest

        new = _tuple_new
        start = interest_only_until
        numbers = range(start + 1, n)
        if method is Method.ANNUITY:
            level = instalment
            for k, due, nd, factor in zip(
                numbers, dates[start:last], days[start:last], factors[start:last], strict=True
            ):
                interest = (balance * factor).quantize(quantum, rounding=mode)
                principal = level - interest
                if principal > balance:  # the rounded-up payment repays the loan early
                    principal = balance
                    payment = balance + interest
                elif principal < zero:  # a long first period under daily interest
                    principal = zero
                    payment = interest
                else:
                    payment = level
                closing = balance - principal
                append(
                    new(Instalment, (k, due, nd, balance, principal, interest, payment, closing))
                )
                balance = closing
                total_interest += interest
        elif method is Method.LINEAR:
            part = instalment
            for k, due, nd, factor in zip(
                numbers, dates[start:last], days[start:last], factors[start:last], strict=True
            ):
                interest = (balance * factor).quantize(quantum, rounding=mode)
                principal = part if part <= balance else balance
                closing = balance - principal
                append(
                    new(
                        Instalment,
                        (k, due, nd, balance, principal, interest, principal + interest, closing),
                    )
                )
                balance = closing
                total_interest += interest

        # The last row repays what is left and so absorbs every rounding difference.
        interest = (balance * factors[last]).quantize(quantum, rounding=mode)
        append(
            _row(n, dates[last], days[last], balance, balance, interest, balance + interest, zero)
        )
        total_interest += interest

        if deferred:
            first = rows[paying_from]
            rows[paying_from] = first._replace(
                interest=first.interest + deferred, payment=first.payment + deferred
            )
            total_interest += deferred

        total_principal = terms.principal
        total_payment = total_principal + total_interest
    return Schedule(
        terms=terms,
        instalment=instalment,
        rows=tuple(rows),
        total_interest=total_interest,
        total_principal=total_principal,
        total_payment=total_payment,
    )


def _regular_amount(terms: LoanTerms, balance: Decimal, amortising: int) -> Decimal:
    """Level payment (annuity), level principal part (linear) or periodic interest (bullet)."""
    decimals = terms.decimals
    method = terms.method
    multiple = terms.instalment_multiple
    unit = _quantum(decimals) if multiple is None else multiple
    if method is Method.ANNUITY:
        units = _level_units(
            balance, terms.annual_rate, amortising, terms.frequency, unit, terms.rounding
        )
    elif method is Method.LINEAR:
        units = _round_fraction(Fraction(balance) / amortising, unit, terms.rounding)
    else:
        return periodic_interest(
            balance, terms.annual_rate, terms.frequency, decimals=decimals, rounding=terms.rounding
        )
    if multiple is not None and units == 0:
        if method is Method.ANNUITY:
            exact = level_payment_exact(balance, terms.annual_rate, amortising, terms.frequency)
        else:
            exact = Fraction(balance) / amortising
        approx = _from_units(_round_fraction(exact, _quantum(decimals), terms.rounding), decimals)
        raise ScheduleError(
            f"instalment multiple {multiple} rounds the {method} amount {approx} down to zero"
        )
    return (Decimal(units) * unit).quantize(_quantum(decimals))
