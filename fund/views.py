"""Web pages of the fund side: funds, capital, collectives, applications and grants.

Views are thin: look the object up in the user's scope (a 404 outside it), check the role
for a change (a 403), parse a form, make one service call, and redirect with a message.
Refusals of the services (:class:`fund.exceptions.FundError`) are shown next to the form.
"""

from __future__ import annotations

import os

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ledger.exceptions import LedgerError
from ledger.money import format_amount
from ledger.pages import audit_object_urls
from ledger.selectors import audit_events, contract_lines

from . import services, workflow
from .audit_labels import action_label
from .exceptions import FundError
from .forms import (
    ApplicationCreateForm,
    ApplicationFilterForm,
    ApplicationForm,
    AssessForm,
    AttachmentForm,
    BudgetEditFormSet,
    BudgetFormSet,
    CollectiveFilterForm,
    CollectiveForm,
    CollectiveRegisterForm,
    CommitmentForm,
    ContributionForm,
    DecideForm,
    GrantAwardForm,
    GrantFilterForm,
    GrantPayForm,
    GrantPaymentDecideForm,
    GrantSettleForm,
    InvestorFilterForm,
    InvestorForm,
    SdgForm,
    budget_lines,
    sdg_list,
)
from .models import (
    Application,
    ApplicationState,
    Collective,
    CollectiveChange,
    Commitment,
    Contribution,
    Fund,
    Grant,
    GrantPayment,
    GrantState,
    PaymentState,
    Proposal,
)
from .permissions import (
    AUDITOR,
    INVESTOR,
    MANAGER,
    MEMBER,
    NO_ROLE,
    can_write,
    forget_roles,
    has_role,
    is_staff_reader,
    manager_of,
    member_of,
    require_any_manager,
    require_manager_of,
    require_member_of,
    role_required,
    roles_of,
)
from .selectors import (
    applications_for,
    collectives_for,
    contributions_for_investor,
    fund_positions,
    funds_for,
    grants_for,
    investors_for,
    money_total,
    pipeline,
)
from .services import COLLECTIVE_FIELDS
from .web import call_service, page_of

REFUSALS = (FundError, LedgerError, ValidationError)


# --- helpers -------------------------------------------------------------------------------


def _call_with_message(request, service, **kwargs):
    """One service call for a button without fields; a refusal becomes an error message."""
    try:
        return service(**kwargs)
    except (FundError, LedgerError) as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return None


def _changes(event) -> list[dict]:
    before, after = event.before or {}, event.after or {}
    keys = [k for k in after if before.get(k) != after.get(k)]
    keys += [k for k in before if k not in after]
    return [{"field": k, "before": before.get(k), "after": after.get(k)} for k in keys]


def _history(user, object_type: str, object_id) -> list[dict]:
    """Audit events of one object, newest first; before/after only for managers and auditors."""
    staff = is_staff_reader(user)
    return [
        {
            "event": event,
            "label": action_label(event.action),
            "changes": _changes(event) if staff else [],
        }
        for event in audit_events(object_type=object_type, object_id=object_id)[:200]
    ]


def _budget_formset(formset_class, data, initial=None):
    """The budget rows and whether they were posted. A POST without the rows (no management
    form) leaves the budget as it is instead of failing or emptying it."""
    if data is not None and "budget-TOTAL_FORMS" not in data:
        return formset_class(prefix="budget", initial=initial), False
    return formset_class(data, prefix="budget", initial=initial), data is not None


def _commitment_rows(commitments) -> list[dict]:
    """Each commitment with what is paid in and still open (contributions prefetched)."""
    return [{"commitment": c, "paid": c.paid, "open": c.open} for c in commitments]


def _save_attachments(request, application: Application, files) -> None:
    for upload in files:
        try:
            services.attachment_add(application=application, file=upload, uploaded_by=request.user)
        except FundError as error:
            messages.warning(
                request,
                _("Bijlage %(name)s is niet opgeslagen: %(error)s")
                % {"name": upload.name, "error": error},
            )


# --- funds ---------------------------------------------------------------------------------


@role_required(MANAGER, AUDITOR)
def fund_list(request):
    open_states = [ApplicationState.SUBMITTED, ApplicationState.IN_REVIEW]
    funds = (
        funds_for(request.user)
        .prefetch_related("managers")
        .annotate(open_count=Count("applications", filter=Q(applications__state__in=open_states)))
        .order_by("name")
    )
    return render(request, "fund/fund_list.html", {"page_obj": page_of(request, funds)})


