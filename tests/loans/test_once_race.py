"""On PostgreSQL: two repayments sent with the same one-time key at the same moment (a double
click) are one repayment; the compartment lock serialises them before the key is looked up."""

from __future__ import annotations

import pytest

from ledger.checks import check_book
from loans import services
from loans.models import Repayment
from tests.fund.test_concurrency import race, split
from tests.loans.test_loan_helpers import disbursed_loan, funded_team, rows

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_a_double_click_on_a_repayment_books_it_once(on_postgres):
    for _ in range(3):
        team = funded_team()
        loan = disbursed_loan(team)
        first = rows(loan)[0]

        def submit(loan=loan, team=team, first=first):
            return services.repayment_record(
                loan=loan,
                amount=first.payment,
                value_date=first.due_date,
                recorded_by=team.manager,
                idempotency_key="once:9a0e6b7c-2f3d-4e1a-8b5c-6d7e8f9a0b1c",
            )

        ok, failed = split(race(submit, submit))

        assert not failed, failed
        assert ok[0].pk == ok[1].pk
        assert Repayment.objects.filter(loan=loan).count() == 1
        assert check_book(team.fund.book).ok
