"""Reads that do not grow with the portfolio (issue #11): the same number of queries at 5
loans as at 50 for the portfolio page, the loan list, the manager dashboard, the loan
reconciliation of ledger_check, and one ordinary day of the day-end run."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ledger.checks import check_book
from loans import services
from tests.loans.test_loan_helpers import disbursed_loan, funded_team, pay_in

SIZES = (5, 50)


def portfolio_of(size: int):
    team = funded_team(revolving="0")
    pay_in(team, str(size * 7000))
    loans = [disbursed_loan(team, amount="6000.00", term_months=12) for _ in range(size)]
    # a few repayments, one paid ahead, so the reads meet allocations and advances
    services.repayment_record(
        loan=loans[0], amount="520.00", value_date=date(2026, 2, 1), recorded_by=team.manager
    )
    services.repayment_record(
        loan=loans[1], amount="1000.00", value_date=date(2026, 2, 1), recorded_by=team.manager
    )
    services.loans_run_days(funds=[team.fund], date_from=date(2026, 2, 1), date_to=date(2026, 2, 2))
    return team


def count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def counts(size: int, client) -> dict[str, int]:
    team = portfolio_of(size)
    client.force_login(team.manager)
    fund = team.fund
    return {
        "portfolio page": count(
            lambda: client.get(reverse("loans:portfolio", kwargs={"slug": fund.slug}))
        ),
        "loan list": count(lambda: client.get(reverse("loans:loan_list"))),
        "manager dashboard": count(lambda: client.get(reverse("reports:dashboard"))),
        "ledger_check": count(lambda: check_book(fund.book)),
        "run_day, ordinary day": count(
            lambda: services.loans_run_days(
                funds=[fund], date_from=date(2026, 2, 3), date_to=date(2026, 2, 3)
            )
        ),
    }


@pytest.mark.django_db
def test_reads_do_not_grow_with_the_number_of_loans(client):
    small, large = (counts(size, client) for size in SIZES)
    print({k: (small[k], large[k]) for k in small})
    assert large == small
