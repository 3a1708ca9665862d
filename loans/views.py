"""Web pages of the loans side: the loan list and page, the forms that contract, disburse,
record and reverse repayments, propose and decide changes (four eyes), the suspense receipts,
the bank import and a fund's portfolio.

Views are thin, as on the fund side: look the object up in the user's scope (a 404 outside
it), check the role for a change (a 403; auditors never change anything), parse a form, make
one service call, and redirect with a message. Refusals of the services are shown next to the
form. Sums are made here or in the selectors, never in a template.
"""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from schwifty import IBAN

from fund.audit_labels import action_label
from fund.exceptions import FundError
from fund.models import ApplicationKind, ApplicationState, Commitment, CompartmentKind, Fund
from fund.permissions import (
    AUDITOR,
    MANAGER,
    MEMBER,
    can_write,
    is_member,
    manager_of,
    require_manager_of,
    role_required,
    roles_of,
)
from fund.selectors import applications_for, funds_for
from fund.templatetags.figures import format_rate
from fund.web import call_service, page_of
from ledger import clock
from ledger.exceptions import LedgerError
from ledger.money import ZERO, format_amount
from ledger.selectors import audit_events, contract_lines

from . import selectors, services
from .allocation import Component
from .documents import documents_for
from .exceptions import LoanError
from .forms import (
    CHANGE_FORMS,
    FREQUENCY_CHOICES,
    METHOD_CHOICES,
    TERM_LABELS,
    ChangeDecideForm,
    ChangeWithdrawForm,
    DisburseForm,
    LoanContractForm,
    LoanFilterForm,
    LoanProductForm,
    PortfolioForm,
    ProductChoiceForm,
    QuoteForm,
    ReceiptDisposalForm,
    ReceiptFilterForm,
    ReceiptMatchForm,
    RepaymentForm,
    RepaymentReverseForm,
    RepaymentsImportForm,
)
from .models import (
    SERVICED_STATES,
    ArrearsBucket,
    ChangeKind,
    ChangeState,
    Loan,
    LoanChange,
    LoanProduct,
    LoanState,
    ReceiptDisposal,
    Repayment,
    ScheduleVersion,
    UnmatchedReceipt,
)
from .selectors import contract_balances, loans_for

REFUSALS = (LoanError, FundError, LedgerError, ValidationError)

CHANGE_TITLES = {
    ChangeKind.RESTRUCTURE: gettext_lazy("Herstructurering voorstellen"),
    ChangeKind.WRITE_OFF: gettext_lazy("Afschrijving voorstellen"),
    ChangeKind.CONVERSION: gettext_lazy("Omzetting in subsidie voorstellen"),
}

CHANGE_HELP = {
    ChangeKind.RESTRUCTURE: gettext_lazy(
        "Nieuwe rente, looptijd of aflossingsvrije periode vanaf de ingangsdatum. Termijnen die "
        "dan al vervallen zijn blijven staan; de rest wordt opnieuw berekend."
    ),
    ChangeKind.WRITE_OFF: gettext_lazy(
        "Een deel van de nog niet vervallen hoofdsom (de termijnen worden lager), of de hele "
        "lening: dan wordt alles wat openstaat afgeboekt als verlies en is de lening gesloten."
    ),
    ChangeKind.CONVERSION: gettext_lazy(
        "Alles wat openstaat wordt omgezet in een subsidie (afgeboekt als verlies); de lening "
        "is daarna gesloten."
    ),
}

PARAM_LABELS = {
    "annual_rate": gettext_lazy("Nieuwe rente per jaar"),
    "periods": gettext_lazy("Resterende termijnen"),
    "grace_principal": gettext_lazy("Aflossingsvrije termijnen"),
    "capitalise_arrears": gettext_lazy("Achterstand bijschrijven op de hoofdsom"),
    "amount": gettext_lazy("Af te schrijven hoofdsom"),
    "include_interest": gettext_lazy("Ook de achterstallige rente afschrijven"),
    "milestone": gettext_lazy("Mijlpaal"),
    "invoice_reference": gettext_lazy("Factuur"),
}
MONEY_PARAMS = {"amount"}

ROW_STATUS = {
    "settled": ("ok", gettext_lazy("Voldaan")),
    "ahead": ("ok", gettext_lazy("Vooruitbetaald")),
    "late": ("late", gettext_lazy("Achterstallig")),
    "due": ("contracted", gettext_lazy("Vervalt vandaag")),
    "partly": ("paying", gettext_lazy("Deels voldaan")),
    "future": ("", gettext_lazy("Nog niet vervallen")),
}


