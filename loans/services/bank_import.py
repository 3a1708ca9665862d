"""Bank CSV files: parsing untrusted input and importing it, twice is once."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from fund.models import Fund
from ledger.models import JournalEntry
from ledger.money import AmountSyntaxError, parse_amount
from ledger.services import dates_postable

from .. import exceptions as exc
from ..models import SERVICED_STATES, Loan, Repayment, UnmatchedReceipt
from ._common import _lock_compartment, _not_after_today, _require_manager
from .receipts import _receipt_unmatched_step
from .repayments import _repayment_step


@dataclass(frozen=True)
class BankLine:
    value_date: Date
    amount: Decimal
    description: str
    counterparty_iban: str = ""
    counterparty_name: str = ""
    bank_reference: str = ""


@dataclass
class ImportResult:
    repayments: list[Repayment] = field(default_factory=list)
    unmatched: list[UnmatchedReceipt] = field(default_factory=list)
    skipped: list[BankLine] = field(default_factory=list)  # duplicates and outgoing lines


LOAN_NUMBER = re.compile(r"\bL-\d{4}-\d{4,}\b")
CSV_COLUMNS = {
    "date": ("date", "datum", "valutadatum", "value_date"),
    "amount": ("amount", "bedrag"),
    "description": ("description", "omschrijving", "mededelingen"),
    "iban": ("counterparty_iban", "tegenrekening", "iban"),
    "name": ("counterparty_name", "naam", "name"),
    "reference": ("reference", "bank_reference", "transactiereferentie", "id"),
}


def _parse_date(text: str) -> Date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%Y%m%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise exc.InvalidAmount(_("geen datum: %(text)s") % {"text": repr(text)})


def _parse_amount(text: str) -> Decimal:
    """A bank's amount (``1234,56``, ``-1.234,56``, ``1234.56``), exactly: what could be read
    two ways or holds fractions of a cent (``10.005``) is refused, never rounded."""
    try:
        return parse_amount(text, "nl")
    except AmountSyntaxError as error:
        raise exc.InvalidAmount(
            _("geen bedrag: %(text)s (%(why)s)") % {"text": repr(text.strip()), "why": error}
        ) from error


MAX_BANK_REFERENCE = 100


def _not_csv(text: str) -> str | None:
    """What a file that is plainly not a CSV export is, so the message can say so."""
    head = text.lstrip("\ufeff \r\n\t")[:200]
    if head.startswith("<"):
        return _(
            "Dit is een XML-bestand (zoals camt.053), geen CSV-export. Exporteer de "
            "transacties als CSV bij uw bank."
        )
    if head.startswith(("{1:", ":20:", ":940:")) or "\n:20:" in head or "\n:25:" in head:
        return _(
            "Dit is een MT940-bestand, geen CSV-export. Exporteer de transacties als CSV bij "
            "uw bank."
        )
    return None


def _dialect(text: str):
    sample = text[:2048]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;")
    except csv.Error:
        header = text.splitlines()[0] if text.strip() else ""
        dialect = csv.excel()
        dialect.delimiter = ";" if header.count(";") > header.count(",") else ","
        return dialect


def bank_csv_lines(text: str) -> list[BankLine]:
    """Parse a bank export (CSV with a header; comma or semicolon separated; Dutch or English
    column names: date, amount, description, counterparty_iban, counterparty_name, reference).

    An untrusted file: anything wrong with it is an :class:`~loans.exceptions.InvalidAmount`
    that names the line, never another exception; nothing is read from a file that fails.
    """
    if "\x00" in text:
        raise exc.InvalidAmount(_("het bestand bevat binaire gegevens; dit is geen CSV-export"))
    reason = _not_csv(text)
    if reason:
        raise exc.InvalidAmount(reason)
    try:
        reader = csv.DictReader(io.StringIO(text), dialect=_dialect(text))
        header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    except csv.Error as error:
        raise exc.InvalidAmount(_("de kopregel is niet te lezen (%(e)s)") % {"e": error}) from error

    def column(name: str) -> str | None:
        return next((header[c] for c in CSV_COLUMNS[name] if c in header), None)

    cols = {name: column(name) for name in CSV_COLUMNS}
    if not cols["date"] or not cols["amount"]:
        raise exc.InvalidAmount(_("het CSV-bestand heeft een kolom voor datum en bedrag nodig"))
    lines = []
    try:
        for number, row in enumerate(reader, start=2):

            def get(name: str, row=row) -> str:
                value = row.get(cols[name]) if cols[name] else ""
                return value.strip() if isinstance(value, str) else ""

            try:
                reference = get("reference")
                if len(reference) > MAX_BANK_REFERENCE:
                    raise exc.InvalidAmount(
                        _("het bankkenmerk is langer dan %(n)d tekens") % {"n": MAX_BANK_REFERENCE}
                    )
                lines.append(
                    BankLine(
                        value_date=_parse_date(get("date")),
                        amount=_parse_amount(get("amount")),
                        description=get("description"),
                        counterparty_iban=get("iban").replace(" ", "").upper()[:34],
                        counterparty_name=get("name")[:140],
                        bank_reference=reference,
                    )
                )
            except exc.InvalidAmount as error:
                raise exc.InvalidAmount(
                    _("regel %(n)d: %(error)s") % {"n": number, "error": error}
                ) from error
    except csv.Error as error:
        raise exc.InvalidAmount(
            _("het bestand is geen geldige CSV (%(e)s)") % {"e": error}
        ) from error
    return lines


def _match_loan(fund: Fund, line: BankLine) -> Loan | None:
    found = LOAN_NUMBER.search(line.description)
    if found:
        loan = Loan.objects.filter(fund=fund, number=found.group(0)).first()
        if loan and loan.state in SERVICED_STATES:
            return loan
    if line.counterparty_iban:
        loans = list(
            Loan.objects.filter(
                fund=fund, state__in=SERVICED_STATES, collective__iban=line.counterparty_iban
            )[:2]
        )
        if len(loans) == 1:
            return loans[0]
    return None


IMPORT_BATCH = 20  # lines per import transaction (about 25 ms a line: half a second of locks)


def repayments_import(
    *,
    fund: Fund,
    lines: Iterable[BankLine],
    imported_by,
    overpayment: str = "shorten",
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import incoming bank lines: each matched to a loan (its number in the description,
    else the IBAN of a collective with one loan in service) is recorded as a repayment; the
    rest goes to suspense. Lines whose bank reference was imported before, and outgoing
    lines, are skipped, so importing the same file twice changes nothing.

    The whole file is checked first (a line from the future refuses it whole, nothing
    written); then it is booked in transactions of ``batch_size`` lines, each holding the
    fund's locks briefly, with ``progress(done, total)`` after each. An import that stops
    halfway is finished by importing the same file again: every line has its key, so what
    was booked is skipped (docs/loans.md, "Bank files: importing twice is once")."""
    _require_manager(imported_by, fund)
    lines = list(lines)
    for line in lines:
        _not_after_today(line.value_date)  # a file with a line from the future is refused whole
    dates_postable(book=fund.book, dates={line.value_date for line in lines})
    keys = _line_keys(fund, lines)
    result = ImportResult()
    batch_size = batch_size or IMPORT_BATCH
    for start in range(0, len(lines), batch_size):
        with transaction.atomic(durable=True):
            _import_batch(
                fund,
                lines[start : start + batch_size],
                keys[start : start + batch_size],
                imported_by,
                overpayment,
                result,
            )
        if progress:
            progress(min(start + batch_size, len(lines)), len(lines))
    return result


