"""Forms of the loans pages. They parse and check input; :mod:`loans.services` decides and
writes (limits of the product, the pool, four eyes and the state of a loan are its job)."""

from __future__ import annotations

import itertools
from decimal import Decimal

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from fund.forms import (
    ALL,
    AmountField,
    DateInput,
    DecimalTextField,
    FundFilterForm,
    OnceKeyForm,
    date_field,
    money_field,
    text_area,
)
from fund.models import Fund
from ledger import clock
from ledger.money import format_amount

from .exceptions import LoanError
from .models import ArrearsBucket, ChangeKind, DisposalKind, LoanProduct, LoanState
from .schedule import DayCount, Frequency, GraceInterest, InterestMethod, Method
from .services import TERM_FIELDS, bank_csv_lines

MAX_CSV_SIZE = 2 * 1024 * 1024

METHOD_CHOICES = [
    (Method.ANNUITY.value, _("Annuïteit (gelijke termijnen)")),
    (Method.LINEAR.value, _("Lineair (gelijke aflossing)")),
    (Method.BULLET.value, _("Aflossing ineens aan het eind")),
]
FREQUENCY_CHOICES = [
    (Frequency.MONTHLY.value, _("Per maand")),
    (Frequency.QUARTERLY.value, _("Per kwartaal")),
    (Frequency.SEMI_ANNUAL.value, _("Per half jaar")),
    (Frequency.ANNUAL.value, _("Per jaar")),
]
INTEREST_CHOICES = [
    (InterestMethod.PERIOD.value, _("Per termijn (jaarrente / termijnen per jaar)")),
    (InterestMethod.DAILY.value, _("Per dag (volgens de dagtelling)")),
]
DAY_COUNT_CHOICES = [(d.value, d.value) for d in DayCount]
GRACE_INTEREST_CHOICES = [
    ("", _("Niet van toepassing")),
    (GraceInterest.CAPITALISE.value, _("Bijschrijven op de hoofdsom")),
    (GraceInterest.DEFER.value, _("Uitstellen tot de eerste betaling")),
]
OVERPAYMENT_CHOICES = [
    ("shorten", _("Looptijd korter (termijnbedrag blijft)")),
    ("lower", _("Termijnbedrag lager (looptijd blijft)")),
]

# Labels of the schedule conventions, for the loan page.
TERM_LABELS = {
    "method": dict(METHOD_CHOICES),
    "frequency": dict(FREQUENCY_CHOICES),
    "interest": dict(INTEREST_CHOICES),
    "grace_interest": dict(GRACE_INTEREST_CHOICES),
}


def _with_all(choices):
    return [("", ALL), *choices]


def plain_rate(rate: Decimal) -> Decimal:
    """``2.500000`` as ``2.5`` for a form field (rates are stored with six places)."""
    text = f"{rate:f}"
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


def rate_field(label, *, required: bool = True, **kwargs):
    return DecimalTextField(
        label=label,
        max_digits=9,
        decimal_places=6,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        required=required,
        **kwargs,
    )


# --- list filters (GET) --------------------------------------------------------------------


class LoanFilterForm(FundFilterForm):
    q = forms.CharField(label=_("Zoeken"), required=False)
    state = forms.ChoiceField(
        label=_("Status"), required=False, choices=_with_all(LoanState.choices)
    )
    bucket = forms.ChoiceField(
        label=_("Achterstand"), required=False, choices=_with_all(ArrearsBucket.choices)
    )


class ReceiptFilterForm(FundFilterForm):
    OPEN, MATCHED, EVERY = "open", "matched", "all"
    show = forms.ChoiceField(
        label=_("Tonen"),
        required=False,
        choices=[
            (OPEN, _("Nog niet toegewezen")),
            (MATCHED, _("Afgehandeld")),
            (EVERY, _("Alle")),
        ],
    )


class QuoteForm(forms.Form):
    """The date of an early-settlement quote (GET on the loan page)."""

    quote_date = forms.DateField(label=_("Aflossen per"), widget=DateInput())


class PortfolioForm(forms.Form):
    as_of = forms.DateField(label=_("Stand per"), required=False, widget=DateInput())
    year = forms.IntegerField(
        label=_("Stromen in jaar"), required=False, min_value=2000, max_value=2100
    )

    def clean_as_of(self):
        as_of = self.cleaned_data.get("as_of")
        if as_of and as_of > clock.today():
            raise forms.ValidationError(_("Een stand na vandaag is er nog niet."))
        return as_of


# --- contract ------------------------------------------------------------------------------


class ProductChoiceForm(forms.Form):
    """Which product's terms to start from (GET: reloads the contract form)."""

    product = forms.ModelChoiceField(label=_("Leningproduct"), queryset=LoanProduct.objects.none())

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products


