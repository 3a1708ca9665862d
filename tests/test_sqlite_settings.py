"""SQLite as configured in config/settings.py: WAL, a busy timeout and IMMEDIATE transactions,
so that concurrent requests wait for each other instead of failing with "database is locked".

The suite's own test database is in memory (where WAL does not apply), so the file case runs
the settings in a fresh interpreter with ``DATABASE_URL`` pointing at a file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, django
django.setup()
from django.db import connection, transaction
with connection.cursor() as cursor:
    pragmas = {
        name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "busy_timeout")
    }
with transaction.atomic():  # BEGIN IMMEDIATE: the write lock is taken at once
    other = __import__("sqlite3").connect(connection.settings_dict["NAME"], timeout=0.05)
    try:
        other.execute("BEGIN IMMEDIATE")
        pragmas["second_writer"] = "got the lock"
    except Exception as error:
        pragmas["second_writer"] = str(error)
    other.close()
pragmas["transaction_mode"] = connection.transaction_mode
print(json.dumps(pragmas))
"""


def test_a_sqlite_file_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    database = tmp_path / "burgerfonds.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(DATABASE_URL=f"sqlite:///{database}", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(  # noqa: S603 - our own interpreter and settings module
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    pragmas = json.loads(result.stdout.strip().splitlines()[-1])
    assert pragmas["journal_mode"] == "wal"
    assert pragmas["synchronous"] == 1  # NORMAL: safe with WAL, one sync per checkpoint
    assert pragmas["busy_timeout"] == 20_000  # wait 20 seconds for a lock, then fail
    assert pragmas["transaction_mode"] == "IMMEDIATE"
    assert "locked" in pragmas["second_writer"]  # a writer waits from BEGIN, not half-way
    # The mode is kept in the file: a plain connection sees it too.
    with sqlite3.connect(database) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.django_db
def test_the_suites_sqlite_database_takes_the_same_options():
    if connection.vendor != "sqlite":
        pytest.skip("the suite runs on PostgreSQL here; the file case above covers SQLite")
    options = connection.settings_dict["OPTIONS"]
    assert "PRAGMA journal_mode=WAL" in options["init_command"]
    assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] == 20
    with connection.cursor() as cursor:  # in memory WAL does not apply, and is harmless
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] in {"memory", "wal"}
