"""``manage.py schedule``: show the instalment schedule of loan terms, for a quote.

A thin wrapper: parse the flags, build :class:`loans.schedule.LoanTerms`, call
:func:`loans.schedule.build_schedule`, print a table, CSV or JSON. The flags and the JSON shape
are fixed so that other tools can call it; conventions are in docs/schedule.md. No database.

Wrong input exits with status 1 and one line on stderr: ``CommandError: <the problem>``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from loans.schedule import LoanTerms, Method, Schedule, ScheduleError, build_schedule

FORMATS = ("table", "csv", "json")
COLUMNS = ("n", "due_date", "days", "principal", "interest", "payment", "balance")
REQUIRED = ("principal", "rate", "periods", "frequency", "method", "start", "first_due")


class Command(BaseCommand):
    help = (
        "Show the instalment schedule of a loan: annuity, linear or bullet; period or daily "
        "interest; grace; rounding. Amounts in euros, --rate in percent per year."
    )
    # Pure computation: no models, no database, so the project's system checks add nothing.
    requires_system_checks: list[str] = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def error(message: str):  # argparse's usage dump would not be one line
            if parser.called_from_command_line:
                parser.exit(1, f"CommandError: {message}\n")
            raise CommandError(message)

        parser.error = error
        return parser

    def add_arguments(self, parser):
        # Plain strings: every value is checked in handle() (or by LoanTerms), so that each
        # problem is reported as one line naming it.
        parser.add_argument("--principal", help="loan amount, e.g. 100000 or 2500.50 (required)")
        parser.add_argument("--rate", help="annual nominal rate in percent, e.g. 4.5 (required)")
        parser.add_argument("--periods", help="number of instalments, grace included (required)")
        parser.add_argument(
            "--frequency", help="monthly, quarterly, semi-annual or annual (required)"
        )
        parser.add_argument("--method", help="annuity, linear or bullet (required)")
        parser.add_argument("--start", help="disbursement date YYYY-MM-DD (required)")
        parser.add_argument("--first-due", help="first due date YYYY-MM-DD (required)")
        parser.add_argument("--interest", default="period", help="period (default) or daily")
        parser.add_argument(
            "--day-count",
            default="30E/360",
            help="for daily interest: 30E/360 (default), ACT/365, ACT/ACT or ACT/360",
        )
        parser.add_argument("--grace-principal", default="0", help="interest-only instalments")
        parser.add_argument("--grace-full", default="0", help="instalments without payment")
        parser.add_argument("--grace-interest", help="interest of full grace: capitalise or defer")
        parser.add_argument("--decimals", default="2", help="0 or 2 (default 2)")
        parser.add_argument("--rounding", default="half-up", help="half-up (default) or half-even")
        parser.add_argument(
            "--instalment-multiple", help="round the instalment to a multiple, e.g. 1 (euros)"
        )
        parser.add_argument("--format", default="table", help="table (default), csv or json")

    def handle(self, *args, **options):
        missing = [name for name in REQUIRED if options.get(name) in (None, "")]
        if missing:
            flags = ", ".join("--" + name.replace("_", "-") for name in missing)
            raise CommandError(f"missing {flags}")
        output = options.get("format") or "table"
        if output not in FORMATS:
            raise CommandError(f"unknown format {output!r}; expected one of {', '.join(FORMATS)}")
        try:
            terms = LoanTerms(
                principal=_decimal(options["principal"], "--principal"),
                annual_rate=_decimal(options["rate"], "--rate"),
                periods=_integer(options["periods"], "--periods"),
                frequency=options["frequency"],
                method=options["method"],
                start=_date(options["start"], "--start"),
                first_due=_date(options["first_due"], "--first-due"),
                interest=options.get("interest") or "period",
                day_count=options.get("day_count") or "30E/360",
                grace_principal=_integer(options.get("grace_principal", 0), "--grace-principal"),
                grace_full=_integer(options.get("grace_full", 0), "--grace-full"),
                grace_interest=options.get("grace_interest") or None,
                decimals=_integer(options.get("decimals", 2), "--decimals"),
                rounding=options.get("rounding") or "half-up",
                instalment_multiple=_decimal(
                    options.get("instalment_multiple"), "--instalment-multiple"
                ),
            )
            schedule = build_schedule(terms)
        except ScheduleError as exc:
            raise CommandError(str(exc)) from None
        render = {"table": as_table, "csv": as_csv, "json": as_json}[output]
        self.stdout.write(render(schedule))


def _decimal(value, flag: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise CommandError(f"{flag} {value!r} is not a number") from None


def _integer(value, flag: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise CommandError(f"{flag} {value!r} is not a whole number") from None


def _date(value, flag: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise CommandError(f"{flag} {value!r} is not a date YYYY-MM-DD") from None


def _records(schedule: Schedule) -> list[dict]:
    return [
        {
            "n": row.n,
            "due_date": row.due_date.isoformat(),
            "days": row.days,
            "principal": str(row.principal),
            "interest": str(row.interest),
            "payment": str(row.payment),
            "balance": str(row.balance),
        }
        for row in schedule.rows
    ]


def as_json(schedule: Schedule) -> str:
    """The fixed JSON shape: instalment, total_interest and rows, amounts as decimal strings."""
    payload = {
        "instalment": str(schedule.instalment),
        "total_interest": str(schedule.total_interest),
        "rows": _records(schedule),
    }
    return json.dumps(payload, indent=2)


def as_csv(schedule: Schedule) -> str:
    """One header line and one line per instalment, for a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_records(schedule))
    return buffer.getvalue().rstrip("\n")


INSTALMENT_LABEL = {
    Method.ANNUITY: "instalment",
    Method.LINEAR: "principal per instalment",
    Method.BULLET: "interest per instalment",
}


def as_table(schedule: Schedule) -> str:
    """A readable quote: the terms, the regular amount and totals, then the rows."""
    terms = schedule.terms
    interest = (
        f"daily interest {terms.day_count}" if terms.interest == "daily" else "period interest"
    )
    lines = [
        f"{terms.method} loan of {terms.principal} at {terms.annual_rate}% a year, "
        f"{terms.periods} {terms.frequency} instalments from {terms.first_due}, "
        f"start {terms.start}, {interest}, rounding {terms.rounding}",
        f"{INSTALMENT_LABEL[terms.method]} {schedule.instalment}, "
        f"total interest {schedule.total_interest}, total paid {schedule.total_payment}",
        "",
    ]
    headers = ("n", "due date", "days", "principal", "interest", "payment", "balance")
    cells = [
        (
            str(row.n),
            row.due_date.isoformat(),
            str(row.days),
            str(row.principal),
            str(row.interest),
            str(row.payment),
            str(row.balance),
        )
        for row in schedule.rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines.append("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    lines.extend("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells)
    return "\n".join(lines)