# --- scope and helpers ---------------------------------------------------------------------


def _is_auditor(user) -> bool:
    return AUDITOR in roles_of(user)


def _scoped_loan(request, number) -> Loan:
    return get_object_or_404(
        loans_for(request.user).select_related("fund__book", "application", "contracted_by"),
        number=number,
    )


def _managed_loan(request, number) -> Loan:
    """The loan for a change: in scope (else 404) and of a fund the user manages (else 403)."""
    loan = _scoped_loan(request, number)
    require_manager_of(request.user, loan.fund)
    return loan


def _changes(event) -> list[dict]:
    before, after = event.before or {}, event.after or {}
    keys = [k for k in after if before.get(k) != after.get(k)]
    keys += [k for k in before if k not in after]
    return [{"field": k, "before": before.get(k), "after": after.get(k)} for k in keys]


def _history(loan: Loan, details: bool) -> list[dict]:
    """Audit events of the loan, newest first; before/after only for managers and auditors."""
    events = audit_events(object_type="loans.loan", object_id=loan.pk).order_by("-at", "-id")
    return [
        {
            "event": event,
            "label": action_label(event.action),
            "changes": _changes(event) if details else [],
        }
        for event in events[:200]
    ]


def _param_rows(change: LoanChange) -> list[dict]:
    """The proposal's parameters for display (amounts as Decimal for the euro filter)."""
    rows = []
    for key, value in (change.params or {}).items():
        label = PARAM_LABELS.get(key, key)
        if key == "amount" and change.kind == ChangeKind.DISBURSEMENT:
            label = _("Uit te betalen bedrag")
        elif key in ("milestone", "invoice_reference") and not value:
            continue
        row = {"label": label, "money": None, "text": value}
        if key in MONEY_PARAMS:
            row["money"] = Decimal(str(value))
        elif isinstance(value, bool):
            row["text"] = _("Ja") if value else _("Nee")
        elif key == "annual_rate":
            row["text"] = format_rate(value)
        rows.append(row)
    if change.kind == ChangeKind.WRITE_OFF and "amount" not in (change.params or {}):
        rows.insert(0, {"label": PARAM_LABELS["amount"], "money": None, "text": _("alles")})
    return rows


def _schedule(status: services.Position, today: Date) -> dict:
    """The current schedule with what is settled and open per instalment, and totals."""
    rows = []
    totals = dict.fromkeys(("principal", "interest", "payment", "settled", "open"), ZERO)
    # Money paid ahead (held on 2100) counts against the first instalments still open, as the
    # position does and as the day-end books it when they fall due (docs/loans.md).
    for row, open_, _held in status.open_after_advance():
        ahead = max(status.open_interest(row) + status.open_principal(row), ZERO) - open_
        settled = (
            status.allocated.get((Component.INTEREST, row.n), ZERO)
            + status.allocated.get((Component.PRINCIPAL, row.n), ZERO)
            + ahead
        )
        if open_ <= 0 and ahead > 0:
            key = "ahead"
        elif open_ <= 0:
            key = "settled"
        elif row.due_date < today:
            key = "late"
        elif row.due_date == today:
            key = "due"
        elif settled > 0:
            key = "partly"
        else:
            key = "future"
        badge, label = ROW_STATUS[key]
        rows.append(
            {
                "row": row,
                "settled": settled,
                "open": max(open_, ZERO),
                "status": key,
                "badge": badge,
                "label": label,
            }
        )
        totals["principal"] += row.principal
        totals["interest"] += row.interest
        totals["payment"] += row.payment
        totals["settled"] += settled
        totals["open"] += max(open_, ZERO)
    return {"rows": rows, "totals": totals}


def _terms(loan: Loan) -> list[dict]:
    """The schedule conventions of the loan, with readable labels."""

    def label(name: str) -> str:
        value = getattr(loan, name)
        return str(TERM_LABELS.get(name, {}).get(value, value)) if value else "–"

    return [
        {"label": _("Aflosmethode"), "value": label("method")},
        {"label": _("Betaalfrequentie"), "value": label("frequency")},
        {"label": _("Renteberekening"), "value": label("interest")},
        {"label": _("Dagtelling"), "value": loan.day_count},
        {"label": _("Aflossingsvrije termijnen"), "value": loan.grace_principal},
        {"label": _("Betalingsvrije termijnen"), "value": loan.grace_full},
        {"label": _("Rente in betalingsvrije termijnen"), "value": label("grace_interest")},
    ]


