"""Repayments: allocation, paying early, settlement, reversal and re-booking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from fund.services import once_replay
from ledger import chart, clock
from ledger.models import JournalEntry
from ledger.money import ZERO
from ledger.services import Cr, Dr, entry_post, entry_reverse
from ledger.transactions import entry_point

from .. import exceptions as exc
from ..allocation import Allocation as AllocationResult
from ..allocation import Component, allocate, parse_order
from ..audit import LoanAction
from ..models import (
    SERVICED_STATES,
    Allocation,
    AllocationKind,
    Charge,
    ChargeKind,
    Instalment,
    Loan,
    LoanState,
    Repayment,
    ScheduleVersion,
    UnmatchedReceipt,
    VersionReason,
)
from ._common import (
    OVERPAYMENT_CHOICES,
    _audit,
    _cents,
    _day,
    _eur,
    _interest,
    _keys,
    _lock_compartment,
    _lock_loan,
    _not_after_today,
    _positive,
    _require_manager,
    _round,
    _snapshot,
)
from .due import (
    _allocate_parts,
    _apply_advances,
    _charge,
    _due_key,
    _post_due,
    _reverse_accruals,
    _set_arrears,
)
from .position import Position, current_version, loan_status
from .versions import _carry_rows, _rebuild


@dataclass(frozen=True)
class SettlementQuote:
    """What closes the loan on ``date``."""

    loan: Loan
    date: Date
    principal: Decimal  # all outstanding principal (overdue and not yet due)
    interest_due: Decimal  # interest of instalments due on or before the date, unpaid
    interest_accrued: Decimal  # interest from the last due date to the date, not yet due
    fees: Decimal  # fees and penalties charged and unpaid
    premium: Decimal  # success premium, if the product has one
    advance: Decimal = ZERO  # paid ahead and still held: counts towards the total

    @property
    def total(self) -> Decimal:
        return (
            self.principal
            + self.interest_due
            + self.interest_accrued
            + self.fees
            + self.premium
            - self.advance
        )


def _quote(loan: Loan, state: Position, day: Date) -> SettlementQuote:
    due = [r for r in state.rows if r.due_date <= day]
    ahead = [r for r in state.rows if r.due_date > day]
    accrued = ZERO
    if ahead:
        start = due[-1].due_date if due else (loan.start_date or day)
        accrued = _interest(loan, ahead[0].opening_balance, start, day)
    premium = ZERO
    if ahead and loan.success_premium_pct > 0:
        premium = _round(loan.disbursed * loan.success_premium_pct / 100, loan)
    return SettlementQuote(
        loan=loan,
        date=day,
        principal=sum((state.open_principal(r) for r in state.rows), ZERO),
        interest_due=sum((state.open_interest(r) for r in due), ZERO),
        interest_accrued=accrued,
        fees=sum((state.open_fee(c) for c in state.charges if c.date <= day), ZERO),
        premium=premium,
        advance=state.advance,
    )


def loan_settlement_quote(*, loan: Loan, date: Date) -> SettlementQuote:
    """Early-settlement quote: outstanding principal + interest accrued to ``date`` + fees due
    + success premium. Recording a repayment of exactly ``total`` on ``date`` closes the loan."""
    return _quote(loan, loan_status(loan), date)


def _settle(loan: Loan, state: Position, day: Date, by) -> ScheduleVersion:
    """A version whose last row falls due on ``day``: all not-yet-due principal plus the
    interest accrued since the last due date. Charges the success premium. ``state`` is
    brought up to date with the new rows and the premium."""
    quote = _quote(loan, state, day)
    ahead = [r for r in state.rows if r.due_date > day]
    version = _rebuild_settlement(loan, state, day, ahead, quote, by)
    if quote.premium > 0:
        premium = _charge(
            loan,
            ChargeKind.PREMIUM,
            day,
            quote.premium,
            f"premium:{loan.number}:{version.number}",
            by,
        )
        state.add_charge(premium)
    return version


def _rebuild_settlement(loan, state, day, ahead, quote, by) -> ScheduleVersion:
    old = current_version(loan)
    for row in ahead:
        if row.interest_posted:
            raise exc.ScheduleConflict(_("Er is al rente geboekt na deze datum."))
    if old is not None and day < old.effective_date:
        raise exc.ScheduleConflict(
            _("Het aflosschema is per %(date)s al gewijzigd.") % {"date": _day(old.effective_date)}
        )
    carried = [r for r in state.rows if r.due_date <= day]
    ScheduleVersion.objects.filter(pk=old.pk).update(is_current=False)
    principal = ahead[0].opening_balance
    number = old.number + 1
    version = ScheduleVersion.objects.create(
        loan=loan,
        number=number,
        reason=VersionReason.SETTLEMENT,
        effective_date=day,
        principal=principal,
        annual_rate=loan.annual_rate,
        instalment=principal + quote.interest_accrued,
        created_by=by if getattr(by, "pk", None) else None,
    )
    previous = carried[-1].due_date if carried else (loan.start_date or day)
    rows = _carry_rows(version, carried)
    rows.append(
        Instalment(
            version=version,
            n=len(carried) + 1,
            due_date=day,
            days=(day - previous).days,
            opening_balance=principal,
            principal=principal,
            interest=quote.interest_accrued,
            payment=principal + quote.interest_accrued,
            balance=ZERO,
            key_version=number,
        )
    )
    Instalment.objects.bulk_create(rows)
    state.reschedule(rows)
    return version


@dataclass
class _Split:
    """How a repayment is booked: its allocation over what is due, the part paid ahead of the
    next instalment (held on 2100), the prepayment beyond it, and the schedule version a
    prepayment or a settlement makes."""

    allocation: AllocationResult
    advance: Decimal = ZERO
    prepayment: Decimal = ZERO
    version: ScheduleVersion | None = None
    settled: bool = False

    @property
    def principal(self) -> Decimal:
        """Credited to 1200: principal allocated to instalments plus the prepayment."""
        return self.allocation.total(Component.PRINCIPAL) + self.prepayment


def _record_repayment(
    *,
    loan: Loan,
    amount: Decimal,
    value_date: Date,
    by,
    reference: str,
    bank_reference: str,
    overpayment: str,
    debit_line,
    description: str,
    idempotency_key: str | None = None,
    replaces: Repayment | None = None,
) -> Repayment:
    """Allocate and post a repayment. The caller holds the compartment and loan locks.

    The loan's position is read once; every step below books from it and writes what it
    booked back into it (docs/loans.md, "Repayments")."""
    _check_repayable(loan, value_date, overpayment)
    before = _snapshot(loan)
    state = loan_status(loan)
    # What run_day would have posted by the value date: post it first, same keys.
    _post_due(loan, _fallen_by(state, value_date), by, state=state)
    split = _split(loan, state, amount, value_date, overpayment, by)
    entry = _post_repayment(
        loan, split, amount, value_date, debit_line, description, by, idempotency_key
    )
    repayment = Repayment.objects.create(
        loan=loan,
        amount=amount,
        value_date=value_date,
        reference=reference,
        bank_reference=bank_reference,
        prepayment=ZERO if split.settled else split.prepayment,
        advance=split.advance,
        entry=entry,
        version=split.version,
        replaces=replaces,
        created_by=by if getattr(by, "pk", None) else None,
    )
    _book_allocations(loan, state, split, value_date, repayment, by)
    if split.settled:
        loan.state = LoanState.REPAID
        loan.closed_on = value_date
        loan.save(update_fields=["state", "closed_on"])
        _reverse_accruals(loan, value_date, by)
    if loan.status_date:
        _set_arrears(loan, state, loan.status_date)
    _audit(
        by,
        LoanAction.REPAYMENT_REBOOK if replaces else LoanAction.REPAYMENT,
        loan,
        before,
        repayment=repayment.pk,
        **({"replaces": replaces.pk} if replaces else {}),
        amount=str(amount),
        value_date=value_date.isoformat(),
        fees=str(split.allocation.total(Component.FEE)),
        interest=str(split.allocation.total(Component.INTEREST)),
        principal=str(split.principal),
        prepayment=str(repayment.prepayment),
        advance=str(split.advance),
        version=split.version.number if split.version else None,
    )
    return repayment


def _check_repayable(loan: Loan, value_date: Date, overpayment: str) -> None:
    if loan.state not in SERVICED_STATES:
        raise exc.InvalidTransition(_("Op deze lening kan niet worden afgelost."))
    if overpayment not in OVERPAYMENT_CHOICES:
        raise exc.InvalidTransition(f"overpayment must be one of {OVERPAYMENT_CHOICES}")
    if loan.start_date is None or value_date < loan.start_date:
        raise exc.InvalidTransition(_("Aflossing vóór de eerste uitbetaling."))


def _fallen_by(state: Position, day: Date) -> list[Instalment]:
    return [r for r in state.rows if r.due_date <= day]


def _allocate(loan: Loan, state: Position, amount: Decimal, day: Date) -> AllocationResult:
    order = parse_order(loan.product.allocation_order)
    return allocate(amount, state.items(day), order=order, mode=loan.product.allocation_mode)


def _split(
    loan: Loan, state: Position, amount: Decimal, value_date: Date, overpayment: str, by
) -> _Split:
    """Allocate ``amount`` over what is due on ``value_date``; what is left pays the next
    instalment in advance, then prepays (a new version) or, when it clears the loan, settles
    it (docs/loans.md, "Paying early")."""
    result = _allocate(loan, state, amount, value_date)
    rest = result.prepayment
    if rest <= 0:
        return _Split(result)
    ahead = state.scheduled_balance(value_date)
    if ahead <= 0:
        raise exc.InvalidAmount(
            _("%(extra)s meer dan er openstaat; boek het restant als niet toegewezen.")
            % {"extra": _eur(rest)}
        )
    # Up to what falls due next is paid in advance of it, held until it falls due; only
    # the part beyond it is a prepayment.
    advance = min(rest, state.next_open(value_date))
    rest -= advance
    if rest > 0 and result.prepayment + state.advance >= ahead:
        return _settlement(loan, state, amount, value_date, by)
    version = None
    if rest > 0:
        old = current_version(loan)
        version = _rebuild(
            loan,
            effective_date=value_date,
            principal=ahead - rest,
            reason=VersionReason.PREPAYMENT,
            created_by=by,
            state=state,
            shorten_to_instalment=old.instalment if overpayment == "shorten" else None,
        )
    return _Split(result, advance=advance, prepayment=rest, version=version)


def _settlement(loan: Loan, state: Position, amount: Decimal, value_date: Date, by) -> _Split:
    """Exactly the settlement quote's total closes the loan on ``value_date``."""
    quote = _quote(loan, state, value_date)
    if amount != quote.total:
        raise exc.InvalidAmount(
            _("Volledige vervroegde aflossing per %(date)s is %(total)s; ontvangen %(amount)s.")
            % {"date": _day(value_date), "total": _eur(quote.total), "amount": _eur(amount)}
        )
    version = _settle(loan, state, value_date, by)
    _post_due(loan, _fallen_by(state, value_date), by, state=state)
    result = _allocate(loan, state, amount, value_date)
    return _Split(result, prepayment=result.prepayment, version=version, settled=True)


