"""What the reports floor keeps: the investor statements as they were sent.

A statement is issued once and kept exactly (docs/statements.md, "Issuing and keeping"): the
PDF's bytes and their SHA-256 are stored with who issued it and when, and neither the model
nor the database lets a stored statement change or go (a trigger refuses UPDATE and DELETE,
as the journal's do). Issuing again for the same investor and period makes a new version,
with a reason; the old one stays.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fund.models import Fund, Investor
from ledger import clock


class StatementImmutable(Exception):
    """A stored statement is never changed or deleted; issue a new version instead."""


class InvestorStatement(models.Model):
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+")
    investor = models.ForeignKey(Investor, on_delete=models.PROTECT, related_name="statements")
    period = models.CharField(_("periode"), max_length=7)  # "2026-Q3" or "2026"
    period_start = models.DateField(_("begin periode"))
    period_end = models.DateField(_("einde periode"))
    version = models.PositiveSmallIntegerField(_("versie"), default=1)
    number = models.CharField(_("nummer"), max_length=80, unique=True)
    reason = models.TextField(_("reden nieuwe versie"), blank=True)
    language = models.CharField(_("taal"), max_length=2, default="nl")
    issued_at = models.DateTimeField(_("uitgegeven op"), default=clock.now, editable=False)
    # None: issued by the scheduled run (``manage.py investor_statements`` without --as-user).
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uitgegeven door"),
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size = models.PositiveIntegerField(_("grootte (bytes)"), editable=False)
    pdf = models.BinaryField(editable=False)

    class Meta:
        verbose_name = _("investeerdersoverzicht")
        verbose_name_plural = _("investeerdersoverzichten")
        ordering = ["-period_end", "fund_id", "investor_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "investor", "period", "version"],
                name="reports_statement_version_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(version=1) | ~models.Q(reason=""),
                name="reports_statement_new_version_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["investor", "period"], name="reports_statement_inv")]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise StatementImmutable("an issued statement is never changed")
        content = bytes(self.pdf)
        self.sha256 = self.digest(content)
        self.size = len(content)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise StatementImmutable("an issued statement is never deleted")

    @staticmethod
    def digest(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"
