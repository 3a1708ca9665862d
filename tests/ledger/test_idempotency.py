"""Idempotency keys: a retry returns the first entry; a key reused for other content is refused."""

from __future__ import annotations

import pytest

from ledger import exceptions as exc
from ledger.chart import BANK_REVOLVING, CAPITAL_REVOLVING
from ledger.models import JournalEntry
from ledger.selectors import account_balance
from ledger.services import Cr, Dr, entry_post, period_close, period_create
from tests.ledger.helpers import D, account, assert_books_consistent, nothing_written

pytestmark = pytest.mark.django_db

BASE = {
    "date": D(2025, 1, 15),
    "description": "Storting provincie",
    "source_type": "fund.contribution",
    "source_id": "12",
    "source_ref": "BANK-2025-0001",
}


def lines(cents=100_000_00, party="INV-PROV", memo=""):
    return [Dr(BANK_REVOLVING, cents, memo=memo), Cr(CAPITAL_REVOLVING, cents, party=party)]


def post(book, key="contrib-12", **changes):
    fields = {**BASE, "lines": lines(), **changes}
    return entry_post(book=book, idempotency_key=key, **fields)


def test_same_key_same_content_returns_the_same_entry_and_writes_nothing(book):
    first = post(book)
    with nothing_written():
        again = post(book)
    assert again.pk == first.pk
    assert JournalEntry.objects.filter(book=book).count() == 1
    assert account_balance(account=account(book, BANK_REVOLVING)) == 100_000_00
    assert_books_consistent(book)


def test_same_content_with_account_instances_counts_as_the_same(book):
    first = post(book)
    bank, capital = account(book, BANK_REVOLVING), account(book, CAPITAL_REVOLVING)
    same = [Dr(bank, 100_000_00), Cr(capital, 100_000_00, party="INV-PROV", currency="EUR")]
    with nothing_written():
        assert post(book, lines=same).pk == first.pk


def test_replay_ignores_who_posts_it(book, manager):
    first = post(book)
    with nothing_written():
        assert post(book, created_by=manager).pk == first.pk


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"date": D(2025, 1, 16)}, id="date"),
        pytest.param({"description": "Storting gemeente"}, id="description"),
        pytest.param({"source_id": "13"}, id="source id"),
        pytest.param({"source_ref": "BANK-2025-0002"}, id="source ref"),
        pytest.param({"lines": lines(cents=100_000_01)}, id="amount"),
        pytest.param({"lines": lines(party="INV-GEM")}, id="party"),
        pytest.param({"lines": lines(memo="tweede termijn")}, id="memo"),
        pytest.param({"lines": list(reversed(lines()))}, id="line order"),
    ],
)
def test_same_key_different_content_is_a_conflict(book, changes):
    first = post(book)
    with nothing_written(), pytest.raises(exc.IdempotencyConflict, match=f"#{first.pk}"):
        post(book, **changes)


def test_reused_key_with_valid_content_conflicts_and_invalid_content_is_refused_first(book):
    post(book)
    # a valid but different entry under the same key
    with nothing_written(), pytest.raises(exc.IdempotencyConflict):
        post(book, lines=[Dr(BANK_REVOLVING, 5), Cr(CAPITAL_REVOLVING, 5, party="INV-PROV")])
    # an invalid entry is refused for what is wrong with it, before the key is looked at
    with nothing_written(), pytest.raises(exc.UnbalancedEntry):
        post(book, lines=[Dr(BANK_REVOLVING, 5), Cr(CAPITAL_REVOLVING, 4, party="INV-PROV")])


def test_keys_are_per_book(book, other_book):
    ours = post(book)
    theirs = post(other_book)
    assert theirs.pk != ours.pk
    assert theirs.book == other_book
    assert account_balance(account=account(other_book, BANK_REVOLVING)) == 100_000_00
    # and a different content under the same key in another book is not a conflict
    post(book, key="only-here")
    other = post(other_book, key="only-here", description="iets anders")
    assert other.description == "iets anders"


def test_entries_without_key_are_never_deduplicated(book):
    a = entry_post(book=book, lines=lines(), **BASE)
    b = entry_post(book=book, lines=lines(), **BASE)
    assert a.pk != b.pk
    assert account_balance(account=account(book, BANK_REVOLVING)) == 200_000_00


def test_replay_of_an_entry_in_a_period_closed_since_returns_it(book, manager):
    first = post(book)
    january = period_create(book=book, name="2025-01", start=D(2025, 1, 1), end=D(2025, 1, 31))
    period_close(period=january, closed_by=manager)
    with nothing_written():
        assert post(book).pk == first.pk
    with nothing_written(), pytest.raises((exc.IdempotencyConflict, exc.ClosedPeriod)):
        post(book, description="anders")
