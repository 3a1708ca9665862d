"""The "Gebruikers" pages (issue #10): a fund manager invites, unlinks and (de)activates the
contacts of collectives and the users of investors in their scope; an auditor reads the list.

A user, collective or investor outside the manager's scope (:mod:`fund.users`) is a 404;
every change is a POST behind a confirmation page or a button that says what it does.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import users as service
from .exceptions import FundError
from .permissions import AUDITOR, AUDITORS_GROUP, MANAGER, can_write, has_role, role_required
from .user_forms import UserFilterForm, UserInviteForm, target_value
from .views import REFUSALS
from .web import call_service, page_of


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _role(collective=None, investor=None) -> str:
    if collective is not None:
        return _("contactpersoon van %(name)s") % {"name": collective.name}
    return _("gebruiker van investeerder %(name)s") % {"name": investor.name}


def _refused(request, error: Exception):
    messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("fund:user_list")


# --- the list ------------------------------------------------------------------------------


def _search(users, query: str):
    for word in query.split()[:5]:
        users = users.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(username__icontains=word)
        )
    return users


def _privileged(user) -> bool:
    """:func:`fund.users.is_privileged` from the prefetched funds and groups."""
    return bool(
        user.is_superuser
        or user.is_staff
        or user.managed_funds.all()
        or any(group.name == AUDITORS_GROUP for group in user.groups.all())
    )


def _rows(viewer, users, manage: bool) -> list[dict]:
    """Each user with their links in the viewer's scope (the others only counted)."""
    collectives = set(service.collectives_in_scope(viewer).values_list("pk", flat=True))
    investors = set(service.investors_in_scope(viewer).values_list("pk", flat=True))
    rows = []
    for user in users:
        links, elsewhere = [], 0
        for collective in user.collectives.all():
            if collective.pk not in collectives:
                elsewhere += 1
                continue
            links.append(
                {
                    "kind": _("Contactpersoon"),
                    "name": collective.name,
                    "url": reverse("fund:collective_detail", args=[collective.code]),
                    "unlink_url": reverse(
                        "fund:user_unlink_collective", args=[user.pk, collective.code]
                    ),
                    "target": {"collective": collective.code},
                }
            )
        for investor in user.investors.all():
            if investor.pk not in investors:
                elsewhere += 1
                continue
            links.append(
                {
                    "kind": _("Investeerder"),
                    "name": investor.name,
                    "url": reverse("fund:investor_detail", args=[investor.pk]),
                    "unlink_url": reverse("fund:user_unlink_investor", args=[user.pk, investor.pk]),
                    "target": {"investor": investor.pk},
                }
            )
        invited = not user.has_usable_password()
        reinvite_url = None
        if manage and invited and user.is_active and links:
            query = {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                **links[0]["target"],
            }
            reinvite_url = f"{reverse('fund:user_invite')}?{urlencode(query)}"
        rows.append(
            {
                "user": user,
                "name": _name(user),
                "links": links,
                "elsewhere": elsewhere,
                "invited": invited,
                "reinvite_url": reinvite_url,
                "privileged": manage and _privileged(user),
            }
        )
    return rows


