"""Accounts (issue #10): passwords that are hard to guess, a session of a working day, managers
and auditors signed out after half an hour idle, and no cached copies of signed-in pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse


@pytest.mark.parametrize(
    "password", ["Zomer2026", "Zomer2026!!!", "Welkom12345!", "wachtwoord2026", "aaaaaaaaaaaa1"]
)
def test_easy_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_passphrase_is_accepted():
    validate_password("paars fiets regent molen")


def test_a_managers_session_ends_after_half_an_hour_idle(client, world, _frozen_clock):
    client.force_login(world.manager_a)
    dashboard = reverse("reports:dashboard")
    assert client.get(dashboard).status_code == 200
    _frozen_clock.shift(timedelta(minutes=29))
    assert client.get(dashboard).status_code == 200  # still active: the clock restarts
    _frozen_clock.shift(timedelta(minutes=31))
    response = client.get(dashboard)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.get(dashboard).status_code == 302  # signed out for good


def test_a_collective_keeps_its_session_for_the_working_day(client, world, _frozen_clock):
    client.force_login(world.member_x)
    dashboard = reverse("reports:dashboard")
    client.get(dashboard)
    _frozen_clock.shift(timedelta(hours=2))
    assert client.get(dashboard).status_code == 200


def test_signed_in_pages_are_not_cached(client, world):
    client.force_login(world.manager_a)
    response = client.get(reverse("reports:dashboard"))
    assert "no-store" in response["Cache-Control"]


def test_every_page_carries_a_content_security_policy_without_inline_code(client, world):
    client.force_login(world.manager_a)
    policy = client.get(reverse("reports:dashboard"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
