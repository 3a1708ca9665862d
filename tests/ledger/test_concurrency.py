"""PostgreSQL: concurrent postings lose no update, and a period close cannot let one slip in.

These tests commit for real from several threads, each with its own connection.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

from ledger import exceptions as exc
from ledger.chart import BANK_REVOLVING, CAPITAL_REVOLVING, INTEREST_INCOME, LOANS_PRINCIPAL
from ledger.checks import check_book
from ledger.models import Balance, DailyTotal, JournalEntry, JournalLine, Period
from ledger.selectors import account_balance
from ledger.services import Cr, Dr, entry_post, entry_reverse, period_close, period_create
from tests.ledger.helpers import D, account, assert_books_consistent, make_book

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6
PER_THREAD = 40


def in_thread(func):
    """Run ``func`` with the thread's own connection, and close it at the end."""

    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        finally:
            connection.close()

    return run


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def wait_until_blocked(pid: int, timeout: float = 10.0) -> None:
    """Poll (from the test's own connection) until backend ``pid`` waits for a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [pid])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for a lock")


def test_concurrent_postings_lose_no_update(on_postgres):
    book = make_book()
    start = threading.Barrier(THREADS)

    @in_thread
    def worker(n: int) -> Counter:
        start.wait()
        posted = Counter()
        for i in range(PER_THREAD):
            cents = 100 + n * 7 + i
            loan = f"L-{i % 3}"
            # everyone hits the same bank account, the same three loan keys and the same day
            entry_post(
                book=book,
                date=D(2025, 6, 1 + i % 2),
                description=f"thread {n} entry {i}",
                lines=[Dr(LOANS_PRINCIPAL, cents, contract=loan), Cr(BANK_REVOLVING, cents)],
            )
            posted[("1200", loan)] += cents
            posted["1000"] -= cents
            if i % 5 == 0:
                entry_post(
                    book=book,
                    date=D(2025, 6, 1),
                    description=f"thread {n} deposit {i}",
                    lines=[Dr(BANK_REVOLVING, 1_000), Cr(CAPITAL_REVOLVING, 1_000, party="INV-1")],
                )
                posted["1000"] += 1_000
                posted["3000"] -= 1_000
        return posted

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    expected = Counter()
    for posted in results:
        expected.update(posted)  # update keeps negative totals; Counter + drops them

    per_thread_entries = PER_THREAD + len(range(0, PER_THREAD, 5))
    assert JournalEntry.objects.filter(book=book).count() == THREADS * per_thread_entries
    assert account_balance(account=account(book, BANK_REVOLVING)) == expected["1000"]
    assert account_balance(account=account(book, CAPITAL_REVOLVING)) == expected["3000"]
    principal = account(book, LOANS_PRINCIPAL)
    for loan in ("L-0", "L-1", "L-2"):
        assert account_balance(account=principal, contract=loan) == expected[("1200", loan)]
    assert account_balance(account=principal) == sum(
        v for k, v in expected.items() if isinstance(k, tuple)
    )
    bank_days = DailyTotal.objects.filter(account__book=book, account__code=BANK_REVOLVING)
    assert sum(d.debit - d.credit for d in bank_days) == expected["1000"]
    report = check_book(book)
    assert report.ok, report.differences
    assert_books_consistent(book)


def test_concurrent_retries_with_the_same_key_post_once(on_postgres):
    book = make_book()
    start = threading.Barrier(THREADS)

    @in_thread
    def worker(_n: int) -> int:
        start.wait()
        return entry_post(
            book=book,
            date=D(2025, 6, 1),
            description="Rente juni",
            lines=[Dr("1210", 450_00, contract="L-1"), Cr(INTEREST_INCOME, 450_00, contract="L-1")],
            idempotency_key="rente-L-1-2025-06",
        ).pk

    with ThreadPoolExecutor(THREADS) as pool:
        pks = set(pool.map(worker, range(THREADS)))
    assert len(pks) == 1
    assert JournalEntry.objects.filter(book=book).count() == 1
    assert account_balance(account=account(book, INTEREST_INCOME)) == -450_00
    assert check_book(book).ok


def test_concurrent_reversals_of_one_entry_post_one(on_postgres):
    book = make_book()
    original = entry_post(
        book=book,
        date=D(2025, 6, 1),
        description="dubbel geboekt",
        lines=[Dr(BANK_REVOLVING, 700), Cr(CAPITAL_REVOLVING, 700, party="INV-1")],
    )
    start = threading.Barrier(THREADS)

    @in_thread
    def worker(_n: int) -> str:
        start.wait()
        try:
            entry_reverse(entry=original)
        except exc.AlreadyReversed:
            return "refused"
        return "reversed"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = Counter(pool.map(worker, range(THREADS)))
    assert outcomes == {"reversed": 1, "refused": THREADS - 1}
    assert JournalEntry.objects.filter(book=book).count() == 2
    assert account_balance(account=account(book, BANK_REVOLVING)) == 0
    assert check_book(book).ok


def test_period_close_waits_for_a_posting_in_flight(on_postgres, manager):
    """A posting that holds its share lock commits first; the close waits, then closes."""
    book = make_book()
    june = period_create(book=book, name="2025-06", start=D(2025, 6, 1), end=D(2025, 6, 30))
    posted, release = threading.Event(), threading.Event()
    closer_pid: list[int] = []

    @in_thread
    def poster():
        with transaction.atomic():
            entry_post(
                book=book,
                date=D(2025, 6, 30),
                description="laatste boeking juni",
                lines=[Dr(BANK_REVOLVING, 500), Cr(CAPITAL_REVOLVING, 500, party="INV-1")],
            )
            posted.set()
            assert release.wait(10)

    @in_thread
    def closer():
        closer_pid.append(backend_pid())
        assert posted.wait(10)
        return period_close(period=june, closed_by=manager)

    with ThreadPoolExecutor(2) as pool:
        poster_done = pool.submit(poster)
        closer_done = pool.submit(closer)
        assert posted.wait(10)
        while not closer_pid:
            time.sleep(0.01)
        wait_until_blocked(closer_pid[0])
        assert not closer_done.done()
        release.set()
        poster_done.result(timeout=10)
        assert closer_done.result(timeout=10).is_closed

    assert account_balance(account=account(book, BANK_REVOLVING)) == 500
    with pytest.raises(exc.ClosedPeriod):
        entry_post(
            book=book,
            date=D(2025, 6, 30),
            description="te laat",
            lines=[Dr(BANK_REVOLVING, 1), Cr(CAPITAL_REVOLVING, 1, party="INV-1")],
        )
    assert check_book(book).ok


def test_posting_waits_for_a_close_in_flight_and_is_then_refused(on_postgres, manager):
    """A close that holds the book lock commits first; the posting waits and sees it closed."""
    book = make_book()
    june = period_create(book=book, name="2025-06", start=D(2025, 6, 1), end=D(2025, 6, 30))
    closed, release = threading.Event(), threading.Event()
    poster_pid: list[int] = []
    counts_before = (
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        Balance.objects.count(),
    )

    @in_thread
    def closer():
        with transaction.atomic():
            period_close(period=june, closed_by=manager)
            closed.set()
            assert release.wait(10)

    @in_thread
    def poster():
        poster_pid.append(backend_pid())
        assert closed.wait(10)
        entry_post(
            book=book,
            date=D(2025, 6, 15),
            description="glipt er bijna in",
            lines=[Dr(BANK_REVOLVING, 500), Cr(CAPITAL_REVOLVING, 500, party="INV-1")],
        )

    with ThreadPoolExecutor(2) as pool:
        closer_done = pool.submit(closer)
        poster_done = pool.submit(poster)
        assert closed.wait(10)
        while not poster_pid:
            time.sleep(0.01)
        wait_until_blocked(poster_pid[0])
        assert not poster_done.done()
        release.set()
        closer_done.result(timeout=10)
        with pytest.raises(exc.ClosedPeriod):
            poster_done.result(timeout=10)

    assert Period.objects.get(pk=june.pk).is_closed
    assert (JournalEntry.objects.count(), JournalLine.objects.count(), Balance.objects.count()) == (
        counts_before
    )
    assert not connections["default"].in_atomic_block


def test_batches_sharing_keys_in_opposite_order_do_not_deadlock(on_postgres):
    """Two imports of the same bank file, one read backwards: keys are inserted in key
    order, so one waits for the other and then replays it, instead of a deadlock."""
    from ledger.services import EntrySpec, entries_post_bulk

    book = make_book()
    specs = [
        EntrySpec(
            date=D(2025, 6, 1),
            description=f"Bankregel {n}",
            lines=[Dr(BANK_REVOLVING, 100 + n), Cr(CAPITAL_REVOLVING, 100 + n, party="INV-1")],
            idempotency_key=f"bank-{n:05d}",
        )
        for n in range(5_000)
    ]
    start = threading.Barrier(2)

    @in_thread
    def worker(order: list) -> list[int]:
        start.wait()
        return [e.pk for e in entries_post_bulk(book=book, entries=order)]

    with ThreadPoolExecutor(2) as pool:
        forwards, backwards = pool.map(worker, [specs, specs[::-1]])
    assert forwards == backwards[::-1]
    assert JournalEntry.objects.filter(book=book).count() == 5_000
    assert_books_consistent(book)
