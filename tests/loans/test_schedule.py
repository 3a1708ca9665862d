"""loans.schedule: worked examples from public sources, conventions, validation.

Every example names its source. The sources (all public):

FINERACT_UNIT
    apache/fineract, fineract-progressive-loan/src/test/java/org/apache/fineract/portfolio/
    loanproduct/calc/ProgressiveEMICalculatorTest.java
FINERACT_EMI
    apache/fineract, fineract-e2e-tests-runner/src/test/resources/features/EMICalculation.feature
    (scenarios named by their TestRail ids, e.g. C3154)
FINERACT_PAUSE
    apache/fineract, fineract-e2e-tests-runner/src/test/resources/features/
    LoanInterestPause.feature (C3475, the schedule before any pause)
QUANTLIB
    lballabio/QuantLib, test-suite/daycounters.cpp: testActualActual (ISDA cases) and
    testThirty360_EurobondBasis (the ISDA examples of
    https://www.isda.org/2008/12/22/30-360-day-count-conventions/)
EXCEL       https://support.microsoft.com/en-US/excel/functions/pmt-function
MATHWORKS   https://www.mathworks.com/help/finance/amortize.html
CLARIS      https://help.claris.com/en/pro-help/content/pmt.html
MESCIUS     https://developer.mescius.com/document-solutions/java-excel-api/docs/online/
            formula-reference/financial-functions/pmt
NUMPY_FIN   numpy-financial 1.0, docstring of numpy_financial.pmt
HYPOTHEEK_ANNUITEIT
    https://www.hypotheeklastencalculator.nl/berekenen/annuiteiten/?hypsom=200000&rente=3&looptijd=30
HYPOTHEEK_LINEAIR
    https://www.hypotheeklastencalculator.nl/berekenen/lineair/?hypsom=200000&rente=3&looptijd=30
LESSONUP_ANNUITEIT  https://lessonup.com/nl/lesson/k9LJ3jf3qNxzitKA6 ("Wonen - Annuïteiten lening")
LESSONUP_LINEAIR    https://lessonup.com/nl/lesson/oykDTz749j3WLimAn (answers 12 to 14)
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy_financial as npf
import pytest

from loans.schedule import (
    DayCount,
    Frequency,
    GraceInterest,
    Instalment,
    InterestMethod,
    LoanTerms,
    Method,
    Rounding,
    ScheduleError,
    accrued_interest,
    add_months,
    add_periods,
    build_schedule,
    days_30e_360,
    due_dates,
    level_payment,
    level_payment_exact,
    periodic_interest,
    year_fraction,
)

D = Decimal


def terms(**overrides) -> LoanTerms:
    values = {
        "principal": D("100"),
        "annual_rate": D("9.4822"),
        "periods": 6,
        "frequency": Frequency.MONTHLY,
        "method": Method.ANNUITY,
        "start": date(2024, 1, 1),
        "first_due": date(2024, 2, 1),
    }
    values.update(overrides)
    return LoanTerms(**values)


def column(schedule, name: str) -> list[str]:
    return [str(getattr(row, name)) for row in schedule.rows]


# ---------------------------------------------------------------------------------------------
# Worked examples: Apache Fineract
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rounding", [Rounding.HALF_UP, Rounding.HALF_EVEN])
@pytest.mark.parametrize("interest", [InterestMethod.PERIOD, InterestMethod.DAILY])
def test_fineract_100_at_9_4822_percent_over_6_months(interest, rounding):
    """FINERACT_UNIT test_disbursedAmt100_dayInYears360_daysInMonth30_repayEvery1Month and
    FINERACT_EMI C3155: 100.00 at 9.4822 %, 6 monthly, 360/30, two decimals.

    Due dates on the 1st make every 30E/360 period 30 days, so daily 30E/360 interest equals
    period interest here; no value sits on a tie, so both rounding modes agree.
    """
    schedule = build_schedule(
        terms(interest=interest, day_count=DayCount.THIRTY_E_360, rounding=rounding)
    )
    assert schedule.instalment == D("17.13")
    assert column(schedule, "interest") == ["0.79", "0.66", "0.53", "0.40", "0.27", "0.13"]
    assert column(schedule, "principal") == ["16.34", "16.47", "16.60", "16.73", "16.86", "17.00"]
    assert column(schedule, "balance") == ["83.66", "67.19", "50.59", "33.86", "17.00", "0.00"]
    assert column(schedule, "payment") == ["17.13"] * 6
    assert column(schedule, "days") == ["31", "29", "31", "30", "31", "30"]
    assert schedule.total_interest == D("2.78")  # C3155 total row


def test_fineract_issue_example_dates():
    """The issue's command example: the same loan disbursed 2023-12-01, first due 2024-01-01."""
    schedule = build_schedule(terms(start=date(2023, 12, 1), first_due=date(2024, 1, 1)))
    first = schedule.rows[0]
    assert (first.due_date, first.days, first.principal, first.interest) == (
        date(2024, 1, 1),
        31,
        D("16.34"),
        D("0.79"),
    )
    assert schedule.total_interest == D("2.78")


