"""Reversing a repayment that later repayments were allocated on top of: the later ones are
reversed and booked again, so the loan is exactly as if the reversed one never arrived
(docs/loans.md, "Reversing")."""

from __future__ import annotations

from datetime import date

import pytest

from ledger import chart
from loans import exceptions as exc
from loans import selectors, services
from loans.models import Allocation, Repayment
from tests.loans.test_loan_helpers import (
    D,
    assert_books_ok,
    balance,
    contract_balance,
    disbursed_loan,
    funded_team,
)

FEB1, MAR1, APR1 = date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)
INSTALMENT = "1032.80"
ACCOUNTS = (
    chart.LOANS_PRINCIPAL,
    chart.INTEREST_RECEIVABLE,
    chart.INTEREST_INCOME,
    chart.ADVANCES,
    chart.FEES_RECEIVABLE,
)


def pay(team, loan, amount, day, **kwargs):
    return services.repayment_record(
        loan=loan, amount=amount, value_date=day, recorded_by=team.manager, **kwargs
    )


def picture(loan, as_of=date(2026, 4, 10)):
    """What the loan's books and position say, without the loan's own number."""
    loan.refresh_from_db()
    position = selectors.loan_position(loan=loan, as_of=as_of)
    allocations = sorted(
        (a.component, a.n, a.amount) for a in Allocation.objects.filter(loan=loan, undone=False)
    )
    return {
        "books": {code: contract_balance(loan, code) for code in ACCOUNTS},
        "position": (
            position.principal,
            position.interest,
            position.fees,
            position.arrears,
            position.days_past_due,
            position.advance,
        ),
        "allocations": allocations,
        "arrears": (loan.days_past_due, loan.arrears_bucket),
    }


def twins():
    """Two identical loans in two funds: one lives the history, the other the outcome."""
    first, second = funded_team(), funded_team()
    return (
        (first, disbursed_loan(first, amount="12000.00", term_months=12)),
        (second, disbursed_loan(second, amount="12000.00", term_months=12)),
    )


def test_reversing_the_first_of_two_rebooks_the_second_onto_the_oldest_instalment(db):
    (team, loan), (twin_team, twin) = twins()
    first = pay(team, loan, INSTALMENT, FEB1, bank_reference="BANK-1")
    second = pay(team, loan, INSTALMENT, MAR1, bank_reference="BANK-2")
    assert {a.n for a in second.allocations.all()} == {2}

    services.repayment_reverse(repayment=first, reversed_by=team.manager, reason="storno")

    second.refresh_from_db()
    assert second.is_reversed
    again = Repayment.objects.get(replaces=second)
    assert (again.amount, again.value_date, again.bank_reference) == (
        D(INSTALMENT),
        MAR1,
        "BANK-2",
    )
    assert not again.is_reversed
    # instalment 1 is the oldest unpaid one once the first payment is gone
    assert {(a.component, a.n) for a in again.allocations.all()} == {
        ("interest", 1),
        ("principal", 1),
        ("interest", 2),
    }
    pay(twin_team, twin, INSTALMENT, MAR1)
    services.loans_run_days(funds=[team.fund, twin_team.fund], date_from=APR1, date_to=APR1)
    assert picture(loan) == picture(twin)
    assert_books_ok(team.fund)
    # the bank reference still marks the money as booked: importing it again adds nothing
    with pytest.raises(exc.InvalidTransition):
        pay(team, loan, INSTALMENT, MAR1, bank_reference="BANK-2")


def test_rebooked_advance_pays_the_instalment_that_fell_due_since(db):
    (team, loan), (twin_team, twin) = twins()
    # instalment 1 paid, then instalment 2 paid a fortnight early (held as an advance)
    first = pay(team, loan, INSTALMENT, FEB1)
    pay(team, loan, INSTALMENT, date(2026, 2, 15))
    services.loans_run_days(funds=[team.fund], date_from=FEB1, date_to=date(2026, 3, 10))

    services.repayment_reverse(repayment=first, reversed_by=team.manager, reason="storno")

    pay(twin_team, twin, INSTALMENT, date(2026, 2, 15))
    services.loans_run_days(funds=[twin_team.fund], date_from=FEB1, date_to=date(2026, 3, 10))
    assert picture(loan, date(2026, 3, 10)) == picture(twin, date(2026, 3, 10))
    assert contract_balance(loan, chart.ADVANCES) == 0
    assert_books_ok(team.fund)


def test_a_later_repayment_that_changed_the_schedule_must_be_reversed_first(db):
    (team, loan), _ = twins()
    first = pay(team, loan, INSTALMENT, FEB1)
    prepayment = pay(team, loan, "4000.00", date(2026, 2, 10))
    with pytest.raises(exc.ScheduleConflict, match="10-02-2026"):
        services.repayment_reverse(repayment=first, reversed_by=team.manager, reason="storno")
    # refused whole: nothing was reversed
    assert not Repayment.objects.filter(loan=loan, reversed_at__isnull=False).exists()
    services.repayment_reverse(repayment=prepayment, reversed_by=team.manager, reason="fout")
    services.repayment_reverse(repayment=first, reversed_by=team.manager, reason="storno")
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00")
    assert_books_ok(team.fund)


def test_a_matched_suspense_receipt_follows_its_rebooked_repayment(db):
    (team, loan), (twin_team, twin) = twins()
    first = pay(team, loan, INSTALMENT, FEB1)
    receipt = services.receipt_record_unmatched(
        fund=team.fund,
        amount=INSTALMENT,
        value_date=MAR1,
        payer_reference="NL20INGB0001234567",
        recorded_by=team.manager,
        description="termijn maart",
    )
    matched = services.receipt_match(receipt=receipt, loan=loan, matched_by=team.manager)

    services.repayment_reverse(repayment=first, reversed_by=team.manager, reason="storno")

    receipt.refresh_from_db()
    assert receipt.repayment == Repayment.objects.get(replaces=matched)
    # the rebooked receipt still comes from suspense (1900), which stays cleared
    assert balance(team.fund, chart.SUSPENSE) == 0
    pay(twin_team, twin, INSTALMENT, MAR1)
    assert picture(loan, date(2026, 3, 5)) == picture(twin, date(2026, 3, 5))
    assert_books_ok(team.fund)
