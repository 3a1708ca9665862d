"""Readable names for audit actions, shared by every page that shows history."""

from django.utils.translation import gettext_lazy

ACTION_LABELS = {
    "fund.create": gettext_lazy("Fonds aangemaakt"),
    "investor.create": gettext_lazy("Investeerder vastgelegd"),
    "commitment.create": gettext_lazy("Toezegging vastgelegd"),
    "contribution.record": gettext_lazy("Storting geboekt"),
    "collective.register": gettext_lazy("Collectief aangemeld"),
    "collective.update": gettext_lazy("Gegevens gewijzigd"),
    "collective.verify": gettext_lazy("Geverifieerd door fondsbeheerder"),
    "application.create": gettext_lazy("Aanvraag aangemaakt"),
    "application.update": gettext_lazy("Aanvraag gewijzigd"),
    "application.attach": gettext_lazy("Bijlage toegevoegd"),
    "application.submit": gettext_lazy("Ingediend"),
    "application.withdraw": gettext_lazy("Ingetrokken"),
    "application.start_review": gettext_lazy("In behandeling genomen"),
    "application.assess": gettext_lazy("Beoordeeld, met voorstel"),
    "application.approve": gettext_lazy("Goedgekeurd"),
    "application.reject": gettext_lazy("Afgewezen"),
    "application.commitment_use": gettext_lazy("Reservering verlaagd"),
    "grant.award": gettext_lazy("Subsidie toegekend"),
    "grant.pay": gettext_lazy("Betaling gedaan"),
    "grant.settle": gettext_lazy("Afgerekend"),
    "book.create": gettext_lazy("Boeken geopend"),
    "account.create": gettext_lazy("Rekening aangemaakt"),
    "period.create": gettext_lazy("Periode aangemaakt"),
    "period.close": gettext_lazy("Periode afgesloten"),
    "loan_product.create": gettext_lazy("Leningproduct vastgelegd"),
    "loan.contract": gettext_lazy("Lening gecontracteerd"),
    "loan.disburse": gettext_lazy("Tranche uitbetaald"),
    "loan.repayment": gettext_lazy("Aflossing ontvangen"),
    "loan.repayment_reverse": gettext_lazy("Aflossing teruggedraaid"),
    "loan.receipt_unmatched": gettext_lazy("Ontvangst in tussenrekening"),
    "loan.restructure_propose": gettext_lazy("Herstructurering voorgesteld"),
    "loan.restructure_approve": gettext_lazy("Herstructurering goedgekeurd"),
    "loan.restructure_reject": gettext_lazy("Herstructurering afgewezen"),
    "loan.write_off_propose": gettext_lazy("Afschrijving voorgesteld"),
    "loan.write_off_approve": gettext_lazy("Afschrijving goedgekeurd"),
    "loan.write_off_reject": gettext_lazy("Afschrijving afgewezen"),
    "loan.conversion_propose": gettext_lazy("Omzetting in subsidie voorgesteld"),
    "loan.conversion_approve": gettext_lazy("Omgezet in subsidie (kwijtgescholden)"),
    "loan.conversion_reject": gettext_lazy("Omzetting in subsidie afgewezen"),
}


def action_label(action: str) -> str:
    """The readable name of an audit action; unknown codes are shown as they are."""
    return str(ACTION_LABELS.get(action, action))
