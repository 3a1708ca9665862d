"""The ledger admin is read-only: entries are shown, never added, changed or deleted there."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from ledger.models import AuditEvent, JournalEntry, JournalLine, Period
from ledger.services import period_create
from tests.ledger.helpers import D, contribution, disbursement, row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser(
        username="beheerder", email="beheer@example.org", password=None
    )
    client.force_login(user)
    return client


@pytest.fixture
def entry(book):
    contribution(book, 500_000_00)
    return disbursement(book, 12_345_67, loan="L-001")


def test_entry_changelist_renders(admin_client, entry):
    response = admin_client.get(reverse("admin:ledger_journalentry_changelist"))
    assert response.status_code == 200
    assert "Uitbetaling L-001" in response.content.decode()


def test_entry_detail_is_shown_read_only_with_its_lines(admin_client, entry):
    response = admin_client.get(reverse("admin:ledger_journalentry_change", args=[entry.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Uitbetaling L-001" in body
    assert "1234567" in body.replace(".", "").replace(",", "")  # the line amount, in cents
    assert 'name="_save"' not in body
    assert 'name="description"' not in body


def test_entry_add_page_is_forbidden(admin_client, book):
    response = admin_client.get(reverse("admin:ledger_journalentry_add"))
    assert response.status_code == 403


def test_entry_cannot_be_changed_through_the_admin(admin_client, entry):
    before = row_counts()
    response = admin_client.post(
        reverse("admin:ledger_journalentry_change", args=[entry.pk]),
        {"description": "gewijzigd", "date": "2025-02-01", "book": entry.book_id},
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.description == "Uitbetaling L-001"
    assert row_counts() == before


def test_entry_cannot_be_deleted_through_the_admin(admin_client, entry):
    url = reverse("admin:ledger_journalentry_delete", args=[entry.pk])
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


def test_bulk_delete_action_is_not_offered(admin_client, entry):
    response = admin_client.post(
        reverse("admin:ledger_journalentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    assert JournalLine.objects.filter(entry=entry).count() == 2


@pytest.mark.parametrize("model", ["book", "account", "period", "auditevent", "journalentry"])
def test_every_ledger_admin_refuses_add_and_lists(admin_client, book, model):
    contribution(book, 100)
    period_create(book=book, name="2025", start=D(2025, 1, 1), end=D(2025, 12, 31))
    assert admin_client.get(reverse(f"admin:ledger_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:ledger_{model}_add")).status_code == 403


def test_period_and_audit_event_cannot_be_deleted(admin_client, book):
    period = period_create(book=book, name="2025", start=D(2025, 1, 1), end=D(2025, 12, 31))
    event = AuditEvent.objects.filter(book=book).first()
    for name, pk in (("period", period.pk), ("auditevent", event.pk)):
        response = admin_client.post(
            reverse(f"admin:ledger_{name}_delete", args=[pk]), {"post": "yes"}
        )
        assert response.status_code == 403
    assert Period.objects.filter(pk=period.pk).exists()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
