"""entry_reverse: a correction is a mirror entry that names the original."""

from __future__ import annotations

import pytest

from ledger import exceptions as exc
from ledger.chart import BANK_REVOLVING, CAPITAL_REVOLVING, LOANS_PRINCIPAL
from ledger.models import Balance, JournalEntry
from ledger.selectors import account_balance, balances_by_code, subledger_balances, trial_balance
from ledger.services import entry_reverse, period_close, period_create
from tests.ledger.helpers import (
    D,
    account,
    assert_books_consistent,
    contribution,
    disbursement,
    nothing_written,
)

pytestmark = pytest.mark.django_db


def line_tuples(entry):
    return [
        (ln.account.code, ln.debit, ln.credit, ln.currency, ln.contract, ln.party, ln.memo)
        for ln in entry.lines.select_related("account").order_by("id")
    ]


def test_reversal_mirrors_the_lines_and_links_both_ways(book, manager):
    contribution(book, 50_000_00)
    original = disbursement(book, 12_345_67, loan="L-007")

    reversal = entry_reverse(entry=original, created_by=manager)

    assert reversal.pk != original.pk
    assert reversal.reversal_of == original
    original.refresh_from_db()
    assert original.reversed_by == reversal
    assert reversal.date == original.date
    assert reversal.created_by == manager
    assert f"#{original.pk}" in reversal.description
    assert (reversal.source_type, reversal.source_id) == (original.source_type, original.source_id)
    assert line_tuples(reversal) == [
        (code, credit, debit, cur, contract, party, memo)
        for code, debit, credit, cur, contract, party, memo in line_tuples(original)
    ]


def test_reversal_brings_balances_back_to_zero(book):
    contribution(book, 50_000_00)
    before = balances_by_code(book=book)
    loan = disbursement(book, 20_000_00, loan="L-001")
    assert balances_by_code(book=book) != before

    entry_reverse(entry=loan)

    assert balances_by_code(book=book) == before
    principal = account(book, LOANS_PRINCIPAL)
    assert account_balance(account=principal) == 0
    assert account_balance(account=principal, contract="L-001") == 0
    assert subledger_balances(account=principal, kind="contract") == {}
    # the maintained rows keep the history: debits and credits both 20k
    row = Balance.objects.get(account=principal, kind="contract", key="L-001")
    assert (row.debit, row.credit) == (20_000_00, 20_000_00)
    assert sum(r.net for r in trial_balance(book=book)) == 0
    assert_books_consistent(book)


def test_second_reversal_is_refused(book):
    original = contribution(book, 100)
    entry_reverse(entry=original)
    with nothing_written(), pytest.raises(exc.AlreadyReversed, match=f"#{original.pk}"):
        entry_reverse(entry=original)
    # also with a stale instance, and with an explicit other date
    stale = JournalEntry.objects.get(pk=original.pk)
    with nothing_written(), pytest.raises(exc.AlreadyReversed):
        entry_reverse(entry=stale, date=D(2025, 6, 1))


def test_a_reversal_can_itself_be_reversed_once(book):
    original = contribution(book, 100)
    reversal = entry_reverse(entry=original)
    again = entry_reverse(entry=reversal)
    assert again.reversal_of == reversal
    assert account_balance(account=account(book, BANK_REVOLVING)) == 100
    with nothing_written(), pytest.raises(exc.AlreadyReversed):
        entry_reverse(entry=reversal)


def test_reversal_of_an_entry_in_a_closed_period_needs_an_open_date(book, manager):
    original = contribution(book, 100, day=D(2025, 1, 15))
    january = period_create(book=book, name="2025-01", start=D(2025, 1, 1), end=D(2025, 1, 31))
    period_close(period=january, closed_by=manager)

    with nothing_written(), pytest.raises(exc.ClosedPeriod):
        entry_reverse(entry=original)

    reversal = entry_reverse(entry=original, date=D(2025, 2, 3), description="Correctie storting")
    assert reversal.date == D(2025, 2, 3)
    assert reversal.description == "Correctie storting"
    assert account_balance(account=account(book, BANK_REVOLVING)) == 0
    assert account_balance(account=account(book, BANK_REVOLVING), as_of=D(2025, 1, 31)) == 100
    assert_books_consistent(book)


def test_reversal_with_idempotency_key_is_kept(book):
    original = contribution(book, 100)
    reversal = entry_reverse(entry=original, idempotency_key="storno-1")
    assert reversal.idempotency_key == "storno-1"
    assert account_balance(account=account(book, CAPITAL_REVOLVING), party="INV-PROV") == 0


def test_retrying_a_reversal_with_its_idempotency_key_returns_that_reversal(book):
    """A caller that retries (e.g. after a timeout) with the same key gets the reversal back.

    ARCHITECTURE 4: "The same key with the same content returns the existing entry."
    """
    original = contribution(book, 100)
    reversal = entry_reverse(entry=original, idempotency_key="storno-1")
    with nothing_written():
        again = entry_reverse(entry=original, idempotency_key="storno-1")
    assert again.pk == reversal.pk


def test_retry_of_a_reversal_with_other_content_is_a_conflict(book):
    original = contribution(book, 100)
    entry_reverse(entry=original, idempotency_key="storno-1")
    with nothing_written(), pytest.raises(exc.IdempotencyConflict):
        entry_reverse(entry=original, idempotency_key="storno-1", date=D(2025, 12, 31))


def test_a_reversal_key_reused_for_another_entry_does_not_return_the_first_reversal(book):
    """Two identical postings (a duplicated import); each is reversed under the same key.

    The second call must not hand back the first entry's reversal as if it reversed the
    second: the content hash leaves out ``reversal_of``, so with the same description the
    hashes are equal and entry_reverse returns a reversal of the other entry.
    """
    first = contribution(book, 100)
    duplicate = contribution(book, 100)
    first_reversal = entry_reverse(entry=first, idempotency_key="storno", description="Dubbel")
    try:
        second = entry_reverse(entry=duplicate, idempotency_key="storno", description="Dubbel")
    except exc.LedgerError:
        return  # refusing the reused key is a correct answer
    assert second.pk != first_reversal.pk
    assert second.reversal_of_id == duplicate.pk
