"""Reading a loan's position: the schedule in force, charges, allocations and advances held,
for one loan or many, into the pure :class:`loans.position.Position`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date as Date
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


def _advances_held(repayments, as_of: Date | None = None) -> list[tuple[Repayment, Decimal]]:
    spent = Q(allocations__kind=AllocationKind.ADVANCE, allocations__undone=False)
    if as_of is not None:
        spent &= Q(allocations__date__lte=as_of)
    used = Sum("allocations__amount", filter=spent, default=ZERO)
    held = (
        repayments.filter(advance__gt=0, reversed_at__isnull=True)
        .annotate(used=used)
        .order_by("value_date", "pk")
    )
    return [(r, r.advance - r.used) for r in held if r.advance > r.used]


def loan_status(loan: Loan) -> Position:
    return loan_statuses([loan])[loan.pk]


def loan_statuses(loans: Iterable[Loan], as_of: Date | None = None) -> dict[int, Position]:
    """The :class:`Position` of each loan, read in four queries however many loans there are
    (the current instalments, the charges, the allocations, the advances held).

    With ``as_of`` it is the position at the end of that day, for a statement of a past
    period (docs/loans.md, "Position and arrears"): the schedule version in force then, the
    charges dated by then, the allocations dated by then and the money paid ahead by then and
    not yet used by then (five queries). A repayment that was reversed later counts as never
    made: a reversal corrects an error."""
    ids = [loan.pk for loan in loans]
    rows: dict[int, list[Instalment]] = defaultdict(list)
    for row in _instalments(ids, as_of):
        rows[row.loan_pk].append(row)
    charges: dict[int, list[Charge]] = defaultdict(list)
    dated = {"date__lte": as_of} if as_of else {}
    for charge in Charge.objects.filter(loan_id__in=ids, cancelled=False, **dated).order_by(
        "date", "id"
    ):
        charges[charge.loan_id].append(charge)
    allocated: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: ZERO))
    parts = Allocation.objects.filter(loan_id__in=ids, undone=False, **dated).values_list(
        "loan_id", "component", "n", "charge_id", "amount"
    )
    for loan_id, component, n, charge_id, amount in parts:
        ref = charge_id if component == Component.FEE else n
        allocated[loan_id][(component, ref)] += amount
    held: dict[int, list] = defaultdict(list)
    repayments = Repayment.objects.filter(loan_id__in=ids)
    if as_of:
        repayments = repayments.filter(value_date__lte=as_of)
    for repayment, left in _advances_held(repayments, as_of):
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


def _instalments(ids: list[int], as_of: Date | None):
    """The instalments of each loan's schedule version in force (now, or at ``as_of``)."""
    instalments = Instalment.objects.filter(version__loan_id__in=ids)
    if as_of is None:
        instalments = instalments.filter(version__is_current=True)
    else:
        in_force = {}
        versions = ScheduleVersion.objects.filter(
            loan_id__in=ids, cancelled=False, effective_date__lte=as_of
        ).values_list("loan_id", "number", "pk")
        for loan_id, _number, pk in sorted(versions):
            in_force[loan_id] = pk  # the highest number wins
        instalments = instalments.filter(version_id__in=in_force.values())
    return instalments.annotate(loan_pk=F("version__loan_id")).order_by("version__loan_id", "n")
