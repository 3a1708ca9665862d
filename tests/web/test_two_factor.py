"""Two-factor sign-in for fund managers and auditors (fund.two_factor, docs/permissions.md).

The codes are computed in the test from the device's key: the clock is frozen (TOTP reads
``time.time()``, which time-machine freezes too), and a code is accepted once, so a test that
needs a second code moves the clock on by one 30-second step.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fund.two_factor import new_backup_codes
from ledger.models import AuditEvent

from .conftest import PASSWORD, page_text

DASHBOARD = "/"
STEP = timedelta(seconds=30)


@pytest.fixture
def required():
    with override_settings(BURGERFONDS_REQUIRE_2FA=True):
        yield


def app_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator-app", confirmed=True)


def app_code(device: TOTPDevice) -> str:
    """The code the user's app shows now."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(app_code(device)) + 500_000) % 1_000_000:06d}"


def next_of(response) -> str:
    return parse_qs(urlsplit(response["Location"]).query).get("next", [""])[0]


def path_of(response) -> str:
    return urlsplit(response["Location"]).path


def verify(client, code, next_url=""):
    data = {"code": code, **({"next": next_url} if next_url else {})}
    return client.post(reverse("two_factor:verify"), data)


# --- the setting ---------------------------------------------------------------------------


def test_the_requirement_is_off_in_the_test_suite(client, world):
    assert django_settings.BURGERFONDS_REQUIRE_2FA is False
    client.force_login(world.manager_a)
    assert client.get(reverse("reports:dashboard")).status_code == 200


