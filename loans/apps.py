from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Leningen")

    def ready(self) -> None:
        from ledger.checks import register_reconciliation

        from . import audit, sources
        from .checks import reconcile_loans, reconcile_suspense

        register_reconciliation("loans", reconcile_loans)
        register_reconciliation("suspense", reconcile_suspense)
        sources.register()
        audit.register()