def test_fineract_100_at_12_percent_360_30():
    """FINERACT_EMI C3154: 100 at 12 %, 6 monthly, 360/30: 17.25, the last 17.28."""
    schedule = build_schedule(terms(annual_rate=D("12")))
    assert schedule.instalment == D("17.25")
    assert column(schedule, "interest") == ["1.00", "0.84", "0.67", "0.51", "0.34", "0.17"]
    assert column(schedule, "balance") == ["83.75", "67.34", "50.76", "34.02", "17.11", "0.00"]
    assert schedule.rows[-1].payment == D("17.28")
    assert schedule.total_interest == D("3.53")


def test_fineract_100_at_7_percent():
    """FINERACT_PAUSE C3475 (before the pause) and FINERACT_UNIT
    test_reschedule_interest_on0201_4per...: 100 at 7 %, 6 monthly, 360/30: 17.01."""
    schedule = build_schedule(terms(annual_rate=D("7")))
    assert schedule.instalment == D("17.01")
    assert column(schedule, "balance") == ["83.57", "67.05", "50.43", "33.71", "16.90", "0.00"]
    assert column(schedule, "principal") == ["16.43", "16.52", "16.62", "16.72", "16.81", "16.90"]
    assert column(schedule, "interest") == ["0.58", "0.49", "0.39", "0.29", "0.20", "0.10"]
    assert schedule.rows[-1].payment == D("17.00")
    assert schedule.total_interest == D("2.05")


def test_fineract_12_months_at_7_percent():
    """FINERACT_UNIT test_emi_calculator_performance: 100 at 7 %, 12 monthly: EMI 8.65."""
    schedule = build_schedule(terms(annual_rate=D("7"), periods=12))
    assert schedule.instalment == D("8.65")
    assert all(row.payment == D("8.65") for row in schedule.rows[:-1])
    assert all(row.principal > 0 and row.interest > 0 for row in schedule.rows)


def test_fineract_single_period_daily_30_360():
    """FINERACT_UNIT test_dailyInterest_disbursedAmt1000_dayInYears360_daysInMonth30_repayIn1Month:
    1000 at 7 % for one month: 5.83 interest, 1005.83 due."""
    schedule = build_schedule(
        terms(principal=D("1000"), annual_rate=D("7"), periods=1, interest=InterestMethod.DAILY)
    )
    (row,) = schedule.rows
    assert (row.principal, row.interest, row.payment) == (D("1000.00"), D("5.83"), D("1005.83"))


def test_fineract_no_interest():
    """FINERACT_UNIT test_disbursedAmt1000_NoInterest_repayEvery1Month: 1000 at 0 % over 4."""
    schedule = build_schedule(terms(principal=D("1000"), annual_rate=D("0"), periods=4))
    assert column(schedule, "payment") == ["250.00"] * 4
    assert column(schedule, "balance") == ["750.00", "500.00", "250.00", "0.00"]
    assert schedule.total_interest == D("0.00")


@pytest.mark.parametrize(
    ("rate", "instalment", "interest", "last", "total"),
    [
        # FINERACT_EMI C3159: 365/Actual, integer rate
        ("12", "17.25", ["1.02", "0.80", "0.69", "0.50", "0.35", "0.17"], "17.28", "3.53"),
        # FINERACT_EMI C3160: 365/Actual, decimal rate
        ("9.4822", "17.13", ["0.81", "0.63", "0.54", "0.39", "0.27", "0.13"], "17.12", "2.77"),
    ],
)
def test_fineract_daily_act_365(rate, instalment, interest, last, total):
    """Daily ACT/365 from 2024-01-01 (31, 29, 31, 30, 31, 30 days): the instalment is the
    periodic-rate level payment, the actual days decide the split."""
    schedule = build_schedule(
        terms(annual_rate=D(rate), interest=InterestMethod.DAILY, day_count=DayCount.ACT_365)
    )
    assert schedule.instalment == D(instalment)
    assert column(schedule, "interest") == interest
    assert schedule.rows[-1].payment == D(last)
    assert schedule.total_interest == D(total)


def test_fineract_rate_factors():
    """FINERACT_UNIT test_rateFactorByRepaymentEveryMonthMethod_DayInYear365_DaysInMonthActual
    and ..._DayInYearActual_DaysInMonthActual: 9.4822 % times the year fraction of each month of
    the first half of 2024, to 12 places (half-even)."""
    months = [date(2024, m, 1) for m in range(1, 8)]
    act_365 = ["0.008053375342", "0.007533802740", "0.008053375342", "0.007793589041"]
    act_act = ["0.008031371585", "0.007513218579", "0.008031371585", "0.007772295082"]
    rate = Fraction(D("0.094822"))
    for i in range(4):
        for day_count, expected in ((DayCount.ACT_365, act_365), (DayCount.ACT_ACT, act_act)):
            value = rate * year_fraction(months[i], months[i + 1], day_count)
            rounded = D(value.numerator) / D(value.denominator)
            assert str(rounded.quantize(D("1e-12"))) == expected[i]


