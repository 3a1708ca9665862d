"""entry_post: what it accepts, what it refuses, and that a refusal writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger import exceptions as exc
from ledger.chart import (
    BANK_GRANT,
    BANK_REVOLVING,
    CAPITAL_REVOLVING,
    GRANTS_PAYABLE,
    INTEREST_INCOME,
    INTEREST_RECEIVABLE,
    LOANS_PRINCIPAL,
    SUSPENSE,
)
from ledger.models import Account, Balance, DailyTotal, JournalEntry, JournalLine
from ledger.selectors import account_balance, balances_by_code
from ledger.services import Cr, Dr, Line, entry_post
from tests.ledger.helpers import (
    D,
    account,
    assert_books_consistent,
    contribution,
    disbursement,
    nothing_written,
    row_counts,
)

pytestmark = pytest.mark.django_db


def post(book, lines, **kwargs):
    return entry_post(
        book=book,
        date=kwargs.pop("date", D(2025, 1, 15)),
        description="Testboeking",
        lines=lines,
        **kwargs,
    )


# --- accepted ------------------------------------------------------------------------------


def test_contribution_is_posted_with_lines_balances_and_daily_totals(book, manager):
    entry = contribution(book, 250_000_00, investor="INV-PROV", created_by=manager, source_id="7")

    assert entry.pk is not None
    assert entry.book == book
    assert entry.created_by == manager
    assert (entry.source_type, entry.source_id) == ("fund.contribution", "7")
    lines = list(entry.lines.order_by("id"))
    assert [(ln.account.code, ln.debit, ln.credit, ln.currency, ln.party) for ln in lines] == [
        (BANK_REVOLVING, 250_000_00, 0, "EUR", ""),
        (CAPITAL_REVOLVING, 0, 250_000_00, "EUR", "INV-PROV"),
    ]
    assert all(ln.date == entry.date for ln in lines)
    assert account_balance(account=account(book, BANK_REVOLVING)) == 250_000_00
    assert account_balance(account=account(book, CAPITAL_REVOLVING)) == -250_000_00
    assert (
        account_balance(account=account(book, CAPITAL_REVOLVING), party="INV-PROV") == -250_000_00
    )
    assert (
        DailyTotal.objects.get(account__book=book, account__code=BANK_REVOLVING).debit == 250_000_00
    )
    assert_books_consistent(book)


def test_entry_with_many_lines_and_account_instances_is_accepted(book):
    bank = account(book, BANK_REVOLVING)
    contribution(book, 100_000_00)
    entry = post(
        book,
        [
            Dr(account(book, LOANS_PRINCIPAL), 30_000_00, contract="L-001"),
            Dr(LOANS_PRINCIPAL, 20_000_00, contract="L-002"),
            Cr(bank, 50_000_00),
        ],
    )
    assert entry.lines.count() == 3
    assert balances_by_code(book=book)[LOANS_PRINCIPAL] == 50_000_00
    assert account_balance(account=bank) == 50_000_00
    assert_books_consistent(book)


def test_line_currency_defaults_to_the_books_currency(book):
    entry = contribution(book, 100)
    assert set(entry.lines.values_list("currency", flat=True)) == {"EUR"}


def test_multi_currency_entry_balanced_per_currency_is_accepted(book):
    entry = post(
        book,
        [
            Dr(BANK_REVOLVING, 100_00),
            Cr(CAPITAL_REVOLVING, 100_00, party="INV-1"),
            Dr(BANK_REVOLVING, 70_00, currency="USD"),
            Cr(CAPITAL_REVOLVING, 70_00, currency="USD", party="INV-1"),
        ],
    )
    assert entry.lines.count() == 4
    bank = account(book, BANK_REVOLVING)
    assert account_balance(account=bank) == 100_00
    assert account_balance(account=bank, currency="USD") == 70_00
    assert Balance.objects.filter(account=bank, kind="").count() == 2
    assert_books_consistent(book)


# --- refused -------------------------------------------------------------------------------


@pytest.mark.parametrize("lines", [[], [Dr(BANK_REVOLVING, 100)]], ids=["no lines", "one line"])
def test_fewer_than_two_lines_is_refused(book, lines):
    with nothing_written(), pytest.raises(exc.TooFewLines, match="at least two lines"):
        post(book, lines)


def test_debits_not_equal_to_credits_is_refused(book):
    with nothing_written(), pytest.raises(exc.UnbalancedEntry, match="EUR debit-credit=1"):
        post(book, [Dr(BANK_REVOLVING, 100_01), Cr(CAPITAL_REVOLVING, 100_00, party="INV-1")])


def test_entry_balanced_in_total_but_not_per_currency_is_refused(book):
    lines = [
        Dr(BANK_REVOLVING, 100_00),
        Cr(CAPITAL_REVOLVING, 100_00, party="INV-1", currency="USD"),
    ]
    with nothing_written(), pytest.raises(exc.UnbalancedEntry) as info:
        post(book, lines)
    assert "EUR debit-credit=10000" in str(info.value)
    assert "USD debit-credit=-10000" in str(info.value)


def test_one_currency_unbalanced_among_balanced_ones_is_refused(book):
    lines = [
        Dr(BANK_REVOLVING, 100_00),
        Cr(CAPITAL_REVOLVING, 100_00, party="INV-1"),
        Dr(BANK_REVOLVING, 50_00, currency="USD"),
        Cr(CAPITAL_REVOLVING, 49_99, party="INV-1", currency="USD"),
    ]
    with nothing_written(), pytest.raises(exc.UnbalancedEntry, match="USD"):
        post(book, lines)


def test_account_of_another_book_is_refused(book, other_book):
    foreign_bank = account(other_book, BANK_REVOLVING)
    with nothing_written(), pytest.raises(exc.ForeignAccount, match="another book"):
        post(book, [Dr(foreign_bank, 100), Cr(CAPITAL_REVOLVING, 100, party="INV-1")])
    assert not JournalLine.objects.filter(account__book=other_book).exists()


def test_unknown_account_code_is_refused(book):
    with nothing_written(), pytest.raises(exc.UnknownAccount, match="9999"):
        post(book, [Dr("9999", 100), Cr(CAPITAL_REVOLVING, 100, party="INV-1")])


def test_code_that_exists_only_in_another_book_is_unknown(book, other_book):
    from ledger.services import account_create

    account_create(book=other_book, code="1500", name="Deposito", type="asset")
    with nothing_written(), pytest.raises(exc.UnknownAccount, match="1500"):
        post(book, [Dr("1500", 100), Cr(BANK_REVOLVING, 100)])


def test_inactive_account_is_refused(book):
    Account.objects.filter(book=book, code=BANK_GRANT).update(is_active=False)
    with nothing_written(), pytest.raises(exc.InactiveAccount, match=BANK_GRANT):
        post(book, [Dr(BANK_GRANT, 100), Cr(CAPITAL_REVOLVING, 100, party="INV-1")])
    # the same posting to an active account goes through
    post(book, [Dr(BANK_REVOLVING, 100), Cr(CAPITAL_REVOLVING, 100, party="INV-1")])


def test_inactive_account_given_as_instance_is_refused(book):
    bank = account(book, BANK_REVOLVING)
    Account.objects.filter(pk=bank.pk).update(is_active=False)
    bank.refresh_from_db()
    with nothing_written(), pytest.raises(exc.InactiveAccount):
        post(book, [Dr(bank, 100), Cr(CAPITAL_REVOLVING, 100, party="INV-1")])


BAD_AMOUNTS = [
    pytest.param({"debit": 0, "credit": 0}, id="zero"),
    pytest.param({"debit": -100}, id="negative debit"),
    pytest.param({"credit": -100}, id="negative credit"),
    pytest.param({"debit": 100.0}, id="float"),
    pytest.param({"debit": Decimal("100")}, id="Decimal"),
    pytest.param({"debit": Decimal("1.00")}, id="Decimal with decimals"),
    pytest.param({"debit": True}, id="bool"),
    pytest.param({"debit": "100"}, id="string"),
    pytest.param({"debit": None}, id="None"),
    pytest.param({"debit": 100, "credit": 100}, id="both sides"),
]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_amount_not_a_positive_whole_number_of_cents_is_refused(book, amount):
    bad = Line(account=BANK_REVOLVING, **amount)
    # the other lines balance on their own, so only the bad amount can be the reason
    lines = [Dr(BANK_REVOLVING, 100), Cr(CAPITAL_REVOLVING, 100, party="INV-1"), bad]
    with nothing_written(), pytest.raises(exc.InvalidAmount):
        post(book, lines)


@pytest.mark.parametrize("cents", [2**63, 10**20])
def test_amount_too_large_for_the_ledger_is_a_typed_refusal(book, cents):
    """A line that cannot be stored (BIGINT) is refused like any bad amount.

    Today SQLite raises OverflowError and PostgreSQL DataError: callers that catch
    LedgerError (the service contract) do not see it as a refusal.
    """
    with nothing_written(), pytest.raises(exc.InvalidAmount):
        post(book, [Dr(BANK_REVOLVING, cents), Cr(CAPITAL_REVOLVING, cents, party="INV-1")])


@pytest.mark.parametrize("currency", ["EURO", "eur", "E"])
def test_currency_that_is_not_an_iso_code_is_a_typed_refusal(book, currency):
    """Today "EURO" is stored on SQLite and is a DataError on PostgreSQL; "eur" is stored."""
    lines = [
        Dr(BANK_REVOLVING, 100, currency=currency),
        Cr(CAPITAL_REVOLVING, 100, party="INV-1", currency=currency),
    ]
    with nothing_written(), pytest.raises(exc.LedgerError):
        post(book, lines)


@pytest.mark.parametrize(
    ("code", "keys", "missing"),
    [
        (LOANS_PRINCIPAL, {}, "contract"),
        (LOANS_PRINCIPAL, {"party": "COLL-1"}, "contract"),
        (INTEREST_RECEIVABLE, {}, "contract"),
        (GRANTS_PAYABLE, {}, "contract"),
        (CAPITAL_REVOLVING, {}, "party"),
        (CAPITAL_REVOLVING, {"contract": "L-001"}, "party"),
        (SUSPENSE, {}, "party"),
    ],
)
def test_missing_subledger_key_is_refused(book, code, keys, missing):
    with (
        nothing_written(),
        pytest.raises(exc.MissingSubledgerKey, match=f"{code} needs a {missing}"),
    ):
        post(book, [Dr(code, 100, **keys), Cr(code, 100, contract="X-1", party="P-1")])


def test_account_without_subledger_takes_keys_it_does_not_need(book):
    entry = post(book, [Dr(BANK_REVOLVING, 100, party="COLL-1"), Cr(SUSPENSE, 100, party="COLL-1")])
    assert entry.lines.count() == 2
    assert_books_consistent(book)


def test_closed_period_refuses_entries_dated_in_it_and_accepts_later_ones(book, manager):
    from ledger.services import period_close, period_create

    q1 = period_create(book=book, name="2025-Q1", start=D(2025, 1, 1), end=D(2025, 3, 31))
    period_close(period=q1, closed_by=manager)
    for day in (D(2025, 1, 1), D(2025, 2, 14), D(2025, 3, 31)):
        with nothing_written(), pytest.raises(exc.ClosedPeriod, match="2025-Q1"):
            contribution(book, 100, day=day)
    entry = contribution(book, 100, day=D(2025, 4, 1))
    assert entry.date == D(2025, 4, 1)


def test_a_refused_posting_inside_a_callers_transaction_leaves_the_caller_usable(book):
    from django.db import transaction

    with transaction.atomic():
        contribution(book, 500)
        with pytest.raises(exc.UnbalancedEntry):
            post(book, [Dr(BANK_REVOLVING, 2), Cr(CAPITAL_REVOLVING, 1, party="INV-1")])
        contribution(book, 300)
    assert account_balance(account=account(book, BANK_REVOLVING)) == 800
    assert_books_consistent(book)


def test_description_and_source_are_kept(book):
    entry = disbursement(book, 10_000_00, loan="L-042")
    entry.refresh_from_db()
    assert entry.description == "Uitbetaling L-042"
    assert (entry.source_type, entry.source_id) == ("loans.disbursement", "L-042")
    assert entry.content_hash and len(entry.content_hash) == 64


def test_nothing_written_helper_detects_a_write(book):
    """The refusal tests above rely on this helper: show that it notices a posting."""
    with pytest.raises(AssertionError), nothing_written():
        contribution(book, 100)


def test_row_counts_cover_every_table_a_posting_writes(book):
    before = row_counts()
    contribution(book, 100)
    after = row_counts()
    assert {name: after[name] - before[name] for name in after} == {
        "JournalEntry": 1,
        "JournalLine": 2,
        "Balance": 3,  # 1000, 3000 and 3000/party
        "DailyTotal": 2,
    }
    assert JournalEntry.objects.filter(book=book).count() == 1


def test_income_account_keeps_contract_balances(book):
    from tests.ledger.helpers import interest_due

    interest_due(book, 123_45, loan="L-001")
    interest_due(book, 10_00, loan="L-002")
    income = account(book, INTEREST_INCOME)
    assert account_balance(account=income) == -133_45
    assert account_balance(account=income, contract="L-001") == -123_45
    assert_books_consistent(book)
