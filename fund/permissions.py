"""Who may do what on the fund side of the web app.

Visibility is the selectors' job (``funds_for``, ``collectives_for``, ... scope a queryset,
and a view looks objects up in that scope so that an object outside it is a 404). What this
module adds is the *role* of a user and the refusal of write actions (a 403): a user who may
see an object is not always allowed to change it, and an auditor never changes anything.

Roles:

* ``manager``: a fund manager (in ``Fund.managers``); acts on their own funds.
* ``member``: a contact of a collective (in ``Collective.members``).
* ``investor``: a user of an investor (in ``Investor.users``).
* ``auditor``: in the group ``auditors``; reads everything, changes nothing.
* ``none``: logged in without any of the above (may register a collective).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .models import Collective, Fund, Investor

MANAGER = "manager"
MEMBER = "member"
INVESTOR = "investor"
AUDITOR = "auditor"
NO_ROLE = "none"
AUDITORS_GROUP = "auditors"

_CACHE_ATTR = "_fund_roles"


def roles_of(user) -> frozenset[str]:
    """The user's roles, computed once per user object (so once per request)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    roles = set()
    if user.managed_funds.exists():
        roles.add(MANAGER)
    if user.collectives.exists():
        roles.add(MEMBER)
    if user.investors.exists():
        roles.add(INVESTOR)
    if user.groups.filter(name=AUDITORS_GROUP).exists():
        roles.add(AUDITOR)
    result = frozenset(roles or {NO_ROLE})
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_roles(user) -> None:
    """Drop the cached roles, e.g. after the user registered a collective."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_auditor(user) -> bool:
    return AUDITOR in roles_of(user)


def is_staff_reader(user) -> bool:
    """Managers and auditors: they see assessments, ledger lines and audit details."""
    return has_role(user, MANAGER, AUDITOR)


def can_write(user) -> bool:
    """Anyone logged in except an auditor (an auditor changes nothing, whatever else they are)."""
    return getattr(user, "is_authenticated", False) and not is_auditor(user)


def is_fund_manager(user, fund: Fund) -> bool:
    """The user is in ``fund.managers``: one query, without the roles cache or an auditor
    check. The services' test (``fund.services`` and ``loans`` re-use it)."""
    return bool(user) and getattr(user, "is_authenticated", False) and _in(fund.managers, user)


def is_member(user, collective: Collective) -> bool:
    """The user is in ``collective.members``: one query, without the roles cache or an
    auditor check. The services' test (``fund.services`` and ``loans`` re-use it)."""
    return bool(user) and getattr(user, "is_authenticated", False) and _in(collective.members, user)


def _in(relation, user) -> bool:
    return relation.filter(pk=user.pk).exists()


def manager_of(user, fund: Fund) -> bool:
    """The user is a manager of this fund (no auditor check; see :func:`require_manager_of`)."""
    if not getattr(user, "is_authenticated", False) or MANAGER not in roles_of(user):
        return False
    return is_fund_manager(user, fund)


def member_of(user, collective: Collective) -> bool:
    if not getattr(user, "is_authenticated", False) or MEMBER not in roles_of(user):
        return False
    return is_member(user, collective)


def check_fund_manager(user, fund: Fund, refusal) -> None:
    """Raise ``refusal`` (the caller's NotAllowed) unless :func:`is_fund_manager`."""
    if not is_fund_manager(user, fund):
        raise refusal(_("Alleen een fondsbeheerder van %(fund)s mag dit.") % {"fund": fund})


def check_member(user, collective: Collective, refusal) -> None:
    """Raise ``refusal`` (the caller's NotAllowed) unless :func:`is_member`."""
    if not is_member(user, collective):
        raise refusal(
            _("Alleen een contactpersoon van %(collective)s mag dit.") % {"collective": collective}
        )


def conflict_of_interest(
    user, *, collective: Collective | None = None, investor: Investor | None = None
) -> str | None:
    """Why ``user`` may not act on the case of this collective or investor, or None.

    Who is a contact of a collective, or a user of an investor, has an interest in the
    outcome: they may not verify the collective, assess or decide its application, contract,
    pay out, restructure or write off its loan, pay its grant, match receipts to it, or record
    the investor's capital, even when they manage the fund (docs/permissions.md). The
    services call this for every such step, and for both pairs of eyes.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if collective is not None and collective.members.filter(pk=user.pk).exists():
        return _(
            "Belangenverstrengeling: u bent contactpersoon van %(name)s en mag daarom niet over "
            "zijn zaken beslissen; een andere beheerder van het fonds handelt dit af."
        ) % {"name": collective.name}
    if investor is not None and investor.users.filter(pk=user.pk).exists():
        return _(
            "Belangenverstrengeling: u hoort bij financier %(name)s en mag daarom zijn inleg "
            "niet vastleggen; een andere beheerder van het fonds handelt dit af."
        ) % {"name": investor.name}
    return None


def require_independent(user, refusal, *, collective=None, investor=None) -> None:
    """Raise ``refusal`` (the caller's ConflictOfInterest) with the reason when
    :func:`conflict_of_interest` finds one; every deciding service calls this."""
    reason = conflict_of_interest(user, collective=collective, investor=investor)
    if reason:
        raise refusal(reason)


def require_write(user) -> None:
    """Refuse any change by an auditor (or an anonymous user)."""
    if not can_write(user):
        raise PermissionDenied


def require_manager_of(user, fund: Fund) -> None:
    """Refuse a write action on ``fund`` unless the user manages it (and is no auditor)."""
    require_write(user)
    if not manager_of(user, fund):
        raise PermissionDenied


def require_any_manager(user) -> None:
    """Refuse unless the user manages at least one fund (verification, new investors)."""
    require_write(user)
    if MANAGER not in roles_of(user):
        raise PermissionDenied


def require_member_of(user, collective: Collective) -> None:
    """Refuse a write action on behalf of ``collective`` unless the user is its contact."""
    require_write(user)
    if not member_of(user, collective):
        raise PermissionDenied


def _check(user, roles: Iterable[str], write: bool) -> None:
    if write:
        require_write(user)
    if not has_role(user, *roles):
        raise PermissionDenied


def role_required(*roles: str, write: bool = False) -> Callable:
    """Decorator for function views: login first (anonymous users go to the login page),
    then one of ``roles`` (else 403). With ``write=True`` auditors are refused as well."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            _check(request.user, roles, write)
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorator
