"""entries_post_bulk: many entries in one transaction, all or nothing."""

from __future__ import annotations

import pytest

from ledger import exceptions as exc
from ledger.chart import BANK_REVOLVING, CAPITAL_REVOLVING, LOANS_PRINCIPAL
from ledger.models import JournalEntry
from ledger.selectors import account_balance
from ledger.services import (
    Cr,
    Dr,
    EntrySpec,
    entries_post_bulk,
    entry_post,
    period_close,
    period_create,
)
from tests.ledger.helpers import (
    D,
    account,
    assert_books_consistent,
    contribution,
    maintained,
    nothing_written,
)

pytestmark = pytest.mark.django_db


MARCH_1 = D(2025, 3, 1)


def receipt(n, cents=100_00, key=None, day=MARCH_1, party=None):
    return EntrySpec(
        date=day,
        description=f"Ontvangst {n}",
        lines=[Dr(BANK_REVOLVING, cents), Cr(CAPITAL_REVOLVING, cents, party=party or f"INV-{n}")],
        source_type="bank.import",
        source_id=str(n),
        idempotency_key=key,
    )


def test_bulk_posts_every_entry_in_order(book):
    specs = [receipt(n, cents=n * 100) for n in range(1, 11)]
    entries = entries_post_bulk(book=book, entries=specs)
    assert [e.description for e in entries] == [s.description for s in specs]
    assert all(e.pk for e in entries)
    assert JournalEntry.objects.filter(book=book).count() == 10
    assert account_balance(account=account(book, BANK_REVOLVING)) == sum(
        n * 100 for n in range(1, 11)
    )
    assert account_balance(account=account(book, CAPITAL_REVOLVING), party="INV-3") == -300
    assert_books_consistent(book)


def test_empty_batch_posts_nothing(book):
    with nothing_written():
        assert entries_post_bulk(book=book, entries=[]) == []


REFUSALS = [
    pytest.param(
        EntrySpec(date=D(2025, 3, 1), description="kort", lines=[Dr(BANK_REVOLVING, 1)]),
        exc.TooFewLines,
        id="too few lines",
    ),
    pytest.param(
        EntrySpec(
            date=D(2025, 3, 1),
            description="scheef",
            lines=[Dr(BANK_REVOLVING, 2), Cr(CAPITAL_REVOLVING, 1, party="X")],
        ),
        exc.UnbalancedEntry,
        id="unbalanced",
    ),
    pytest.param(
        EntrySpec(
            date=D(2025, 3, 1), description="onbekend", lines=[Dr("8888", 1), Cr(BANK_REVOLVING, 1)]
        ),
        exc.UnknownAccount,
        id="unknown account",
    ),
    pytest.param(
        EntrySpec(
            date=D(2025, 3, 1),
            description="zonder lening",
            lines=[Dr(LOANS_PRINCIPAL, 1), Cr(BANK_REVOLVING, 1)],
        ),
        exc.MissingSubledgerKey,
        id="missing contract",
    ),
    pytest.param(
        EntrySpec(
            date=D(2025, 3, 1),
            description="float",
            lines=[Dr(BANK_REVOLVING, 1.0), Cr(CAPITAL_REVOLVING, 1, party="X")],
        ),
        exc.InvalidAmount,
        id="float amount",
    ),
    pytest.param(receipt(99, day=D(2025, 1, 20)), exc.ClosedPeriod, id="closed period"),
]


@pytest.mark.parametrize(("bad", "error"), REFUSALS)
def test_one_bad_entry_refuses_the_whole_batch(book, manager, bad, error):
    january = period_create(book=book, name="2025-01", start=D(2025, 1, 1), end=D(2025, 1, 31))
    period_close(period=january, closed_by=manager)
    specs = [receipt(1), receipt(2), bad, receipt(3)]
    with nothing_written(), pytest.raises(error):
        entries_post_bulk(book=book, entries=specs)
    assert not JournalEntry.objects.filter(book=book).exists()


