"""loans.schedule: hypothesis properties over random terms, every method and convention.

The oracles here are written independently of the engine: interest is recomputed with Fractions
and a day-by-day ACT/ACT count, rounding with integer arithmetic, and the unrounded annuity with
numpy-financial (float, so compared with a relative tolerance).
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy_financial as npf
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from loans.schedule import (
    DayCount,
    Frequency,
    GraceInterest,
    InterestMethod,
    LoanTerms,
    Method,
    Rounding,
    ScheduleError,
    add_months,
    build_schedule,
    due_dates,
    level_payment,
    level_payment_exact,
    year_fraction,
)

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MONTHS = {
    Frequency.MONTHLY: 1,
    Frequency.QUARTERLY: 3,
    Frequency.SEMI_ANNUAL: 6,
    Frequency.ANNUAL: 12,
}


# --- independent oracles ---------------------------------------------------------------------


def round_exact(value: Fraction, decimals: int, rounding: Rounding) -> Decimal:
    """Round a non-negative Fraction to ``decimals`` places, with integers only."""
    scaled = value * 10**decimals
    whole = math.floor(scaled)
    rest = scaled - whole
    if rest > Fraction(1, 2) or (
        rest == Fraction(1, 2) and (rounding is Rounding.HALF_UP or whole % 2 == 1)
    ):
        whole += 1
    return Decimal(whole).scaleb(-decimals).quantize(Decimal(1).scaleb(-decimals))


def oracle_year_fraction(start: date, end: date, day_count: DayCount) -> Fraction:
    if day_count is DayCount.ACT_ACT:  # day by day: 1/366 in a leap year, 1/365 otherwise
        total = Fraction(0)
        day = start
        while day < end:
            total += Fraction(1, 366 if calendar.isleap(day.year) else 365)
            day += timedelta(days=1)
        return total
    if day_count is DayCount.THIRTY_E_360:
        d1, d2 = min(start.day, 30), min(end.day, 30)
        return Fraction(
            (end.year - start.year) * 360 + (end.month - start.month) * 30 + d2 - d1, 360
        )
    basis = 365 if day_count is DayCount.ACT_365 else 360
    return Fraction((end - start).days, basis)


def oracle_interest(terms: LoanTerms, balance: Decimal, start: date, end: date) -> Decimal:
    rate = Fraction(terms.annual_rate) / 100
    if terms.interest is InterestMethod.PERIOD:
        time = Fraction(MONTHS[terms.frequency], 12)
    else:
        time = oracle_year_fraction(start, end, terms.day_count)
    return round_exact(Fraction(balance) * rate * time, terms.decimals, terms.rounding)


def anchor_of(terms: LoanTerms) -> int:
    if terms.due_day is not None:
        return terms.due_day
    first = terms.first_due
    return 31 if first.day == calendar.monthrange(first.year, first.month)[1] else first.day


# --- strategies --------------------------------------------------------------------------------


@st.composite
def loan_terms(draw, *, max_periods: int = 48, **fixed) -> LoanTerms:
    decimals = fixed.get("decimals", draw(st.sampled_from([2, 0])))
    unit = Decimal(1).scaleb(-decimals)
    low = fixed.pop("min_principal_units", 1)
    principal = Decimal(draw(st.integers(low, 10**8))) * unit
    rate = Decimal(draw(st.one_of(st.integers(0, 250_000), st.integers(0, 1_000_000)))).scaleb(-4)
    periods = draw(st.integers(1, max_periods))
    frequency = fixed.get("frequency", draw(st.sampled_from(list(Frequency))))
    method = fixed.get("method", draw(st.sampled_from(list(Method))))
    interest = fixed.get("interest", draw(st.sampled_from(list(InterestMethod))))
    day_count = draw(st.sampled_from(list(DayCount)))
    rounding = draw(st.sampled_from(list(Rounding)))
    start = draw(st.dates(date(1990, 1, 1), date(2080, 12, 31)))
    regular = add_months(start, MONTHS[frequency])
    first_due = draw(
        st.one_of(
            st.just(regular),  # a regular first period
            st.integers(1, 400).map(lambda days: start + timedelta(days=days)),  # irregular
            st.just(  # a month end
                date(
                    regular.year, regular.month, calendar.monthrange(regular.year, regular.month)[1]
                )
            ),
        )
    )
    grace_full = fixed.get("grace_full", draw(st.integers(0, min(3, periods - 1))))
    grace_principal = fixed.get(
        "grace_principal", draw(st.integers(0, min(3, periods - 1 - grace_full)))
    )
    grace_interest = draw(st.sampled_from(list(GraceInterest))) if grace_full else None
    multiple = None
    if method is not Method.BULLET and fixed.get("multiple", True) and draw(st.booleans()):
        choices = [Decimal(1), Decimal(5), Decimal(10)]
        if decimals == 2:
            choices += [Decimal("0.05"), Decimal("0.10")]
        multiple = draw(st.sampled_from(choices))
    return LoanTerms(
        principal=principal,
        annual_rate=rate,
        periods=periods,
        frequency=frequency,
        method=method,
        start=start,
        first_due=first_due,
        interest=interest,
        day_count=day_count,
        grace_principal=grace_principal,
        grace_full=grace_full,
        grace_interest=grace_interest,
        decimals=decimals,
        rounding=rounding,
        instalment_multiple=multiple,
    )


def build(terms: LoanTerms):
    try:
        return build_schedule(terms)
    except ScheduleError as exc:  # a multiple larger than the instalment itself
        assume("down to zero" not in str(exc))
        raise


def own_interest(schedule, index: int) -> Decimal:
    """The row's own interest, without deferred grace interest carried into it."""
    terms = schedule.terms
    row = schedule.rows[index]
    previous = terms.start if index == 0 else schedule.rows[index - 1].due_date
    return oracle_interest(terms, row.opening_balance, previous, row.due_date)


