"""Top-layer pages: per-role dashboards, the books, the audit trail.

Every page only reads. Querysets are scoped with :mod:`fund.selectors` and
:mod:`reports.access`; an object outside the user's scope is a 404. Money stays in integer
cents (ledger) or Decimal/Money (fund side) and is formatted in the templates by the
``money`` filters; sums are made here, never in a template.
"""

from __future__ import annotations

import csv
from collections import OrderedDict

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from django.views.generic import RedirectView
from schwifty import IBAN

from fund import selectors as fund_selectors
from fund import workflow
from fund.audit_labels import ValueFormatter, action_label, describe_changes
from fund.models import (
    ApplicationState,
    CollectiveChange,
    Commitment,
    Grant,
    GrantPayment,
    PaymentState,
)
from ledger import clock, sources
from ledger import selectors as ledger_selectors
from ledger.models import Account, JournalEntry, JournalLine
from ledger.money import from_cents
from loans.models import SERVICED_STATES, ChangeState, LoanChange, ReceiptDisposal
from loans.selectors import contract_balances, loan_positions, loans_for

from . import access

JOURNAL_PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 50
STATEMENT_PAGE_SIZE = 100
DASHBOARD_LIST_SIZE = 20
RECENT_EVENTS = 15
NO_SOURCE = "-"


def object_type_label(label: str) -> str:
    """``fund.application`` -> ``Aanvraag`` (the model's verbose name), else the label."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return label
    return str(model._meta.verbose_name).capitalize()


# --- filter forms (GET) ------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class AsOfForm(forms.Form):
    date = forms.DateField(label=_("Per datum"), required=False, widget=DateInput())


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("Van"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Tot en met"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("De begindatum ligt na de einddatum."))
        return data


class JournalFilterForm(PeriodForm):
    source_type = forms.ChoiceField(label=_("Bron"), required=False)

    def __init__(self, *args, source_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_type"].choices = [("", _("Alle bronnen"))] + [
            (value or NO_SOURCE, sources.source_label(value)) for value in source_types
        ]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Handeling"), required=False)
    object_type = forms.ChoiceField(label=_("Objectsoort"), required=False)
    book = forms.ChoiceField(label=_("Boek"), required=False)

    def __init__(self, *args, actions=(), object_types=(), books=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Alle handelingen"))] + [
            (a, action_label(a)) for a in actions
        ]
        self.fields["object_type"].choices = [("", _("Alle soorten"))] + [
            (t, object_type_label(t)) for t in object_types
        ]
        self.fields["book"].choices = [("", _("Alle boeken"))] + [(b.slug, b.name) for b in books]


def _filters(form: forms.Form) -> dict:
    """Cleaned filter values; an invalid form filters nothing (its errors are shown)."""
    return form.cleaned_data if form.is_bound and form.is_valid() else {}


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except (TypeError, ValueError):
        return 1


# --- small read helpers ------------------------------------------------------------------


def _book_fund(book):
    try:
        return book.fund
    except ObjectDoesNotExist:
        return None


def _trial_balance_totals(rows) -> list[dict]:
    """Per currency: total debits, credits and debit/credit balances (cents)."""
    totals: OrderedDict[str, dict] = OrderedDict()
    for row in sorted(rows, key=lambda r: r.currency):
        total = totals.setdefault(
            row.currency,
            {
                "currency": row.currency,
                "debit": 0,
                "credit": 0,
                "debit_balance": 0,
                "credit_balance": 0,
            },
        )
        total["debit"] += row.debit
        total["credit"] += row.credit
        total["debit_balance"] += row.debit_balance
        total["credit_balance"] += row.credit_balance
    for total in totals.values():
        total["balanced"] = total["debit"] == total["credit"]
    return list(totals.values())


def _spaced_iban(text: str) -> str:
    """A payer reference as people read it: an IBAN in groups of four, anything else as is."""
    try:
        return IBAN(text).formatted
    except ValueError:
        return text


def _changes(event, formatter: ValueFormatter) -> dict:
    """Before and after of an audit event, labelled and formatted: the fields that changed
    (in both and different), the event's facts, and the unchanged fields."""
    return describe_changes(event.action, event.before, event.after, formatter)


