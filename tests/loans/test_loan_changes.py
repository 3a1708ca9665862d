"""Four-eyes changes (write-off, conversion to grant, rejection) and the portfolio selectors."""

from __future__ import annotations

from datetime import date

import pytest

from ledger import chart
from loans import exceptions as exc
from loans import selectors, services
from loans.models import ChangeState, LoanState
from tests.loans.test_loan_helpers import (
    D,
    assert_books_ok,
    contract_balance,
    disbursed_loan,
    funded_team,
    make_product,
    rows,
)


@pytest.fixture
def team(db):
    team = funded_team()
    make_product(team)
    return team


def propose_and_approve(team, loan, kind, day, **params):
    change = services.loan_change_propose(
        loan=loan,
        kind=kind,
        effective_date=day,
        proposed_by=team.manager,
        reason="Project mislukt",
        **params,
    )
    return services.loan_change_decide(
        change=change, decided_by=team.second_manager, approve=True, reason="Akkoord"
    )


def test_full_write_off_clears_principal_and_interest(team):
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    services.loans_run_days(
        funds=[team.fund], date_from=date(2026, 1, 15), date_to=date(2026, 3, 5)
    )
    change = propose_and_approve(team, loan, "write_off", date(2026, 3, 5))
    loan.refresh_from_db()
    assert loan.state == LoanState.WRITTEN_OFF and change.state == ChangeState.EXECUTED
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == 0
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == 0
    assert (
        contract_balance(loan, chart.LOAN_LOSSES)
        == D("12000.00") + D("60.00") + rows(loan)[1].interest
    )
    # a closed loan is no longer processed
    services.loans_run_days(funds=[team.fund], date_to=date(2026, 4, 5))
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == 0
    assert_books_ok(team.fund)


def test_partial_write_off_lowers_the_remaining_instalments(team):
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    before = rows(loan)[1].payment
    propose_and_approve(team, loan, "write_off", date(2026, 1, 20), amount="2000.00")
    loan.refresh_from_db()
    assert loan.state == LoanState.ACTIVE
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("10000.00")
    assert contract_balance(loan, chart.LOAN_LOSSES) == D("2000.00")
    assert sum(r.principal for r in rows(loan)) == D("10000.00")
    assert rows(loan)[1].payment < before
    assert_books_ok(team.fund)


def test_conversion_to_grant_forgives_what_is_left(team):
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    services.repayment_record(
        loan=loan, amount="1032.80", value_date=date(2026, 2, 1), recorded_by=team.manager
    )
    propose_and_approve(team, loan, "conversion", date(2026, 2, 10))
    loan.refresh_from_db()
    assert loan.state == LoanState.CONVERTED
    assert contract_balance(loan, chart.LOAN_LOSSES) == D("12000.00") - D("972.80")
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == 0
    assert_books_ok(team.fund)


def test_a_rejected_proposal_changes_nothing_and_needs_a_second_manager(team):
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    change = services.loan_change_propose(
        loan=loan,
        kind="conversion",
        effective_date=date(2026, 2, 10),
        proposed_by=team.manager,
        reason="Project mislukt",
    )
    with pytest.raises(exc.FourEyesViolation):
        services.loan_change_decide(
            change=change, decided_by=team.manager, approve=True, reason="x"
        )
    services.loan_change_decide(
        change=change, decided_by=team.second_manager, approve=False, reason="Nog niet"
    )
    loan.refresh_from_db()
    assert loan.state == LoanState.ACTIVE
    with pytest.raises(exc.InvalidTransition):
        services.loan_change_decide(
            change=change, decided_by=team.second_manager, approve=True, reason="toch"
        )


def test_portfolio_par30_buckets_and_relending(team):
    paying = disbursed_loan(team, amount="12000.00", term_months=12)
    late = disbursed_loan(team, amount="24000.00", term_months=24)
    services.repayment_record(
        loan=paying, amount="1032.80", value_date=date(2026, 2, 1), recorded_by=team.manager
    )
    services.repayment_record(
        loan=paying, amount="1032.80", value_date=date(2026, 3, 1), recorded_by=team.manager
    )
    services.loans_run_days(
        funds=[team.fund], date_from=date(2026, 1, 15), date_to=date(2026, 3, 10)
    )
    as_of = date(2026, 3, 10)
    buckets = selectors.portfolio_arrears(team.fund, as_of)
    assert buckets["current"]["loans"] == 1 and buckets["31-60"]["loans"] == 1
    late_principal = contract_balance(late, chart.LOANS_PRINCIPAL)
    total = selectors.portfolio_outstanding(team.fund)
    assert total == late_principal + contract_balance(paying, chart.LOANS_PRINCIPAL)
    assert selectors.portfolio_par30(team.fund, as_of) == (late_principal / total).quantize(
        D("0.0001")
    )
    flows = selectors.portfolio_flows(team.fund, date(2026, 1, 1), date(2026, 3, 31))
    assert flows["disbursed"] == D("36000.00")
    assert flows["repaid"] == 12000 - rows(paying)[2].opening_balance
    relent = selectors.portfolio_relent(team.fund)
    assert relent["relent"] == 0  # 500000 paid in covers everything lent so far