def _setting_with(**env) -> str:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    base.update(env, DJANGO_SECRET_KEY="k3y-" * 16, DJANGO_ALLOWED_HOSTS="example.org")
    code = "import config.settings as s; print(s.BURGERFONDS_REQUIRE_2FA)"
    result = subprocess.run(  # noqa: S603 - our own interpreter and settings module
        [sys.executable, "-c", code],
        env=base,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_the_requirement_is_on_in_production_and_off_with_debug():
    assert _setting_with(DJANGO_DEBUG="0") == "True"
    assert _setting_with(DJANGO_DEBUG="1") == "False"
    assert _setting_with(DJANGO_DEBUG="0", DJANGO_REQUIRE_2FA="0") == "False"
    assert _setting_with(DJANGO_DEBUG="1", DJANGO_REQUIRE_2FA="1") == "True"


# --- enrolment -----------------------------------------------------------------------------


def test_a_manager_without_a_device_enrols_first_and_sees_ten_backup_codes(
    client, world, required, _frozen_clock
):
    manager = world.manager_a
    client.force_login(manager)
    response = client.get(reverse("fund:fund_list"))
    assert response.status_code == 302
    assert path_of(response) == reverse("two_factor:enrol")
    assert next_of(response) == reverse("fund:fund_list")

    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "<script" not in body  # the QR code, drawn on the server
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    assert page.context["text_key"].replace(" ", "")  # the key to type over

    enrol = reverse("two_factor:enrol")
    refused = client.post(enrol, {"code": wrong_code(device), "next": "/fondsen/"})
    assert refused.status_code == 200
    assert "Deze code klopt niet" in page_text(refused.content)
    device.refresh_from_db()
    assert not device.confirmed

    _frozen_clock.shift(timedelta(seconds=2))  # the wrong code made the device wait a second
    done = client.post(enrol, {"code": app_code(device), "next": "/fondsen/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="otp.enrol", object_id=str(manager.pk)).exists()
    # The session is confirmed: the pages open.
    assert client.get(reverse("fund:fund_list")).status_code == 200
    # Backup codes are kept as hashes, not as the codes themselves.
    stored = set(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True))
    assert len(stored) == 10
    assert not stored & {code.replace("-", "") for code in codes}


@pytest.fixture
def enrolled(world, _frozen_clock):
    device = app_device(world.manager_a)
    codes = new_backup_codes(world.manager_a)
    _frozen_clock.shift(STEP)  # a code of a later step than any set-up
    return device, codes


def test_a_wrong_first_code_waits_for_the_throttle(client, world, required, _frozen_clock):
    client.force_login(world.manager_a)
    enrol = reverse("two_factor:enrol")
    client.get(enrol)
    device = TOTPDevice.objects.get(user=world.manager_a, confirmed=False)
    client.post(enrol, {"code": wrong_code(device)})
    # At once the right code is refused too: django-otp makes the device wait.
    waiting = client.post(enrol, {"code": app_code(device)})
    assert "Te veel onjuiste codes" in page_text(waiting.content)
    _frozen_clock.shift(timedelta(seconds=2))
    done = client.post(enrol, {"code": app_code(device)})
    assert len(done.context["codes"]) == 10


def test_a_stolen_password_cannot_link_another_app(client, world, required, enrolled):
    client.force_login(world.manager_a)
    response = client.get(reverse("two_factor:enrol"))
    assert path_of(response) == reverse("two_factor:verify")
    assert TOTPDevice.objects.filter(user=world.manager_a).count() == 1


def test_members_may_not_enrol(client, world, required):
    client.force_login(world.member_x)
    assert client.get(reverse("two_factor:enrol")).status_code == 403


# --- verification --------------------------------------------------------------------------


def test_a_manager_with_a_device_confirms_the_session_and_goes_on_to_next(
    client, world, required, enrolled
):
    device, _codes = enrolled
    client.force_login(world.manager_a)
    response = client.get(reverse("fund:fund_list") + "?q=zon")
    assert path_of(response) == reverse("two_factor:verify")
    assert next_of(response) == reverse("fund:fund_list") + "?q=zon"
    assert client.get(response["Location"]).status_code == 200

    refused = verify(client, wrong_code(device), next_of(response))
    assert refused.status_code == 200
    assert "Deze code klopt niet" in page_text(refused.content)
    assert path_of(client.get(DASHBOARD)) == reverse("two_factor:verify")


def test_the_right_code_opens_the_pages(client, world, required, enrolled):
    device, _codes = enrolled
    client.force_login(world.manager_a)
    done = verify(client, app_code(device), "/fondsen/?q=zon")
    assert done.status_code == 302 and done["Location"] == "/fondsen/?q=zon"
    assert client.get(DASHBOARD).status_code == 200
    assert client.get(reverse("fund:fund_list")).status_code == 200


def test_a_code_is_accepted_once(client, world, required, enrolled):
    device, _codes = enrolled
    code = app_code(device)
    client.force_login(world.manager_a)
    assert verify(client, code).status_code == 302
    other = type(client)()
    other.force_login(world.manager_a)
    assert verify(other, code).status_code == 200  # replayed: refused


def test_signing_in_with_the_password_then_the_code(client, world, required, enrolled):
    device, _codes = enrolled
    signed_in = client.post(
        reverse("login"),
        {"username": world.manager_a.username, "password": PASSWORD, "next": "/fondsen/"},
    )
    assert signed_in["Location"] == "/fondsen/"
    asked = client.get("/fondsen/")
    assert path_of(asked) == reverse("two_factor:verify") and next_of(asked) == "/fondsen/"
    assert verify(client, app_code(device), next_of(asked))["Location"] == "/fondsen/"
    # Signing out ends the confirmation with the session.
    client.post(reverse("logout"))
    client.force_login(world.manager_a)
    assert path_of(client.get(DASHBOARD)) == reverse("two_factor:verify")


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example.org/",
        "//evil.example.org/fondsen/",
        "/\\evil.example.org/",
        "http:/evil.example.org",
        "javascript:alert(1)",
        "fondsen/",
    ],
)
def test_next_leads_only_to_a_path_of_this_site(client, world, required, enrolled, next_url):
    device, _codes = enrolled
    client.force_login(world.manager_a)
    done = verify(client, app_code(device), next_url)
    assert done.status_code == 302
    assert done["Location"] == reverse("reports:dashboard")


def test_an_auditor_is_asked_too(client, world, required):
    app_device(world.auditor)
    client.force_login(world.auditor)
    assert path_of(client.get(DASHBOARD)) == reverse("two_factor:verify")