def test_fineract_first_rows_of_act_act_examples():
    """FINERACT_EMI C3152/C3153 (ACT/ACT) and C3167 (365/Actual): first-row interest.

    Fineract derives its EMI from the actual days (and iterates it), so its instalments differ
    from the periodic-rate level payment that the contract convention here prescribes
    (docs/schedule.md). Interest that does not depend on the EMI still agrees: 15.678 % on 100
    for 31 days is 1.33; ACT/ACT from 12 December 2023 to 12 January 2024 is 101.82 on 10,000 at
    12 % under ISDA (20/365 + 11/366), where Fineract shows 101.81 because it counts 19 days in
    2023 and 12 in 2024.
    """
    daily = terms(
        annual_rate=D("15.678"), interest=InterestMethod.DAILY, day_count=DayCount.ACT_365
    )
    assert build_schedule(daily).rows[0].interest == D("1.33")
    assert year_fraction(date(2023, 12, 12), date(2024, 1, 12), DayCount.ACT_ACT) == Fraction(
        20, 365
    ) + Fraction(11, 366)
    ten_thousand = accrued_interest(
        D("10000"), D("12"), date(2023, 12, 12), date(2024, 1, 12), DayCount.ACT_ACT
    )
    assert ten_thousand == D("101.82")


# ---------------------------------------------------------------------------------------------
# Worked examples: spreadsheets and libraries (level payment)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "rate", "periods", "payment", "source"),
    [
        ("10000", "8", 10, "1037.03", "EXCEL: =PMT(8%/12, 10, 10000) -> -1,037.03"),
        ("100000", "12", 360, "1028.61", "MATHWORKS: amortize(0.12/12, 360, 100000) -> 1028.61"),
        ("21000", "6.9", 48, "501.90", "CLARIS: PMT(21000; .069/12; 48) -> 501.90"),
        ("5000", "6", 15, "346.82", "MESCIUS: PMT(6%/12, 15, 5000) -> -346.82"),
        ("200000", "7.5", 180, "1854.02", "NUMPY_FIN: pmt(0.075/12, 12*15, 200000) -> -1854.02"),
        ("200000", "3", 360, "843.21", "HYPOTHEEK_ANNUITEIT: bruto maandlast 843,21"),
    ],
)
def test_published_level_payments(principal, rate, periods, payment, source):
    assert level_payment(D(principal), D(rate), periods, Frequency.MONTHLY) == D(payment), source


def test_mathworks_total_interest():
    """MATHWORKS: on the 30-year 12 % mortgage of 100,000 'total interest paid over the life of
    the mortgage exceeds $270,000'."""
    schedule = build_schedule(terms(principal=D("100000"), annual_rate=D("12"), periods=360))
    assert D("270000") < schedule.total_interest < D("271000")


def test_lessonup_yearly_annuity_is_twelve_monthly_payments():
    """LESSONUP_ANNUITEIT: 180,000 at 3 % over 30 years, 'de jaarlijkse annuïteit bedraagt
    9.106,68', i.e. twelve monthly payments of 758.89."""
    monthly = level_payment(D("180000"), D("3"), 360, Frequency.MONTHLY)
    assert monthly == D("758.89")
    assert monthly * 12 == D("9106.68")


def test_hypotheeklastencalculator_annuity():
    """HYPOTHEEK_ANNUITEIT: 200,000 at 3 % nominal over 360 months.

    Period 1: rente 500,00, aflossing 343,21, maandlast 843,21; the published interest of periods
    13 to 36 is reproduced to the cent. The calculator rounds its (unrounded) principal part on its
    own, so some of its rows do not add up (period 22: 481,52 + 361,68 = 843,20); ours always
    do, so where they differ our principal part is the payment minus the interest.
    """
    schedule = build_schedule(
        terms(
            principal=D("200000"),
            annual_rate=D("3"),
            periods=360,
            start=date(2024, 10, 1),
            first_due=date(2024, 11, 1),
        )
    )
    first = schedule.rows[0]
    assert (first.interest, first.principal, first.payment) == (
        D("500.00"),
        D("343.21"),
        D("843.21"),
    )
    published_interest = [
        *("489.56", "488.68", "487.79", "486.90", "486.01", "485.12"),
        *("484.22", "483.33", "482.43", "481.52", "480.62", "479.71"),
        *("478.80", "477.89", "476.98", "476.06", "475.15", "474.23"),
        *("473.30", "472.38", "471.45", "470.52", "469.59", "468.66"),
    ]
    assert column(schedule, "interest")[12:36] == published_interest
    assert schedule.rows[21].principal == D("361.69")  # 843.21 - 481.52
    assert schedule.rows[12].principal == D("353.65")  # period 13, as published


