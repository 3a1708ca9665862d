"""Database guards: append-only triggers (PostgreSQL and SQLite) and, on PostgreSQL, the
deferred constraint trigger that refuses an unbalanced entry at commit."""

from django.db import migrations

from ledger.migrations import _frozen, _sql_v1


def install(apps, schema_editor):
    _frozen.run(schema_editor, _sql_v1.RULES, "install")


def uninstall(apps, schema_editor):
    _frozen.run(schema_editor, _sql_v1.RULES, "remove")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