@role_required(MANAGER, AUDITOR)
def fund_detail(request, slug):
    fund = get_object_or_404(funds_for(request.user).select_related("book"), slug=slug)
    counts = pipeline(fund)
    commitments = (
        Commitment.objects.filter(compartment__fund=fund)
        .select_related("investor", "compartment")
        .prefetch_related("contributions")
        .order_by("-date", "-id")
    )
    contributions = (
        Contribution.objects.filter(commitment__compartment__fund=fund)
        .select_related("commitment__investor", "commitment__compartment")
        .order_by("-date", "-id")[:10]
    )
    context = {
        "fund": fund,
        "positions": fund_positions(fund),
        "pipeline": [
            {"state": state, "label": label, "count": counts.get(state, 0)}
            for state, label in ApplicationState.choices
        ],
        "commitments": _commitment_rows(commitments),
        "contributions": contributions,
        "activity": _activity(list(audit_events(book=fund.book).filter(book=fund.book)[:15])),
        "managers": fund.managers.all(),
        "can_manage": can_write(request.user) and manager_of(request.user, fund),
    }
    return render(request, "fund/fund_detail.html", context)


def _activity(events) -> list[dict]:
    """Recent audit events, each linked to its object's page (a loan, a grant, ...)."""
    urls = audit_object_urls(events)
    return [
        {
            "event": event,
            "label": action_label(event.action),
            "url": urls.get((event.object_type, event.object_id), ""),
        }
        for event in events
    ]


# --- investors and capital -----------------------------------------------------------------


@role_required(MANAGER, AUDITOR, INVESTOR)
def investor_list(request):
    investors = investors_for(request.user).annotate(commitment_count=Count("commitments"))
    form = InvestorFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            investors = investors.filter(
                Q(name__icontains=data["q"]) | Q(code__icontains=data["q"])
            )
        if data["kind"]:
            investors = investors.filter(kind=data["kind"])
    context = {
        "filter_form": form,
        "page_obj": page_of(request, investors.order_by("name")),
        "can_create": can_write(request.user) and has_role(request.user, MANAGER),
    }
    return render(request, "fund/investor_list.html", context)


@role_required(MANAGER, AUDITOR, INVESTOR)
def investor_detail(request, pk):
    user = request.user
    investor = get_object_or_404(investors_for(user), pk=pk)
    commitments = Commitment.objects.filter(investor=investor)
    contributions = contributions_for_investor(investor)
    own = AUDITOR in roles_of(user) or investor.users.filter(pk=user.pk).exists()
    if not own:  # a manager sees the capital in their own funds only
        commitments = commitments.filter(compartment__fund__managers=user)
        contributions = contributions.filter(commitment__compartment__fund__managers=user)
    commitments = (
        commitments.select_related("compartment__fund")
        .prefetch_related("contributions")
        .order_by("-date", "-id")
    )
    rows = _commitment_rows(commitments)
    context = {
        "investor": investor,
        "commitments": rows,
        "committed_total": money_total(r["commitment"].amount for r in rows),
        "paid_total": money_total(r["paid"] for r in rows),
        "contributions": contributions.order_by("-date", "-id"),
        "history": _history(user, "fund.investor", investor.pk),
        "manageable_funds": (
            funds_for(user).filter(managers=user) if can_write(user) else Fund.objects.none()
        ),
    }
    return render(request, "fund/investor_detail.html", context)


@role_required(MANAGER, write=True)
def investor_create(request):
    form = InvestorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        investor = call_service(
            form,
            services.investor_create,
            REFUSALS,
            created_by=request.user,
            **{name: data[name] for name in InvestorForm.Meta.fields},
        )
        if investor is not None:
            messages.success(request, _("Investeerder %(name)s vastgelegd.") % {"name": investor})
            return redirect("fund:investor_detail", pk=investor.pk)
    return render(request, "fund/investor_form.html", {"form": form})


@role_required(MANAGER, write=True)
def commitment_create(request, slug):
    fund = get_object_or_404(funds_for(request.user), slug=slug)
    require_manager_of(request.user, fund)
    initial = {"investor": request.GET.get("investor")}
    form = CommitmentForm(request.POST or None, fund=fund, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "once"}
        commitment = call_service(
            form,
            services.commitment_create,
            REFUSALS,
            created_by=request.user,
            idempotency_key=form.once_key,
            **data,
        )
        if commitment is not None:
            messages.success(
                request,
                _("Toezegging van %(investor)s vastgelegd.") % {"investor": commitment.investor},
            )
            return redirect("fund:fund_detail", slug=fund.slug)
    return render(request, "fund/commitment_form.html", {"fund": fund, "form": form})


