"""Paying early: up to what falls due next is held on 2100 and allocated when it falls due;
only the part beyond it is a prepayment; reversing a repayment undoes all it caused
(docs/loans.md, "Paying early")."""

from __future__ import annotations

from datetime import date

import pytest

from ledger import chart
from ledger.models import JournalEntry
from loans import selectors, services
from loans.models import Allocation, AllocationKind, ScheduleVersion
from tests.loans.test_loan_helpers import (
    D,
    assert_books_ok,
    book_state,
    contract_balance,
    disbursed_loan,
    funded_team,
    rows,
)

EARLY = date(2026, 1, 20)  # instalment 1 (1.032,80) falls due on 1 February
FEB1 = date(2026, 2, 1)


@pytest.fixture
def team(db):
    return funded_team()


@pytest.fixture
def loan(team):
    return disbursed_loan(team, amount="12000.00", term_months=12)


def pay(team, loan, amount, day, **kwargs):
    return services.repayment_record(
        loan=loan, amount=amount, value_date=day, recorded_by=team.manager, **kwargs
    )


def run_to(team, day, start=EARLY):
    services.loans_run_days(funds=[team.fund], date_from=start, date_to=day)


def due_entries(loan):
    return JournalEntry.objects.filter(
        book=loan.fund.book, idempotency_key__startswith=f"due:{loan.number}:"
    )


def test_an_instalment_paid_a_month_early_is_held_not_a_prepayment(team, loan):
    repayment = pay(team, loan, "1032.80", EARLY, overpayment="shorten")
    assert (repayment.advance, repayment.prepayment) == (D("1032.80"), D("0.00"))
    assert repayment.version_id is None
    assert ScheduleVersion.objects.filter(loan=loan).count() == 1
    assert [r.payment for r in rows(loan)][:11] == [D("1032.80")] * 11
    # nothing is posted due before its date; the money waits on 2100
    assert not due_entries(loan).exists()
    assert contract_balance(loan, chart.ADVANCES) == D("-1032.80")
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00")
    assert services.loan_status(loan).advance == D("1032.80")
    assert_books_ok(team.fund)


def test_the_advance_pays_the_instalment_the_day_it_falls_due(team, loan):
    pay(team, loan, "1032.80", EARLY)
    run_to(team, date(2026, 1, 31))
    assert contract_balance(loan, chart.ADVANCES) == D("-1032.80")
    run_to(team, date(2026, 2, 5), start=FEB1)
    assert contract_balance(loan, chart.ADVANCES) == D("0.00")
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == D("0.00")
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00") - D("972.80")
    applied = Allocation.objects.filter(loan=loan, kind=AllocationKind.ADVANCE, undone=False)
    assert {(a.component, a.n, a.amount, a.date) for a in applied} == {
        ("interest", 1, D("60.00"), FEB1),
        ("principal", 1, D("972.80"), FEB1),
    }
    loan.refresh_from_db()
    assert loan.days_past_due == 0
    assert services.loan_status(loan).advance == D("0.00")
    assert_books_ok(team.fund)


def test_part_of_an_instalment_paid_early_is_held_and_the_rest_falls_into_arrears(team, loan):
    pay(team, loan, "500.00", EARLY)
    run_to(team, date(2026, 2, 10))
    position = services.loan_status(loan)
    first = position.rows[0]
    assert position.open_interest(first) + position.open_principal(first) == D("532.80")
    loan.refresh_from_db()
    assert loan.days_past_due == 9
    assert_books_ok(team.fund)


def test_a_second_early_payment_is_held_only_up_to_what_the_instalment_still_asks(team, loan):
    pay(team, loan, "500.00", EARLY)
    second = pay(team, loan, "600.00", date(2026, 1, 25), overpayment="shorten")
    assert (second.advance, second.prepayment) == (D("532.80"), D("67.20"))
    assert contract_balance(loan, chart.ADVANCES) == D("-1032.80")
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00") - D("67.20")
    assert_books_ok(team.fund)


def test_reversing_an_early_payment_restores_the_loan_exactly(team, loan):
    books = book_state(team.fund)
    position = selectors.loan_position(loan=loan, as_of=EARLY)
    repayment = pay(team, loan, "1032.80", EARLY)
    services.repayment_reverse(repayment=repayment, reversed_by=team.manager, reason="fout")
    assert book_state(team.fund) == books
    assert selectors.loan_position(loan=loan, as_of=EARLY) == position
    assert not due_entries(loan).exists()
    assert services.loan_status(loan).advance == D("0.00")
    # and the collective can pay again, held in advance like the first time
    again = pay(team, loan, "1032.80", EARLY)
    assert again.advance == D("1032.80")
    assert_books_ok(team.fund)


def test_reversing_after_the_advance_was_allocated_undoes_the_allocation_too(team, loan):
    repayment = pay(team, loan, "1032.80", EARLY)
    run_to(team, date(2026, 2, 3))
    services.repayment_reverse(repayment=repayment, reversed_by=team.manager, reason="storno")
    assert contract_balance(loan, chart.ADVANCES) == D("0.00")
    # instalment 1 is due and unpaid again: its interest stays due (it is due), nothing paid
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == D("60.00")
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00")
    assert not Allocation.objects.filter(loan=loan, undone=False).exists()
    loan.refresh_from_db()
    assert loan.days_past_due == 2
    assert_books_ok(team.fund)


def test_early_settlement_counts_the_advance_held(team, loan):
    pay(team, loan, "1032.80", EARLY)
    day = date(2026, 1, 25)
    quote = services.loan_settlement_quote(loan=loan, date=day)
    assert quote.advance == D("1032.80")
    assert quote.total == quote.principal + quote.interest_accrued - D("1032.80")
    pay(team, loan, quote.total, day)
    loan.refresh_from_db()
    assert loan.state == "repaid"
    for code in (chart.ADVANCES, chart.LOANS_PRINCIPAL, chart.INTEREST_RECEIVABLE):
        assert contract_balance(loan, code) == D("0.00")
    assert_books_ok(team.fund)


def test_shortening_mid_period_keeps_every_later_instalment_exactly(team, loan):
    pay(team, loan, "1032.80", FEB1)  # instalment 1, on the day
    repayment = pay(team, loan, "3032.80", date(2026, 2, 10), overpayment="shorten")
    assert (repayment.advance, repayment.prepayment) == (D("1032.80"), D("2000.00"))
    new = [r for r in rows(loan) if r.due_date > date(2026, 2, 10)]
    # the first carries the interest on the prepaid 2.000 until 10 February; then exactly
    # the old instalment until the last, smaller one
    assert new[0].payment > D("1032.80")
    assert {r.payment for r in new[1:-1]} == {D("1032.80")}
    assert D("0.00") < new[-1].payment <= D("1032.80")
    assert len(new) < 11
    assert sum(r.principal for r in rows(loan)) == D("12000.00") - D("2000.00")
    assert_books_ok(team.fund)


def test_the_loan_page_shows_the_advance_held(client, team, loan, clock_at):
    from django.urls import reverse

    pay(team, loan, "1032.80", EARLY)
    clock_at(date(2026, 1, 25))  # before instalment 1 falls due
    client.force_login(team.manager)
    page = client.get(reverse("loans:loan_detail", kwargs={"number": loan.number}))
    text = page.content.decode()
    assert "Vooruitbetaald, nog toe te wijzen" in text
    assert "1.032,80" in text
