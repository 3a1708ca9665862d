"""Schedule versions: rebuilding the schedule from an effective date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date as Date
from decimal import Decimal

from django.utils.translation import gettext as _

from ledger import clock
from ledger.money import ZERO

from .. import exceptions as exc
from ..allocation import Component
from ..models import Instalment, Loan, ScheduleVersion
from ..schedule import LoanTerms, Method, build_schedule, due_dates
from ._common import _day, _interest
from .contracts import _terms
from .position import Position, current_version, loan_status


def _calendar(loan: Loan, periods: int | None = None) -> tuple[Date, ...]:
    return due_dates(loan.first_due, loan.frequency, periods or loan.periods, due_day=loan.due_day)


def _rebuild(
    loan: Loan,
    *,
    effective_date: Date,
    principal: Decimal,
    reason: str,
    created_by,
    state: Position | None = None,
    annual_rate: Decimal | None = None,
    shorten_to_instalment: Decimal | None = None,
    grace_principal: int | None = None,
    grace_full: int | None = None,
    extend: bool = False,
) -> ScheduleVersion:
    """Add a schedule version effective ``effective_date``. The caller holds the loan lock.

    Rows due on or before the date are carried; the rest of the calendar (``loan.periods``
    instalments from ``loan.first_due``) is rebuilt for ``principal``. With
    ``shorten_to_instalment`` the fewest instalments whose regular amount does not exceed it
    are taken (a prepayment that shortens the term). Grace left over from the contract applies
    to the rebuilt rows unless ``grace_*`` is given.
    """
    state = state or loan_status(loan)
    old = current_version(loan)
    carried = [r for r in state.rows if r.due_date <= effective_date]
    replaced = [r for r in state.rows if r.due_date > effective_date]
    _check_replaceable(state, replaced)
    if old is not None and effective_date < old.effective_date:
        raise exc.ScheduleConflict(
            _("Het aflosschema is per %(date)s al gewijzigd; een wijziging kan niet eerder ingaan.")
            % {"date": _day(old.effective_date)}
        )
    future = [d for d in _calendar(loan) if d > effective_date]
    if not future:
        raise exc.InvalidTerms(_("Na deze datum vervalt geen termijn meer."))
    passed = loan.periods - len(future)
    if grace_full is None:
        grace_full = max(0, loan.grace_full - passed)
    if grace_principal is None:
        grace_principal = max(0, loan.grace_principal - max(0, passed - loan.grace_full))
    rate = loan.annual_rate if annual_rate is None else annual_rate

    def terms_for(count: int, level: Decimal | None = None) -> LoanTerms:
        gf = min(grace_full, count - 1)
        gp = min(grace_principal, count - 1 - gf)
        return _terms(
            loan,
            level_payment=level,
            principal=principal,
            annual_rate=rate,
            periods=count,
            start=effective_date,
            first_due=future[0],
            grace_full=gf,
            grace_principal=gp,
            grace_interest=(loan.grace_interest or None) if gf else None,
            due_day=loan.due_day or _anchor(loan.first_due),
        )

    # Keep the current maturity (a shortened term stays short) unless the term is changed.
    count = len(future) if extend or not replaced else min(len(replaced), len(future))
    schedule = _new_schedule(loan, terms_for, count, shorten_to_instalment)
    new_rows = list(schedule.rows)
    previous_due = carried[-1].due_date if carried else (loan.start_date or effective_date)
    old_balance = replaced[0].opening_balance if replaced else ZERO
    first = new_rows[0]
    if old_balance > 0 and first.principal >= 0 and effective_date > previous_due:
        # Broken period: the old balance until the effective date, the new one after it.
        interest = _interest(loan, old_balance, previous_due, effective_date, rate) + _interest(
            loan, principal, effective_date, first.due_date, rate
        )
        new_rows[0] = first._replace(interest=interest, payment=first.principal + interest)
    if old is not None:
        ScheduleVersion.objects.filter(pk=old.pk).update(is_current=False)
    version = ScheduleVersion.objects.create(
        loan=loan,
        number=(old.number + 1) if old else 1,
        reason=reason,
        effective_date=effective_date,
        principal=principal,
        annual_rate=rate,
        instalment=schedule.instalment,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    state.reschedule(_save_rows(version, carried, new_rows))
    return version


def _check_replaceable(state: Position, replaced: list[Instalment]) -> None:
    """A row the new version replaces must not be posted due or paid yet."""
    for row in replaced:
        touched = state.allocated.get((Component.INTEREST, row.n)) or state.allocated.get(
            (Component.PRINCIPAL, row.n)
        )
        if row.interest_posted or touched:
            raise exc.ScheduleConflict(
                _(
                    "Termijn %(n)s (vervalt %(date)s) is al geboekt of betaald; het aflosschema "
                    "kan pas per %(date)s of later wijzigen."
                )
                % {"n": row.n, "date": _day(row.due_date)}
            )


def _new_schedule(loan: Loan, terms_for, count: int, shorten_to_instalment: Decimal | None):
    """The rebuilt schedule over ``count`` instalments; with ``shorten_to_instalment`` the
    fewest instalments whose regular amount does not exceed it (docs/loans.md, "Paying
    early")."""
    schedule = build_schedule(terms_for(count))
    if shorten_to_instalment is not None and loan.method == Method.ANNUITY:
        # The instalment stays exactly what it was; the term is as long as that takes.
        level = build_schedule(terms_for(count, shorten_to_instalment))
        schedule = level
        for i, row in enumerate(level.rows):
            if row.balance == 0:
                if i + 1 < count:
                    schedule = build_schedule(terms_for(i + 1, shorten_to_instalment))
                break
    elif shorten_to_instalment is not None:
        for candidate in range(1, count):
            trial = build_schedule(terms_for(candidate))
            if trial.instalment <= shorten_to_instalment:
                schedule = trial
                break
    return schedule


def _save_rows(version: ScheduleVersion, carried: list[Instalment], new_rows) -> list[Instalment]:
    """The version's instalments: the rows already due carried over, then the new ones
    (numbered on, posted under the version's own key)."""
    k = len(carried) + 1
    fresh = [
        Instalment(
            version=version,
            n=k + i,
            due_date=r.due_date,
            days=r.days,
            opening_balance=r.opening_balance,
            principal=r.principal,
            interest=r.interest,
            payment=r.payment,
            balance=r.balance,
            key_version=version.number,
        )
        for i, r in enumerate(new_rows)
    ]
    rows = _carry_rows(version, carried) + fresh
    Instalment.objects.bulk_create(rows)
    return rows


def _carry_rows(version: ScheduleVersion, rows: Iterable[Instalment]) -> list[Instalment]:
    """Copies of rows already due into a new version, keeping their posting keys."""
    return [
        Instalment(
            version=version,
            n=r.n,
            due_date=r.due_date,
            days=r.days,
            opening_balance=r.opening_balance,
            principal=r.principal,
            interest=r.interest,
            payment=r.payment,
            balance=r.balance,
            key_version=r.key_version,
            interest_posted=r.interest_posted,
        )
        for r in rows
    ]


def _anchor(day: Date) -> int:
    return 31 if clock.is_month_end(day) else day.day
