"""Database guards: append-only triggers (PostgreSQL and SQLite) and, on PostgreSQL, the
deferred constraint trigger that refuses an unbalanced entry at commit."""

from django.db import migrations


def install(apps, schema_editor):
    from ledger import dbrules

    dbrules.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    from ledger import dbrules

    dbrules.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
