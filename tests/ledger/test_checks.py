"""ledger.checks.check_book: recomputes every maintained number from the lines."""

from __future__ import annotations

import pytest
from django.db.models import F

from ledger import checks
from ledger.chart import BANK_REVOLVING, CAPITAL_REVOLVING, LOANS_PRINCIPAL
from ledger.checks import check_book, register_reconciliation
from ledger.models import Balance, DailyTotal
from ledger.services import entry_reverse
from tests.ledger.helpers import D, contribution, disbursement, interest_due, repayment

pytestmark = pytest.mark.django_db


@pytest.fixture
def worked(book):
    contribution(book, 300_000_00)
    loan = disbursement(book, 100_000_00, loan="L-001")
    disbursement(book, 50_000_00, loan="L-002", day=D(2025, 2, 2))
    interest_due(book, 400_00, loan="L-001")
    repayment(book, 1_000_00, 400_00, loan="L-001")
    entry_reverse(entry=loan, date=D(2025, 4, 1))
    return book


def test_good_books_pass_and_the_report_counts_what_was_checked(worked):
    report = check_book(worked)
    assert report.ok, report.differences
    assert report.checked["entries"] == 6
    assert report.checked["balances"] > 0
    assert report.checked["balances/contract"] >= 2
    assert report.checked["sub-ledgers"] == 13


def test_a_tampered_subledger_key_is_found_twice(worked):
    Balance.objects.filter(
        account__book=worked, account__code=LOANS_PRINCIPAL, kind="contract", key="L-002"
    ).update(credit=F("credit") + 100)
    report = check_book(worked)
    assert not report.ok
    text = "\n".join(report.differences)
    assert "balance/contract" in text
    assert "sub-ledger of 1200 (contract)" in text


def test_a_tampered_daily_total_is_found(worked):
    DailyTotal.objects.filter(
        account__book=worked, account__code=BANK_REVOLVING, date=D(2025, 1, 15)
    ).update(debit=F("debit") - 1)
    report = check_book(worked)
    assert any(d.startswith("daily total") for d in report.differences)


def test_a_lost_balance_row_is_found(worked):
    Balance.objects.filter(account__book=worked, account__code=CAPITAL_REVOLVING, kind="").delete()
    report = check_book(worked)
    assert any("balance" in d and "maintained debit 0 credit 0" in d for d in report.differences)


def test_other_books_do_not_disturb_the_check(worked, other_book):
    contribution(other_book, 1_00)
    Balance.objects.filter(account__book=other_book).update(debit=F("debit") + 1)
    assert check_book(worked).ok
    assert not check_book(other_book).ok


def test_registered_reconciliations_run_with_the_check(worked):
    def loans_reconcile(book, report):
        report.checked["loan files"] = 2
        report.differences.append("loan L-002: schedule says 49.000,00, ledger says 50.000,00")

    register_reconciliation("test-loans", loans_reconcile)
    try:
        report = check_book(worked)
    finally:
        checks._reconciliations.pop("test-loans")
    assert report.checked["loan files"] == 2
    assert not report.ok
    assert check_book(worked).ok
