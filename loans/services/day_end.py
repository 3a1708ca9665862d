"""The day-end run, in batches of loans, resumable."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date as Date
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Max

from fund.models import Fund
from ledger import clock
from ledger.models import JournalEntry
from ledger.seal import seal_book
from ledger.services import EntrySpec, entries_post_bulk

from ..models import SERVICED_STATES, DayRun, Instalment, Loan
from ._common import _lock_compartment, _not_after_today
from .due import _accrue, _due_specs, _penalty, _post_due, _set_arrears
from .position import loan_statuses

DAY_BATCH = 50  # loans per day-end transaction: each holds its locks for well under a second


def loan_day_process(
    *, fund: Fund, date: Date, run_by=None, batch_size: int | None = None
) -> DayRun:
    """Day-end processing of one fund for one day, idempotent, in batches of loans.

    For every loan being serviced: instalments due on or before ``date`` post their interest
    (Dr 1210 / Cr 4000, one bulk posting, idempotency keys ``due:<loan>:<version>:<n>``) and
    reverse open accruals; at a month end interest earned but not yet due is accrued and
    penalty interest is charged on arrears where the product says so; days past due and the
    arrears bucket are updated. Running a day again posts nothing new.

    Each batch of ``batch_size`` loans is its own transaction, holding the compartment and
    its loans only while it runs, so repayments and imports get in between. A run that stops
    halfway (a crash, a lock timeout) leaves its ``DayRun`` open; running the day again
    finishes it, and the loans already done post nothing twice (docs/loans.md, "Day-end").
    """
    with transaction.atomic(durable=True):
        run, _created = DayRun.objects.get_or_create(
            fund=fund, date=date, defaults={"completed": False}
        )
    ids = list(
        Loan.objects.filter(fund=fund, state__in=SERVICED_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    in_arrears = 0
    batch_size = batch_size or DAY_BATCH
    for start in range(0, len(ids), batch_size):
        with transaction.atomic(durable=True):
            counts = _day_batch(fund, date, ids[start : start + batch_size], run_by)
            DayRun.objects.filter(pk=run.pk).update(
                due=F("due") + counts["due"],
                accrued=F("accrued") + counts["accrued"],
                penalties=F("penalties") + counts["penalties"],
            )
        in_arrears += counts["in_arrears"]
    DayRun.objects.filter(pk=run.pk).update(
        in_arrears=in_arrears, completed=True, finished_at=clock.now()
    )
    run.refresh_from_db()
    return run


def _day_batch(fund: Fund, date: Date, ids: list[int], run_by) -> dict[str, int]:
    """One day-end transaction over the loans ``ids`` (locked, with their compartment)."""
    _lock_compartment(fund.pk)
    loans = list(
        Loan.objects.select_for_update(of=("self",))
        .select_related("fund__book", "collective")
        .filter(pk__in=ids, state__in=SERVICED_STATES)
        .order_by("pk")
    )
    due_rows: dict[int, list[Instalment]] = {}
    states = loan_statuses(loans)
    specs: list[EntrySpec] = []
    for loan in loans:
        state = states[loan.pk]
        rows = [r for r in state.rows if r.due_date <= date and not r.interest_posted]
        if rows:
            due_rows[loan.pk] = rows
            specs += _due_specs(loan, rows)
    if specs:
        existing = set(
            JournalEntry.objects.filter(
                book=fund.book, idempotency_key__in=[s.idempotency_key for s in specs]
            ).values_list("idempotency_key", flat=True)
        )
        fresh = [s for s in specs if s.idempotency_key not in existing]
        entries_post_bulk(book=fund.book, entries=fresh, created_by=run_by)
    counts = defaultdict(int)
    for loan in loans:
        state = states[loan.pk]
        rows = due_rows.get(loan.pk)
        if rows:
            # Entries are posted; this flags rows, capitalises and reverses accruals.
            counts["due"] += _post_due(loan, rows, run_by, post=False, state=state)
        if clock.is_month_end(date):
            counts["accrued"] += _accrue(loan, state, date, run_by)
            counts["penalties"] += _penalty(loan, state, date, run_by)
        counts["in_arrears"] += _set_arrears(loan, state, date, save=False) > 0
    Loan.objects.bulk_update(loans, ["days_past_due", "arrears_bucket", "status_date"])
    return counts


def loans_run_days(
    *,
    date_to: Date,
    date_from: Date | None = None,
    funds: Iterable[Fund] | None = None,
    run_by=None,
    progress: Callable[[Fund, Date, DayRun], None] | None = None,
) -> list[DayRun]:
    """Process every day from ``date_from`` (default: the day after the fund's last processed
    day, or its first disbursement) to ``date_to``, one transaction per fund and day, in order.
    Catching up a range gives the same books as running each day once. Never past today:
    a day is processed once it has begun."""
    _not_after_today(date_to)
    runs = []
    for fund in funds if funds is not None else Fund.objects.order_by("pk"):
        start = date_from
        if start is None:
            done = DayRun.objects.filter(fund=fund, completed=True)
            last = done.aggregate(d=Max("date"))["d"]
            if last is not None:
                start = last + timedelta(days=1)
            else:
                first = (
                    Loan.objects.filter(fund=fund, start_date__isnull=False)
                    .order_by("start_date")
                    .values_list("start_date", flat=True)
                    .first()
                )
                start = first or date_to
        day = start
        while day <= date_to:
            run = loan_day_process(fund=fund, date=day, run_by=run_by)
            runs.append(run)
            if progress:
                progress(fund, day, run)
            day += timedelta(days=1)
        seal_book(fund.book_id)  # the day-end seals the day's postings (docs/ledger.md)
    return runs
