from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Rapportages")

    def ready(self) -> None:
        # The loan page lists the collectives' statements without importing this app
        # (loans/documents.py; docs/architecture.md).
        from loans.documents import register_document

        register_document(_("Rekeningoverzicht"), "reports:loan_statement_pdf", "loan")
        register_document(_("Jaaropgave"), "reports:interest_statement_pdf", "year")

        # The labels of this floor's audit actions (reports/audit.py).
        from . import audit

        audit.register()
