"""Tranches: proposed with four eyes, paid out when approved."""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from djmoney.money import Money

from fund.models import Application
from fund.selectors import compartment_position
from fund.services import application_commitment_use, once_replay, require_no_pending_identity
from ledger import chart
from ledger.services import Cr, Dr, entry_post

from .. import exceptions as exc
from ..audit import LoanAction
from ..models import (
    ChangeKind,
    ChangeState,
    Disbursement,
    Loan,
    LoanChange,
    LoanState,
    VersionReason,
)
from ._common import (
    _audit,
    _cents,
    _day,
    _eur,
    _keys,
    _lock_compartment,
    _lock_loan,
    _not_after_today,
    _positive,
    _require_independent,
    _require_manager,
    _snapshot,
)
from .position import loan_status
from .versions import _rebuild


@transaction.atomic(durable=True)
def tranche_propose(
    *,
    loan: Loan,
    amount,
    date: Date,
    proposed_by,
    milestone: str = "",
    invoice_reference: str = "",
    reason: str = "",
    idempotency_key: str | None = None,
) -> LoanChange:
    """First pair of eyes on a tranche: money leaves the fund only when a second manager
    approves (:func:`loan_change_decide`, which books it as of ``date``).

    Checked now so the proposer hears it at once, and again when it is approved: the loan is
    being paid out, the amount is positive and not more than is left to pay out, and ``date``
    is neither in the future nor before the contract or the previous tranche.
    """
    _require_manager(proposed_by, loan.fund)
    _require_independent(proposed_by, collective=loan.collective)
    _not_after_today(date)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    money = _positive(amount)
    earlier = once_replay(
        LoanChange.objects.filter(loan__fund=loan.fund),
        idempotency_key,
        exc.InvalidTransition,
        lookup="once_key",
        loan_id=loan.pk,
        kind=ChangeKind.DISBURSEMENT,
        effective_date=date,
    )
    if earlier is not None:
        return earlier
    _check_tranche(loan, money, date)
    if LoanChange.objects.filter(loan=loan, state=ChangeState.PROPOSED).exists():
        raise exc.InvalidTransition(_("Er ligt al een voorstel voor deze lening."))
    params = {
        "amount": str(money),
        "milestone": milestone.strip(),
        "invoice_reference": invoice_reference.strip(),
    }
    change = LoanChange.objects.create(
        loan=loan,
        kind=ChangeKind.DISBURSEMENT,
        once_key=idempotency_key or None,
        effective_date=date,
        params=params,
        reason=reason.strip() or milestone.strip() or _("Uitbetaling tranche"),
        proposed_by=proposed_by,
    )
    _audit(proposed_by, LoanAction.DISBURSEMENT_PROPOSE, loan, change=change.pk, params=params)
    return change


def _check_tranche(loan: Loan, money: Decimal, date: Date) -> None:
    if loan.state not in (LoanState.CONTRACTED, LoanState.DISBURSING):
        raise exc.InvalidTransition(_("Deze lening wordt niet (meer) uitbetaald."))
    if money > loan.undisbursed:
        raise exc.InvalidAmount(
            _("Meer dan nog uit te betalen (%(left)s).") % {"left": _eur(loan.undisbursed)}
        )
    if date < loan.contracted_on or (loan.start_date and date < loan.start_date):
        raise exc.InvalidTransition(
            _("Een tranche kan niet vóór het contract of de vorige tranche (%(day)s) vallen.")
            % {"day": _day(loan.start_date or loan.contracted_on)}
        )


def _disburse(
    *,
    loan: Loan,
    amount: Decimal,
    date: Date,
    disbursed_by,
    milestone: str = "",
    invoice_reference: str = "",
) -> Disbursement:
    """Pay out an approved tranche: Dr 1200 / Cr 1000, and rebuild the schedule for the
    disbursed principal. Only :func:`loan_change_decide` calls it, in its transaction.

    Locks the revolving compartment, then the application, then the loan, and only then checks
    the pool: the tranche first uses its own application's reservation; what it needs beyond
    that must be free in the pool, and the cash in 1000 must carry the whole tranche.
    """
    _not_after_today(date)
    compartment = _lock_compartment(loan.fund_id)
    application = Application.objects.select_for_update(of=("self",)).get(pk=loan.application_id)
    loan = _lock_loan(loan)
    money = _positive(amount)
    _check_tranche(loan, money, date)
    require_no_pending_identity(loan.collective, exc.InvalidTransition)
    position = compartment_position(compartment)
    own = min(money, application.commitment_open.amount)
    if money > position.cash or money - own > position.available:
        raise exc.InsufficientPool(
            _("De pool kan %(amount)s niet dragen (kas %(cash)s, vrij %(free)s).")
            % {
                "amount": _eur(money),
                "cash": _eur(position.cash),
                "free": _eur(position.available + own),
            }
        )
    if own > 0:
        application_commitment_use(
            application=application,
            amount=Money(own, "EUR"),
            used_by=disbursed_by,
            reason=f"tranche lening {loan.number}",
        )
    before = _snapshot(loan)
    state = loan_status(loan)
    scheduled = state.scheduled_balance(date)
    loan.disbursed += money
    loan.start_date = loan.start_date or date
    loan.state = LoanState.ACTIVE if loan.disbursed == loan.principal else LoanState.DISBURSING
    loan.save(update_fields=["disbursed", "start_date", "state"])
    version = _rebuild(
        loan,
        effective_date=date,
        principal=scheduled + money,
        reason=VersionReason.TRANCHE,
        created_by=disbursed_by,
        state=state,
    )
    cents = _cents(money)
    entry = entry_post(
        book=loan.fund.book,
        date=date,
        description=f"Uitbetaling tranche lening {loan.number} {loan.collective.name}",
        lines=[Dr(chart.LOANS_PRINCIPAL, cents, **_keys(loan)), Cr(chart.BANK_REVOLVING, cents)],
        source_type="loans.disbursement",
        source_ref=loan.number,
        created_by=disbursed_by,
    )
    disbursement = Disbursement.objects.create(
        loan=loan,
        amount=money,
        date=date,
        milestone=milestone,
        invoice_reference=invoice_reference,
        entry=entry,
        version=version,
        created_by=disbursed_by,
    )
    _audit(
        disbursed_by,
        LoanAction.DISBURSE,
        loan,
        before,
        amount=str(money),
        entry=entry.pk,
        version=version.number,
    )
    return disbursement
