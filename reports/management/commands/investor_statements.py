"""``manage.py investor_statements --fund SLUG --period 2026-Q3|2026``: issue a run of investor
statements (docs/statements.md, "Issuing and keeping")."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from fund.exceptions import FundError
from fund.models import Fund, Investor
from reports.investor_statements import PeriodError, parse_period
from reports.statements import StatementError, statements_issue


class Command(BaseCommand):
    help = (
        "Issue the investor statements of a fund for a quarter (2026-Q3) or a year (2026). "
        "Idempotent: a statement issued before is not issued again unless --reason asks for "
        "a new version."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fund", required=True, help="the fund's slug")
        parser.add_argument("--period", required=True, help="2026-Q3 or 2026")
        parser.add_argument("--investor", help="only this investor (its code)")
        parser.add_argument("--reason", default="", help="issue a new version, for this reason")
        parser.add_argument("--out", help="also write the PDFs to this folder")
        parser.add_argument("--workers", type=int, default=1, help="processes laying out PDFs")
        parser.add_argument(
            "--as-user",
            help="username of the fund manager who issues the run (default: the scheduled run)",
        )

    def handle(self, *args, **options):
        fund = Fund.objects.filter(slug=options["fund"]).select_related("book").first()
        if fund is None:
            raise CommandError(f"no fund {options['fund']!r}")
        try:
            period = parse_period(options["period"])
        except PeriodError as error:
            raise CommandError(str(error)) from error
        investor = None
        if options["investor"]:
            investor = Investor.objects.filter(code=options["investor"]).first()
            if investor is None:
                raise CommandError(f"no investor {options['investor']!r}")
        user = None
        if options["as_user"]:
            user = get_user_model().objects.filter(username=options["as_user"]).first()
            if user is None:
                raise CommandError(f"no user {options['as_user']!r}")
        out = Path(options["out"]) if options["out"] else None
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
        workers = options["workers"]
        if workers < 1:
            raise CommandError("--workers must be 1 or more")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total} statements issued")

        try:
            result = statements_issue(
                fund=fund,
                period=period,
                issued_by=user,
                investor=investor,
                reason=options["reason"],
                workers=workers,
                out_dir=out,
                progress=progress,
            )
        except (StatementError, FundError) as error:
            raise CommandError(str(error)) from error
        if result.nothing_new:
            self.stdout.write(
                f"Nothing new: {len(result.skipped)} investor(s) already have a statement for "
                f"{period.key} of {fund.slug}."
            )
            return
        self.stdout.write(
            f"Issued {len(result.issued)} statement(s) for {period.key} of {fund.slug}"
            + (f"; {len(result.skipped)} already had one." if result.skipped else ".")
        )
        for statement in result.issued:
            self.stdout.write(f"  {statement.number}  sha256 {statement.sha256}")
        if out is not None:
            self.stdout.write(f"PDFs written to {out}")
