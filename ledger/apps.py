from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = _("Grootboek")

    def ready(self) -> None:
        from . import locks  # noqa: F401  (bounds every PostgreSQL connection's lock waits)
