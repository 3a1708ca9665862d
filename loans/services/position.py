"""What is open on a loan: the schedule in force, allocations and advances held, for one
loan or many."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date as Date
from decimal import Decimal

from django.db.models import F, Q, Sum

from ledger.money import ZERO

from ..allocation import Component, OpenItem
from ..models import (
    Allocation,
    AllocationKind,
    Charge,
    Instalment,
    Loan,
    Repayment,
    ScheduleVersion,
)


def current_version(loan: Loan) -> ScheduleVersion | None:
    return ScheduleVersion.objects.filter(loan=loan, is_current=True).first()


def current_rows(loan: Loan) -> list[Instalment]:
    return list(Instalment.objects.filter(version__loan=loan, version__is_current=True))


@dataclass(frozen=True)
class Position:
    """Everything open on a loan at a date, computed from its rows, charges and allocations."""

    rows: list[Instalment]
    charges: list[Charge]
    allocated: dict[tuple[str, int], Decimal]
    advance: Decimal = ZERO  # paid ahead, held on 2100 until the next instalment falls due

    def open_interest(self, row: Instalment) -> Decimal:
        return row.interest - self.allocated.get((Component.INTEREST, row.n), ZERO)

    def open_principal(self, row: Instalment) -> Decimal:
        return max(ZERO, row.principal - self.allocated.get((Component.PRINCIPAL, row.n), ZERO))

    def open_fee(self, charge: Charge) -> Decimal:
        return charge.amount - self.allocated.get((Component.FEE, charge.pk), ZERO)

    def items(self, as_of: Date) -> list[OpenItem]:
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

    def arrears_since(self, as_of: Date) -> Date | None:
        """Due date of the oldest instalment due before ``as_of`` that is not paid in full."""
        for row in self.rows:
            if row.due_date < as_of and (self.open_interest(row) + self.open_principal(row)) > 0:
                return row.due_date
        return None

    def scheduled_balance(self, as_of: Date) -> Decimal:
        """Principal not yet due after ``as_of``: the opening balance of the next instalment."""
        ahead = [r for r in self.rows if r.due_date > as_of]
        return ahead[0].opening_balance if ahead else ZERO

    def outstanding_principal(self) -> Decimal:
        return sum((r.principal for r in self.rows), ZERO) - sum(
            (a for (c, _n), a in self.allocated.items() if c == Component.PRINCIPAL), ZERO
        )

    def interest_receivable(self) -> Decimal:
        posted = sum((r.interest for r in self.rows if r.interest_posted), ZERO)
        return posted - sum(
            (a for (c, _n), a in self.allocated.items() if c == Component.INTEREST), ZERO
        )

    def fees_receivable(self) -> Decimal:
        return sum((self.open_fee(c) for c in self.charges), ZERO)

    def open_after_advance(self):
        """``(row, still open, advance left)`` per instalment, oldest first, with money paid
        ahead (held on 2100) counted against what falls due first, as the day-end books it
        when the instalment falls due: what a page shows before that run has caught up."""
        held = self.advance
        for row in self.rows:
            open_ = max(self.open_interest(row) + self.open_principal(row), ZERO)
            covered = min(held, open_)
            held -= covered
            yield row, open_ - covered, held

    def next_open(self, as_of: Date) -> Decimal:
        """What the first instalment due after ``as_of`` still asks, less what is held for it."""
        for row in self.rows:
            if row.due_date > as_of:
                return max(ZERO, self.open_interest(row) + self.open_principal(row) - self.advance)
        return ZERO


def advances_held(loan: Loan) -> list[tuple[Repayment, Decimal]]:
    """Repayments with part of their advance not yet allocated, oldest first (one query)."""
    return _advances_held(Repayment.objects.filter(loan=loan))


def _advances_held(repayments) -> list[tuple[Repayment, Decimal]]:
    used = Sum(
        "allocations__amount",
        filter=Q(allocations__kind=AllocationKind.ADVANCE, allocations__undone=False),
        default=ZERO,
    )
    held = (
        repayments.filter(advance__gt=0, reversed_at__isnull=True)
        .annotate(used=used)
        .order_by("value_date", "pk")
    )
    return [(r, r.advance - r.used) for r in held if r.advance > r.used]


def loan_status(loan: Loan) -> Position:
    return loan_statuses([loan])[loan.pk]


def loan_statuses(loans: Iterable[Loan]) -> dict[int, Position]:
    """The :class:`Position` of each loan, read in four queries however many loans there are
    (the current instalments, the charges, the allocations, the advances held)."""
    ids = [loan.pk for loan in loans]
    rows: dict[int, list[Instalment]] = defaultdict(list)
    instalments = (
        Instalment.objects.filter(version__loan_id__in=ids, version__is_current=True)
        .annotate(loan_pk=F("version__loan_id"))
        .order_by("version__loan_id", "n")
    )
    for row in instalments:
        rows[row.loan_pk].append(row)
    charges: dict[int, list[Charge]] = defaultdict(list)
    for charge in Charge.objects.filter(loan_id__in=ids, cancelled=False).order_by("date", "id"):
        charges[charge.loan_id].append(charge)
    allocated: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: ZERO))
    parts = Allocation.objects.filter(loan_id__in=ids, undone=False).values_list(
        "loan_id", "component", "n", "charge_id", "amount"
    )
    for loan_id, component, n, charge_id, amount in parts:
        ref = charge_id if component == Component.FEE else n
        allocated[loan_id][(component, ref)] += amount
    advance: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for repayment, left in _advances_held(Repayment.objects.filter(loan_id__in=ids)):
        advance[repayment.loan_id] += left
    return {
        pk: Position(
            rows=rows[pk],
            charges=charges[pk],
            allocated=allocated[pk],
            advance=advance[pk],
        )
        for pk in ids
    }
