"""The "Gebruikers" pages (issue #10): fund managers invite, unlink and (de)activate the
contacts of collectives and the users of investors in the app, not the admin.

Scope in the web world: collective X has applied to fund A, Y and the unverified collective
to no fund yet (so every manager may manage their contacts), the investor has capital in
both funds. The manager of fund B therefore sees the investor's user and the contact of X
(who is also the unverified collective's contact) but not X itself, nor a contact of X only.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from fund import users
from fund.audit_labels import action_label
from fund.exceptions import ConflictOfInterest, NotAllowed
from ledger.models import AuditEvent

from .conftest import PASSWORD, page_text

User = get_user_model()
NEW_PASSWORD = "paars fiets regent molen"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def invite_data(world, email="joost@example.org", target=None, **extra) -> dict:
    return {
        "first_name": "Joost",
        "last_name": "van Dijk",
        "email": email,
        "target": target or f"collective:{world.collective_x.pk}",
        **extra,
    }


def invite(client, world, capture, **kwargs):
    with capture(execute=True):
        return client.post(reverse("fund:user_invite"), invite_data(world, **kwargs))


def events(action, user):
    return AuditEvent.objects.filter(
        action=action, object_type="auth.user", object_id=str(user.pk)
    ).order_by("id")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


@pytest.fixture
def joost(world, django_capture_on_commit_callbacks):
    """A contact of collective X only, invited by the manager of fund A."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation = users.user_invite(
            invited_by=world.manager_a,
            email="joost@example.org",
            first_name="Joost",
            last_name="van Dijk",
            collective=world.collective_x,
            base_url="http://testserver",
        )
    return invitation.user


# --- the list ------------------------------------------------------------------------------


def test_a_manager_sees_the_contacts_and_investor_users_of_their_funds(world, joost):
    text = page_text(client_for(world.manager_a).get(reverse("fund:user_list")).content)
    for name in ("Joost van Dijk", "Daan Visser", "Eva Smit", "Frits Mulder"):
        assert name in text
    assert "joost@example.org" in text and "frits@example.org" in text
    assert "Contactpersoon: Zon op Zutphen" in text
    assert "Investeerder: Provincie Gelderland" in text
    assert "Uitgenodigd, nog geen wachtwoord" in text and "nooit" in text
    # Managers and auditors are no contacts: not in the list.
    assert "Bram Jansen" not in text and "Greet de Boer" not in text


def test_the_manager_of_fund_b_does_not_see_fund_as_contacts(world, joost):
    manager_b = client_for(world.manager_b)
    text = page_text(manager_b.get(reverse("fund:user_list")).content)
    assert "Joost van Dijk" not in text
    assert "Frits Mulder" in text  # the investor has capital in fund B too
    # The contact of X is also the unverified collective's: only that link is shown.
    assert "Contactpersoon: Buurtwarmte Brummen" in text
    assert "Zon op Zutphen" not in text
    assert "en 1 koppeling buiten uw fondsen" in text
    for url in (
        reverse("fund:user_deactivate", args=[joost.pk]),
        reverse("fund:user_activate", args=[joost.pk]),
        reverse("fund:user_unlink_collective", args=[joost.pk, world.collective_x.code]),
        reverse("fund:user_unlink_collective", args=[world.member_x.pk, world.collective_x.code]),
    ):
        assert manager_b.get(url).status_code == 404, url
        assert manager_b.post(url).status_code == 404, url
    joost.refresh_from_db()
    assert joost.is_active and joost.collectives.filter(pk=world.collective_x.pk).exists()


def test_the_list_is_searchable_by_name_and_e_mail_and_paginated(world):
    manager = client_for(world.manager_a)
    text = page_text(manager.get(reverse("fund:user_list"), {"q": "eva smit"}).content)
    assert "Eva Smit" in text and "Daan Visser" not in text
    text = page_text(manager.get(reverse("fund:user_list"), {"q": "FRITS@example"}).content)
    assert "Frits Mulder" in text and "Eva Smit" not in text
    for n in range(30):
        world.collective_y.members.add(
            User.objects.create_user(username=f"lid{n:02d}", email=f"lid{n:02d}@example.org")
        )
    page = manager.get(reverse("fund:user_list"))
    assert "Pagina 1 van 2" in page_text(page.content)
    second = page_text(manager.get(reverse("fund:user_list"), {"page": 2}).content)
    assert "33 resultaten" in second


