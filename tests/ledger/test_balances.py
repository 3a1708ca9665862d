"""Reads: balances, balances by code, sub-ledgers, trial balance and account statements.

A worked example walks a fund through its first months; the expected numbers are computed
by hand in the comments.
"""

from __future__ import annotations

import pytest

from ledger.chart import (
    BANK_GRANT,
    BANK_REVOLVING,
    CAPITAL_GRANT,
    CAPITAL_REVOLVING,
    GRANTS_EXPENSE,
    GRANTS_PAYABLE,
    INTEREST_INCOME,
    INTEREST_RECEIVABLE,
    LOANS_PRINCIPAL,
)
from ledger.models import Account
from ledger.selectors import (
    account_balance,
    account_statement,
    balance_by_code,
    balances_by_code,
    subledger_balances,
    trial_balance,
)
from ledger.services import Cr, Dr, entry_post
from tests.ledger.helpers import (
    D,
    account,
    assert_books_consistent,
    contribution,
    disbursement,
    grant_award,
    grant_contribution,
    interest_due,
    repayment,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(book):
    """A fund's first quarter, in cents.

    15 Jan  province pays 500.000,00 revolving, municipality 100.000,00 for grants
    01 Feb  loan L-001 disbursed 120.000,00; 03 Feb loan L-002 disbursed 80.000,00
    10 Feb  grant S-001 awarded 15.000,00
    01 Mar  interest due L-001 450,00 and L-002 300,00
    05 Mar  L-001 repays 2.000,00 principal and 450,00 interest
    """
    contribution(book, 500_000_00, investor="INV-PROV")
    grant_contribution(book, 100_000_00, investor="INV-GEM")
    disbursement(book, 120_000_00, loan="L-001", day=D(2025, 2, 1))
    disbursement(book, 80_000_00, loan="L-002", day=D(2025, 2, 3))
    grant_award(book, 15_000_00, grant="S-001")
    interest_due(book, 450_00, loan="L-001")
    interest_due(book, 300_00, loan="L-002")
    repayment(book, 2_000_00, 450_00, loan="L-001")
    return book


def test_current_balances(year):
    bal = balances_by_code(book=year)
    assert bal[BANK_REVOLVING] == 500_000_00 - 200_000_00 + 2_450_00  # 302.450,00
    assert bal[BANK_GRANT] == 100_000_00
    assert bal[LOANS_PRINCIPAL] == 198_000_00
    assert bal[INTEREST_RECEIVABLE] == 300_00
    assert bal[INTEREST_INCOME] == -750_00
    assert bal[GRANTS_EXPENSE] == 15_000_00
    assert bal[GRANTS_PAYABLE] == -15_000_00
    assert bal[CAPITAL_REVOLVING] == -500_000_00
    assert bal[CAPITAL_GRANT] == -100_000_00
    assert set(bal) == set(Account.objects.filter(book=year).values_list("code", flat=True))
    assert bal["5100"] == 0  # untouched accounts are listed with zero
    assert sum(bal.values()) == 0
    assert balance_by_code(book=year, code=LOANS_PRINCIPAL) == 198_000_00


def test_balance_per_contract_and_party(year):
    principal = account(year, LOANS_PRINCIPAL)
    assert account_balance(account=principal, contract="L-001") == 118_000_00
    assert account_balance(account=principal, contract="L-002") == 80_000_00
    assert account_balance(account=principal, contract="L-404") == 0
    capital = account(year, CAPITAL_REVOLVING)
    assert account_balance(account=capital, party="INV-PROV") == -500_000_00
    assert account_balance(account=capital, party="INV-GEM") == 0
    assert account_balance(account=capital, contract="L-001", party="INV-PROV") == 0


def test_balance_per_contract_and_party_together(book):
    entry_post(
        book=book,
        date=D(2025, 1, 2),
        description="Ontvangst zonder match",
        lines=[
            Dr(BANK_REVOLVING, 700),
            Cr("1900", 500, party="COLL-1", contract="L-001"),
            Cr("1900", 200, party="COLL-1", contract="L-002"),
        ],
    )
    suspense = account(book, "1900")
    assert account_balance(account=suspense, party="COLL-1") == -700
    assert account_balance(account=suspense, contract="L-001") == -500
    assert account_balance(account=suspense, contract="L-002", party="COLL-1") == -200


def test_balance_as_of_a_date_is_inclusive(year):
    bank = account(year, BANK_REVOLVING)
    assert account_balance(account=bank, as_of=D(2025, 1, 14)) == 0
    assert account_balance(account=bank, as_of=D(2025, 1, 15)) == 500_000_00
    assert account_balance(account=bank, as_of=D(2025, 2, 1)) == 380_000_00
    assert account_balance(account=bank, as_of=D(2025, 2, 2)) == 380_000_00
    assert account_balance(account=bank, as_of=D(2025, 2, 3)) == 300_000_00
    assert account_balance(account=bank, as_of=D(2030, 1, 1)) == account_balance(account=bank)
    principal = account(year, LOANS_PRINCIPAL)
    assert account_balance(account=principal, contract="L-001", as_of=D(2025, 3, 4)) == 120_000_00
    assert account_balance(account=principal, contract="L-001", as_of=D(2025, 3, 5)) == 118_000_00
    assert account_balance(account=principal, contract="L-002", as_of=D(2025, 2, 2)) == 0
    capital = account(year, CAPITAL_REVOLVING)
    assert account_balance(account=capital, party="INV-PROV", as_of=D(2025, 1, 1)) == 0


def test_balance_in_another_currency(book):
    entry_post(
        book=book,
        date=D(2025, 1, 2),
        description="USD storting",
        lines=[
            Dr(BANK_REVOLVING, 1_000, currency="USD"),
            Cr(CAPITAL_REVOLVING, 1_000, currency="USD", party="INV-US"),
        ],
    )
    bank = account(book, BANK_REVOLVING)
    assert account_balance(account=bank) == 0
    assert account_balance(account=bank, currency="USD") == 1_000
    assert account_balance(account=bank, currency="USD", as_of=D(2025, 1, 2)) == 1_000
    assert balances_by_code(book=book)[BANK_REVOLVING] == 0
    assert balances_by_code(book=book, currency="USD")[BANK_REVOLVING] == 1_000
    rows = [r for r in trial_balance(book=book) if r.account.code == BANK_REVOLVING]
    assert [(r.currency, r.net) for r in rows] == [("USD", 1_000)]


def test_subledger_balances_list_nonzero_keys(year):
    principal = account(year, LOANS_PRINCIPAL)
    assert subledger_balances(account=principal, kind="contract") == {
        "L-001": 118_000_00,
        "L-002": 80_000_00,
    }
    interest = account(year, INTEREST_RECEIVABLE)
    assert subledger_balances(account=interest, kind="contract") == {"L-002": 300_00}  # L-001 paid
    capital = account(year, CAPITAL_REVOLVING)
    assert subledger_balances(account=capital, kind="party") == {"INV-PROV": -500_000_00}
    # the sub-ledger adds up to its control account
    assert sum(subledger_balances(account=principal, kind="contract").values()) == account_balance(
        account=principal
    )


def test_trial_balance_now_nets_to_zero_and_matches_balances(year):
    rows = trial_balance(book=year)
    assert [r.account.code for r in rows] == sorted(r.account.code for r in rows)
    assert len(rows) == Account.objects.filter(book=year).count()
    assert sum(r.net for r in rows) == 0
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows)
    by_code = {r.account.code: r for r in rows}
    bank = by_code[BANK_REVOLVING]
    assert (bank.debit, bank.credit) == (502_450_00, 200_000_00)
    assert (bank.debit_balance, bank.credit_balance) == (302_450_00, 0)
    capital = by_code[CAPITAL_REVOLVING]
    assert (capital.debit_balance, capital.credit_balance) == (0, 500_000_00)
    assert {code: r.net for code, r in by_code.items()} == balances_by_code(book=year)


