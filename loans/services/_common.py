"""Helpers every use case of the loans side shares: amounts, messages, locks, audit."""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from djmoney.money import Money

from fund.models import Compartment, CompartmentKind, Fund
from fund.permissions import require_independent
from fund.services import is_fund_manager, not_after_today
from ledger.money import ZERO, format_amount, round_money, to_cents
from ledger.services import audit_record

from .. import exceptions as exc
from ..audit import LoanAction
from ..models import Loan
from ..schedule import DayCount, InterestMethod, Rounding, accrued_interest

CENT = Decimal("0.01")
OVERPAYMENT_CHOICES = ("shorten", "lower")


def _amount(value) -> Decimal:
    if isinstance(value, Money):
        if str(value.currency) != "EUR":
            raise exc.InvalidAmount(_("Alleen bedragen in euro."))
        value = value.amount
    try:
        return round_money(value)
    except (ValueError, InvalidOperation) as error:
        raise exc.InvalidAmount(
            _("Dit is geen bedrag in euro en centen: %(value)s.") % {"value": str(value)[:40]}
        ) from error


def _positive(value) -> Decimal:
    amount = _amount(value)
    if amount <= 0:
        raise exc.InvalidAmount(_("Het bedrag moet groter zijn dan nul."))
    return amount


def _cents(amount: Decimal) -> int:
    return to_cents(amount)


def _eur(amount: Decimal) -> str:
    """An amount for a message, in the active language (``€ 1.234,56``)."""
    return format_amount(amount)


def _day(day: Date) -> str:
    """A date for a message (``28-11-2026``)."""
    return date_format(day, "SHORT_DATE_FORMAT")


def _not_after_today(day: Date) -> None:
    not_after_today(day, exc.InvalidDate)


def _require_manager(user, fund: Fund) -> None:
    if not is_fund_manager(user, fund):
        raise exc.NotAllowed(_("Alleen een fondsbeheerder van %(fund)s mag dit.") % {"fund": fund})


def _require_independent(user, *, collective=None, investor=None) -> None:
    require_independent(user, exc.ConflictOfInterest, collective=collective, investor=investor)


def _keys(loan: Loan) -> dict:
    return {"contract": loan.number, "party": loan.collective.code}


def _lock_compartment(fund_id: int) -> Compartment:
    return (
        Compartment.objects.select_for_update(of=("self",))
        .select_related("fund__book")
        .get(fund_id=fund_id, kind=CompartmentKind.REVOLVING)
    )


def _lock_loan(loan: Loan | int) -> Loan:
    pk = loan.pk if isinstance(loan, Loan) else loan
    return (
        Loan.objects.select_for_update(of=("self",))
        .select_related("fund__book", "collective", "product", "application")
        .get(pk=pk)
    )


def _snapshot(loan: Loan) -> dict:
    return {
        "state": loan.state,
        "principal": str(loan.principal),
        "disbursed": str(loan.disbursed),
        "annual_rate": str(loan.annual_rate),
        "periods": loan.periods,
    }


def _audit(actor, action: LoanAction, loan: Loan, before: dict | None = None, **after) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=loan,
        book_id=loan.fund.book_id,
        before=before,
        after={**_snapshot(loan), **after},
    )


def _round(value: Fraction | Decimal, loan: Loan) -> Decimal:
    """An amount of ``loan`` to the cent, rounded as its contract says (half-up or half-even)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(CENT, rounding=Rounding(loan.rounding).decimal_mode)


def _day_count(loan: Loan) -> str:
    """The day count for broken periods, accruals and penalties: the loan's under daily
    interest; 30E/360 under period interest (a whole month is then exactly rate / 12)."""
    return loan.day_count if loan.interest == InterestMethod.DAILY else DayCount.THIRTY_E_360


def _interest(loan: Loan, balance: Decimal, start: Date, end: Date, rate=None) -> Decimal:
    if balance <= 0 or end <= start:
        return ZERO
    return accrued_interest(
        balance,
        loan.annual_rate if rate is None else rate,
        start,
        end,
        _day_count(loan),
        rounding=loan.rounding,
    )
