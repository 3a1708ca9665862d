"""An approval reserves capacity of its compartment and is refused when it cannot be carried.

grant compartment: available = cash (1010) - payable (2000) - reserved (approved, not awarded)
revolving compartment: available = cash (1000) - reserved (approved or contracted, not paid out)
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from djmoney.money import Money

from fund import exceptions as exc
from fund import services
from fund.models import ApplicationKind, Compartment, CompartmentKind
from fund.selectors import compartment_position
from ledger import chart
from ledger.models import JournalEntry
from ledger.services import Cr, Dr, entry_post
from tests import factories as f
from tests.fund.helpers import assert_balances, cents, refused, row

pytestmark = pytest.mark.django_db

EUR = "EUR"
GRANT, LOAN = ApplicationKind.GRANT, ApplicationKind.LOAN


def position(team, kind):
    return compartment_position(f.compartment_of(team.fund, kind))


def decide(application, team, amount=None, approve=True):
    return services.application_decide(
        application=application,
        decided_by=team.second_manager,
        approve=approve,
        reason="Besluit.",
        amount=amount,
    )


@pytest.mark.parametrize(
    ("kind", "compartment"),
    [(GRANT, CompartmentKind.GRANT), (LOAN, CompartmentKind.REVOLVING)],
)
def test_an_approval_reserves_capacity_and_moves_no_money(kind, compartment):
    team = f.create_funded_team(grant="10000.00", revolving="10000.00")
    application = f.in_review_application(team=team, kind=kind, amount="4000.00")
    entries = JournalEntry.objects.count()

    decide(application, team)

    p = position(team, compartment)
    assert (p.cash, p.reserved, p.available) == (
        Decimal("10000.00"),
        Decimal("4000.00"),
        Decimal("6000.00"),
    )
    assert JournalEntry.objects.count() == entries
    other = position(
        team,
        CompartmentKind.REVOLVING
        if compartment == CompartmentKind.GRANT
        else CompartmentKind.GRANT,
    )
    assert other.available == Decimal("10000.00")  # the other compartment is untouched


@pytest.mark.parametrize("kind", [GRANT, LOAN])
def test_approvals_up_to_the_cash_then_refused(kind):
    team = f.create_funded_team(grant="10000.00", revolving="10000.00")
    first = f.in_review_application(team=team, kind=kind, amount="6000.00")
    second = f.in_review_application(team=team, kind=kind, amount="4000.01")
    decide(first, team)

    with refused(exc.InsufficientCapacity, second, match="beschikbaar"):
        decide(second, team)

    assert decide(second, team, amount="4000.00").commitment_open == Money("4000.00", EUR)
    compartment = CompartmentKind.GRANT if kind == GRANT else CompartmentKind.REVOLVING
    assert position(team, compartment).available == Decimal("0.00")


@pytest.mark.parametrize("kind", [GRANT, LOAN])
def test_an_empty_compartment_approves_nothing_but_may_reject(kind):
    team = f.create_fund_team()
    application = f.in_review_application(team=team, kind=kind, amount="1.00")

    with refused(exc.InsufficientCapacity, application):
        decide(application, team)
    assert decide(application, team, approve=False).state == "rejected"


def test_the_decider_may_approve_another_amount_than_proposed_within_capacity():
    team = f.create_funded_team(grant="5000.00", revolving=None)
    application = f.in_review_application(team=team, amount="8000.00")

    with refused(exc.InsufficientCapacity, application):
        decide(application, team)
    approved = decide(application, team, amount="5000.00")

    assert approved.approved_amount == Money("5000.00", EUR)
    assert approved.proposed_amount == Money("8000.00", EUR)


def test_grant_capacity_counts_payables_as_well_as_reservations():
    team = f.create_funded_team(grant="10000.00", revolving="10000.00")
    f.awarded_grant(team=team, amount="3000.00")  # payable 3000
    f.approved_application(team=team, amount="2000.00", ensure_capacity=False)  # reserved 2000

    p = position(team, CompartmentKind.GRANT)
    assert (p.cash, p.payable, p.reserved, p.committed, p.available) == (
        Decimal("10000.00"),
        Decimal("3000.00"),
        Decimal("2000.00"),
        Decimal("5000.00"),
        Decimal("5000.00"),
    )
    application = f.in_review_application(team=team, amount="5000.01")
    with refused(exc.InsufficientCapacity, application):
        decide(application, team)
    assert decide(application, team, amount="5000.00").state == "approved"
    # Grant payables do not reduce what the revolving compartment can lend.
    assert position(team, CompartmentKind.REVOLVING).available == Decimal("10000.00")


def test_revolving_capacity_is_cash_minus_reservations():
    team = f.create_funded_team(grant=None, revolving="20000.00")
    f.approved_application(team=team, kind=LOAN, amount="15000.00", ensure_capacity=False)

    p = position(team, CompartmentKind.REVOLVING)
    assert (p.cash, p.payable, p.reserved, p.available) == (
        Decimal("20000.00"),
        Decimal("0.00"),
        Decimal("15000.00"),
        Decimal("5000.00"),
    )
    application = f.in_review_application(team=team, kind=LOAN, amount="5000.01")
    with refused(exc.InsufficientCapacity, application):
        decide(application, team)


def test_rejected_and_withdrawn_applications_reserve_nothing():
    team = f.create_funded_team(grant="1000.00", revolving=None)
    f.rejected_application(team=team, amount="1000.00")
    f.withdrawn_application(team=team, amount="1000.00")
    f.in_review_application(team=team, amount="1000.00")

    assert position(team, CompartmentKind.GRANT).reserved == Decimal("0.00")


# --- using a reservation (a loan tranche paid out) -----------------------------------------


def disburse(team, application, amount: str):
    """What the loans app does when a tranche is paid out: Dr 1200 / Cr 1000 and use the
    reservation, under the compartment lock, in one transaction."""
    with transaction.atomic():
        Compartment.objects.select_for_update().get(fund=team.fund, kind=CompartmentKind.REVOLVING)
        entry_post(
            book=team.fund.book,
            date=f.DAY,
            description="Uitbetaling tranche",
            lines=[
                Dr(chart.LOANS_PRINCIPAL, cents(amount), contract=application.number),
                Cr(chart.BANK_REVOLVING, cents(amount), contract=application.number),
            ],
        )
        services.application_commitment_use(
            application=application,
            amount=Money(amount, EUR),
            used_by=team.manager,
            reason="tranche 1",
        )


def test_a_disbursed_tranche_uses_the_reservation_and_keeps_the_pool_available():
    team = f.create_funded_team(grant=None, revolving="20000.00")
    application = f.approved_application(team=team, kind=LOAN, amount="15000.00")

    disburse(team, application, "6000.00")

    assert row(application)["commitment_open"] == Decimal("9000.00")
    p = position(team, CompartmentKind.REVOLVING)
    assert (p.cash, p.reserved, p.available) == (
        Decimal("14000.00"),
        Decimal("9000.00"),
        Decimal("5000.00"),
    )
    assert_balances(team.fund.book, {"1000": "14000", "1200": "6000", "3000": "-20000"})


def test_using_more_than_is_reserved_is_refused():
    team = f.create_funded_team(grant=None, revolving="20000.00")
    application = f.approved_application(team=team, kind=LOAN, amount="1500.00")

    with refused(exc.InsufficientCapacity, application), transaction.atomic():
        services.application_commitment_use(
            application=application, amount=Money("1500.01", EUR), used_by=None, reason="x"
        )


def test_using_a_negative_amount_is_refused():
    """BUG: application_commitment_use takes ``_money`` (any sign), so a negative amount
    raises the reservation above what was approved, past the capacity check."""
    team = f.create_funded_team(grant=None, revolving="2000.00")
    application = f.approved_application(team=team, kind=LOAN, amount="1500.00")

    with refused(exc.InvalidAmount, application), transaction.atomic():
        services.application_commitment_use(
            application=application, amount=Money("-5000.00", EUR), used_by=None, reason="x"
        )