def _event_rows(events, readable_book_ids: set[int] | None = None) -> list[dict]:
    """Audit events with links to their object and, where the event names one, its entry."""
    events = list(events)
    object_urls = access.audit_object_urls(events)
    formatter = ValueFormatter()
    rows = []
    for event in events:
        entry_url = ""
        entry_id = event.after.get("entry") if isinstance(event.after, dict) else None
        if (
            str(entry_id).isdigit()
            and event.book is not None
            and (readable_book_ids is None or event.book_id in readable_book_ids)
        ):
            entry_url = reverse(
                "reports:entry_detail", kwargs={"slug": event.book.slug, "pk": int(entry_id)}
            )
        rows.append(
            {
                "event": event,
                "changes": _changes(event, formatter),
                "type_label": object_type_label(event.object_type),
                "object_url": object_urls.get((event.object_type, event.object_id), ""),
                "entry_url": entry_url,
            }
        )
    return rows


# --- dashboard ---------------------------------------------------------------------------


def _manager_dashboard(user) -> dict:
    funds = list(
        fund_selectors.funds_for(user).filter(managers=user).select_related("book").order_by("name")
    )
    fund_rows = []
    for fund in funds:
        counts = fund_selectors.pipeline(fund)
        fund_rows.append(
            {
                "fund": fund,
                "url": access.object_url(fund),
                "positions": fund_selectors.fund_positions(fund),
                "pipeline": [
                    {"state": state, "label": ApplicationState(state).label, "count": counts[state]}
                    for state in ApplicationState.values
                ],
            }
        )
    # Which applications wait for this manager: the steps' states, kinds, independence and
    # four eyes come from the table in fund.workflow; each list adds what its step needs.
    mine = fund_selectors.applications_for(user).filter(fund__managers=user)
    to_pick_up = mine.filter(workflow.waiting(user, "start_review")).order_by("submitted_at", "id")
    to_contract = (
        mine.filter(workflow.waiting(user, "contract"), loan__isnull=True)
        .select_related("collective", "fund")
        .order_by("decided_at", "id")
    )
    second_eyes = (
        mine.filter(workflow.waiting(user, "approve"), decided_by__isnull=True)
        .exclude(proposal="")
        .select_related("assessor")
        .order_by("assessed_at", "id")
    )
    own_review = mine.filter(workflow.waiting(user, "assess"), assessor=user, proposal="").order_by(
        "submitted_at", "id"
    )
    events = access.audit_events_for(user).filter(book__in=[f.book_id for f in funds])
    return {
        "approvals": _approvals_waiting(user, funds),
        "funds": fund_rows,
        "to_pick_up": _with_urls(to_pick_up[:DASHBOARD_LIST_SIZE]),
        "to_contract": [
            {"object": app, "url": reverse("loans:loan_contract", kwargs={"number": app.number})}
            for app in to_contract[:DASHBOARD_LIST_SIZE]
        ],
        "second_eyes": _with_urls(second_eyes[:DASHBOARD_LIST_SIZE]),
        "own_review": _with_urls(own_review[:DASHBOARD_LIST_SIZE]),
        "events": _event_rows(events[:RECENT_EVENTS]),
    }


