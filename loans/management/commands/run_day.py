from datetime import date

from django.core.management.base import BaseCommand, CommandError

from fund.models import Fund
from ledger import clock
from loans.services import loans_run_days


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from error


class Command(BaseCommand):
    help = (
        "Day-end processing of the loans: interest falling due, month-end accruals, penalty "
        "interest, days past due and arrears buckets. Idempotent: without --from it catches "
        "up from the day after the last processed day up to --date (default: today); a day "
        "processed before posts nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="process up to and including this day (YYYY-MM-DD)")
        parser.add_argument("--from", dest="date_from", help="first day to (re)process")
        parser.add_argument("--to", dest="date_to", help="last day (same as --date)")
        parser.add_argument("--fund", help="slug of one fund (default: every fund)")

    def handle(self, *args, **options):
        date_to = options["date_to"] or options["date"]
        date_to = _date(date_to) if date_to else clock.today()
        date_from = _date(options["date_from"]) if options["date_from"] else None
        if date_from and date_from > date_to:
            raise CommandError("--from lies after --to")
        if date_to > clock.today():
            raise CommandError(
                f"--to {date_to:%d-%m-%Y} lies after today ({clock.today():%d-%m-%Y}): "
                "the day-end never runs ahead of the business date"
            )
        funds = Fund.objects.order_by("slug")
        if options["fund"]:
            funds = funds.filter(slug=options["fund"])
            if not funds.exists():
                raise CommandError(f"no fund {options['fund']!r}")

        def progress(fund, day, run):
            self.stdout.write(
                f"{fund.slug} {day.isoformat()}: {run.due} due, {run.accrued} accrued, "
                f"{run.penalties} penalties, {run.in_arrears} in arrears"
            )
            self.stdout.flush()

        runs = loans_run_days(
            date_to=date_to, date_from=date_from, funds=list(funds), progress=progress
        )
        self.stdout.write(self.style.SUCCESS(f"{len(runs)} fund-day(s) processed"))
