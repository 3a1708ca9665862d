"""User management by fund managers (issue #10): invite, unlink and (de)activate the contacts
of collectives and the users of investors, in the app instead of the Django admin.

A manager's scope is the collectives their funds deal with (applied to one of their funds,
or to no fund yet, as for changes of a collective's details) and the investors of their funds
(capital in one of them, or in no fund yet). Only contacts and investor users are made here:
an account that is a fund manager, an auditor, staff or a superuser is never linked, created,
deactivated or activated through these services, and a manager never links their own account
(docs/permissions.md, "User management"). Each service is one transaction; the role changes
are audited by :mod:`fund.role_audit`, credited to the manager.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from ledger.services import audit_record

from . import exceptions as exc
from .models import Application, Collective, Commitment, Investor
from .permissions import (
    AUDITOR,
    AUDITORS_GROUP,
    MANAGER,
    can_write,
    conflict_of_interest,
    roles_of,
)
from .role_audit import acting_as

User = get_user_model()
logger = logging.getLogger(__name__)
APP_NAME = "Burgerfonds"
USERNAME_MAX = 150


# --- scope -------------------------------------------------------------------------------


def _reads_all(user) -> bool:
    return AUDITOR in roles_of(user)


def collectives_in_scope(user) -> QuerySet[Collective]:
    """Collectives whose contacts ``user`` manages: those that applied to one of their funds
    or to no fund yet (an auditor reads all, anyone else none)."""
    if not getattr(user, "is_authenticated", False):
        return Collective.objects.none()
    if _reads_all(user):
        return Collective.objects.all()
    if MANAGER not in roles_of(user):
        return Collective.objects.none()
    dealing = Application.objects.filter(fund__managers=user).values("collective_id")
    applied = Application.objects.values("collective_id")
    return Collective.objects.filter(Q(pk__in=dealing) | ~Q(pk__in=applied))


def investors_in_scope(user) -> QuerySet[Investor]:
    """Investors whose users ``user`` manages: capital promised to one of their funds or to
    no fund yet (an auditor reads all, anyone else none)."""
    if not getattr(user, "is_authenticated", False):
        return Investor.objects.none()
    if _reads_all(user):
        return Investor.objects.all()
    if MANAGER not in roles_of(user):
        return Investor.objects.none()
    own = Commitment.objects.filter(compartment__fund__managers=user).values("investor_id")
    committed = Commitment.objects.values("investor_id")
    return Investor.objects.filter(Q(pk__in=own) | ~Q(pk__in=committed))


def users_in_scope(user) -> QuerySet:
    """Accounts linked to a collective or investor in ``user``'s scope."""
    contacts = Collective.members.through.objects.filter(
        collective__in=collectives_in_scope(user)
    ).values("user_id")
    investor_users = Investor.users.through.objects.filter(
        investor__in=investors_in_scope(user)
    ).values("user_id")
    return User.objects.filter(Q(pk__in=contacts) | Q(pk__in=investor_users))


def is_privileged(user) -> bool:
    """A fund manager, auditor, staff member or superuser: not managed on these pages."""
    return bool(
        user.is_superuser
        or user.is_staff
        or user.managed_funds.exists()
        or user.groups.filter(name=AUDITORS_GROUP).exists()
    )


# --- refusals ----------------------------------------------------------------------------


def _require_manager(user) -> None:
    if not (can_write(user) and MANAGER in roles_of(user)):
        raise exc.NotAllowed(_("Alleen een fondsbeheerder mag gebruikers beheren."))


def _require_in_scope(manager, *, collective=None, investor=None) -> None:
    if (
        collective is not None
        and not collectives_in_scope(manager).filter(pk=collective.pk).exists()
    ):
        raise exc.NotAllowed(
            _("%(name)s werkt niet met een fonds dat u beheert.") % {"name": collective.name}
        )
    if investor is not None and not investors_in_scope(manager).filter(pk=investor.pk).exists():
        raise exc.NotAllowed(
            _("%(name)s is geen investeerder van een fonds dat u beheert.")
            % {"name": investor.name}
        )


def interest_of(manager, *, collective=None, investor=None) -> str | None:
    """Why ``manager`` may not manage the users of this collective or investor: they are one
    of them (:func:`fund.permissions.conflict_of_interest`), so another manager does it."""
    if collective is not None and conflict_of_interest(manager, collective=collective):
        return _(
            "Belangenverstrengeling: u bent zelf contactpersoon van %(name)s; een andere "
            "beheerder van het fonds beheert zijn gebruikers."
        ) % {"name": collective.name}
    if investor is not None and conflict_of_interest(manager, investor=investor):
        return _(
            "Belangenverstrengeling: u hoort zelf bij investeerder %(name)s; een andere "
            "beheerder van het fonds beheert zijn gebruikers."
        ) % {"name": investor.name}
    return None


def _require_independent(manager, *, collective=None, investor=None) -> None:
    reason = interest_of(manager, collective=collective, investor=investor)
    if reason:
        raise exc.ConflictOfInterest(reason)