def _post_repayment(
    loan, split, amount, value_date, debit_line, description, by, idempotency_key
) -> JournalEntry:
    """Dr the receiving account / Cr 1220, 1210, 1200 and 2100 (what is held ahead)."""
    keys = _keys(loan)
    lines = [debit_line(_cents(amount))]
    for code, part in (
        (chart.FEES_RECEIVABLE, split.allocation.total(Component.FEE)),
        (chart.INTEREST_RECEIVABLE, split.allocation.total(Component.INTEREST)),
        (chart.LOANS_PRINCIPAL, split.principal),
        (chart.ADVANCES, split.advance),
    ):
        if part > 0:
            lines.append(Cr(code, _cents(part), **keys))
    return entry_post(
        book=loan.fund.book,
        date=value_date,
        description=description,
        lines=lines,
        source_type="loans.repayment",
        source_ref=loan.number,
        created_by=by,
        idempotency_key=idempotency_key,
    )


def _book_allocations(
    loan: Loan, state: Position, split: _Split, value_date: Date, repayment: Repayment, by
) -> None:
    """The repayment's allocations, and its advance held for what falls due next; a
    backdated advance pays the instalments that have fallen due since, as the day-end did
    when they fell due."""
    _allocate_parts(loan, split.allocation, AllocationKind.PAYMENT, value_date, repayment)
    state.take(split.allocation.parts)
    if split.advance <= 0:
        return
    state.hold(repayment, split.advance)
    fallen = {r.due_date for r in state.rows if r.interest_posted}
    for due in sorted(d for d in fallen if d > value_date):
        _apply_advances(loan, due, by, state=state)


