"""Contracting a loan, disbursement in tranches under the pool lock, schedule versions."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from djmoney.money import Money

from fund import services as fund_services
from ledger import chart
from loans import exceptions as exc
from loans import services
from loans.models import LoanState, ScheduleVersion
from loans.schedule import LoanTerms, build_schedule
from tests.loans.test_loan_helpers import (
    D,
    approved_loan_application,
    assert_books_ok,
    balance,
    contract_balance,
    contracted_loan,
    disburse,
    funded_team,
    make_product,
    rows,
)


@pytest.fixture
def team(db):
    return funded_team()


def test_contract_takes_product_defaults_and_numbers_the_loan(team):
    loan = contracted_loan(team, amount="12000.00", term_months=12)
    assert loan.number == f"L-{loan.contracted_on.year}-0001"
    assert loan.principal == D("12000.00")
    assert loan.periods == 12
    assert loan.method == "annuity" and loan.frequency == "monthly"
    assert loan.annual_rate == D("6")
    assert loan.state == LoanState.CONTRACTED
    assert not ScheduleVersion.objects.filter(loan=loan).exists()
    # nothing is posted at contract; the reservation stays on the application
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == 0
    assert loan.application.commitment_open.amount == D("12000.00")


def test_contract_below_approval_releases_the_rest(team):
    application = approved_loan_application(team, amount="20000.00", term_months=24)
    loan = services.loan_contract(
        application=application,
        product=make_product(team),
        contracted_by=team.manager,
        date=date(2026, 1, 15),
        principal="15000.00",
    )
    application.refresh_from_db()
    assert loan.principal == D("15000.00")
    assert application.commitment_open.amount == D("15000.00")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("amount", "300000.00", exc.InvalidTerms),  # above the product maximum
        ("term_months", 240, exc.InvalidTerms),  # longer than the product allows
    ],
)
def test_contract_refused_outside_product_limits(team, field, value, error):
    kwargs = {"amount": "12000.00", "term_months": 12}
    kwargs[field] = value
    with pytest.raises(error):
        contracted_loan(team, **kwargs)


def test_contract_only_by_a_manager_of_the_fund(team):
    application = approved_loan_application(team, amount="10000.00", term_months=12)
    outsider = get_user_model().objects.create_user(username="buitenstaander")
    with pytest.raises(exc.NotAllowed):
        services.loan_contract(
            application=application,
            product=make_product(team),
            contracted_by=outsider,
            date=date(2026, 1, 15),
        )


def test_one_tranche_posts_and_builds_the_engine_schedule(team):
    loan = contracted_loan(team, amount="12000.00", term_months=12)
    disburse(loan, "12000.00", date(2026, 1, 15), team.manager, team.second_manager)
    loan.refresh_from_db()
    assert loan.state == LoanState.ACTIVE
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00")
    assert balance(team.fund, chart.BANK_REVOLVING) == D("500000.00") - D("12000.00")
    expected = build_schedule(
        LoanTerms(
            principal=D("12000.00"),
            annual_rate=D("6"),
            periods=12,
            frequency="monthly",
            method="annuity",
            start=date(2026, 1, 15),
            first_due=date(2026, 2, 1),
        )
    )
    stored = rows(loan)
    assert [(r.n, r.due_date, r.principal, r.interest) for r in stored] == [
        (e.n, e.due_date, e.principal, e.interest) for e in expected.rows
    ]
    assert sum(r.principal for r in stored) == D("12000.00")
    loan.application.refresh_from_db()
    assert loan.application.commitment_open.amount == 0
    assert_books_ok(team.fund)


def test_two_tranches_rebuild_the_schedule_from_the_disbursed_principal(team):
    loan = contracted_loan(team, amount="12000.00", term_months=12)
    disburse(
        loan,
        "5000.00",
        date(2026, 1, 15),
        team.manager,
        team.second_manager,
        milestone="Start bouw",
        invoice_reference="F-001",
    )
    loan.refresh_from_db()
    assert loan.state == LoanState.DISBURSING
    first = rows(loan)
    assert sum(r.principal for r in first) == D("5000.00")
    disburse(
        loan,
        "7000.00",
        date(2026, 2, 15),
        team.manager,
        team.second_manager,
        milestone="Oplevering",
        invoice_reference="F-002",
    )
    loan.refresh_from_db()
    assert loan.state == LoanState.ACTIVE
    second = rows(loan)
    versions = list(ScheduleVersion.objects.filter(loan=loan).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert [v.is_current for v in versions] == [False, True]
    # row 1 (1 Feb) is carried unchanged; the rest is rebuilt for 7000 + what was left of 5000
    assert second[0].due_date == date(2026, 2, 1)
    assert (second[0].principal, second[0].interest) == (first[0].principal, first[0].interest)
    assert second[1].opening_balance == first[0].balance + D("7000.00")
    assert sum(r.principal for r in second) == D("12000.00")
    assert len(second) == 12
    # broken period: the old balance 1 Feb - 15 Feb, the new one 15 Feb - 1 Mar (30E/360)
    old, new = first[0].balance, second[1].opening_balance
    expected = (old * D("0.06") * 14 / 360).quantize(D("0.01")) + (
        new * D("0.06") * 16 / 360
    ).quantize(D("0.01"))
    assert second[1].interest == expected
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00")
    assert_books_ok(team.fund)


def test_tranche_refused_above_the_undisbursed_principal(team):
    loan = contracted_loan(team, amount="12000.00")
    disburse(loan, "10000.00", date(2026, 1, 15), team.manager, team.second_manager)
    with pytest.raises(exc.LoanError):
        disburse(loan, "2000.01", date(2026, 1, 20), team.manager, team.second_manager)


def test_tranche_refused_when_the_pool_cannot_carry_it(db):
    team = funded_team(revolving="20000.00")
    loan = contracted_loan(team, amount="15000.00")
    # 5000 of the loan's reservation is released (a cancelled milestone) and another approval
    # takes the whole free pool: a 15000 tranche needs 5000 beyond its own reservation.
    with transaction.atomic():
        fund_services.application_commitment_use(
            application=loan.application,
            amount=Money("5000.00", "EUR"),
            used_by=team.manager,
            reason="mijlpaal vervallen",
        )
    approved_loan_application(team, amount="10000.00", term_months=12)
    change = services.tranche_propose(
        loan=loan, amount="15000.00", date=date(2026, 1, 15), proposed_by=team.manager
    )
    with pytest.raises(exc.InsufficientPool):
        services.loan_change_decide(
            change=change, decided_by=team.second_manager, approve=True, reason="akkoord"
        )
    loan.refresh_from_db()
    change.refresh_from_db()
    assert (loan.disbursed, change.state, change.entry_id) == (0, "proposed", None)
    # The approver turns it down; a smaller tranche goes through.
    services.loan_change_decide(
        change=change, decided_by=team.second_manager, approve=False, reason="pool te krap"
    )
    disburse(loan, "10000.00", date(2026, 1, 15), team.manager, team.second_manager)
    assert balance(team.fund, chart.BANK_REVOLVING) == D("10000.00")
    assert_books_ok(team.fund)


def test_tranche_beyond_its_reservation_needs_free_pool(team):
    loan = contracted_loan(team, amount="12000.00")
    disburse(loan, "12000.00", date(2026, 1, 15), team.manager, team.second_manager)
    # the reservation is used up; a second loan's reservation cannot be borrowed
    assert loan.application.commitment_open.amount == D("12000.00")  # stale object
    loan.application.refresh_from_db()
    assert loan.application.commitment_open.amount == 0


@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_one_tranche_at_once_pay_it_out_once(on_postgres):
    team = funded_team(revolving="100000.00")
    third = get_user_model().objects.create_user("derde-beheerder")
    team.fund.managers.add(third)
    loan = contracted_loan(team, amount="100000.00", term_months=24)
    change = services.tranche_propose(
        loan=loan, amount="60000.00", date=date(2026, 1, 15), proposed_by=team.manager
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user):
        try:
            barrier.wait()
            services.loan_change_decide(change=change, decided_by=user, approve=True, reason="ok")
            outcomes.append("ok")
        except exc.LoanError as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (team.second_manager, third)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["InvalidTransition", "ok"]
    loan.refresh_from_db()
    assert loan.disbursed == Decimal("60000.00")
    assert loan.disbursements.count() == 1
    assert balance(team.fund, chart.BANK_REVOLVING) == Decimal("40000.00")
    assert_books_ok(team.fund)


def test_one_manager_alone_cannot_pay_out_a_tranche(team):
    loan = contracted_loan(team, amount="12000.00")
    change = services.tranche_propose(
        loan=loan,
        amount="12000.00",
        date=date(2026, 1, 15),
        proposed_by=team.manager,
        milestone="Panelen besteld",
    )
    loan.refresh_from_db()
    # Proposed: nothing has left the fund yet.
    assert (loan.disbursed, loan.state) == (0, LoanState.CONTRACTED)
    assert balance(team.fund, chart.BANK_REVOLVING) == D("500000.00")
    with pytest.raises(exc.FourEyesViolation):
        services.loan_change_decide(
            change=change, decided_by=team.manager, approve=True, reason="zelf"
        )
    # A second proposal while one is pending is refused; so is one manager by another route.
    with pytest.raises(exc.InvalidTransition):
        services.tranche_propose(
            loan=loan, amount="1.00", date=date(2026, 1, 15), proposed_by=team.second_manager
        )
    assert not hasattr(services, "loan_disburse")
    services.loan_change_decide(
        change=change, decided_by=team.second_manager, approve=True, reason="mijlpaal gezien"
    )
    loan.refresh_from_db()
    change.refresh_from_db()
    disbursement = loan.disbursements.get()
    assert (loan.disbursed, loan.state) == (D("12000.00"), LoanState.ACTIVE)
    assert change.state == "executed" and change.entry_id == disbursement.entry_id
    assert disbursement.milestone == "Panelen besteld"
    assert disbursement.date == date(2026, 1, 15)
    assert balance(team.fund, chart.BANK_REVOLVING) == D("488000.00")
    assert_books_ok(team.fund)


def test_a_rejected_tranche_moves_no_money(team):
    loan = contracted_loan(team, amount="12000.00")
    change = services.tranche_propose(
        loan=loan, amount="5000.00", date=date(2026, 1, 15), proposed_by=team.manager
    )
    services.loan_change_decide(
        change=change, decided_by=team.second_manager, approve=False, reason="factuur ontbreekt"
    )
    loan.refresh_from_db()
    assert (loan.disbursed, loan.disbursements.count()) == (0, 0)
    assert balance(team.fund, chart.BANK_REVOLVING) == D("500000.00")


def test_a_tranche_proposal_sent_twice_is_one_proposal(team):
    loan = contracted_loan(team, amount="12000.00")
    first = services.tranche_propose(
        loan=loan,
        amount="5000.00",
        date=date(2026, 1, 15),
        proposed_by=team.manager,
        idempotency_key="once:tranche-1",
    )
    again = services.tranche_propose(
        loan=loan,
        amount="5000.00",
        date=date(2026, 1, 15),
        proposed_by=team.manager,
        idempotency_key="once:tranche-1",
    )
    assert again.pk == first.pk and again.once_replayed
    assert loan.changes.count() == 1


def test_a_tranche_waits_while_the_collectives_iban_is_being_changed(team):
    loan = contracted_loan(team, amount="12000.00")
    change = services.tranche_propose(
        loan=loan, amount="5000.00", date=date(2026, 1, 15), proposed_by=team.manager
    )
    member = loan.collective.members.first()
    fund_services.collective_update(
        collective=loan.collective, changed_by=member, iban="NL20INGB0001234567"
    )
    with pytest.raises(exc.InvalidTransition, match="wachten op goedkeuring"):
        services.loan_change_decide(
            change=change, decided_by=team.second_manager, approve=True, reason="akkoord"
        )
    loan.refresh_from_db()
    assert loan.disbursed == 0
