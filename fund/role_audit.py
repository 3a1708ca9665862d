"""Granting and removing roles is audited like any other action (issue #10).

Who may act on public money is decided by four memberships and two flags: a fund's managers,
the ``auditors`` group, a collective's contacts, an investor's users, and a user's superuser
and staff flags. Each change, wherever it is made (a page of the app, the Django admin, the
shell, a management command), writes an append-only audit event in the same transaction:
who was given or lost which role, and by whom (the signed-in user of the request, see
:class:`config.middleware.CurrentUserMiddleware`; empty for a command).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from ledger.services import audit_record

from .models import Collective, Fund, Investor
from .permissions import AUDITORS_GROUP

# The user whose request is being handled, set by the middleware.
current_actor: ContextVar = ContextVar("current_actor", default=None)

User = get_user_model()


@contextmanager
def acting_as(user):
    """Credit the role changes made inside to ``user`` (a service that adds a fund's managers
    or a collective's first contact knows who acts; a request would say so too)."""
    token = current_actor.set(user if getattr(user, "pk", None) else current_actor.get())
    try:
        yield
    finally:
        current_actor.reset(token)


ACTIONS = {"post_add": "grant", "post_remove": "revoke", "pre_clear": "revoke"}


def _record(action: str, role: str, users, target=None, book_id=None) -> None:
    for user in users:
        audit_record(
            actor=current_actor.get(),
            action=f"role.{action}",
            obj=user,
            book_id=book_id,
            after={
                "role": role,
                "user": user.get_username(),
                **({"on": str(target)} if target is not None else {}),
            },
        )


def _members_changed(role: str, book_of=lambda obj: None):
    def handler(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action not in ACTIONS:
            return
        field = kwargs["signal_field"]
        if action == "pre_clear":  # who is about to lose the role (post_clear no longer knows)
            if reverse:
                pk_set = set(model.objects.filter(**{field: instance}).values_list("pk", flat=True))
            else:
                pk_set = set(getattr(instance, field).values_list("pk", flat=True))
        if reverse:  # user.managed_funds.add(fund): instance is the user
            targets = model.objects.filter(pk__in=pk_set or [])
            for target in targets:
                _record(ACTIONS[action], role, [instance], target, book_of(target))
        else:
            users = User.objects.filter(pk__in=pk_set or [])
            _record(ACTIONS[action], role, users, instance, book_of(instance))

    return handler


_fund_managers = _members_changed("fund_manager", lambda fund: fund.book_id)
_collective_members = _members_changed("collective_contact")
_investor_users = _members_changed("investor_user")


@receiver(m2m_changed, sender=Fund.managers.through)
def fund_managers_changed(sender, **kwargs):
    _fund_managers(sender, signal_field="managers", **kwargs)


@receiver(m2m_changed, sender=Collective.members.through)
def collective_members_changed(sender, **kwargs):
    _collective_members(sender, signal_field="members", **kwargs)


@receiver(m2m_changed, sender=Investor.users.through)
def investor_users_changed(sender, **kwargs):
    _investor_users(sender, signal_field="users", **kwargs)


@receiver(m2m_changed, sender=User.groups.through)
def groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Only the ``auditors`` group is a role."""
    if action not in ACTIONS:
        return
    if reverse:  # group.user_set.add(user): instance is the group
        if instance.name != AUDITORS_GROUP:
            return
        if action == "pre_clear":
            pk_set = set(instance.user_set.values_list("pk", flat=True))
        _record(ACTIONS[action], "auditor", User.objects.filter(pk__in=pk_set or []))
        return
    if action == "pre_clear":
        pk_set = set(instance.groups.values_list("pk", flat=True))
    if Group.objects.filter(pk__in=pk_set or [], name=AUDITORS_GROUP).exists():
        _record(ACTIONS[action], "auditor", [instance])


FLAGS = ("is_superuser", "is_staff", "is_active")


@receiver(pre_save, sender=User)
def remember_flags(sender, instance, **kwargs):
    if instance.pk:
        instance._flags_before = User.objects.filter(pk=instance.pk).values(*FLAGS).first() or {}


@receiver(post_save, sender=User)
def flags_changed(sender, instance, created, **kwargs):
    before = {} if created else getattr(instance, "_flags_before", {})
    for flag in FLAGS:
        now = getattr(instance, flag)
        was = before.get(flag, False if flag != "is_active" else (not created and now))
        if created and flag == "is_active":
            continue
        if bool(now) != bool(was):
            role = {"is_superuser": "superuser", "is_staff": "staff", "is_active": "active"}[flag]
            _record("grant" if now else "revoke", role, [instance])


# --- sign-in lockouts (django-axes) ------------------------------------------------------


def _lockout_receiver():
    from axes.signals import user_locked_out

    @receiver(user_locked_out)
    def locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
        user = User.objects.filter(username=username).first()
        audit_record(
            actor=None,
            action="account.locked",
            obj=user,
            object_type="" if user else "auth.user",
            object_repr="" if user else str(username)[:200],
            after={"user": str(username), "ip": ip_address or ""},
        )

    return locked_out


_locked_out = _lockout_receiver()


def account_unlock(*, username: str, unlocked_by) -> int:
    """A fund manager lifts a lockout; audited. Returns how many attempt records were cleared."""
    from axes.utils import reset

    from .permissions import MANAGER, roles_of

    if MANAGER not in roles_of(unlocked_by):
        from django.utils.translation import gettext as _

        from .exceptions import NotAllowed

        raise NotAllowed(_("Alleen een fondsbeheerder mag een account ontgrendelen."))
    cleared = reset(username=username)
    user = User.objects.filter(username=username).first()
    audit_record(
        actor=unlocked_by,
        action="account.unlock",
        obj=user,
        object_type="" if user else "auth.user",
        object_repr="" if user else username[:200],
        after={"user": username},
    )
    return cleared
