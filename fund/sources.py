"""The fund side's object pages and journal sources: labels and the objects behind its
entries (registered in :class:`fund.apps.FundConfig`; see ledger/pages.py, ledger/sources.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ledger.pages import register_page
from ledger.sources import Traced, register_source

from .models import Contribution, Grant, GrantPayment


def _contribution(entry) -> Traced | None:
    contribution = (
        Contribution.objects.filter(entry=entry)
        .select_related("commitment__investor", "commitment__compartment__fund")
        .first()
    )
    if contribution is None:
        return None
    commitment = contribution.commitment
    return Traced(contribution, commitment.compartment, commitment.investor)


def _award(entry) -> Traced | None:
    grant = Grant.objects.filter(award_entry=entry).select_related("application").first()
    return Traced(grant, grant.application, grant) if grant else None


def _payment(entry) -> Traced | None:
    payment = GrantPayment.objects.filter(entry=entry).select_related("grant__collective").first()
    return Traced(payment, payment.grant, payment.grant) if payment else None


def _settlement(entry) -> Traced | None:
    if not entry.source_ref:
        return None
    grant = (
        Grant.objects.filter(fund__book_id=entry.book_id, number=entry.source_ref)
        .select_related("collective")
        .first()
    )
    return Traced(grant, grant.collective, grant) if grant else None


def register() -> None:
    register_page("fund.fund", "fund:fund_detail", ("slug", "pk"))
    register_page("fund.application", "fund:application_detail", ("pk", "number"))
    register_page("fund.grant", "fund:grant_detail", ("pk", "number"))
    register_page("fund.collective", "fund:collective_detail", ("pk", "code"))
    register_page("fund.investor", "fund:investor_detail", ("pk", "code"))
    register_source("fund.contribution", _("Storting"), _contribution)
    register_source("fund.grant_award", _("Toekenning subsidie"), _award)
    register_source("fund.grant_payment", _("Betaling subsidie"), _payment)
    register_source("fund.grant_settlement", _("Afrekening subsidie"), _settlement)
