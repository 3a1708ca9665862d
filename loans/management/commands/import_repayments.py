from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from fund.models import Fund
from ledger.exceptions import LedgerError
from loans import exceptions as exc
from loans.services import bank_csv_lines, repayments_import


class Command(BaseCommand):
    help = (
        "Import incoming payments from a bank CSV export: matched lines become repayments, "
        "the rest goes to suspense (1900). Lines imported before (same bank reference, or "
        "the same content and place) are skipped, so an import that stopped halfway is "
        "finished by running it again. Books in batches, printing progress."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file (date, amount, description, ...)")
        parser.add_argument("--fund", required=True, help="slug of the fund")
        parser.add_argument("--user", required=True, help="username of the fund manager")
        parser.add_argument("--overpayment", choices=["shorten", "lower"], default="shorten")

    def handle(self, *args, path, fund, user, overpayment, **options):
        try:
            fund_obj = Fund.objects.get(slug=fund)
            manager = get_user_model().objects.get(username=user)
        except (Fund.DoesNotExist, get_user_model().DoesNotExist) as error:
            raise CommandError(str(error)) from error
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {path}: {error}") from error

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"{done} of {total} lines booked")
            self.stdout.flush()

        try:
            lines = bank_csv_lines(text)
            result = repayments_import(
                fund=fund_obj,
                lines=lines,
                imported_by=manager,
                overpayment=overpayment,
                progress=progress,
            )
        except (exc.LoanError, LedgerError) as error:
            raise CommandError(str(error)) from error
        for repayment in result.repayments:
            self.stdout.write(f"repayment {repayment.loan.number} {repayment.amount}")
        for receipt in result.unmatched:
            self.stdout.write(f"suspense {receipt.payer_reference} {receipt.amount}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(result.repayments)} repayment(s), {len(result.unmatched)} to suspense, "
                f"{len(result.skipped)} skipped"
            )
        )