def deferred_interest(schedule) -> Decimal:
    terms = schedule.terms
    if terms.grace_interest is not GraceInterest.DEFER:
        return Decimal(0)
    return sum((own_interest(schedule, i) for i in range(terms.grace_full)), Decimal(0))


# --- properties --------------------------------------------------------------------------------


@PROPERTY
@given(loan_terms())
def test_principal_parts_add_up_and_balances_close(terms):
    schedule = build(terms)
    rows = schedule.rows
    assert len(rows) == terms.periods
    assert sum(row.principal for row in rows) == terms.principal
    assert schedule.total_principal == terms.principal
    assert rows[0].opening_balance == terms.principal
    assert rows[-1].balance == 0
    for previous, row in zip(rows, rows[1:], strict=False):
        assert row.opening_balance == previous.balance
    for row in rows:
        assert row.balance >= 0
        assert row.balance == row.opening_balance - row.principal
        assert row.payment == row.principal + row.interest
        assert row.interest >= 0 and row.payment >= 0
        for amount in (row.principal, row.interest, row.payment, row.balance):
            assert amount.as_tuple().exponent == -terms.decimals
            assert not (amount == 0 and amount.is_signed())  # no "-0.00"
    assert schedule.total_interest == sum(row.interest for row in rows)
    assert schedule.total_payment == sum(row.payment for row in rows)


@PROPERTY
@given(loan_terms())
def test_each_interest_is_the_rounded_rate_times_balance(terms):
    schedule = build(terms)
    deferred = deferred_interest(schedule)
    for i, row in enumerate(schedule.rows):
        expected = own_interest(schedule, i)
        if terms.grace_interest is GraceInterest.DEFER and i < terms.grace_full:
            expected = Decimal(0).quantize(row.interest)
        elif i == terms.grace_full:
            expected += deferred
        assert row.interest == expected, (i, row)


@PROPERTY
@given(loan_terms())
def test_principal_part_is_never_negative_but_for_capitalised_interest(terms):
    schedule = build(terms)
    for i, row in enumerate(schedule.rows):
        if i < terms.grace_full and terms.grace_interest is GraceInterest.CAPITALISE:
            assert row.principal == -row.interest
            assert row.payment == 0
        else:
            assert row.principal >= 0


@PROPERTY
@given(loan_terms())
def test_grace_rows(terms):
    schedule = build(terms)
    rows = schedule.rows
    for row in rows[: terms.grace_full]:
        assert row.payment == 0
    deferred = deferred_interest(schedule)
    for i in range(terms.grace_full, terms.grace_full + terms.grace_principal):
        row = rows[i]
        assert row.principal == 0
        assert row.payment == row.interest
        assert row.interest == own_interest(schedule, i) + (
            deferred if i == terms.grace_full else 0
        )
    balance_after_grace = (
        rows[terms.grace_full - 1].balance if terms.grace_full else terms.principal
    )
    assert rows[terms.grace_full + terms.grace_principal].opening_balance == balance_after_grace