def _repayment_step(
    *,
    loan: Loan,
    amount,
    value_date: Date,
    recorded_by,
    reference: str = "",
    bank_reference: str = "",
    overpayment: str = "shorten",
    idempotency_key: str | None = None,
) -> Repayment:
    """Record money received for a loan: Dr 1000 / Cr 1220, 1210, 1200 by the product's order.

    Allocated as of ``value_date`` (a backdated repayment as if it arrived then) over fees and
    the instalments due by then; interest of an instalment that run_day has not yet posted due
    is posted due first with run_day's key. What is left is a prepayment that shortens the term
    (``overpayment="shorten"``) or lowers the instalment (``"lower"``), in a new schedule
    version; exactly the settlement quote's total closes the loan (with the success premium).

    ``repayment_record`` is this step in a durable transaction of its own; the step joins
    the caller's (docs/architecture.md, "Services and transactions").
    """
    _require_manager(recorded_by, loan.fund)
    _not_after_today(value_date)
    money = _positive(amount)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    earlier = once_replay(
        Repayment.objects.filter(loan__fund=loan.fund),
        idempotency_key,
        exc.InvalidTransition,
        loan_id=loan.pk,
        amount=money,
        value_date=value_date,
    )
    if earlier is not None:
        return earlier
    if bank_reference:
        booked = Repayment.objects.filter(
            loan__fund=loan.fund, bank_reference=bank_reference, reversed_at__isnull=True
        ).first()
        if booked is not None:
            raise exc.InvalidTransition(
                _("Bankkenmerk %(ref)s is al geboekt op %(date)s (lening %(loan)s).")
                % {
                    "ref": bank_reference,
                    "date": _day(booked.value_date),
                    "loan": booked.loan.number,
                }
            )
    return _record_repayment(
        loan=loan,
        amount=money,
        value_date=value_date,
        by=recorded_by,
        idempotency_key=idempotency_key,
        reference=reference,
        bank_reference=bank_reference,
        overpayment=overpayment,
        debit_line=lambda cents: Dr(chart.BANK_REVOLVING, cents),
        description=f"Aflossing lening {loan.number} {loan.collective.name}",
    )


