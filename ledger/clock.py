"""The one clock: what the application takes to be *now* and *today* (the business date).

Every piece of code that needs the time or today's date asks this module, never
``timezone.now()``, ``date.today()`` or the database's ``now()``. That gives the fund one
business date (see ``docs/ledger.md``, "The business date"): nothing is posted after it,
"current" balances mean as of it, and the day-end never runs past it.

Tests freeze it with time-machine (``tests/conftest.py``); the demo tells a fund's history by
running the services with the clock set to the moment each step happened
(:func:`travel`), so that every timestamp it writes is the one it would have had.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time

from django.utils import timezone

_moment: ContextVar[datetime | None] = ContextVar("burgerfonds_clock", default=None)


def now() -> datetime:
    """The current moment, timezone-aware."""
    moment = _moment.get()
    return moment if moment is not None else timezone.now()


def today() -> date:
    """The business date: today in the project's time zone (Europe/Amsterdam)."""
    return timezone.localdate(now())


@contextmanager
def travel(moment: datetime | date) -> Iterator[None]:
    """Run the block as if it were ``moment`` (a date means 09:00 local time that day).

    For seeding a history (the demo) and for replaying what happened on a past day; the
    moment is fixed for the whole block. Nested blocks restore the outer moment.
    """
    if not isinstance(moment, datetime):
        moment = timezone.make_aware(datetime.combine(moment, time(9, 0)))
    elif timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    token = _moment.set(moment)
    try:
        yield
    finally:
        _moment.reset(token)


# --- the calendar: the one home of month-end arithmetic -------------------------------------


def first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def month_end(year: int, month: int) -> date:
    """The last day of ``month`` in ``year``."""
    return date.fromordinal(first_of_next_month(date(year, month, 1)).toordinal() - 1)


def is_month_end(day: date) -> bool:
    return first_of_next_month(day).toordinal() - day.toordinal() == 1
