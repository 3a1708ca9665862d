"""Twice is once: a double click or a retry of the grant payment proposal, the commitment and
the new-application form gives the first result (docs/ledger.md, "Twice is once")."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from fund import exceptions as exc
from fund import services
from fund.models import Application, Commitment, GrantPayment
from ledger.models import AuditEvent, JournalEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def once_from(client, url) -> str:
    """The one-time key the page put in its form."""
    match = re.search(r'name="once" value="([0-9a-f-]{36})"', client.get(url).content.decode())
    assert match, "the form carries no one-time key"
    return match.group(1)


def test_a_grant_payment_proposal_sent_twice_is_proposed_once(client):
    team = f.create_funded_team(grant="20000", revolving=None)
    grant = f.awarded_grant(team=team, amount="10000")
    client.force_login(team.manager)
    url = reverse("fund:grant_pay", kwargs={"number": grant.number})
    data = {"amount": "6.000,00", "date": f.DAY.isoformat(), "once": once_from(client, url)}

    first = client.post(url, data)
    second = client.post(url, data)

    assert first.status_code == second.status_code == 302
    assert GrantPayment.objects.filter(grant=grant).count() == 1
    assert AuditEvent.objects.filter(action="grant.pay_propose").count() == 1
    # The same key with other figures is refused; a fresh key is a new proposal.
    response = client.post(url, {**data, "amount": "1.000,00"})
    assert "al verwerkt met andere gegevens" in response.content.decode()
    client.post(url, {**data, "amount": "1.000,00", "once": str(uuid.uuid4())})
    assert GrantPayment.objects.filter(grant=grant).count() == 2


def test_a_replayed_proposal_is_approved_and_booked_once():
    team = f.create_funded_team(grant="20000", revolving=None)
    grant = f.awarded_grant(team=team, amount="10000")
    key = f"once:{uuid.uuid4()}"
    kwargs = {"grant": grant, "amount": "6000", "date": f.DAY, "proposed_by": team.manager}
    payment = services.grant_payment_propose(**kwargs, idempotency_key=key)
    services.grant_payment_decide(payment=payment, decided_by=team.second_manager, approve=True)

    again = services.grant_payment_propose(**kwargs, idempotency_key=key)

    assert again.pk == payment.pk
    assert JournalEntry.objects.filter(source_type="fund.grant_payment").count() == 1
    with pytest.raises(exc.InvalidTransition, match="andere gegevens"):
        services.grant_payment_propose(**{**kwargs, "amount": "7000"}, idempotency_key=key)


def test_a_commitment_sent_twice_is_recorded_once(client):
    team = f.create_fund_team()
    investor = f.InvestorFactory()
    client.force_login(team.manager)
    url = reverse("fund:commitment_create", kwargs={"slug": team.fund.slug})
    data = {
        "investor": str(investor.pk),
        "compartment": str(team.grant.pk),
        "amount": "250.000,00",
        "date": f.DAY.isoformat(),
        "reference": "BESCH-1",
        "once": once_from(client, url),
    }

    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302

    assert Commitment.objects.filter(investor=investor).count() == 1
    assert AuditEvent.objects.filter(action="commitment.create").count() == 1


def test_a_new_application_sent_twice_is_created_once(client):
    team = f.create_fund_team()
    collective = f.create_verified_collective(verified_by=team.manager)
    member = f.member_of(collective)
    client.force_login(member)
    url = reverse("fund:application_create")
    data = {
        "collective": str(collective.pk),
        "fund": str(team.fund.pk),
        "kind": "grant",
        "title": "Zonnedak dorpshuis",
        "purpose": "Zonnepanelen op het dorpshuis.",
        "amount_requested": "1.234,56",
        "once": once_from(client, url),
    }

    first = client.post(url, data)
    second = client.post(url, data)

    application = Application.objects.get(collective=collective)
    assert (
        first["Location"]
        == second["Location"]
        == reverse("fund:application_detail", kwargs={"number": application.number})
    )
    assert AuditEvent.objects.filter(action="application.create").count() == 1