def _action_page(request, loan: Loan, form, title: str, **extra):
    context = {"loan": loan, "form": form, "title": title, **extra}
    return render(request, "loans/loan_action.html", context)


# --- list and page -------------------------------------------------------------------------


@role_required(MANAGER, AUDITOR, MEMBER)
def loan_list(request):
    user = request.user
    scoped = loans_for(user)
    funds = Fund.objects.filter(pk__in=scoped.values("fund_id")).order_by("name")
    form = LoanFilterForm(request.GET or None, funds=funds)
    loans = scoped
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"]
            loans = loans.filter(
                Q(number__icontains=q)
                | Q(collective__name__icontains=q)
                | Q(application__title__icontains=q)
            )
        if data["state"]:
            loans = loans.filter(state=data["state"])
        if data["bucket"]:
            loans = loans.filter(arrears_bucket=data["bucket"])
        if data["fund"]:
            loans = loans.filter(fund=data["fund"])
    page_obj = page_of(request, loans.order_by("-contracted_on", "-id"))
    balances = contract_balances(page_obj.object_list)
    rows = [
        {"loan": loan, **balances[(loan.fund.book_id, loan.number)]}
        for loan in page_obj.object_list
    ]
    writer = can_write(user)
    staff_funds = (
        funds_for(user).order_by("name")
        if MANAGER in roles_of(user) or _is_auditor(user)
        else Fund.objects.none()
    )
    pending = LoanChange.objects.none()
    if _is_auditor(user):
        pending = LoanChange.objects.all()
    elif MANAGER in roles_of(user):
        pending = LoanChange.objects.filter(loan__fund__managers=user)
    pending = (
        pending.filter(state=ChangeState.PROPOSED)
        .select_related("loan__collective", "loan__fund", "proposed_by")
        .order_by("proposed_at", "id")
    )
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "rows": rows,
        "pending": pending,
        "portfolio_funds": staff_funds,
        "can_import": writer and MANAGER in roles_of(user),
        "show_receipts": bool(staff_funds),
    }
    return render(request, "loans/loan_list.html", context)


@role_required(MANAGER, AUDITOR, MEMBER)
def loan_detail(request, number):
    user = request.user
    loan = _scoped_loan(request, number)
    today = clock.today()
    fund_manager = manager_of(user, loan.fund)
    reads_books = _is_auditor(user) or fund_manager
    manager = can_write(user) and fund_manager
    serviced = loan.state in SERVICED_STATES
    position = selectors.loan_position(loan=loan, as_of=today)
    status = position.status
    # A contact of the collective (not a manager acting) sees what to pay now.
    member_view = is_member(user, loan.collective)
    pay_box = member_view and not manager

    asked = request.GET if "quote_date" in request.GET else None
    quote_form = QuoteForm(asked, initial={"quote_date": today})
    quote = None
    if serviced and quote_form.is_valid():
        quote = selectors.loan_settlement_quote(
            loan=loan, date=quote_form.cleaned_data["quote_date"]
        )

    changes = list(loan.changes.select_related("proposed_by", "decided_by"))
    pending = next((c for c in changes if c.state == ChangeState.PROPOSED), None)
    repayments = list(loan.repayments.select_related("created_by", "replaced_by"))
    context = {
        "loan": loan,
        "today": today,
        "position": position,
        "member_view": member_view,
        "pay_box": pay_box,
        "next_instalment": selectors.next_instalment(loan=loan, as_of=today, status=status)
        if pay_box
        else None,
        "terms": _terms(loan),
        "schedule": _schedule(status, today),
        "versions": ScheduleVersion.objects.filter(loan=loan).order_by("number"),
        "disbursements": loan.disbursements.select_related("created_by"),
        "repayments": repayments,
        "repaid_total": sum((r.amount for r in repayments if not r.is_reversed), ZERO),
        "charges": loan.charges.all(),
        "changes": [{"change": c, "params": _param_rows(c)} for c in changes],
        "pending": pending,
        "serviced": serviced,
        "quote_form": quote_form if serviced else None,
        "quote": quote,
        "lines": contract_lines(book=loan.fund.book, contract=loan.number) if reads_books else None,
        "history": _history(loan, details=reads_books),
        "manager": manager,
        # The reasons behind proposals and decisions are the fund's internal notes.
        "staff": reads_books,
        "disburse_form": _disburse_form(loan)
        if manager
        and pending is None
        and loan.state in (LoanState.CONTRACTED, LoanState.DISBURSING)
        else None,
        "repayment_form": RepaymentForm(auto_id="repay_%s") if manager and serviced else None,
        "can_propose": manager and serviced and pending is None,
        "change_kinds": [(k, CHANGE_TITLES[k]) for k in CHANGE_FORMS],
        # Statements registered by the floor above (loans/documents.py).
        "documents": documents_for(loan),
    }
    return render(request, "loans/loan_detail.html", context)


