import csv
import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from ledger.models import Book
from ledger.money import from_cents
from ledger.selectors import trial_balance


class Command(BaseCommand):
    help = "Print a book's trial balance (proef- en saldibalans) as of a date."

    def add_arguments(self, parser):
        parser.add_argument("--book", required=True, help="slug of the book")
        parser.add_argument("--date", help="YYYY-MM-DD, inclusive (default: now)")
        parser.add_argument("--format", choices=["table", "csv", "json"], default="table")

    def handle(self, *args, book, date=None, format="table", **options):
        try:
            the_book = Book.objects.get(slug=book)
        except Book.DoesNotExist:
            raise CommandError(f"no book {book!r}") from None
        as_of = None
        if date:
            try:
                as_of = _parse_date(date)
            except ValueError:
                raise CommandError(f"--date {date!r} is not a date YYYY-MM-DD") from None
        rows = trial_balance(book=the_book, as_of=as_of)
        records = [
            {
                "code": r.account.code,
                "name": r.account.name,
                "type": r.account.type,
                "currency": r.currency,
                "debit": str(from_cents(r.debit, r.currency)),
                "credit": str(from_cents(r.credit, r.currency)),
                "balance": str(from_cents(r.net, r.currency)),
            }
            for r in rows
        ]
        totals = {
            "debit": str(from_cents(sum(r.debit for r in rows))),
            "credit": str(from_cents(sum(r.credit for r in rows))),
            "balance": str(from_cents(sum(r.net for r in rows))),
        }
        if format == "json":
            payload = {
                "book": the_book.slug,
                "date": as_of.isoformat() if as_of else None,
                "rows": records,
                "totals": totals,
            }
            self.stdout.write(json.dumps(payload, indent=2))
        elif format == "csv":
            writer = csv.DictWriter(
                self.stdout, fieldnames=list(records[0]) if records else ["code"]
            )
            writer.writeheader()
            writer.writerows(records)
        else:
            title = f"Proef- en saldibalans {the_book.name}"
            if as_of:
                title += f" per {as_of:%d-%m-%Y}"
            self.stdout.write(title)
            self.stdout.write(
                f"{'code':<6} {'rekening':<42} {'debet':>15} {'credit':>15} {'saldo':>15}"
            )
            for rec in records:
                self.stdout.write(
                    f"{rec['code']:<6} {rec['name'][:42]:<42} {rec['debit']:>15} "
                    f"{rec['credit']:>15} {rec['balance']:>15}"
                )
            self.stdout.write(
                f"{'':<6} {'totaal':<42} {totals['debit']:>15} {totals['credit']:>15} "
                f"{totals['balance']:>15}"
            )


def _parse_date(text: str) -> date:
    return date.fromisoformat(text)