def test_hypotheeklastencalculator_linear():
    """HYPOTHEEK_LINEAIR: 200,000 at 3 % over 360 months, linear.

    Aflossing 555,56 a month, period 1 rente 500,00 and bruto 1.055,56; the interest of periods
    25 to 48 as published. The calculator amortises exactly 200,000/360 a month and shows it
    rounded; we round the principal part to 555.56 and let the last instalment absorb the
    difference (it repays 553.96), so from period 69 on an interest figure can differ by a cent.
    """
    schedule = build_schedule(
        terms(
            principal=D("200000"),
            annual_rate=D("3"),
            periods=360,
            method=Method.LINEAR,
            start=date(2023, 10, 1),
            first_due=date(2023, 11, 1),
        )
    )
    assert schedule.instalment == D("555.56")
    first = schedule.rows[0]
    assert (first.principal, first.interest, first.payment) == (
        D("555.56"),
        D("500.00"),
        D("1055.56"),
    )
    published_interest = [
        *("466.67", "465.28", "463.89", "462.50", "461.11", "459.72"),
        *("458.33", "456.94", "455.56", "454.17", "452.78", "451.39"),
        *("450.00", "448.61", "447.22", "445.83", "444.44", "443.06"),
        *("441.67", "440.28", "438.89", "437.50", "436.11", "434.72"),
    ]
    assert column(schedule, "interest")[24:48] == published_interest
    assert schedule.rows[-1].principal == D("553.96")  # 200,000 - 359 x 555.56


def test_lessonup_linear_annual():
    """LESSONUP_LINEAIR: 240,000 at 5 % over 30 years, linear, yearly: year 1 rente 12.000 and
    aflossing 8.000 (20.000); at the start of year 5 the debt is 208.000 and the rente 10.400."""
    schedule = build_schedule(
        terms(
            principal=D("240000"),
            annual_rate=D("5"),
            periods=30,
            frequency=Frequency.ANNUAL,
            method=Method.LINEAR,
            start=date(2024, 1, 1),
            first_due=date(2025, 1, 1),
        )
    )
    first, fifth = schedule.rows[0], schedule.rows[4]
    assert (first.interest, first.principal, first.payment) == (
        D("12000.00"),
        D("8000.00"),
        D("20000.00"),
    )
    assert (fifth.opening_balance, fifth.interest) == (D("208000.00"), D("10400.00"))


# ---------------------------------------------------------------------------------------------
# Day counts and dates
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # QUANTLIB testActualActual, ISDA convention
        (date(2003, 11, 1), date(2004, 5, 1), "0.497724380567"),
        (date(1999, 2, 1), date(1999, 7, 1), "0.410958904110"),
        (date(1999, 7, 1), date(2000, 7, 1), "1.001377348600"),
        (date(2002, 8, 15), date(2003, 7, 15), "0.915068493151"),
        (date(2003, 7, 15), date(2004, 1, 15), "0.504004790778"),
        (date(1999, 7, 30), date(2000, 1, 30), "0.503892506924"),
        (date(2000, 1, 30), date(2000, 6, 30), "0.415300546448"),
    ],
)
def test_act_act_isda(start, end, expected):
    value = year_fraction(start, end, DayCount.ACT_ACT)
    assert abs(value - Fraction(D(expected))) < Fraction(1, 10**11)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        # QUANTLIB testThirty360_EurobondBasis (ISDA 2008 examples 1 to 3)
        (date(2006, 8, 20), date(2007, 2, 20), 180),
        (date(2007, 2, 20), date(2007, 8, 20), 180),
        (date(2006, 2, 28), date(2006, 8, 31), 182),
        (date(2006, 8, 31), date(2007, 2, 28), 178),
        (date(2007, 8, 31), date(2008, 2, 29), 179),
        (date(2008, 2, 29), date(2008, 8, 31), 181),
        (date(2011, 8, 31), date(2012, 2, 29), 179),
        (date(2006, 1, 31), date(2006, 2, 28), 28),
        (date(2006, 1, 30), date(2006, 2, 28), 28),
        (date(2006, 2, 28), date(2006, 3, 3), 5),
        (date(2006, 2, 14), date(2006, 2, 28), 14),
        (date(2006, 9, 30), date(2006, 10, 31), 30),
        (date(2006, 10, 31), date(2006, 11, 28), 28),
        (date(2007, 8, 31), date(2008, 2, 28), 178),
        (date(2008, 2, 28), date(2008, 8, 28), 180),
        (date(2008, 2, 28), date(2008, 8, 30), 182),
        (date(2008, 2, 28), date(2008, 8, 31), 182),
        (date(2007, 2, 26), date(2008, 2, 28), 362),
        (date(2007, 2, 26), date(2008, 2, 29), 363),
        (date(2008, 2, 29), date(2009, 2, 28), 359),
        (date(2008, 2, 28), date(2008, 3, 30), 32),
        (date(2008, 2, 28), date(2008, 3, 31), 32),
    ],
)
def test_30e_360_eurobond_basis(start, end, days):
    assert days_30e_360(start, end) == days
    assert year_fraction(start, end, DayCount.THIRTY_E_360) == Fraction(days, 360)


