"""Integrity checks of the books, used by ``manage.py ledger_check`` and the tests.

Every maintained number is recomputed from the journal lines and compared, like
beancount's balance assertions. Higher layers (loans, grants) register their own
reconciliations of sub-ledgers against control accounts with :func:`register_reconciliation`,
so that the ledger needs to import none of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum

from .models import Account, Balance, Book, DailyTotal, JournalEntry, JournalLine, SubledgerKind


@dataclass
class CheckReport:
    book: Book
    checked: dict[str, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


_reconciliations: dict[str, Callable[[Book, CheckReport], None]] = {}


def register_reconciliation(name: str, func: Callable[[Book, CheckReport], None]) -> None:
    """Register ``func(book, report)``: it adds to ``report.checked`` and ``report.differences``."""
    _reconciliations[name] = func


def check_book(book: Book) -> CheckReport:
    report = CheckReport(book=book)
    _check_entries(book, report)
    _check_balances(book, report)
    _check_daily_totals(book, report)
    _check_subledgers(book, report)
    for func in _reconciliations.values():
        func(book, report)
    return report


def _check_entries(book: Book, report: CheckReport) -> None:
    entries = JournalEntry.objects.filter(book=book)
    report.checked["entries"] = entries.count()
    short = entries.annotate(n=Count("lines")).filter(n__lt=2)
    for entry in short[:20]:
        report.differences.append(f"entry #{entry.pk} has fewer than two lines")
    unbalanced = (
        JournalLine.objects.filter(entry__book=book)
        .values("entry_id", "currency")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .exclude(d=F("c"))
    )
    for row in unbalanced[:20]:
        report.differences.append(
            f"entry #{row['entry_id']} does not balance in {row['currency']}: "
            f"debit {row['d']} credit {row['c']}"
        )
    mismatched = JournalLine.objects.filter(entry__book=book).exclude(date=F("entry__date"))
    for line in mismatched[:20]:
        report.differences.append(f"line #{line.pk} is dated apart from its entry")
    foreign = JournalLine.objects.filter(entry__book=book).exclude(account__book=book)
    for line in foreign[:20]:
        report.differences.append(f"line #{line.pk} is on an account of another book")


def _recomputed(
    book: Book, group: tuple[str, ...], filters: Q | None = None
) -> dict[tuple, tuple[int, int]]:
    rows = (
        JournalLine.objects.filter(Q(entry__book=book) & (filters or Q()))
        .values(*group)
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list(*group, "d", "c")
    )
    return {tuple(r[:-2]): (r[-2], r[-1]) for r in rows}


def _compare(report: CheckReport, label: str, expected: dict, stored: dict) -> None:
    for key in sorted(set(expected) | set(stored), key=str):
        e = expected.get(key)
        s = stored.get(key)
        if e != s:
            width = len(e or s)
            report.differences.append(
                f"{label} {key}: from lines {_describe(e, width)}, maintained {_describe(s, width)}"
            )


def _describe(values: tuple | None, width: int) -> str:
    names = ("debit", "credit", "lines")[:width]
    return " ".join(f"{n} {v}" for n, v in zip(names, values or (0,) * width, strict=True))


def _check_balances(book: Book, report: CheckReport) -> None:
    stored = Balance.objects.filter(account__book=book)
    for kind, field_name in (("", None), ("contract", "contract"), ("party", "party")):
        group = ("account_id", "currency") + ((field_name,) if field_name else ())
        filters = ~Q(**{field_name: ""}) if field_name else Q()
        expected = _recomputed(book, group, filters)
        rows = stored.filter(kind=kind).values_list(
            "account_id", "currency", "key", "debit", "credit"
        )
        maintained = {((a, c, k) if field_name else (a, c)): (d, cr) for a, c, k, d, cr in rows}
        _compare(report, f"balance{('/' + kind) if kind else ''}", expected, maintained)
        report.checked[f"balances{('/' + kind) if kind else ''}"] = len(maintained)


def _check_daily_totals(book: Book, report: CheckReport) -> None:
    expected = {
        (a, c, d): (db, cr, n)
        for a, c, d, db, cr, n in JournalLine.objects.filter(entry__book=book)
        .values("account_id", "currency", "date")
        .annotate(db=Sum("debit"), cr=Sum("credit"), n=Count("id"))
        .values_list("account_id", "currency", "date", "db", "cr", "n")
    }
    stored = {
        (a, c, d): (db, cr, n)
        for a, c, d, db, cr, n in DailyTotal.objects.filter(account__book=book).values_list(
            "account_id", "currency", "date", "debit", "credit", "lines"
        )
    }
    _compare(report, "daily total", expected, stored)
    report.checked["daily totals"] = len(stored)
    nets: dict[str, int] = defaultdict(int)
    for (_acc, cur), (d, c) in _recomputed(book, ("account_id", "currency")).items():
        nets[cur] += d - c
    for cur, net in nets.items():
        if net:
            report.differences.append(f"trial balance does not add up to zero in {cur}: {net}")


def _check_subledgers(book: Book, report: CheckReport) -> None:
    """Each sub-ledger (per contract or party) adds up to its control account."""
    accounts = Account.objects.filter(book=book).exclude(subledger=SubledgerKind.NONE)
    for account in accounts:
        totals = Balance.objects.filter(account=account, kind="").values_list(
            "currency", "debit", "credit"
        )
        for currency, debit, credit in totals:
            sub = Balance.objects.filter(
                account=account, currency=currency, kind=account.subledger
            ).aggregate(d=Sum("debit"), c=Sum("credit"))
            if ((sub["d"] or 0), (sub["c"] or 0)) != (debit, credit):
                report.differences.append(
                    f"sub-ledger of {account.code} ({account.subledger}) adds up to "
                    f"{(sub['d'] or 0) - (sub['c'] or 0)}, control account {debit - credit}"
                )
        missing = account.lines.filter(**{account.subledger: ""}).count()
        if missing:
            report.differences.append(
                f"{missing} line(s) on {account.code} have no {account.subledger} key"
            )
    report.checked["sub-ledgers"] = accounts.count()
