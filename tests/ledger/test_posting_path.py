"""The PostgreSQL posting path: one call of ``ledger_post``, its own transaction when the
caller has none. These tests commit for real (``transaction=True``)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ledger import exceptions as exc
from ledger.models import Account, JournalEntry
from ledger.selectors import account_balance
from ledger.services import period_close, period_create
from tests.ledger.helpers import JAN_15, MAR_1, account, contribution, make_book, nothing_written

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def book(on_postgres):
    return make_book()


def test_a_posting_outside_a_transaction_is_one_round_trip(book):
    """The accounts come from the cache, then one call of the posting function: no BEGIN,
    no COMMIT, no savepoint."""
    assert not connection.in_atomic_block
    contribution(book, 1_00, idempotency_key="warm-up")  # reads the accounts once
    with CaptureQueriesContext(connection) as queries:
        entry = contribution(book, 250_00, idempotency_key="c-1")
    assert len(queries.captured_queries) == 1
    assert "ledger_post" in queries.captured_queries[0]["sql"]
    assert JournalEntry.objects.get(pk=entry.pk).lines.count() == 2
    assert account_balance(account=account(book, "1000")) == 251_00


def test_replay_and_refusals_outside_a_transaction(book, manager):
    first = contribution(book, 100_00, idempotency_key="c-1")
    with nothing_written():
        assert contribution(book, 100_00, idempotency_key="c-1").pk == first.pk
    with nothing_written(), pytest.raises(exc.IdempotencyConflict, match=f"entry #{first.pk}"):
        contribution(book, 99_00, idempotency_key="c-1")
    january = period_create(book=book, name="2025-01", start=JAN_15, end=JAN_15)
    period_close(period=january, closed_by=manager)
    with nothing_written(), pytest.raises(exc.ClosedPeriod, match="period 2025-01 is closed"):
        contribution(book, 5_00, idempotency_key="c-2")
    # a replay of an entry whose period closed since still returns it
    assert contribution(book, 100_00, idempotency_key="c-1").pk == first.pk
    assert account_balance(account=account(book, "1000")) == 100_00


def test_a_refusal_inside_the_callers_transaction_leaves_it_usable(book, manager):
    """Inside a transaction the call runs in a savepoint: the caller may catch the refusal
    and go on, and what it did before and after commits."""
    january = period_create(book=book, name="2025-01", start=JAN_15, end=JAN_15)
    period_close(period=january, closed_by=manager)
    with transaction.atomic():
        before = contribution(book, 10_00, day=MAR_1)
        with pytest.raises(exc.ClosedPeriod):
            contribution(book, 5_00)
        after = contribution(book, 10_00, day=MAR_1)
    assert JournalEntry.objects.filter(pk__in=[before.pk, after.pk]).count() == 2
    assert account_balance(account=account(book, "1000")) == 20_00


def test_posting_under_repeatable_read_is_refused(book):
    """Its snapshot would predate a period close; the function refuses rather than risk it."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        with nothing_written(), pytest.raises(Exception, match="needs READ COMMITTED"):
            contribution(book, 1_00)
    assert not JournalEntry.objects.filter(book=book).exists()


def test_the_posting_mark_is_cleared_after_each_call(book):
    """ledger_post marks its own statement so that its lines skip the per-line check; a raw
    line later in the same transaction is checked again."""
    with transaction.atomic():
        contribution(book, 1_00)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('ledger.posting', true)")
            assert cursor.fetchone()[0] == "off"


def test_an_account_deactivated_after_it_was_cached_is_refused(book):
    """The cache says active, the posting function finds it inactive: the service reads the
    accounts again and refuses with the typed error."""
    contribution(book, 1_00)
    Account.objects.filter(book=book, code="1000").update(is_active=False)
    with nothing_written(), pytest.raises(exc.InactiveAccount, match="account 1000 is inactive"):
        contribution(book, 2_00)
    Account.objects.filter(book=book, code="1000").update(is_active=True)
    contribution(book, 3_00)
    assert account_balance(account=account(book, "1000")) == 4_00


def test_a_cached_account_that_now_keeps_a_sub_ledger_is_read_again(book):
    """Accounts never change their sub-ledger through the services; if one is changed by
    hand, the posting function notices a line without the key."""
    contribution(book, 1_00)
    Account.objects.filter(book=book, code="1000").update(subledger="party")
    with nothing_written(), pytest.raises(exc.MissingSubledgerKey, match="account 1000"):
        contribution(book, 2_00)
