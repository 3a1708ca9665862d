"""period_create and period_close: periods do not overlap, close in order, then refuse entries."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from ledger import exceptions as exc
from ledger.models import AuditEvent, Period
from ledger.services import period_close, period_create
from tests.ledger.helpers import D, contribution, nothing_written

pytestmark = pytest.mark.django_db


def quarter(book, q, year=2025):
    start = D(year, 3 * q - 2, 1)
    end = {1: D(year, 3, 31), 2: D(year, 6, 30), 3: D(year, 9, 30), 4: D(year, 12, 31)}[q]
    return period_create(book=book, name=f"{year}-Q{q}", start=start, end=end)


def test_period_create_writes_the_period_and_an_audit_event(book, manager):
    period = period_create(
        book=book, name="2025", start=D(2025, 1, 1), end=D(2025, 12, 31), created_by=manager
    )
    assert (period.start, period.end, period.is_closed) == (D(2025, 1, 1), D(2025, 12, 31), False)
    event = AuditEvent.objects.get(action="period.create", object_id=str(period.pk))
    assert event.actor == manager
    assert event.book == book
    assert event.after == {"name": "2025", "start": "2025-01-01", "end": "2025-12-31"}


def test_one_day_period_is_allowed(book):
    assert period_create(book=book, name="1 jan", start=D(2025, 1, 1), end=D(2025, 1, 1)).pk


def test_period_ending_before_it_starts_is_refused(book):
    with nothing_written(), pytest.raises(exc.PeriodError, match="ends before it starts"):
        period_create(book=book, name="fout", start=D(2025, 2, 1), end=D(2025, 1, 31))


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (D(2025, 3, 31), D(2025, 4, 30)),  # shares the last day
        (D(2024, 12, 1), D(2025, 1, 1)),  # shares the first day
        (D(2025, 2, 1), D(2025, 2, 28)),  # inside
        (D(2024, 1, 1), D(2025, 12, 31)),  # around
        (D(2025, 1, 1), D(2025, 3, 31)),  # the same
    ],
)
def test_overlapping_period_is_refused(book, start, end):
    quarter(book, 1)
    with nothing_written(), pytest.raises(exc.PeriodError, match="overlaps period 2025-Q1"):
        period_create(book=book, name="overlap", start=start, end=end)


def test_periods_of_other_books_do_not_overlap_ours(book, other_book):
    quarter(book, 1)
    assert quarter(other_book, 1).book == other_book


def test_period_close_records_who_and_when_and_an_audit_event(book, manager):
    q1 = quarter(book, 1)
    closed = period_close(period=q1, closed_by=manager)
    q1.refresh_from_db()
    assert q1.is_closed and closed.is_closed
    assert q1.closed_by == manager
    event = AuditEvent.objects.get(action="period.close", object_id=str(q1.pk))
    assert (event.before, event.after, event.book_id) == (
        {"closed": False},
        {"closed": True},
        book.pk,
    )


def test_closing_a_closed_period_is_refused(book, manager):
    q1 = quarter(book, 1)
    period_close(period=q1, closed_by=manager)
    with nothing_written(), pytest.raises(exc.PeriodError, match="closed already"):
        period_close(period=q1, closed_by=manager)


def test_periods_close_in_order(book, manager):
    q1, q2 = quarter(book, 1), quarter(book, 2)
    with nothing_written(), pytest.raises(exc.PeriodError, match="close period 2025-Q1 first"):
        period_close(period=q2, closed_by=manager)
    assert not Period.objects.get(pk=q2.pk).is_closed
    period_close(period=q1, closed_by=manager)
    period_close(period=q2, closed_by=manager)
    assert Period.objects.filter(book=book, closed_at__isnull=False).count() == 2


def test_an_open_period_of_another_book_does_not_hold_up_a_close(book, other_book, manager):
    quarter(other_book, 1)
    q2 = quarter(book, 2)
    assert period_close(period=q2, closed_by=manager).is_closed


def test_closed_period_refuses_entries_on_its_first_and_last_day_only(book, manager):
    q1, q2 = quarter(book, 1), quarter(book, 2)
    contribution(book, 100, day=D(2025, 3, 31))
    period_close(period=q1, closed_by=manager)
    for day in (D(2025, 1, 1), D(2025, 3, 31)):
        with nothing_written(), pytest.raises(exc.ClosedPeriod):
            contribution(book, 100, day=day)
    assert contribution(book, 100, day=D(2025, 4, 1)).pk
    assert contribution(book, 100, day=D(2024, 12, 31)).pk  # before any period: open
    assert not q2.is_closed


def test_the_database_refuses_a_period_that_ends_before_it_starts(book):
    from django.db import transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Period.objects.create(book=book, name="raw", start=D(2025, 2, 1), end=D(2025, 1, 1))
