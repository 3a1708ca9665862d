"""The shared factories build what they promise, through the services (others rely on them)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from djmoney.money import Money

from fund.models import ApplicationKind, ApplicationState, CompartmentKind, GrantState
from fund.selectors import compartment_position, is_auditor, is_manager
from ledger.models import AuditEvent
from tests import factories as f
from tests.fund.helpers import assert_books_ok

pytestmark = pytest.mark.django_db


def test_fund_team_has_a_book_two_compartments_and_two_managers():
    team = f.create_fund_team()

    assert set(team.fund.managers.all()) == {team.manager, team.second_manager}
    assert team.manager != team.second_manager
    assert team.grant.kind == CompartmentKind.GRANT
    assert team.revolving.kind == CompartmentKind.REVOLVING
    assert team.fund.book.accounts.filter(code__in=["1000", "1010", "2000"]).count() == 3
    assert AuditEvent.objects.filter(action="fund.create", object_id=str(team.fund.pk)).exists()


def test_roles():
    team = f.create_fund_team()
    collective = f.create_verified_collective(verified_by=team.manager)
    investor_user = f.create_investor_user()
    auditor = f.create_auditor()

    assert is_manager(team.manager) and is_manager(team.second_manager)
    assert not is_manager(f.member_of(collective))
    assert collective.is_verified
    assert investor_user.investors.count() == 1
    assert is_auditor(auditor) and not is_manager(auditor)
    assert not auditor.has_usable_password()
    assert f.UserFactory(password=f.PASSWORD).check_password(f.PASSWORD)


def test_funded_team_has_cash_in_both_compartments():
    team = f.create_funded_team(grant="1000.00", revolving="2000.00")

    assert compartment_position(team.grant).cash == Decimal("1000.00")
    assert compartment_position(team.revolving).cash == Decimal("2000.00")
    assert_books_ok(team.fund.book)


@pytest.mark.parametrize("state", ApplicationState.values)
@pytest.mark.parametrize("kind", ApplicationKind.values)
def test_application_in_each_state(state, kind):
    team = f.create_fund_team()

    application = f.create_application(state, team=team, kind=kind, amount="2500.00")

    application.refresh_from_db()
    assert application.state == state
    assert application.kind == kind
    assert application.created_by == f.member_of(application.collective)
    if kind == ApplicationKind.LOAN:
        assert application.term_months == f.DEFAULT_LOAN_TERM
    if state == ApplicationState.APPROVED:
        assert application.decided_by == team.second_manager
        assert application.commitment_open == Money("2500.00", "EUR")


def test_grants_awarded_paid_and_settled():
    team = f.create_fund_team()

    awarded = f.awarded_grant(team=team, amount="3000.00")
    paying = f.paid_grant(team=team, amount="3000.00", tranches=["1000.00"])
    paid = f.paid_grant(team=team, amount="3000.00")
    settled = f.settled_grant(team=team, amount="3000.00", tranches=["2000.00"], returned="500")

    assert awarded.state == GrantState.AWARDED
    assert (paying.state, paying.paid) == (GrantState.PAYING, Money("1000.00", "EUR"))
    assert (paid.state, paid.paid) == (GrantState.PAID, Money("3000.00", "EUR"))
    assert settled.state == GrantState.SETTLED
    assert settled.released == Money("1000.00", "EUR")
    assert settled.returned == Money("500.00", "EUR")
    assert_books_ok(team.fund.book)
