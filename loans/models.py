"""Loans: products, contracts, schedule versions with instalment rows, tranches, repayments,
allocations, charges, accruals, proposals for changes (four eyes) and day-end runs.

Models hold fields, constraints and simple properties. Every change of state goes through
:mod:`loans.services`, which posts to the ledger and writes the audit event. Amounts are
``Decimal`` with two places (EUR, the book's currency); the ledger keeps integer cents.
SQLite stores decimals as REAL, so amounts are added up in Python, never with SQL ``SUM``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fund.models import Application, Collective, FourEyes, Fund, code_validator
from ledger import clock
from ledger.money import ZERO, format_amount

from .allocation import Component
from .position import bucket_for_days
from .schedule import DayCount, Frequency, GraceInterest, InterestMethod, Method, Rounding

AMOUNT = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 9, "decimal_places": 6}
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
MAX_TERM_MONTHS = 600  # 50 years; SVn's longest municipal loans run 30


def _choices(enum) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


class AllocationMode(models.TextChoices):
    COMPONENT = "component", _("Per soort: kosten, dan rente, dan aflossing (oudste eerst)")
    INSTALMENT = "instalment", _("Per termijn: oudste termijn eerst volledig")


class LoanProduct(models.Model):
    """A fund's loan product: the defaults and limits of its contracts."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="loan_products")
    code = models.CharField(_("code"), max_length=20, validators=[code_validator])
    name = models.CharField(_("naam"), max_length=200)
    annual_rate = models.DecimalField(_("rente (% per jaar)"), validators=PERCENT, **RATE)
    max_term_months = models.PositiveSmallIntegerField(
        _("maximale looptijd (maanden)"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TERM_MONTHS)],
    )
    max_amount = models.DecimalField(
        _("maximaal bedrag"), validators=[MinValueValidator(Decimal("0.01"))], **AMOUNT
    )
    method = models.CharField(_("aflosmethode"), max_length=10, choices=_choices(Method))
    frequency = models.CharField(_("betaalfrequentie"), max_length=12, choices=_choices(Frequency))
    interest = models.CharField(
        _("renteberekening"),
        max_length=10,
        choices=_choices(InterestMethod),
        default=InterestMethod.PERIOD.value,
    )
    day_count = models.CharField(
        _("dagtelling"),
        max_length=10,
        choices=_choices(DayCount),
        default=DayCount.THIRTY_E_360.value,
    )
    grace_principal = models.PositiveSmallIntegerField(
        _("aflossingsvrije termijnen"), default=0, validators=[MaxValueValidator(MAX_TERM_MONTHS)]
    )
    grace_full = models.PositiveSmallIntegerField(
        _("betalingsvrije termijnen"), default=0, validators=[MaxValueValidator(MAX_TERM_MONTHS)]
    )
    grace_interest = models.CharField(
        _("rente in betalingsvrije termijnen"),
        max_length=12,
        choices=_choices(GraceInterest),
        blank=True,
    )
    # The engine rounds instalments to whole euros or to cents (docs/schedule.md).
    decimals = models.PositiveSmallIntegerField(
        _("decimalen"), default=2, choices=[(0, "0"), (2, "2")]
    )
    rounding = models.CharField(
        _("afronding"), max_length=10, choices=_choices(Rounding), default=Rounding.HALF_UP.value
    )
    instalment_multiple = models.DecimalField(
        _("termijnbedrag afronden op"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        **AMOUNT,
    )
    allocation_order = models.CharField(
        _("toerekeningsvolgorde"), max_length=40, default="fee,interest,principal"
    )
    allocation_mode = models.CharField(
        _("toerekening"),
        max_length=10,
        choices=AllocationMode.choices,
        default=AllocationMode.COMPONENT,
    )
    success_premium_pct = models.DecimalField(
        _("succespremie (% van de hoofdsom)"), default=Decimal("0"), validators=PERCENT, **RATE
    )
    penalty_rate = models.DecimalField(
        _("boeterente op achterstand (% per jaar)"),
        default=Decimal("0"),
        validators=PERCENT,
        **RATE,
    )
    is_active = models.BooleanField(_("actief"), default=True)

    class Meta:
        verbose_name = _("leningproduct")
        verbose_name_plural = _("leningproducten")
        ordering = ["fund", "code"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "code"], name="loans_product_code_unique"),
            models.CheckConstraint(
                condition=Q(annual_rate__gte=0, annual_rate__lte=100)
                & Q(success_premium_pct__gte=0, success_premium_pct__lte=100)
                & Q(penalty_rate__gte=0, penalty_rate__lte=100)
                & Q(max_term_months__gte=1, max_term_months__lte=MAX_TERM_MONTHS)
                & Q(max_amount__gt=0)
                & Q(decimals__in=[0, 2])
                & (Q(instalment_multiple__isnull=True) | Q(instalment_multiple__gt=0)),
                name="loans_product_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LoanState(models.TextChoices):
    CONTRACTED = "contracted", _("Gecontracteerd")
    DISBURSING = "disbursing", _("In uitbetaling")
    ACTIVE = "active", _("Lopend")
    REPAID = "repaid", _("Afgelost")
    WRITTEN_OFF = "written_off", _("Afgeschreven")
    CONVERTED = "converted", _("Omgezet in subsidie")


SERVICED_STATES = (LoanState.DISBURSING, LoanState.ACTIVE)


class ArrearsBucket(models.TextChoices):
    CURRENT = "current", _("Geen achterstand")
    D1_30 = "1-30", _("1-30 dagen")
    D31_60 = "31-60", _("31-60 dagen")
    D61_90 = "61-90", _("61-90 dagen")
    OVER_90 = "90+", _("Meer dan 90 dagen")

    @classmethod
    def for_days(cls, days: int) -> ArrearsBucket:
        """The bucket of a loan ``days`` past due (boundaries in :mod:`loans.position`)."""
        return cls(bucket_for_days(days))


class Loan(models.Model):
    """A development loan from an approved loan application.

    The terms are the conventions of :class:`loans.schedule.LoanTerms`; a restructuring changes
    ``annual_rate``, ``periods`` or the grace and adds a schedule version. ``days_past_due`` and
    ``arrears_bucket`` are the snapshot of the last day-end run (``status_date``).
    """

    number = models.CharField(_("nummer"), max_length=20, unique=True)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="loans")
    collective = models.ForeignKey(Collective, on_delete=models.PROTECT, related_name="loans")
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="loan")
    product = models.ForeignKey(LoanProduct, on_delete=models.PROTECT, related_name="loans")
    state = models.CharField(
        _("status"), max_length=12, choices=LoanState.choices, default=LoanState.CONTRACTED
    )
    principal = models.DecimalField(
        _("hoofdsom"), validators=[MinValueValidator(Decimal("0.01"))], **AMOUNT
    )
    disbursed = models.DecimalField(_("uitbetaald"), default=ZERO, **AMOUNT)
    annual_rate = models.DecimalField(_("rente (% per jaar)"), **RATE)
    periods = models.PositiveSmallIntegerField(_("aantal termijnen"))
    frequency = models.CharField(_("betaalfrequentie"), max_length=12, choices=_choices(Frequency))
    method = models.CharField(_("aflosmethode"), max_length=10, choices=_choices(Method))
    interest = models.CharField(
        _("renteberekening"), max_length=10, choices=_choices(InterestMethod)
    )
    day_count = models.CharField(_("dagtelling"), max_length=10, choices=_choices(DayCount))
    grace_principal = models.PositiveSmallIntegerField(_("aflossingsvrije termijnen"), default=0)
    grace_full = models.PositiveSmallIntegerField(_("betalingsvrije termijnen"), default=0)
    grace_interest = models.CharField(
        _("rente in betalingsvrije termijnen"),
        max_length=12,
        choices=_choices(GraceInterest),
        blank=True,
    )
    decimals = models.PositiveSmallIntegerField(_("decimalen"), default=2)
    rounding = models.CharField(_("afronding"), max_length=10, choices=_choices(Rounding))
    instalment_multiple = models.DecimalField(
        _("termijnbedrag afronden op"), null=True, blank=True, **AMOUNT
    )
    due_day = models.PositiveSmallIntegerField(_("vervaldag"), null=True, blank=True)
    first_due = models.DateField(_("eerste vervaldatum"))
    success_premium_pct = models.DecimalField(_("succespremie (%)"), **RATE)
    penalty_rate = models.DecimalField(_("boeterente (% per jaar)"), **RATE)
    contracted_on = models.DateField(_("gecontracteerd op"))
    contracted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(_("eerste uitbetaling"), null=True, blank=True)
    closed_on = models.DateField(_("afgesloten op"), null=True, blank=True)
    days_past_due = models.PositiveIntegerField(_("dagen achterstand"), default=0)
    arrears_bucket = models.CharField(
        _("achterstandsklasse"),
        max_length=8,
        choices=ArrearsBucket.choices,
        default=ArrearsBucket.CURRENT,
    )
    status_date = models.DateField(_("stand per"), null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("lening")
        verbose_name_plural = _("leningen")
        ordering = ["-contracted_on", "-id"]
        indexes = [models.Index(fields=["fund", "state"], name="loans_loan_fund_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(disbursed__lte=models.F("principal")),
                name="loans_loan_disbursed_le_principal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.collective}"

    @property
    def undisbursed(self) -> Decimal:
        return self.principal - self.disbursed


class VersionReason(models.TextChoices):
    TRANCHE = "tranche", _("Uitbetaling tranche")
    PREPAYMENT = "prepayment", _("Vervroegde aflossing")
    SETTLEMENT = "settlement", _("Vervroegde volledige aflossing")
    RESTRUCTURE = "restructure", _("Herstructurering")
    WRITE_OFF = "write_off", _("Gedeeltelijke afschrijving")


class ScheduleVersion(models.Model):
    """One version of a loan's schedule. Rows due on or before ``effective_date`` are carried
    over from the previous version unchanged; later rows are rebuilt. Versions are never deleted:
    a reversed prepayment marks its version ``cancelled`` and makes the previous one current."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField(_("versie"))
    reason = models.CharField(_("reden"), max_length=12, choices=VersionReason.choices)
    effective_date = models.DateField(_("ingangsdatum"))
    principal = models.DecimalField(_("hoofdsom herberekening"), **AMOUNT)
    annual_rate = models.DecimalField(_("rente"), **RATE)
    instalment = models.DecimalField(_("termijnbedrag"), **AMOUNT)
    is_current = models.BooleanField(_("actueel"), default=True)
    cancelled = models.BooleanField(_("vervallen"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("aflosschemaversie")
        verbose_name_plural = _("aflosschemaversies")
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="loans_version_unique"),
            models.UniqueConstraint(
                fields=["loan"], condition=Q(is_current=True), name="loans_version_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan.number} v{self.number}"


class Instalment(models.Model):
    """A row of a schedule version, as :class:`loans.schedule.Instalment` computed it.

    ``key_version`` is the version whose idempotency keys the row uses (the version it was first
    computed in), so a row carried into a later version is never posted twice.
    ``interest_posted`` says its interest was posted due (Dr 1210 / Cr 4000).
    """

    version = models.ForeignKey(ScheduleVersion, on_delete=models.CASCADE, related_name="rows")
    n = models.PositiveSmallIntegerField(_("termijn"))
    due_date = models.DateField(_("vervaldatum"))
    days = models.PositiveIntegerField(_("dagen"))
    opening_balance = models.DecimalField(_("begin saldo"), **AMOUNT)
    principal = models.DecimalField(_("aflossing"), **AMOUNT)
    interest = models.DecimalField(_("rente"), **AMOUNT)
    payment = models.DecimalField(_("termijnbedrag"), **AMOUNT)
    balance = models.DecimalField(_("eindsaldo"), **AMOUNT)
    key_version = models.PositiveSmallIntegerField()
    interest_posted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("termijn")
        verbose_name_plural = _("termijnen")
        ordering = ["version", "n"]
        constraints = [
            models.UniqueConstraint(fields=["version", "n"], name="loans_instalment_unique"),
        ]
        indexes = [models.Index(fields=["due_date"], name="loans_instalment_due")]

    def __str__(self) -> str:
        return f"{self.version} #{self.n} {self.due_date}"


class Disbursement(models.Model):
    """A tranche paid out (Dr 1200 / Cr 1000), against a milestone or invoice."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="disbursements")
    amount = models.DecimalField(_("bedrag"), **AMOUNT)
    date = models.DateField(_("datum"))
    milestone = models.CharField(_("mijlpaal"), max_length=200, blank=True)
    invoice_reference = models.CharField(_("factuur"), max_length=100, blank=True)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(ScheduleVersion, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("uitbetaling")
        verbose_name_plural = _("uitbetalingen")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.loan.number}: {self.amount} ({self.date:%d-%m-%Y})"


class ChargeKind(models.TextChoices):
    PENALTY = "penalty", _("Boeterente")
    PREMIUM = "premium", _("Succespremie")


class Charge(models.Model):
    """A fee or premium charged to the loan: Dr 1220 / Cr 4100, then paid like a fee."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="charges")
    kind = models.CharField(_("soort"), max_length=10, choices=ChargeKind.choices)
    date = models.DateField(_("datum"))
    amount = models.DecimalField(_("bedrag"), **AMOUNT)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    cancelled = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("kosten of premie")
        verbose_name_plural = _("kosten en premies")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.loan.number} {self.get_kind_display()} {self.amount}"


class Repayment(models.Model):
    """Money received for a loan, allocated at its value date; reversible."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    amount = models.DecimalField(
        _("bedrag"), validators=[MinValueValidator(Decimal("0.01"))], **AMOUNT
    )
    value_date = models.DateField(_("valutadatum"))
    reference = models.CharField(_("kenmerk"), max_length=140, blank=True)
    bank_reference = models.CharField(_("bankkenmerk"), max_length=100, blank=True)
    prepayment = models.DecimalField(_("vervroegde aflossing"), default=ZERO, **AMOUNT)
    # Paid ahead of the next instalment: held on 2100 and allocated when it falls due
    # (docs/loans.md, "Paying early").
    advance = models.DecimalField(_("vooruitbetaald"), default=ZERO, **AMOUNT)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        ScheduleVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversed_at = models.DateTimeField(_("teruggedraaid op"), null=True, blank=True)
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Booked again after an earlier repayment of the loan was reversed, so that its split over
    # interest and principal is what it would have been (docs/loans.md, "Reversing").
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        verbose_name=_("herboeking van"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("aflossing")
        verbose_name_plural = _("aflossingen")
        ordering = ["value_date", "id"]

    def __str__(self) -> str:
        return f"{self.loan.number}: {format_amount(self.amount)} ({self.value_date:%d-%m-%Y})"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


class AllocationKind(models.TextChoices):
    PAYMENT = "payment", _("Betaling")
    CAPITALISED = "capitalised", _("Gekapitaliseerd")
    WRITTEN_OFF = "written_off", _("Afgeschreven")
    ADVANCE = "advance", _("Uit vooruitbetaling")


class Allocation(models.Model):
    """The part of a repayment (or a capitalisation, a write-off) that settles one open item:
    the fee of a charge, or the interest or principal of instalment ``n`` of the loan."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="allocations")
    kind = models.CharField(max_length=12, choices=AllocationKind.choices)
    component = models.CharField(max_length=10, choices=_choices(Component))
    n = models.PositiveSmallIntegerField(null=True, blank=True)
    charge = models.ForeignKey(
        Charge, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    amount = models.DecimalField(**AMOUNT)
    date = models.DateField()
    repayment = models.ForeignKey(
        Repayment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    change = models.ForeignKey(
        "LoanChange", on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    undone = models.BooleanField(default=False)

    class Meta:
        ordering = ["loan", "date", "id"]
        indexes = [models.Index(fields=["loan", "undone"], name="loans_alloc_loan_undone")]

    def __str__(self) -> str:
        return f"{self.loan.number} {self.component} #{self.n or self.charge_id}: {self.amount}"


class Accrual(models.Model):
    """Month-end accrual of interest earned but not yet due (Dr 1230 / Cr 4000), reversed when
    an instalment falls due (or is paid before it fell due)."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="accruals")
    date = models.DateField()
    n = models.PositiveSmallIntegerField()
    amount = models.DecimalField(**AMOUNT)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["loan", "date"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "date"], name="loans_accrual_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.loan.number} {self.date}: {self.amount}"


class UnmatchedReceipt(models.Model):
    """A receipt that matched no loan: Dr 1000 / Cr 1900 (party = payer reference)."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="unmatched_receipts")
    amount = models.DecimalField(**AMOUNT)
    value_date = models.DateField()
    payer_reference = models.CharField(max_length=100)
    description = models.CharField(max_length=255, blank=True)
    bank_reference = models.CharField(max_length=100, blank=True)
    entry = models.OneToOneField("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    repayment = models.OneToOneField(
        Repayment, on_delete=models.PROTECT, null=True, blank=True, related_name="receipt"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("niet toegewezen ontvangst")
        verbose_name_plural = _("niet toegewezen ontvangsten")
        ordering = ["value_date", "id"]

    def __str__(self) -> str:
        return f"{self.payer_reference}: {self.amount} ({self.value_date:%d-%m-%Y})"


class ChangeKind(models.TextChoices):
    RESTRUCTURE = "restructure", _("Herstructurering")
    WRITE_OFF = "write_off", _("Afschrijving")
    CONVERSION = "conversion", _("Omzetting in subsidie")
    DISBURSEMENT = "disbursement", _("Uitbetaling tranche")


class ChangeState(models.TextChoices):
    PROPOSED = "proposed", _("Voorgesteld")
    EXECUTED = "executed", _("Uitgevoerd")
    REJECTED = "rejected", _("Afgewezen")
    WITHDRAWN = "withdrawn", _("Ingetrokken")


class LoanChange(FourEyes):
    """A four-eyes proposal: one manager proposes, a different manager of the fund approves
    (which executes it) or rejects. ``params`` holds the proposal (amounts as strings)."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    # The one-time key of the form that proposed it (docs/ledger.md, "Twice is once").
    once_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    state = models.CharField(max_length=10, choices=ChangeState.choices, default="proposed")
    effective_date = models.DateField()
    params = models.JSONField(default=dict, blank=True)
    reason = models.TextField()
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.ForeignKey(
        ScheduleVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("wijzigingsvoorstel")
        verbose_name_plural = _("wijzigingsvoorstellen")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            FourEyes.four_eyes_constraint("loans_change_four_eyes"),
        ]

    def __str__(self) -> str:
        return f"{self.loan.number} {self.get_kind_display()} ({self.get_state_display()})"


class DisposalKind(models.TextChoices):
    REFUND = "refund", _("Terugbetalen aan de betaler")
    CONTRIBUTION = "contribution", _("Boeken als storting van een financier")


class ReceiptDisposal(FourEyes):
    """What becomes of a receipt in suspense that is no loan's repayment, four-eyes: one
    manager proposes, a different manager of the fund approves (which books it) or rejects.

    - refund: the money goes back to the payer's IBAN: Dr 1900 (party = payer) / Cr 1000;
    - contribution: it was capital paid in under a commitment of the revolving compartment:
      Dr 1900 (party = payer) / Cr 3000 (party = investor), recorded as a Contribution.
    """

    receipt = models.ForeignKey(
        UnmatchedReceipt, on_delete=models.PROTECT, related_name="disposals"
    )
    kind = models.CharField(_("soort"), max_length=12, choices=DisposalKind.choices)
    once_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    state = models.CharField(
        _("status"), max_length=10, choices=ChangeState.choices, default=ChangeState.PROPOSED
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    name = models.CharField(_("naam rekeninghouder"), max_length=140, blank=True)
    commitment = models.ForeignKey(
        "fund.Commitment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("toezegging"),
    )
    reason = models.TextField(_("motivering"))
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("afhandeling ontvangst")
        verbose_name_plural = _("afhandelingen ontvangsten")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            FourEyes.four_eyes_constraint("loans_disposal_four_eyes"),
            models.CheckConstraint(
                condition=Q(state="executed", entry__isnull=False)
                | (~Q(state="executed") & Q(entry__isnull=True)),
                name="loans_disposal_entry_iff_executed",
            ),
            models.UniqueConstraint(
                fields=["receipt"],
                condition=Q(state__in=["proposed", "executed"]),
                name="loans_disposal_one_open_per_receipt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt} {self.get_kind_display()} ({self.get_state_display()})"


class DayRun(models.Model):
    """One processed day of a fund (``run_day``): what it did, so a rerun is visibly a no-op."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="loan_day_runs")
    date = models.DateField()
    due = models.PositiveIntegerField(default=0)
    accrued = models.PositiveIntegerField(default=0)
    penalties = models.PositiveIntegerField(default=0)
    in_arrears = models.PositiveIntegerField(default=0)
    # False while its batches run: a run that stopped halfway is finished by running the day
    # again (loan_day_process).
    completed = models.BooleanField(default=True)
    finished_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["fund", "date"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "date"], name="loans_dayrun_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.fund.slug} {self.date}"
