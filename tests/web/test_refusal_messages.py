"""A refusal from the ledger reaches a user in the page's language, without account codes or
idempotency keys; the technical reason goes to the log."""

from __future__ import annotations

import logging

import pytest
from django import forms
from django.utils import translation

from fund import exceptions as fund_exc
from fund.web import add_errors
from ledger import exceptions as ledger_exc
from loans import exceptions as loan_exc
from loans.services._common import _amount


class Empty(forms.Form):
    pass


@pytest.mark.parametrize(
    ("error", "dutch"),
    [
        (ledger_exc.ClosedPeriod("period 2025-01 is closed"), "afgesloten periode"),
        (ledger_exc.InactiveAccount("account 1000 is inactive"), "niet meer in gebruik"),
        (ledger_exc.InvalidText("description is 300 characters long"), "te lang"),
        (ledger_exc.IdempotencyConflict("idempotency key 'once:x' was used"), "al verwerkt"),
        (ledger_exc.AlreadyReversed("entry #4 has been reversed already"), "al teruggedraaid"),
        (ledger_exc.UnbalancedEntry("debits and credits differ: EUR debit-credit=1"), "geweigerd"),
    ],
)
def test_a_ledger_refusal_is_told_in_dutch_and_logged_in_full(error, dutch, caplog):
    form = Empty({})
    form.is_valid()
    with translation.override("nl"), caplog.at_level(logging.WARNING, logger="fund.web"):
        add_errors(form, error)
    shown = " ".join(form.non_field_errors())
    assert dutch in shown
    assert str(error) not in shown
    assert str(error) in caplog.text


def test_a_ledger_refusal_in_english_on_request():
    form = Empty({})
    form.is_valid()
    with translation.override("en"):
        add_errors(form, ledger_exc.ClosedPeriod("period 2025-01 is closed"))
    assert "closed period" in " ".join(form.non_field_errors())


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e999", "abc"])
def test_an_amount_that_is_no_amount_is_refused_in_dutch(value):
    with translation.override("nl"), pytest.raises(loan_exc.InvalidAmount) as refused:
        _amount(value)
    assert "geen bedrag in euro en centen" in str(refused.value)
    from fund.services import _money

    with translation.override("nl"), pytest.raises(fund_exc.InvalidAmount) as refused:
        _money(value)
    assert "geen bedrag in euro en centen" in str(refused.value)


def test_a_money_form_sent_without_its_one_time_key_says_so_and_offers_a_fresh_one(client, world):
    """A client that leaves out the hidden key is refused with a message it can act on,
    and the form comes back with a new key, so the next submission goes through."""
    from django.urls import reverse

    from fund.models import Commitment, CompartmentKind

    client.force_login(world.manager_a)
    url = reverse("fund:commitment_create", kwargs={"slug": world.fund_a.slug})
    data = {
        "investor": world.investor.pk,
        "compartment": world.fund_a.compartments.get(kind=CompartmentKind.GRANT).pk,
        "amount": "1.000,00",
        "date": "2026-11-28",
    }
    before = Commitment.objects.count()
    response = client.post(url, data)
    assert response.status_code == 200
    assert "onvolledig verstuurd" in response.content.decode()
    fresh = response.context["form"]["once"].value()
    assert fresh
    assert Commitment.objects.count() == before
    response = client.post(url, {**data, "once": fresh})
    assert response.status_code == 302
    assert Commitment.objects.count() == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["0001-01-01", "1900-05-01", "1999-12-31"])
def test_a_date_before_2000_is_a_typing_error_not_history(day):
    from datetime import date

    from ledger.services import Cr, Dr, entry_post
    from tests.loans.test_loan_helpers import funded_team

    team = funded_team()
    with pytest.raises(ledger_exc.DateOutOfRange):
        entry_post(
            book=team.fund.book,
            date=date.fromisoformat(day),
            description="test",
            lines=[Dr("1000", 100), Cr("3000", 100, party="X")],
            source_type="test",
        )
    commitment = team.fund.compartments.get(kind="revolving").commitments.first()
    from fund import services as fs

    with translation.override("nl"), pytest.raises(fund_exc.InvalidDate, match="jaartal"):
        fs.contribution_record(
            commitment=commitment,
            amount="1.00",
            date=date.fromisoformat(day),
            created_by=team.manager,
        )
