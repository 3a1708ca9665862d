"""Bad input on the money forms gets a message on the page, never a server error, and
nothing is written."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from ledger.models import JournalEntry
from ledger.services import period_close, period_create

from .conftest import page_text

ONCE = "0b0f6c2e-8e4a-4d3c-9f51-6f1f2a7c9e10"


def test_a_contribution_in_a_closed_period_is_refused_on_the_form(client, world):
    book = world.fund_a.book
    period = period_create(book=book, name="2025", start=date(2025, 1, 1), end=date(2025, 12, 31))
    period_close(period=period, closed_by=world.manager_a)
    client.force_login(world.manager_a)
    entries = JournalEntry.objects.count()
    url = reverse("fund:contribution_create", args=[world.commitment.pk])
    response = client.post(url, {"amount": "1.000,00", "date": "2025-06-01", "once": ONCE})
    assert response.status_code == 200
    assert "afgesloten periode" in page_text(response.content)
    assert JournalEntry.objects.count() == entries


def test_a_contribution_after_today_or_typed_ambiguously_is_refused(client, world):
    client.force_login(world.manager_a)
    entries = JournalEntry.objects.count()
    url = reverse("fund:contribution_create", args=[world.commitment.pk])
    response = client.post(url, {"amount": "1.000,00", "date": "2100-01-01", "once": ONCE})
    assert response.status_code == 200
    assert "ligt na vandaag" in page_text(response.content)
    response = client.post(url, {"amount": "1.000", "date": "2026-11-27", "once": ONCE})
    assert "niet eenduidig" in page_text(response.content)
    assert JournalEntry.objects.count() == entries
    data = {"amount": "1.000,00", "date": "2026-11-27", "once": ONCE}
    response = client.post(url, data)
    assert response.status_code == 302
    assert JournalEntry.objects.count() == entries + 1
    # Twice is once: the same form sent again (a double click, a retry) books nothing more.
    again = client.post(url, data)
    assert again.status_code == 302
    assert JournalEntry.objects.count() == entries + 1
    # The same form sent back with other figures is refused, not booked as a second one.
    changed = client.post(url, {**data, "amount": "2.000,00"})
    assert "al verwerkt" in page_text(changed.content)
    assert JournalEntry.objects.count() == entries + 1
    # A fresh form is a fresh key.
    client.post(url, {**data, "once": "5d1c4bde-4a36-4a39-9a43-2d6f0d0a1a01"})
    assert JournalEntry.objects.count() == entries + 2


def test_the_portfolio_as_of_a_far_future_date_shows_today(client, world):
    client.force_login(world.auditor)
    response = client.get(
        reverse("loans:portfolio", args=[world.fund_a.slug]), {"as_of": "9999-12-31"}
    )
    assert response.status_code == 200
    assert "PAR30 per 28-11-2026" in page_text(response.content)


def test_every_page_names_a_favicon_that_exists(client, world):
    from django.contrib.staticfiles import finders

    client.force_login(world.manager_a)
    text = client.get(reverse("fund:fund_list")).content.decode()
    assert 'rel="icon"' in text and "favicon.svg" in text
    assert finders.find("favicon.svg")
