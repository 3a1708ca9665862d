"""Database-level guards of the ledger, for PostgreSQL and SQLite.

- Journal entries, journal lines and audit events are append-only: UPDATE and DELETE are
  refused by triggers, also through raw SQL.
- On PostgreSQL the posting function ``ledger_post`` (defined in ``ledger.services``) is
  installed with the rules.
- On PostgreSQL deferred constraint triggers on entries and on lines refuse, at commit, an
  entry with fewer than two lines or whose debits and credits differ in any currency.

The migrations ``0002_dbrules`` and ``0004_posting_path`` install these; :func:`install`
and :func:`uninstall` are also used by the test suite on SQLite, whose test flush deletes
rows.
"""

from __future__ import annotations

APPEND_ONLY_TABLES = ("ledger_journalentry", "ledger_journalline", "ledger_auditevent")

POSTGRES_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'ledger: % of %.% is refused: the ledger is append-only, post a reversal',
            TG_OP, TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    *[
        f"""
        CREATE TRIGGER {table}_append_only
        BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
        """
        for table in APPEND_ONLY_TABLES
    ],
    # One check function for two deferred constraint triggers: one on each new entry
    # (which catches an entry without lines) and one on each new line (which catches a line
    # added later to any entry: one committed before, one whose check already ran under
    # SET CONSTRAINTS ALL IMMEDIATE, or one another transaction has not committed yet).
    # Both run at commit, when all lines are in. Lines written by the posting function
    # (ledger.services.POSTGRES_POST_FUNCTION) are left to their entry's trigger: the
    # function writes an entry and all its lines in one statement and marks that statement
    # with the transaction-local setting ledger.posting, which it clears right after.
    """
    CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
    DECLARE
        checked_entry bigint;
        line_count bigint;
        off_currency text;
    BEGIN
        IF TG_TABLE_NAME = 'ledger_journalentry' THEN
            checked_entry := NEW.id;
        ELSE
            checked_entry := NEW.entry_id;
        END IF;
        SELECT coalesce(sum(n), 0), min(currency) FILTER (WHERE debits <> credits)
            INTO line_count, off_currency
            FROM (
                SELECT currency, count(*) AS n, sum(debit) AS debits, sum(credit) AS credits
                FROM ledger_journalline WHERE entry_id = checked_entry GROUP BY currency
            ) AS per_currency;
        IF line_count < 2 THEN
            RAISE EXCEPTION 'ledger: entry % has % line(s); an entry needs at least two',
                checked_entry, line_count USING ERRCODE = 'check_violation';
        END IF;
        IF off_currency IS NOT NULL THEN
            RAISE EXCEPTION 'ledger: entry % does not balance in %', checked_entry, off_currency
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_journalline_balanced
    AFTER INSERT ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (current_setting('ledger.posting', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION ledger_check_entry_balanced();
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_journalentry_balanced
    AFTER INSERT ON ledger_journalentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
    """,
]

POSTGRES_UNINSTALL = [
    "DROP FUNCTION IF EXISTS ledger_post(bigint, integer, timestamptz, bigint, jsonb, jsonb);",
    *[f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in APPEND_ONLY_TABLES],
    "DROP TRIGGER IF EXISTS ledger_journalline_balanced ON ledger_journalline;",
    "DROP TRIGGER IF EXISTS ledger_journalentry_balanced ON ledger_journalentry;",
    "DROP FUNCTION IF EXISTS ledger_check_entry_balanced();",
    "DROP FUNCTION IF EXISTS ledger_refuse_change();",
]

