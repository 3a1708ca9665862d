from django.core.management.base import BaseCommand, CommandError

from ledger.models import Book
from ledger.seal import seal_book, verify_book


class Command(BaseCommand):
    help = (
        "Recompute every book's hash chain from the journal as it is now and name the first "
        "entry whose content, lines or place no longer match its seal. Exits non-zero on any "
        "difference. With --seal, first seal what is not sealed yet (after verifying)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--book", help="slug of one book (default: every book)")
        parser.add_argument(
            "--seal", action="store_true", help="seal unsealed entries once the chain verifies"
        )

    def handle(self, *args, book=None, seal=False, **options):
        books = Book.objects.order_by("slug")
        if book:
            books = books.filter(slug=book)
            if not books.exists():
                raise CommandError(f"no book {book!r}")
        failed = 0
        for b in books:
            report = verify_book(b)
            if not report.ok:
                failed += 1
                self.stdout.write(self.style.ERROR(f"{b.slug}: TAMPERED"))
                for problem in report.problems:
                    self.stdout.write(f"  {problem}")
                continue
            sealed_now = seal_book(b) if seal else 0
            self.stdout.write(
                self.style.SUCCESS(
                    f"{b.slug}: OK ({report.sealed} sealed entries verified"
                    + (f", {sealed_now} sealed now" if seal else f", {report.unsealed} unsealed")
                    + f"; chain ends in {report.head})"
                )
            )
        if failed:
            raise CommandError(f"{failed} book(s) whose journal no longer matches its seals")
