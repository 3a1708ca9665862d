"""The loans' journal sources: labels and the objects behind their entries (registered in
:class:`loans.apps.LoansConfig`; see ledger/sources.py). Every loan entry carries the loan
number as ``source_ref``; a suspense receipt carries the payer, a refund its disposal."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ledger.pages import register_page
from ledger.sources import Traced, register_source

from .models import Loan, LoanChange, ReceiptDisposal, Repayment, UnmatchedReceipt


def _loan(entry) -> Loan | None:
    if not entry.source_ref:
        return None
    return (
        Loan.objects.filter(fund__book_id=entry.book_id, number=entry.source_ref)
        .select_related("collective")
        .first()
    )


def _of_loan(entry) -> Traced | None:
    loan = _loan(entry)  # its name already says whose loan it is
    return Traced(loan, None, loan) if loan else None


def _repayment(entry) -> Traced | None:
    repayment = Repayment.objects.filter(entry=entry).select_related("loan__collective").first()
    if repayment is None:
        return _of_loan(entry)
    return Traced(repayment, repayment.loan.collective, repayment.loan)


def _change(entry) -> Traced | None:
    change = None
    if entry.source_id.isdigit():
        change = LoanChange.objects.filter(pk=int(entry.source_id)).select_related("loan").first()
    if change is None:
        return _of_loan(entry)
    return Traced(change, change.loan, change.loan)


def _receipt(entry) -> Traced | None:
    receipt = UnmatchedReceipt.objects.filter(entry=entry).first()
    return Traced(receipt, receipt.payer_reference) if receipt else None


def _refund(entry) -> Traced | None:
    disposal = None
    if entry.source_id.isdigit():
        disposal = (
            ReceiptDisposal.objects.filter(pk=int(entry.source_id))
            .select_related("receipt")
            .first()
        )
    return Traced(disposal, disposal.receipt) if disposal else None


def register() -> None:
    register_page("loans.loan", "loans:loan_detail", ("number",))
    register_source("loans.disbursement", _("Uitbetaling lening"), _of_loan)
    register_source("loans.interest_due", _("Rente vervallen"), _of_loan)
    register_source("loans.capitalisation", _("Rente bijgeschreven op hoofdsom"), _of_loan)
    register_source("loans.advance", _("Vooruitbetaling toegewezen"), _of_loan)
    register_source("loans.accrual", _("Opgelopen rente"), _of_loan)
    register_source("loans.penalty", _("Boeterente"), _of_loan)
    register_source("loans.premium", _("Succespremie"), _of_loan)
    register_source("loans.repayment", _("Aflossing"), _repayment)
    register_source("loans.restructure", _("Herstructurering"), _change)
    register_source("loans.write_off", _("Afschrijving"), _change)
    register_source("loans.conversion", _("Omzetting in subsidie"), _change)
    register_source("loans.unmatched_receipt", _("Niet toegewezen ontvangst"), _receipt)
    register_source("loans.receipt_refund", _("Terugbetaling ontvangst"), _refund)