SQLITE_MESSAGE = "ledger: {op} of {table} is refused: the ledger is append-only, post a reversal"

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()}
    BEFORE {op} ON {table}
    BEGIN
        SELECT RAISE(ABORT, '{SQLITE_MESSAGE.format(op=op, table=table)}');
    END;
    """
    for table in APPEND_ONLY_TABLES
    for op in ("UPDATE", "DELETE")
]

SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {table}_no_{op.lower()};"
    for table in APPEND_ONLY_TABLES
    for op in ("UPDATE", "DELETE")
]


def statements(vendor: str, *, remove: bool = False) -> list[str]:
    if vendor == "postgresql":
        # The posting function lives with the posting service, the one door into the
        # journal tables.
        from ledger.services import POSTGRES_POST_FUNCTION

        return POSTGRES_UNINSTALL if remove else [*POSTGRES_INSTALL, POSTGRES_POST_FUNCTION]
    if vendor == "sqlite":
        return SQLITE_UNINSTALL if remove else SQLITE_INSTALL
    raise NotImplementedError(f"ledger database rules are not written for {vendor}")


# The hash chain's seals (ledger/seal.py) are append-only too; their table came later
# (migration 0007), so its rules are installed on their own.
SEAL_TABLE = "ledger_seal"


def seal_statements(vendor: str, *, remove: bool = False) -> list[str]:
    if vendor == "postgresql":
        if remove:
            return [f"DROP TRIGGER IF EXISTS {SEAL_TABLE}_append_only ON {SEAL_TABLE};"]
        return [
            f"DROP TRIGGER IF EXISTS {SEAL_TABLE}_append_only ON {SEAL_TABLE};",
            f"""
            CREATE TRIGGER {SEAL_TABLE}_append_only
            BEFORE UPDATE OR DELETE ON {SEAL_TABLE}
            FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
            """,
        ]
    if vendor == "sqlite":
        ops = ("UPDATE", "DELETE")
        if remove:
            return [f"DROP TRIGGER IF EXISTS {SEAL_TABLE}_no_{op.lower()};" for op in ops]
        return [
            f"""
            CREATE TRIGGER IF NOT EXISTS {SEAL_TABLE}_no_{op.lower()}
            BEFORE {op} ON {SEAL_TABLE}
            BEGIN
                SELECT RAISE(ABORT, '{SQLITE_MESSAGE.format(op=op, table=SEAL_TABLE)}');
            END;
            """
            for op in ops
        ]
    raise NotImplementedError(f"ledger database rules are not written for {vendor}")


# Guards added with migration 0008: a closed period is never changed, reopened or deleted
# (on both databases), and on PostgreSQL TRUNCATE, which row triggers do not see, is refused
# on the journal, its lines, the audit events, the seals and the periods.
TRUNCATE_GUARDED = (*APPEND_ONLY_TABLES, SEAL_TABLE, "ledger_period")
PERIOD_MESSAGE = "ledger: a closed period cannot be changed, reopened or deleted"


def guard_statements(vendor: str, *, remove: bool = False) -> list[str]:
    if vendor == "postgresql":
        drop_truncate = [
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};" for table in TRUNCATE_GUARDED
        ]
        drop_period = ["DROP TRIGGER IF EXISTS ledger_period_closed_guard ON ledger_period;"]
        if remove:
            return drop_truncate + drop_period
        return [
            *drop_period,
            f"""
            CREATE OR REPLACE FUNCTION ledger_guard_closed_period() RETURNS trigger AS $$
            BEGIN
                IF OLD.closed_at IS NOT NULL THEN
                    RAISE EXCEPTION '{PERIOD_MESSAGE} (% %)', TG_OP, OLD.name
                        USING ERRCODE = 'restrict_violation';
                END IF;
                IF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;
            """,
            """
            CREATE TRIGGER ledger_period_closed_guard
            BEFORE UPDATE OR DELETE ON ledger_period
            FOR EACH ROW EXECUTE FUNCTION ledger_guard_closed_period();
            """,
            *drop_truncate,
            """
            CREATE OR REPLACE FUNCTION ledger_refuse_truncate() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'ledger: TRUNCATE of % is refused: the ledger is append-only',
                    TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
            END;
            $$ LANGUAGE plpgsql;
            """,
            *[
                f"""
                CREATE TRIGGER {table}_no_truncate
                BEFORE TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_truncate();
                """
                for table in TRUNCATE_GUARDED
            ],
        ]
    if vendor == "sqlite":
        ops = ("UPDATE", "DELETE")
        if remove:
            return [f"DROP TRIGGER IF EXISTS ledger_period_closed_no_{op.lower()};" for op in ops]
        return [
            f"""
            CREATE TRIGGER IF NOT EXISTS ledger_period_closed_no_{op.lower()}
            BEFORE {op} ON ledger_period
            WHEN OLD.closed_at IS NOT NULL
            BEGIN
                SELECT RAISE(ABORT, '{PERIOD_MESSAGE}');
            END;
            """
            for op in ops
        ]
    raise NotImplementedError(f"ledger database rules are not written for {vendor}")


def install_guards(connection) -> None:
    with connection.cursor() as cursor:
        for sql in guard_statements(connection.vendor):
            cursor.execute(sql)


def remove_guards(connection) -> None:
    with connection.cursor() as cursor:
        for sql in guard_statements(connection.vendor, remove=True):
            cursor.execute(sql)


def install_seal_rules(connection) -> None:
    with connection.cursor() as cursor:
        for sql in seal_statements(connection.vendor):
            cursor.execute(sql)


def install(connection) -> None:
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor):
            cursor.execute(sql)
    if SEAL_TABLE in connection.introspection.table_names():
        install_seal_rules(connection)
        install_guards(connection)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for sql in statements(connection.vendor, remove=True):
            cursor.execute(sql)
        if SEAL_TABLE in connection.introspection.table_names(cursor):
            for sql in seal_statements(connection.vendor, remove=True):
                cursor.execute(sql)
            for sql in guard_statements(connection.vendor, remove=True):
                cursor.execute(sql)