# --- contract ------------------------------------------------------------------------------


@role_required(MANAGER, write=True)
def loan_contract(request, number):
    user = request.user
    application = get_object_or_404(
        applications_for(user).select_related("fund__book", "collective"), number=number
    )
    require_manager_of(user, application.fund)
    existing = Loan.objects.filter(application=application).first()
    if existing is not None:
        messages.info(request, _("Voor deze aanvraag is al een lening gecontracteerd."))
        return redirect("loans:loan_detail", number=existing.number)
    if application.kind != ApplicationKind.LOAN or application.state != ApplicationState.APPROVED:
        messages.error(request, _("Alleen een goedgekeurde leningaanvraag wordt een lening."))
        return redirect("fund:application_detail", number=application.number)
    products = LoanProduct.objects.filter(fund=application.fund, is_active=True).order_by("code")
    product_list = list(products)
    context = {"application": application, "products": product_list}
    if not product_list:
        return render(request, "loans/loan_contract.html", context)
    chooser = ProductChoiceForm(request.GET or None, products=products)
    product = chooser.cleaned_data["product"] if chooser.is_valid() else product_list[0]
    principal = application.commitment_open.amount
    if request.method == "POST":
        form = LoanContractForm(request.POST, products=products)
        if form.is_valid():
            loan = call_service(
                form,
                services.loan_contract,
                REFUSALS,
                application=application,
                contracted_by=user,
                **form.service_kwargs(),
            )
            if loan is not None:
                messages.success(
                    request,
                    _("Lening %(number)s is gecontracteerd. Stel nu de eerste tranche voor.")
                    % {"number": loan.number},
                )
                return redirect("loans:loan_detail", number=loan.number)
        product = form.cleaned_data.get("product") or product
    else:
        form = LoanContractForm(
            initial=LoanContractForm.initial_for(product, principal), products=products
        )
    context.update(
        {
            "form": form,
            "chooser": ProductChoiceForm(initial={"product": product.pk}, products=products)
            if len(product_list) > 1
            else None,
            "product": product,
        }
    )
    return render(request, "loans/loan_contract.html", context)


# --- disbursement and repayments -----------------------------------------------------------


def _disburse_form(loan: Loan, data=None) -> DisburseForm:
    return DisburseForm(data, initial={"amount": loan.undisbursed}, auto_id="disburse_%s")


@role_required(MANAGER, write=True)
def loan_disburse(request, number):
    """Propose a tranche; it is paid out when another manager of the fund approves it."""
    loan = _managed_loan(request, number)
    form = _disburse_form(loan, request.POST or None)
    if request.method == "POST" and form.is_valid():
        change = call_service(
            form,
            services.tranche_propose,
            REFUSALS,
            loan=loan,
            proposed_by=request.user,
            idempotency_key=form.once_key,
            **{k: v for k, v in form.cleaned_data.items() if k != "once"},
        )
        if change is not None:
            messages.success(
                request,
                _(
                    "Tranche van %(amount)s voorgesteld; een andere beheerder van het fonds keurt "
                    "haar goed, dan wordt ze uitbetaald en geboekt."
                )
                % {"amount": format_amount(Decimal(change.params["amount"]))},
            )
            return redirect("loans:loan_detail", number=loan.number)
    return _action_page(
        request,
        loan,
        form,
        _("Tranche voorstellen"),
        help=_(
            "Vier ogen: een andere beheerder van het fonds keurt de tranche goed; pas dan wordt "
            "ze uitbetaald en het aflosschema opnieuw berekend."
        ),
    )


@role_required(MANAGER, write=True)
def repayment_create(request, number):
    loan = _managed_loan(request, number)
    form = RepaymentForm(request.POST or None, auto_id="repay_%s")
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("once", "also_if_twin")}
        twin = None
        if not form.cleaned_data["also_if_twin"]:
            twin = selectors.twin_repayment(
                loan=loan,
                amount=data["amount"],
                value_date=data["value_date"],
                bank_reference=data["bank_reference"],
                once_key=form.once_key,
            )
        done = None
        if twin is not None:
            form.ask_about_twin(twin)
        else:
            done = call_service(
                form,
                services.repayment_record,
                REFUSALS,
                loan=loan,
                recorded_by=request.user,
                idempotency_key=form.once_key,
                **data,
            )
        if done is not None:
            messages.success(
                request,
                _("Aflossing op lening %(number)s is geboekt.") % {"number": loan.number},
            )
            return redirect("loans:loan_detail", number=loan.number)
    return _action_page(
        request,
        loan,
        form,
        _("Aflossing boeken"),
        help=_(
            "Wordt toegerekend aan kosten, rente en aflossing van de vervallen termijnen, de "
            "oudste eerst; wat overblijft gaat tot het bedrag van de volgende termijn als "
            "vooruitbetaling naar die termijn, en pas de rest lost vervroegd af."
        ),
    )