def test_an_auditor_reads_the_list_and_changes_nothing(world, joost):
    auditor = client_for(world.auditor)
    page = auditor.get(reverse("fund:user_list"))
    assert page.status_code == 200
    text = page_text(page.content)
    assert "Joost van Dijk" in text
    assert "Ontkoppelen" not in text and "Deactiveren" not in text and "uitnodigen" not in text
    assert auditor.get(reverse("fund:user_invite")).status_code == 403
    assert auditor.post(reverse("fund:user_deactivate", args=[joost.pk])).status_code == 403


WRITES = ("user_invite", "user_unlink_collective", "user_deactivate", "user_activate")


def write_urls(world) -> dict[str, str]:
    return {
        "user_invite": reverse("fund:user_invite"),
        "user_unlink_collective": reverse(
            "fund:user_unlink_collective", args=[world.member_y.pk, world.collective_y.code]
        ),
        "user_unlink_investor": reverse(
            "fund:user_unlink_investor", args=[world.investor_user.pk, world.investor.pk]
        ),
        "user_deactivate": reverse("fund:user_deactivate", args=[world.member_y.pk]),
        "user_activate": reverse("fund:user_activate", args=[world.member_y.pk]),
    }


@pytest.mark.parametrize(
    "role", ["member_x", "member_y", "investor_user", "no_role", "auditor", "manager_auditor"]
)
def test_members_investors_and_auditors_get_403_and_change_nothing(world, role):
    client = client_for(getattr(world, role))
    before = AuditEvent.objects.count()
    if role not in ("auditor", "manager_auditor"):
        assert client.get(reverse("fund:user_list")).status_code == 403
    for name, url in write_urls(world).items():
        assert client.get(url).status_code == 403, name
        data = invite_data(world) if name == "user_invite" else {}
        assert client.post(url, data).status_code == 403, name
    assert AuditEvent.objects.count() == before
    assert not User.objects.filter(email="joost@example.org").exists()
    world.member_y.refresh_from_db()
    assert world.member_y.is_active and world.member_y.collectives.exists()


def test_anonymous_users_go_to_the_login_page(world):
    for url in [reverse("fund:user_list"), *write_urls(world).values()]:
        response = Client().post(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_post_without_the_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.manager_a)
    assert client.post(write_urls(world)["user_deactivate"]).status_code == 403
    assert client.post(reverse("fund:user_invite"), invite_data(world)).status_code == 403
    world.member_y.refresh_from_db()
    assert world.member_y.is_active
    assert not User.objects.filter(email="joost@example.org").exists()


# --- inviting ------------------------------------------------------------------------------