def test_trial_balance_as_of_a_date(year):
    rows = {r.account.code: r for r in trial_balance(book=year, as_of=D(2025, 2, 1))}
    assert rows[BANK_REVOLVING].net == 380_000_00
    assert rows[LOANS_PRINCIPAL].net == 120_000_00
    assert rows[GRANTS_EXPENSE].net == 0
    assert sum(r.net for r in rows.values()) == 0
    before = trial_balance(book=year, as_of=D(2024, 12, 31))
    assert all((r.debit, r.credit) == (0, 0) for r in before)
    later = trial_balance(book=year, as_of=D(2025, 12, 31))
    assert [(r.account.code, r.debit, r.credit) for r in later] == [
        (r.account.code, r.debit, r.credit) for r in trial_balance(book=year)
    ]


def test_trial_balance_of_an_empty_book(book):
    rows = trial_balance(book=book)
    assert rows and all(r.net == 0 and r.currency == "EUR" for r in rows)


def test_books_stay_apart(year, other_book):
    contribution(other_book, 1_00)
    assert balances_by_code(book=other_book)[BANK_REVOLVING] == 1_00
    assert balances_by_code(book=year)[BANK_REVOLVING] == 302_450_00
    assert_books_consistent(year)
    assert_books_consistent(other_book)