def _one_target(collective, investor) -> None:
    if (collective is None) == (investor is None):
        raise exc.NotAllowed(_("Kies één collectief of één investeerder."))


def activation_refusal(user, manager) -> str | None:
    """Why ``manager`` may not deactivate or activate ``user``, or None: every link of the
    user must be in the manager's scope, without an interest of the manager in it, and the
    user may be no manager, auditor, staff member or superuser."""
    if user.pk == manager.pk or is_privileged(user):
        return _(
            "Een fondsbeheerder, auditor of beheerder van de applicatie wordt niet via deze "
            "pagina gedeactiveerd of geactiveerd."
        )
    collectives = list(user.collectives.all())
    investors = list(user.investors.all())
    if not collectives and not investors:
        return _("Deze gebruiker is aan geen collectief of investeerder gekoppeld.")
    own_collectives = set(collectives_in_scope(manager).values_list("pk", flat=True))
    own_investors = set(investors_in_scope(manager).values_list("pk", flat=True))
    if any(c.pk not in own_collectives for c in collectives) or any(
        i.pk not in own_investors for i in investors
    ):
        return _(
            "Deze gebruiker is ook gekoppeld aan een collectief of investeerder buiten uw "
            "fondsen; een beheerder van dat fonds moet de koppeling eerst verwijderen."
        )
    for collective in collectives:
        reason = interest_of(manager, collective=collective)
        if reason:
            return reason
    for investor in investors:
        reason = interest_of(manager, investor=investor)
        if reason:
            return reason
    return None


# --- invite ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    user: object
    created: bool  # a new account was made
    linked: bool  # False: the user was linked already, nothing changed
    mailed: bool  # a mail is sent when the transaction commits


def _target_name(collective, investor) -> str:
    return collective.name if collective is not None else investor.name


def _find_account(email: str):
    """The one account with this e-mail address (or user name), None, or a refusal."""
    matches = list(User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email))[:2])
    if len(matches) > 1:
        raise exc.NotAllowed(
            _(
                "Er zijn meerdere accounts met dit e-mailadres; vraag de beheerder van de "
                "applicatie welk account gekoppeld moet worden."
            )
        )
    return matches[0] if matches else None


def _clean_email(email: str) -> str:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise exc.FundError(_("Vul een geldig e-mailadres in.")) from error
    if len(email) > USERNAME_MAX:
        raise exc.FundError(
            _("Een e-mailadres van meer dan %(max)s tekens kan geen gebruikersnaam zijn.")
            % {"max": USERNAME_MAX}
        )
    return User.objects.normalize_email(email)


def _create_account(email: str, first_name: str, last_name: str):
    """A new account without a password; the invitation mail lets the person choose one."""
    try:
        with transaction.atomic():
            return User.objects.create_user(
                username=email.lower(),
                email=email,
                first_name=first_name[:150],
                last_name=last_name[:150],
            )
    except IntegrityError as error:  # the same address invited at the same moment
        raise exc.NotAllowed(
            _("Dit e-mailadres is zojuist al uitgenodigd; vernieuw de pagina.")
        ) from error


def _link(user, collective, investor) -> bool:
    """Add the link; False when it was there already."""
    members = collective.members if collective is not None else investor.users
    if members.filter(pk=user.pk).exists():
        return False
    members.add(user)
    return True


@transaction.atomic(durable=True)
def user_invite(
    *,
    invited_by,
    email: str,
    first_name: str,
    last_name: str = "",
    collective: Collective | None = None,
    investor: Investor | None = None,
    base_url: str,
) -> Invitation:
    """Make a person a contact of ``collective`` or a user of ``investor``: the account with
    this e-mail address if there is one (no duplicates), else a new one without a password.
    Either way they get a mail; a new account (or one that never chose a password) gets a
    link to choose one, also when it was linked already (inviting again resends the link: the
    forgotten-password form skips accounts without a password). A deactivated account is
    linked but not mailed. ``base_url`` is where the app runs (``https://host``).
    """
    _require_manager(invited_by)
    _one_target(collective, investor)
    _require_in_scope(invited_by, collective=collective, investor=investor)
    _require_independent(invited_by, collective=collective, investor=investor)
    email = _clean_email(email)
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    target = _target_name(collective, investor)
    user = _find_account(email)
    if user is not None and user.pk == invited_by.pk:
        raise exc.ConflictOfInterest(
            _(
                "Belangenverstrengeling: u kunt uw eigen account niet aan %(name)s koppelen; "
                "dan zou u over zijn zaken beslissen. Een andere beheerder van het fonds "
                "handelt dit af."
            )
            % {"name": target}
        )
    if user is not None and is_privileged(user):
        raise exc.NotAllowed(
            _(
                "Dit e-mailadres hoort bij een fondsbeheerder, auditor of beheerder van de "
                "applicatie; zo'n account koppelt u niet via deze pagina."
            )
        )
    created = user is None
    if created:
        if not first_name:
            raise exc.FundError(_("Vul de naam in van wie u uitnodigt."))
        user = _create_account(email, first_name, last_name)
    with acting_as(invited_by):
        linked = _link(user, collective, investor)
    mailed = bool(user.email and user.is_active)  # a deactivated account cannot sign in
    if not linked and (user.has_usable_password() or not mailed):
        return Invitation(user=user, created=False, linked=False, mailed=False)
    # Linked now, or linked before without a password yet: the mail (again) with a new link.
    audit_record(
        actor=invited_by,
        action="user.invite",
        obj=user,
        after={
            "user": user.get_username(),
            "email": user.email,
            "on": target,
            "new_account": created,
        },
    )
    if mailed:
        _mail_invitation(user, invited_by, collective, investor, base_url)
    return Invitation(user=user, created=created, linked=linked, mailed=mailed)