@role_required(MANAGER, write=True)
def contribution_create(request, pk):
    commitments = Commitment.objects.filter(compartment__fund__in=funds_for(request.user))
    commitment = get_object_or_404(
        commitments.select_related("investor", "compartment__fund").prefetch_related(
            "contributions"
        ),
        pk=pk,
    )
    fund = commitment.compartment.fund
    require_manager_of(request.user, fund)
    row = _commitment_rows([commitment])[0]
    form = ContributionForm(request.POST or None, initial={"amount": row["open"].amount})
    if request.method == "POST" and form.is_valid():
        contribution = call_service(
            form,
            services.contribution_record,
            REFUSALS,
            commitment=commitment,
            created_by=request.user,
            amount=form.cleaned_data["amount"],
            date=form.cleaned_data["date"],
            idempotency_key=form.once_key,
        )
        if contribution is not None:
            messages.success(
                request,
                _("Storting van %(investor)s geboekt.") % {"investor": commitment.investor},
            )
            return redirect("fund:fund_detail", slug=fund.slug)
    context = {"fund": fund, "row": row, "commitment": commitment, "form": form}
    return render(request, "fund/contribution_form.html", context)


# --- collectives ---------------------------------------------------------------------------


def _can_register(user) -> bool:
    return can_write(user) and has_role(user, NO_ROLE, MEMBER, MANAGER)


@role_required(MANAGER, AUDITOR, MEMBER, INVESTOR, NO_ROLE)
def collective_list(request):
    scoped = collectives_for(request.user)
    municipalities = (
        scoped.exclude(municipality="")
        .order_by("municipality")
        .values_list("municipality", flat=True)
        .distinct()
    )
    form = CollectiveFilterForm(request.GET or None, municipalities=list(municipalities))
    collectives = scoped
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"]
            collectives = collectives.filter(
                Q(name__icontains=q) | Q(code__icontains=q) | Q(city__icontains=q) | Q(kvk_number=q)
            )
        if data["kind"]:
            collectives = collectives.filter(kind=data["kind"])
        if data["municipality"]:
            collectives = collectives.filter(municipality=data["municipality"])
        if data["verified"]:
            collectives = collectives.filter(verified_at__isnull=data["verified"] == "no")
    context = {
        "filter_form": form,
        "page_obj": page_of(request, collectives.order_by("name")),
        "can_register": _can_register(request.user),
    }
    return render(request, "fund/collective_list.html", context)


@role_required(NO_ROLE, MEMBER, MANAGER, write=True)
def collective_register(request):
    user = request.user
    for_someone = has_role(user, MANAGER)
    form = CollectiveRegisterForm(request.POST or None, for_someone=for_someone)
    sdg_form = SdgForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and sdg_form.is_valid():
        fields = {name: form.cleaned_data[name] for name in CollectiveForm.Meta.fields}
        member = form.cleaned_data.get("contact_user") if for_someone else user
        collective = call_service(
            form,
            services.collective_register,
            REFUSALS,
            registered_by=user,
            member=member,
            sdgs=sdg_form.cleaned_data["sdgs"],
            **fields,
        )
        if collective is not None:
            forget_roles(user)
            messages.success(
                request,
                _(
                    "%(name)s is aangemeld met code %(code)s. Een fondsbeheerder verifieert "
                    "KvK-nummer en IBAN; daarna kunt u aanvragen indienen."
                )
                % {"name": collective.name, "code": collective.code},
            )
            return redirect("fund:collective_detail", code=collective.code)
    context = {"form": form, "sdg_form": sdg_form, "for_someone": for_someone}
    return render(request, "fund/collective_form.html", context)


@role_required(MANAGER, AUDITOR, MEMBER)
def collective_detail(request, code):
    user = request.user
    collective = get_object_or_404(
        collectives_for(user).select_related("verified_by").prefetch_related("members"), code=code
    )
    is_member = member_of(user, collective)
    writer = can_write(user)
    context = {
        "collective": collective,
        "sdgs": sdg_list(collective.sdgs),
        "applications": applications_for(user).filter(collective=collective),
        "grants": grants_for(user).filter(collective=collective),
        "history": _history(user, "fund.collective", collective.pk),
        "can_edit": writer and (is_member or has_role(user, MANAGER)),
        "can_verify": writer and has_role(user, MANAGER) and not collective.is_verified,
        "can_apply": writer and is_member,
        "pending_change": _pending_change(user, collective),
    }
    return render(request, "fund/collective_detail.html", context)


