"""Interest falling due, advances meeting their instalment, accruals and penalty interest."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date as Date
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from ledger import chart
from ledger.money import ZERO
from ledger.services import Cr, Dr, EntrySpec, entries_post_bulk, entry_post, entry_reverse

from ..allocation import Component, Part, allocate, parse_order
from ..models import (
    Accrual,
    Allocation,
    AllocationKind,
    Charge,
    ChargeKind,
    Instalment,
    Loan,
    Repayment,
)
from ..schedule import year_fraction
from ._common import _cents, _day_count, _interest, _keys, _round
from .position import Position, loan_status


def _due_key(loan: Loan, row: Instalment) -> str:
    return f"due:{loan.number}:{row.key_version}:{row.n}"


def _due_specs(loan: Loan, rows: Iterable[Instalment]) -> list[EntrySpec]:
    """The entries that post the interest of ``rows`` due, as run_day posts them."""
    specs = []
    keys = _keys(loan)
    for row in rows:
        if row.interest > 0:
            cents = _cents(row.interest)
            specs.append(
                EntrySpec(
                    date=row.due_date,
                    description=f"Rente vervallen lening {loan.number} termijn {row.n}",
                    lines=[
                        Dr(chart.INTEREST_RECEIVABLE, cents, **keys),
                        Cr(chart.INTEREST_INCOME, cents, **keys),
                    ],
                    source_type="loans.interest_due",
                    source_ref=loan.number,
                    idempotency_key=_due_key(loan, row),
                )
            )
        if row.principal < 0:  # full grace, interest capitalised
            cents = _cents(-row.principal)
            specs.append(
                EntrySpec(
                    date=row.due_date,
                    description=f"Rente bijgeschreven op hoofdsom {loan.number} termijn {row.n}",
                    lines=[
                        Dr(chart.LOANS_PRINCIPAL, cents, **keys),
                        Cr(chart.INTEREST_RECEIVABLE, cents, **keys),
                    ],
                    source_type="loans.capitalisation",
                    source_ref=loan.number,
                    idempotency_key=f"cap:{loan.number}:{row.key_version}:{row.n}",
                )
            )
    return specs


def _post_due(
    loan: Loan,
    rows: list[Instalment],
    run_by=None,
    *,
    post: bool = True,
    state: Position | None = None,
) -> int:
    """Post the interest of ``rows`` due (same keys and content as run_day), reverse the
    loan's open accruals, flag the rows and meet them with money held ahead. Joins the
    caller's transaction (loan locked). With ``state`` (the position ``rows`` come from) what
    is booked is written into it, so the caller need not read the position again."""
    rows = [r for r in rows if not r.interest_posted]
    if not rows:
        return 0
    specs = _due_specs(loan, rows) if post else []
    if specs:
        entries_post_bulk(book=loan.fund.book, entries=specs, created_by=run_by)
    _capitalise(loan, [r for r in rows if r.principal < 0], state)
    Instalment.objects.filter(
        version__loan=loan, n__in=[r.n for r in rows], key_version__in={r.key_version for r in rows}
    ).update(interest_posted=True)
    for r in rows:
        r.interest_posted = True
    day = max(r.due_date for r in rows)
    _reverse_accruals(loan, day, run_by)
    _apply_advances(loan, day, run_by, state=state)
    return len(rows)


def _capitalise(loan: Loan, rows: list[Instalment], state: Position | None) -> None:
    """Rows in full grace add their interest to the principal: allocations that settle the
    interest and make the (negative) principal of the row (docs/loans.md, "Grace")."""
    parts = [
        part
        for r in rows
        for part in (
            Part(Component.INTEREST, r.n, r.interest),
            Part(Component.PRINCIPAL, r.n, r.principal),
        )
    ]
    days = {r.n: r.due_date for r in rows}
    Allocation.objects.bulk_create(
        Allocation(
            loan=loan,
            kind=AllocationKind.CAPITALISED,
            component=part.component,
            n=part.ref,
            amount=part.amount,
            date=days[part.ref],
        )
        for part in parts
    )
    if state is not None:
        state.take(parts)


def _apply_advances(loan: Loan, day: Date, by=None, *, state: Position | None = None) -> bool:
    """Allocate money paid ahead (held on 2100) to what is due on ``day``: Dr 2100 / Cr 1220,
    1210, 1200 by the product's order, one entry per repayment and day, keyed
    ``advance:<loan>:<repayment>:<day>``. Joins the caller's transaction (loan locked). With
    ``state`` the position is not read again and what is allocated is written into it."""
    if state is None:
        state = loan_status(loan)
    held = list(state.held)
    if not held:
        return False
    order = parse_order(loan.product.allocation_order)
    mode = loan.product.allocation_mode
    keys = _keys(loan)
    applied = False
    for repayment, left in held:
        items = state.items(day)
        if not items:
            break
        result = allocate(left, items, order=order, mode=mode)
        used = left - result.prepayment
        if used <= 0:
            continue
        lines = [Dr(chart.ADVANCES, _cents(used), **keys)]
        for code, component in (
            (chart.FEES_RECEIVABLE, Component.FEE),
            (chart.INTEREST_RECEIVABLE, Component.INTEREST),
            (chart.LOANS_PRINCIPAL, Component.PRINCIPAL),
        ):
            part = result.total(component)
            if part > 0:
                lines.append(Cr(code, _cents(part), **keys))
        entry_post(
            book=loan.fund.book,
            date=day,
            description=f"Vooruitbetaling toegewezen lening {loan.number}",
            lines=lines,
            source_type="loans.advance",
            source_ref=loan.number,
            created_by=by if getattr(by, "pk", None) else None,
            idempotency_key=f"advance:{loan.number}:{repayment.pk}:{day.isoformat()}",
        )
        _allocate_parts(loan, result, AllocationKind.ADVANCE, day, repayment)
        state.take(result.parts, advance_of=repayment)
        applied = True
    return applied


def _allocate_parts(loan: Loan, result, kind: str, day: Date, repayment: Repayment) -> None:
    """The allocations of ``result`` (an :func:`allocate` result) made by ``repayment``."""
    Allocation.objects.bulk_create(
        Allocation(
            loan=loan,
            kind=kind,
            component=part.component,
            n=None if part.component == Component.FEE else part.ref,
            charge_id=part.ref if part.component == Component.FEE else None,
            amount=part.amount,
            date=day,
            repayment=repayment,
        )
        for part in result.parts
    )


def _reverse_accruals(loan: Loan, date: Date, run_by=None) -> None:
    for accrual in Accrual.objects.filter(loan=loan, reversal_entry__isnull=True, date__lte=date):
        reversal = entry_reverse(
            entry=accrual.entry,
            created_by=run_by,
            date=max(date, accrual.date),
            description=f"Terugboeking opgelopen rente {loan.number} per {accrual.date:%d-%m-%Y}",
            idempotency_key=f"accrual-rev:{loan.number}:{accrual.date.isoformat()}",
        )
        accrual.reversal_entry = reversal
        accrual.save(update_fields=["reversal_entry"])


def _accrue(loan: Loan, state: Position, day: Date, run_by=None) -> bool:
    """Month end: accrue the interest earned but not yet due (Dr 1230 / Cr 4000).

    The accrued amount is the next instalment's interest times the elapsed part of its period
    (under the loan's day count); only the increase over what is accrued already is posted.
    """
    upcoming = [r for r in state.rows if r.due_date > day and not r.interest_posted]
    if not upcoming or loan.start_date is None or loan.start_date >= day:
        return False
    row = upcoming[0]
    earlier = [r for r in state.rows if r.due_date <= day]
    start = max(earlier[-1].due_date if earlier else loan.start_date, loan.start_date)
    whole = year_fraction(start, row.due_date, _day_count(loan))
    if whole <= 0 or row.interest <= 0:
        return False
    target = _round(
        Fraction(row.interest) * year_fraction(start, day, _day_count(loan)) / whole, loan
    )
    open_accruals = list(Accrual.objects.filter(loan=loan, reversal_entry__isnull=True))
    booked = sum((a.amount for a in open_accruals), ZERO)
    if target < booked:
        _reverse_accruals(loan, day, run_by)
        booked = ZERO
    increase = target - booked
    if increase <= 0 or Accrual.objects.filter(loan=loan, date=day).exists():
        return False
    cents = _cents(increase)
    entry = entry_post(
        book=loan.fund.book,
        date=day,
        description=f"Opgelopen rente lening {loan.number} per {day:%d-%m-%Y}",
        lines=[
            Dr(chart.INTEREST_ACCRUED, cents, **_keys(loan)),
            Cr(chart.INTEREST_INCOME, cents, **_keys(loan)),
        ],
        source_type="loans.accrual",
        source_ref=loan.number,
        created_by=run_by,
        idempotency_key=f"accrual:{loan.number}:{day.isoformat()}",
    )
    Accrual.objects.create(loan=loan, date=day, n=row.n, amount=increase, entry=entry)
    return True


def _charge(loan: Loan, kind: str, day: Date, amount: Decimal, key: str, by=None) -> Charge:
    """Charge a fee or premium: Dr 1220 / Cr 4100."""
    cents = _cents(amount)
    label = "Boeterente" if kind == ChargeKind.PENALTY else "Succespremie"
    entry = entry_post(
        book=loan.fund.book,
        date=day,
        description=f"{label} lening {loan.number}",
        lines=[
            Dr(chart.FEES_RECEIVABLE, cents, **_keys(loan)),
            Cr(chart.FEE_INCOME, cents, **_keys(loan)),
        ],
        source_type=f"loans.{kind}",
        source_ref=loan.number,
        created_by=by,
        idempotency_key=key,
    )
    return Charge.objects.create(loan=loan, kind=kind, date=day, amount=amount, entry=entry)


def _penalty(loan: Loan, state: Position, day: Date, run_by=None) -> bool:
    """Month end: penalty interest on the arrears open at the month end, for the days in this
    month that each instalment was overdue (Dr 1220 / Cr 4100)."""
    if loan.penalty_rate <= 0:
        return False
    month_start = day.replace(day=1) - timedelta(days=1)
    total = ZERO
    for row in state.rows:
        if row.due_date >= day:
            break
        overdue = state.open_interest(row) + state.open_principal(row)
        if overdue > 0:
            total += _interest(
                loan, overdue, max(row.due_date, month_start), day, rate=loan.penalty_rate
            )
    key = f"penalty:{loan.number}:{day.isoformat()}"
    if total <= 0 or Charge.objects.filter(loan=loan, entry__idempotency_key=key).exists():
        return False
    charge = _charge(loan, ChargeKind.PENALTY, day, total, key, run_by)
    state.add_charge(charge)
    return True


def _set_arrears(loan: Loan, state: Position, day: Date, *, save: bool = True) -> int:
    """Days past due and bucket of ``loan`` as of ``day``, on the instance and (with
    ``save``) in the database; the day-end saves a batch's loans in one statement."""
    standing = state.standing(day)
    days = standing.days_past_due
    loan.days_past_due = days
    loan.arrears_bucket = standing.bucket
    loan.status_date = day
    if save:
        Loan.objects.filter(pk=loan.pk).update(
            days_past_due=days, arrears_bucket=loan.arrears_bucket, status_date=day
        )
    return days
