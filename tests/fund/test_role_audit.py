"""Granting and removing roles is audited (issue #10): fund manager, auditor, collective
contact, investor user, superuser, staff and deactivation, from the app's code and from the
Django admin, with who did it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from ledger.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def role_events(user, action=None):
    events = AuditEvent.objects.filter(object_type="auth.user", object_id=str(user.pk))
    if action:
        events = events.filter(action=action)
    return [(e.action, e.after["role"]) for e in events.order_by("id")]


def test_making_and_unmaking_a_fund_manager_is_audited_in_the_funds_books():
    team = f.create_fund_team()
    user = f.create_user()
    team.fund.managers.add(user)
    team.fund.managers.remove(user)
    user.managed_funds.add(team.fund)
    team.fund.managers.clear()
    assert role_events(user) == [
        ("role.grant", "fund_manager"),
        ("role.revoke", "fund_manager"),
        ("role.grant", "fund_manager"),
        ("role.revoke", "fund_manager"),
    ]
    event = AuditEvent.objects.filter(action="role.grant", object_id=str(user.pk)).first()
    assert event.book_id == team.fund.book_id and event.after["on"] == str(team.fund)
    # The original managers lost the role in the clear too.
    assert ("role.revoke", "fund_manager") in role_events(team.manager)


def test_auditor_group_superuser_staff_and_deactivation_are_audited():
    user = f.create_user()
    auditors, _ = Group.objects.get_or_create(name="auditors")
    other, _ = Group.objects.get_or_create(name="nieuwsbrief")
    user.groups.add(other)  # not a role: nothing
    user.groups.add(auditors)
    auditors.user_set.remove(user)
    user.is_superuser = True
    user.save()
    user.is_staff = True
    user.save()
    user.is_active = False
    user.save()
    assert role_events(user) == [
        ("role.grant", "auditor"),
        ("role.revoke", "auditor"),
        ("role.grant", "superuser"),
        ("role.grant", "staff"),
        ("role.revoke", "active"),
    ]


def test_contacts_and_investor_users_are_audited():
    collective = f.CollectiveFactory()
    investor = f.InvestorFactory()
    user = f.create_user()
    collective.members.add(user)
    investor.users.add(user)
    assert role_events(user) == [
        ("role.grant", "collective_contact"),
        ("role.grant", "investor_user"),
    ]


def test_a_superuser_made_in_the_admin_is_audited_with_who_did_it(client):
    admin = f.create_user(is_superuser=True, is_staff=True)
    user = f.create_user()
    client.force_login(admin)
    url = reverse("admin:auth_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "username": user.username,
            "is_superuser": "on",
            "is_active": "on",
            "date_joined_0": "2026-11-28",
            "date_joined_1": "10:00:00",
            "last_login_0": "",
            "last_login_1": "",
        }
    )
    data.pop("password", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(
        action="role.grant", object_id=str(user.pk), after__role="superuser"
    )
    assert event.actor == admin