def test_act_365_is_fixed_and_act_360():
    leap_year = (date(2024, 1, 1), date(2025, 1, 1))
    assert year_fraction(*leap_year, DayCount.ACT_365) == Fraction(366, 365)
    assert year_fraction(*leap_year, DayCount.ACT_ACT) == 1
    assert year_fraction(*leap_year, DayCount.ACT_360) == Fraction(366, 360)
    assert year_fraction(*leap_year, "30E/360") == 1
    with pytest.raises(ScheduleError, match="back to"):
        year_fraction(date(2024, 2, 1), date(2024, 1, 1), DayCount.ACT_365)


def test_month_end_due_dates_keep_month_ends():
    """The issue: 31 January, then 28 or 29 February, then 31 March."""
    assert due_dates(date(2024, 1, 31), Frequency.MONTHLY, 4) == (
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    )
    assert due_dates(date(2023, 1, 31), "monthly", 3)[1] == date(2023, 2, 28)
    # a first due date on 30 April is a month end too
    assert due_dates(date(2024, 4, 30), "monthly", 2)[1] == date(2024, 5, 31)
    assert due_dates(date(2023, 2, 28), "monthly", 2)[1] == date(2023, 3, 31)


def test_day_30_falls_back_in_february_and_comes_back():
    assert due_dates(date(2024, 1, 30), Frequency.MONTHLY, 3) == (
        date(2024, 1, 30),
        date(2024, 2, 29),
        date(2024, 3, 30),
    )
    assert due_dates(date(2023, 1, 29), Frequency.MONTHLY, 3)[1:] == (
        date(2023, 2, 28),
        date(2023, 3, 29),
    )


def test_due_day_overrides_the_month_end_rule():
    """A loan due on the 30th whose next due date (restructuring) is 29 February."""
    assert due_dates(date(2024, 2, 29), Frequency.MONTHLY, 3, due_day=30) == (
        date(2024, 2, 29),
        date(2024, 3, 30),
        date(2024, 4, 30),
    )
    assert due_dates(date(2024, 4, 30), Frequency.MONTHLY, 2, due_day=30)[1] == date(2024, 5, 30)


@pytest.mark.parametrize(
    ("frequency", "expected"),
    [
        (Frequency.QUARTERLY, [date(2024, 1, 31), date(2024, 4, 30), date(2024, 7, 31)]),
        (Frequency.SEMI_ANNUAL, [date(2024, 1, 31), date(2024, 7, 31), date(2025, 1, 31)]),
        (Frequency.ANNUAL, [date(2024, 1, 31), date(2025, 1, 31), date(2026, 1, 31)]),
    ],
)
def test_other_frequencies(frequency, expected):
    assert list(due_dates(date(2024, 1, 31), frequency, 3)) == expected


def test_add_months_and_periods():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 2, 29), 1) == date(2024, 3, 31)
    assert add_months(date(2024, 3, 15), -3) == date(2023, 12, 15)
    assert add_months(date(2024, 3, 31), 1, due_day=30) == date(2024, 4, 30)
    assert add_periods(date(2024, 8, 31), Frequency.SEMI_ANNUAL, 1) == date(2025, 2, 28)
    assert add_periods(date(2024, 1, 15), "quarterly", 4) == date(2025, 1, 15)
    with pytest.raises(ScheduleError, match="out of range"):
        add_months(date(9999, 12, 1), 1)


def test_days_column_is_actual_days_under_period_interest():
    schedule = build_schedule(terms(start=date(2024, 1, 15), first_due=date(2024, 3, 1)))
    assert schedule.rows[0].days == 46
    # period interest ignores the long first period: one month's interest
    assert schedule.rows[0].interest == periodic_interest(D("100"), D("9.4822"), "monthly")


# ---------------------------------------------------------------------------------------------
# Level payment and rounding
# ---------------------------------------------------------------------------------------------


def test_level_payment_zero_rate_is_principal_over_periods():
    assert level_payment_exact(D("1000"), D("0"), 3, Frequency.MONTHLY) == Fraction(1000, 3)
    assert level_payment(D("1000"), D("0"), 3) == D("333.33")
    assert level_payment(D("1000"), D("0"), 3, decimals=0) == D("333")


def test_level_payment_rounds_an_exact_tie_as_the_contract_says():
    """One annual instalment of 0.25 at 2 % is exactly 0.255 and of 0.15 at 10 % exactly 0.165:
    ties. Half-up gives 0.26 and 0.17, half-even 0.26 and 0.16. numpy-financial's float pmt
    lands just below each tie (0.2549999999999998, 0.16499999999999987), so rounding its result
    would give 0.25 and 0.16 whatever the contract says: why the engine rounds the exact value."""
    assert level_payment_exact(D("0.25"), D("2"), 1, Frequency.ANNUAL) == Fraction(255, 1000)
    assert -npf.pmt(0.02, 1, 0.25) < 0.255
    assert -npf.pmt(0.10, 1, 0.15) < 0.165
    assert level_payment(D("0.25"), D("2"), 1, "annual", rounding="half-up") == D("0.26")
    assert level_payment(D("0.25"), D("2"), 1, "annual", rounding="half-even") == D("0.26")
    assert level_payment(D("0.15"), D("10"), 1, "annual", rounding="half-up") == D("0.17")
    assert level_payment(D("0.15"), D("10"), 1, "annual", rounding="half-even") == D("0.16")