@pytest.mark.parametrize("role", ["member_x", "investor_user", "no_role"])
def test_members_investors_and_users_without_role_are_not_asked(client, world, required, role):
    client.force_login(getattr(world, role))
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert reverse("two_factor:overview") not in response.content.decode()  # no menu link


def test_sign_out_password_and_language_pages_stay_reachable(client, world, required, enrolled):
    client.force_login(world.manager_a)
    assert client.get(reverse("password_change")).status_code == 200
    language = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert language.status_code == 302 and language["Location"] == "/"
    assert client.get(reverse("two_factor:verify")).status_code == 200
    assert client.get("/static/css/app.css").status_code == 200
    assert path_of(client.get(reverse("two_factor:overview"))) == reverse("two_factor:verify")
    assert path_of(client.get("/admin/")) == reverse("two_factor:verify")
    out = client.post(reverse("logout"))
    assert out.status_code == 302
    assert path_of(client.get(DASHBOARD)) == reverse("login")


def test_with_the_requirement_off_who_set_up_an_app_is_still_asked(client, world, enrolled):
    device, _codes = enrolled
    client.force_login(world.manager_a)
    assert path_of(client.get(DASHBOARD)) == reverse("two_factor:verify")
    client.force_login(world.manager_a2)  # no app: not asked, not sent to set one up
    assert client.get(DASHBOARD).status_code == 200


# --- backup codes --------------------------------------------------------------------------


def test_a_backup_code_works_once(client, world, required, enrolled):
    _device, codes = enrolled
    manager = world.manager_a
    client.force_login(manager)
    typed = codes[0].upper().replace("-", " ")  # case, spaces and dashes do not matter
    done = verify(client, typed, "/fondsen/")
    assert done.status_code == 302 and done["Location"] == "/fondsen/"
    assert "nog 9" in page_text(client.get("/fondsen/").content)
    event = AuditEvent.objects.get(action="otp.backup_used", object_id=str(manager.pk))
    assert event.after["remaining"] == 9

    again = type(client)()
    again.force_login(manager)
    refused = verify(again, codes[0])
    assert refused.status_code == 200
    assert "Deze code klopt niet" in page_text(refused.content)
    assert verify(again, "zzzz-zzzz").status_code == 200  # (throttled now; also no code)


def test_new_backup_codes_after_a_current_code_replace_the_old(
    client, world, required, enrolled, _frozen_clock
):
    device, old = enrolled
    manager = world.manager_a
    client.force_login(manager)
    verify(client, app_code(device))
    overview = client.get(reverse("two_factor:overview"))
    text = page_text(overview.content)
    assert "Tweestapsverificatie staat aan" in text and "nog 10 ongebruikte" in text
    dashboard = client.get(DASHBOARD).content.decode()
    assert reverse("two_factor:overview") in dashboard  # in the account menu

    renew = reverse("two_factor:backup_codes_renew")
    _frozen_clock.shift(STEP)
    refused = client.post(renew, {"code": wrong_code(device)})
    assert "Deze code klopt niet" in page_text(refused.content)
    _frozen_clock.shift(timedelta(seconds=2))
    # A backup code is no current code from the app.
    assert "zes cijfers" in page_text(client.post(renew, {"code": old[0]}).content)
    done = client.post(renew, {"code": app_code(device)})
    new = done.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert AuditEvent.objects.filter(action="otp.backup_renew", object_id=str(manager.pk)).exists()

    other = type(client)()
    other.force_login(manager)
    assert verify(other, old[1]).status_code == 200  # the old codes stopped working
    _frozen_clock.shift(timedelta(seconds=2))
    assert verify(other, new[1]).status_code == 302


def test_the_overview_says_off_and_offers_to_set_up(client, world, required):
    client.force_login(world.member_x)
    text = page_text(client.get(reverse("two_factor:overview")).content)
    assert "niet nodig" in text


def test_the_audit_labels_are_dutch():
    from fund.audit_labels import action_label

    assert action_label("otp.enrol") == "Tweestapsverificatie ingesteld"
    assert action_label("otp.backup_used") == "Aangemeld met een reservecode"
    assert action_label("otp.backup_renew") == "Nieuwe reservecodes gemaakt"
