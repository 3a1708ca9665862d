"""Forms of the fund side. They parse and check input; the services decide and write."""

from __future__ import annotations

import csv
import unicodedata
import uuid
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import FileExtensionValidator
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ledger import clock
from ledger.money import AmountSyntaxError, parse_amount
from ledger.text import ascii_digits

from .models import (
    ApplicationKind,
    ApplicationState,
    Collective,
    CollectiveKind,
    Fund,
    GrantState,
    Investor,
    InvestorKind,
    Proposal,
)
from .services import COLLECTIVE_FIELDS
from .uploads import content_problem

SDG_FILE = Path(__file__).resolve().parent / "data" / "sdg.csv"
MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = ["pdf", "odt", "ods", "docx", "xlsx", "png", "jpg", "jpeg", "txt", "csv"]


# --- building blocks -----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _sdg_names() -> dict[int, dict[str, str]]:
    with SDG_FILE.open(encoding="utf-8") as handle:
        return {int(row["number"]): row for row in csv.DictReader(handle)}


def sdg_name(number: int, language: str | None = None) -> str:
    """Name of SDG ``number`` in the active language (Dutch unless English is active)."""
    language = (language or get_language() or "nl")[:2]
    row = _sdg_names().get(number)
    if row is None:
        return str(number)
    return row["en"] if language == "en" else row["nl"]


def sdg_choices() -> list[tuple[int, str]]:
    return [(number, f"{number}. {sdg_name(number)}") for number in sorted(_sdg_names())]


def sdg_list(numbers) -> list[dict]:
    """``[3, 7]`` as ``[{"number": 3, "name": ...}, ...]`` for detail pages."""
    return [{"number": n, "name": sdg_name(n)} for n in sorted(numbers or [])]


