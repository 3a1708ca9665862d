"""Four-eyes changes of a loan: restructuring, write-off, conversion to grant."""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from ledger import chart, clock
from ledger.money import ZERO
from ledger.services import Cr, Dr, entry_post

from .. import exceptions as exc
from ..allocation import Component, Part
from ..audit import LoanAction
from ..models import (
    SERVICED_STATES,
    Allocation,
    AllocationKind,
    ArrearsBucket,
    ChangeKind,
    ChangeState,
    Loan,
    LoanChange,
    LoanState,
    VersionReason,
)
from ._common import (
    _audit,
    _cents,
    _eur,
    _keys,
    _lock_compartment,
    _lock_loan,
    _positive,
    _require_independent,
    _require_manager,
    _snapshot,
)
from .disbursements import _disburse
from .due import _post_due, _reverse_accruals
from .position import loan_status
from .versions import _calendar, _rebuild


def _json_params(params: dict) -> dict:
    out = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = str(value) if isinstance(value, Decimal) else value
    return out


@transaction.atomic(durable=True)
def loan_change_propose(
    *,
    loan: Loan,
    kind: str,
    effective_date: Date,
    proposed_by,
    reason: str,
    annual_rate=None,
    periods: int | None = None,
    grace_principal: int | None = None,
    capitalise_arrears: bool = False,
    amount=None,
    include_interest: bool = True,
) -> LoanChange:
    """First pair of eyes: propose a restructuring (``annual_rate``, ``periods`` = instalments
    from the effective date on, ``grace_principal``, ``capitalise_arrears``), a write-off
    (``amount`` of principal not yet due, or everything when ``amount`` is None;
    ``include_interest`` writes off the unpaid interest too), or a conversion to a grant."""
    _require_manager(proposed_by, loan.fund)
    _require_independent(proposed_by, collective=loan.collective)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    if loan.state not in SERVICED_STATES:
        raise exc.InvalidTransition(_("Deze lening loopt niet."))
    if kind not in (ChangeKind.RESTRUCTURE, ChangeKind.WRITE_OFF, ChangeKind.CONVERSION):
        raise exc.InvalidTransition(
            f"not a change to propose here: {kind!r} (a tranche: tranche_propose)"
        )
    if not reason.strip():
        raise exc.InvalidTransition(_("Motiveer het voorstel."))
    if LoanChange.objects.filter(loan=loan, state=ChangeState.PROPOSED).exists():
        raise exc.InvalidTransition(_("Er ligt al een voorstel voor deze lening."))
    params: dict = {}
    if kind == ChangeKind.RESTRUCTURE:
        params = _json_params(
            {
                "annual_rate": _rate(annual_rate) if annual_rate is not None else None,
                "periods": periods,
                "grace_principal": grace_principal,
                "capitalise_arrears": bool(capitalise_arrears),
            }
        )
    elif kind == ChangeKind.WRITE_OFF:
        params = _json_params(
            {
                "amount": _positive(amount) if amount is not None else None,
                "include_interest": include_interest,
            }
        )
        if amount is not None:
            ahead = loan_status(loan).scheduled_balance(effective_date)
            if Decimal(params["amount"]) >= ahead:
                raise exc.InvalidAmount(
                    _(
                        "Een gedeeltelijke afschrijving moet kleiner zijn dan de nog niet "
                        "vervallen hoofdsom (%(ahead)s); schrijf anders alles af."
                    )
                    % {"ahead": _eur(ahead)}
                )
    change = LoanChange.objects.create(
        loan=loan,
        kind=kind,
        effective_date=effective_date,
        params=params,
        reason=reason,
        proposed_by=proposed_by,
    )
    _audit(
        proposed_by, LoanAction.of_change(kind, "propose"), loan, change=change.pk, params=params
    )
    return change


def _rate(value) -> Decimal:
    try:
        rate = Decimal(str(value))
    except InvalidOperation as error:
        raise exc.InvalidTerms(f"not a rate: {value!r}") from error
    if rate < 0 or rate > 100:
        raise exc.InvalidTerms(_("Rente tussen 0 en 100 procent."))
    return rate