def _import_batch(fund, lines, keys, imported_by, overpayment, result: ImportResult) -> None:
    _lock_compartment(fund.pk)
    booked = set(
        JournalEntry.objects.filter(
            book_id=fund.book_id, idempotency_key__in=[k for k in keys if k]
        ).values_list("idempotency_key", flat=True)
    )
    # The bank references of the batch already booked, read once (two queries); a reference
    # booked earlier in this batch joins them as it is booked.
    refs = {line.bank_reference for line in lines if line.bank_reference}
    known = set(
        Repayment.objects.filter(
            loan__fund=fund, bank_reference__in=refs, reversed_at__isnull=True
        ).values_list("bank_reference", flat=True)
    ) | set(
        UnmatchedReceipt.objects.filter(fund=fund, bank_reference__in=refs).values_list(
            "bank_reference", flat=True
        )
    )
    for line, key in zip(lines, keys, strict=True):
        seen = line.bank_reference in known if line.bank_reference else key in booked
        if line.amount <= 0 or seen:
            result.skipped.append(line)
            continue
        if line.bank_reference:
            known.add(line.bank_reference)
        loan = _match_loan(fund, line)
        if loan is not None:
            try:
                with transaction.atomic():
                    result.repayments.append(
                        _repayment_step(
                            loan=loan,
                            amount=line.amount,
                            value_date=line.value_date,
                            recorded_by=imported_by,
                            reference=line.description[:140],
                            bank_reference=line.bank_reference,
                            overpayment=overpayment,
                            idempotency_key=key,
                        )
                    )
                continue
            except exc.LoanError:
                pass  # more than the loan can take: park it in suspense for a manager
        result.unmatched.append(
            _receipt_unmatched_step(
                fund=fund,
                amount=line.amount,
                value_date=line.value_date,
                payer_reference=line.counterparty_iban or line.counterparty_name or "onbekend",
                recorded_by=imported_by,
                description=line.description[:255],
                bank_reference=line.bank_reference,
                idempotency_key=key,
            )
        )


def _line_keys(fund: Fund, lines: list[BankLine]) -> list[str | None]:
    """The idempotency key of each line that has no bank reference: its content and its place
    among the identical lines of the file (the second of two identical transfers on one day
    is ``#2``), so importing the same export again, or an export that overlaps it, books
    nothing twice, while two real identical transfers are both booked (docs/loans.md)."""
    seen: dict[tuple, int] = defaultdict(int)
    keys: list[str | None] = []
    for line in lines:
        if line.bank_reference:
            keys.append(None)
            continue
        content = (
            line.value_date.isoformat(),
            str(line.amount),
            line.counterparty_iban,
            line.counterparty_name,
            " ".join(line.description.split()),
        )
        seen[content] += 1
        digest = hashlib.sha256(
            "\x1f".join((str(fund.pk), *content, str(seen[content]))).encode()
        ).hexdigest()
        keys.append(f"import:{digest[:48]}")
    return keys
