"""Receipts in suspense: recording, matching, and their disposal with four eyes."""

from __future__ import annotations

from datetime import date as Date

from django.db import transaction
from django.utils.translation import gettext as _
from djmoney.money import Money
from schwifty import IBAN

from fund.models import Fund
from fund.services import contribution_book, once_replay
from ledger import chart, clock
from ledger.services import Cr, Dr, audit_record, entry_post
from ledger.text import visible_text
from ledger.transactions import entry_point

from .. import exceptions as exc
from ..audit import LoanAction
from ..models import ChangeState, DisposalKind, Loan, ReceiptDisposal, Repayment, UnmatchedReceipt
from ._common import (
    _cents,
    _day,
    _lock_compartment,
    _lock_loan,
    _not_after_today,
    _positive,
    _require_independent,
    _require_manager,
)
from .repayments import _record_repayment


def _receipt_unmatched_step(
    *,
    fund: Fund,
    amount,
    value_date: Date,
    payer_reference: str,
    recorded_by,
    description: str = "",
    bank_reference: str = "",
    idempotency_key: str | None = None,
) -> UnmatchedReceipt:
    """A receipt that matches no loan: Dr 1000 / Cr 1900 (party = payer reference).

    ``receipt_record_unmatched`` is this step in a durable transaction of its own; the step joins
    the caller's (docs/architecture.md, "Services and transactions").
    """
    _require_manager(recorded_by, fund)
    _not_after_today(value_date)
    _lock_compartment(fund.pk)
    money = _positive(amount)
    # The payer is the sub-ledger key of 1900, which holds 40 characters (a long name is cut).
    payer = visible_text(payer_reference).strip()[:40] or "onbekend"
    cents = _cents(money)
    entry = entry_post(
        book=fund.book,
        date=value_date,
        description=f"Niet toegewezen ontvangst {payer} {description}"[:255],
        lines=[Dr(chart.BANK_REVOLVING, cents), Cr(chart.SUSPENSE, cents, party=payer)],
        source_type="loans.unmatched_receipt",
        source_ref=payer,
        created_by=recorded_by,
        idempotency_key=idempotency_key,
    )
    receipt = UnmatchedReceipt.objects.create(
        fund=fund,
        amount=money,
        value_date=value_date,
        payer_reference=payer,
        description=description[:255],
        bank_reference=bank_reference,
        entry=entry,
        created_by=recorded_by,
    )
    audit_record(
        actor=recorded_by,
        action=LoanAction.RECEIPT_UNMATCHED,
        obj=receipt,
        book_id=fund.book_id,
        after={"amount": str(money), "payer": payer, "entry": entry.pk},
    )
    return receipt


receipt_record_unmatched = entry_point(_receipt_unmatched_step, "receipt_record_unmatched")


@transaction.atomic(durable=True)
def receipt_match(
    *, receipt: UnmatchedReceipt, loan: Loan, matched_by, overpayment: str = "shorten"
) -> Repayment:
    """Match a suspense receipt to a loan: a repayment at the receipt's value date, posted
    Dr 1900 (party = payer) / Cr 1220, 1210, 1200. Reversing it puts the money back in 1900."""
    _require_manager(matched_by, loan.fund)
    _require_independent(matched_by, collective=loan.collective)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    receipt = UnmatchedReceipt.objects.select_for_update(of=("self",)).get(pk=receipt.pk)
    if receipt.fund_id != loan.fund_id:
        raise exc.InvalidTransition(_("Ontvangst en lening horen bij verschillende fondsen."))
    if receipt.repayment_id:
        raise exc.InvalidTransition(_("Deze ontvangst is al toegewezen."))
    _no_disposal(receipt)
    payer = receipt.payer_reference
    repayment = _record_repayment(
        loan=loan,
        amount=receipt.amount,
        value_date=receipt.value_date,
        by=matched_by,
        reference=receipt.description,
        bank_reference=receipt.bank_reference,
        overpayment=overpayment,
        debit_line=lambda cents: Dr(chart.SUSPENSE, cents, party=payer),
        description=f"Toewijzing ontvangst {payer} aan lening {loan.number}",
    )
    receipt.repayment = repayment
    receipt.save(update_fields=["repayment"])
    return repayment


def _no_disposal(receipt: UnmatchedReceipt) -> None:
    disposal = receipt.disposals.filter(
        state__in=(ChangeState.PROPOSED, ChangeState.EXECUTED)
    ).first()
    if disposal is not None:
        raise exc.InvalidTransition(
            _("Voor deze ontvangst ligt al een voorstel of besluit: %(what)s (%(state)s).")
            % {"what": disposal.get_kind_display(), "state": disposal.get_state_display()}
        )


