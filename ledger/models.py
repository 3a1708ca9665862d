"""Books, accounts, journal entries and lines, periods, maintained balances, audit events.

Rows here are written only by :mod:`ledger.services`. Journal entries, lines and audit
events are append-only: database triggers refuse UPDATE and DELETE (see
:mod:`ledger.dbrules`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from . import clock


class Book(models.Model):
    """One set of books: a fund's general ledger, in one base currency."""

    slug = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("naam"), max_length=200)
    currency = models.CharField(_("basisvaluta"), max_length=3, default="EUR")
    created_at = models.DateTimeField(_("aangemaakt"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("boek")
        verbose_name_plural = _("boeken")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class AccountType(models.TextChoices):
    ASSET = "asset", _("Activa")
    LIABILITY = "liability", _("Passiva")
    EQUITY = "equity", _("Eigen vermogen")
    INCOME = "income", _("Opbrengsten")
    EXPENSE = "expense", _("Kosten")


DEBIT_NORMAL_TYPES = frozenset({AccountType.ASSET, AccountType.EXPENSE})


class SubledgerKind(models.TextChoices):
    NONE = "", _("Geen")
    CONTRACT = "contract", _("Contract (lening of subsidie)")
    PARTY = "party", _("Relatie (collectief of investeerder)")


class Account(models.Model):
    """An account in a book's chart. ``subledger`` names the key each line must carry."""

    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="accounts")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("naam"), max_length=200)
    type = models.CharField(_("soort"), max_length=10, choices=AccountType.choices)
    subledger = models.CharField(
        _("subadministratie"), max_length=10, choices=SubledgerKind.choices, blank=True
    )
    compartment = models.CharField(_("compartiment"), max_length=20, blank=True)
    is_active = models.BooleanField(_("actief"), default=True)

    class Meta:
        verbose_name = _("rekening")
        verbose_name_plural = _("rekeningen")
        ordering = ["book", "code"]
        constraints = [
            models.UniqueConstraint(fields=["book", "code"], name="ledger_account_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        return self.type in DEBIT_NORMAL_TYPES


class Period(models.Model):
    """An accounting period of a book. A closed period refuses entries dated in it."""

    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="periods")
    name = models.CharField(_("naam"), max_length=50)
    start = models.DateField(_("begin"))
    end = models.DateField(_("einde"))
    closed_at = models.DateTimeField(_("afgesloten op"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("periode")
        verbose_name_plural = _("periodes")
        ordering = ["book", "start"]
        constraints = [
            models.UniqueConstraint(fields=["book", "start"], name="ledger_period_start_unique"),
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="ledger_period_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class JournalEntry(models.Model):
    """A balanced set of lines, posted once and never changed.

    ``source_type``/``source_id`` name the operation that caused it (for example
    ``loans.disbursement`` and its id) so that an auditor can trace every line back.
    """

    # No single-column indexes on book and date: ledger_entry_book_date serves both, and
    # every index costs time on each posting.
    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="entries", db_index=False)
    date = models.DateField(_("boekdatum"))
    description = models.CharField(_("omschrijving"), max_length=255)
    source_type = models.CharField(_("bron"), max_length=50, blank=True)
    source_id = models.CharField(_("bron-id"), max_length=50, blank=True)
    source_ref = models.CharField(_("bronverwijzing"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("geboekt door"),
    )
    created_at = models.DateTimeField(_("geboekt op"), default=clock.now, editable=False)
    # NULL (not "") when absent, so that the partial unique constraint skips it.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    content_hash = models.CharField(max_length=64)
    reversal_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("tegenboeking van"),
    )

    class Meta:
        verbose_name = _("journaalpost")
        verbose_name_plural = _("journaalposten")
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["book", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_entry_idempotency_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["book", "date", "id"], name="ledger_entry_book_date"),
            models.Index(fields=["source_type", "source_id"], name="ledger_entry_source"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.date:%d-%m-%Y} {self.description}"


class JournalLine(models.Model):
    """One debit or credit, in integer minor units. ``date`` copies the entry's date."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    # ledger_line_account_date (account first) serves look-ups by account alone.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    date = models.DateField(_("boekdatum"))
    debit = models.BigIntegerField(_("debet (centen)"), default=0)
    credit = models.BigIntegerField(_("credit (centen)"), default=0)
    currency = models.CharField(_("valuta"), max_length=3, default="EUR")
    contract = models.CharField(_("contract"), max_length=40, blank=True)
    party = models.CharField(_("relatie"), max_length=40, blank=True)
    memo = models.CharField(_("toelichting"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("journaalregel")
        verbose_name_plural = _("journaalregels")
        ordering = ["entry_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                name="ledger_line_one_side_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "date", "id"], name="ledger_line_account_date"),
            models.Index(fields=["account", "contract"], name="ledger_line_account_contract"),
            models.Index(fields=["contract"], name="ledger_line_contract"),
            models.Index(fields=["party"], name="ledger_line_party"),
        ]

    def __str__(self) -> str:
        side = f"D {self.debit}" if self.debit else f"C {self.credit}"
        return f"{self.account.code} {side} {self.currency}"

    @property
    def amount(self) -> int:
        """Signed minor units: debit positive, credit negative."""
        return self.debit - self.credit


class Balance(models.Model):
    """Maintained totals per account and currency; with ``kind``/``key`` per sub-ledger key.

    ``kind=""`` and ``key=""`` is the account's own total. Updated in the posting
    transaction by an atomic upsert, so reading a balance is one indexed row.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="balances")
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=10, choices=SubledgerKind.choices, blank=True)
    key = models.CharField(max_length=40, blank=True)
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("saldo")
        verbose_name_plural = _("saldi")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "currency", "kind", "key"], name="ledger_balance_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.code} {self.kind}:{self.key} {self.debit - self.credit}"

    @property
    def net(self) -> int:
        return self.debit - self.credit


