"""A closed period cannot be changed, reopened or deleted; on PostgreSQL TRUNCATE of the
journal, its lines, the audit events, the seals and the periods is refused (row triggers do
not see TRUNCATE). See ledger/dbrules.py."""

from django.db import migrations


def install(apps, schema_editor):
    from ledger import dbrules

    dbrules.install_guards(schema_editor.connection)


def remove(apps, schema_editor):
    from ledger import dbrules

    dbrules.remove_guards(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_seals")]
    operations = [migrations.RunPython(install, remove)]