def _field_label(name: str) -> str:
    return str(Collective._meta.get_field(name).verbose_name)


def _pending_change(user, collective: Collective) -> dict | None:
    change = (
        collective.identity_changes.filter(state=CollectiveChange.State.PROPOSED)
        .select_related("proposed_by")
        .first()
    )
    if change is None:
        return None
    return {
        "change": change,
        "rows": [
            {"label": _field_label(k), "before": change.before.get(k), "after": v}
            for k, v in change.after.items()
        ],
        "can_decide": can_write(user)
        and has_role(user, MANAGER)
        and change.proposed_by_id != user.pk
        and not member_of(user, collective),
    }


@require_POST
@role_required(MANAGER, write=True)
def collective_change_decide(request, code, pk):
    collective = get_object_or_404(collectives_for(request.user), code=code)
    change = get_object_or_404(collective.identity_changes, pk=pk)
    approve = request.POST.get("decision") == "approve"
    done = _call_with_message(
        request,
        services.collective_change_decide,
        change=change,
        decided_by=request.user,
        approve=approve,
        reason=request.POST.get("reason", "")[:2000],
    )
    if done is not None:
        messages.success(
            request,
            _("Wijziging goedgekeurd en doorgevoerd.") if approve else _("Wijziging afgewezen."),
        )
    return redirect("fund:collective_detail", code=collective.code)


@role_required(MANAGER, MEMBER, write=True)
def collective_edit(request, code):
    user = request.user
    collective = get_object_or_404(collectives_for(user), code=code)
    if not has_role(user, MANAGER):
        require_member_of(user, collective)
    form = CollectiveForm(request.POST or None, instance=Collective.objects.get(pk=collective.pk))
    sdg_form = SdgForm(request.POST or None, initial={"sdgs": collective.sdgs})
    if request.method == "POST" and form.is_valid() and sdg_form.is_valid():
        cleaned = {**form.cleaned_data, "sdgs": sdg_form.cleaned_data["sdgs"]}
        fields = {
            name: value
            for name, value in cleaned.items()
            if name in COLLECTIVE_FIELDS and value != getattr(collective, name)
        }
        if not fields:
            messages.info(request, _("Er is niets gewijzigd."))
            return redirect("fund:collective_detail", code=collective.code)
        updated = call_service(
            form,
            services.collective_update,
            REFUSALS,
            collective=collective,
            changed_by=user,
            **fields,
        )
        if updated is not None:
            if getattr(updated, "pending_change", None) is not None:
                messages.success(
                    request,
                    _(
                        "De wijziging van %(fields)s is voorgesteld. Een fondsbeheerder keurt "
                        "haar goed; tot dan blijven de oude gegevens gelden en wordt er niets "
                        "uitbetaald. De contactpersonen krijgen een e-mail."
                    )
                    % {"fields": ", ".join(_field_label(k) for k in updated.pending_change.after)},
                )
            else:
                messages.success(
                    request, _("De gegevens van %(name)s zijn opgeslagen.") % {"name": updated}
                )
            return redirect("fund:collective_detail", code=collective.code)
    context = {"form": form, "sdg_form": sdg_form, "collective": collective}
    return render(request, "fund/collective_form.html", context)


@require_POST
@role_required(MANAGER, write=True)
def collective_verify(request, code):
    collective = get_object_or_404(collectives_for(request.user), code=code)
    require_any_manager(request.user)
    if _call_with_message(
        request, services.collective_verify, collective=collective, verified_by=request.user
    ):
        messages.success(request, _("%(name)s is geverifieerd.") % {"name": collective})
    return redirect("fund:collective_detail", code=collective.code)


# --- applications --------------------------------------------------------------------------


def _visible_funds(user):
    return Fund.objects.filter(
        Q(pk__in=funds_for(user).values("pk")) | Q(applications__collective__members=user)
    ).distinct()