def set_password_link(user, base_url: str) -> str:
    """A one-time link to choose a password (Django's password-reset token)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{base_url.rstrip('/')}{path}"


def _mail_invitation(user, invited_by, collective, investor, base_url: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):  # the recipient's language is unknown
        subject, body = _invitation_text(user, invited_by, collective, investor, base_url)
    address = user.email

    def send():
        try:
            send_mail(subject, body, None, [address])
        except Exception:  # the account stands; inviting again sends a new link
            logger.exception("invitation mail to user %s was not sent", user.pk)

    transaction.on_commit(send)


def _invitation_text(user, invited_by, collective, investor, base_url: str) -> tuple[str, str]:
    target = _target_name(collective, investor)
    names = {
        "app": APP_NAME,
        "name": user.get_full_name() or user.get_username(),
        "manager": invited_by.get_full_name() or invited_by.get_username(),
        "target": target,
        "username": user.get_username(),
    }
    subject = _("Uitnodiging voor %(app)s: %(target)s") % names
    role = (
        _("%(manager)s heeft u in %(app)s toegevoegd als contactpersoon van collectief %(target)s.")
        if collective is not None
        else _(
            "%(manager)s heeft u in %(app)s toegevoegd als gebruiker van investeerder %(target)s."
        )
    ) % names
    lines = [_("Beste %(name)s,") % names, "", role, ""]
    if user.has_usable_password():
        lines += [
            _("U meldt zich aan met uw bestaande account (gebruikersnaam %(username)s):") % names,
            f"{base_url.rstrip('/')}{reverse('login')}",
        ]
    else:
        days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
        lines += [
            _(
                "Kies via deze link een wachtwoord; de link werkt één keer en is %(days)s "
                "dagen geldig:"
            )
            % {"days": days},
            set_password_link(user, base_url),
            "",
            _("Uw gebruikersnaam is: %(username)s") % names,
        ]
    lines += [
        "",
        _("Verwacht u deze e-mail niet? Dan kunt u haar negeren of contact opnemen met het fonds."),
        "",
        _("Met vriendelijke groet,"),
        APP_NAME,
    ]
    return subject, "\n".join(str(line) for line in lines)


# --- unlink ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unlinking:
    unlinked: bool  # False: the link was gone already
    last_contact: bool  # a verified collective has no contact left


def last_contact_of_verified(user, collective: Collective | None) -> bool:
    """Removing ``user`` would leave this verified collective without a contact."""
    return bool(
        collective is not None
        and collective.is_verified
        and not collective.members.exclude(pk=user.pk).exists()
    )


@transaction.atomic(durable=True)
def user_unlink(
    *,
    user,
    unlinked_by,
    collective: Collective | None = None,
    investor: Investor | None = None,
) -> Unlinking:
    """Remove ``user`` as a contact of ``collective`` or a user of ``investor``. Leaving a
    verified collective without a contact is allowed (the page warns first)."""
    _require_manager(unlinked_by)
    _one_target(collective, investor)
    _require_in_scope(unlinked_by, collective=collective, investor=investor)
    _require_independent(unlinked_by, collective=collective, investor=investor)
    members = collective.members if collective is not None else investor.users
    if not members.filter(pk=user.pk).exists():
        return Unlinking(unlinked=False, last_contact=False)
    last = last_contact_of_verified(user, collective)
    with acting_as(unlinked_by):
        members.remove(user)
    return Unlinking(unlinked=True, last_contact=last)


# --- deactivate and activate -------------------------------------------------------------


@transaction.atomic(durable=True)
def user_set_active(*, user, active: bool, changed_by):
    """Deactivate (no sign-in any more, open sessions end) or activate again a contact or
    investor user all of whose links are in the manager's scope. Audited as
    ``user.deactivate`` / ``user.activate`` (and as a role change by the signal)."""
    _require_manager(changed_by)
    user = User.objects.select_for_update().get(pk=user.pk)
    reason = activation_refusal(user, changed_by)
    if reason:
        raise exc.NotAllowed(reason)
    if user.is_active == active:
        return user
    user.is_active = active
    with acting_as(changed_by):
        user.save(update_fields=["is_active"])
    audit_record(
        actor=changed_by,
        action="user.activate" if active else "user.deactivate",
        obj=user,
        before={"active": not active},
        after={"active": active, "user": user.get_username()},
    )
    return user
