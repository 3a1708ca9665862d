"""The one home of month-end arithmetic (ledger/clock.py) and of the arrears buckets."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ledger import clock
from loans.models import ArrearsBucket

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(DAYS)
def test_month_end_is_the_day_before_the_first_of_the_next_month(day):
    end = clock.month_end(day.year, day.month)
    assert end.month == day.month and (end + timedelta(days=1)).day == 1
    assert clock.is_month_end(day) == (day == end)
    assert clock.first_of_next_month(day) == end + timedelta(days=1)


def test_leap_years_and_december():
    assert clock.month_end(2028, 2) == date(2028, 2, 29)
    assert clock.month_end(2026, 2) == date(2026, 2, 28)
    assert clock.first_of_next_month(date(2026, 12, 31)) == date(2027, 1, 1)


def test_bucket_boundaries():
    cases = {0: "current", 1: "1-30", 30: "1-30", 31: "31-60", 60: "31-60", 61: "61-90",
             90: "61-90", 91: "90+", -3: "current"}  # fmt: skip
    for days, bucket in cases.items():
        assert ArrearsBucket.for_days(days) == bucket