@role_required(MANAGER, AUDITOR, MEMBER)
def application_list(request):
    user = request.user
    applications = applications_for(user)
    form = ApplicationFilterForm(request.GET or None, funds=_visible_funds(user))
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"]
            applications = applications.filter(
                Q(number__icontains=q) | Q(title__icontains=q) | Q(collective__name__icontains=q)
            )
        for name in ("state", "kind", "fund"):
            if data[name]:
                applications = applications.filter(**{name: data[name]})
    context = {
        "filter_form": form,
        "page_obj": page_of(request, applications),
        "can_create": can_write(user) and has_role(user, MEMBER),
    }
    return render(request, "fund/application_list.html", context)


def _scoped_application(request, number) -> Application:
    return get_object_or_404(
        applications_for(request.user).select_related(
            "fund__book", "created_by", "assessor", "decided_by"
        ),
        number=number,
    )


@role_required(MEMBER, write=True)
def application_create(request):
    user = request.user
    collectives = list(Collective.objects.filter(members=user).order_by("name"))
    data = request.POST or None
    form = ApplicationCreateForm(data, collectives=Collective.objects.filter(members=user))
    sdg_form = SdgForm(data)
    budget, budget_posted = _budget_formset(BudgetFormSet, data)
    attachments = AttachmentForm(data, request.FILES or None)
    forms_valid = request.method == "POST" and all(
        [
            form.is_valid(),
            sdg_form.is_valid(),
            budget.is_valid() if budget_posted else True,
            attachments.is_valid(),
        ]
    )
    if forms_valid:
        cleaned = form.cleaned_data
        details = {
            name: cleaned[name]
            for name in ApplicationForm.base_fields
            if name not in {"title", "purpose", "amount_requested"}
        }
        application = call_service(
            form,
            services.application_create,
            REFUSALS,
            fund=cleaned["fund"],
            collective=cleaned["collective"],
            kind=cleaned["kind"],
            title=cleaned["title"],
            purpose=cleaned["purpose"],
            amount_requested=cleaned["amount_requested"],
            created_by=user,
            budget_lines=budget_lines(budget) if budget_posted else (),
            sdgs=sdg_form.cleaned_data["sdgs"],
            idempotency_key=form.once_key,
            **details,
        )
        if application is not None:
            if not getattr(application, "once_replayed", False):
                _save_attachments(request, application, attachments.cleaned_data["files"])
            messages.success(
                request,
                _("Concept %(number)s is opgeslagen. Dien het in als het compleet is.")
                % {"number": application.number},
            )
            return redirect("fund:application_detail", number=application.number)
    context = {
        "form": form,
        "sdg_form": sdg_form,
        "budget": budget,
        "attachment_form": attachments,
        "no_collective": not collectives,
    }
    return render(request, "fund/application_form.html", context)


@role_required(MEMBER, write=True)
def application_edit(request, number):
    user = request.user
    application = _scoped_application(request, number)
    require_member_of(user, application.collective)
    if not workflow.state_allows(application, "edit"):
        messages.error(request, _("Alleen een concept kan worden gewijzigd."))
        return redirect("fund:application_detail", number=application.number)
    data = request.POST or None
    initial = {name: getattr(application, name) for name in ApplicationForm.base_fields}
    initial["amount_requested"] = application.amount_requested.amount
    form = ApplicationForm(data, initial=initial)
    sdg_form = SdgForm(data, initial={"sdgs": application.sdgs})
    lines = [
        {"description": line.description, "amount": line.amount.amount}
        for line in application.budget_lines.all()
    ]
    budget, budget_posted = _budget_formset(BudgetEditFormSet, data, initial=lines)
    attachments = AttachmentForm(data, request.FILES or None)
    forms_valid = request.method == "POST" and all(
        [
            form.is_valid(),
            sdg_form.is_valid(),
            budget.is_valid() if budget_posted else True,
            attachments.is_valid(),
        ]
    )
    if forms_valid:
        updated = call_service(
            form,
            services.application_update,
            REFUSALS,
            application=application,
            changed_by=user,
            budget_lines=budget_lines(budget) if budget_posted else None,
            sdgs=sdg_form.cleaned_data["sdgs"],
            **form.cleaned_data,
        )
        if updated is not None:
            _save_attachments(request, updated, attachments.cleaned_data["files"])
            messages.success(request, _("Aanvraag %(number)s is opgeslagen.") % {"number": number})
            return redirect("fund:application_detail", number=application.number)
    context = {
        "application": application,
        "form": form,
        "sdg_form": sdg_form,
        "budget": budget,
        "attachment_form": attachments,
        "existing_attachments": application.attachments.all(),
    }
    return render(request, "fund/application_form.html", context)


