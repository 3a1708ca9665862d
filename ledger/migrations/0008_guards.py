"""A closed period cannot be changed, reopened or deleted; on PostgreSQL TRUNCATE of the
journal, its lines, the audit events, the seals and the periods is refused (row triggers do
not see TRUNCATE). See ledger/dbrules.py."""

from django.db import migrations


from ledger.migrations import _frozen, _sql_v1


def install(apps, schema_editor):
    _frozen.run(schema_editor, _sql_v1.GUARDS, "install")


def remove(apps, schema_editor):
    _frozen.run(schema_editor, _sql_v1.GUARDS, "remove")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_seals")]
    operations = [migrations.RunPython(install, remove)]
