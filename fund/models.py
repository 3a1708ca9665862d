"""Funds, compartments, investors and their capital, collectives, applications, grants.

Models hold fields, constraints and simple properties. Every change of state goes through
:mod:`fund.services`, which posts to the ledger and writes the audit event.
"""

from __future__ import annotations

import os
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.money import Money
from schwifty import IBAN

from ledger import chart, clock
from ledger.models import Book

MONEY = {"max_digits": 14, "decimal_places": 2, "default_currency": "EUR"}

kvk_validator = RegexValidator(r"^[0-9]{8}\Z", _("Een KvK-nummer bestaat uit precies 8 cijfers."))
# Codes become ledger keys (party, contract): plain letters and digits that read the same to
# every reader, no look-alike or invisible characters.
code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*\Z",
    _("Een code bestaat uit letters en cijfers, eventueel met punt, streepje of liggend streepje."),
)


def validate_iban(value: str) -> None:
    try:
        IBAN(value)
    except ValueError as error:
        raise ValidationError(_("Ongeldig IBAN: %(error)s"), params={"error": error}) from error


def validate_sdgs(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, int) and 1 <= v <= 17 for v in value):
        raise ValidationError(_("SDG's zijn nummers van 1 tot en met 17."))


class Fund(models.Model):
    """A fund with its own books. Managers are the fund managers who may act on it."""

    slug = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("naam"), max_length=200)
    description = models.TextField(_("omschrijving"), blank=True)
    book = models.OneToOneField(Book, on_delete=models.PROTECT, related_name="fund")
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="managed_funds",
        blank=True,
        verbose_name=_("fondsbeheerders"),
    )
    created_at = models.DateTimeField(_("aangemaakt"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("fonds")
        verbose_name_plural = _("fondsen")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CompartmentKind(models.TextChoices):
    GRANT = "grant", _("Subsidie (niet-revolverend)")
    REVOLVING = "revolving", _("Revolverend (leningen)")


class Compartment(models.Model):
    """One of a fund's two pots. Its row is the lock taken before capacity is used."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="compartments")
    kind = models.CharField(_("soort"), max_length=10, choices=CompartmentKind.choices)
    # The real bank account behind 1000 (revolving) or 1010 (grants): collectives repay to
    # the revolving one, payouts leave from it.
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])

    class Meta:
        verbose_name = _("compartiment")
        verbose_name_plural = _("compartimenten")
        ordering = ["fund", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "kind"], name="fund_compartment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.fund} – {self.get_kind_display()}"

    @property
    def iban_display(self) -> str:
        try:
            return IBAN(self.iban).formatted if self.iban else ""
        except ValueError:
            return self.iban

    @property
    def bank_account(self) -> str:
        return chart.BANK_ACCOUNT[self.kind]

    @property
    def capital_account(self) -> str:
        return chart.CAPITAL_ACCOUNT[self.kind]


class InvestorKind(models.TextChoices):
    GOVERNMENT = "government", _("Rijksoverheid")
    PROVINCE = "province", _("Provincie")
    MUNICIPALITY = "municipality", _("Gemeente")
    FOUNDATION = "foundation", _("Stichting / fonds")
    BANK = "bank", _("Bank")
    CITIZENS = "citizens", _("Burgers / burgercollectief")
    OTHER = "other", _("Anders")


class Investor(models.Model):
    """A funder: puts capital into a compartment and receives statements."""

    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(_("naam"), max_length=200)
    kind = models.CharField(_("soort"), max_length=20, choices=InvestorKind.choices)
    contact_name = models.CharField(_("contactpersoon"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telefoon"), max_length=30, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    # The language of its statements and mails (docs/statements.md).
    language = models.CharField(
        _("taal van overzichten"),
        max_length=2,
        choices=[("nl", "Nederlands"), ("en", "English")],
        default="nl",
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="investors", blank=True, verbose_name=_("gebruikers")
    )
    created_at = models.DateTimeField(_("aangemaakt"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("investeerder")
        verbose_name_plural = _("investeerders")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Commitment(models.Model):
    """Capital an investor promises to a compartment; paid in by contributions."""

    investor = models.ForeignKey(Investor, on_delete=models.PROTECT, related_name="commitments")
    compartment = models.ForeignKey(
        Compartment, on_delete=models.PROTECT, related_name="commitments"
    )
    amount = MoneyField(_("toegezegd bedrag"), **MONEY)
    date = models.DateField(_("datum toezegging"))
    reference = models.CharField(_("kenmerk"), max_length=100, blank=True)
    # The one-time key of the form that made it (docs/ledger.md, "Twice is once").
    once_key = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001 (NULL: no key, not unique)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("toezegging")
        verbose_name_plural = _("toezeggingen")
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["compartment", "once_key"], name="fund_commitment_once_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.investor} → {self.compartment}: {self.amount}"

    @property
    def paid(self) -> Money:
        """What its contributions paid in: every one of ``contributions.all()``, so a list
        that prefetches ``contributions`` asks nothing more. A contribution whose entry was
        reversed still counts here (fund/checks.py leaves those out)."""
        total = sum((c.amount.amount for c in self.contributions.all()), Decimal("0.00"))
        return Money(total, self.amount.currency)

    @property
    def open(self) -> Money:
        """What is still to be paid in: the amount committed less :attr:`paid`."""
        return self.amount - self.paid


class Contribution(models.Model):
    """Capital paid in (a storting), posted Dr bank / Cr capital of the compartment."""

    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="contributions"
    )
    amount = MoneyField(_("bedrag"), **MONEY)
    date = models.DateField(_("datum"))
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, related_name="+", verbose_name=_("boeking")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("storting")
        verbose_name_plural = _("stortingen")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.commitment.investor}: {self.amount} ({self.date:%d-%m-%Y})"


class CollectiveKind(models.TextChoices):
    ENERGY = "energy", _("Energiecoöperatie")
    CARE = "care", _("Zorgcoöperatie")
    HOUSING = "housing", _("Wooncoöperatie")
    RESIDENTS = "residents", _("Bewonersbedrijf")
    VILLAGE = "village", _("Dorpsvereniging")
    LOCAL_FUND = "local_fund", _("Lokaal fonds")
    SOCIAL = "social", _("Sociale onderneming")
    OTHER = "other", _("Anders")


class LegalForm(models.TextChoices):
    ASSOCIATION = "vereniging", _("Vereniging")
    COOPERATIVE = "cooperatie", _("Coöperatie U.A.")
    FOUNDATION = "stichting", _("Stichting")
    BV = "bv", _("B.V.")


class Collective(models.Model):
    """A citizen collective. It may apply once a fund manager has verified it."""

    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    name = models.CharField(_("naam"), max_length=200)
    kind = models.CharField(_("soort"), max_length=20, choices=CollectiveKind.choices)
    legal_form = models.CharField(_("rechtsvorm"), max_length=20, choices=LegalForm.choices)
    kvk_number = models.CharField(_("KvK-nummer"), max_length=8, validators=[kvk_validator])
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    street = models.CharField(_("adres"), max_length=200, blank=True)
    postcode = models.CharField(
        _("postcode"),
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^\d{4} ?[A-Z]{2}$", _("Postcode als 1234 AB."))],
    )
    city = models.CharField(_("plaats"), max_length=100)
    municipality = models.CharField(_("gemeente"), max_length=100)
    members_count = models.PositiveIntegerField(_("aantal leden"), default=0)
    sdgs = models.JSONField(_("SDG's"), default=list, blank=True, validators=[validate_sdgs])
    email = models.EmailField(_("e-mail"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="collectives",
        blank=True,
        verbose_name=_("contactpersonen"),
    )
    verified_at = models.DateTimeField(_("geverifieerd op"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("aangemaakt"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("collectief")
        verbose_name_plural = _("collectieven")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kvk_number"], name="fund_collective_kvk_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def iban_display(self) -> str:
        try:
            return IBAN(self.iban).formatted
        except ValueError:
            return self.iban


class ApplicationKind(models.TextChoices):
    GRANT = "grant", _("Startsubsidie")
    LOAN = "loan", _("Ontwikkellening")


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Concept")
    SUBMITTED = "submitted", _("Ingediend")
    IN_REVIEW = "in_review", _("In behandeling")
    APPROVED = "approved", _("Goedgekeurd")
    REJECTED = "rejected", _("Afgewezen")
    WITHDRAWN = "withdrawn", _("Ingetrokken")


class Proposal(models.TextChoices):
    APPROVE = "approve", _("Toekennen")
    REJECT = "reject", _("Afwijzen")


class FourEyes(models.Model):
    """A proposal decided with four eyes: one user proposes, a different one decides.

    The one home of the rule's shape: the proposer and decider fields, the database
    constraint (:meth:`four_eyes_constraint`, which each subclass puts in its ``Meta`` under
    its own name) and the questions a page asks (:attr:`is_open`, :meth:`may_decide`). Who
    may propose or decide at all (a manager of the fund, without a conflict of interest)
    stays the services' business.

    A subclass has its own ``state`` field, whose open state is ``"proposed"``. It may
    override a field, or drop it with ``None``, to keep its columns as they are.
    """

    OPEN_STATE = "proposed"

    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=clock.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        abstract = True

    @staticmethod
    def four_eyes_constraint(name: str, *, proposer: str = "proposed_by") -> models.CheckConstraint:
        """The database's four eyes: whoever decides is not ``proposer`` (or nobody decided)."""
        return models.CheckConstraint(
            condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F(proposer)),
            name=name,
        )

    @property
    def is_open(self) -> bool:
        """Still waiting for a decision."""
        return self.state == self.OPEN_STATE

    def is_proposer(self, user) -> bool:
        return user.pk is not None and user.pk == self.proposed_by_id

    def may_decide(self, user) -> bool:
        """Whether four eyes let ``user`` decide it now: it is open and they did not propose
        it. Not whether they may decide at all (see the services)."""
        return self.is_open and user.pk is not None and not self.is_proposer(user)


class CollectiveChange(FourEyes):
    """A change of a verified collective's identity (IBAN, KvK number, name, legal form),
    four-eyes: proposed by a contact or a manager, approved (which applies it) or rejected by
    a manager of a fund the collective deals with who did not propose it. Payments to the
    collective wait while one is open (docs/permissions.md)."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Voorgesteld")
        APPROVED = "approved", _("Goedgekeurd")
        REJECTED = "rejected", _("Afgewezen")

    collective = models.ForeignKey(
        "Collective", on_delete=models.PROTECT, related_name="identity_changes"
    )
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    # The decision's reason, under its own column name.
    reason = models.TextField(blank=True)
    decision_reason = None

    class Meta:
        verbose_name = _("wijziging collectiefgegevens")
        verbose_name_plural = _("wijzigingen collectiefgegevens")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            FourEyes.four_eyes_constraint("fund_collectivechange_four_eyes"),
            models.UniqueConstraint(
                fields=["collective"],
                condition=Q(state="proposed"),
                name="fund_collectivechange_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collective} ({self.get_state_display()})"


class Application(models.Model):
    """A request for a grant or a loan, decided with four eyes.

    ``commitment_open`` is the part of an approval that still holds the compartment's
    capacity: set on approval, lowered when a grant is awarded or a loan is disbursed.
    """

    number = models.CharField(_("nummer"), max_length=20, unique=True)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="applications")
    collective = models.ForeignKey(
        Collective, on_delete=models.PROTECT, related_name="applications"
    )
    kind = models.CharField(_("soort"), max_length=10, choices=ApplicationKind.choices)
    state = models.CharField(
        _("status"), max_length=12, choices=ApplicationState.choices, default=ApplicationState.DRAFT
    )
    title = models.CharField(_("titel"), max_length=200)
    purpose = models.TextField(_("doel"))
    amount_requested = MoneyField(
        _("gevraagd bedrag"), validators=[MinValueValidator(Money(Decimal("0.01"), "EUR"))], **MONEY
    )
    term_months = models.PositiveSmallIntegerField(_("looptijd (maanden)"), null=True, blank=True)
    sdgs = models.JSONField(_("SDG's"), default=list, blank=True, validators=[validate_sdgs])
    households_reached = models.PositiveIntegerField(
        _("bereikte huishoudens"), null=True, blank=True
    )
    kwh_per_year = models.PositiveIntegerField(_("kWh per jaar"), null=True, blank=True)
    volunteers = models.PositiveIntegerField(_("vrijwilligers"), null=True, blank=True)
    co2_tonnes_per_year = models.DecimalField(
        _("CO₂-reductie (ton per jaar)"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("aangemaakt"), default=clock.now, editable=False)
    # The one-time key of the form that made it (docs/ledger.md, "Twice is once").
    once_key = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001 (NULL: no key, not unique)
    submitted_at = models.DateTimeField(_("ingediend op"), null=True, blank=True)
    # First pair of eyes: assessment and proposal.
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("beoordelaar"),
    )
    assessed_at = models.DateTimeField(_("beoordeeld op"), null=True, blank=True)
    assessment = models.TextField(_("beoordeling"), blank=True)
    proposal = models.CharField(_("voorstel"), max_length=10, choices=Proposal.choices, blank=True)
    proposed_amount = MoneyField(_("voorgesteld bedrag"), null=True, blank=True, **MONEY)
    # Second pair of eyes: the decision.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("besluit door"),
    )
    decided_at = models.DateTimeField(_("besloten op"), null=True, blank=True)
    decision_reason = models.TextField(_("motivering besluit"), blank=True)
    approved_amount = MoneyField(_("toegekend bedrag"), null=True, blank=True, **MONEY)
    conditions = models.TextField(_("voorwaarden"), blank=True)
    commitment_open = MoneyField(_("nog gereserveerd"), default=Decimal("0.00"), **MONEY)

    class Meta:
        verbose_name = _("aanvraag")
        verbose_name_plural = _("aanvragen")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["fund", "state"], name="fund_application_fund_state")]
        constraints = [
            FourEyes.four_eyes_constraint("fund_application_four_eyes", proposer="assessor"),
            models.UniqueConstraint(
                fields=["collective", "once_key"], name="fund_application_once_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class BudgetLine(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="budget_lines"
    )
    description = models.CharField(_("post"), max_length=200)
    amount = MoneyField(_("bedrag"), **MONEY)

    class Meta:
        verbose_name = _("begrotingspost")
        verbose_name_plural = _("begroting")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"applications/{instance.application.number}/{filename}"


class Attachment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("bestand"), upload_to=attachment_path)
    description = models.CharField(_("omschrijving"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("bijlage")
        verbose_name_plural = _("bijlagen")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.description or os.path.basename(self.file.name)


class GrantState(models.TextChoices):
    AWARDED = "awarded", _("Toegekend")
    PAYING = "paying", _("Deels uitbetaald")
    PAID = "paid", _("Uitbetaald")
    SETTLED = "settled", _("Afgerekend")


class Grant(models.Model):
    """A start-up grant from an approved application: awarded, paid in tranches, settled."""

    number = models.CharField(_("nummer"), max_length=20, unique=True)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="grant")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="grants")
    collective = models.ForeignKey(Collective, on_delete=models.PROTECT, related_name="grants")
    state = models.CharField(_("status"), max_length=10, choices=GrantState.choices)
    amount = MoneyField(_("toegekend bedrag"), **MONEY)
    paid = MoneyField(_("uitbetaald"), default=Decimal("0.00"), **MONEY)
    returned = MoneyField(_("terugbetaald"), default=Decimal("0.00"), **MONEY)
    released = MoneyField(_("vrijgevallen"), default=Decimal("0.00"), **MONEY)
    awarded_at = models.DateField(_("toegekend op"))
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    settled_at = models.DateField(_("afgerekend op"), null=True, blank=True)
    award_entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("subsidie")
        verbose_name_plural = _("subsidies")
        ordering = ["-awarded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.collective}"

    @property
    def unpaid(self) -> Money:
        return self.amount - self.paid


class PaymentState(models.TextChoices):
    PROPOSED = "proposed", _("Ter goedkeuring")
    APPROVED = "approved", _("Uitbetaald")
    REJECTED = "rejected", _("Afgewezen")


class GrantPayment(FourEyes):
    """A tranche, four-eyes: proposed by one manager, approved (and only then booked,
    ``entry``) or rejected by a different manager of the fund."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="payments")
    amount = MoneyField(_("bedrag"), **MONEY)
    date = models.DateField(_("datum"))
    description = models.CharField(_("omschrijving"), max_length=200, blank=True)
    state = models.CharField(
        _("status"), max_length=10, choices=PaymentState.choices, default=PaymentState.PROPOSED
    )
    entry = models.OneToOneField(
        "ledger.JournalEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Its own versions of the four-eyes fields: proposed_by may be empty (payments from
    # before four eyes got their creator), and there is no proposed_at (see created_at).
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("voorgesteld door"),
    )
    proposed_at = None
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("besluit door"),
    )
    decided_at = models.DateTimeField(_("besloten op"), null=True, blank=True)
    # The decision's reason, under its own column name.
    reason = models.TextField(_("motivering"), blank=True)
    decision_reason = None
    # The one-time key of the form that proposed it (docs/ledger.md, "Twice is once").
    once_key = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001 (NULL: no key, not unique)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name = _("subsidiebetaling")
        verbose_name_plural = _("subsidiebetalingen")
        ordering = ["date", "id"]
        constraints = [
            FourEyes.four_eyes_constraint("fund_grantpayment_four_eyes"),
            models.CheckConstraint(
                condition=Q(state="approved", entry__isnull=False)
                | (~Q(state="approved") & Q(entry__isnull=True)),
                name="fund_grantpayment_entry_iff_approved",
            ),
            models.UniqueConstraint(
                fields=["grant", "once_key"], name="fund_grantpayment_once_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grant.number}: {self.amount} ({self.date:%d-%m-%Y})"


class NumberSequence(models.Model):
    """Gap-free yearly numbers per prefix (A-2026-0001). Locked row per (prefix, year)."""

    prefix = models.CharField(max_length=5)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="fund_numbersequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"