class DailyTotal(models.Model):
    """Per account, currency and booking date: the day's debits, credits and line count.

    Balances as of a date and statement opening balances add these rows (one per active
    day) instead of every line; the line counts place a statement page without scanning
    the lines before it.
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="daily_totals")
    currency = models.CharField(max_length=3)
    date = models.DateField()
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)
    lines = models.PositiveIntegerField(default=0)  # how many lines: finds a statement page

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "currency", "date"], name="ledger_dailytotal_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date} {self.debit - self.credit}"


class AuditEvent(models.Model):
    """Who changed what, when, with the state before and after. Append-only."""

    at = models.DateTimeField(_("tijdstip"), default=clock.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gebruiker"),
    )
    action = models.CharField(_("handeling"), max_length=60)
    object_type = models.CharField(_("objectsoort"), max_length=60)
    object_id = models.CharField(_("object-id"), max_length=50)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    book = models.ForeignKey(
        Book, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    before = models.JSONField(_("voor"), null=True, blank=True)
    after = models.JSONField(_("na"), null=True, blank=True)

    class Meta:
        verbose_name = _("auditgebeurtenis")
        verbose_name_plural = _("auditgebeurtenissen")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="ledger_audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%d-%m-%Y %H:%M} {self.action} {self.object_repr}"


class Seal(models.Model):
    """One link of a book's hash chain: the SHA-256 of an entry's content and lines as they were
    when it was sealed (``digest``), chained to the seal before (``chain``). Sealed in order of
    entry id, in batches after the posting commits (ledger/seal.py); ``ledger_verify``
    recomputes every digest from the rows as they are now and names the first that differs.
    Append-only, like the journal."""

    book = models.ForeignKey(Book, on_delete=models.PROTECT, related_name="seals")
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="seal")
    sequence = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    chain = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("zegel")
        verbose_name_plural = _("zegels")
        ordering = ["book", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["book", "sequence"], name="ledger_seal_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.book_id}#{self.sequence} {self.chain[:12]}"