@role_required(MANAGER, write=True)
def repayment_reverse(request, pk):
    repayment = get_object_or_404(
        Repayment.objects.filter(loan__in=loans_for(request.user)).select_related(
            "loan__fund__book", "loan__collective", "created_by"
        ),
        pk=pk,
    )
    loan = repayment.loan
    require_manager_of(request.user, loan.fund)
    if repayment.is_reversed:
        messages.info(request, _("Deze aflossing is al teruggedraaid."))
        return redirect("loans:loan_detail", number=loan.number)
    blocker = services.reversal_blocker(repayment)
    if blocker:  # said before the manager fills in the form, not after
        return _action_page(
            request, loan, None, _("Aflossing terugdraaien"), repayment=repayment, help=blocker
        )
    form = RepaymentReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            services.repayment_reverse,
            REFUSALS,
            repayment=repayment,
            reversed_by=request.user,
            **form.cleaned_data,
        )
        if done is not None:
            messages.success(
                request,
                _("De aflossing van %(date)s is teruggedraaid.")
                % {"date": date_format(repayment.value_date, "SHORT_DATE_FORMAT")},
            )
            return redirect("loans:loan_detail", number=loan.number)
    return _action_page(
        request,
        loan,
        form,
        _("Aflossing terugdraaien"),
        repayment=repayment,
        danger=True,
        help=_reverse_help(repayment),
    )


def _reverse_help(repayment: Repayment) -> str:
    text = _(
        "Boekt een tegenboeking en maakt de toerekening ongedaan; de termijnen staan daarna "
        "weer open. Dit kan niet ongedaan worden gemaakt."
    )
    later = services.repayments_after(repayment).count()
    if later == 1:
        text += " " + _(
            "De aflossing die daarna is geboekt, wordt opnieuw geboekt zoals hij binnenkwam, "
            "zodat rente en aflossing juist verdeeld zijn."
        )
    elif later:
        text += " " + _(
            "De %(count)d aflossingen die daarna zijn geboekt, worden opnieuw geboekt zoals ze "
            "binnenkwamen, zodat rente en aflossing juist verdeeld zijn."
        ) % {"count": later}
    return text


# --- four-eyes changes ---------------------------------------------------------------------


@role_required(MANAGER, write=True)
def loan_change_propose(request, number):
    loan = _managed_loan(request, number)
    kind = request.POST.get("kind") or request.GET.get("kind") or ChangeKind.RESTRUCTURE
    if kind not in CHANGE_FORMS:
        kind = ChangeKind.RESTRUCTURE
    kind = ChangeKind(kind)
    form = CHANGE_FORMS[kind](request.POST or None)
    if request.method == "POST" and form.is_valid():
        change = call_service(
            form,
            services.loan_change_propose,
            REFUSALS,
            loan=loan,
            proposed_by=request.user,
            **form.service_kwargs(),
        )
        if change is not None:
            messages.success(
                request,
                _("Voorstel vastgelegd; een andere beheerder van het fonds besluit erover."),
            )
            return redirect("loans:loan_detail", number=loan.number)
    return _action_page(
        request,
        loan,
        form,
        CHANGE_TITLES[kind],
        help=CHANGE_HELP[kind],
        kind=kind.value,
        kinds=[(k, CHANGE_TITLES[k]) for k in CHANGE_FORMS],
        position=selectors.loan_position(loan=loan, as_of=clock.today()),
    )