def test_an_invited_person_chooses_a_password_with_the_mailed_link_and_signs_in(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    manager = client_for(world.manager_a)
    form = manager.get(reverse("fund:user_invite"))
    assert "Uitnodiging versturen" in page_text(form.content)
    response = invite(manager, world, django_capture_on_commit_callbacks, email="Joost@Example.org")
    assert response.status_code == 302
    joost = User.objects.get(email__iexact="joost@example.org")
    assert joost.username == "joost@example.org"
    assert not joost.has_usable_password()
    assert joost.get_full_name() == "Joost van Dijk"
    assert list(joost.collectives.all()) == [world.collective_x]
    assert "er gaat een e-mail naar" in " ".join(messages_of(response))

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["Joost@example.org"]
    assert "Burgerfonds" in message.subject and "Zon op Zutphen" in message.subject
    assert "Beste Joost van Dijk" in message.body
    assert "contactpersoon van collectief Zon op Zutphen" in message.body
    assert "Anneke de Vries" in message.body and "Kies via deze link een wachtwoord" in message.body
    assert "joost@example.org" in message.body

    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    anonymous = Client()
    step = anonymous.get(link)
    assert step.status_code == 302  # Django moves the token into the session
    set_password = urlparse(step["Location"]).path
    page = anonymous.get(set_password)
    assert page.status_code == 200 and "Nieuw wachtwoord" in page_text(page.content)
    done = anonymous.post(
        set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    # The link works once.
    assert "ongeldig of verlopen" in page_text(Client().get(link, follow=True).content)

    assert sign_in(anonymous, "joost@example.org", NEW_PASSWORD).status_code == 302
    text = page_text(anonymous.get(reverse("fund:collective_list")).content)
    assert "Zon op Zutphen" in text

    grant = events("role.grant", joost).get()
    assert grant.actor == world.manager_a
    assert grant.after == {
        "role": "collective_contact",
        "user": "joost@example.org",
        "on": "Zon op Zutphen",
    }
    invited = events("user.invite", joost).get()
    assert invited.actor == world.manager_a and invited.after["new_account"] is True


def test_a_user_of_an_investor_is_invited_the_same_way(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    manager = client_for(world.manager_b)
    target = f"investor:{world.investor.pk}"
    response = invite(
        manager, world, django_capture_on_commit_callbacks, email="fin@gelderland.nl", target=target
    )
    assert response.status_code == 302
    user = User.objects.get(username="fin@gelderland.nl")
    assert list(user.investors.all()) == [world.investor]
    assert "gebruiker van investeerder Provincie Gelderland" in mailoutbox[0].body
    assert events("role.grant", user).get().actor == world.manager_b


def test_an_existing_e_mail_links_the_existing_account(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    manager = client_for(world.manager_a)
    accounts = User.objects.count()
    response = invite(
        manager,
        world,
        django_capture_on_commit_callbacks,
        email="EVA@example.org",
        target=f"collective:{world.unverified.pk}",
    )
    assert response.status_code == 302
    assert User.objects.count() == accounts
    assert world.unverified.members.filter(pk=world.member_y.pk).exists()
    world.member_y.refresh_from_db()
    assert world.member_y.check_password(PASSWORD)  # the password is left alone
    assert "Het bestaande account van Eva Smit" in " ".join(messages_of(response))
    body = mailoutbox[0].body
    assert "bestaande account" in body and "/accounts/reset/" not in body
    grant = events("role.grant", world.member_y).get(after__on="Buurtwarmte Brummen")
    assert grant.actor == world.manager_a

    # Invited again: nothing changes, nothing is sent.
    again = invite(
        manager,
        world,
        django_capture_on_commit_callbacks,
        email="eva@example.org",
        target=f"collective:{world.unverified.pk}",
    )
    assert "was al contactpersoon van Buurtwarmte Brummen" in " ".join(messages_of(again))
    assert len(mailoutbox) == 1
    assert events("role.grant", world.member_y).filter(after__on="Buurtwarmte Brummen").count() == 1


def test_inviting_someone_without_a_password_again_sends_a_new_link(
    world, joost, django_capture_on_commit_callbacks, mailoutbox
):
    mailoutbox.clear()
    manager = client_for(world.manager_a)
    text = page_text(manager.get(reverse("fund:user_list"), {"q": "joost"}).content)
    assert "Opnieuw uitnodigen" in text
    response = invite(manager, world, django_capture_on_commit_callbacks)
    assert "nieuwe link" in " ".join(messages_of(response))
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body
    assert User.objects.filter(email="joost@example.org").count() == 1


def test_a_manager_cannot_invite_themselves(world, django_capture_on_commit_callbacks, mailoutbox):
    manager = client_for(world.manager_a)
    before = AuditEvent.objects.count()
    response = invite(
        manager, world, django_capture_on_commit_callbacks, email="anneke@example.org"
    )
    assert response.status_code == 200
    assert "Belangenverstrengeling: u kunt uw eigen account niet aan Zon op Zutphen koppelen" in (
        page_text(response.content)
    )
    assert not world.collective_x.members.filter(pk=world.manager_a.pk).exists()
    assert AuditEvent.objects.count() == before and mailoutbox == []
    with pytest.raises(ConflictOfInterest):
        users.user_invite(
            invited_by=world.manager_a,
            email=world.manager_a.email,
            first_name="Anneke",
            investor=world.investor,
            base_url="http://testserver",
        )


@pytest.mark.parametrize("email", ["bram@example.org", "greet@example.org", "ineke@example.org"])
def test_managers_and_auditors_are_not_linked_through_this_page(
    world, django_capture_on_commit_callbacks, mailoutbox, email
):
    response = invite(
        client_for(world.manager_a), world, django_capture_on_commit_callbacks, email=email
    )
    assert response.status_code == 200
    assert "zo'n account koppelt u niet via deze pagina" in page_text(response.content)
    assert not world.collective_x.members.filter(email=email).exists()
    assert mailoutbox == []


def test_a_manager_who_is_a_contact_does_not_manage_that_collectives_users(
    world, django_capture_on_commit_callbacks
):
    world.collective_y.members.add(world.manager_b)
    manager = client_for(world.manager_b)
    response = invite(
        manager,
        world,
        django_capture_on_commit_callbacks,
        target=f"collective:{world.collective_y.pk}",
    )
    assert "Belangenverstrengeling: u bent zelf contactpersoon van Wind van Wijchen" in (
        page_text(response.content)
    )
    assert not User.objects.filter(email="joost@example.org").exists()
    page = manager.get(
        reverse("fund:user_unlink_collective", args=[world.member_y.pk, world.collective_y.code])
    )
    assert "Belangenverstrengeling" in page_text(page.content)
    assert "Koppeling verwijderen" not in page_text(page.content).split("Belangenverstrengeling")[1]
    # Nor deactivate one of its contacts.
    page = manager.post(reverse("fund:user_deactivate", args=[world.member_y.pk]))
    assert "Belangenverstrengeling" in " ".join(messages_of(page))
    world.member_y.refresh_from_db()
    assert world.member_y.is_active


def test_a_collective_outside_the_scope_is_no_choice(world, django_capture_on_commit_callbacks):
    manager = client_for(world.manager_b)
    response = invite(manager, world, django_capture_on_commit_callbacks)  # collective X
    assert response.status_code == 200
    assert "is geen beschikbare keuze" in page_text(response.content)
    assert not User.objects.filter(email="joost@example.org").exists()
    with pytest.raises(NotAllowed):
        users.user_invite(
            invited_by=world.manager_b,
            email="joost@example.org",
            first_name="Joost",
            collective=world.collective_x,
            base_url="http://testserver",
        )


# --- unlinking -----------------------------------------------------------------------------


def test_unlinking_the_last_contact_of_a_verified_collective_warns_first(world):
    manager = client_for(world.manager_a)
    url = reverse("fund:user_unlink_collective", args=[world.member_y.pk, world.collective_y.code])
    page = page_text(manager.get(url).content)
    assert "Eva Smit is daarna niet langer contactpersoon van Wind van Wijchen" in page
    assert "is geverifieerd en heeft daarna geen contactpersoon meer" in page
    assert "laatste koppeling van Eva Smit" in page and "Eerst deactiveren" in page
    response = manager.post(url)
    assert response.status_code == 302
    assert not world.collective_y.members.exists()
    shown = " ".join(messages_of(response))
    assert "Wind van Wijchen heeft geen contactpersoon meer" in shown
    revoke = events("role.revoke", world.member_y).get()
    assert revoke.actor == world.manager_a and revoke.after["role"] == "collective_contact"
    # Without any link left she is outside every manager's scope.
    assert manager.get(url).status_code == 404


def test_unlinking_twice_says_it_was_done_already(world):
    """The contact of X keeps that link when they leave the unverified collective."""
    manager = client_for(world.manager_a)
    url = reverse("fund:user_unlink_collective", args=[world.member_x.pk, world.unverified.code])
    page = page_text(manager.get(url).content)
    assert "Daan Visser is daarna niet langer contactpersoon van Buurtwarmte Brummen" in page
    assert "geen contactpersoon meer" not in page  # not verified; and X keeps its contact
    assert manager.post(url).status_code == 302
    before = AuditEvent.objects.count()
    again = manager.post(url, follow=True)
    assert "was al geen contactpersoon van Buurtwarmte Brummen meer" in page_text(again.content)
    assert AuditEvent.objects.count() == before
    assert list(world.member_x.collectives.all()) == [world.collective_x]


def test_unlinking_an_investor_user(world):
    manager = client_for(world.manager_b)
    url = reverse("fund:user_unlink_investor", args=[world.investor_user.pk, world.investor.pk])
    assert "Koppeling verwijderen" in page_text(manager.get(url).content)
    assert manager.post(url).status_code == 302
    assert not world.investor.users.exists()
    revoke = events("role.revoke", world.investor_user).get()
    assert revoke.actor == world.manager_b and revoke.after["role"] == "investor_user"


# --- deactivating --------------------------------------------------------------------------


def test_a_deactivated_user_can_no_longer_sign_in_until_activated_again(world):
    member = client_for(world.member_y)  # signed in already
    manager = client_for(world.manager_a)
    url = reverse("fund:user_deactivate", args=[world.member_y.pk])
    page = page_text(manager.get(url).content)
    assert "Eva Smit kan zich daarna niet meer aanmelden" in page and "Account deactiveren" in page
    response = manager.post(url)
    assert response.status_code == 302
    assert "is gedeactiveerd" in " ".join(messages_of(response))
    world.member_y.refresh_from_db()
    assert not world.member_y.is_active

    refused = sign_in(Client(), "eva", PASSWORD)
    assert refused.status_code == 200 and "_auth_user_id" not in refused.wsgi_request.session
    open_session = member.get(reverse("fund:collective_list"))
    assert open_session.status_code == 302
    assert open_session["Location"].startswith(reverse("login"))
    text = page_text(manager.get(reverse("fund:user_list"), {"status": "inactive"}).content)
    assert "Eva Smit" in text and "Gedeactiveerd" in text and "Daan Visser" not in text

    deactivated = events("user.deactivate", world.member_y).get()
    assert deactivated.actor == world.manager_a
    assert deactivated.before == {"active": True}
    assert deactivated.after == {"active": False, "user": "eva"}
    flag = events("role.revoke", world.member_y).get()
    assert flag.actor == world.manager_a and flag.after["role"] == "active"

    activate = reverse("fund:user_activate", args=[world.member_y.pk])
    assert "Account activeren" in page_text(manager.get(activate).content)
    assert manager.post(activate).status_code == 302
    world.member_y.refresh_from_db()
    assert world.member_y.is_active
    assert events("user.activate", world.member_y).get().actor == world.manager_a
    assert sign_in(Client(), "eva", PASSWORD).status_code == 302


def test_a_user_linked_outside_the_managers_funds_is_not_deactivated(world):
    """The contact of X (fund A) is also the unverified collective's, which fund B's manager
    sees: they may not deactivate the account, fund A's manager may."""
    manager_b = client_for(world.manager_b)
    url = reverse("fund:user_deactivate", args=[world.member_x.pk])
    page = page_text(manager_b.get(url).content)
    assert "buiten uw fondsen" in page and "Account deactiveren" not in page.split("E-mail")[1]
    before = AuditEvent.objects.count()
    response = manager_b.post(url)
    assert response.status_code == 302
    assert "buiten uw fondsen" in " ".join(messages_of(response))
    world.member_x.refresh_from_db()
    assert world.member_x.is_active and AuditEvent.objects.count() == before
    with pytest.raises(NotAllowed):
        users.user_set_active(user=world.member_x, active=False, changed_by=world.manager_b)

    assert client_for(world.manager_a).post(url).status_code == 302
    world.member_x.refresh_from_db()
    assert not world.member_x.is_active


def test_managers_auditors_and_staff_are_not_deactivated_here(world):
    world.collective_y.members.add(world.manager_a2)
    staff = User.objects.create_user(username="sanne", email="sanne@example.org", is_staff=True)
    world.collective_y.members.add(staff)
    manager = client_for(world.manager_a)
    text = page_text(manager.get(reverse("fund:user_list")).content)
    assert "Bram Jansen" in text and "Beheerder of auditor" in text
    for user in (world.manager_a2, staff):
        response = manager.post(reverse("fund:user_deactivate", args=[user.pk]))
        assert "niet via deze pagina gedeactiveerd" in " ".join(messages_of(response))
        user.refresh_from_db()
        assert user.is_active
    assert not AuditEvent.objects.filter(action="user.deactivate").exists()


def test_the_audit_actions_have_dutch_labels():
    assert action_label("user.deactivate") == "Account gedeactiveerd"
    assert action_label("user.activate") == "Account weer geactiveerd"
    assert action_label("user.invite") == "Gebruiker uitgenodigd"
