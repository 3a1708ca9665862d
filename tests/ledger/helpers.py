"""Small builders and independent checks for the ledger tests.

Everything that writes goes through :mod:`ledger.services`, like production code. The
recomputation here is written apart from :mod:`ledger.checks`, in plain Python over the
journal lines, so that a bug shared by the service and the check would still show.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from django.db import connection

from ledger import services
from ledger.chart import (
    BANK_GRANT,
    BANK_REVOLVING,
    CAPITAL_GRANT,
    CAPITAL_REVOLVING,
    GRANTS_EXPENSE,
    GRANTS_PAYABLE,
    INTEREST_INCOME,
    INTEREST_RECEIVABLE,
    LOANS_PRINCIPAL,
)
from ledger.models import (
    Account,
    AuditEvent,
    Balance,
    Book,
    DailyTotal,
    JournalEntry,
    JournalLine,
    Period,
)
from ledger.services import Cr, Dr

WRITE_MODELS = (JournalEntry, JournalLine, Balance, DailyTotal)
D = date  # short, reads like a date in the examples
JAN_15 = D(2025, 1, 15)
FEB_1 = D(2025, 2, 1)
FEB_10 = D(2025, 2, 10)
MAR_1 = D(2025, 3, 1)
MAR_5 = D(2025, 3, 5)


def unique_slug(prefix: str = "fonds") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_book(*, name: str = "Revolverend Fonds Burgercollectieven", **kwargs) -> Book:
    return services.book_create(slug=unique_slug(), name=name, **kwargs)


def account(book: Book, code: str) -> Account:
    return Account.objects.get(book=book, code=code)


COUNTED = (*WRITE_MODELS, Period, AuditEvent)


def _counts(models) -> dict[str, int]:
    """Row counts of the tables, in one query."""
    parts = ", ".join(
        f"(SELECT COUNT(*) FROM {connection.ops.quote_name(m._meta.db_table)})" for m in models
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")
        return dict(zip((m.__name__ for m in models), cursor.fetchone(), strict=True))


def row_counts() -> dict[str, int]:
    """Rows of JournalEntry, JournalLine, Balance and DailyTotal (every book)."""
    return _counts(WRITE_MODELS)


def all_counts() -> dict[str, int]:
    """As :func:`row_counts`, plus periods and audit events."""
    return _counts(COUNTED)


@contextlib.contextmanager
def nothing_written() -> Iterator[None]:
    """Assert that the block writes no entry, line, balance, daily total, period or audit event."""
    before = all_counts()
    yield
    assert all_counts() == before


# --- worked postings (ARCHITECTURE section 3) ----------------------------------------------


def contribution(book: Book, cents: int, *, investor: str = "INV-PROV", day: date = JAN_15, **kw):
    """An investor pays capital into the revolving compartment: Dr 1000 / Cr 3000."""
    return services.entry_post(
        book=book,
        date=day,
        description=f"Storting {investor}",
        lines=[Dr(BANK_REVOLVING, cents), Cr(CAPITAL_REVOLVING, cents, party=investor)],
        source_type="fund.contribution",
        **kw,
    )


def grant_contribution(book: Book, cents: int, *, investor: str = "INV-GEM", day: date = JAN_15):
    return services.entry_post(
        book=book,
        date=day,
        description=f"Storting subsidiecompartiment {investor}",
        lines=[Dr(BANK_GRANT, cents), Cr(CAPITAL_GRANT, cents, party=investor)],
    )


def disbursement(book: Book, cents: int, *, loan: str = "L-001", day: date = FEB_1, **kw):
    """A loan tranche is paid out: Dr 1200 / Cr 1000."""
    return services.entry_post(
        book=book,
        date=day,
        description=f"Uitbetaling {loan}",
        lines=[Dr(LOANS_PRINCIPAL, cents, contract=loan), Cr(BANK_REVOLVING, cents)],
        source_type="loans.disbursement",
        source_id=loan,
        **kw,
    )


def interest_due(book: Book, cents: int, *, loan: str = "L-001", day: date = MAR_1):
    """An instalment's interest falls due: Dr 1210 / Cr 4000."""
    return services.entry_post(
        book=book,
        date=day,
        description=f"Rente vervallen {loan}",
        lines=[
            Dr(INTEREST_RECEIVABLE, cents, contract=loan),
            Cr(INTEREST_INCOME, cents, contract=loan),
        ],
    )


def repayment(book: Book, principal: int, interest: int, *, loan: str = "L-001", day: date = MAR_5):
    """A repayment comes in and is allocated: Dr 1000 / Cr 1210, 1200."""
    return services.entry_post(
        book=book,
        date=day,
        description=f"Aflossing {loan}",
        lines=[
            Dr(BANK_REVOLVING, principal + interest),
            Cr(INTEREST_RECEIVABLE, interest, contract=loan),
            Cr(LOANS_PRINCIPAL, principal, contract=loan),
        ],
    )


def grant_award(book: Book, cents: int, *, grant: str = "S-001", day: date = FEB_10):
    return services.entry_post(
        book=book,
        date=day,
        description=f"Subsidie toegekend {grant}",
        lines=[
            Dr(GRANTS_EXPENSE, cents, contract=grant),
            Cr(GRANTS_PAYABLE, cents, contract=grant),
        ],
    )


# --- independent recomputation -------------------------------------------------------------


def recompute(book: Book) -> dict[str, dict]:
    """Totals from the journal lines in plain Python: the numbers the ledger must maintain."""
    balances: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    daily: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    lines = JournalLine.objects.filter(entry__book=book).values_list(
        "account_id", "currency", "contract", "party", "date", "debit", "credit"
    )
    for account_id, currency, contract, party, day, debit, credit in lines:
        keys = [(account_id, currency, "", "")]
        if contract:
            keys.append((account_id, currency, "contract", contract))
        if party:
            keys.append((account_id, currency, "party", party))
        for key in keys:
            balances[key][0] += debit
            balances[key][1] += credit
        daily[(account_id, currency, day)][0] += debit
        daily[(account_id, currency, day)][1] += credit
    return {
        "balances": {k: tuple(v) for k, v in balances.items()},
        "daily": {k: tuple(v) for k, v in daily.items()},
    }


def maintained(book: Book) -> dict[str, dict]:
    return {
        "balances": {
            (a, c, kind, key): (d, cr)
            for a, c, kind, key, d, cr in Balance.objects.filter(account__book=book).values_list(
                "account_id", "currency", "kind", "key", "debit", "credit"
            )
        },
        "daily": {
            (a, c, day): (d, cr)
            for a, c, day, d, cr in DailyTotal.objects.filter(account__book=book).values_list(
                "account_id", "currency", "date", "debit", "credit"
            )
        },
    }


def assert_books_consistent(book: Book) -> None:
    """Every maintained Balance and DailyTotal equals the sum of its lines; nets are zero."""
    expected = recompute(book)
    stored = maintained(book)
    assert stored["balances"] == expected["balances"]
    assert stored["daily"] == expected["daily"]
    nets: dict[str, int] = defaultdict(int)
    for (_acc, currency, kind, _key), (debit, credit) in expected["balances"].items():
        if kind == "":
            nets[currency] += debit - credit
    assert all(net == 0 for net in nets.values()), nets
