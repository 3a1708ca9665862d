"""The audit actions of the loans side: typed constants, never assembled from strings, with
the labels people read (registered with fund/audit_labels.py in :class:`loans.apps.LoansConfig`;
docs/architecture.md)."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy


class LoanAction(StrEnum):
    PRODUCT_CREATE = "loan_product.create"
    CONTRACT = "loan.contract"
    DISBURSE = "loan.disburse"
    DISBURSEMENT_PROPOSE = "loan.disbursement_propose"
    DISBURSEMENT_APPROVE = "loan.disbursement_approve"
    DISBURSEMENT_REJECT = "loan.disbursement_reject"
    REPAYMENT = "loan.repayment"
    REPAYMENT_REVERSE = "loan.repayment_reverse"
    REPAYMENT_REBOOK = "loan.repayment_rebook"
    CHANGE_WITHDRAW = "loan.change_withdraw"
    RECEIPT_UNMATCHED = "loan.receipt_unmatched"
    RECEIPT_REFUND_PROPOSE = "loan.receipt_refund_propose"
    RECEIPT_REFUND_APPROVE = "loan.receipt_refund_approve"
    RECEIPT_REFUND_REJECT = "loan.receipt_refund_reject"
    RECEIPT_CONTRIBUTION_PROPOSE = "loan.receipt_contribution_propose"
    RECEIPT_CONTRIBUTION_APPROVE = "loan.receipt_contribution_approve"
    RECEIPT_CONTRIBUTION_REJECT = "loan.receipt_contribution_reject"
    RESTRUCTURE_PROPOSE = "loan.restructure_propose"
    RESTRUCTURE_APPROVE = "loan.restructure_approve"
    RESTRUCTURE_REJECT = "loan.restructure_reject"
    WRITE_OFF_PROPOSE = "loan.write_off_propose"
    WRITE_OFF_APPROVE = "loan.write_off_approve"
    WRITE_OFF_REJECT = "loan.write_off_reject"
    CONVERSION_PROPOSE = "loan.conversion_propose"
    CONVERSION_APPROVE = "loan.conversion_approve"
    CONVERSION_REJECT = "loan.conversion_reject"

    @classmethod
    def of_change(cls, kind: str, step: str) -> LoanAction:
        """The action of a four-eyes proposal's ``step`` (propose, approve, reject); an unknown
        kind or step raises ValueError rather than recording an unlabelled action."""
        return cls(f"loan.{kind}_{step}")

    @classmethod
    def of_disposal(cls, kind: str, step: str) -> LoanAction:
        """The action of a suspense receipt's disposal (refund, contribution) at ``step``."""
        return cls(f"loan.receipt_{kind}_{step}")


LABELS = {
    LoanAction.PRODUCT_CREATE: gettext_lazy("Leningproduct vastgelegd"),
    LoanAction.CONTRACT: gettext_lazy("Lening gecontracteerd"),
    LoanAction.DISBURSE: gettext_lazy("Tranche uitbetaald"),
    LoanAction.DISBURSEMENT_PROPOSE: gettext_lazy("Tranche voorgesteld"),
    LoanAction.DISBURSEMENT_APPROVE: gettext_lazy("Tranche goedgekeurd"),
    LoanAction.DISBURSEMENT_REJECT: gettext_lazy("Tranche afgewezen"),
    LoanAction.REPAYMENT: gettext_lazy("Aflossing ontvangen"),
    LoanAction.REPAYMENT_REVERSE: gettext_lazy("Aflossing teruggedraaid"),
    LoanAction.REPAYMENT_REBOOK: gettext_lazy("Aflossing opnieuw geboekt na een tegenboeking"),
    LoanAction.CHANGE_WITHDRAW: gettext_lazy("Voorstel ingetrokken door wie het deed"),
    LoanAction.RECEIPT_UNMATCHED: gettext_lazy("Ontvangst in tussenrekening"),
    LoanAction.RECEIPT_REFUND_PROPOSE: gettext_lazy("Terugbetaling ontvangst voorgesteld"),
    LoanAction.RECEIPT_REFUND_APPROVE: gettext_lazy("Ontvangst terugbetaald"),
    LoanAction.RECEIPT_REFUND_REJECT: gettext_lazy("Terugbetaling ontvangst afgewezen"),
    LoanAction.RECEIPT_CONTRIBUTION_PROPOSE: gettext_lazy("Ontvangst als storting voorgesteld"),
    LoanAction.RECEIPT_CONTRIBUTION_APPROVE: gettext_lazy("Ontvangst geboekt als storting"),
    LoanAction.RECEIPT_CONTRIBUTION_REJECT: gettext_lazy("Ontvangst als storting afgewezen"),
    LoanAction.RESTRUCTURE_PROPOSE: gettext_lazy("Herstructurering voorgesteld"),
    LoanAction.RESTRUCTURE_APPROVE: gettext_lazy("Herstructurering goedgekeurd"),
    LoanAction.RESTRUCTURE_REJECT: gettext_lazy("Herstructurering afgewezen"),
    LoanAction.WRITE_OFF_PROPOSE: gettext_lazy("Afschrijving voorgesteld"),
    LoanAction.WRITE_OFF_APPROVE: gettext_lazy("Afschrijving goedgekeurd"),
    LoanAction.WRITE_OFF_REJECT: gettext_lazy("Afschrijving afgewezen"),
    LoanAction.CONVERSION_PROPOSE: gettext_lazy("Omzetting in subsidie voorgesteld"),
    LoanAction.CONVERSION_APPROVE: gettext_lazy("Omgezet in subsidie (kwijtgescholden)"),
    LoanAction.CONVERSION_REJECT: gettext_lazy("Omzetting in subsidie afgewezen"),
}

# The same name, another meaning in one event: a repayment's "principal" is the part of the
# payment that went to principal, not the loan's principal.
_REPAYMENT_FIELDS = {
    "amount": gettext_lazy("Ontvangen bedrag"),
    "principal": gettext_lazy("Waarvan aflossing"),
    "interest": gettext_lazy("Waarvan rente"),
    "fees": gettext_lazy("Waarvan kosten en boeterente"),
    "prepayment": gettext_lazy("Waarvan vervroegd afgelost"),
    "advance": gettext_lazy("Waarvan vooruitbetaald"),
}
FIELD_LABELS = {
    **{(LoanAction.REPAYMENT, f): label for f, label in _REPAYMENT_FIELDS.items()},
    **{(LoanAction.REPAYMENT_REBOOK, f): label for f, label in _REPAYMENT_FIELDS.items()},
    (LoanAction.DISBURSE, "amount"): gettext_lazy("Uitbetaald bedrag"),
}

# After-values that are facts of the event, never a change of the loan's snapshot.
_REPAYMENT_FACTS = (
    "amount",
    "value_date",
    "principal",
    "interest",
    "fees",
    "prepayment",
    "advance",
    "repayment",
    "version",
)
FACTS = {
    LoanAction.REPAYMENT: _REPAYMENT_FACTS,
    LoanAction.REPAYMENT_REBOOK: (*_REPAYMENT_FACTS, "replaces"),
}


def register() -> None:
    from fund.audit_labels import register as register_labels

    register_labels(actions=LABELS, field_labels=FIELD_LABELS, facts=FACTS)