def _application_actions(user, application: Application) -> dict:
    """Which steps this user may take on this application now, with their forms. The steps
    come from the table in :mod:`fund.workflow`; this adds the forms the page shows."""
    allowed = workflow.actions_for(user, application)
    actions = {
        "edit": "edit" in allowed,
        "submit": "submit" in allowed,
        "withdraw": "withdraw" in allowed,
        "start_review": "start_review" in allowed,
        "assess_form": _assess_form(application) if "assess" in allowed else None,
        "decide_form": _decide_form(application) if allowed & set(workflow.DECIDE) else None,
        "decide_blocked": workflow.decide_blocked(user, application),
        "award_form": GrantAwardForm(auto_id="award_%s") if "award" in allowed else None,
        # The loan is contracted on the loans side; whether this user may is decided by the
        # table, not in the template.
        "contract": "contract" in allowed,
    }
    actions["any"] = any(v for k, v in actions.items() if k != "contract")
    return actions


def _assess_form(application: Application, data=None) -> AssessForm:
    amount = application.proposed_amount or application.amount_requested
    initial = {
        "proposal": application.proposal or Proposal.APPROVE,
        "assessment": application.assessment,
        "amount": amount.amount,
        "conditions": application.conditions,
    }
    return AssessForm(data, initial=initial, auto_id="assess_%s")


def _decide_form(application: Application, data=None) -> DecideForm:
    initial = {
        "decision": application.proposal,
        "amount": application.proposed_amount.amount if application.proposed_amount else None,
        "conditions": application.conditions,
    }
    return DecideForm(data, initial=initial, auto_id="decide_%s")


@role_required(MANAGER, AUDITOR, MEMBER)
def application_detail(request, number):
    user = request.user
    application = _scoped_application(request, number)
    lines = list(application.budget_lines.all())
    context = {
        "application": application,
        "budget_lines": lines,
        "budget_total": money_total(line.amount for line in lines),
        "attachments": application.attachments.select_related("uploaded_by"),
        "sdgs": sdg_list(application.sdgs),
        "grant": Grant.objects.filter(application=application).first(),
        "show_assessment": is_staff_reader(user),
        "history": _history(user, "fund.application", application.pk),
        "actions": _application_actions(user, application),
    }
    return render(request, "fund/application_detail.html", context)


@role_required(MANAGER, AUDITOR, MEMBER)
def attachment_download(request, number, pk):
    application = _scoped_application(request, number)
    attachment = get_object_or_404(application.attachments, pk=pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(attachment.file.name))


def _member_step(request, number, service, actor_arg: str, success: str):
    application = _scoped_application(request, number)
    require_member_of(request.user, application.collective)
    if _call_with_message(request, service, application=application, **{actor_arg: request.user}):
        messages.success(request, success % {"number": application.number})
    return redirect("fund:application_detail", number=application.number)


@require_POST
@role_required(MEMBER, write=True)
def application_submit(request, number):
    return _member_step(
        request,
        number,
        services.application_submit,
        "submitted_by",
        _("Aanvraag %(number)s is ingediend."),
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("Ik trek deze aanvraag in. Dit kan niet ongedaan worden gemaakt."),
        error_messages={"required": gettext_lazy("Vink aan dat u de aanvraag intrekt.")},
    )


@role_required(MEMBER, write=True)
def application_withdraw(request, number):
    """A contact withdraws an application, after confirming it on its own page."""
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return _member_step(
            request,
            number,
            services.application_withdraw,
            "withdrawn_by",
            _("Aanvraag %(number)s is ingetrokken."),
        )
    application = _scoped_application(request, number)
    require_member_of(request.user, application.collective)
    return _application_action_page(request, application, form, "withdraw", _("Aanvraag intrekken"))


@require_POST
@role_required(MANAGER, write=True)
def application_start_review(request, number):
    application = _scoped_application(request, number)
    require_manager_of(request.user, application.fund)
    if _call_with_message(
        request, services.application_start_review, application=application, assessor=request.user
    ):
        messages.success(
            request,
            _("U beoordeelt nu aanvraag %(number)s.") % {"number": application.number},
        )
    return redirect("fund:application_detail", number=application.number)


def _application_action_page(request, application, form, step: str, title: str):
    context = {"application": application, "form": form, "step": step, "title": title}
    return render(request, "fund/application_action.html", context)