# --- account statement ---------------------------------------------------------------------


def test_statement_has_opening_and_running_balance(year):
    bank = account(year, BANK_REVOLVING)
    st = account_statement(account=bank, date_from=D(2025, 2, 1), date_to=D(2025, 2, 28))
    assert st.opening == 500_000_00
    assert st.page_opening == 500_000_00
    assert [(s.line.date, s.line.amount, s.balance) for s in st.lines] == [
        (D(2025, 2, 1), -120_000_00, 380_000_00),
        (D(2025, 2, 3), -80_000_00, 300_000_00),
    ]
    assert st.page_closing == 300_000_00
    assert not st.has_next
    march = account_statement(account=bank, date_from=D(2025, 3, 1), date_to=D(2025, 3, 31))
    assert march.opening == 300_000_00
    assert [s.balance for s in march.lines] == [302_450_00]


def test_empty_statement_keeps_the_opening(year):
    bank = account(year, BANK_REVOLVING)
    st = account_statement(account=bank, date_from=D(2025, 4, 1), date_to=D(2025, 4, 30))
    assert st.lines == []
    assert st.opening == st.page_opening == st.page_closing == 302_450_00


def test_statement_pages_chain_and_split_a_day(book):
    """25 lines on the bank account, 5 per day, with pages of 7: pages split days."""
    contribution(book, 1_000_00, day=D(2025, 1, 1))
    amounts = []
    for n in range(25):
        day = D(2025, 2, 1 + n // 5)
        cents = (n + 1) * 100 * (1 if n % 3 else -1)
        if cents > 0:
            lines = [Dr(BANK_REVOLVING, cents), Cr(CAPITAL_REVOLVING, cents, party="INV-1")]
        else:
            lines = [Dr(LOANS_PRINCIPAL, -cents, contract="L-1"), Cr(BANK_REVOLVING, -cents)]
        entry_post(book=book, date=day, description=f"regel {n}", lines=lines)
        amounts.append(cents)
    bank = account(book, BANK_REVOLVING)
    pages, page = [], 1
    while True:
        st = account_statement(
            account=bank, date_from=D(2025, 2, 1), date_to=D(2025, 2, 28), page=page, page_size=7
        )
        pages.append(st)
        if not st.has_next:
            break
        page += 1

    assert [len(p.lines) for p in pages] == [7, 7, 7, 4]
    assert all(p.opening == 1_000_00 for p in pages)
    assert pages[0].page_opening == 1_000_00
    for prev, nxt in zip(pages, pages[1:], strict=False):
        assert nxt.page_opening == prev.page_closing
        # page boundaries fall inside a day (7 is not a multiple of 5)
        assert prev.lines[-1].line.date == nxt.lines[0].line.date
    flat = [s for p in pages for s in p.lines]
    assert [s.line.amount for s in flat] == amounts
    running, expected = 1_000_00, []
    for cents in amounts:
        running += cents
        expected.append(running)
    assert [s.balance for s in flat] == expected
    assert pages[-1].page_closing == account_balance(account=bank)

    # a later page on its own gives the same numbers (it does not depend on earlier pages)
    alone = account_statement(
        account=bank, date_from=D(2025, 2, 1), date_to=D(2025, 2, 28), page=3, page_size=7
    )
    assert alone.page_opening == pages[2].page_opening
    assert [s.balance for s in alone.lines] == [s.balance for s in pages[2].lines]


def test_statement_of_lines_posted_out_of_date_order(book):
    """A back-dated entry sorts by date, and the running balance follows the dates."""
    contribution(book, 300, day=D(2025, 1, 20))
    contribution(book, 100, day=D(2025, 1, 10))
    contribution(book, 50, day=D(2025, 1, 20))
    contribution(book, 20, day=D(2025, 1, 5))
    bank = account(book, BANK_REVOLVING)
    page2 = account_statement(
        account=bank, date_from=D(2025, 1, 6), date_to=D(2025, 1, 31), page=2, page_size=2
    )
    assert page2.opening == 20
    assert [s.line.amount for s in page2.lines] == [50]
    assert page2.page_opening == 420
    assert page2.page_closing == 470