repayment_record = entry_point(_repayment_step, "repayment_record")


@transaction.atomic(durable=True)
def repayment_reverse(
    *, repayment: Repayment, reversed_by, reason: str, date: Date | None = None
) -> Repayment:
    """Undo a repayment: a reversal entry (dated like the original unless ``date`` is given)
    and its allocations undone, so the loan is exactly as if it had never arrived.

    Repayments recorded after it were allocated on top of it; they are reversed and booked
    again as they were (amount, value date, references), each new one pointing to the one it
    replaces, so interest and principal are split as they would have been (docs/loans.md,
    "Reversing"). A later repayment that changed the schedule is not rebooked: it must be
    reversed first. A repayment that made a schedule version (prepayment, settlement) can
    only be reversed while that version is current; the previous version is then current
    again and a success premium is reversed too."""
    loan = repayment.loan
    _require_manager(reversed_by, loan.fund)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    repayment = Repayment.objects.select_for_update(of=("self",)).get(pk=repayment.pk)
    if date is not None:
        _not_after_today(date)
        if date < repayment.value_date:
            raise exc.InvalidDate(
                _("Een tegenboeking kan niet vóór de aflossing zelf (%(date)s) liggen.")
                % {"date": _day(repayment.value_date)}
            )
    if repayment.is_reversed:
        raise exc.InvalidTransition(_("Deze aflossing is al teruggedraaid."))
    if not reason.strip():
        raise exc.InvalidTransition(_("Geef een reden."))
    before = _snapshot(loan)
    later = list(
        repayments_after(repayment).select_for_update(of=("self",)).select_related("entry")
    )
    blocker = reversal_blocker(repayment, later)
    if blocker:
        raise exc.ScheduleConflict(blocker)
    rebook = f"Herboeking na tegenboeking aflossing {_day(repayment.value_date)}"
    for other in reversed(later):
        _undo_repayment(loan, other, reversed_by, date and max(date, other.value_date), rebook)
    if repayment.version_id:
        _undo_version(loan, repayment, reversed_by, date)
    _undo_repayment(
        loan,
        repayment,
        reversed_by,
        date,
        f"Tegenboeking aflossing lening {loan.number}: {reason}",
    )
    # A receipt matched from suspense goes back to suspense (Dr 1900 is reversed too).
    UnmatchedReceipt.objects.filter(repayment=repayment).update(repayment=None)
    for other in later:
        _rebook(loan, other, repayment, reversed_by)
    if loan.status_date:
        _set_arrears(loan, loan_status(loan), loan.status_date)
    _audit(
        reversed_by,
        LoanAction.REPAYMENT_REVERSE,
        loan,
        before,
        repayment=repayment.pk,
        reason=reason,
        rebooked=", ".join(str(other.pk) for other in later) or None,
    )
    return repayment


def repayments_after(repayment: Repayment):
    """The repayments recorded after ``repayment`` and not reversed: they were allocated on
    top of it, so reversing it re-books them."""
    return Repayment.objects.filter(
        loan_id=repayment.loan_id, pk__gt=repayment.pk, reversed_at__isnull=True
    ).order_by("value_date", "pk")


