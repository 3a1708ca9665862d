"""ledger_check reconciles the fund side too (issue #10): a grant made payable again, a
contribution deleted, a receipt marked handled without its posting, each changed behind the
services' back with raw SQL, is found and named."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from ledger.checks import check_book
from loans import services as ls
from tests import factories as f
from tests.loans.test_loan_helpers import funded_team

pytestmark = pytest.mark.django_db


def raw(sql: str, *params) -> None:
    """Change a row the way an intruder with database access would (the fund tables have no
    guarding triggers; the journal's are not touched here)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_clean_fund_reconciles():
    team = f.create_funded_team()
    grant = f.paid_grant(team=team)
    report = check_book(team.fund.book)
    assert report.ok, report.differences
    assert report.checked["grants"] == 1 and report.checked["investors"] >= 1
    assert grant.paid.amount > 0


def test_a_paid_grant_made_payable_again_is_found():
    team = f.create_funded_team()
    grant = f.paid_grant(team=team)
    raw("UPDATE fund_grant SET paid = 0, state = 'awarded' WHERE id = %s", grant.pk)
    report = check_book(team.fund.book)
    assert not report.ok
    assert any(grant.number in d and "2000" in d for d in report.differences)
    assert any(grant.number in d and "approved payments" in d for d in report.differences)


def test_a_deleted_contribution_is_found():
    team = f.create_funded_team()
    from fund.models import Contribution

    contribution = Contribution.objects.filter(commitment__compartment__fund=team.fund).first()
    investor = contribution.commitment.investor.code
    raw("DELETE FROM fund_contribution WHERE id = %s", contribution.pk)
    report = check_book(team.fund.book)
    assert any(f"investor {investor}" in d for d in report.differences)


def test_a_receipt_marked_matched_without_its_posting_is_found():
    team = funded_team()
    receipt = ls.receipt_record_unmatched(
        fund=team.fund,
        amount="75.00",
        value_date=date(2026, 11, 2),
        payer_reference="Buurtvereniging",
        recorded_by=team.manager,
    )
    assert check_book(team.fund.book).ok
    raw("DELETE FROM loans_unmatchedreceipt WHERE id = %s", receipt.pk)
    report = check_book(team.fund.book)
    assert any("suspense Buurtvereniging" in d for d in report.differences)
