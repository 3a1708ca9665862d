"""A loan's position from plain rows: pure Python, no Django, no database.

From the instalments of the schedule in force, the charges (fees, penalty interest, premiums),
what repayments have allocated to each of them, and the money paid ahead and not yet allocated,
this module says what is due, paid and open, the outstanding principal, the days past due and
the arrears bucket (docs/loans.md, "Position and arrears"). The loans app reads the rows (in a
constant number of queries for any number of loans, ``loans.services.position.loan_statuses``)
and writes what it books back into the :class:`Position` it holds, so one repayment reads the
position once (:meth:`Position.take`, :meth:`Position.add_charge`, :meth:`Position.reschedule`).

The rows are duck-typed: an instalment has ``n``, ``due_date``, ``opening_balance``,
``principal``, ``interest`` and ``interest_posted``; a charge has ``pk``, ``date`` and
``amount``; an allocation part has ``component``, ``ref`` and ``amount``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal
from typing import Any, Protocol

from .allocation import Component, OpenItem

__all__ = [
    "BUCKET_LIMITS",
    "OVER_90",
    "Position",
    "Standing",
    "bucket_for_days",
]

ZERO = Decimal("0.00")

# Arrears buckets by days past due: the one home of the boundaries (docs/loans.md).
BUCKET_LIMITS: tuple[tuple[int, str], ...] = (
    (0, "current"),
    (30, "1-30"),
    (60, "31-60"),
    (90, "61-90"),
)
OVER_90 = "90+"


def bucket_for_days(days: int) -> str:
    """The arrears bucket of a loan ``days`` past due."""
    for limit, bucket in BUCKET_LIMITS:
        if days <= limit:
            return bucket
    return OVER_90


class Row(Protocol):
    n: int
    due_date: Date
    opening_balance: Decimal
    principal: Decimal
    interest: Decimal
    interest_posted: bool


class ChargeRow(Protocol):
    pk: Any
    date: Date
    amount: Decimal


@dataclass(frozen=True)
class Standing:
    """Arrears as of a date, with money paid ahead counted against what has fallen due."""

    as_of: Date
    arrears: Decimal  # principal and interest of instalments due before as_of, unpaid
    since: Date | None  # due date of the oldest of those
    advance: Decimal  # what is still held ahead once those are counted

    @property
    def days_past_due(self) -> int:
        return (self.as_of - self.since).days if self.since else 0

    @property
    def bucket(self) -> str:
        return bucket_for_days(self.days_past_due)


@dataclass
class Position:
    """Everything open on a loan, computed from its rows, charges and allocations.

    ``allocated`` maps ``(component, n)`` (``(fee, charge pk)`` for a charge) to what is
    allocated to it; ``held`` lists ``(repayment, amount not yet allocated)`` of the money paid
    ahead (held on 2100), oldest first.
    """

    rows: list[Row]
    charges: list[ChargeRow]
    allocated: dict[tuple[str, Any], Decimal]
    held: list[tuple[Any, Decimal]] = field(default_factory=list)

    @property
    def advance(self) -> Decimal:
        """Paid ahead, held on 2100 until the next instalment falls due."""
        return sum((left for _r, left in self.held), ZERO)

    # What is open on each item.

    def open_interest(self, row: Row) -> Decimal:
        return row.interest - self.allocated.get((Component.INTEREST, row.n), ZERO)

    def open_principal(self, row: Row) -> Decimal:
        return max(ZERO, row.principal - self.allocated.get((Component.PRINCIPAL, row.n), ZERO))

    def open_fee(self, charge: ChargeRow) -> Decimal:
        return charge.amount - self.allocated.get((Component.FEE, charge.pk), ZERO)

    def items(self, as_of: Date) -> list[OpenItem]:
        """What a payment on ``as_of`` can be allocated to, for :func:`allocation.allocate`."""
        items = [
            OpenItem(Component.FEE, c.pk, c.date, self.open_fee(c))
            for c in self.charges
            if c.date <= as_of
        ]
        for row in self.rows:
            if row.due_date <= as_of:
                items.append(
                    OpenItem(Component.INTEREST, row.n, row.due_date, self.open_interest(row))
                )
                items.append(
                    OpenItem(Component.PRINCIPAL, row.n, row.due_date, self.open_principal(row))
                )
        return [i for i in items if i.amount > 0]

    # Totals.

    def scheduled_balance(self, as_of: Date) -> Decimal:
        """Principal not yet due after ``as_of``: the opening balance of the next instalment."""
        ahead = [r for r in self.rows if r.due_date > as_of]
        return ahead[0].opening_balance if ahead else ZERO

    def outstanding_principal(self) -> Decimal:
        return sum((r.principal for r in self.rows), ZERO) - self._allocated(Component.PRINCIPAL)

    def interest_receivable(self) -> Decimal:
        posted = sum((r.interest for r in self.rows if r.interest_posted), ZERO)
        return posted - self._allocated(Component.INTEREST)

    def fees_receivable(self) -> Decimal:
        return sum((self.open_fee(c) for c in self.charges), ZERO)

    def _allocated(self, component: str) -> Decimal:
        return sum((a for (c, _n), a in self.allocated.items() if c == component), ZERO)

    # Arrears.

    def open_after_advance(self) -> Iterator[tuple[Row, Decimal, Decimal]]:
        """``(row, still open, advance left)`` per instalment, oldest first, with money paid
        ahead counted against what falls due first, as the day-end books it when the
        instalment falls due: what a page shows before that run has caught up."""
        held = self.advance
        for row in self.rows:
            open_ = max(self.open_interest(row) + self.open_principal(row), ZERO)
            covered = min(held, open_)
            held -= covered
            yield row, open_ - covered, held

    def standing(self, as_of: Date) -> Standing:
        """Arrears as of ``as_of``: what instalments due before it still ask, the oldest such
        due date (so days past due and bucket), and the advance left. Once the day-end has
        met each instalment with the money held ahead this is the same as reading the
        allocations alone; before, it does not show arrears the collective has paid."""
        arrears = ZERO
        since = None
        advance = self.advance
        for row, open_, held in self.open_after_advance():
            if row.due_date >= as_of:
                break
            advance = held
            arrears += open_
            if open_ > 0 and since is None:
                since = row.due_date
        return Standing(as_of=as_of, arrears=arrears, since=since, advance=advance)

    def next_open(self, as_of: Date) -> Decimal:
        """What the first instalment due after ``as_of`` still asks, less what is held for it."""
        for row in self.rows:
            if row.due_date > as_of:
                return max(ZERO, self.open_interest(row) + self.open_principal(row) - self.advance)
        return ZERO

    # What the caller books, written back so it need not read the position again.

    def take(self, parts: Iterable, *, advance_of: Any = None) -> None:
        """Count allocation ``parts`` as allocated; with ``advance_of`` they were paid from
        that repayment's money held ahead, which is reduced by their total."""
        used = ZERO
        for part in parts:
            self.allocated[(part.component, part.ref)] = (
                self.allocated.get((part.component, part.ref), ZERO) + part.amount
            )
            used += part.amount
        if advance_of is not None:
            self.held = [(r, left - used if r == advance_of else left) for r, left in self.held]
            self.held = [(r, left) for r, left in self.held if left > 0]

    def hold(self, repayment: Any, amount: Decimal) -> None:
        """``amount`` of ``repayment`` is paid ahead and held."""
        if amount > 0:
            self.held.append((repayment, amount))
            self.held.sort(key=lambda held: (held[0].value_date, held[0].pk))

    def add_charge(self, charge: ChargeRow) -> None:
        self.charges.append(charge)

    def reschedule(self, rows: list[Row]) -> None:
        """A new schedule version is in force: its rows replace the old ones (allocations
        are kept by instalment number, which a new version carries over)."""
        self.rows = sorted(rows, key=lambda r: r.n)
