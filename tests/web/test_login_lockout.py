"""Failed sign-ins (issue #10): 40 wrong passwords in a row were all checked; now the fifth
locks the account, the lockout is audited, and a fund manager lifts it."""

from __future__ import annotations

from django.urls import reverse

from ledger.models import AuditEvent

from .conftest import PASSWORD


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_until_a_manager_lifts_it(client, world):
    member = world.member_x
    for _ in range(4):
        assert sign_in(client, member.username, "fout-wachtwoord").status_code == 200
    locked = sign_in(client, member.username, "fout-wachtwoord")
    assert locked.status_code == 429
    assert "Account tijdelijk vergrendeld" in locked.content.decode()
    # Even the right password is refused while locked.
    assert sign_in(client, member.username, PASSWORD).status_code == 429
    assert AuditEvent.objects.filter(action="account.locked", object_id=str(member.pk)).exists()

    manager = client_for(world.manager_a)
    page = manager.get(reverse("fund:locked_accounts"))
    assert member.username in page.content.decode()
    manager.post(reverse("fund:locked_accounts"), {"username": member.username})
    event = AuditEvent.objects.get(action="account.unlock", object_id=str(member.pk))
    assert event.actor == world.manager_a

    response = sign_in(client, member.username, PASSWORD)
    assert response.status_code == 302  # signed in


def test_only_a_manager_opens_the_lockout_page(client, world):
    client.force_login(world.member_x)
    assert client.get(reverse("fund:locked_accounts")).status_code == 403


def client_for(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other