@transaction.atomic(durable=True)
def loan_change_decide(*, change: LoanChange, decided_by, approve: bool, reason: str) -> LoanChange:
    """Second pair of eyes: a different manager of the fund approves (which executes the change
    in this transaction) or rejects it."""
    loan = change.loan
    _require_manager(decided_by, loan.fund)
    _require_independent(decided_by, collective=loan.collective)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    change = LoanChange.objects.select_for_update(of=("self",)).get(pk=change.pk)
    if change.state != ChangeState.PROPOSED:
        outcome = ChangeState.EXECUTED if approve else ChangeState.REJECTED
        if change.state == outcome and change.decided_by_id == decided_by.pk:
            change.once_replayed = True  # the same decision sent twice: the first result
            return change
        raise exc.InvalidTransition(_("Over dit voorstel is al besloten."))
    if change.proposed_by_id == decided_by.pk:
        raise exc.FourEyesViolation(
            _("Vier ogen: wie het voorstel deed, mag het niet zelf goedkeuren.")
        )
    if not reason.strip():
        raise exc.InvalidTransition(_("Motiveer het besluit."))
    before = _snapshot(loan)
    change.decided_by = decided_by
    change.decided_at = clock.now()
    change.decision_reason = reason
    if approve and change.kind == ChangeKind.DISBURSEMENT:
        params = change.params
        disbursement = _disburse(
            loan=loan,
            amount=Decimal(params["amount"]),
            date=change.effective_date,
            disbursed_by=decided_by,
            milestone=params.get("milestone", ""),
            invoice_reference=params.get("invoice_reference", ""),
        )
        change.entry = disbursement.entry
        change.version = disbursement.version
        change.state = ChangeState.EXECUTED
    elif approve:
        if loan.state not in SERVICED_STATES:
            raise exc.InvalidTransition(_("Deze lening loopt niet meer."))
        if change.kind == ChangeKind.RESTRUCTURE:
            _execute_restructure(loan, change, decided_by)
        else:
            _execute_write_off(loan, change, decided_by)
        change.state = ChangeState.EXECUTED
    else:
        change.state = ChangeState.REJECTED
    change.save()
    _audit(
        decided_by,
        LoanAction.of_change(change.kind, "approve" if approve else "reject"),
        loan,
        before,
        change=change.pk,
        entry=change.entry_id,
        version=change.version.number if change.version_id else None,
    )
    return change


@transaction.atomic(durable=True)
def loan_change_withdraw(*, change: LoanChange, withdrawn_by, reason: str) -> LoanChange:
    """The proposer takes back a proposal nobody has decided on yet; nothing is booked."""
    loan = change.loan
    _require_manager(withdrawn_by, loan.fund)
    loan = _lock_loan(loan)
    change = LoanChange.objects.select_for_update(of=("self",)).get(pk=change.pk)
    if change.state == ChangeState.WITHDRAWN and change.proposed_by_id == withdrawn_by.pk:
        change.once_replayed = True  # sent twice: the first result
        return change
    if change.state != ChangeState.PROPOSED:
        raise exc.InvalidTransition(_("Over dit voorstel is al besloten."))
    if change.proposed_by_id != withdrawn_by.pk:
        raise exc.InvalidTransition(
            _("Alleen wie het voorstel deed, kan het intrekken; u kunt het afwijzen.")
        )
    if not reason.strip():
        raise exc.InvalidTransition(_("Geef een reden."))
    change.state = ChangeState.WITHDRAWN  # by its proposer: decided_by stays empty
    change.decided_at = clock.now()
    change.decision_reason = reason
    change.save(update_fields=["state", "decided_at", "decision_reason"])
    _audit(withdrawn_by, LoanAction.CHANGE_WITHDRAW, loan, None, change=change.pk, kind=change.kind)
    return change


def _execute_restructure(loan: Loan, change: LoanChange, by) -> None:
    day = change.effective_date
    params = change.params
    state = loan_status(loan)
    _post_due(loan, [r for r in state.rows if r.due_date <= day], by, state=state)
    ahead = state.scheduled_balance(day)
    capitalised = ZERO
    if params.get("capitalise_arrears"):
        arrears = [r for r in state.rows if r.due_date <= day]
        cap_interest = sum((state.open_interest(r) for r in arrears), ZERO)
        cap_principal = sum((state.open_principal(r) for r in arrears), ZERO)
        capitalised = cap_interest + cap_principal
        if cap_interest > 0:
            change.entry = entry_post(
                book=loan.fund.book,
                date=day,
                description=f"Achterstallige rente bijgeschreven op hoofdsom {loan.number}",
                lines=[
                    Dr(chart.LOANS_PRINCIPAL, _cents(cap_interest), **_keys(loan)),
                    Cr(chart.INTEREST_RECEIVABLE, _cents(cap_interest), **_keys(loan)),
                ],
                source_type="loans.restructure",
                source_id=str(change.pk),
                source_ref=loan.number,
                created_by=by,
            )
        parts = [
            Part(component, r.n, open_)
            for r in arrears
            for component, open_ in (
                (Component.INTEREST, state.open_interest(r)),
                (Component.PRINCIPAL, state.open_principal(r)),
            )
            if open_ > 0
        ]
        Allocation.objects.bulk_create(
            Allocation(
                loan=loan,
                kind=AllocationKind.CAPITALISED,
                component=part.component,
                n=part.ref,
                amount=part.amount,
                date=day,
                change=change,
            )
            for part in parts
        )
        state.take(parts)
    principal = ahead + capitalised
    if principal <= 0:
        raise exc.InvalidTerms(_("Er staat geen hoofdsom meer open om te herstructureren."))
    rate = Decimal(params["annual_rate"]) if "annual_rate" in params else None
    if "periods" in params:
        passed = len([d for d in _calendar(loan) if d <= day])
        loan.periods = passed + int(params["periods"])
    if rate is not None:
        loan.annual_rate = rate
    loan.save(update_fields=["periods", "annual_rate"])
    change.version = _rebuild(
        loan,
        effective_date=day,
        principal=principal,
        reason=VersionReason.RESTRUCTURE,
        created_by=by,
        state=state,
        annual_rate=rate,
        grace_principal=params.get("grace_principal"),
        grace_full=0 if "grace_principal" in params else None,
        extend="periods" in params,
    )