@PROPERTY
@given(loan_terms(method=Method.ANNUITY))
def test_annuity_pays_the_level_payment_except_the_last(terms):
    """Every amortising row but the last pays the instalment, unless it repays the rest of the
    balance early (a rounded-up multiple) or its own interest exceeds the instalment (a long
    first period under daily interest), in which case it pays exactly that interest."""
    schedule = build(terms)
    start = terms.grace_full + terms.grace_principal
    deferred = deferred_interest(schedule)
    for i in range(start, terms.periods - 1):
        row = schedule.rows[i]
        extra = deferred if i == terms.grace_full else 0
        own = row.interest - extra
        if row.balance == 0 and row.principal == row.opening_balance:
            assert row.payment == row.opening_balance + row.interest
        elif own > schedule.instalment:
            assert (row.principal, row.payment) == (0, row.interest)
        else:
            assert row.payment == schedule.instalment + extra


@PROPERTY
@given(
    loan_terms(
        method=Method.ANNUITY,
        interest=InterestMethod.PERIOD,
        multiple=False,
        decimals=2,
        min_principal_units=100_000,
        max_periods=120,
    )
)
def test_annuity_instalments_are_equal_except_the_last(terms):
    """Under period interest and plain rounding nothing caps or floors a row, as long as the
    rounding drift (at most a cent a row, compounding) stays well below the last instalment;
    over 88 years at 10 % it does not, and the loan is rightly repaid a year early."""
    assume(terms.annual_rate <= 25)
    schedule = build(terms)
    start = terms.grace_full + terms.grace_principal
    rate = float(terms.annual_rate) / 100 / (12 // MONTHS[terms.frequency])
    m = terms.amortising_periods
    drift = 0.01 * (((1 + rate) ** m - 1) / rate if rate else m)
    assume(2 * drift < float(schedule.instalment) / (1 + rate))
    deferred = deferred_interest(schedule)
    payments = [row.payment for row in schedule.rows[start:-1]]
    if payments and start == terms.grace_full:
        payments[0] -= deferred
    assert set(payments) <= {schedule.instalment}
    assert schedule.instalment == level_payment(
        schedule.rows[start].opening_balance,
        terms.annual_rate,
        terms.amortising_periods,
        terms.frequency,
        rounding=terms.rounding,
    )


@PROPERTY
@given(loan_terms(method=Method.LINEAR))
def test_linear_repays_equal_principal_parts_except_the_last(terms):
    schedule = build(terms)
    start = terms.grace_full + terms.grace_principal
    amortising = schedule.rows[start].opening_balance
    if terms.instalment_multiple is None:
        exact = Fraction(amortising) / terms.amortising_periods
        assert schedule.instalment == round_exact(exact, terms.decimals, terms.rounding)
    for row in schedule.rows[start:-1]:
        assert row.principal == min(schedule.instalment, row.opening_balance)


@PROPERTY
@given(loan_terms(method=Method.BULLET))
def test_bullet_repays_everything_at_the_end(terms):
    schedule = build(terms)
    *before, last = schedule.rows
    assert all(row.principal <= 0 for row in before)
    assert last.principal == last.opening_balance
    assert last.principal == (before[-1].balance if before else terms.principal)


@PROPERTY
@given(loan_terms())
def test_due_dates_follow_the_first_due_date(terms):
    schedule = build(terms)
    anchor = anchor_of(terms)
    step = MONTHS[terms.frequency]
    previous = terms.start
    first = terms.first_due
    for k, row in enumerate(schedule.rows):
        month_index = first.year * 12 + first.month - 1 + k * step
        year, month = divmod(month_index, 12)
        last_day = calendar.monthrange(year, month + 1)[1]
        assert row.due_date == date(year, month + 1, min(anchor, last_day))
        assert row.days == (row.due_date - previous).days > 0
        previous = row.due_date
    assert schedule.maturity == schedule.rows[-1].due_date


@PROPERTY
@given(loan_terms(grace_full=0, grace_principal=0), st.data())
def test_restructuring_the_outstanding_balance_continues_the_schedule(terms, data):
    """The loans app rebuilds a schedule from any due date with the outstanding balance."""
    assume(terms.periods >= 2)
    schedule = build(terms)
    k = data.draw(st.integers(1, terms.periods - 1))
    after = schedule.rows[k - 1]
    assume(after.balance > 0)
    try:
        rest = build_schedule(
            LoanTerms(
                principal=after.balance,
                annual_rate=terms.annual_rate,
                periods=terms.periods - k,
                frequency=terms.frequency,
                method=terms.method,
                start=after.due_date,
                first_due=schedule.rows[k].due_date,
                interest=terms.interest,
                day_count=terms.day_count,
                decimals=terms.decimals,
                rounding=terms.rounding,
                instalment_multiple=terms.instalment_multiple,
                due_day=anchor_of(terms),
            )
        )
    except ScheduleError as exc:
        assume("down to zero" not in str(exc))
        raise
    assert [r.due_date for r in rest.rows] == [r.due_date for r in schedule.rows[k:]]
    assert [r.days for r in rest.rows] == [r.days for r in schedule.rows[k:]]
    assert rest.rows[0].interest == schedule.rows[k].interest
    assert sum(r.principal for r in rest.rows) == after.balance


@PROPERTY
@given(
    principal=st.integers(1, 10**10).map(lambda cents: Decimal(cents).scaleb(-2)),
    rate=st.integers(0, 1_000_000).map(lambda r: Decimal(r).scaleb(-4)),
    periods=st.integers(1, 600),
    frequency=st.sampled_from(list(Frequency)),
    rounding=st.sampled_from(list(Rounding)),
)
def test_level_payment_against_numpy_financial(principal, rate, periods, frequency, rounding):
    """numpy-financial (float) is the oracle for the unrounded annuity; the rounded level payment
    is the exact value rounded once."""
    per_year = 12 // MONTHS[frequency]
    exact = level_payment_exact(principal, rate, periods, frequency)
    oracle = -npf.pmt(float(rate) / 100 / per_year, periods, float(principal))
    assert math.isclose(float(exact), oracle, rel_tol=1e-9, abs_tol=1e-9)
    rounded = level_payment(principal, rate, periods, frequency, rounding=rounding)
    assert rounded == round_exact(exact, 2, rounding)
    # within half a cent of the oracle, give or take the oracle's own float error: at a tiny
    # rate (1 + r)**n - 1 cancels, and on millions that error passes a thousandth of a cent
    assert abs(float(rounded) - oracle) <= 0.005 + max(1e-6, 1e-9 * abs(oracle))


@PROPERTY
@given(
    growth=st.integers(100, 200).filter(lambda g: g % 4 != 0),
    hundreds=st.integers(0, 10**6),
    rounding=st.sampled_from(list(Rounding)),
)
def test_level_payment_on_an_exact_tie(growth, hundreds, rounding):
    """One annual instalment of P at a whole percent is P * (1 + a/100); choose P in cents so
    that the payment ends in exactly half a cent. Half-up and half-even must differ as they
    should, which the exact fallback guarantees."""
    cents = next(k for k in range(1, 201) if k * growth % 100 == 50) + 100 * hundreds
    principal = Decimal(cents).scaleb(-2)
    rate = Decimal(growth - 100)
    exact = level_payment_exact(principal, rate, 1, Frequency.ANNUAL)
    assert (exact * 1000).denominator == 1 and (exact * 1000) % 10 == 5  # a true tie
    assert level_payment(principal, rate, 1, "annual", rounding=rounding) == round_exact(
        exact, 2, rounding
    )


@PROPERTY
@given(
    start=st.dates(date(1900, 1, 1), date(2200, 12, 31)),
    length=st.integers(0, 2000),
    day_count=st.sampled_from(list(DayCount)),
)
def test_year_fraction_against_a_day_by_day_count(start, length, day_count):
    end = start + timedelta(days=length)
    assert year_fraction(start, end, day_count) == oracle_year_fraction(start, end, day_count)


@PROPERTY
@given(
    first=st.dates(date(1900, 1, 1), date(2200, 12, 31)),
    frequency=st.sampled_from(list(Frequency)),
    count=st.integers(1, 100),
)
def test_due_dates_never_drift(first, frequency, count):
    dates = due_dates(first, frequency, count)
    assert dates[0] == first
    assert all(a < b for a, b in zip(dates, dates[1:], strict=False))
    is_month_end = first.day == calendar.monthrange(first.year, first.month)[1]
    for later in dates:
        last_day = calendar.monthrange(later.year, later.month)[1]
        if is_month_end:
            assert later.day == last_day
        else:
            assert later.day == min(first.day, last_day)


@settings(max_examples=25, deadline=None)
@given(loan_terms(max_periods=600, grace_full=0, grace_principal=0))
def test_long_schedules(terms):
    schedule = build(terms)
    assert sum(row.principal for row in schedule.rows) == terms.principal
    assert schedule.rows[-1].balance == 0
    assert all(row.balance >= 0 for row in schedule.rows)
