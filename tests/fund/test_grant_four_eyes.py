"""Four eyes where money leaves the fund: a grant payment is proposed by one manager and
booked only when a different manager of the fund approves it (issue #9)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from fund import exceptions as exc
from fund import services
from fund.models import GrantPayment, GrantState, PaymentState
from ledger.models import JournalEntry
from ledger.services import entry_reverse
from tests import factories as f
from tests.fund.helpers import assert_balances, assert_books_ok, cents, refused, row

pytestmark = pytest.mark.django_db


def lines_of(entry):
    return [
        (ln.account.code, ln.debit, ln.credit, ln.contract, ln.party) for ln in entry.lines.all()
    ]


@pytest.fixture
def setup():
    team = f.create_funded_team(grant="20000", revolving=None)
    grant = f.awarded_grant(team=team, amount="10000")
    return team, grant


def test_a_proposal_books_nothing_and_the_approval_books_the_payment(setup):
    team, grant = setup
    book = team.fund.book
    entries = JournalEntry.objects.filter(book=book).count()

    payment = services.grant_payment_propose(
        grant=grant, amount="4000", date=f.DAY, proposed_by=team.manager, description="Tranche 1"
    )

    assert (payment.state, payment.entry, payment.proposed_by) == (
        PaymentState.PROPOSED,
        None,
        team.manager,
    )
    assert JournalEntry.objects.filter(book=book).count() == entries
    assert row(grant)["paid"] == Decimal("0.00")
    assert_balances(book, {"1010": "20000", "2000": "-10000", "3010": "-20000", "5000": "10000"})

    payment = services.grant_payment_decide(
        payment=payment, decided_by=team.second_manager, approve=True
    )

    assert payment.state == PaymentState.APPROVED
    assert payment.decided_by == team.second_manager and payment.decided_at is not None
    assert lines_of(payment.entry) == [
        ("2000", cents("4000"), 0, grant.number, grant.collective.code),
        ("1010", 0, cents("4000"), grant.number, grant.collective.code),
    ]
    assert (row(grant)["state"], row(grant)["paid"]) == (GrantState.PAYING, Decimal("4000.00"))
    assert_balances(book, {"1010": "16000", "2000": "-6000", "3010": "-20000", "5000": "10000"})
    assert_books_ok(book)


def test_the_proposer_may_not_approve_their_own_payment(setup):
    team, grant = setup
    payment = services.grant_payment_propose(
        grant=grant, amount="4000", date=f.DAY, proposed_by=team.manager
    )
    with refused(exc.FourEyesViolation, payment, grant, match="Vier ogen"):
        services.grant_payment_decide(payment=payment, decided_by=team.manager, approve=True)


def test_only_a_manager_of_the_fund_decides(setup, other_team):
    team, grant = setup
    payment = services.grant_payment_propose(
        grant=grant, amount="4000", date=f.DAY, proposed_by=team.manager
    )
    for user in (other_team.manager, f.member_of(grant.collective)):
        with refused(exc.NotAllowed, payment, grant):
            services.grant_payment_decide(payment=payment, decided_by=user, approve=True)


def test_a_rejection_records_the_reason_and_books_nothing(setup):
    team, grant = setup
    book = team.fund.book
    payment = services.grant_payment_propose(
        grant=grant, amount="4000", date=f.DAY, proposed_by=team.manager
    )
    with refused(exc.InvalidTransition, payment, match="Motiveer"):
        services.grant_payment_decide(
            payment=payment, decided_by=team.second_manager, approve=False, reason=" "
        )
    entries = JournalEntry.objects.filter(book=book).count()

    payment = services.grant_payment_decide(
        payment=payment, decided_by=team.second_manager, approve=False, reason="Factuur ontbreekt"
    )

    assert (payment.state, payment.reason, payment.entry) == (
        PaymentState.REJECTED,
        "Factuur ontbreekt",
        None,
    )
    assert JournalEntry.objects.filter(book=book).count() == entries
    assert row(grant)["paid"] == Decimal("0.00")
    with pytest.raises(exc.InvalidTransition):
        services.grant_payment_decide(payment=payment, decided_by=team.second_manager, approve=True)
    # After the rejection the whole award may be proposed again.
    services.grant_payment_propose(
        grant=grant, amount="10000", date=f.DAY, proposed_by=team.manager
    )


def test_proposals_count_against_what_may_still_be_paid(setup):
    team, grant = setup
    services.grant_payment_propose(grant=grant, amount="6000", date=f.DAY, proposed_by=team.manager)

    with refused(exc.InvalidAmount, grant, match="wacht al op een tweede fondsbeheerder"):
        services.grant_payment_propose(
            grant=grant, amount="4000.01", date=f.DAY, proposed_by=team.second_manager
        )
    services.grant_payment_propose(grant=grant, amount="4000", date=f.DAY, proposed_by=team.manager)
    assert grant.payments.filter(state=PaymentState.PROPOSED).count() == 2


def test_a_settlement_waits_for_a_pending_payment(setup):
    team, grant = setup
    services.grant_payment_propose(grant=grant, amount="6000", date=f.DAY, proposed_by=team.manager)
    with refused(exc.InvalidTransition, grant, match="tweede fondsbeheerder"):
        services.grant_settle(grant=grant, returned="0", date=f.DAY, settled_by=team.manager)


def test_the_approval_is_refused_when_the_cash_is_gone():
    """A contribution booked in error is reversed after the proposal: the approval checks the
    cash again and books nothing."""
    team = f.create_fund_team()
    first = f.fund_compartment(team=team, amount="10000")
    grant = f.awarded_grant(team=team, amount="8000")
    payment = services.grant_payment_propose(
        grant=grant, amount="8000", date=f.DAY, proposed_by=team.manager
    )
    entry_reverse(entry=first.entry, created_by=team.manager, date=f.DAY)
    f.fund_compartment(team=team, amount="5000")

    with refused(exc.InsufficientCapacity, payment, grant, match="saldo"):
        services.grant_payment_decide(payment=payment, decided_by=team.second_manager, approve=True)
    assert_books_ok(team.fund.book)


def test_the_grant_page_offers_the_decision_to_a_second_manager_only(client, setup):
    team, grant = setup
    url = reverse("fund:grant_detail", kwargs={"number": grant.number})
    client.force_login(team.manager)
    response = client.post(
        reverse("fund:grant_pay", kwargs={"number": grant.number}),
        {
            "amount": "2.500,00",
            "date": f.DAY.isoformat(),
            "description": "Eerste tranche",
            "once": str(uuid.uuid4()),
        },
        follow=True,
    )
    payment = GrantPayment.objects.get(grant=grant)
    assert payment.state == PaymentState.PROPOSED
    text = response.content.decode()
    assert "wacht op tweede fondsbeheerder" in text
    decide_url = reverse(
        "fund:grant_payment_decide", kwargs={"number": grant.number, "pk": payment.pk}
    )
    assert decide_url not in text
    # The proposer's own approval is refused and books nothing.
    client.post(decide_url, {"decision": "approve"})
    assert row(payment)["state"] == PaymentState.PROPOSED

    client.force_login(team.second_manager)
    text = client.get(url).content.decode()
    assert decide_url in text and "wacht op tweede fondsbeheerder" not in text
    response = client.post(decide_url, {"decision": "approve"}, follow=True)
    assert "goedgekeurd en geboekt" in response.content.decode()
    payment.refresh_from_db()
    assert payment.state == PaymentState.APPROVED and payment.entry is not None
    assert row(grant)["paid"] == Decimal("2500.00")
    # A second click on the same button changes nothing.
    client.post(decide_url, {"decision": "approve"})
    assert row(grant)["paid"] == Decimal("2500.00")
    assert JournalEntry.objects.filter(source_type="fund.grant_payment").count() == 1


def test_the_assessor_is_not_offered_the_decision_form(client, team):
    team = f.create_funded_team(grant="20000", revolving=None)
    application = f.in_review_application(team=team, amount="3000")
    assert application.assessor == team.manager
    detail = reverse("fund:application_detail", kwargs={"number": application.number})
    decide = reverse("fund:application_decide", kwargs={"number": application.number})

    client.force_login(team.manager)
    text = client.get(detail).content.decode()
    assert decide not in text
    assert 'name="decision"' not in text
    response = client.get(decide)
    assert response.status_code == 302 and response["Location"] == detail

    client.force_login(team.second_manager)
    text = client.get(detail).content.decode()
    assert f'action="{decide}"' in text and 'name="decision"' in text
