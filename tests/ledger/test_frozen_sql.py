"""Migrations install frozen SQL (ledger/migrations/_sql_v1.py), never live code; the live
rules in ledger/dbrules.py (used to re-install them after the test suite's flush) must be what
the latest migration installed, and on PostgreSQL the installed posting function must be the
frozen one (issue #11, "Frozen migrations")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import connection

from ledger import dbrules
from ledger.migrations import _sql_v1

MIGRATIONS = Path(dbrules.__file__).resolve().parent / "migrations"
VENDORS = ("postgresql", "sqlite")


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_live_rules_are_the_latest_frozen_snapshot(vendor):
    for frozen, live in (
        (_sql_v1.RULES, dbrules.statements),
        (_sql_v1.SEALS, dbrules.seal_statements),
        (_sql_v1.GUARDS, dbrules.guard_statements),
    ):
        assert frozen[vendor]["install"] == list(live(vendor)), (
            "ledger/dbrules.py changed: freeze it in a new _sql_v<N>.py and add a migration"
        )
        assert frozen[vendor]["remove"] == list(live(vendor, remove=True))


def test_no_migration_imports_live_ledger_code():
    for path in MIGRATIONS.glob("0*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("ledger", "ledger.services"):
                names = {alias.name for alias in node.names}
                assert not names & {"dbrules", "services"}, f"{path.name} imports live code"


@pytest.mark.django_db
def test_the_installed_posting_function_is_the_frozen_one(on_postgres):
    frozen = next(sql for sql in _sql_v1.RULES["postgresql"]["install"] if "ledger_post(" in sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'ledger_post'")
        (body,) = cursor.fetchone()
    assert " ".join(body.split()) in " ".join(frozen.split())
