"""On PostgreSQL the app runs as a role that owns nothing (issue #10): it books as usual, but
cannot TRUNCATE, ALTER a table, disable the ledger's triggers or switch them off with
session_replication_role; those need the owner (ledger/management/commands/db_app_role.py)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import create_funded_team

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def app_role(on_postgres):
    role = f"bf_app_{uuid.uuid4().hex[:8]}"
    call_command("db_app_role", role, "--create")
    settings = connection.settings_dict
    dsn = psycopg.conninfo.make_conninfo(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


def refused(conn, sql: str) -> str:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(sql)
    return str(caught.value)


def test_the_app_role_reads_and_writes_rows_and_nothing_more(app_role):
    team = create_funded_team(grant="1000.00", revolving="1000.00")
    book = team.fund.book
    rows = app_role.execute(
        "SELECT count(*) FROM ledger_journalline l JOIN ledger_journalentry e "
        "ON e.id = l.entry_id WHERE e.book_id = %s",
        [book.pk],
    ).fetchone()[0]
    assert rows > 0
    app_role.execute("UPDATE django_session SET expire_date = expire_date")  # row rights
    assert "permission denied" in refused(app_role, "TRUNCATE ledger_auditevent")
    assert "must be owner" in refused(
        app_role, "ALTER TABLE ledger_journalline DISABLE TRIGGER ALL"
    )
    assert "permission denied" in refused(app_role, "SET session_replication_role = replica")
    assert "must be owner" in refused(app_role, "DROP TABLE ledger_journalline")
    assert "permission denied" in refused(app_role, "CREATE TABLE sneaky (id int)")
    # and the journal stays append-only for it, as for everyone
    assert "append-only" in refused(app_role, "UPDATE ledger_journalline SET debit = debit + 1")


def test_a_superuser_is_refused_as_the_app_role(on_postgres):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="superuser"):
        call_command("db_app_role", "postgres")