def _execute_write_off(loan: Loan, change: LoanChange, by) -> None:
    """Partial: ``amount`` of the principal not yet due (the instalments get lower) and, with
    ``include_interest``, the unpaid interest. Full (no amount) or conversion: everything open.
    Dr 5100 / Cr 1200, 1210 (and 1220 for fees when the loan is closed)."""
    day = change.effective_date
    state = loan_status(loan)
    _post_due(loan, [r for r in state.rows if r.due_date <= day], by, state=state)
    full = change.kind == ChangeKind.CONVERSION or "amount" not in change.params
    include_interest = full or change.params.get("include_interest", True)
    due = [r for r in state.rows if r.due_date <= day]
    allocations = []
    interest = ZERO
    principal = ZERO
    fees = ZERO
    if include_interest:
        for r in due:
            open_ = state.open_interest(r)
            if open_ > 0:
                interest += open_
                allocations.append((Component.INTEREST, r.n, None, open_))
    if full:
        for r in state.rows:
            open_ = state.open_principal(r)
            if open_ > 0:
                principal += open_
                allocations.append((Component.PRINCIPAL, r.n, None, open_))
        for c in state.charges:
            open_ = state.open_fee(c)
            if open_ > 0:
                fees += open_
                allocations.append((Component.FEE, None, c.pk, open_))
    else:
        principal = Decimal(change.params["amount"])
        ahead = state.scheduled_balance(day)
        if principal >= ahead:
            raise exc.InvalidAmount(
                _(
                    "Een gedeeltelijke afschrijving moet kleiner zijn dan de nog niet vervallen "
                    "hoofdsom (%(ahead)s); schrijf anders alles af."
                )
                % {"ahead": _eur(ahead)}
            )
        change.version = _rebuild(
            loan,
            effective_date=day,
            principal=ahead - principal,
            reason=VersionReason.WRITE_OFF,
            created_by=by,
            state=state,
        )
    keys = _keys(loan)
    total = principal + interest + fees
    if total > 0:
        lines = [Dr(chart.LOAN_LOSSES, _cents(total), **keys)]
        for code, part in (
            (chart.LOANS_PRINCIPAL, principal),
            (chart.INTEREST_RECEIVABLE, interest),
            (chart.FEES_RECEIVABLE, fees),
        ):
            if part > 0:
                lines.append(Cr(code, _cents(part), **keys))
        label = "Omzetting in subsidie" if change.kind == ChangeKind.CONVERSION else "Afschrijving"
        change.entry = entry_post(
            book=loan.fund.book,
            date=day,
            description=f"{label} lening {loan.number}",
            lines=lines,
            source_type=f"loans.{change.kind}",
            source_id=str(change.pk),
            source_ref=loan.number,
            created_by=by,
        )
    Allocation.objects.bulk_create(
        Allocation(
            loan=loan,
            kind=AllocationKind.WRITTEN_OFF,
            component=component,
            n=n,
            charge_id=charge_id,
            amount=amount,
            date=day,
            change=change,
        )
        for component, n, charge_id, amount in allocations
    )
    if full:
        _reverse_accruals(loan, day, by)
        loan.state = (
            LoanState.CONVERTED if change.kind == ChangeKind.CONVERSION else LoanState.WRITTEN_OFF
        )
        loan.closed_on = day
        # Nothing is owed any more: a closed loan has no arrears.
        loan.days_past_due = 0
        loan.arrears_bucket = ArrearsBucket.CURRENT
        loan.save(update_fields=["state", "closed_on", "days_past_due", "arrears_bucket"])
