"""The database backs the ledger rules up, for raw SQL too. These tests commit for real.

- Append-only (SQLite and PostgreSQL): UPDATE and DELETE of journal entries, journal lines
  and audit events are refused by triggers.
- PostgreSQL: a deferred constraint trigger refuses, at commit, an entry whose lines do not
  balance or that has fewer than two lines.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from ledger import clock
from ledger.models import AuditEvent, JournalEntry, JournalLine
from ledger.selectors import account_balance
from tests.ledger.helpers import D, account, contribution, make_book

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def posted():
    book = make_book()
    entry = contribution(book, 100_00)
    return book, entry


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def row_ids(book, entry):
    line = entry.lines.order_by("id").first()
    event = AuditEvent.objects.filter(book=book).order_by("id").first()
    return {
        "ledger_journalentry": entry.pk,
        "ledger_journalline": line.pk,
        "ledger_auditevent": event.pk,
    }


UPDATES = {
    "ledger_journalentry": "UPDATE ledger_journalentry SET description = 'gewijzigd' WHERE id = %s",
    "ledger_journalline": "UPDATE ledger_journalline SET debit = debit + 1 WHERE id = %s",
    "ledger_auditevent": "UPDATE ledger_auditevent SET action = 'gewist' WHERE id = %s",
}


@pytest.mark.parametrize("table", list(UPDATES))
def test_raw_update_is_refused(posted, table):
    book, entry = posted
    pk = row_ids(book, entry)[table]
    with pytest.raises(IntegrityError, match="append-only"):
        raw(UPDATES[table], [pk])
    entry.refresh_from_db()
    assert entry.description == "Storting INV-PROV"
    assert sorted(entry.lines.values_list("debit", flat=True)) == [0, 100_00]


@pytest.mark.parametrize("table", list(UPDATES))
def test_raw_delete_is_refused(posted, table):
    book, entry = posted
    pk = row_ids(book, entry)[table]
    with pytest.raises(IntegrityError, match="append-only"):
        raw(f"DELETE FROM {table} WHERE id = %s", [pk])
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    assert JournalLine.objects.filter(entry=entry).count() == 2
    assert AuditEvent.objects.filter(pk=row_ids(book, entry)["ledger_auditevent"]).exists()


def test_orm_update_and_delete_are_refused_too(posted):
    book, entry = posted
    with pytest.raises(IntegrityError, match="append-only"):
        JournalLine.objects.filter(entry=entry).update(memo="stiekem")
    with pytest.raises(IntegrityError, match="append-only"):
        JournalEntry.objects.filter(pk=entry.pk).update(description="stiekem")
    with pytest.raises(IntegrityError, match="append-only"):
        AuditEvent.objects.filter(book=book).delete()
    assert account_balance(account=account(book, "1000")) == 100_00


def test_refusal_inside_a_transaction_rolls_it_back(posted):
    book, entry = posted
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        contribution(book, 5_00)
        raw(UPDATES["ledger_journalline"], [entry.lines.first().pk])
    assert account_balance(account=account(book, "1000")) == 100_00
    assert JournalEntry.objects.filter(book=book).count() == 1


# --- PostgreSQL: deferred balance check at commit ------------------------------------------


def insert_entry(book, description="rauw") -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_journalentry (book_id, date, description, source_type, source_id, "
            "source_ref, created_at, content_hash) VALUES (%s, %s, %s, '', '', '', %s, 'x') "
            "RETURNING id",
            [book.pk, D(2025, 5, 1), description, clock.now()],
        )
        return cursor.fetchone()[0]


def insert_line(entry_id, account_obj, debit, credit, currency="EUR", party=""):
    raw(
        "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, currency, "
        "contract, party, memo) VALUES (%s, %s, %s, %s, %s, %s, '', %s, '')",
        [entry_id, account_obj.pk, D(2025, 5, 1), debit, credit, currency, party],
    )


@pytest.mark.postgres
def test_raw_unbalanced_lines_fail_at_commit(on_postgres):
    book = make_book()
    bank, capital = account(book, "1000"), account(book, "3000")
    with pytest.raises(IntegrityError, match="does not balance in EUR"), transaction.atomic():
        entry_id = insert_entry(book)
        insert_line(entry_id, bank, 100, 0)
        insert_line(entry_id, capital, 0, 99, party="INV-1")
        # inside the transaction the trigger has not fired yet: the rows are there
        assert JournalLine.objects.filter(entry_id=entry_id).count() == 2
    assert not JournalEntry.objects.filter(book=book).exists()
    assert not JournalLine.objects.filter(account__book=book).exists()


@pytest.mark.postgres
def test_raw_lines_balanced_in_total_but_not_per_currency_fail_at_commit(on_postgres):
    book = make_book()
    bank, capital = account(book, "1000"), account(book, "3000")
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        entry_id = insert_entry(book)
        insert_line(entry_id, bank, 100, 0, currency="EUR")
        insert_line(entry_id, capital, 0, 100, currency="USD", party="INV-1")
    assert not JournalEntry.objects.filter(book=book).exists()


@pytest.mark.postgres
@pytest.mark.parametrize("lines", [0, 1])
def test_raw_entry_with_fewer_than_two_lines_fails_at_commit(on_postgres, lines):
    book = make_book()
    with pytest.raises(IntegrityError, match="needs at least two"), transaction.atomic():
        entry_id = insert_entry(book)
        if lines:
            insert_line(entry_id, account(book, "1000"), 100, 0)
    assert not JournalEntry.objects.filter(book=book).exists()


@pytest.mark.postgres
def test_raw_balanced_entry_commits(on_postgres):
    """The deferred trigger lets a balanced raw entry through: the refusals above are real."""
    book = make_book()
    with transaction.atomic():
        entry_id = insert_entry(book)
        insert_line(entry_id, account(book, "1000"), 100, 0)
        insert_line(entry_id, account(book, "3000"), 0, 100, party="INV-1")
    assert JournalLine.objects.filter(entry_id=entry_id).count() == 2


@pytest.mark.postgres
def test_the_refused_error_class_on_postgres(on_postgres, posted):
    """restrict_violation (SQLSTATE 23001) reaches Django as IntegrityError."""
    book, entry = posted
    with pytest.raises(IntegrityError) as info:
        raw(UPDATES["ledger_journalentry"], [entry.pk])
    assert info.value.__cause__.sqlstate == "23001"


@pytest.mark.postgres
def test_a_line_added_to_a_committed_entry_is_refused_at_commit(on_postgres, posted):
    book, entry = posted
    message = f"entry {entry.pk} does not balance in EUR"
    with pytest.raises(IntegrityError, match=message), transaction.atomic():
        insert_line(entry.pk, account(book, "1000"), 1, 0)
    assert JournalLine.objects.filter(entry=entry).count() == 2
    assert account_balance(account=account(book, "1000")) == 100_00


@pytest.mark.postgres
def test_lines_in_a_savepoint_are_checked_at_commit_too(on_postgres):
    """Inside a savepoint (a nested atomic block, as services post) lines may come one by
    one; the entry must balance when the transaction commits."""
    book = make_book()
    bank, capital = account(book, "1000"), account(book, "3000")
    with pytest.raises(IntegrityError, match="does not balance in EUR"), transaction.atomic():
        with transaction.atomic():
            entry_id = insert_entry(book)
            insert_line(entry_id, bank, 100, 0)
            insert_line(entry_id, capital, 0, 100, party="INV-1")
        with transaction.atomic():
            other_id = insert_entry(book, "stuk voor stuk")
            insert_line(other_id, bank, 100, 0)
            insert_line(other_id, capital, 0, 99, party="INV-1")
    assert not JournalEntry.objects.filter(pk__in=[entry_id, other_id]).exists()


@pytest.mark.postgres
def test_a_line_added_after_an_early_check_is_still_checked(on_postgres):
    """SET CONSTRAINTS ALL IMMEDIATE runs the entry's check early; a line added after that
    is checked again at commit."""
    book = make_book()
    with pytest.raises(IntegrityError, match="does not balance in EUR"), transaction.atomic():
        entry = contribution(book, 100_00)
        raw("SET CONSTRAINTS ALL IMMEDIATE")
        raw("SET CONSTRAINTS ALL DEFERRED")
        insert_line(entry.pk, account(book, "1000"), 777, 0)
    assert not JournalEntry.objects.filter(book=book).exists()


@pytest.mark.postgres
@pytest.mark.parametrize("first", ["entry", "line"])
def test_a_line_for_another_transactions_uncommitted_entry_is_refused(on_postgres, first):
    """Foreign keys are deferred, so a second connection can insert a line for an entry
    that is not committed yet. Whichever commits first, the line's commit is refused: by
    the balance check when the entry committed before it, by the foreign key otherwise."""
    import psycopg

    book = make_book()
    bank = account(book, "1000")
    settings = connection.settings_dict
    other = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    )
    refused = r"does not balance in EUR|foreign key"
    try:
        with transaction.atomic():
            entry = contribution(book, 500)
            other.execute(
                "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, "
                "currency, contract, party, memo) VALUES (%s, %s, %s, 999, 0, 'EUR', '', '', '')",
                [entry.pk, bank.pk, D(2025, 5, 1)],
            )
            if first == "line":
                with pytest.raises(psycopg.errors.Error, match=refused):
                    other.commit()
        if first == "entry":
            with pytest.raises(psycopg.errors.Error, match=refused):
                other.commit()
    finally:
        other.close()
    assert JournalLine.objects.filter(entry=entry).count() == 2
    assert account_balance(account=bank) == 500


@pytest.mark.postgres
def test_the_balance_check_is_deferred_on_entries_and_lines(on_postgres):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgdeferrable, tginitdeferred FROM pg_trigger "
            "WHERE tgrelid IN ('ledger_journalline'::regclass, 'ledger_journalentry'::regclass) "
            "AND tgname LIKE '%%balanced' ORDER BY tgname"
        )
        assert cursor.fetchall() == [
            ("ledger_journalentry_balanced", True, True),
            ("ledger_journalline_balanced", True, True),
        ]
