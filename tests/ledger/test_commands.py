"""manage.py ledger_check and trial_balance."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from ledger.chart import BANK_REVOLVING, CAPITAL_REVOLVING, LOANS_PRINCIPAL
from ledger.models import Balance, DailyTotal
from tests.ledger.helpers import D, contribution, disbursement, make_book

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def funded(book):
    contribution(book, 500_000_00, day=D(2025, 1, 15))
    disbursement(book, 120_000_00, loan="L-001", day=D(2025, 2, 1))
    disbursement(book, 1_234_56, loan="L-002", day=D(2025, 2, 3))
    return book


# --- ledger_check --------------------------------------------------------------------------


def test_ledger_check_passes_on_good_books_and_says_what_it_checked(funded):
    out = run("ledger_check", "--book", funded.slug)
    assert f"{funded.slug}: OK" in out
    assert "3 entries" in out
    assert "balances" in out and "daily totals" in out and "sub-ledgers" in out


def test_ledger_check_of_every_book(funded, other_book):
    contribution(other_book, 1_00)
    out = run("ledger_check")
    assert f"{funded.slug}: OK" in out
    assert f"{other_book.slug}: OK" in out


@pytest.mark.parametrize(
    ("kind", "key", "tampered"),
    [("", "", 121_234_56 + 1), ("contract", "L-001", 120_000_00 + 1)],
    ids=["account total", "sub-ledger key"],
)
def test_ledger_check_fails_on_a_tampered_balance(funded, kind, key, tampered):
    Balance.objects.filter(
        account__book=funded, account__code=LOANS_PRINCIPAL, kind=kind, key=key
    ).update(debit=F("debit") + 1)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 book"):
        call_command("ledger_check", "--book", funded.slug, stdout=out)
    text = out.getvalue()
    assert "difference" in text
    assert f"maintained debit {tampered}" in text


def test_ledger_check_fails_on_a_tampered_daily_total(funded):
    DailyTotal.objects.filter(account__book=funded, account__code=BANK_REVOLVING).update(
        credit=F("credit") + 5
    )
    with pytest.raises(CommandError):
        run("ledger_check", "--book", funded.slug)


def test_ledger_check_fails_on_a_missing_balance_row(funded):
    Balance.objects.filter(account__book=funded, kind="party").delete()
    with pytest.raises(CommandError):
        run("ledger_check", "--book", funded.slug)


def test_ledger_check_only_fails_the_tampered_book(funded, other_book):
    contribution(other_book, 1_00)
    Balance.objects.filter(account__book=other_book, kind="").update(debit=F("debit") + 1)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 book"):
        call_command("ledger_check", stdout=out)
    assert f"{funded.slug}: OK" in out.getvalue()


def test_ledger_check_of_an_unknown_book():
    with pytest.raises(CommandError, match="no book 'bestaat-niet'"):
        run("ledger_check", "--book", "bestaat-niet")


# --- trial_balance -------------------------------------------------------------------------


def test_trial_balance_json_parses_and_totals_balance(funded):
    payload = json.loads(run("trial_balance", "--book", funded.slug, "--format", "json"))
    assert payload["book"] == funded.slug
    assert payload["date"] is None
    rows = {r["code"]: r for r in payload["rows"]}
    assert rows[BANK_REVOLVING]["balance"] == "378765.44"
    assert rows[BANK_REVOLVING]["debit"] == "500000.00"
    assert rows[BANK_REVOLVING]["credit"] == "121234.56"
    assert rows[CAPITAL_REVOLVING]["balance"] == "-500000.00"
    assert rows[LOANS_PRINCIPAL]["balance"] == "121234.56"
    assert rows["5100"]["balance"] == "0.00"
    assert payload["totals"]["balance"] == "0.00"
    assert payload["totals"]["debit"] == payload["totals"]["credit"] == "621234.56"


def test_trial_balance_as_of_a_date(funded):
    payload = json.loads(
        run("trial_balance", "--book", funded.slug, "--format", "json", "--date", "2025-02-01")
    )
    assert payload["date"] == "2025-02-01"
    rows = {r["code"]: r for r in payload["rows"]}
    assert rows[BANK_REVOLVING]["balance"] == "380000.00"
    assert rows[LOANS_PRINCIPAL]["balance"] == "120000.00"
    assert payload["totals"]["balance"] == "0.00"
    table = run("trial_balance", "--book", funded.slug, "--date", "2025-01-14")
    assert "per 14-01-2025" in table


def test_trial_balance_csv(funded):
    text = run("trial_balance", "--book", funded.slug, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["code", "name", "type", "currency", "debit", "credit", "balance"]
    assert {r["code"]: r["balance"] for r in rows}[LOANS_PRINCIPAL] == "121234.56"
    assert len(rows) == 15
    assert sum(float(r["balance"]) for r in rows) == pytest.approx(0)


def test_trial_balance_table(funded):
    text = run("trial_balance", "--book", funded.slug, "--format", "table")
    lines = text.splitlines()
    assert lines[0] == f"Proef- en saldibalans {funded.name}"
    bank = next(ln for ln in lines if ln.startswith(BANK_REVOLVING))
    assert bank.split()[-3:] == ["500000.00", "121234.56", "378765.44"]
    total = lines[-1].split()
    assert total == ["totaal", "621234.56", "621234.56", "0.00"]
    assert text == run("trial_balance", "--book", funded.slug)  # table is the default


def test_trial_balance_of_an_unknown_book(db):
    with pytest.raises(CommandError, match="no book 'bestaat-niet'"):
        run("trial_balance", "--book", "bestaat-niet")


def test_trial_balance_with_a_bad_date(funded):
    with pytest.raises(CommandError, match="is not a date"):
        run("trial_balance", "--book", funded.slug, "--date", "31-12-2025")


def test_trial_balance_of_an_empty_book(db):
    book = make_book()
    payload = json.loads(run("trial_balance", "--book", book.slug, "--format", "json"))
    assert payload["totals"] == {"debit": "0.00", "credit": "0.00", "balance": "0.00"}
