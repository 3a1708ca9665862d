"""Account 2100 (termijnen vooruit ontvangen) in every book that keeps loans."""

from django.db import migrations


def add_account(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    books = Account.objects.filter(code="1200").values_list("book_id", flat=True)
    have = set(Account.objects.filter(code="2100").values_list("book_id", flat=True))
    Account.objects.bulk_create(
        Account(
            book_id=book_id,
            code="2100",
            name="Vooruitontvangen termijnen",
            type="liability",
            subledger="contract",
            compartment="revolving",
        )
        for book_id in books
        if book_id not in have
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_timestamps_from_clock")]

    operations = [migrations.RunPython(add_account, migrations.RunPython.noop)]