def _approvals_waiting(user, funds) -> list[dict]:
    """Money and loan changes a colleague proposed that wait for this manager's second pair
    of eyes: tranches, restructurings, write-offs, grant payments and what becomes of a
    receipt in suspense, oldest first."""
    changes = (
        LoanChange.objects.filter(state=ChangeState.PROPOSED, loan__fund__in=funds)
        .exclude(proposed_by=user)
        .select_related("loan__fund", "loan__collective", "proposed_by")
        .order_by("proposed_at", "id")[:DASHBOARD_LIST_SIZE]
    )
    payments = (
        GrantPayment.objects.filter(state=PaymentState.PROPOSED, grant__fund__in=funds)
        .exclude(proposed_by=user)
        .select_related("grant__fund", "grant__collective", "proposed_by")
        .order_by("created_at", "id")[:DASHBOARD_LIST_SIZE]
    )
    rows = [
        {
            "what": change.get_kind_display(),
            "number": change.loan.number,
            "collective": change.loan.collective.name,
            "fund": change.loan.fund.name,
            "amount": change.params.get("amount"),
            "date": change.effective_date,
            "by": change.proposed_by,
            "url": reverse("loans:loan_change_decide", kwargs={"pk": change.pk}),
            "at": change.proposed_at,
        }
        for change in changes
    ] + [
        {
            "what": _("Uitbetaling subsidie"),
            "number": payment.grant.number,
            "collective": payment.grant.collective.name,
            "fund": payment.grant.fund.name,
            "amount": payment.amount,
            "date": payment.date,
            "by": payment.proposed_by,
            "url": reverse(
                "fund:grant_payment_decide",
                kwargs={"number": payment.grant.number, "pk": payment.pk},
            ),
            "at": payment.created_at,
        }
        for payment in payments
    ]
    disposals = (
        ReceiptDisposal.objects.filter(state=ChangeState.PROPOSED, receipt__fund__in=funds)
        .exclude(proposed_by=user)
        .select_related("receipt__fund", "proposed_by")
        .order_by("proposed_at", "id")[:DASHBOARD_LIST_SIZE]
    )
    rows += [
        {
            "what": disposal.get_kind_display(),
            "number": _spaced_iban(disposal.receipt.payer_reference),
            "collective": disposal.name or "–",
            "fund": disposal.receipt.fund.name,
            "amount": disposal.receipt.amount,
            "date": disposal.receipt.value_date,
            "by": disposal.proposed_by,
            "url": reverse("loans:receipt_disposal_decide", kwargs={"pk": disposal.pk}),
            "at": disposal.proposed_at,
        }
        for disposal in disposals
    ]
    changes_of_collectives = (
        CollectiveChange.objects.filter(
            state=CollectiveChange.State.PROPOSED, collective__applications__fund__in=funds
        )
        .exclude(proposed_by=user)
        .exclude(collective__members=user)
        .select_related("collective", "proposed_by")
        .distinct()
        .order_by("proposed_at", "id")[:DASHBOARD_LIST_SIZE]
    )
    rows += [
        {
            "what": _("Wijziging van IBAN of KvK-gegevens"),
            "number": change.collective.code,
            "collective": change.collective.name,
            "fund": "–",
            "amount": None,
            "date": change.proposed_at.date(),
            "by": change.proposed_by,
            "url": reverse("fund:collective_detail", kwargs={"code": change.collective.code}),
            "at": change.proposed_at,
        }
        for change in changes_of_collectives
    ]
    return sorted(rows, key=lambda row: row["at"])


def _with_urls(objects) -> list[dict]:
    return [{"object": obj, "url": access.object_url(obj)} for obj in objects]


def _member_dashboard(user) -> dict:
    collectives = list(fund_selectors.collectives_for(user).filter(members=user))
    applications = (
        fund_selectors.applications_for(user)
        .filter(collective__members=user)
        .order_by("-created_at", "-id")
    )
    # Through the user's (scoped) collectives: grants_for narrows a manager to the funds
    # they manage, which would hide grants their own collective got from another fund.
    grants = (
        Grant.objects.filter(collective__in=collectives)
        .select_related("fund", "collective")
        .order_by("-awarded_at", "-id")
    )
    loans = list(
        loans_for(user)
        .filter(collective__members=user)
        .select_related("fund__book", "collective")
        .order_by("collective__name", "number")
    )
    balances = contract_balances(loans)
    serviced = [loan for loan in loans if loan.state in SERVICED_STATES]
    late = {p.loan.pk: p.days_past_due for p in loan_positions(serviced, clock.today())}
    return {
        "collectives": _with_urls(collectives),
        # The application form offers only verified collectives.
        "can_apply": any(c.is_verified for c in collectives),
        "applications": _with_urls(applications),
        "grants": _with_urls(grants),
        # A collective has a handful of loans: its arrears are computed live, as on the loan
        # page, not taken from the last day-end run.
        "loans": [
            {
                "loan": loan,
                "days_past_due": late.get(loan.pk, 0),
                **balances[(loan.fund.book_id, loan.number)],
            }
            for loan in loans
        ],
    }