class LoanContractForm(forms.Form):
    """The contract of an approved loan application; the terms start as the product's."""

    product = forms.ModelChoiceField(queryset=LoanProduct.objects.none(), widget=forms.HiddenInput)
    date = date_field(_("Contractdatum"))
    principal = money_field(_("Hoofdsom (€)"), help_text=_("Ten hoogste het toegekende bedrag."))
    periods = forms.IntegerField(
        label=_("Aantal termijnen"),
        required=False,
        min_value=1,
        max_value=600,
        help_text=_("Leeg: de looptijd van de aanvraag."),
    )
    first_due = forms.DateField(
        label=_("Eerste vervaldatum"),
        required=False,
        widget=DateInput(),
        help_text=_("Leeg: één termijn na de contractdatum."),
    )
    annual_rate = rate_field(_("Rente (% per jaar)"))
    method = forms.ChoiceField(label=_("Aflosmethode"), choices=METHOD_CHOICES)
    frequency = forms.ChoiceField(label=_("Betaalfrequentie"), choices=FREQUENCY_CHOICES)
    interest = forms.ChoiceField(label=_("Renteberekening"), choices=INTEREST_CHOICES)
    day_count = forms.ChoiceField(label=_("Dagtelling"), choices=DAY_COUNT_CHOICES)
    grace_principal = forms.IntegerField(
        label=_("Aflossingsvrije termijnen"), min_value=0, max_value=120
    )
    grace_full = forms.IntegerField(label=_("Betalingsvrije termijnen"), min_value=0, max_value=120)
    grace_interest = forms.ChoiceField(
        label=_("Rente in betalingsvrije termijnen"),
        choices=GRACE_INTEREST_CHOICES,
        required=False,
    )
    due_day = forms.IntegerField(
        label=_("Vervaldag in de maand"),
        required=False,
        min_value=1,
        max_value=31,
        help_text=_("Leeg: de dag van de eerste vervaldatum."),
    )

    # Conventions passed to loan_contract as term overrides (the rest stays the product's).
    TERMS = (
        "annual_rate",
        "method",
        "frequency",
        "interest",
        "day_count",
        "grace_principal",
        "grace_full",
        "grace_interest",
        "due_day",
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products

    @classmethod
    def initial_for(cls, product: LoanProduct, principal: Decimal) -> dict:
        initial = {name: getattr(product, name) for name in cls.TERMS if name in TERM_FIELDS}
        initial.update(
            product=product.pk, annual_rate=plain_rate(product.annual_rate), principal=principal
        )
        return initial

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        terms = {name: data[name] for name in self.TERMS if data.get(name) is not None}
        return {
            "product": data["product"],
            "date": data["date"],
            "principal": data["principal"],
            "periods": data["periods"],
            "first_due": data["first_due"],
            **terms,
        }


# --- servicing -----------------------------------------------------------------------------


class DisburseForm(OnceKeyForm):
    """A tranche proposal: a second manager approves it before it is paid out and booked."""

    amount = money_field(_("Bedrag (€)"))
    date = date_field(_("Datum uitbetaling"))
    milestone = forms.CharField(
        label=_("Mijlpaal"),
        max_length=200,
        required=False,
        help_text=_("Bijv. 'panelen geleverd'."),
    )
    invoice_reference = forms.CharField(label=_("Factuur"), max_length=100, required=False)
    reason = forms.CharField(
        label=_("Toelichting voor wie goedkeurt"), widget=text_area(2), required=False
    )


class RepaymentForm(OnceKeyForm):
    amount = money_field(_("Ontvangen bedrag (€)"))
    value_date = date_field(_("Valutadatum"))
    reference = forms.CharField(label=_("Kenmerk"), max_length=140, required=False)
    bank_reference = forms.CharField(label=_("Bankkenmerk"), max_length=100, required=False)
    overpayment = forms.ChoiceField(
        label=_("Bij vervroegde aflossing"),
        choices=OVERPAYMENT_CHOICES,
        initial="shorten",
        help_text=_(
            "Wat er meer is betaald dan er openstaat en dan de volgende termijn vraagt, lost "
            "vervroegd af."
        ),
    )
    # Shown only when the same amount with the same value date is already booked on the loan:
    # a payment typed in again after Back is not a second payment unless someone says so.
    also_if_twin = forms.BooleanField(
        label=_("Het is een tweede betaling: toch boeken"),
        required=False,
        widget=forms.HiddenInput,
    )

    def ask_about_twin(self, twin) -> None:
        self.fields["also_if_twin"].widget = forms.CheckboxInput()
        self.add_error(
            "also_if_twin",
            _(
                "Op %(when)s is al een aflossing van %(amount)s met valutadatum %(date)s op "
                "deze lening geboekt. Is dit een tweede betaling, vink dan aan en boek opnieuw."
            )
            % {
                "when": formats.date_format(
                    timezone.localtime(twin.created_at), "SHORT_DATETIME_FORMAT"
                ),
                "amount": format_amount(twin.amount),
                "date": formats.date_format(twin.value_date, "SHORT_DATE_FORMAT"),
            },
        )


class ChangeWithdrawForm(forms.Form):
    """The proposer's own page: no decision, only taking the proposal back."""

    withdraw = forms.BooleanField(
        label=_("Ik trek mijn voorstel in"),
        error_messages={"required": _("Vink aan dat u het voorstel intrekt.")},
    )
    reason = forms.CharField(label=_("Reden van intrekken"), widget=text_area(3))


class RepaymentReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reden"), widget=text_area(3))
    date = forms.DateField(
        label=_("Datum tegenboeking"),
        required=False,
        widget=DateInput(),
        help_text=_("Leeg: de valutadatum van de aflossing."),
    )


class ReceiptMatchForm(forms.Form):
    loan = forms.ModelChoiceField(label=_("Lening"), queryset=None, to_field_name="number")
    overpayment = forms.ChoiceField(
        label=_("Bij vervroegde aflossing"), choices=OVERPAYMENT_CHOICES, initial="shorten"
    )

    def __init__(self, *args, loans, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["loan"]
        field.queryset = loans
        field.label_from_instance = lambda loan: f"{loan.number} · {loan.collective.name}"


class ReceiptDisposalForm(OnceKeyForm):
    """A receipt that is no loan's repayment: refund it, or book it as capital paid in.
    A second manager approves before anything is booked."""

    kind = forms.ChoiceField(
        label=_("Wat gebeurt er met de ontvangst?"),
        choices=DisposalKind.choices,
        widget=forms.RadioSelect,
        initial=DisposalKind.REFUND,
    )
    iban = forms.CharField(
        label=_("Terugbetalen naar IBAN"),
        max_length=42,
        required=False,
        help_text=_("Bij terugbetalen: de rekening van de betaler."),
    )
    name = forms.CharField(label=_("Naam rekeninghouder"), max_length=140, required=False)
    commitment = forms.ModelChoiceField(
        label=_("Storting onder toezegging"),
        queryset=None,
        required=False,
        help_text=_("Bij een storting: de toezegging van de financier (revolverend)."),
    )
    reason = forms.CharField(label=_("Motivering"), widget=text_area(3))

    def __init__(self, *args, commitments, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["commitment"]
        field.queryset = commitments
        field.label_from_instance = lambda c: f"{c.investor.name} · {c.compartment}"

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == DisposalKind.REFUND:
            for name in ("iban", "name"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("Nodig om terug te betalen."))
        elif kind == DisposalKind.CONTRIBUTION and not data.get("commitment"):
            self.add_error("commitment", _("Kies de toezegging waaronder gestort is."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "reason": data["reason"],
            "iban": data.get("iban") or "",
            "name": data.get("name") or "",
            "commitment": data.get("commitment"),
            "idempotency_key": self.once_key,
        }


class RepaymentsImportForm(forms.Form):
    """A bank export (CSV); its lines are parsed here, the service matches and books them."""

    fund = forms.ModelChoiceField(label=_("Fonds"), queryset=Fund.objects.none())
    file = forms.FileField(
        label=_("Bankafschrift (CSV)"),
        help_text=_(
            "Met kopregel; kolommen datum, bedrag, omschrijving, tegenrekening, naam en "
            "transactiereferentie (of Engelse namen). Komma of puntkomma."
        ),
    )
    overpayment = forms.ChoiceField(
        label=_("Bij vervroegde aflossing"), choices=OVERPAYMENT_CHOICES, initial="shorten"
    )

    def __init__(self, *args, funds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = funds
        if len(funds) == 1:
            self.fields["fund"].initial = funds[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_SIZE:
            raise forms.ValidationError(_("Het bestand is te groot (hoogstens 2 MB)."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(_("Het bestand is geen UTF-8-tekst.")) from error
        try:
            self.cleaned_data["lines"] = bank_csv_lines(text)
        except (LoanError, ValueError) as error:
            raise forms.ValidationError(
                _("Het bestand is niet te lezen: %(error)s") % {"error": error}
            ) from error
        return upload


# --- four-eyes changes ---------------------------------------------------------------------


class ChangeForm(forms.Form):
    """What every proposal has: the date it takes effect and the reasons."""

    kind: str = ""
    effective_date = date_field(_("Ingangsdatum"))
    reason = forms.CharField(label=_("Motivering"), widget=text_area(4))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": self.kind,
            "effective_date": data["effective_date"],
            "reason": data["reason"],
            **self.params(),
        }

    def params(self) -> dict:
        return {}


class RestructureForm(ChangeForm):
    kind = ChangeKind.RESTRUCTURE.value
    annual_rate = rate_field(_("Nieuwe rente (% per jaar)"), required=False)
    periods = forms.IntegerField(
        label=_("Resterende termijnen"),
        required=False,
        min_value=1,
        max_value=600,
        help_text=_("Aantal termijnen vanaf de ingangsdatum; leeg laat de looptijd gelijk."),
    )
    grace_principal = forms.IntegerField(
        label=_("Aflossingsvrije termijnen"), required=False, min_value=0, max_value=120
    )
    capitalise_arrears = forms.BooleanField(
        label=_("Achterstand bijschrijven op de hoofdsom"), required=False
    )

    def clean(self):
        data = super().clean()
        changes = [data.get(n) for n in ("annual_rate", "periods", "grace_principal")]
        if all(v is None for v in changes) and not data.get("capitalise_arrears"):
            raise forms.ValidationError(_("Geef aan wat er verandert."))
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        return {
            "annual_rate": data["annual_rate"],
            "periods": data["periods"],
            "grace_principal": data["grace_principal"],
            "capitalise_arrears": data["capitalise_arrears"],
        }


class WriteOffForm(ChangeForm):
    kind = ChangeKind.WRITE_OFF.value
    amount = money_field(
        _("Af te schrijven hoofdsom (€)"),
        required=False,
        help_text=_("Leeg: de hele lening afschrijven (de lening wordt gesloten)."),
    )
    include_interest = forms.BooleanField(
        label=_("Ook de achterstallige rente afschrijven"), required=False, initial=True
    )

    def params(self) -> dict:
        data = self.cleaned_data
        return {"amount": data["amount"], "include_interest": data["include_interest"]}


class ConversionForm(ChangeForm):
    kind = ChangeKind.CONVERSION.value


CHANGE_FORMS = {
    ChangeKind.RESTRUCTURE: RestructureForm,
    ChangeKind.WRITE_OFF: WriteOffForm,
    ChangeKind.CONVERSION: ConversionForm,
}


class ChangeDecideForm(forms.Form):
    APPROVE, REJECT = "approve", "reject"
    decision = forms.ChoiceField(
        label=_("Besluit"),
        choices=[
            ("", _("Kies een besluit")),
            (APPROVE, _("Goedkeuren en uitvoeren")),
            (REJECT, _("Afwijzen")),
        ],
    )
    reason = forms.CharField(label=_("Motivering"), widget=text_area(4))


class LoanProductForm(forms.ModelForm):
    """A fund's loan product: defaults and limits of its contracts."""

    class Meta:
        model = LoanProduct
        fields = [
            "code",
            "name",
            "annual_rate",
            "max_term_months",
            "max_amount",
            "method",
            "frequency",
            "interest",
            "day_count",
            "grace_principal",
            "grace_full",
            "grace_interest",
            "decimals",
            "rounding",
            "instalment_multiple",
            "allocation_order",
            "allocation_mode",
            "success_premium_pct",
            "penalty_rate",
        ]
        help_texts = {
            "grace_interest": _(
                "Alleen bij betalingsvrije termijnen: rente bijschrijven of uitstellen."
            ),
        }
        field_classes = {
            "annual_rate": DecimalTextField,
            "success_premium_pct": DecimalTextField,
            "penalty_rate": DecimalTextField,
            "max_amount": AmountField,
            "instalment_multiple": AmountField,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = METHOD_CHOICES
        self.fields["frequency"].choices = FREQUENCY_CHOICES
        self.fields["interest"].choices = INTEREST_CHOICES
        self.fields["day_count"].choices = DAY_COUNT_CHOICES
        self.fields["grace_interest"].choices = [("", "—"), *GRACE_INTEREST_CHOICES]
        # The order is stored in the allocation engine's codes; people choose it in words.
        words = {"fee": _("kosten"), "interest": _("rente"), "principal": _("aflossing")}
        self.fields["allocation_order"] = forms.ChoiceField(
            label=_("Toerekeningsvolgorde"),
            choices=[
                (",".join(order), ", ".join(str(words[c]) for c in order))
                for order in itertools.permutations(("fee", "interest", "principal"))
            ],
            initial="fee,interest,principal",
            help_text=_("Waar een betaling het eerst aan wordt toegerekend."),
        )
