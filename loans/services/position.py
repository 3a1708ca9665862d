"""Reading a loan's position: the schedule in force, charges, allocations and advances held,
for one loan or many, into the pure :class:`loans.position.Position`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import F, Q, Sum

from ledger.money import ZERO

from ..allocation import Component
from ..models import (
    Allocation,
    AllocationKind,
    Charge,
    Instalment,
    Loan,
    Repayment,
    ScheduleVersion,
)
from ..position import Position

__all__ = [
    "Position",
    "current_rows",
    "current_version",
    "loan_status",
    "loan_statuses",
]


def current_version(loan: Loan) -> ScheduleVersion | None:
    return ScheduleVersion.objects.filter(loan=loan, is_current=True).first()


def current_rows(loan: Loan) -> list[Instalment]:
    return list(Instalment.objects.filter(version__loan=loan, version__is_current=True))


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
    held: dict[int, list] = defaultdict(list)
    for repayment, left in _advances_held(Repayment.objects.filter(loan_id__in=ids)):
        held[repayment.loan_id].append((repayment, left))
    return {
        pk: Position(
            rows=rows[pk],
            charges=charges[pk],
            allocated=allocated[pk],
            held=held[pk],
        )
        for pk in ids
    }
