"""The pool forecast page of a fund, with its chart, its table and a CSV download
(docs/statements.md, "Pool forecast").

For the managers of the fund and for auditors, as the books are (:func:`access.book_for`):
everyone else gets a 404.
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ledger import clock

from . import access
from .charts import line_chart
from .forecast import CAUTIOUS_DAYS, Forecast, pool_forecast

FORECAST_MONTHS = 24

# The CSV's columns: the header and the ForecastMonth field each is read from.
CSV_COLUMNS = (
    ("maand", "month"),
    ("aflossing", "principal"),
    ("rente", "interest"),
    ("uitbetalingen", "disbursements"),
    ("waarvan_gereserveerd", "disbursements_reserved"),
    ("subsidies_te_betalen", "grants_to_pay"),
    ("pool_einde_maand", "pool_end"),
    ("voorzichtig_aflossing", "cautious_principal"),
    ("voorzichtig_rente", "cautious_interest"),
    ("voorzichtig_pool_einde_maand", "cautious_pool_end"),
)


@require_safe
@login_required
def pool_forecast_page(request, slug: str):
    """The forecast of the fund of book ``slug``; ``?format=csv`` downloads its table."""
    book = access.book_for(request.user, slug)
    try:
        fund = book.fund
    except ObjectDoesNotExist as missing:  # a book without a fund has no pool
        raise Http404 from missing
    forecast = pool_forecast(fund, clock.today(), months=FORECAST_MONTHS)
    if request.GET.get("format") == "csv":
        return _forecast_csv(forecast)
    chart = line_chart(
        _("Beschikbaar om uit te lenen, einde maand"),
        [row.label for row in forecast.rows],
        {
            _("Verwacht"): [row.pool_end for row in forecast.rows],
            _("Voorzichtig"): [row.cautious_pool_end for row in forecast.rows],
        },
    )
    return render(
        request,
        "reports/forecast.html",
        {
            "book": book,
            "fund": fund,
            "forecast": forecast,
            "totals": forecast.totals,
            "chart": chart,
            "cautious_days": CAUTIOUS_DAYS,
            "awarded_grants": [g for g in forecast.grants if g.awarded],
            "approved_grants": [g for g in forecast.grants if not g.awarded],
        },
    )


def _forecast_csv(forecast: Forecast) -> HttpResponse:
    """Machine-readable, one row per month: semicolons between the fields, the month as its
    first day (``2026-11-01``) and amounts as ``1234.56`` (as the trial balance's CSV)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"poolprognose-{forecast.fund.slug}-{forecast.as_of.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response, delimiter=";")
    writer.writerow([header for header, _name in CSV_COLUMNS])
    for row in forecast.rows:
        writer.writerow(
            [
                row.month.isoformat() if name == "month" else getattr(row, name)
                for _header, name in CSV_COLUMNS
            ]
        )
    return response
