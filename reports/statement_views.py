"""Investor statements on the web: the investor's own list and downloads, and the fund
manager's page that issues a run (docs/statements.md, "Issuing and keeping")."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from fund.exceptions import FundError
from fund.models import Fund, Investor
from fund.permissions import can_write, manager_of
from ledger import clock

from . import access
from .investor_statements import PeriodError, parse_period
from .models import InvestorStatement
from .pdf import pdf_response
from .statements import StatementError, statements_issue


def _periods(today) -> list[tuple[str, str]]:
    """The complete quarters and years of the last three years, newest first."""
    choices = []
    for year in range(today.year, today.year - 4, -1):
        for quarter in (4, 3, 2, 1):
            key = f"{year}-Q{quarter}"
            try:
                period = parse_period(key, today=today)
            except PeriodError:
                continue
            choices.append((key, f"{period.label} ({key})"))
        try:
            period = parse_period(str(year), today=today)
        except PeriodError:
            continue
        choices.append((str(year), f"{period.label} ({year})"))
    return choices


class StatementRunForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Periode"))
    investor = forms.ModelChoiceField(
        label=gettext_lazy("Alleen voor investeerder"),
        queryset=Investor.objects.none(),
        required=False,
        empty_label=gettext_lazy("alle investeerders van het fonds"),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reden voor een nieuwe versie"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "Leeg: wie al een overzicht over de periode heeft, krijgt er geen nieuw. Met een "
            "reden krijgt elke gekozen investeerder een nieuwe versie; de oude blijft bewaard."
        ),
    )

    def __init__(self, *args, fund: Fund, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = _periods(clock.today())
        self.fields["investor"].queryset = (
            Investor.objects.filter(commitments__compartment__fund=fund).distinct().order_by("code")
        )

    def clean_period(self):
        try:
            return parse_period(self.cleaned_data["period"])
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from error


@require_safe
@login_required
def statement_list(request):
    """The statements the user may read, newest first (an investor: their own)."""
    roles = access.user_roles(request.user)
    if not (roles.investor or roles.manager or roles.auditor):
        raise Http404  # collectives and users without a role have no statements
    statements = access.statements_for(request.user)
    return render(
        request,
        "reports/statement_list.html",
        {"statements": statements.order_by("-period_end", "investor__code", "-version")[:500]},
    )


@require_safe
@login_required
def statement_download(request, pk: int):
    """The PDF exactly as it was issued (the stored bytes); anyone out of scope gets 404."""
    statement = get_object_or_404(access.statements_for(request.user), pk=pk)
    content = bytes(InvestorStatement.objects.values_list("pdf", flat=True).get(pk=statement.pk))
    return pdf_response(content, statement.filename)


@require_http_methods(["GET", "POST"])
@login_required
def statement_run(request, slug: str):
    """A fund's statements: issue a run (managers of the fund), and what was issued."""
    fund = get_object_or_404(Fund.objects.select_related("book"), slug=slug)
    manages = manager_of(request.user, fund)
    if not (manages or access.user_roles(request.user).auditor):
        raise Http404
    may_issue = manages and can_write(request.user)
    form = StatementRunForm(request.POST or None, fund=fund) if may_issue else None
    if request.method == "POST":
        if not may_issue:
            raise Http404
        if form.is_valid():
            try:
                result = statements_issue(
                    fund=fund,
                    period=form.cleaned_data["period"],
                    issued_by=request.user,
                    investor=form.cleaned_data["investor"],
                    reason=form.cleaned_data["reason"],
                )
            except (StatementError, FundError) as error:
                form.add_error(None, str(error))
            else:
                if result.nothing_new:
                    messages.info(
                        request,
                        _(
                            "Niets nieuws uitgegeven: %(n)s investeerder(s) hadden al een "
                            "overzicht over %(period)s. Geef een reden om een nieuwe versie "
                            "uit te geven."
                        )
                        % {"n": len(result.skipped), "period": result.period.key},
                    )
                else:
                    messages.success(
                        request,
                        _("%(n)s overzicht(en) over %(period)s uitgegeven.")
                        % {"n": len(result.issued), "period": result.period.key},
                    )
                return redirect("reports:statement_run", slug=fund.slug)
    statements = (
        access.statements_for(request.user)
        .filter(fund=fund)
        .order_by("-period_end", "investor__code", "-version")[:300]
    )
    return render(
        request,
        "reports/statement_run.html",
        {"fund": fund, "form": form, "statements": statements},
    )