@role_required(MANAGER, AUDITOR)
def user_list(request):
    viewer = request.user
    users = service.users_in_scope(viewer)
    form = UserFilterForm(request.GET or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            users = _search(users, data["q"])
        if data["status"]:
            users = users.filter(is_active=data["status"] == "active")
    users = users.prefetch_related("collectives", "investors", "managed_funds", "groups")
    page_obj = page_of(request, users.order_by("last_name", "first_name", "username"))
    manage = can_write(viewer) and has_role(viewer, MANAGER)
    context = {
        "filter_form": form,
        "page_obj": page_obj,
        "rows": _rows(viewer, page_obj.object_list, manage),
        "can_manage": manage,
    }
    return render(request, "fund/user_list.html", context)


# --- invite --------------------------------------------------------------------------------


def _invite_initial(request, collectives, investors) -> dict:
    """Prefill from the query string: a link from a collective or investor, "invite again"."""
    initial = {key: request.GET.get(key, "")[:150] for key in ("first_name", "last_name", "email")}
    code, investor_pk = request.GET.get("collective", ""), request.GET.get("investor", "")
    target = None
    if code:
        target = collectives.filter(code=code[:20]).first()
    elif investor_pk.isdigit() and len(investor_pk) < 19:
        target = investors.filter(pk=investor_pk).first()
    if target is not None:
        initial["target"] = target_value(target)
    return initial


@role_required(MANAGER, write=True)
def user_invite(request):
    manager = request.user
    collectives = service.collectives_in_scope(manager)
    investors = service.investors_in_scope(manager)
    form = UserInviteForm(
        request.POST or None,
        collectives=collectives,
        investors=investors,
        initial=_invite_initial(request, collectives, investors),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invitation = call_service(
            form,
            service.user_invite,
            REFUSALS,
            invited_by=manager,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            base_url=request.build_absolute_uri("/"),
            **form.target_kwargs,
        )
        if invitation is not None:
            _invite_messages(request, invitation, form.target_kwargs)
            query = urlencode({"q": invitation.user.email or invitation.user.get_username()})
            return redirect(f"{reverse('fund:user_list')}?{query}")
    return render(request, "fund/user_invite.html", {"form": form})


def _invite_messages(request, invitation, target: dict) -> None:
    user = invitation.user
    names = {"name": _name(user), "role": _role(**target), "email": user.email}
    if invitation.created:
        messages.success(
            request,
            _(
                "%(name)s is uitgenodigd als %(role)s; er gaat een e-mail naar %(email)s met "
                "een link om een wachtwoord te kiezen."
            )
            % names,
        )
    elif invitation.linked:
        messages.success(
            request,
            _("Het bestaande account van %(name)s is nu %(role)s.") % names
            + (" " + _("Er gaat een e-mail naar %(email)s.") % names if invitation.mailed else ""),
        )
    elif invitation.mailed:
        messages.success(
            request,
            _(
                "%(name)s was al %(role)s en heeft nog geen wachtwoord gekozen; er gaat een "
                "nieuwe link naar %(email)s."
            )
            % names,
        )
    else:
        messages.info(request, _("%(name)s was al %(role)s.") % names)
    if not user.is_active:
        messages.warning(
            request,
            _(
                "Het account van %(name)s is gedeactiveerd: er is geen e-mail verstuurd en "
                "aanmelden kan pas als u het account weer activeert."
            )
            % names,
        )


# --- unlink --------------------------------------------------------------------------------


def _confirm(request, **context):
    context.setdefault("cancel_url", reverse("fund:user_list"))
    return render(request, "fund/user_confirm.html", context)


@role_required(MANAGER, write=True)
def user_unlink(request, pk, code=None, investor=None):
    """Remove a contact of a collective (``code``) or a user of an investor (``investor``)."""
    manager = request.user
    user = get_object_or_404(service.users_in_scope(manager), pk=pk)
    target = {"collective": None, "investor": None}
    if code is not None:
        target["collective"] = get_object_or_404(service.collectives_in_scope(manager), code=code)
        members = target["collective"].members
    else:
        target["investor"] = get_object_or_404(service.investors_in_scope(manager), pk=investor)
        members = target["investor"].users
    names = {"name": _name(user), "role": _role(**target)}
    if request.method == "POST":
        try:
            done = service.user_unlink(user=user, unlinked_by=manager, **target)
        except FundError as error:
            return _refused(request, error)
        if not done.unlinked:
            messages.info(request, _("%(name)s was al geen %(role)s meer.") % names)
        else:
            messages.success(request, _("%(name)s is niet langer %(role)s.") % names)
        if done.last_contact:
            messages.warning(
                request,
                _("%(collective)s heeft geen contactpersoon meer; nodig iemand uit.")
                % {"collective": target["collective"].name},
            )
        return redirect("fund:user_list")
    if not members.filter(pk=user.pk).exists():
        messages.info(request, _("%(name)s was al geen %(role)s meer.") % names)
        return redirect("fund:user_list")
    warnings = []
    if service.last_contact_of_verified(user, target["collective"]):
        warnings.append(
            _(
                "%(collective)s is geverifieerd en heeft daarna geen contactpersoon meer: "
                "niemand kan dan namens het collectief aanvragen indienen of volgen, tot u "
                "iemand anders uitnodigt."
            )
            % {"collective": target["collective"].name}
        )
    links = user.collectives.count() + user.investors.count()
    deactivate_url = None
    if links == 1 and user.is_active and service.activation_refusal(user, manager) is None:
        warnings.append(
            _(
                "Dit is de laatste koppeling van %(name)s; het account blijft daarna bestaan "
                "en kan zich nog aanmelden. Moet dat niet meer kunnen, deactiveer het account "
                "dan eerst."
            )
            % names
        )
        deactivate_url = reverse("fund:user_deactivate", args=[user.pk])
    return _confirm(
        request,
        title=_("Koppeling verwijderen"),
        subject=user,
        text=_("%(name)s is daarna niet langer %(role)s.") % names,
        warnings=warnings,
        refusal=service.interest_of(manager, **target),
        button=_("Koppeling verwijderen"),
        danger=True,
        deactivate_url=deactivate_url,
    )


# --- deactivate and activate ---------------------------------------------------------------


def _set_active(request, pk, active: bool):
    manager = request.user
    user = get_object_or_404(service.users_in_scope(manager), pk=pk)
    names = {"name": _name(user)}
    if request.method == "POST":
        try:
            service.user_set_active(user=user, active=active, changed_by=manager)
        except FundError as error:
            return _refused(request, error)
        message = (
            _("Het account van %(name)s is weer actief.")
            if active
            else _("Het account van %(name)s is gedeactiveerd; aanmelden kan niet meer.")
        )
        messages.success(request, message % names)
        return redirect("fund:user_list")
    if user.is_active == active:
        message = (
            _("Het account van %(name)s is al actief.")
            if active
            else _("Het account van %(name)s is al gedeactiveerd.")
        )
        messages.info(request, message % names)
        return redirect("fund:user_list")
    if active:
        title, button = _("Account activeren"), _("Account activeren")
        text = _("%(name)s kan zich daarna weer aanmelden met het eigen wachtwoord.") % names
    else:
        title, button = _("Account deactiveren"), _("Account deactiveren")
        text = (
            _(
                "%(name)s kan zich daarna niet meer aanmelden; een open sessie eindigt bij het "
                "volgende verzoek. De koppelingen blijven staan en u kunt het account later weer "
                "activeren."
            )
            % names
        )
    return _confirm(
        request,
        title=title,
        subject=user,
        text=text,
        warnings=[],
        refusal=service.activation_refusal(user, manager),
        button=button,
        danger=not active,
    )


@role_required(MANAGER, write=True)
def user_deactivate(request, pk):
    return _set_active(request, pk, active=False)


@role_required(MANAGER, write=True)
def user_activate(request, pk):
    return _set_active(request, pk, active=True)
