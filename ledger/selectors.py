"""Reads of the ledger: balances, trial balance, account statements.

Current balances are one indexed row each (:class:`~ledger.models.Balance`); balances as of
a date add the per-day totals (:class:`~ledger.models.DailyTotal`), one row per account and
active day, never every line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date

from django.db.models import Q, Sum

from .models import Account, AuditEvent, Balance, Book, DailyTotal, JournalLine


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    currency: str
    debit: int  # total debits, cents
    credit: int  # total credits, cents

    @property
    def net(self) -> int:
        """Debit minus credit, cents."""
        return self.debit - self.credit

    @property
    def debit_balance(self) -> int:
        return max(self.net, 0)

    @property
    def credit_balance(self) -> int:
        return max(-self.net, 0)


@dataclass(frozen=True)
class StatementLine:
    line: JournalLine
    balance: int  # running balance after this line, debit positive


@dataclass(frozen=True)
class Statement:
    account: Account
    currency: str
    date_from: Date
    date_to: Date
    opening: int  # balance before date_from
    page_opening: int  # balance before the first line of this page
    lines: list[StatementLine]
    page: int
    page_size: int
    has_next: bool

    @property
    def page_closing(self) -> int:
        return self.lines[-1].balance if self.lines else self.page_opening


def account_balance(
    *,
    account: Account,
    currency: str | None = None,
    contract: str | None = None,
    party: str | None = None,
    as_of: Date | None = None,
) -> int:
    """Balance in cents, debit positive. Constant time for the current balance.

    With ``contract`` or ``party`` it is the balance of that sub-ledger key on the account.
    With ``as_of`` (inclusive) it is the balance at the end of that day.
    """
    currency = currency or account.book.currency
    if as_of is not None:
        if contract is None and party is None:
            totals = DailyTotal.objects.filter(
                account=account, currency=currency, date__lte=as_of
            ).aggregate(d=Sum("debit"), c=Sum("credit"))
        else:
            lines = JournalLine.objects.filter(account=account, currency=currency, date__lte=as_of)
            if contract is not None:
                lines = lines.filter(contract=contract)
            if party is not None:
                lines = lines.filter(party=party)
            totals = lines.aggregate(d=Sum("debit"), c=Sum("credit"))
        return (totals["d"] or 0) - (totals["c"] or 0)
    if contract is not None and party is not None:
        totals = JournalLine.objects.filter(
            account=account, currency=currency, contract=contract, party=party
        ).aggregate(d=Sum("debit"), c=Sum("credit"))
        return (totals["d"] or 0) - (totals["c"] or 0)
    kind, key = ("", "")
    if contract is not None:
        kind, key = "contract", contract
    elif party is not None:
        kind, key = "party", party
    row = (
        Balance.objects.filter(account=account, currency=currency, kind=kind, key=key)
        .values_list("debit", "credit")
        .first()
    )
    return row[0] - row[1] if row else 0


def balance_by_code(*, book: Book, code: str, **kwargs) -> int:
    return account_balance(account=Account.objects.get(book=book, code=code), **kwargs)


def balances_by_code(*, book: Book, currency: str | None = None) -> dict[str, int]:
    """Current balance of every account of the book, by code (one query)."""
    currency = currency or book.currency
    rows = Balance.objects.filter(
        account__book=book, currency=currency, kind="", key=""
    ).values_list("account__code", "debit", "credit")
    result = dict.fromkeys(Account.objects.filter(book=book).values_list("code", flat=True), 0)
    for code, debit, credit in rows:
        result[code] = debit - credit
    return result


def subledger_balances(
    *, account: Account, kind: str, currency: str | None = None
) -> dict[str, int]:
    """Balance per sub-ledger key (contract or party) on the account, non-zero keys only."""
    currency = currency or account.book.currency
    rows = Balance.objects.filter(account=account, currency=currency, kind=kind).values_list(
        "key", "debit", "credit"
    )
    return {key: d - c for key, d, c in rows if d != c}


def trial_balance(*, book: Book, as_of: Date | None = None) -> list[TrialBalanceRow]:
    """Every account of the book with its debits, credits and balance (cents).

    Without ``as_of`` it reads the maintained balances; with it, the daily totals up to and
    including that day. The nets add up to zero per currency.
    """
    accounts = {a.pk: a for a in Account.objects.filter(book=book).order_by("code")}
    if as_of is None:
        rows = Balance.objects.filter(account__book=book, kind="", key="").values_list(
            "account_id", "currency", "debit", "credit"
        )
    else:
        rows = (
            DailyTotal.objects.filter(account__book=book, date__lte=as_of)
            .values("account_id", "currency")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .values_list("account_id", "currency", "d", "c")
        )
    found = {(acc, cur): (d or 0, c or 0) for acc, cur, d, c in rows}
    result = []
    for pk, account in accounts.items():
        currencies = sorted(cur for acc, cur in found if acc == pk) or [book.currency]
        for cur in currencies:
            d, c = found.get((pk, cur), (0, 0))
            result.append(TrialBalanceRow(account=account, currency=cur, debit=d, credit=c))
    return result


def opening_balance(*, account: Account, currency: str, before: Date) -> int:
    """Balance at the start of ``before`` (cents, debit positive), from the daily totals."""
    totals = DailyTotal.objects.filter(
        account=account, currency=currency, date__lt=before
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (totals["d"] or 0) - (totals["c"] or 0)


def account_statement(
    *,
    account: Account,
    date_from: Date,
    date_to: Date,
    page: int = 1,
    page_size: int = 100,
    currency: str | None = None,
) -> Statement:
    """The account's lines between two dates (inclusive) with a running balance, paginated.

    The daily totals carry each day's line count, so the page's first day and its place in
    that day are found by walking one row per active day, never the lines before the page;
    the page's opening balance is the daily totals before that day plus that day's lines
    before the page. A deep page costs about what the first one does.
    """
    currency = currency or account.book.currency
    page = max(1, page)
    skip = (page - 1) * page_size
    opening = opening_balance(account=account, currency=currency, before=date_from)
    days = DailyTotal.objects.filter(
        account=account, currency=currency, date__gte=date_from, date__lte=date_to
    ).order_by("date")
    page_opening, first_day, skip_in_day = opening, None, 0
    for day, count, debit, credit in days.values_list("date", "lines", "debit", "credit"):
        if skip < count:
            first_day, skip_in_day = day, skip
            break
        skip -= count
        page_opening += debit - credit
    lines: list[JournalLine] = []
    if first_day is not None:
        in_range = JournalLine.objects.filter(account=account, currency=currency)
        if skip_in_day:
            before = in_range.filter(date=first_day).order_by("id")[:skip_in_day]
            page_opening += sum(d - c for d, c in before.values_list("debit", "credit"))
        lines = list(
            in_range.filter(date__gte=first_day, date__lte=date_to)
            .select_related("entry")
            .order_by("date", "id")[skip_in_day : skip_in_day + page_size + 1]
        )
    has_next = len(lines) > page_size
    lines = lines[:page_size]
    running = page_opening
    rows = []
    for line in lines:
        running += line.debit - line.credit
        rows.append(StatementLine(line=line, balance=running))
    return Statement(
        account=account,
        currency=currency,
        date_from=date_from,
        date_to=date_to,
        opening=opening,
        page_opening=page_opening,
        lines=rows,
        page=page,
        page_size=page_size,
        has_next=has_next,
    )


def contract_lines(*, book: Book, contract: str):
    """Every ledger line of one loan or grant, oldest first (for its detail page)."""
    return (
        JournalLine.objects.filter(entry__book=book, contract=contract)
        .select_related("account", "entry")
        .order_by("date", "id")
    )


def audit_events(*, book: Book | None = None, object_type: str | None = None, object_id=None):
    events = AuditEvent.objects.select_related("actor")
    if book is not None:
        events = events.filter(Q(book=book) | Q(book__isnull=True))
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id is not None:
        events = events.filter(object_id=str(object_id))
    return events
