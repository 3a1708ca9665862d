"""The collectives' statements as PDF downloads: the loan statement (rekeningoverzicht) of any
period and the yearly interest statement (jaaropgave) of a loan.

Who may download them is who may see the loan (:func:`loans.selectors.loans_for`): the
members of the collective, the managers of the fund and the auditors; for anyone else the
loan does not exist (404). The figures are made by :mod:`reports.loan_statements`, the PDF by
:mod:`reports.pdf`, in the reader's language (Dutch unless it is English).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from ledger import clock
from loans.models import Loan
from loans.selectors import loans_for

from .loan_statements import (
    interest_statement,
    loan_statement,
    statement_start,
    statement_years,
)
from .pdf import language_of, pdf_response, render_pdf

DATE_FORMATS = ["%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y"]  # 28-11-2026, 2026-11-28, 28/11/2026


class PeriodForm(forms.Form):
    van = forms.DateField(label=gettext_lazy("Van"), required=False, input_formats=DATE_FORMATS)
    tot = forms.DateField(
        label=gettext_lazy("Tot en met"), required=False, input_formats=DATE_FORMATS
    )

    def __init__(self, *args, loan: Loan, **kwargs):
        super().__init__(*args, **kwargs)
        self.loan = loan

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["van"] = data.get("van") or statement_start(self.loan)
        data["tot"] = data.get("tot") or clock.today()
        if data["van"] > data["tot"]:
            raise forms.ValidationError(
                _("De begindatum (%(van)s) ligt na de einddatum (%(tot)s).")
                % {
                    "van": date_format(data["van"], "SHORT_DATE_FORMAT"),
                    "tot": date_format(data["tot"], "SHORT_DATE_FORMAT"),
                }
            )
        return data


def _loan(request, number) -> Loan:
    return get_object_or_404(
        loans_for(request.user).select_related("fund__book", "collective", "product"),
        number=number,
    )


def _refusal(request, loan: Loan, title: str, message: str, status: int):
    """A page that says why there is no document, with the way back to the loan."""
    context = {"loan": loan, "form": None, "title": title, "help": message}
    return render(request, "loans/loan_action.html", context, status=status)


def _language(request) -> str:
    return language_of(getattr(request, "LANGUAGE_CODE", None))


def _date_errors(form: PeriodForm) -> str:
    labels = {"van": _("Van"), "tot": _("Tot en met")}
    parts = []
    for field, errors in form.errors.items():
        for error in errors:
            if field in labels:
                parts.append(
                    _("%(field)s: %(error)s Schrijf de datum als 28-11-2026.")
                    % {"field": labels[field], "error": error}
                )
            else:
                parts.append(str(error))
    return " ".join(parts)


@require_safe
@login_required
def loan_statement_pdf(request, number):
    """The loan statement as a PDF; ``?van=`` and ``?tot=`` (28-11-2026 or 2026-11-28) say
    the period, by default from the first disbursement to today."""
    loan = _loan(request, number)
    form = PeriodForm(request.GET, loan=loan)
    if not form.is_valid():
        return _refusal(request, loan, _("Rekeningoverzicht"), _date_errors(form), 400)
    date_from, date_to = form.cleaned_data["van"], form.cleaned_data["tot"]
    statement = loan_statement(loan, date_from, date_to)
    language = _language(request)
    context = {
        "s": statement,
        "loan": loan,
        "document_title": gettext_lazy("Rekeningoverzicht"),  # read in the PDF's language
        "document_subject": loan.collective.name,
        "document_number": f"{loan.number} · {date_from:%d-%m-%Y} – {date_to:%d-%m-%Y}",
    }
    content = render_pdf("reports/pdf/loan_statement.html", context, language=language)
    return pdf_response(
        content,
        f"rekeningoverzicht-{loan.number}-{date_from.isoformat()}-{date_to.isoformat()}.pdf",
    )


@require_safe
@login_required
def interest_statement_pdf(request, number, year):
    """The jaaropgave of one year as a PDF: for the years from the loan's start to this
    year (another year: a 404 that says which years there are)."""
    loan = _loan(request, number)
    years = statement_years(loan)
    if year not in years:
        message = _(
            "Een jaaropgave van lening %(number)s is er voor %(first)s tot en met %(last)s."
        ) % {"number": loan.number, "first": years.start, "last": years.stop - 1}
        return _refusal(request, loan, _("Jaaropgave %(year)s") % {"year": year}, message, 404)
    statement = interest_statement(loan, year)
    language = _language(request)
    context = {
        "s": statement,
        "loan": loan,
        "document_title": format_lazy("{} {}", gettext_lazy("Jaaropgave"), year),
        "document_subject": loan.collective.name,
        "document_number": f"{loan.number} · {year}",
    }
    content = render_pdf("reports/pdf/interest_statement.html", context, language=language)
    return pdf_response(content, f"jaaropgave-{loan.number}-{year}.pdf")