def test_level_payment_to_a_multiple_rounds_once():
    """17.4999... to whole euros is 17, not 17.50 -> 18 (no double rounding)."""
    exact = level_payment_exact(D("100"), D("9.4822"), 6, "monthly")
    assert D("17.13") == level_payment(D("100"), D("9.4822"), 6)
    assert level_payment(D("100"), D("9.4822"), 6, multiple=D("1")) == D("17.00")
    assert level_payment(D("100"), D("9.4822"), 6, multiple=D("5")) == D("15.00")
    assert level_payment(D("100"), D("9.4822"), 6, multiple=D("0.05")) == D("17.15")
    assert 17 < exact < Fraction(35, 2)


def test_instalment_multiple_in_a_schedule():
    schedule = build_schedule(terms(principal=D("10000"), instalment_multiple=D("1")))
    assert schedule.instalment == D("1713.00")
    assert all(row.payment == D("1713.00") for row in schedule.rows[:-1])
    assert sum(row.principal for row in schedule.rows) == D("10000.00")


def test_instalment_multiple_for_linear_rounds_the_principal_part():
    schedule = build_schedule(
        terms(principal=D("1000"), periods=7, method=Method.LINEAR, instalment_multiple=D("10"))
    )
    assert schedule.instalment == D("140.00")  # 142.857... to the nearest 10
    assert column(schedule, "principal") == ["140.00"] * 6 + ["160.00"]


def test_instalment_multiple_too_large():
    with pytest.raises(ScheduleError, match="rounds the annuity amount 17.13 down to zero"):
        build_schedule(terms(instalment_multiple=D("100")))


def test_whole_euros():
    schedule = build_schedule(terms(principal=D("1000"), decimals=0, annual_rate=D("12")))
    assert schedule.instalment == D("173")
    assert all(row.interest == row.interest.quantize(D("1")) for row in schedule.rows)
    assert str(schedule.rows[0].balance) == "837"


def test_half_even_on_interest_ties():
    """101.00 at 6 % for a month is exactly 0.505: 0.51 half-up, 0.50 half-even; 103.00 gives
    0.515, which both round to 0.52."""
    assert periodic_interest(D("101"), D("6"), "monthly", rounding="half-up") == D("0.51")
    assert periodic_interest(D("101"), D("6"), "monthly", rounding="half-even") == D("0.50")
    assert periodic_interest(D("103"), D("6"), "monthly", rounding="half-even") == D("0.52")
    schedule = build_schedule(
        terms(principal=D("101"), annual_rate=D("6"), periods=2, rounding=Rounding.HALF_EVEN)
    )
    assert schedule.rows[0].interest == D("0.50")


# ---------------------------------------------------------------------------------------------
# Methods and grace
# ---------------------------------------------------------------------------------------------


def test_bullet():
    schedule = build_schedule(terms(principal=D("1200"), annual_rate=D("6"), method="bullet"))
    assert schedule.instalment == D("6.00")
    assert column(schedule, "principal") == ["0.00"] * 5 + ["1200.00"]
    assert column(schedule, "payment") == ["6.00"] * 5 + ["1206.00"]
    assert column(schedule, "balance") == ["1200.00"] * 5 + ["0.00"]


def test_principal_grace_then_annuity_over_the_rest():
    """2 interest-only months, then the annuity of 1200 at 6 % over the remaining 4."""
    schedule = build_schedule(terms(principal=D("1200"), annual_rate=D("6"), grace_principal=2))
    assert column(schedule, "payment")[:2] == ["6.00", "6.00"]
    assert column(schedule, "principal")[:2] == ["0.00", "0.00"]
    assert schedule.instalment == level_payment(D("1200"), D("6"), 4) == D("303.76")
    assert column(schedule, "payment")[2:5] == ["303.76"] * 3
    assert schedule.rows[-1].balance == 0


def test_full_grace_capitalised():
    """Two months without payment at 12 %: 1000 -> 1010.00 -> 1020.10, then an annuity of
    1020.10 over 4 months. The capitalised interest shows as a negative principal part."""
    schedule = build_schedule(
        terms(
            principal=D("1000"),
            annual_rate=D("12"),
            grace_full=2,
            grace_interest=GraceInterest.CAPITALISE,
        )
    )
    first, second = schedule.rows[:2]
    assert (first.payment, first.interest, first.principal, first.balance) == (
        D("0.00"),
        D("10.00"),
        D("-10.00"),
        D("1010.00"),
    )
    assert (second.interest, second.balance) == (D("10.10"), D("1020.10"))
    assert schedule.instalment == level_payment(D("1020.10"), D("12"), 4) == D("261.43")
    assert schedule.rows[2].interest == D("10.20")
    assert sum(row.principal for row in schedule.rows) == D("1000.00")
    assert schedule.total_payment == sum(row.payment for row in schedule.rows)