@role_required(MANAGER, write=True)
def loan_change_decide(request, pk):
    change = get_object_or_404(
        LoanChange.objects.filter(loan__in=loans_for(request.user)).select_related(
            "loan__fund__book", "loan__collective", "proposed_by", "decided_by"
        ),
        pk=pk,
    )
    loan = change.loan
    require_manager_of(request.user, loan.fund)
    if change.state != ChangeState.PROPOSED:
        messages.info(request, _("Over dit voorstel is al besloten."))
        return redirect("loans:loan_detail", number=loan.number)
    own = change.proposed_by_id == request.user.pk
    # The proposer is not offered the decision (four eyes); the page says who decides, and
    # the proposer may withdraw the proposal instead.
    if own:
        return _change_withdraw(request, change)
    form = ChangeDecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == ChangeDecideForm.APPROVE
        done = call_service(
            form,
            services.loan_change_decide,
            REFUSALS,
            change=change,
            decided_by=request.user,
            approve=approve,
            reason=form.cleaned_data["reason"],
        )
        if done is not None:
            message = (
                _("Voorstel goedgekeurd en uitgevoerd.") if approve else _("Voorstel afgewezen.")
            )
            messages.success(request, message)
            return redirect("loans:loan_detail", number=loan.number)
    return _change_page(request, change, form, _("Besluiten over voorstel"))


def _change_page(request, change: LoanChange, form, title, **extra):
    """A proposal's page: what it changes and the loan as it stands, with ``form``."""
    loan = change.loan
    return _action_page(
        request,
        loan,
        form,
        title,
        change=change,
        params=_param_rows(change),
        own_proposal=change.proposed_by_id == request.user.pk,
        tranche=change.kind == ChangeKind.DISBURSEMENT,
        days_back=(clock.today() - change.effective_date).days,
        position=selectors.loan_position(loan=loan, as_of=clock.today()),
        **extra,
    )


def _change_withdraw(request, change: LoanChange):
    loan = change.loan
    form = ChangeWithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            services.loan_change_withdraw,
            REFUSALS,
            change=change,
            withdrawn_by=request.user,
            reason=form.cleaned_data["reason"],
        )
        if done is not None:
            messages.success(request, _("Voorstel ingetrokken."))
            return redirect("loans:loan_detail", number=loan.number)
    return _change_page(request, change, form, _("Voorstel intrekken"), danger=True)


# --- suspense and bank import --------------------------------------------------------------


@role_required(MANAGER, AUDITOR)
def receipt_list(request):
    user = request.user
    funds = funds_for(user).order_by("name")
    form = ReceiptFilterForm(request.GET or None, funds=funds)
    receipts = UnmatchedReceipt.objects.filter(fund__in=funds)
    show = ReceiptFilterForm.OPEN
    if form.is_valid():
        data = form.cleaned_data
        show = data["show"] or show
        if data["fund"]:
            receipts = receipts.filter(fund=data["fund"])
    done = Q(repayment__isnull=False) | Q(disposals__state=ChangeState.EXECUTED)
    if show == ReceiptFilterForm.OPEN:
        receipts = receipts.exclude(done)
    elif show == ReceiptFilterForm.MATCHED:
        receipts = receipts.filter(done).distinct()
    receipts = (
        receipts.select_related("fund", "repayment__loan")
        .prefetch_related(
            Prefetch(
                "disposals",
                queryset=ReceiptDisposal.objects.exclude(state=ChangeState.REJECTED),
                to_attr="live_disposals",
            )
        )
        .order_by("-value_date", "-id")
    )
    managed = (
        set(Fund.objects.filter(managers=user).values_list("pk", flat=True))
        if can_write(user)
        else set()
    )
    page_obj = page_of(request, receipts)
    rows = []
    for receipt in page_obj.object_list:
        disposal = receipt.live_disposals[0] if receipt.live_disposals else None
        rows.append(
            {
                "receipt": receipt,
                "disposal": disposal,
                "can_match": receipt.fund_id in managed
                and receipt.repayment_id is None
                and disposal is None,
                "can_decide": receipt.fund_id in managed
                and disposal is not None
                and disposal.state == ChangeState.PROPOSED
                and disposal.proposed_by_id != user.pk,
            }
        )
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "rows": rows,
        "can_import": bool(managed),
    }
    return render(request, "loans/receipt_list.html", context)


