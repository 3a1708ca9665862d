"""Checks shared by the fund tests: that a refused call wrote nothing, audit trails, books."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal

import pytest

from fund.models import (
    Application,
    Attachment,
    BudgetLine,
    Collective,
    Commitment,
    Contribution,
    Fund,
    Grant,
    GrantPayment,
    Investor,
    NumberSequence,
)
from ledger.checks import check_book
from ledger.models import AuditEvent, Balance, Book, DailyTotal, JournalEntry, JournalLine
from ledger.money import to_cents

COUNTED = (
    JournalEntry,
    JournalLine,
    AuditEvent,
    DailyTotal,
    Fund,
    Investor,
    Commitment,
    Contribution,
    Collective,
    Application,
    BudgetLine,
    Attachment,
    Grant,
    GrantPayment,
)


def db_state() -> dict:
    """Everything a fund service may write: row counts, balances, number sequences."""
    state: dict = {model.__name__: model.objects.count() for model in COUNTED}
    state["Balance"] = sorted(Balance.objects.values_list("id", "debit", "credit"))
    state["NumberSequence"] = sorted(NumberSequence.objects.values_list("prefix", "year", "last"))
    return state


def row(obj) -> dict:
    """The object's row as it is in the database now."""
    return type(obj).objects.filter(pk=obj.pk).values().get()


@contextlib.contextmanager
def refused(exc_type, *objects, match: str | None = None) -> Iterator[pytest.ExceptionInfo]:
    """Expect ``exc_type`` and that nothing was written: no entry, line, balance, audit event,
    number or row, and each of ``objects`` unchanged in the database."""
    before = db_state()
    rows = [row(o) for o in objects]
    with pytest.raises(exc_type, match=match) as info:
        yield info
    assert db_state() == before
    assert [row(o) for o in objects] == rows


def cents(euros: str | Decimal | int) -> int:
    return to_cents(Decimal(euros))


def events_after(mark: int) -> list[AuditEvent]:
    """Audit events written after the event with id ``mark`` (oldest first)."""
    return list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk"))


def audit_mark() -> int:
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def assert_books_ok(book: Book) -> None:
    report = check_book(book)
    assert report.ok, report.differences


def assert_balances(book: Book, expected: dict[str, str]) -> None:
    """The book's balances (debit positive) in euros; accounts not named must be zero."""
    from ledger.selectors import balances_by_code

    actual = {code: v for code, v in balances_by_code(book=book).items() if v}
    assert actual == {code: cents(euros) for code, euros in expected.items() if cents(euros)}