@role_required(MANAGER, write=True)
def application_assess(request, number):
    application = _scoped_application(request, number)
    require_manager_of(request.user, application.fund)
    form = _assess_form(application, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = call_service(
            form,
            services.application_assess,
            REFUSALS,
            application=application,
            assessor=request.user,
            proposal=data["proposal"],
            assessment=data["assessment"],
            amount=data["amount"] if data["proposal"] == Proposal.APPROVE else None,
            conditions=data["conditions"],
        )
        if done is not None:
            messages.success(
                request,
                _("Beoordeling van %(number)s opgeslagen; een andere beheerder besluit.")
                % {"number": application.number},
            )
            return redirect("fund:application_detail", number=application.number)
    return _application_action_page(request, application, form, "assess", _("Beoordelen"))


@role_required(MANAGER, write=True)
def application_decide(request, number):
    application = _scoped_application(request, number)
    require_manager_of(request.user, application.fund)
    if request.method != "POST" and application.assessor_id == request.user.pk:
        # Four eyes: the assessor is not offered the decision form at all.
        messages.error(
            request,
            _(
                "Vier ogen: u heeft deze aanvraag beoordeeld. Een andere fondsbeheerder van dit "
                "fonds besluit erover."
            ),
        )
        return redirect("fund:application_detail", number=application.number)
    form = _decide_form(application, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        approve = data["decision"] == Proposal.APPROVE
        done = call_service(
            form,
            services.application_decide,
            REFUSALS,
            application=application,
            decided_by=request.user,
            approve=approve,
            reason=data["reason"],
            amount=data["amount"] if approve else None,
            conditions=data["conditions"],
        )
        if done is not None:
            message = (
                _("Aanvraag %(number)s is goedgekeurd.")
                if approve
                else _("Aanvraag %(number)s is afgewezen.")
            )
            messages.success(request, message % {"number": application.number})
            return redirect("fund:application_detail", number=application.number)
    return _application_action_page(request, application, form, "decide", _("Besluiten"))


@role_required(MANAGER, write=True)
def grant_award(request, number):
    application = _scoped_application(request, number)
    require_manager_of(request.user, application.fund)
    form = GrantAwardForm(request.POST or None, auto_id="award_%s")
    if request.method == "POST" and form.is_valid():
        grant = call_service(
            form,
            services.grant_award,
            REFUSALS,
            application=application,
            awarded_by=request.user,
            date=form.cleaned_data["date"],
        )
        if grant is not None:
            messages.success(
                request, _("Subsidie %(number)s is toegekend.") % {"number": grant.number}
            )
            return redirect("fund:grant_detail", number=grant.number)
    return _application_action_page(request, application, form, "award", _("Subsidie toekennen"))


# --- grants --------------------------------------------------------------------------------


@role_required(MANAGER, AUDITOR, MEMBER)
def grant_list(request):
    user = request.user
    grants = grants_for(user)
    funds = Fund.objects.filter(pk__in=grants.values("fund_id")).order_by("name")
    form = GrantFilterForm(request.GET or None, funds=funds)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"]
            grants = grants.filter(
                Q(number__icontains=q)
                | Q(collective__name__icontains=q)
                | Q(application__title__icontains=q)
            )
        for name in ("state", "fund"):
            if data[name]:
                grants = grants.filter(**{name: data[name]})
    return render(
        request, "fund/grant_list.html", {"filter_form": form, "page_obj": page_of(request, grants)}
    )


def _scoped_grant(request, number) -> Grant:
    return get_object_or_404(
        grants_for(request.user).select_related("fund__book", "awarded_by"), number=number
    )


@role_required(MANAGER, AUDITOR, MEMBER)
def grant_detail(request, number):
    user = request.user
    grant = _scoped_grant(request, number)
    manager = can_write(user) and manager_of(user, grant.fund)
    open_state = grant.state in (GrantState.AWARDED, GrantState.PAYING)
    staff = is_staff_reader(user)
    payments = list(grant.payments.select_related("created_by", "proposed_by", "decided_by"))
    for payment in payments:
        proposed = payment.state == PaymentState.PROPOSED
        payment.can_decide = proposed and manager and payment.proposed_by_id != user.pk
        payment.waits_for_other = proposed and payment.proposed_by_id == user.pk
    context = {
        "grant": grant,
        "payments": payments,
        "pending": money_total(p.amount for p in payments if p.state == PaymentState.PROPOSED),
        "lines": contract_lines(book=grant.fund.book, contract=grant.number) if staff else None,
        "history": _history(user, "fund.grant", grant.pk),
        "pay_form": _pay_form(grant) if manager and open_state else None,
        "settle_form": GrantSettleForm(auto_id="settle_%s")
        if manager and grant.state != GrantState.SETTLED
        else None,
    }
    return render(request, "fund/grant_detail.html", context)


def _pay_form(grant: Grant, data=None) -> GrantPayForm:
    pending = money_total(p.amount for p in grant.payments.filter(state=PaymentState.PROPOSED))
    open_ = grant.unpaid - pending if pending else grant.unpaid
    return GrantPayForm(data, initial={"amount": open_.amount}, auto_id="pay_%s")


def _grant_action_page(request, grant, form, step: str, title: str):
    context = {"grant": grant, "form": form, "step": step, "title": title}
    return render(request, "fund/grant_action.html", context)


@role_required(MANAGER, write=True)
def grant_pay(request, number):
    grant = _scoped_grant(request, number)
    require_manager_of(request.user, grant.fund)
    form = _pay_form(grant, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payment = call_service(
            form,
            services.grant_payment_propose,
            REFUSALS,
            grant=grant,
            proposed_by=request.user,
            amount=data["amount"],
            date=data["date"],
            description=data["description"],
            idempotency_key=form.once_key,
        )
        if payment is not None:
            messages.success(
                request,
                _(
                    "Betaling van %(amount)s op subsidie %(number)s voorgesteld; een tweede "
                    "fondsbeheerder keurt haar goed."
                )
                % {"amount": format_amount(payment.amount.amount), "number": grant.number},
            )
            return redirect("fund:grant_detail", number=grant.number)
    return _grant_action_page(request, grant, form, "pay", _("Betaling voorstellen"))


@require_POST
@role_required(MANAGER, write=True)
def grant_payment_decide(request, number, pk):
    grant = _scoped_grant(request, number)
    require_manager_of(request.user, grant.fund)
    payment = get_object_or_404(GrantPayment.objects.filter(grant=grant), pk=pk)
    form = GrantPaymentDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Kies goedkeuren of afwijzen."))
        return redirect("fund:grant_detail", number=grant.number)
    approve = form.cleaned_data["decision"] == Proposal.APPROVE
    done = _call_with_message(
        request,
        services.grant_payment_decide,
        payment=payment,
        decided_by=request.user,
        approve=approve,
        reason=form.cleaned_data["reason"],
    )
    if done is not None:
        message = (
            _("Betaling van %(amount)s op subsidie %(number)s goedgekeurd en geboekt.")
            if approve
            else _("Betaling van %(amount)s op subsidie %(number)s afgewezen.")
        )
        messages.success(
            request, message % {"amount": format_amount(done.amount.amount), "number": grant.number}
        )
    return redirect("fund:grant_detail", number=grant.number)


@role_required(MANAGER, write=True)
def grant_settle(request, number):
    grant = _scoped_grant(request, number)
    require_manager_of(request.user, grant.fund)
    form = GrantSettleForm(request.POST or None, auto_id="settle_%s")
    if request.method == "POST" and form.is_valid():
        settled = call_service(
            form,
            services.grant_settle,
            REFUSALS,
            grant=grant,
            settled_by=request.user,
            **form.cleaned_data,
        )
        if settled is not None:
            messages.success(
                request, _("Subsidie %(number)s is afgerekend.") % {"number": grant.number}
            )
            return redirect("fund:grant_detail", number=grant.number)
    return _grant_action_page(request, grant, form, "settle", _("Subsidie afrekenen"))


# --- accounts locked after failed sign-ins -----------------------------------------------------


@role_required(MANAGER, write=True)
def locked_accounts(request):
    """Accounts locked after too many wrong passwords; a fund manager lifts the lockout."""
    from axes.models import AccessAttempt
    from django.conf import settings as django_settings

    from .role_audit import account_unlock

    if request.method == "POST":
        username = request.POST.get("username", "")[:150]
        if username:
            account_unlock(username=username, unlocked_by=request.user)
            messages.success(request, _("Account %(name)s is ontgrendeld.") % {"name": username})
        return redirect("fund:locked_accounts")
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=django_settings.AXES_FAILURE_LIMIT
    ).order_by("-attempt_time")
    return render(request, "fund/locked_accounts.html", {"attempts": attempts})