def test_full_grace_deferred():
    """Two months without payment at 12 %: 10.00 interest each month, not compounded, both
    collected with the first paying instalment on top of its own 10.00 and the annuity."""
    schedule = build_schedule(
        terms(
            principal=D("1000"),
            annual_rate=D("12"),
            grace_full=2,
            grace_interest=GraceInterest.DEFER,
        )
    )
    assert column(schedule, "payment")[:2] == ["0.00", "0.00"]
    assert column(schedule, "interest")[:2] == ["0.00", "0.00"]
    assert column(schedule, "balance")[:2] == ["1000.00", "1000.00"]
    assert schedule.instalment == level_payment(D("1000"), D("12"), 4) == D("256.28")
    third = schedule.rows[2]
    assert third.interest == D("30.00")  # 10.00 own + 20.00 deferred
    assert third.principal == D("246.28")  # 256.28 - 10.00: the split is the regular one
    assert third.payment == D("276.28")
    assert schedule.total_interest == sum(row.interest for row in schedule.rows)


def test_deferred_interest_goes_to_the_first_interest_only_row():
    schedule = build_schedule(
        terms(
            principal=D("1000"),
            annual_rate=D("12"),
            grace_full=1,
            grace_principal=2,
            grace_interest="defer",
        )
    )
    assert column(schedule, "payment")[:3] == ["0.00", "20.00", "10.00"]


def test_long_first_period_under_daily_interest_never_pays_less_than_interest():
    """20 % over 30 years with the first due date 3 months after the start: the first row's
    interest (ACT/365, 91 days) exceeds the level payment, so the row pays its interest only."""
    schedule = build_schedule(
        terms(
            principal=D("1000"),
            annual_rate=D("20"),
            periods=360,
            start=date(2024, 1, 1),
            first_due=date(2024, 4, 1),
            interest="daily",
            day_count="ACT/365",
        )
    )
    first = schedule.rows[0]
    assert first.interest == D("49.86")  # 1000 x 20 % x 91 / 365
    assert first.interest > schedule.instalment == D("16.71")
    assert (first.principal, first.payment, first.balance) == (D("0.00"), D("49.86"), D("1000.00"))
    assert schedule.rows[1].payment == D("16.71")


def test_short_first_period_under_daily_interest():
    schedule = build_schedule(
        terms(
            principal=D("1000"),
            annual_rate=D("12"),
            start=date(2024, 1, 20),
            first_due=date(2024, 2, 1),
            interest="daily",
            day_count="ACT/360",
        )
    )
    first = schedule.rows[0]
    assert (first.days, first.interest) == (12, D("4.00"))  # 1000 x 12 % x 12 / 360
    assert first.principal == schedule.instalment - D("4.00")


def test_tiny_loan_with_large_multiple_repays_early_and_stays_at_zero():
    schedule = build_schedule(
        terms(principal=D("10"), annual_rate=D("0"), periods=6, instalment_multiple=D("2"))
    )
    assert column(schedule, "payment") == ["2.00"] * 5 + ["0.00"]
    schedule = build_schedule(
        terms(principal=D("10"), annual_rate=D("0"), periods=4, instalment_multiple=D("5"))
    )
    assert column(schedule, "payment") == ["5.00", "5.00", "0.00", "0.00"]
    assert column(schedule, "balance") == ["5.00", "0.00", "0.00", "0.00"]


def test_restructure_from_an_outstanding_balance():
    """The same entry point for an outstanding balance: principal = balance, start = the date,
    first due = the next due date, due_day = the original day; dates and interest continue."""
    original = build_schedule(
        terms(
            principal=D("25000"),
            annual_rate=D("4.5"),
            periods=24,
            start=date(2024, 1, 15),
            first_due=date(2024, 1, 30),
        )
    )
    for k in (1, 4, 23):  # restructure after instalment k
        after = original.rows[k - 1]
        rest = build_schedule(
            terms(
                principal=after.balance,
                annual_rate=D("4.5"),
                periods=24 - k,
                start=after.due_date,
                first_due=original.rows[k].due_date,
                due_day=30,
            )
        )
        assert [r.due_date for r in rest.rows] == [r.due_date for r in original.rows[k:]]
        assert rest.rows[0].interest == original.rows[k].interest
        assert rest.total_principal == after.balance
        assert rest.rows[-1].balance == 0
        if k < 23:  # the level payment on the balance is the original one to a cent
            assert abs(rest.instalment - original.instalment) <= D("0.01")
        else:  # one instalment left: exactly the original last row
            assert rest.rows[0]._replace(n=24) == original.rows[-1]


def test_restructure_needs_the_due_day_when_the_next_due_date_is_a_month_end():
    """A loan due on the 30th, restructured after January: the next due date is 29 February,
    a month end, which on its own would move the later dates to month ends."""
    next_due = date(2024, 2, 29)
    without = due_dates(next_due, Frequency.MONTHLY, 2)
    with_day = due_dates(next_due, Frequency.MONTHLY, 2, due_day=30)
    assert without[1] == date(2024, 3, 31)
    assert with_day[1] == date(2024, 3, 30)