def test_the_same_key_twice_in_one_batch_is_refused(book):
    with nothing_written(), pytest.raises(exc.IdempotencyConflict, match="twice"):
        entries_post_bulk(book=book, entries=[receipt(1, key="k1"), receipt(2, key="k1")])


def test_batch_with_keys_replays_posted_entries_and_posts_new_ones(book):
    first = entries_post_bulk(book=book, entries=[receipt(1, key="k1"), receipt(2, key="k2")])
    with nothing_written():
        replay = entries_post_bulk(book=book, entries=[receipt(1, key="k1"), receipt(2, key="k2")])
    assert [e.pk for e in replay] == [e.pk for e in first]

    mixed = entries_post_bulk(
        book=book, entries=[receipt(3, key="k3"), receipt(2, key="k2"), receipt(4)]
    )
    assert mixed[1].pk == first[1].pk
    assert mixed[0].pk not in {e.pk for e in first} and mixed[2].pk not in {e.pk for e in first}
    assert JournalEntry.objects.filter(book=book).count() == 4
    assert_books_consistent(book)


def test_batch_conflicting_with_a_posted_key_is_refused_whole(book):
    contribution(book, 100, idempotency_key="k1")
    with nothing_written(), pytest.raises(exc.IdempotencyConflict):
        entries_post_bulk(book=book, entries=[receipt(5), receipt(1, key="k1")])


def test_bulk_is_the_same_as_posting_one_by_one(book, other_book):
    specs = [receipt(n % 3, cents=n * 7 + 1, day=D(2025, 3, 1 + n % 5)) for n in range(30)]
    entries_post_bulk(book=book, entries=specs)
    for s in specs:
        entry_post(
            book=other_book,
            date=s.date,
            description=s.description,
            lines=s.lines,
            source_type=s.source_type,
            source_id=s.source_id,
        )

    def by_code(b):
        codes = {account(b, c).pk: c for c in (BANK_REVOLVING, CAPITAL_REVOLVING)}
        m = maintained(b)
        return (
            {(codes[a], *rest): v for (a, *rest), v in m["balances"].items()},
            {(codes[a], *rest): v for (a, *rest), v in m["daily"].items()},
        )

    assert by_code(book) == by_code(other_book)
    assert_books_consistent(book)


def test_large_batch_crosses_the_upsert_chunk_size(book):
    # 200 entries on distinct parties: 400+ balance keys, more than one upsert chunk
    specs = [receipt(n, cents=n + 1, day=D(2025, 3, 1 + n % 28)) for n in range(200)]
    entries_post_bulk(book=book, entries=specs)
    assert account_balance(account=account(book, BANK_REVOLVING)) == sum(n + 1 for n in range(200))
    assert_books_consistent(book)


def test_a_key_conflict_is_reported_before_a_closed_period_on_both_databases(book, manager):
    """Whatever the order in the batch: first the idempotency keys, then the periods."""
    contribution(book, 100, idempotency_key="k1")
    january = period_create(book=book, name="2025-01", start=D(2025, 1, 1), end=D(2025, 1, 31))
    period_close(period=january, closed_by=manager)
    batch = [receipt(1, day=D(2025, 1, 20)), receipt(2, key="k1")]
    with nothing_written(), pytest.raises(exc.IdempotencyConflict, match="'k1' was used"):
        entries_post_bulk(book=book, entries=batch)


def test_the_earliest_closed_date_is_named(book, manager):
    for month, end in ((1, 31), (2, 28)):
        period = period_create(
            book=book, name=f"2025-0{month}", start=D(2025, month, 1), end=D(2025, month, end)
        )
        period_close(period=period, closed_by=manager)
    batch = [receipt(1, day=D(2025, 2, 10)), receipt(2, day=D(2025, 1, 20)), receipt(3)]
    with nothing_written(), pytest.raises(exc.ClosedPeriod, match="2025-01 .* 20-01-2025"):
        entries_post_bulk(book=book, entries=batch)