def reversal_blocker(repayment: Repayment, later=None) -> str | None:
    """Why ``repayment`` cannot be reversed as things stand (a later repayment changed the
    schedule, and is not re-booked), or None."""
    for other in repayments_after(repayment) if later is None else later:
        if other.version_id:
            return _(
                "Na deze aflossing is een aflossing van %(amount)s met valutadatum %(date)s "
                "geboekt die het schema wijzigde. Draai eerst die terug; daarna kan deze."
            ) % {"amount": _eur(other.amount), "date": _day(other.value_date)}
    return None


def _undo_version(loan: Loan, repayment: Repayment, by, date: Date | None) -> None:
    """Cancel the schedule version ``repayment`` made; the previous one is current again."""
    version = repayment.version
    if not version.is_current:
        raise exc.ScheduleConflict(
            _("Na deze aflossing is het schema opnieuw gewijzigd; draai dat eerst terug.")
        )
    later = Instalment.objects.filter(
        version=version, key_version=version.number, interest_posted=True
    )
    fallen = later.order_by("due_date").first()
    if version.reason != VersionReason.SETTLEMENT and fallen is not None:
        raise exc.ScheduleConflict(
            _(
                "Na deze vervroegde aflossing is de termijn van %(date)s al vervallen op het "
                "nieuwe schema, dus terugdraaien kan niet meer. Corrigeer de lening met een "
                "herstructurering."
            )
            % {"date": _day(fallen.due_date)}
        )
    new_rows = Instalment.objects.filter(version=version, key_version=version.number)
    paid_later = Allocation.objects.filter(
        loan=loan, undone=False, n__in=new_rows.values_list("n", flat=True)
    ).exclude(repayment=repayment)
    if paid_later.exists():
        raise exc.ScheduleConflict(_("Er is al betaald op het nieuwe schema."))
    if version.reason == VersionReason.SETTLEMENT:
        for row in later:
            entry = JournalEntry.objects.get(
                book=loan.fund.book, idempotency_key=_due_key(loan, row)
            )
            entry_reverse(entry=entry, created_by=by, date=date)
        for charge in Charge.objects.filter(
            loan=loan,
            entry__idempotency_key=f"premium:{loan.number}:{version.number}",
            cancelled=False,
        ):
            entry_reverse(entry=charge.entry, created_by=by, date=date)
            charge.cancelled = True
            charge.save(update_fields=["cancelled"])
        loan.state = LoanState.ACTIVE
        loan.closed_on = None
        loan.save(update_fields=["state", "closed_on"])
    previous = (
        ScheduleVersion.objects.filter(loan=loan, number__lt=version.number, cancelled=False)
        .order_by("-number")
        .first()
    )
    ScheduleVersion.objects.filter(pk=version.pk).update(is_current=False, cancelled=True)
    ScheduleVersion.objects.filter(pk=previous.pk).update(is_current=True)


def _undo_repayment(loan: Loan, repayment: Repayment, by, date: Date | None, why: str) -> None:
    """Reverse a repayment's entry and what its advance paid, and undo its allocations."""
    for applied in JournalEntry.objects.filter(
        book=loan.fund.book,
        idempotency_key__startswith=f"advance:{loan.number}:{repayment.pk}:",
        reversed_by__isnull=True,
    ).order_by("pk"):
        entry_reverse(entry=applied, created_by=by, date=date and max(date, applied.date))
    reversal = entry_reverse(entry=repayment.entry, created_by=by, date=date, description=why[:255])
    Allocation.objects.filter(repayment=repayment).update(undone=True)
    repayment.reversed_at = clock.now()
    repayment.reversal_entry = reversal
    repayment.save(update_fields=["reversed_at", "reversal_entry"])


def _rebook(loan: Loan, original: Repayment, cause: Repayment, by) -> Repayment:
    """Book ``original`` (just reversed) again as it arrived, from the same account."""
    debit = original.entry.lines.select_related("account").get(debit__gt=0)
    account, party, contract = debit.account.code, debit.party, debit.contract
    again = _record_repayment(
        loan=loan,
        amount=original.amount,
        value_date=original.value_date,
        by=by,
        reference=original.reference,
        bank_reference=original.bank_reference,
        overpayment="shorten",
        debit_line=lambda cents: Dr(account, cents, party=party, contract=contract),
        description=f"{original.entry.description} (herboekt)"[:255],
        idempotency_key=f"rebook:{original.pk}:{cause.pk}",
        replaces=original,
    )
    UnmatchedReceipt.objects.filter(repayment=original).update(repayment=again)
    return again
