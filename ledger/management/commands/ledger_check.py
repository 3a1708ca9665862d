from django.core.management.base import BaseCommand, CommandError

from ledger.checks import check_book
from ledger.models import Book


class Command(BaseCommand):
    help = (
        "Recompute every maintained balance from the journal lines, check that every entry "
        "balances and that each sub-ledger adds up to its control account. Exits non-zero "
        "on any difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--book", help="slug of one book (default: every book)")

    def handle(self, *args, book=None, **options):
        books = Book.objects.order_by("slug")
        if book:
            books = books.filter(slug=book)
            if not books.exists():
                raise CommandError(f"no book {book!r}")
        failed = 0
        for b in books:
            report = check_book(b)
            checked = ", ".join(f"{n} {what}" for what, n in report.checked.items())
            if report.ok:
                self.stdout.write(self.style.SUCCESS(f"{b.slug}: OK ({checked})"))
            else:
                failed += 1
                self.stdout.write(
                    self.style.ERROR(
                        f"{b.slug}: {len(report.differences)} difference(s) ({checked})"
                    )
                )
                for line in report.differences:
                    self.stdout.write(f"  {line}")
        if failed:
            raise CommandError(f"{failed} book(s) with differences")
        if not books:
            self.stdout.write("no books")
