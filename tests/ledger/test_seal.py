"""The journal's hash chain (issue #10): with the append-only triggers switched off by raw
SQL, changing one line's amount, an entry's description or its date is named, exactly that
entry, by ledger_verify; sealing happens after the posting commits."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from ledger import dbrules
from ledger.models import JournalEntry, Seal
from ledger.seal import seal_book, verify_book
from tests.ledger.helpers import contribution, make_book

pytestmark = pytest.mark.django_db(transaction=True)


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def without_guards(sql, params=()):
    """What an intruder with the database's own credentials does: switch off the triggers,
    change a row, switch them on again."""
    if connection.vendor == "postgresql":
        raw("SET session_replication_role = replica")
        try:
            raw(sql, params)
        finally:
            raw("SET session_replication_role = DEFAULT")
    else:
        dbrules.uninstall(connection)
        try:
            raw(sql, params)
        finally:
            dbrules.install(connection)


def posted_in_a_service(book, cents, **kwargs):
    """As a service posts: inside its transaction, so the seal follows the commit."""
    with transaction.atomic():
        return contribution(book, cents, **kwargs)


@pytest.fixture
def sealed():
    book = make_book()
    entries = [posted_in_a_service(book, (n + 1) * 100_00, investor=f"INV-{n}") for n in range(5)]
    assert Seal.objects.filter(book=book).count() == 5  # sealed as each posting committed
    return book, entries


def test_an_untouched_journal_verifies(sealed):
    book, _entries = sealed
    report = verify_book(book)
    assert report.ok and report.sealed == 5 and report.unsealed == 0
    call_command("ledger_verify", "--book", book.slug)


@pytest.mark.parametrize(
    "tamper",
    [
        # both lines raised, so the entry still balances and the balances can be made to match
        "UPDATE ledger_journalline SET debit = debit + 5000000 WHERE entry_id = %s AND debit > 0",
        "UPDATE ledger_journalentry SET description = 'Storting (gewijzigd)' WHERE id = %s",
        "UPDATE ledger_journalentry SET date = '2026-02-01' WHERE id = %s",
    ],
    ids=["amount", "description", "date"],
)
def test_a_change_behind_the_triggers_is_named_by_its_entry(sealed, tamper):
    book, entries = sealed
    target = entries[2]
    without_guards(tamper, [target.pk])
    report = verify_book(book)
    assert not report.ok
    assert report.problems[0].startswith(f"entry #{target.pk} ")
    with pytest.raises(CommandError):
        call_command("ledger_verify", "--book", book.slug)


def test_a_removed_seal_is_named_by_its_entry(sealed):
    book, entries = sealed
    target = entries[1]
    without_guards("DELETE FROM ledger_seal WHERE entry_id = %s", [target.pk])
    report = verify_book(book)
    assert not report.ok
    assert report.problems == [
        f"entry #{target.pk} ({target.date:%d-%m-%Y}, {target.description}): its seal is gone"
    ]


def test_seals_are_append_only(sealed):
    book, entries = sealed
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        raw("UPDATE ledger_seal SET digest = 'x' WHERE entry_id = %s", [entries[0].pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        raw("DELETE FROM ledger_seal WHERE entry_id = %s", [entries[0].pk])


def test_sealing_continues_the_chain_and_is_idempotent(sealed):
    book, _entries = sealed
    assert seal_book(book) == 0
    # A posting outside any transaction (the one-round-trip path) waits for the next batch.
    contribution(book, 1_00, investor="INV-FAST", day=date(2026, 3, 1))
    assert verify_book(book).unsealed == 1
    posted_in_a_service(book, 2_00, investor="INV-LAST", day=date(2026, 3, 2))
    assert Seal.objects.filter(book=book).count() == 7
    report = verify_book(book)
    assert report.ok and report.sealed == 7 and report.unsealed == 0
    assert JournalEntry.objects.filter(book=book, seal__isnull=True).count() == 0


def test_a_closed_period_cannot_be_reopened_or_deleted_behind_the_service():
    from django.db import IntegrityError

    from ledger.services import period_close, period_create

    book = make_book()
    period = period_create(book=book, name="2025", start=date(2025, 1, 1), end=date(2025, 12, 31))
    period_close(period=period, closed_by=None)
    for sql in (
        "UPDATE ledger_period SET closed_at = NULL WHERE id = %s",
        "DELETE FROM ledger_period WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            raw(sql, [period.pk])
    period.refresh_from_db()
    assert period.is_closed


@pytest.mark.parametrize(
    "table", ["ledger_journalentry", "ledger_auditevent", "ledger_period", "ledger_seal"]
)
def test_truncate_is_refused_on_postgresql(on_postgres, table):
    from django.db import IntegrityError

    book = make_book()
    posted_in_a_service(book, 1_00)
    with pytest.raises(IntegrityError, match="TRUNCATE"), transaction.atomic():
        raw(f"TRUNCATE {table} CASCADE")
    assert JournalEntry.objects.filter(book=book).exists()
