"""The audit actions of the reports floor, typed constants with their labels (registered
with fund/audit_labels.py in :class:`reports.apps.ReportsConfig`; docs/architecture.md)."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy


class ReportAction(StrEnum):
    STATEMENT_ISSUE = "reports.statement_issue"


LABELS = {ReportAction.STATEMENT_ISSUE: gettext_lazy("Investeerdersoverzicht uitgegeven")}
FIELD_LABELS = {
    "number": gettext_lazy("nummer"),
    "investor": gettext_lazy("investeerder"),
    "period": gettext_lazy("periode"),
    "version": gettext_lazy("versie"),
    "sha256": gettext_lazy("SHA-256"),
    "reason": gettext_lazy("reden"),
}


def register() -> None:
    from fund.audit_labels import register as register_labels

    register_labels(actions=LABELS, field_labels=FIELD_LABELS)
