"""A worked example: one loan through two tranches, a year of repayments, arrears, a
restructuring and an early repayment, checking the schedule, the allocation and the books at
every step (like django-hordak's worked examples)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ledger import chart
from loans import exceptions as exc
from loans import selectors, services
from loans.models import LoanState, ScheduleVersion
from tests.loans.test_loan_helpers import (
    D,
    assert_books_ok,
    balance,
    contract_balance,
    contracted_loan,
    disburse,
    funded_team,
    make_product,
    rows,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def on_day(day):
    """The worked example walks through time: each step happens with that day as today."""
    return time_machine.travel(datetime.combine(day, time(12), tzinfo=AMSTERDAM), tick=False)


def run_to(team, day):
    with on_day(day):
        services.loans_run_days(funds=[team.fund], date_to=day)


def pay_instalment(team, loan, n):
    """Pay instalment ``n`` on its due date and check the allocation and the books."""
    row = next(r for r in rows(loan) if r.n == n)
    run_to(team, row.due_date - timedelta(days=1))
    principal_before = contract_balance(loan, chart.LOANS_PRINCIPAL)
    fees = contract_balance(loan, chart.FEES_RECEIVABLE)  # penalty interest, paid first
    with on_day(row.due_date):
        repayment = services.repayment_record(
            loan=loan, amount=row.payment + fees, value_date=row.due_date, recorded_by=team.manager
        )
    parts = {}
    for a in repayment.allocations.all():
        parts[(a.component, a.n)] = parts.get((a.component, a.n), 0) + a.amount
    expected = {("fee", None): fees, ("interest", n): row.interest, ("principal", n): row.principal}
    assert parts == {k: v for k, v in expected.items() if v}
    assert contract_balance(loan, chart.FEES_RECEIVABLE) == 0
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == principal_before - row.principal
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == 0
    assert_books_ok(team.fund)
    return repayment


@pytest.mark.django_db
def test_worked_example_of_one_loan():
    team = funded_team(revolving="100000.00")
    make_product(team, penalty_rate=D("4"), success_premium_pct=D("1"))
    loan = contracted_loan(team, amount="24000.00", term_months=24)
    assert loan.periods == 24

    # 1. first tranche on 15 January: the schedule follows the 10000 paid out
    disburse(
        loan,
        "10000.00",
        date(2026, 1, 15),
        team.manager,
        team.second_manager,
        milestone="Bestelling panelen",
        invoice_reference="INV-1",
    )
    assert sum(r.principal for r in rows(loan)) == D("10000.00")
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("10000.00")
    assert balance(team.fund, chart.BANK_REVOLVING) == D("90000.00")
    pay_instalment(team, loan, 1)
    pay_instalment(team, loan, 2)

    # 2. second tranche on 10 March: rows 1-2 carried, the rest rebuilt for the total
    disburse(
        loan,
        "14000.00",
        date(2026, 3, 10),
        team.manager,
        team.second_manager,
        milestone="Oplevering",
        invoice_reference="INV-2",
    )
    loan.refresh_from_db()
    assert loan.state == LoanState.ACTIVE
    schedule = rows(loan)
    assert len(schedule) == 24
    assert sum(r.principal for r in schedule) == D("24000.00")
    assert ScheduleVersion.objects.filter(loan=loan).count() == 2
    assert_books_ok(team.fund)

    # 3. repayments on the due dates (instalments 3 to 6, April to July)
    for n in range(3, 7):
        pay_instalment(team, loan, n)

    # 4. arrears: August, September and October are not paid
    run_to(team, date(2026, 10, 15))
    loan.refresh_from_db()
    assert (loan.days_past_due, loan.arrears_bucket) == (75, "61-90")
    assert selectors.portfolio_par30(team.fund, date(2026, 10, 15)) == D("1.0000")
    overdue = [r for r in rows(loan) if date(2026, 8, 1) <= r.due_date <= date(2026, 10, 1)]
    position = selectors.loan_position(loan=loan, as_of=date(2026, 10, 15))
    assert position.arrears == sum(r.payment for r in overdue)
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == sum(r.interest for r in overdue)
    assert contract_balance(loan, chart.FEES_RECEIVABLE) > 0  # penalty interest
    assert_books_ok(team.fund)

    # 5. restructuring with four eyes: arrears capitalised, 4% over 18 instalments
    change = services.loan_change_propose(
        loan=loan,
        kind="restructure",
        effective_date=date(2026, 10, 15),
        proposed_by=team.manager,
        reason="Tegenvallende opbrengst zomer",
        annual_rate="4",
        periods=18,
        capitalise_arrears=True,
    )
    with pytest.raises(exc.FourEyesViolation):
        services.loan_change_decide(
            change=change, decided_by=team.manager, approve=True, reason="eigen voorstel"
        )
    principal_before = contract_balance(loan, chart.LOANS_PRINCIPAL)
    arrears_interest = contract_balance(loan, chart.INTEREST_RECEIVABLE)
    services.loan_change_decide(
        change=change, decided_by=team.second_manager, approve=True, reason="Akkoord"
    )
    loan.refresh_from_db()
    assert loan.annual_rate == D("4")
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == 0
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == principal_before + arrears_interest
    new_rows = [r for r in rows(loan) if r.due_date > date(2026, 10, 15)]
    assert len(new_rows) == 18
    assert sum(r.principal for r in new_rows) == principal_before + arrears_interest
    assert ScheduleVersion.objects.filter(loan=loan).count() == 3
    run_to(team, date(2026, 10, 20))
    loan.refresh_from_db()
    assert loan.days_past_due == 0
    assert_books_ok(team.fund)

    # 6. the collective pays three instalments of the new schedule, then repays early
    for row in new_rows[:3]:
        pay_instalment(team, loan, row.n)
    day = date(2027, 2, 10)
    run_to(team, day)
    quote = services.loan_settlement_quote(loan=loan, date=day)
    assert quote.principal == contract_balance(loan, chart.LOANS_PRINCIPAL)
    assert quote.premium == D("240.00")  # 1% of the 24000 paid out
    fees_open = contract_balance(loan, chart.FEES_RECEIVABLE)
    assert quote.fees == fees_open
    with on_day(day):
        services.repayment_record(
            loan=loan, amount=quote.total, value_date=day, recorded_by=team.manager
        )
    loan.refresh_from_db()
    assert loan.state == LoanState.REPAID
    for code in (
        chart.LOANS_PRINCIPAL,
        chart.INTEREST_RECEIVABLE,
        chart.FEES_RECEIVABLE,
        chart.INTEREST_ACCRUED,
    ):
        assert contract_balance(loan, code) == 0
    run_to(team, date(2027, 3, 5))
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == 0
    flows = selectors.portfolio_flows(team.fund, date(2026, 1, 1), date(2027, 12, 31))
    assert flows["disbursed"] == D("24000.00")
    assert flows["repaid"] == D("24000.00") + arrears_interest  # capitalised interest too
    assert balance(team.fund, chart.LOANS_PRINCIPAL) == 0
    assert_books_ok(team.fund)
