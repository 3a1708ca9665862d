"""Loan products and contracting a loan."""

from __future__ import annotations

from datetime import date as Date

from django.db import transaction
from django.utils.translation import gettext as _
from djmoney.money import Money

from fund.models import Application, ApplicationKind, ApplicationState, Fund
from fund.services import application_commitment_use, number_next
from ledger.services import audit_record

from .. import exceptions as exc
from ..allocation import AllocationError, parse_order
from ..audit import LoanAction
from ..models import Loan, LoanProduct, LoanState
from ..schedule import Frequency, LoanTerms, ScheduleError, build_schedule, due_dates
from ._common import (
    _audit,
    _lock_compartment,
    _not_after_today,
    _positive,
    _require_independent,
    _require_manager,
)


@transaction.atomic(durable=True)
def loan_product_create(*, fund: Fund, code: str, name: str, created_by, **fields) -> LoanProduct:
    """A loan product of a fund: its default terms and limits."""
    _require_manager(created_by, fund)
    product = LoanProduct(fund=fund, code=code, name=name, **fields)
    product.full_clean()
    try:
        parse_order(product.allocation_order)
    except AllocationError as error:
        raise exc.InvalidTerms(str(error)) from error
    product.save()
    audit_record(
        actor=created_by,
        action=LoanAction.PRODUCT_CREATE,
        obj=product,
        book_id=fund.book_id,
        after={"code": code, "name": name, "annual_rate": str(product.annual_rate)},
    )
    return product


TERM_FIELDS = (
    "method",
    "frequency",
    "interest",
    "day_count",
    "grace_principal",
    "grace_full",
    "grace_interest",
    "decimals",
    "rounding",
    "instalment_multiple",
)


def _terms(loan: Loan, **overrides) -> LoanTerms:
    values = {name: getattr(loan, name) for name in TERM_FIELDS}
    values["grace_interest"] = values["grace_interest"] or None
    values.update(annual_rate=loan.annual_rate, due_day=loan.due_day)
    values.update(overrides)
    try:
        return LoanTerms(**values)
    except ScheduleError as error:
        raise exc.InvalidTerms(str(error)) from error


@transaction.atomic(durable=True)
def loan_contract(
    *,
    application: Application,
    product: LoanProduct,
    contracted_by,
    date: Date,
    first_due: Date | None = None,
    principal=None,
    periods: int | None = None,
    **term_overrides,
) -> Loan:
    """Contract the loan of an approved loan application, number ``L-<year>-<nnnn>``.

    Terms default to the product's; the principal to the approved amount, the number of
    instalments to the application's term. Refused outside the product's limits. A principal
    below the approval releases the rest of the reservation. Nothing is posted yet.
    """
    _require_manager(contracted_by, application.fund)
    _require_independent(contracted_by, collective=application.collective)
    _not_after_today(date)
    _lock_compartment(application.fund_id)
    application = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    if application.kind != ApplicationKind.LOAN:
        raise exc.InvalidTransition(_("Dit is geen leningaanvraag."))
    if application.state != ApplicationState.APPROVED:
        raise exc.InvalidTransition(_("Alleen een goedgekeurde aanvraag wordt een lening."))
    if Loan.objects.filter(application=application).exists():
        raise exc.InvalidTransition(_("Voor deze aanvraag is al een lening gecontracteerd."))
    if product.fund_id != application.fund_id or not product.is_active:
        raise exc.InvalidTerms(_("Dit product hoort niet bij dit fonds of is niet actief."))
    approved = application.approved_amount.amount
    amount = _positive(principal if principal is not None else approved)
    if amount > approved:
        raise exc.InvalidAmount(_("De hoofdsom is hoger dan het toegekende bedrag."))
    if amount > product.max_amount:
        raise exc.InvalidTerms(_("De hoofdsom is hoger dan het maximum van het product."))
    if amount > application.commitment_open.amount:
        raise exc.InvalidAmount(_("Er is minder gereserveerd dan de hoofdsom."))
    frequency = Frequency(term_overrides.get("frequency", product.frequency))
    if periods is None:
        periods = max(1, (application.term_months or 0) // frequency.months)
    if periods * frequency.months > product.max_term_months:
        raise exc.InvalidTerms(_("De looptijd is langer dan het maximum van het product."))
    terms = {name: getattr(product, name) for name in TERM_FIELDS}
    unknown = set(term_overrides) - set(TERM_FIELDS) - {"annual_rate", "due_day"}
    if unknown:
        raise exc.InvalidTerms(f"unknown terms {sorted(unknown)}")
    terms.update(term_overrides)
    first_due = first_due or _add_period(date, frequency)
    year = date.year
    loan = Loan(
        number=number_next(prefix="L", year=year),
        fund=application.fund,
        collective=application.collective,
        application=application,
        product=product,
        state=LoanState.CONTRACTED,
        principal=amount,
        annual_rate=term_overrides.get("annual_rate", product.annual_rate),
        periods=periods,
        due_day=term_overrides.get("due_day"),
        first_due=first_due,
        success_premium_pct=product.success_premium_pct,
        penalty_rate=product.penalty_rate,
        contracted_on=date,
        contracted_by=contracted_by,
        **{k: v for k, v in terms.items() if k not in ("annual_rate", "due_day")},
    )
    # Validate every convention once with the engine before anything is written.
    try:
        build_schedule(
            _terms(loan, principal=amount, periods=periods, start=date, first_due=first_due)
        )
    except (ScheduleError, OverflowError) as error:
        raise exc.InvalidTerms(
            _("Met deze datums en voorwaarden is geen aflosschema te maken: %(e)s") % {"e": error}
        ) from error
    loan.full_clean()
    loan.save()
    release = application.commitment_open.amount - amount
    if release > 0:
        application_commitment_use(
            application=application,
            amount=Money(release, "EUR"),
            used_by=contracted_by,
            reason=f"lening {loan.number} lager dan toegekend",
        )
    _audit(contracted_by, LoanAction.CONTRACT, loan, before={}, first_due=first_due.isoformat())
    return loan


def _add_period(day: Date, frequency: Frequency) -> Date:
    return due_dates(day, frequency, 2)[1]
