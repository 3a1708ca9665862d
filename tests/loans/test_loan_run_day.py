"""Day-end processing: interest due, month-end accruals, arrears, penalties; idempotency."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ledger import chart
from ledger.models import JournalEntry
from loans import services
from loans.models import Charge, DayRun
from tests.loans.test_loan_helpers import (
    D,
    assert_books_ok,
    book_state,
    contract_balance,
    disbursed_loan,
    funded_team,
    make_product,
)

START, END = date(2026, 1, 15), date(2026, 5, 10)


def _setup(**product):
    team = funded_team()
    make_product(team, **product)
    loans = [
        disbursed_loan(team, amount="12000.00", term_months=12),
        disbursed_loan(team, amount="30000.00", term_months=24, first_due=date(2026, 2, 28)),
    ]
    # one borrower pays, the other falls behind
    services.repayment_record(
        loan=loans[0], amount="1032.80", value_date=date(2026, 2, 1), recorded_by=team.manager
    )
    return team, loans


@pytest.mark.django_db
def test_a_range_day_by_day_twice_and_at_once_give_the_same_books():
    once, _ = _setup(penalty_rate=D("4"))
    twice, _ = _setup(penalty_rate=D("4"))
    services.loans_run_days(funds=[once.fund], date_from=START, date_to=END)
    day = START
    while day <= END:
        services.loan_day_process(fund=twice.fund, date=day)
        services.loan_day_process(fund=twice.fund, date=day)
        day += timedelta(days=1)
    assert book_state(once.fund) == book_state(twice.fund)
    entries = JournalEntry.objects.filter(book=twice.fund.book).count()
    services.loans_run_days(funds=[twice.fund], date_from=START, date_to=END)
    assert JournalEntry.objects.filter(book=twice.fund.book).count() == entries
    assert_books_ok(once.fund)
    assert_books_ok(twice.fund)


@pytest.mark.django_db
def test_catch_up_starts_after_the_last_processed_day():
    team, _ = _setup()
    services.loans_run_days(funds=[team.fund], date_from=START, date_to=date(2026, 2, 10))
    runs = services.loans_run_days(funds=[team.fund], date_to=date(2026, 2, 12))
    assert [r.date for r in runs] == [date(2026, 2, 11), date(2026, 2, 12)]
    assert DayRun.objects.filter(fund=team.fund).count() == (date(2026, 2, 12) - START).days + 1


@pytest.mark.django_db
def test_month_end_accrual_is_reversed_when_the_instalment_falls_due():
    team = funded_team()
    make_product(team)
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    services.loans_run_days(funds=[team.fund], date_from=START, date_to=date(2026, 1, 31))
    # 30E/360: 15 of the 16 days from 15 January to 1 February
    assert contract_balance(loan, chart.INTEREST_ACCRUED) == D("56.25")
    assert contract_balance(loan, chart.INTEREST_INCOME) == D("-56.25")
    services.loan_day_process(fund=team.fund, date=date(2026, 2, 1))
    assert contract_balance(loan, chart.INTEREST_ACCRUED) == 0
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == D("60.00")
    assert contract_balance(loan, chart.INTEREST_INCOME) == D("-60.00")
    assert_books_ok(team.fund)


@pytest.mark.django_db
def test_days_past_due_buckets_and_penalty_interest():
    team = funded_team()
    make_product(team, penalty_rate=D("6"))
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    seen = {}
    for day in (
        date(2026, 2, 1),
        date(2026, 2, 15),
        date(2026, 3, 5),
        date(2026, 4, 5),
        date(2026, 5, 5),
    ):
        services.loans_run_days(funds=[team.fund], date_to=day, date_from=None)
        loan.refresh_from_db()
        seen[day] = (loan.days_past_due, loan.arrears_bucket)
    assert seen == {
        date(2026, 2, 1): (0, "current"),
        date(2026, 2, 15): (14, "1-30"),
        date(2026, 3, 5): (32, "31-60"),
        date(2026, 4, 5): (63, "61-90"),
        date(2026, 5, 5): (93, "90+"),
    }
    penalties = list(Charge.objects.filter(loan=loan, kind="penalty").order_by("date"))
    assert [c.date for c in penalties] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    # February: 1032.80 overdue from 1 to 28 February (27 days 30E/360) at 6%
    assert penalties[0].amount == (D("1032.80") * D("0.06") * 27 / 360).quantize(D("0.01"))
    assert contract_balance(loan, chart.FEES_RECEIVABLE) == sum(c.amount for c in penalties)
    assert_books_ok(team.fund)