@role_required(MANAGER, write=True)
def receipt_match(request, pk):
    receipt = get_object_or_404(
        UnmatchedReceipt.objects.filter(fund__in=funds_for(request.user)).select_related("fund"),
        pk=pk,
    )
    require_manager_of(request.user, receipt.fund)
    if receipt.repayment_id or receipt.disposals.exclude(state=ChangeState.REJECTED).exists():
        messages.info(request, _("Deze ontvangst is al toegewezen of afgehandeld."))
        return redirect("loans:receipt_list")
    loans = (
        Loan.objects.filter(fund=receipt.fund, state__in=SERVICED_STATES)
        .select_related("collective")
        .order_by("number")
    )
    found = services.LOAN_NUMBER.search(receipt.description or "")
    form = ReceiptMatchForm(
        request.POST or None, loans=loans, initial={"loan": found.group(0) if found else None}
    )
    if request.method == "POST" and form.is_valid():
        repayment = call_service(
            form,
            services.receipt_match,
            REFUSALS,
            receipt=receipt,
            matched_by=request.user,
            **form.cleaned_data,
        )
        if repayment is not None:
            messages.success(
                request,
                _("Ontvangst toegewezen aan lening %(number)s.")
                % {"number": repayment.loan.number},
            )
            return redirect("loans:loan_detail", number=repayment.loan.number)
    return render(request, "loans/receipt_match.html", {"receipt": receipt, "form": form})


def _commitments(fund: Fund):
    return (
        Commitment.objects.filter(
            compartment__fund=fund, compartment__kind=CompartmentKind.REVOLVING
        )
        .select_related("investor", "compartment")
        .order_by("investor__name", "date")
    )


@role_required(MANAGER, write=True)
def receipt_dispose(request, pk):
    """Propose to refund a receipt in suspense, or to book it as capital paid in."""
    receipt = get_object_or_404(
        UnmatchedReceipt.objects.filter(fund__in=funds_for(request.user)).select_related("fund"),
        pk=pk,
    )
    require_manager_of(request.user, receipt.fund)
    if receipt.repayment_id or receipt.disposals.exclude(state=ChangeState.REJECTED).exists():
        messages.info(
            request, _("Voor deze ontvangst ligt al een toewijzing, voorstel of besluit.")
        )
        return redirect("loans:receipt_list")
    payer_iban = IBAN(receipt.payer_reference, allow_invalid=True)
    payer_iban = payer_iban.compact if payer_iban.is_valid else ""
    form = ReceiptDisposalForm(
        request.POST or None, commitments=_commitments(receipt.fund), initial={"iban": payer_iban}
    )
    if request.method == "POST" and form.is_valid():
        disposal = call_service(
            form,
            services.receipt_disposal_propose,
            REFUSALS,
            receipt=receipt,
            proposed_by=request.user,
            **form.service_kwargs(),
        )
        if disposal is not None:
            messages.success(
                request,
                _("Voorstel vastgelegd; een andere beheerder van het fonds besluit erover."),
            )
            return redirect("loans:receipt_list")
    return render(
        request,
        "loans/receipt_dispose.html",
        {"receipt": receipt, "form": form, "title": _("Ontvangst afhandelen")},
    )


@role_required(MANAGER, write=True)
def receipt_disposal_decide(request, pk):
    disposal = get_object_or_404(
        ReceiptDisposal.objects.filter(receipt__fund__in=funds_for(request.user)).select_related(
            "receipt__fund", "proposed_by", "commitment__investor", "commitment__compartment"
        ),
        pk=pk,
    )
    receipt = disposal.receipt
    require_manager_of(request.user, receipt.fund)
    if disposal.state != ChangeState.PROPOSED:
        messages.info(request, _("Over dit voorstel is al besloten."))
        return redirect("loans:receipt_list")
    own = disposal.proposed_by_id == request.user.pk
    form = None if own else ChangeDecideForm(request.POST or None)
    if form is not None and request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == ChangeDecideForm.APPROVE
        done = call_service(
            form,
            services.receipt_disposal_decide,
            REFUSALS,
            disposal=disposal,
            decided_by=request.user,
            approve=approve,
            reason=form.cleaned_data["reason"],
        )
        if done is not None:
            messages.success(
                request,
                _("Voorstel goedgekeurd en geboekt.") if approve else _("Voorstel afgewezen."),
            )
            return redirect("loans:receipt_list")
    return render(
        request,
        "loans/receipt_dispose.html",
        {
            "receipt": receipt,
            "form": form,
            "disposal": disposal,
            "own_proposal": own,
            "title": _("Besluiten over afhandeling"),
        },
    )


def _import_summary(result) -> str:
    repaid, parked, skipped = len(result.repayments), len(result.unmatched), len(result.skipped)
    parts = [
        ngettext("%(n)d aflossing geboekt", "%(n)d aflossingen geboekt", repaid) % {"n": repaid},
        ngettext(
            "%(n)d ontvangst op de tussenrekening", "%(n)d ontvangsten op de tussenrekening", parked
        )
        % {"n": parked},
    ]
    if skipped:
        parts.append(
            ngettext(
                "%(n)d regel overgeslagen (al eerder geboekt, of een uitgaande betaling)",
                "%(n)d regels overgeslagen (al eerder geboekt, of uitgaande betalingen)",
                skipped,
            )
            % {"n": skipped}
        )
    return _("Import verwerkt: %(parts)s.") % {"parts": ", ".join(parts)}


