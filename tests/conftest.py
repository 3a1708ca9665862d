"""Shared test set-up.

The suite runs on SQLite by default and on PostgreSQL with ``DATABASE_URL`` set, e.g.
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/burgerfonds pytest``.
"""

from __future__ import annotations

import importlib
import os
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from ledger import dbrules

# The business date of every test: the clock (``ledger.clock``) is frozen at this moment, so
# the suite gives the same result whatever day it runs on. A test that needs another day
# moves the clock itself (``time_machine.travel`` or the ``clock_at`` fixture).
TODAY = datetime(2026, 11, 28, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def clock_at(_frozen_clock):
    """Move the frozen clock: ``clock_at(date(2027, 1, 2))`` makes that day today (noon)."""

    def move(day):
        moment = day if isinstance(day, datetime) else datetime.combine(day, TODAY.timetz())
        _frozen_clock.move_to(moment)

    return move


def pytest_collection_modifyitems(config, items):
    vendor = connection.vendor
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords and vendor != "postgresql":
            item.add_marker(skip_pg)


@pytest.fixture(autouse=True)
def _ledger_rules_on_sqlite(request):
    """Keep the ledger's guards in place, and lift them for the test flush.

    Django empties the database after a ``transaction=True`` test with DELETE on SQLite,
    which the append-only triggers refuse, and with TRUNCATE on PostgreSQL, which the
    statement triggers refuse. So the guards are re-created before each test that uses the
    database and dropped just before a transactional test's flush.
    """
    uses_db = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if not uses_db and marker is None:
        yield
        return
    transactional = (
        "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    )
    if marker is not None and marker.kwargs.get("transaction"):
        transactional = True
    request.getfixturevalue("transactional_db" if transactional else "db")
    if connection.vendor == "sqlite":
        dbrules.install(connection)
    else:
        dbrules.install_guards(connection)
    _statement_guards(install=True)
    yield
    if transactional and connection.vendor == "sqlite":
        dbrules.uninstall(connection)
    elif transactional:
        # PostgreSQL's test flush is a TRUNCATE, which the ledger refuses; lift that guard
        # (and the closed-period guard, whose rows the flush empties too) for the flush only.
        dbrules.remove_guards(connection)
    if transactional:
        _statement_guards(install=False)


def _statement_guards(*, install: bool) -> None:
    """The triggers that keep issued investor statements as they were sent
    (reports/migrations/0001_investor_statements.py): dropped, and with ``install`` created
    again, with the migration's own SQL, like the ledger's guards above."""
    migration = importlib.import_module("reports.migrations.0001_investor_statements")
    create, drop = migration.SQL[connection.vendor]
    with connection.cursor() as cursor:
        for sql in drop + (create if install else []):
            cursor.execute(sql)


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_executable():
    """Debian's chromium for Playwright; a missing browser fails when CI requires it."""
    path = chromium_path()
    if path is None:
        if os.environ.get("BURGERFONDS_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed but BURGERFONDS_REQUIRE_BROWSER=1")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path