# ---------------------------------------------------------------------------------------------
# Validation: one line naming the problem
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"principal": D("-100")}, "principal must be positive, got -100"),
        ({"principal": D("0")}, "principal must be positive"),
        ({"principal": D("100.005")}, "principal 100.005 has more than 2 decimals"),
        ({"principal": D("100.5"), "decimals": 0}, "principal 100.5 has more than 0 decimals"),
        ({"principal": 100.0}, "principal must be a Decimal, not float"),
        ({"principal": "abc"}, "principal 'abc' is not a number"),
        ({"principal": D("NaN")}, "principal must be a finite number"),
        ({"principal": D("1e13")}, "exceeds the maximum"),
        ({"periods": 0}, "periods must be between 1 and 1200, got 0"),
        ({"periods": 1201}, "periods must be between 1 and 1200"),
        ({"periods": "6"}, "periods must be a whole number"),
        ({"annual_rate": D("-1")}, "annual rate must be between 0 and 100 percent, got -1"),
        ({"annual_rate": D("150")}, "annual rate must be between 0 and 100 percent, got 150"),
        ({"annual_rate": D("1.1234567")}, "annual rate 1.1234567 has more than 6 decimals"),
        ({"frequency": "weekly"}, "unknown frequency 'weekly'; expected one of monthly"),
        ({"method": "balloon"}, "unknown method 'balloon'; expected one of annuity"),
        ({"interest": "flat"}, "unknown interest method 'flat'"),
        ({"day_count": "ACT/364"}, "unknown day count 'ACT/364'; expected one of 30E/360"),
        ({"rounding": "up"}, "unknown rounding 'up'; expected one of half-up, half-even"),
        ({"decimals": 3}, "decimals must be 0 or 2, got 3"),
        (
            {"first_due": date(2023, 12, 1)},
            "first due date 2023-12-01 is before the start date 2024-01-01",
        ),
        ({"first_due": date(2024, 1, 1)}, "first due date 2024-01-01 is the start date"),
        ({"start": "2024-01-01"}, "start must be a date"),
        ({"grace_full": 3, "grace_principal": 3, "grace_interest": "defer"}, "leaves no repayment"),
        ({"grace_full": 1}, "full grace needs a grace interest treatment: capitalise or defer"),
        ({"grace_full": 1, "grace_interest": "forgive"}, "unknown grace interest 'forgive'"),
        ({"grace_principal": -1}, "principal grace periods must be at least 0, got -1"),
        ({"instalment_multiple": D("0")}, "instalment multiple must be positive"),
        ({"instalment_multiple": D("0.001")}, "instalment multiple 0.001 has more than 2"),
        ({"instalment_multiple": D("1"), "method": "bullet"}, "does not apply to a bullet loan"),
        ({"due_day": 15}, "first due date 2024-02-01 does not fall on due day 15"),
        ({"due_day": 32}, "due day must be between 1 and 31"),
        ({"periods": 1200, "first_due": date(9950, 1, 1), "start": date(9949, 12, 1)}, "9999"),
    ],
)
def test_invalid_terms(overrides, message):
    with pytest.raises(ScheduleError) as excinfo:
        terms(**overrides)
    text = str(excinfo.value)
    assert message in text
    assert "\n" not in text


def test_capitalising_without_end_is_refused():
    loan = terms(
        principal=D("1000000000000"),
        annual_rate=D("100"),
        periods=1200,
        grace_full=1199,
        grace_interest="capitalise",
    )
    with pytest.raises(ScheduleError, match="capitalised interest grows the balance past"):
        build_schedule(loan)


def test_schedule_error_is_a_value_error():
    assert issubclass(ScheduleError, ValueError)
    with pytest.raises(ScheduleError, match="needs LoanTerms"):
        build_schedule({"principal": 1})


def test_terms_are_normalised_and_frozen():
    loan = terms(principal="2500", frequency="quarterly", method="linear", rounding="half-even")
    assert loan.principal == D("2500.00") and str(loan.principal) == "2500.00"
    assert loan.frequency is Frequency.QUARTERLY
    assert loan.method is Method.LINEAR
    assert loan.rounding is Rounding.HALF_EVEN
    assert loan.amortising_periods == 6
    with pytest.raises(dataclasses.FrozenInstanceError):
        loan.periods = 7  # type: ignore[misc]
    with pytest.raises(ScheduleError, match="periods must be between"):
        dataclasses.replace(loan, periods=0)


def test_rows_are_immutable_values():
    schedule = build_schedule(terms())
    row = schedule.rows[0]
    assert isinstance(row, Instalment)
    with pytest.raises(AttributeError):
        row.payment = D("0")  # type: ignore[misc]
    assert row._replace(n=9).n == 9 and schedule.rows[0].n == 1
    assert row._asdict()["interest"] == D("0.79")
    assert schedule.maturity == date(2024, 7, 1)
    assert isinstance(schedule.rows, tuple)


def test_no_negative_zero_when_capitalising_nothing():
    schedule = build_schedule(terms(annual_rate=D("0"), grace_full=1, grace_interest="capitalise"))
    assert str(schedule.rows[0].principal) == "0.00"
