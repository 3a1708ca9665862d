"""The faster posting path.

- Drop three single-column indexes that composite indexes already serve (entry book, entry
  date, line account): each index costs time on every posting.
- Re-install the database rules: on PostgreSQL the posting function ``ledger_post`` is
  installed, and the deferred balance check does its work in one query. On SQLite, altering a field rebuilds the
  table, which drops its triggers; re-installing puts the append-only triggers back.
"""

import django.db.models.deletion
from django.db import migrations, models

from ledger.migrations import _frozen, _sql_v1


def reinstall(apps, schema_editor):
    _frozen.run(schema_editor, _sql_v1.RULES, "remove")
    _frozen.run(schema_editor, _sql_v1.RULES, "install")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_dailytotal_lines")]

    operations = [
        # on the way back, the table rebuilds below drop the triggers again (SQLite)
        migrations.RunPython(migrations.RunPython.noop, reinstall),
        migrations.AlterField(
            model_name="journalentry",
            name="book",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="ledger.book",
            ),
        ),
        migrations.AlterField(
            model_name="journalentry",
            name="date",
            field=models.DateField(verbose_name="boekdatum"),
        ),
        migrations.AlterField(
            model_name="journalline",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="lines",
                to="ledger.account",
            ),
        ),
        migrations.RunPython(reinstall, migrations.RunPython.noop),
    ]
