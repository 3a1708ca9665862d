"""Give the application's PostgreSQL role the rights it needs to run, and nothing more.

The tables belong to the owner role that runs the migrations. The app connects as a role that
owns nothing: it may read and write rows (the ledger's triggers still refuse changes to the
journal), but not TRUNCATE, ALTER, drop or disable triggers, or switch them off with
``session_replication_role``; only an owner or a superuser can. Run as the owner, after each
migrate (README, "PostgreSQL"):

    DATABASE_URL=postgres://burgerfonds_owner@host/burgerfonds manage.py migrate
    DATABASE_URL=postgres://burgerfonds_owner@host/burgerfonds manage.py db_app_role burgerfonds_app
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

ROW_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"


def grant_statements(role: str, schema: str = "public") -> list[str]:
    quoted = connection.ops.quote_name(role)
    return [
        f"REVOKE ALL ON SCHEMA {schema} FROM {quoted}",
        f"GRANT USAGE ON SCHEMA {schema} TO {quoted}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {quoted}",
        f"GRANT {ROW_RIGHTS} ON ALL TABLES IN SCHEMA {schema} TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {quoted}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {quoted}",
        # tables a later migration creates get the same rights
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {ROW_RIGHTS} ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ]


class Command(BaseCommand):
    help = (
        "PostgreSQL: grant the app's database role row rights on every table (no TRUNCATE, "
        "no ownership, so no ALTER and no trigger control); run as the owner after migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the app connects as (must exist)")
        parser.add_argument(
            "--create", action="store_true", help="create the role (LOGIN, no other rights)"
        )

    def handle(self, *args, role: str, create: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("db_app_role is for PostgreSQL; SQLite has no roles")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", [role]
            )
            found = cursor.fetchone()
            if found is None and not create:
                raise CommandError(f"no role {role!r}; create it, or pass --create")
            if found is not None and found[0]:
                raise CommandError(f"{role!r} is a superuser: the app must not connect as one")
            with transaction.atomic():
                if found is None:
                    cursor.execute(
                        f"CREATE ROLE {connection.ops.quote_name(role)} LOGIN NOSUPERUSER "
                        "NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                    )
                for statement in grant_statements(role):
                    cursor.execute(statement)
        self.stdout.write(self.style.SUCCESS(f"{role}: row rights on every table, nothing more"))