@role_required(MANAGER, write=True)
def repayments_import(request):
    user = request.user
    funds = Fund.objects.filter(managers=user).order_by("name")
    form = RepaymentsImportForm(request.POST or None, request.FILES or None, funds=funds)
    if request.method == "POST" and form.is_valid():
        fund = form.cleaned_data["fund"]
        require_manager_of(user, fund)
        result = call_service(
            form,
            services.repayments_import,
            REFUSALS,
            fund=fund,
            lines=form.cleaned_data["lines"],
            imported_by=user,
            overpayment=form.cleaned_data["overpayment"],
        )
        if result is not None:
            messages.success(request, _import_summary(result))
            if result.unmatched:
                return redirect(f"{reverse('loans:receipt_list')}?fund={fund.slug}")
            return redirect(f"{reverse('loans:loan_list')}?fund={fund.slug}")
    return render(request, "loans/repayments_import.html", {"form": form})


# --- portfolio -----------------------------------------------------------------------------


@role_required(MANAGER, AUDITOR)
def portfolio(request, slug):
    fund = get_object_or_404(funds_for(request.user).select_related("book"), slug=slug)
    today = clock.today()
    form = PortfolioForm(request.GET or None, initial={"as_of": today, "year": today.year})
    data = form.cleaned_data if form.is_valid() else {}
    as_of = data.get("as_of") or today
    year = data.get("year") or as_of.year

    arrears = selectors.portfolio_arrears(fund, as_of)
    buckets = [
        {"bucket": b, "label": ArrearsBucket(b).label, **arrears[b]} for b in selectors.BUCKETS
    ]
    bucket_totals = {
        "loans": sum(b["loans"] for b in buckets),
        "principal": sum((b["principal"] for b in buckets), ZERO),
        "arrears": sum((b["arrears"] for b in buckets), ZERO),
    }
    last_month = 12 if year < as_of.year else (as_of.month if year == as_of.year else 0)
    flows = []
    for month in range(1, last_month + 1):
        start, end = Date(year, month, 1), clock.month_end(year, month)
        flows.append({"month": start, **selectors.portfolio_flows(fund, start, min(end, as_of))})
    flow_totals = {
        key: sum((f[key] for f in flows), ZERO) for key in ("disbursed", "repaid", "written_off")
    }
    states = dict(
        Loan.objects.filter(fund=fund)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    context = {
        "fund": fund,
        "form": form,
        "as_of": as_of,
        "year": year,
        "outstanding": selectors.portfolio_outstanding(fund),
        "par30": (selectors.portfolio_par30(fund, as_of) * 100).quantize(Decimal("0.01")),
        "buckets": buckets,
        "bucket_totals": bucket_totals,
        "flows": flows,
        "flow_totals": flow_totals,
        "relent": selectors.portfolio_relent(fund, as_of),
        "states": [
            {"state": state, "label": label, "count": states.get(state, 0)}
            for state, label in LoanState.choices
        ],
    }
    return render(request, "loans/portfolio.html", context)


# --- loan products -------------------------------------------------------------------------


@role_required(MANAGER, AUDITOR)
def product_list(request, slug):
    fund = get_object_or_404(funds_for(request.user), slug=slug)
    products = list(LoanProduct.objects.filter(fund=fund).annotate(loan_count=Count("loans")))
    methods, frequencies = dict(METHOD_CHOICES), dict(FREQUENCY_CHOICES)
    for product in products:
        product.method_label = methods.get(product.method, product.method)
        product.frequency_label = frequencies.get(product.frequency, product.frequency)
    return render(
        request,
        "loans/product_list.html",
        {"fund": fund, "products": products, "can_add": manager_of(request.user, fund)},
    )


@role_required(MANAGER, write=True)
def product_create(request, slug):
    fund = get_object_or_404(funds_for(request.user), slug=slug)
    require_manager_of(request.user, fund)
    form = LoanProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        product = call_service(
            form,
            services.loan_product_create,
            REFUSALS,
            fund=fund,
            created_by=request.user,
            **form.cleaned_data,
        )
        if product is not None:
            messages.success(
                request, _("Leningproduct %(code)s vastgelegd.") % {"code": product.code}
            )
            return redirect("loans:product_list", slug=fund.slug)
    return render(request, "loans/product_form.html", {"fund": fund, "form": form})