class DateInput(forms.DateInput):
    """A native date picker; its value must be ISO whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AmountInput(forms.TextInput):
    """A text box for an amount: shows ``91.000,00`` in Dutch and ``91,000.00`` in English.

    Not ``<input type=number>``: browsers read ``60.000,00`` there as 60 and refuse a comma.
    """

    def __init__(self, attrs=None):
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal):
            return number_format(value, 2, use_l10n=True, force_grouping=True)
        return super().format_value(value)


class AmountField(forms.DecimalField):
    """An amount typed the way the user's language writes it (:func:`ledger.money.parse_amount`):
    ``60.000,00``, ``60000,00`` or ``60000.00``; ambiguous text and sub-cent amounts are
    refused with a message, never rounded."""

    widget = AmountInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_amount(str(value), get_language() or "nl", self.decimal_places or 2)
        except AmountSyntaxError as error:
            raise forms.ValidationError(str(error), code="invalid") from error


class DecimalInput(forms.TextInput):
    """A text box for a rate or a measure (``2,5`` in Dutch, ``2.5`` in English).

    Not ``<input type=number>``: a Dutch browser turned ``2,5`` into 25 there without a word.
    """

    def __init__(self, attrs=None):
        super().__init__(attrs={"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal):
            text = format(value.normalize(), "f")
            return text.replace(".", ",") if (get_language() or "nl")[:2] == "nl" else text
        return super().format_value(value)


class DecimalTextField(forms.DecimalField):
    """A rate or a measure as people type it: one decimal separator, a comma or a point (no
    thousands grouping: ``2,5`` and ``2.5`` are both two and a half; ``1.000`` is refused as
    ambiguous); a trailing ``%`` is allowed. More decimals than the field keeps are refused."""

    widget = DecimalInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        text = str(value).strip().removesuffix("%").strip().replace("\u00a0", "")
        if text.count(",") + text.count(".") > 1:
            raise forms.ValidationError(
                _("Typ één decimaalteken, bijvoorbeeld 2,5."), code="invalid"
            )
        text = text.replace(",", ".")
        digits = text.lstrip("+-")
        if not digits or not all(c.isdigit() or c == "." for c in digits) or digits == ".":
            raise forms.ValidationError(
                _("Dit is geen getal; typ bijvoorbeeld 2,5."), code="invalid"
            )
        digits = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in digits)
        number = Decimal(("-" if text.startswith("-") else "") + digits)
        places = -number.as_tuple().exponent if number.as_tuple().exponent < 0 else 0
        if self.decimal_places is not None and places > self.decimal_places:
            raise forms.ValidationError(
                _("Hoogstens %(n)d cijfers achter de komma.") % {"n": self.decimal_places},
                code="invalid",
            )
        return number


def money_field(label, *, required: bool = True, min_value: str = "0.01", **kwargs):
    return AmountField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(min_value),
        required=required,
        **kwargs,
    )


class OnceKeyForm(forms.Form):
    """A form that moves money carries a one-time key, made when the form is shown.

    The view passes ``once_key`` to the service as the posting's idempotency key, so a double
    click, a retry after a time-out or a resubmitted page gives the first result instead of a
    second posting (docs/ledger.md, "Twice is once").
    """

    once = forms.UUIDField(
        widget=forms.HiddenInput,
        initial=uuid.uuid4,
        error_messages={
            "required": _(
                "Dit formulier is onvolledig verstuurd; controleer de gegevens en verstuur het "
                "opnieuw."
            ),
            "invalid": _(
                "Dit formulier is onvolledig verstuurd; controleer de gegevens en verstuur het "
                "opnieuw."
            ),
        },
    )

    def full_clean(self):
        super().full_clean()
        if self.is_bound and "once" in self._errors:
            # The page is shown again with a fresh key, so the next submission can go through.
            self.data = self.data.copy()
            self.data[self.add_prefix("once")] = str(uuid.uuid4())

    @property
    def once_key(self) -> str | None:
        once = self.cleaned_data.get("once")
        return f"once:{once}" if once else None


def date_field(label, **kwargs):
    return forms.DateField(label=label, initial=clock.today, widget=DateInput(), **kwargs)


def text_area(rows: int = 4):
    return forms.Textarea(attrs={"rows": rows})


class SdgForm(forms.Form):
    """The SDGs as checkboxes 1-17; rendered in its own fieldset (fund/_sdgs.html)."""

    sdgs = forms.TypedMultipleChoiceField(
        label=_("Duurzame ontwikkelingsdoelen (SDG's)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sdgs"].choices = sdg_choices()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


def _check_upload(upload) -> None:
    FileExtensionValidator(ATTACHMENT_EXTENSIONS)(upload)
    if upload.size > MAX_ATTACHMENT_SIZE:
        raise forms.ValidationError(
            _("%(name)s is groter dan %(max)s.")
            % {"name": upload.name, "max": filesizeformat(MAX_ATTACHMENT_SIZE)}
        )
    problem = content_problem(upload)
    if problem:
        raise forms.ValidationError(problem)


class AttachmentForm(forms.Form):
    files = MultipleFileField(
        label=_("Bijlagen"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Filled in per request, so that it follows the active language.
        self.fields["files"].help_text = _(
            "Bijvoorbeeld een begroting, offerte of statuten. Toegestaan: %(types)s; "
            "hoogstens %(max)s per bestand."
        ) % {"types": ", ".join(ATTACHMENT_EXTENSIONS), "max": filesizeformat(MAX_ATTACHMENT_SIZE)}

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        for upload in files:
            _check_upload(upload)
        return files


# --- list filters (GET) --------------------------------------------------------------------


ALL = _("Alle")


def _with_all(choices):
    return [("", ALL), *choices]


class FundFilterForm(forms.Form):
    """A list filter with a fund choice (last), limited to the funds the user may see."""

    fund = forms.ModelChoiceField(
        label=_("Fonds"),
        required=False,
        queryset=Fund.objects.none(),
        to_field_name="slug",
        empty_label=ALL,
    )

    def __init__(self, *args, funds=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields([name for name in self.fields if name != "fund"] + ["fund"])
        if funds is not None:
            self.fields["fund"].queryset = funds


class ApplicationFilterForm(FundFilterForm):
    q = forms.CharField(label=_("Zoeken"), required=False)
    state = forms.ChoiceField(
        label=_("Status"), required=False, choices=_with_all(ApplicationState.choices)
    )
    kind = forms.ChoiceField(
        label=_("Soort"), required=False, choices=_with_all(ApplicationKind.choices)
    )


class CollectiveFilterForm(forms.Form):
    q = forms.CharField(label=_("Zoeken"), required=False)
    kind = forms.ChoiceField(
        label=_("Soort"), required=False, choices=_with_all(CollectiveKind.choices)
    )
    municipality = forms.ChoiceField(label=_("Gemeente"), required=False)
    verified = forms.ChoiceField(
        label=_("Geverifieerd"),
        required=False,
        choices=[("", ALL), ("yes", _("Ja")), ("no", _("Nee"))],
    )

    def __init__(self, *args, municipalities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].choices = _with_all([(m, m) for m in municipalities])


class GrantFilterForm(FundFilterForm):
    q = forms.CharField(label=_("Zoeken"), required=False)
    state = forms.ChoiceField(
        label=_("Status"), required=False, choices=_with_all(GrantState.choices)
    )


class InvestorFilterForm(forms.Form):
    q = forms.CharField(label=_("Zoeken"), required=False)
    kind = forms.ChoiceField(
        label=_("Soort"), required=False, choices=_with_all(InvestorKind.choices)
    )


def _normalize_iban(value: str) -> str:
    return "".join(value.split()).upper()


# --- capital -------------------------------------------------------------------------------


class InvestorForm(forms.ModelForm):
    class Meta:
        model = Investor
        fields = ["code", "name", "kind", "contact_name", "email", "phone", "iban", "language"]
        help_texts = {"code": _("Korte unieke code, bijvoorbeeld INV-BZK.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Dutch unless asked: a form posted without the field keeps the default.
        self.fields["language"].required = False

    def clean_iban(self):
        return _normalize_iban(self.cleaned_data["iban"])

    def clean_language(self):
        return self.cleaned_data.get("language") or "nl"


class CommitmentForm(OnceKeyForm):
    investor = forms.ModelChoiceField(label=_("Investeerder"), queryset=Investor.objects.all())
    compartment = forms.ModelChoiceField(label=_("Compartiment"), queryset=None)
    amount = money_field(_("Toegezegd bedrag (€)"))
    date = date_field(_("Datum toezegging"))
    reference = forms.CharField(label=_("Kenmerk"), max_length=100, required=False)

    def __init__(self, *args, fund: Fund, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["compartment"]
        field.queryset = fund.compartments.all()
        field.label_from_instance = lambda c: c.get_kind_display()


class ContributionForm(OnceKeyForm):
    amount = money_field(_("Gestort bedrag (€)"))
    date = date_field(_("Datum storting"))


# --- collectives ---------------------------------------------------------------------------


class CollectiveForm(forms.ModelForm):
    """Registration and changes of a collective (all fields but the SDGs, see SdgForm)."""

    class Meta:
        model = Collective
        fields = [name for name in COLLECTIVE_FIELDS if name != "sdgs"]
        help_texts = {
            "kvk_number": _("8 cijfers, zoals in het Handelsregister."),
            "iban": _("De rekening waarop subsidies en leningen worden uitbetaald."),
            "members_count": _("Aantal leden of deelnemers van het collectief."),
        }

    def clean_iban(self):
        return _normalize_iban(self.cleaned_data["iban"])

    def clean_kvk_number(self):
        return ascii_digits(self.cleaned_data["kvk_number"])


class CollectiveRegisterForm(CollectiveForm):
    """A manager registering for someone else names the contact user (optional)."""

    contact_user = forms.CharField(
        label=_("Contactpersoon (gebruikersnaam of e-mail)"),
        required=False,
        help_text=_(
            "Deze gebruiker wordt contactpersoon van het collectief. Laat leeg om "
            "later iemand te koppelen."
        ),
    )

    class Meta(CollectiveForm.Meta):
        pass

    def __init__(self, *args, for_someone: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not for_someone:
            del self.fields["contact_user"]

    def clean_contact_user(self):
        value = self.cleaned_data.get("contact_user", "").strip()
        if not value:
            return None
        users = get_user_model().objects.filter(
            Q(username__iexact=value) | Q(email__iexact=value), is_active=True
        )
        if users.count() != 1:
            raise forms.ValidationError(
                _("Geen (unieke) actieve gebruiker met deze naam of e-mail.")
            )
        return users.get()


# --- applications --------------------------------------------------------------------------


class ApplicationForm(forms.Form):
    """The editable part of an application (``fund.services.EDITABLE_FIELDS`` minus SDGs)."""

    title = forms.CharField(label=_("Titel"), max_length=200)
    purpose = forms.CharField(
        label=_("Doel"),
        widget=text_area(6),
        help_text=_("Wat gaat het collectief doen, voor wie, en wat levert het op?"),
    )
    amount_requested = money_field(_("Gevraagd bedrag (€)"))
    term_months = forms.IntegerField(
        label=_("Looptijd (maanden)"),
        required=False,
        min_value=1,
        max_value=360,
        help_text=_("Verplicht bij een lening."),
    )
    households_reached = forms.IntegerField(
        label=_("Bereikte huishoudens"), required=False, min_value=0
    )
    kwh_per_year = forms.IntegerField(label=_("kWh per jaar"), required=False, min_value=0)
    volunteers = forms.IntegerField(label=_("Vrijwilligers"), required=False, min_value=0)
    co2_tonnes_per_year = DecimalTextField(
        label=_("CO₂-reductie (ton per jaar)"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=1,
    )


class ApplicationCreateForm(OnceKeyForm, ApplicationForm):
    collective = forms.ModelChoiceField(
        label=_("Collectief"),
        queryset=Collective.objects.none(),
        help_text=_("Indienen kan zodra een fondsbeheerder het collectief heeft geverifieerd."),
    )
    fund = forms.ModelChoiceField(label=_("Fonds"), queryset=Fund.objects.all())
    kind = forms.ChoiceField(label=_("Soort aanvraag"), choices=ApplicationKind.choices)

    field_order = ["collective", "fund", "kind"]

    def __init__(self, *args, collectives, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collective"].queryset = collectives
        if len(collectives) == 1:
            self.fields["collective"].initial = collectives[0].pk
            self.fields["collective"].empty_label = None  # nothing to choose


class BudgetLineForm(forms.Form):
    description = forms.CharField(label=_("Post"), max_length=200)
    amount = money_field(_("Bedrag (€)"))


BudgetFormSet = forms.formset_factory(BudgetLineForm, extra=5, max_num=50)
BudgetEditFormSet = forms.formset_factory(BudgetLineForm, extra=3, can_delete=True, max_num=50)


def budget_lines(formset) -> list[tuple[str, Decimal]]:
    """The filled, not deleted rows of a valid budget formset."""
    return [
        (form.cleaned_data["description"], form.cleaned_data["amount"])
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class AssessForm(forms.Form):
    """First pair of eyes: the assessment and a proposal."""

    proposal = forms.ChoiceField(label=_("Voorstel"), choices=Proposal.choices)
    assessment = forms.CharField(label=_("Beoordeling"), widget=text_area(8))
    amount = money_field(
        _("Voorgesteld bedrag (€)"),
        required=False,
        help_text=_("Nodig bij een voorstel tot toekennen."),
    )
    conditions = forms.CharField(label=_("Voorwaarden"), widget=text_area(3), required=False)

    def clean(self):
        data = super().clean()
        if data.get("proposal") == Proposal.APPROVE and data.get("amount") is None:
            self.add_error("amount", _("Noem het bedrag dat u voorstelt toe te kennen."))
        return data


class DecideForm(forms.Form):
    """Second pair of eyes: approve or reject, with reasons."""

    # No decision is preselected: the second pair of eyes chooses one.
    decision = forms.ChoiceField(
        label=_("Besluit"), choices=[("", _("Kies een besluit")), *Proposal.choices]
    )
    reason = forms.CharField(label=_("Motivering"), widget=text_area(5))
    amount = money_field(
        _("Toegekend bedrag (€)"),
        required=False,
        help_text=_(
            "Het voorgestelde bedrag staat ingevuld; pas het aan om een ander bedrag toe te "
            "kennen. Leeg: het voorgestelde bedrag."
        ),
    )
    conditions = forms.CharField(label=_("Voorwaarden"), widget=text_area(3), required=False)


class GrantAwardForm(forms.Form):
    date = date_field(_("Datum toekenning"))


class GrantPayForm(OnceKeyForm):
    amount = money_field(_("Bedrag (€)"))
    date = date_field(_("Betaaldatum"))
    description = forms.CharField(
        label=_("Omschrijving"),
        max_length=200,
        required=False,
        help_text=_("Bijv. eerste tranche."),
    )


class GrantPaymentDecideForm(forms.Form):
    """Second pair of eyes on a proposed grant payment: approve, or reject with a reason."""

    decision = forms.ChoiceField(choices=Proposal.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reden van afwijzing"), widget=text_area(2), required=False, max_length=2000
    )


class GrantSettleForm(forms.Form):
    returned = money_field(
        _("Terugbetaald door het collectief (€)"),
        min_value="0",
        initial=Decimal("0.00"),
        help_text=_("Niet bestede subsidie die het collectief heeft teruggestort; anders 0."),
    )
    date = date_field(_("Datum afrekening"))
