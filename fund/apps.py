from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundConfig(AppConfig):
    name = "fund"
    verbose_name = _("Fondsen")

    def ready(self) -> None:
        from ledger.checks import register_reconciliation

        from . import role_audit, sources  # noqa: F401  role_audit connects the role-change signals
        from .checks import reconcile_fund

        register_reconciliation("fund", reconcile_fund)
        sources.register()