def _investor_dashboard(user) -> dict:
    investors = list(fund_selectors.investors_for(user).filter(users=user))
    commitments = (
        Commitment.objects.filter(investor__in=investors)
        .select_related("investor", "compartment__fund__book")
        .prefetch_related("contributions")
        .order_by("compartment__fund__name", "compartment__kind", "date", "id")
    )
    by_investor: OrderedDict[int, dict] = OrderedDict(
        (inv.pk, {"investor": inv, "url": access.object_url(inv), "groups": OrderedDict()})
        for inv in investors
    )
    funds: OrderedDict[int, object] = OrderedDict()
    for commitment in commitments:
        contributions = list(commitment.contributions.all())
        paid = fund_selectors.money_total(c.amount for c in contributions)
        row = {
            "commitment": commitment,
            "paid": paid,
            "open": commitment.amount - paid,
            "contributions": contributions,
        }
        groups = by_investor[commitment.investor_id]["groups"]
        group = groups.setdefault(
            commitment.compartment_id, {"compartment": commitment.compartment, "rows": []}
        )
        group["rows"].append(row)
        funds.setdefault(commitment.compartment.fund_id, commitment.compartment.fund)
    result = []
    for item in by_investor.values():
        groups = list(item["groups"].values())
        for group in groups:
            group["committed"] = fund_selectors.money_total(
                r["commitment"].amount for r in group["rows"]
            )
            group["paid"] = fund_selectors.money_total(r["paid"] for r in group["rows"])
            group["open"] = group["committed"] - group["paid"]
        all_rows = [r for g in groups for r in g["rows"]]
        contributions = sorted(
            (c for r in all_rows for c in r["contributions"]), key=lambda c: (c.date, c.pk)
        )
        result.append(
            {
                "investor": item["investor"],
                "url": item["url"],
                "groups": groups,
                "committed": fund_selectors.money_total(g["committed"] for g in groups),
                "paid": fund_selectors.money_total(g["paid"] for g in groups),
                "open": fund_selectors.money_total(g["open"] for g in groups),
                "contributions": contributions,
            }
        )
    return {
        "investors": result,
        "funds": [
            {"fund": fund, "positions": fund_selectors.fund_positions(fund)}
            for fund in funds.values()
        ],
    }


def _auditor_dashboard(user) -> dict:
    books = []
    for book in access.books_for(user).order_by("name"):
        books.append(
            {
                "book": book,
                "fund": _book_fund(book),
                "totals": _trial_balance_totals(ledger_selectors.trial_balance(book=book)),
            }
        )
    return {
        "books": books,
        "events": _event_rows(access.audit_events_for(user)[:RECENT_EVENTS]),
    }


@require_safe
@login_required
def dashboard(request):
    """One page, a section per role the user holds; a short explanation for no role."""
    user = request.user
    roles = access.user_roles(user)
    context = {"roles": roles}
    if roles.manager:
        context["manager"] = _manager_dashboard(user)
    if roles.member:
        context["member"] = _member_dashboard(user)
    if roles.investor:
        context["investor"] = _investor_dashboard(user)
    if roles.auditor:
        context["auditor"] = _auditor_dashboard(user)
    return render(request, "reports/dashboard.html", context)


home = login_required(RedirectView.as_view(pattern_name="reports:dashboard"))


# --- the books ---------------------------------------------------------------------------


@require_safe
@login_required
def book_list(request):
    access.require_book_reader(request.user)
    books = (
        access.books_for(request.user)
        .annotate(entry_count=Count("entries"), last_entry=Max("entries__date"))
        .order_by("name")
    )
    rows = [{"book": book, "fund": _book_fund(book)} for book in books]
    return render(request, "reports/book_list.html", {"rows": rows})


@require_safe
@login_required
def trial_balance(request, slug: str):
    book = access.book_for(request.user, slug)
    form = AsOfForm(request.GET or None)
    as_of = _filters(form).get("date")
    rows = ledger_selectors.trial_balance(book=book, as_of=as_of)
    if request.GET.get("format") == "csv":
        return _trial_balance_csv(book, rows, as_of or clock.today())
    statement_query = f"?date_to={as_of.isoformat()}" if as_of else ""
    return render(
        request,
        "reports/trial_balance.html",
        {
            "book": book,
            "fund": _book_fund(book),
            "form": form,
            "as_of": as_of,
            "rows": rows,
            "totals": _trial_balance_totals(rows),
            "statement_query": statement_query,
        },
    )