@transaction.atomic(durable=True)
def receipt_disposal_propose(
    *,
    receipt: UnmatchedReceipt,
    kind: str,
    proposed_by,
    reason: str,
    iban: str = "",
    name: str = "",
    commitment=None,
    idempotency_key: str | None = None,
) -> ReceiptDisposal:
    """First pair of eyes on a receipt in suspense that is no loan's repayment: refund it to
    the payer (``iban``, ``name``) or book it as capital paid in under ``commitment``. Nothing
    is booked until another manager of the fund approves (:func:`receipt_disposal_decide`)."""
    _require_manager(proposed_by, receipt.fund)
    _lock_compartment(receipt.fund_id)
    receipt = UnmatchedReceipt.objects.select_for_update(of=("self",)).get(pk=receipt.pk)
    earlier = once_replay(
        ReceiptDisposal.objects.filter(receipt__fund_id=receipt.fund_id),
        idempotency_key,
        exc.InvalidTransition,
        lookup="once_key",
        receipt_id=receipt.pk,
        kind=kind,
    )
    if earlier is not None:
        return earlier
    if receipt.repayment_id:
        raise exc.InvalidTransition(_("Deze ontvangst is al toegewezen aan een lening."))
    _no_disposal(receipt)
    if kind not in DisposalKind.values:
        raise exc.InvalidTransition(f"not a disposal: {kind!r}")
    if commitment is not None:
        _require_independent(proposed_by, investor=commitment.investor)
    if not reason.strip():
        raise exc.InvalidTransition(_("Motiveer het voorstel."))
    fields: dict = {}
    if kind == DisposalKind.REFUND:
        try:
            fields["iban"] = IBAN(iban).compact
        except ValueError as error:
            raise exc.InvalidTransition(
                _("Ongeldig IBAN om naar terug te betalen: %(error)s") % {"error": error}
            ) from error
        if not name.strip():
            raise exc.InvalidTransition(_("Geef de naam van de rekeninghouder."))
        fields["name"] = name.strip()[:140]
    else:
        if commitment is None or commitment.compartment.fund_id != receipt.fund_id:
            raise exc.InvalidTransition(_("Kies een toezegging van dit fonds."))
        fields["commitment"] = commitment
    disposal = ReceiptDisposal.objects.create(
        receipt=receipt,
        kind=kind,
        once_key=idempotency_key or None,
        reason=reason.strip(),
        proposed_by=proposed_by,
        **fields,
    )
    audit_record(
        actor=proposed_by,
        action=LoanAction.of_disposal(kind, "propose"),
        obj=receipt,
        book_id=receipt.fund.book_id,
        after={
            "amount": str(receipt.amount),
            "payer": receipt.payer_reference,
            "iban": disposal.iban,
            "commitment": disposal.commitment_id,
            "reason": disposal.reason,
        },
    )
    return disposal


@transaction.atomic(durable=True)
def receipt_disposal_decide(
    *, disposal: ReceiptDisposal, decided_by, approve: bool, reason: str, date: Date | None = None
) -> ReceiptDisposal:
    """Second pair of eyes: a different manager of the fund approves (which books it, dated
    ``date`` or today: the refund leaves the bank now) or rejects the proposal."""
    receipt = disposal.receipt
    _require_manager(decided_by, receipt.fund)
    _lock_compartment(receipt.fund_id)
    receipt = UnmatchedReceipt.objects.select_for_update(of=("self",)).get(pk=receipt.pk)
    disposal = ReceiptDisposal.objects.select_for_update(of=("self",)).get(pk=disposal.pk)
    if disposal.state != ChangeState.PROPOSED:
        outcome = ChangeState.EXECUTED if approve else ChangeState.REJECTED
        if disposal.state == outcome and disposal.decided_by_id == decided_by.pk:
            disposal.once_replayed = True  # the same decision sent twice: the first result
            return disposal
        raise exc.InvalidTransition(_("Over dit voorstel is al besloten."))
    if disposal.proposed_by_id == decided_by.pk:
        raise exc.FourEyesViolation(
            _("Vier ogen: wie het voorstel deed, mag het niet zelf goedkeuren.")
        )
    if not reason.strip():
        raise exc.InvalidTransition(_("Motiveer het besluit."))
    day = date or clock.today()
    _not_after_today(day)
    if day < receipt.value_date:
        raise exc.InvalidDate(
            _("De boeking kan niet vóór de ontvangst (%(day)s) vallen.")
            % {"day": _day(receipt.value_date)}
        )
    disposal.decided_by = decided_by
    disposal.decided_at = clock.now()
    disposal.decision_reason = reason.strip()
    if approve and receipt.repayment_id:
        raise exc.InvalidTransition(_("Deze ontvangst is intussen aan een lening toegewezen."))
    if disposal.commitment_id:
        _require_independent(decided_by, investor=disposal.commitment.investor)
    if approve and disposal.kind == DisposalKind.REFUND:
        cents = _cents(receipt.amount)
        disposal.entry = entry_post(
            book=receipt.fund.book,
            date=day,
            description=f"Terugbetaling ontvangst {receipt.payer_reference} aan {disposal.name}"[
                :255
            ],
            lines=[
                Dr(chart.SUSPENSE, cents, party=receipt.payer_reference),
                Cr(chart.BANK_REVOLVING, cents),
            ],
            source_type="loans.receipt_refund",
            source_id=str(disposal.pk),
            source_ref=receipt.payer_reference,
            created_by=decided_by,
        )
    elif approve:
        contribution = contribution_book(
            commitment=disposal.commitment,
            amount=Money(receipt.amount, "EUR"),
            date=day,
            created_by=decided_by,
            suspense_party=receipt.payer_reference,
        )
        disposal.entry = contribution.entry
    disposal.state = ChangeState.EXECUTED if approve else ChangeState.REJECTED
    disposal.save()
    audit_record(
        actor=decided_by,
        action=LoanAction.of_disposal(disposal.kind, "approve" if approve else "reject"),
        obj=receipt,
        book_id=receipt.fund.book_id,
        after={
            "amount": str(receipt.amount),
            "entry": disposal.entry_id,
            "reason": disposal.decision_reason,
        },
    )
    return disposal