def _trial_balance_csv(book, rows, day) -> HttpResponse:
    """Machine-readable: one row per account and currency, amounts as ``1234.56``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"proefbalans-{book.slug}-{day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(["code", "naam", "soort", "valuta", "debet", "credit", "saldo"])
    for row in rows:
        writer.writerow(
            [
                row.account.code,
                row.account.name,
                str(row.account.get_type_display()),  # "Activa", as on the page
                row.currency,
                from_cents(row.debit, row.currency),
                from_cents(row.credit, row.currency),
                from_cents(row.net, row.currency),
            ]
        )
    return response


@require_safe
@login_required
def account_statement(request, slug: str, code: str):
    book = access.book_for(request.user, slug)
    account = get_object_or_404(Account.objects.filter(book=book), code=code)
    today = clock.today()
    form = PeriodForm(
        request.GET or None,
        initial={"date_from": today.replace(month=1, day=1), "date_to": today},
    )
    filters = _filters(form)
    date_to = filters.get("date_to") or today
    date_from = filters.get("date_from") or date_to.replace(month=1, day=1)
    statement = ledger_selectors.account_statement(
        account=account,
        date_from=date_from,
        date_to=date_to,
        page=_page_number(request),
        page_size=STATEMENT_PAGE_SIZE,
    )
    return render(
        request,
        "reports/account_statement.html",
        {
            "book": book,
            "fund": _book_fund(book),
            "account": account,
            "form": form,
            "statement": statement,
            "previous_page": statement.page - 1 if statement.page > 1 else None,
            "next_page": statement.page + 1 if statement.has_next else None,
        },
    )


@require_safe
@login_required
def journal(request, slug: str):
    book = access.book_for(request.user, slug)
    source_types = (
        JournalEntry.objects.filter(book=book)
        .order_by("source_type")
        .values_list("source_type", flat=True)
        .distinct()
    )
    form = JournalFilterForm(request.GET or None, source_types=list(source_types))
    filters = _filters(form)
    entries = JournalEntry.objects.filter(book=book)
    if filters.get("date_from"):
        entries = entries.filter(date__gte=filters["date_from"])
    if filters.get("date_to"):
        entries = entries.filter(date__lte=filters["date_to"])
    if filters.get("source_type"):
        value = filters["source_type"]
        entries = entries.filter(source_type="" if value == NO_SOURCE else value)
    entries = (
        entries.select_related("created_by", "reversal_of", "reversed_by")
        .prefetch_related(
            Prefetch("lines", queryset=JournalLine.objects.select_related("account").order_by("id"))
        )
        .order_by("-date", "-id")
    )
    page_obj = Paginator(entries, JOURNAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/journal.html",
        {
            "book": book,
            "fund": _book_fund(book),
            "form": form,
            "page_obj": page_obj,
            "entries": [
                {"entry": e, "source": sources.source_label(e.source_type)}
                for e in page_obj.object_list
            ],
        },
    )


def _entry_source(entry: JournalEntry) -> dict | None:
    """The document or operation behind an entry, as its app registered it
    (ledger/sources.py), with a link to its page where the reader has one."""
    traced = sources.trace(entry)
    if traced is None or traced.obj is None:
        return None
    return {
        "object": traced.obj,
        "detail": traced.detail,
        "url": access.object_url(traced.link),
    }


@require_safe
@login_required
def entry_detail(request, slug: str, pk: int):
    book = access.book_for(request.user, slug)
    entry = get_object_or_404(
        JournalEntry.objects.filter(book=book).select_related(
            "created_by", "reversal_of", "reversed_by"
        ),
        pk=pk,
    )
    lines = list(entry.lines.select_related("account").order_by("id"))
    totals: OrderedDict[str, dict] = OrderedDict()
    for line in lines:
        total = totals.setdefault(
            line.currency, {"currency": line.currency, "debit": 0, "credit": 0}
        )
        total["debit"] += line.debit
        total["credit"] += line.credit
    return render(
        request,
        "reports/entry_detail.html",
        {
            "book": book,
            "fund": _book_fund(book),
            "entry": entry,
            "reversed_by": getattr(entry, "reversed_by", None),
            "lines": lines,
            "totals": list(totals.values()),
            "source_label": sources.source_label(entry.source_type),
            "source": _entry_source(entry),
        },
    )


# --- audit trail -------------------------------------------------------------------------


@require_safe
@login_required
def audit_trail(request):
    access.require_book_reader(request.user)
    scope = access.audit_events_for(request.user)
    books = list(access.books_for(request.user).order_by("name"))
    form = AuditFilterForm(
        request.GET or None,
        actions=scope.order_by("action").values_list("action", flat=True).distinct(),
        object_types=scope.order_by("object_type").values_list("object_type", flat=True).distinct(),
        books=books,
    )
    filters = _filters(form)
    events = scope
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"])
    if filters.get("book"):
        events = events.filter(book__slug=filters["book"])
    page_obj = Paginator(events.order_by("-at", "-id"), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reports/audit_trail.html",
        {
            "form": form,
            "page_obj": page_obj,
            "events": _event_rows(page_obj.object_list, {b.pk for b in books}),
        },
    )
