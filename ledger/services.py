"""The one door into the ledger: every journal entry and line is created here.

Each public function is one database transaction (it joins the caller's transaction when
there is one, so that a fund or loan service posts and changes its own state atomically).
A refused posting raises a :class:`~ledger.exceptions.LedgerError` and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date as Date
from typing import Any, NamedTuple

from django.db import DatabaseError, IntegrityError, connection, transaction
from moneyed import CURRENCIES

from . import clock
from . import exceptions as exc
from .chart import DEFAULT_CHART, AccountTemplate
from .models import (
    Account,
    AuditEvent,
    Balance,
    Book,
    DailyTotal,
    JournalEntry,
    JournalLine,
    Period,
    SubledgerKind,
)
from .seal import seal_after_commit
from .text import hidden_character

__all__ = [
    "Line",
    "EntrySpec",
    "Dr",
    "Cr",
    "book_create",
    "account_create",
    "entry_post",
    "entries_post_bulk",
    "entry_reverse",
    "period_create",
    "period_close",
    "audit_record",
]


@dataclass(frozen=True)
class Line:
    """One side of a posting: an account (code or instance) and cents on one side."""

    account: str | Account
    debit: int = 0
    credit: int = 0
    currency: str | None = None
    contract: str = ""
    party: str = ""
    memo: str = ""


def Dr(account: str | Account, cents: int, **keys: Any) -> Line:  # noqa: N802 - reads as the journal
    return Line(account=account, debit=cents, **keys)


def Cr(account: str | Account, cents: int, **keys: Any) -> Line:  # noqa: N802
    return Line(account=account, credit=cents, **keys)


@dataclass(frozen=True)
class EntrySpec:
    """An entry to post: what :func:`entry_post` takes, as a value (for bulk posting)."""

    date: Date
    description: str
    lines: Sequence[Line]
    source_type: str = ""
    source_id: str = ""
    source_ref: str = ""
    idempotency_key: str | None = None


_KNOWN_CURRENCIES = frozenset(
    c.code
    for c in CURRENCIES.values()
    if len(c.code) == 3 and c.code.isalpha() and c.code.isupper()
)


class _AccountRow(NamedTuple):
    """What a posting needs of an account named by code (a model instance costs more)."""

    pk: int
    book_id: int
    code: str
    subledger: str
    is_active: bool


@dataclass
class _Prepared:
    spec: EntrySpec
    lines: list[tuple[Line, Account | _AccountRow, str]] = field(
        default_factory=list
    )  # (line, account, currency)
    content_hash: str = ""


# --- books and accounts -------------------------------------------------------------------


@transaction.atomic
def book_create(
    *,
    slug: str,
    name: str,
    currency: str = "EUR",
    chart: Iterable[AccountTemplate] = DEFAULT_CHART,
    created_by=None,
) -> Book:
    """Create a book and seed its chart of accounts from the template."""
    book = Book.objects.create(slug=slug, name=name, currency=currency)
    Account.objects.bulk_create(
        Account(
            book=book,
            code=t.code,
            name=t.name,
            type=t.type,
            subledger=t.subledger,
            compartment=t.compartment,
        )
        for t in chart
    )
    audit_record(actor=created_by, action="book.create", obj=book, book=book, after={"slug": slug})
    return book


@transaction.atomic
def account_create(
    *, book: Book, code: str, name: str, type: str, subledger: str = "", created_by=None
) -> Account:
    account = Account.objects.create(
        book=book, code=code, name=name, type=type, subledger=subledger
    )
    audit_record(
        actor=created_by,
        action="account.create",
        obj=account,
        book=book,
        after={"code": code, "name": name, "type": type, "subledger": subledger},
    )
    return account


# --- posting -------------------------------------------------------------------------------


# Ten trillion euros a line: far above any fund, and sums of many lines stay inside a
# 64-bit integer column (SQLite would otherwise silently turn an overflow into a float).
MAX_LINE_CENTS = 10**15


# Column widths of the texts a posting carries (the description is cut to fit instead).
_ENTRY_TEXT = {
    name: JournalEntry._meta.get_field(name).max_length
    for name in ("source_type", "source_id", "source_ref", "idempotency_key")
}
_LINE_TEXT = {
    name: JournalLine._meta.get_field(name).max_length for name in ("contract", "party", "memo")
}


def _check_text(spec: EntrySpec) -> None:
    """Refuse texts the database would refuse (PostgreSQL) or store uncut (SQLite)."""
    fields = [(name, getattr(spec, name), limit) for name, limit in _ENTRY_TEXT.items()]
    fields.append(("description", spec.description, None))
    for line in spec.lines:
        fields.extend((name, getattr(line, name), limit) for name, limit in _LINE_TEXT.items())
    for name, value, limit in fields:
        if value is None and name == "idempotency_key":
            continue
        if not isinstance(value, str):
            raise exc.InvalidText(f"{name} must be text, got {type(value).__name__}")
        if limit is not None and len(value) > limit:
            raise exc.InvalidText(f"{name} is {len(value)} characters long; at most {limit}")
        if "\x00" in value:
            raise exc.InvalidText(f"{name} holds a NUL character")
        if name in _KEY_TEXT and value:
            hidden = hidden_character(value)
            if hidden is not None:
                raise exc.InvalidText(
                    f"{name} holds the invisible character U+{ord(hidden):04X}; a ledger key "
                    "must read the same to every reader"
                )


# Keys that select sub-ledgers and replays: a right-to-left override or a zero-width space
# would make two keys look alike, or one look like another (docs/ledger.md).
_KEY_TEXT = frozenset({"contract", "party", "idempotency_key", "source_ref", "source_id"})


def _check_amounts(spec: EntrySpec) -> None:
    if len(spec.lines) < 2:
        raise exc.TooFewLines(f"an entry needs at least two lines, got {len(spec.lines)}")
    for line in spec.lines:
        for side in (line.debit, line.credit):
            if isinstance(side, bool) or not isinstance(side, int):
                raise exc.InvalidAmount(
                    f"amounts are whole cents (int), got {type(side).__name__} on {line.account}"
                )
        if line.debit > MAX_LINE_CENTS or line.credit > MAX_LINE_CENTS:
            raise exc.InvalidAmount(
                f"amount on account {_code(line.account)} is above the ledger's limit of "
                f"{MAX_LINE_CENTS} cents per line"
            )
        if line.debit < 0 or line.credit < 0:
            raise exc.InvalidAmount(f"negative amount on account {_code(line.account)}")
        if (line.debit > 0) == (line.credit > 0):
            raise exc.InvalidAmount(
                f"a line has exactly one positive side; account {_code(line.account)} has "
                f"debit {line.debit} and credit {line.credit}"
            )


def _code(account: str | Account) -> str:
    return account.code if isinstance(account, Account) else str(account)


# Accounts by (database, book, code), active ones only, for the PostgreSQL posting path:
# an account's id, book and code never change, and the posting function checks again in
# the database that each account is of the book, active, and gets the sub-ledger key it
# keeps (see _write_postgresql). So a posting needs no round trip to read its accounts.
_ACCOUNTS: dict[tuple[str, int, str], _AccountRow] = {}


def _resolve_accounts(
    book: Book, specs: Sequence[EntrySpec], *, cached: bool = False
) -> dict[str, _AccountRow]:
    """Look up the accounts the lines name by code (raw SQL: the ORM costs more here)."""
    codes = sorted(
        {
            line.account
            for spec in specs
            for line in spec.lines
            if not isinstance(line.account, Account)
        }
    )
    database = connection.settings_dict["NAME"]
    found = {}
    if cached:
        for code in codes:
            row = _ACCOUNTS.get((database, book.pk, code))
            if row is not None:
                found[code] = row
    wanted = [code for code in codes if code not in found]
    if wanted:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, code, subledger, is_active FROM ledger_account "  # noqa: S608
                f"WHERE book_id = %s AND code IN ({', '.join(['%s'] * len(wanted))})",
                [book.pk, *wanted],
            )
            for pk, code, subledger, is_active in cursor.fetchall():
                found[code] = row = _AccountRow(pk, book.pk, code, subledger, bool(is_active))
                if cached and row.is_active:
                    _ACCOUNTS[(database, book.pk, code)] = row
    missing = set(codes) - found.keys()
    if missing:
        raise exc.UnknownAccount(f"no account {', '.join(sorted(missing))} in book {book.slug}")
    return found


def _forget_accounts(book: Book) -> None:
    database = connection.settings_dict["NAME"]
    for key in [k for k in _ACCOUNTS if k[0] == database and k[1] == book.pk]:
        _ACCOUNTS.pop(key, None)


class _AccountChanged(Exception):
    """The posting function found an account that is no longer what the service read."""


# No fund of this kind keeps books from before this date; an entry dated earlier is a typing
# error (year 1, 1900), not history (docs/ledger.md, "The business date").
EARLIEST_DATE = Date(2000, 1, 1)


def _prepare(
    book: Book,
    spec: EntrySpec,
    accounts: dict[str, _AccountRow],
    reversal_of: JournalEntry | None = None,
) -> _Prepared:
    _check_amounts(spec)
    _check_text(spec)
    if isinstance(spec.date, Date) and spec.date < EARLIEST_DATE:
        raise exc.DateOutOfRange(
            f"entry dated {spec.date!r}; the ledger takes dates from {EARLIEST_DATE:%d-%m-%Y}"
        )
    prepared = _Prepared(spec=spec)
    totals: dict[str, int] = defaultdict(int)
    for line in spec.lines:
        account = line.account if isinstance(line.account, Account) else accounts[line.account]
        if account.book_id != book.pk:
            raise exc.ForeignAccount(
                f"account {account.code} belongs to another book than {book.slug}"
            )
        if not account.is_active:
            raise exc.InactiveAccount(f"account {account.code} is inactive")
        if account.subledger == SubledgerKind.CONTRACT and not line.contract:
            raise exc.MissingSubledgerKey(f"account {account.code} needs a contract on each line")
        if account.subledger == SubledgerKind.PARTY and not line.party:
            raise exc.MissingSubledgerKey(f"account {account.code} needs a party on each line")
        currency = line.currency or book.currency
        if currency not in _KNOWN_CURRENCIES:
            raise exc.InvalidCurrency(f"{currency!r} is not an ISO 4217 currency code")
        totals[currency] += line.debit - line.credit
        prepared.lines.append((line, account, currency))
    off = {cur: diff for cur, diff in totals.items() if diff}
    if off:
        detail = ", ".join(f"{cur} debit-credit={diff}" for cur, diff in sorted(off.items()))
        raise exc.UnbalancedEntry(f"debits and credits differ: {detail}")
    prepared.content_hash = _content_hash(spec, prepared.lines, reversal_of)
    return prepared


def _content_hash(
    spec: EntrySpec,
    lines: list[tuple[Line, Account | _AccountRow, str]],
    reversal_of: JournalEntry | None = None,
) -> str:
    payload = [
        reversal_of.pk if reversal_of is not None else None,
        spec.date.isoformat(),
        spec.description,
        spec.source_type,
        spec.source_id,
        spec.source_ref,
        [
            [a.code, ln.debit, ln.credit, cur, ln.contract, ln.party, ln.memo]
            for ln, a, cur in lines
        ],
    ]
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()


def dates_postable(*, book: Book, dates: set[Date]) -> None:
    """Refuse, before anything is posted, dates the ledger would refuse one entry at a time:
    before the earliest date or in a closed period (for work that posts in batches)."""
    if not dates:
        return
    if min(dates) < EARLIEST_DATE:
        raise exc.DateOutOfRange(
            f"entry dated {min(dates)!r}; the ledger takes dates from {EARLIEST_DATE:%d-%m-%Y}"
        )
    _check_periods(book, dates)


def _check_periods(book: Book, dates: set[Date]) -> None:
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT name, start, "end" FROM ledger_period WHERE book_id = %s '
            'AND closed_at IS NOT NULL AND start <= %s AND "end" >= %s',
            [book.pk, ops.adapt_datefield_value(max(dates)), ops.adapt_datefield_value(min(dates))],
        )
        closed = [(name, _as_date(start), _as_date(end)) for name, start, end in cursor.fetchall()]
    for day in sorted(dates):
        for name, start, end in closed:
            if start <= day <= end:
                raise exc.ClosedPeriod(
                    f"period {name} is closed; an entry dated {day:%d-%m-%Y} is refused, "
                    "book the correction in an open period"
                )


def _as_date(value) -> Date:
    return value if isinstance(value, Date) else Date.fromisoformat(str(value))


def _existing_for_keys(book: Book, prepared: Sequence[_Prepared]) -> dict[str, JournalEntry]:
    keys = [p.spec.idempotency_key for p in prepared if p.spec.idempotency_key]
    if not keys:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM ledger_journalentry WHERE book_id = %s "  # noqa: S608
            f"AND idempotency_key IN ({', '.join(['%s'] * len(keys))})",
            [book.pk, *keys],
        )
        found = [row[0] for row in cursor.fetchall()]
    if not found:
        return {}
    existing = {e.idempotency_key: e for e in JournalEntry.objects.filter(pk__in=found)}
    for p in prepared:
        entry = existing.get(p.spec.idempotency_key or "")
        if entry is not None and entry.content_hash != p.content_hash:
            raise exc.IdempotencyConflict(
                f"idempotency key {p.spec.idempotency_key!r} was used for entry #{entry.pk} "
                "with different content"
            )
    return existing


def _new_entry(book: Book, p: _Prepared, created_by, reversal_of=None) -> JournalEntry:
    s = p.spec
    return JournalEntry(
        book=book,
        date=s.date,
        description=s.description[:255],
        source_type=s.source_type,
        source_id=str(s.source_id),
        source_ref=s.source_ref,
        created_by=created_by,
        idempotency_key=s.idempotency_key,
        content_hash=p.content_hash,
        reversal_of=reversal_of,
    )


ENTRY_COLUMNS = (
    "book_id",
    "date",
    "description",
    "source_type",
    "source_id",
    "source_ref",
    "created_by_id",
    "created_at",
    "idempotency_key",
    "content_hash",
    "reversal_of_id",
)
LINE_COLUMNS = (
    "entry_id",
    "account_id",
    "date",
    "debit",
    "credit",
    "currency",
    "contract",
    "party",
    "memo",
)


def _execute_rows(
    table: str, columns: tuple[str, ...], rows: list[tuple], suffix: str = "", chunk: int = 500
) -> list[tuple]:
    """Insert ``rows`` into ``table`` (SQLite) with multi-row VALUES, ``chunk`` rows a
    statement; return what ``suffix`` (RETURNING ...) gives."""
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    returned: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(
                f"INSERT INTO {qn(table)} ({names}) "  # noqa: S608
                f"VALUES {', '.join([row] * len(part))} {suffix}",
                [value for r in part for value in r],
            )
            if "RETURNING" in suffix:
                returned.extend(cursor.fetchall())
    return returned


def _insert_entries(entries: list[JournalEntry]) -> bool:
    """Insert the entries (SQLite) and set their ids.

    An entry whose idempotency key is taken is skipped by ``ON CONFLICT DO NOTHING``; then
    False is returned and the caller sorts it out. Raw SQL because this is the hottest path
    of the ledger (the ORM's bulk_create costs several times the statement).
    """
    now = clock.now()
    stored_now = connection.ops.adapt_datetimefield_value(now)
    rows = []
    for e in entries:
        e.created_at = now
        rows.append(
            (
                e.book_id,
                e.date,
                e.description,
                e.source_type,
                e.source_id,
                e.source_ref,
                e.created_by_id,
                stored_now,
                e.idempotency_key,
                e.content_hash,
                e.reversal_of_id,
            )
        )
    ids = _execute_rows(
        "ledger_journalentry",
        ENTRY_COLUMNS,
        rows,
        "ON CONFLICT (book_id, idempotency_key) WHERE idempotency_key IS NOT NULL "
        "DO NOTHING RETURNING id",
    )
    if len(ids) != len(entries):
        return False
    for e, (pk,) in zip(entries, ids, strict=True):
        e.pk = pk
        e._state.adding = False
    return True


def _insert_lines(lines: list[_LineRow]) -> None:
    _execute_rows("ledger_journalline", LINE_COLUMNS, lines)


class _LineRow(NamedTuple):
    """A journal line on its way into the database (a model instance costs 20 times more)."""

    entry_id: int
    account_id: int
    date: Date
    debit: int
    credit: int
    currency: str
    contract: str
    party: str
    memo: str


def _new_lines(entry: JournalEntry, p: _Prepared) -> list[_LineRow]:
    return [
        _LineRow(
            entry_id=entry.pk,
            account_id=account.pk,
            date=entry.date,
            debit=line.debit,
            credit=line.credit,
            currency=currency,
            contract=line.contract,
            party=line.party,
            memo=line.memo,
        )
        for line, account, currency in p.lines
    ]


def _apply_to_balances(lines: Sequence[_LineRow]) -> None:
    """Add the lines to the maintained balances and daily totals, by atomic upserts.

    Rows are written in key order, so that concurrent postings lock them in the same order
    and cannot deadlock. ``ON CONFLICT DO UPDATE`` takes the row lock on PostgreSQL.
    """
    balances: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    daily: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for ln in lines:
        keys = [(ln.account_id, ln.currency, "", "")]
        if ln.contract:
            keys.append((ln.account_id, ln.currency, SubledgerKind.CONTRACT.value, ln.contract))
        if ln.party:
            keys.append((ln.account_id, ln.currency, SubledgerKind.PARTY.value, ln.party))
        for key in keys:
            totals = balances[key]
            totals[0] += ln.debit
            totals[1] += ln.credit
        day = daily[(ln.account_id, ln.currency, ln.date)]
        day[0] += ln.debit
        day[1] += ln.credit
        day[2] += 1
    _upsert(
        Balance._meta.db_table,
        ("account_id", "currency", "kind", "key"),
        ("debit", "credit"),
        balances,
    )
    _upsert(
        DailyTotal._meta.db_table,
        ("account_id", "currency", "date"),
        ("debit", "credit", "lines"),
        daily,
    )


def _upsert(
    table: str,
    key_columns: tuple[str, ...],
    value_columns: tuple[str, ...],
    rows: dict[tuple, list[int]],
) -> None:
    """Add ``rows`` (key -> values) to ``table``: insert new keys, increment existing ones.

    Rows go in key order, so concurrent postings lock them in the same order.
    """
    qn = connection.ops.quote_name
    increments = ", ".join(
        f"{qn(c)} = {qn(table)}.{qn(c)} + excluded.{qn(c)}" for c in value_columns
    )
    _execute_rows(
        table,
        (*key_columns, *value_columns),
        [(*key, *values) for key, values in sorted(rows.items())],
        f"ON CONFLICT ({', '.join(qn(c) for c in key_columns)}) DO UPDATE SET {increments}",
    )


def entry_post(
    *,
    book: Book,
    date: Date,
    description: str,
    lines: Sequence[Line],
    source_type: str = "",
    source_id: str = "",
    source_ref: str = "",
    created_by=None,
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Post one balanced entry and update the maintained balances in the same transaction.

    Refused (nothing written) with a typed error when: fewer than two lines; an amount is
    not a positive whole number of cents on exactly one side; debits and credits differ in
    any currency; an account is unknown, of another book, inactive, or keeps a sub-ledger
    and the line has no key for it; the date lies in a closed period; the idempotency key
    was used for different content. The same key with the same content returns the entry
    posted before.
    """
    spec = EntrySpec(
        date=date,
        description=description,
        lines=list(lines),
        source_type=source_type,
        source_id=str(source_id),
        source_ref=source_ref,
        idempotency_key=idempotency_key,
    )
    return _post(book, [spec], created_by)[0]


def entries_post_bulk(
    *, book: Book, entries: Sequence[EntrySpec], created_by=None
) -> list[JournalEntry]:
    """Post many entries in one transaction (a bank import, a day-end run).

    All or nothing: one refused entry refuses the whole batch. Validation, account look-up
    and balance updates are done once for the batch, so this is many times faster per
    entry than :func:`entry_post` in a loop.
    """
    if not entries:
        return []
    return _post(book, list(entries), created_by)


def _post(
    book: Book, specs: list[EntrySpec], created_by, reversal_of: JournalEntry | None = None
) -> list[JournalEntry]:
    """Post, then have the book sealed once the transaction commits (ledger/seal.py)."""
    entries = _post_unsealed(book, specs, created_by, reversal_of)
    seal_after_commit(book.pk)
    return entries


def _post_unsealed(
    book: Book, specs: list[EntrySpec], created_by, reversal_of: JournalEntry | None = None
) -> list[JournalEntry]:
    """Validate and post ``specs``: one transaction, all or nothing.

    On PostgreSQL the write is one call of the posting function, and the accounts come from
    a cache the function checks: a posting is one round trip. Outside a transaction that
    call is a transaction of its own (no BEGIN and COMMIT round trips); inside the caller's
    transaction it runs in a savepoint, so that a refusal leaves the caller's transaction
    usable, as a refused call changes nothing. Should an account have changed since it was
    cached, the cache is dropped and the posting validated and tried once more.
    """
    postgresql = connection.vendor == "postgresql"
    for attempt in (1, 2):
        accounts = _resolve_accounts(book, specs, cached=postgresql and attempt == 1)
        prepared = [_prepare(book, spec, accounts, reversal_of) for spec in specs]
        keys = [p.spec.idempotency_key for p in prepared if p.spec.idempotency_key]
        if len(keys) != len(set(keys)):
            raise exc.IdempotencyConflict("the same idempotency key appears twice in one batch")
        entries = [_new_entry(book, p, created_by, reversal_of) for p in prepared]
        if not postgresql:
            with transaction.atomic():
                return _write_sqlite(book, prepared, entries)
        try:
            if connection.in_atomic_block or not connection.get_autocommit():
                with transaction.atomic():
                    return _write_postgresql(book, prepared, entries)
            return _write_postgresql(book, prepared, entries)
        except _AccountChanged:
            _forget_accounts(book)
            if attempt == 2:
                raise IntegrityError("an account changed while the entry was posted") from None
    raise AssertionError("unreachable")


def _write_sqlite(
    book: Book, prepared: list[_Prepared], entries: list[JournalEntry]
) -> list[JournalEntry]:
    """Write the entries step by step (SQLite runs in-process: a statement costs little).

    An entry whose idempotency key was used before with the same content is a replay and
    returns the entry posted before; other content is refused, and so is a date in a
    closed period, before anything is written. SQLite serialises writers (BEGIN
    IMMEDIATE), so no other posting can take a key between the look-up and the insert.
    """
    existing = _existing_for_keys(book, prepared)
    fresh = [
        (p, e)
        for p, e in zip(prepared, entries, strict=True)
        if (p.spec.idempotency_key or "") not in existing
    ]
    if fresh:
        _check_periods(book, {p.spec.date for p, _ in fresh})
        if not _insert_entries([e for _, e in fresh]):
            raise IntegrityError("idempotency key taken by a concurrent posting")
        lines = [ln for p, e in fresh for ln in _new_lines(e, p)]
        _insert_lines(lines)
        _apply_to_balances(lines)
    return [
        existing.get(p.spec.idempotency_key or "", e)
        for p, e in zip(prepared, entries, strict=True)
    ]


def _write_postgresql(
    book: Book, prepared: list[_Prepared], entries: list[JournalEntry]
) -> list[JournalEntry]:
    """Post through ``ledger_post`` (:data:`POSTGRES_POST_FUNCTION`): one round trip.

    Entries and lines go in as two JSON arrays of rows: one parameter each, which the
    driver passes on as it is (arrays per column cost ten times more to encode). The
    function returns, for each entry, its id and whether it was posted before under the
    same idempotency key with the same content (a replay); it refuses the whole call with
    SQLSTATE LG001 (closed period), LG002 (idempotency key used for other content) or
    LG003 (an account changed since it was cached).
    """
    now = clock.now()
    first = entries[0]
    entry_rows = json.dumps(
        [
            [
                e.date.isoformat(),
                e.description,
                e.source_type,
                e.source_id,
                e.source_ref,
                e.idempotency_key,
                e.content_hash,
            ]
            for e in entries
        ],
        separators=(",", ":"),
    )
    line_rows = json.dumps(
        [
            [
                position,
                account.pk,
                line.debit,
                line.credit,
                currency,
                line.contract,
                line.party,
                line.memo,
            ]
            for position, p in enumerate(prepared, 1)
            for line, account, currency in p.lines
        ],
        separators=(",", ":"),
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT entry_position, entry_id, is_replay "
                "FROM ledger_post(%s, %s, %s, %s, %s, %s)",
                [book.pk, first.created_by_id, now, first.reversal_of_id, entry_rows, line_rows],
            )
            rows = cursor.fetchall()
    except DatabaseError as error:
        refusal = _REFUSALS.get(getattr(error.__cause__, "sqlstate", None))
        if refusal is None:
            raise
        raise refusal(_message_of(error.__cause__)) from None
    replays = {}
    for position, pk, replay in rows:
        entry = entries[position - 1]
        if replay:
            replays[position - 1] = pk
        else:
            entry.pk = pk
            entry.created_at = now
            entry._state.adding = False
    if replays:
        posted_before = JournalEntry.objects.in_bulk(list(replays.values()))
        for index, pk in replays.items():
            entries[index] = posted_before[pk]
    return entries


_REFUSALS = {
    "LG001": exc.ClosedPeriod,
    "LG002": exc.IdempotencyConflict,
    "LG003": _AccountChanged,
}


def _message_of(error) -> str:
    diag = getattr(error, "diag", None)
    return (diag.message_primary if diag is not None else None) or str(error)


# The PostgreSQL posting function, installed by the ledger's migrations (ledger.dbrules).
# It runs in the caller's transaction, or as a transaction of its own when called outside
# one. Its statements run one after the other, each with a fresh snapshot (a VOLATILE
# function under READ COMMITTED), which is what the posting needs:
#
# 1. FOR KEY SHARE on the book row: a period close (FOR UPDATE) waits for postings in
#    flight, and postings do not wait for each other.
# 2. One statement writes the entries, their lines, the balances and the daily totals. Its
#    snapshot is taken after the lock, so it sees a period close that committed while the
#    posting waited. Entry ids are drawn from the sequence in the order given and lines
#    refer to their entry by position. An entry is written unless its date lies in a
#    closed period or its idempotency key is taken (ON CONFLICT DO NOTHING: no savepoint);
#    only the lines of written entries are written, and the balances and daily totals are
#    summed from exactly those lines and added by upserts in key order, so that concurrent
#    postings lock the rows in the same order and cannot deadlock ('contract' and 'party'
#    are the SubledgerKind values).
# 3. Only when an entry was left out: first the idempotency keys (the same content under a
#    used key is a replay and returns the entry posted before, other content raises
#    LG002), then the earliest date in a closed period (LG001), as on SQLite. Raising
#    undoes everything the call wrote.
#
# Entries are inserted in idempotency-key order, so that batches sharing keys wait for
# each other instead of deadlocking. Under REPEATABLE READ or SERIALIZABLE the write's
# snapshot could predate a close, so the function refuses to run there.
#
# The lock and the write must stay two statements: in one statement the snapshot would
# predate a close that commits while the posting waits for the lock (the concurrency
# tests catch this). A change to this function needs a migration that re-installs the
# rules, as 0004_posting_path does.
POSTGRES_POST_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_post(
    p_book bigint, p_created_by integer, p_created_at timestamptz, p_reversal_of bigint,
    p_entries jsonb, p_lines jsonb
) RETURNS TABLE (entry_position bigint, entry_id bigint, is_replay boolean) AS $$
DECLARE
    written_positions bigint[];
    written_ids bigint[];
    skipped record;
    posted_before record;
    unexplained bigint[] := '{}';
    closed record;
BEGIN
    -- Under REPEATABLE READ or SERIALIZABLE the write below would see the periods as they
    -- were when the transaction began, and could miss a close.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'ledger: posting needs READ COMMITTED, not %',
            current_setting('transaction_isolation')
            USING ERRCODE = 'invalid_transaction_state';
    END IF;
    PERFORM 1 FROM ledger_book b WHERE b.id = p_book FOR KEY SHARE;

    -- The service may have read the accounts from its cache: each must still be of this
    -- book, active, and get the key of the sub-ledger it keeps.
    IF EXISTS (
        SELECT 1
        FROM jsonb_array_elements(p_lines) AS l(e)
        LEFT JOIN ledger_account a ON a.id = (l.e->>1)::bigint
        WHERE a.id IS NULL OR a.book_id <> p_book OR NOT a.is_active
           OR (a.subledger = 'contract' AND l.e->>5 = '')
           OR (a.subledger = 'party' AND l.e->>6 = '')
    ) THEN
        RAISE EXCEPTION USING ERRCODE = 'LG003',
            MESSAGE = 'ledger: an account changed since the posting service read it';
    END IF;

    -- The lines below belong to entries written by the same statement, which their
    -- entries' deferred triggers check at commit: no check per line (ledger.dbrules).
    PERFORM set_config('ledger.posting', 'on', true);
    WITH src AS MATERIALIZED (
        SELECT nextval('ledger_journalentry_id_seq'::regclass) AS id, s.position,
               (s.e->>0)::date AS date, s.e->>1 AS description, s.e->>2 AS source_type,
               s.e->>3 AS source_id, s.e->>4 AS source_ref, s.e->>5 AS idempotency_key,
               s.e->>6 AS content_hash
        FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS s(e, position)
    ),
    params AS (
        SELECT p_book AS book_id, p_created_by AS created_by_id, p_created_at AS created_at,
               p_reversal_of AS reversal_of_id
    ),
    entries AS (
        INSERT INTO ledger_journalentry (
            id, book_id, date, description, source_type, source_id, source_ref,
            created_by_id, created_at, idempotency_key, content_hash, reversal_of_id
        )
        SELECT src.id, params.book_id, src.date, src.description, src.source_type,
               src.source_id, src.source_ref, params.created_by_id, params.created_at,
               src.idempotency_key, src.content_hash, params.reversal_of_id
        FROM src CROSS JOIN params
        WHERE NOT EXISTS (
            SELECT 1 FROM ledger_period p
            WHERE p.book_id = params.book_id AND p.closed_at IS NOT NULL
              AND p.start <= src.date AND p."end" >= src.date
        )
        -- in key order: batches that share keys wait for each other and cannot deadlock
        ORDER BY src.idempotency_key
        ON CONFLICT (book_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING id
    ),
    lines AS (
        INSERT INTO ledger_journalline (
            entry_id, account_id, date, debit, credit, currency, contract, party, memo
        )
        SELECT src.id, (l.e->>1)::bigint, src.date, (l.e->>2)::bigint, (l.e->>3)::bigint,
               l.e->>4, l.e->>5, l.e->>6, l.e->>7
        FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS l(e, n)
        JOIN src ON src.position = (l.e->>0)::bigint
        WHERE src.id IN (SELECT id FROM entries)
        ORDER BY l.n
        RETURNING account_id, currency, date, debit, credit, contract, party
    ),
    balances AS (
        INSERT INTO ledger_balance (account_id, currency, kind, key, debit, credit)
        SELECT account_id, currency, kind, key, sum(debit), sum(credit)
        FROM (
            SELECT account_id, currency, '' AS kind, '' AS key, debit, credit FROM lines
            UNION ALL
            SELECT account_id, currency, 'contract', contract, debit, credit
            FROM lines WHERE contract <> ''
            UNION ALL
            SELECT account_id, currency, 'party', party, debit, credit
            FROM lines WHERE party <> ''
        ) AS keyed
        GROUP BY account_id, currency, kind, key
        ORDER BY account_id, currency, kind, key
        ON CONFLICT (account_id, currency, kind, key) DO UPDATE
        SET debit = ledger_balance.debit + excluded.debit,
            credit = ledger_balance.credit + excluded.credit
    ),
    daily AS (
        INSERT INTO ledger_dailytotal (account_id, currency, date, debit, credit, lines)
        SELECT account_id, currency, date, sum(debit), sum(credit), count(*)
        FROM lines
        GROUP BY account_id, currency, date
        ORDER BY account_id, currency, date
        ON CONFLICT (account_id, currency, date) DO UPDATE
        SET debit = ledger_dailytotal.debit + excluded.debit,
            credit = ledger_dailytotal.credit + excluded.credit,
            lines = ledger_dailytotal.lines + excluded.lines
    )
    SELECT array_agg(src.position), array_agg(src.id) INTO written_positions, written_ids
    FROM src WHERE src.id IN (SELECT id FROM entries);
    PERFORM set_config('ledger.posting', 'off', true);

    RETURN QUERY SELECT w.position, w.id, false
        FROM unnest(written_positions, written_ids) AS w(position, id);
    IF coalesce(cardinality(written_ids), 0) = jsonb_array_length(p_entries) THEN
        RETURN;
    END IF;
    -- Left out: first the idempotency keys (a replay returns the entry posted before,
    -- other content is refused), then, for what is left, the earliest closed date.
    FOR skipped IN
        SELECT s.position, s.e->>5 AS idempotency_key, s.e->>6 AS content_hash
        FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS s(e, position)
        WHERE s.position <> ALL(coalesce(written_positions, '{}'))
        ORDER BY s.position
    LOOP
        SELECT e.id, e.content_hash INTO posted_before FROM ledger_journalentry e
            WHERE e.book_id = p_book AND e.idempotency_key = skipped.idempotency_key;
        IF NOT FOUND THEN
            unexplained := unexplained || skipped.position;
        ELSIF posted_before.content_hash <> skipped.content_hash THEN
            RAISE EXCEPTION USING ERRCODE = 'LG002', MESSAGE = format(
                'idempotency key ''%s'' was used for entry #%s with different content',
                skipped.idempotency_key, posted_before.id);
        ELSE
            entry_position := skipped.position;
            entry_id := posted_before.id;
            is_replay := true;
            RETURN NEXT;
        END IF;
    END LOOP;
    IF cardinality(unexplained) = 0 THEN
        RETURN;
    END IF;
    SELECT p.name, s.date INTO closed FROM (
        SELECT (e->>0)::date AS date
        FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS t(e, position)
        WHERE t.position = ANY(unexplained)
    ) AS s
    JOIN ledger_period p ON p.book_id = p_book AND p.closed_at IS NOT NULL
        AND p.start <= s.date AND p."end" >= s.date
    ORDER BY s.date
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'LG001', MESSAGE = format(
            'period %s is closed; an entry dated %s is refused, '
            'book the correction in an open period',
            closed.name, to_char(closed.date, 'DD-MM-YYYY'));
    END IF;
    RAISE EXCEPTION 'ledger: entry % of the batch was not written', unexplained[1]
        USING ERRCODE = 'unique_violation';
END;
$$ LANGUAGE plpgsql;
"""


@transaction.atomic
def entry_reverse(
    *,
    entry: JournalEntry,
    created_by=None,
    date: Date | None = None,
    description: str | None = None,
    source_type: str = "",
    source_id: str = "",
    source_ref: str = "",
    idempotency_key: str | None = None,
) -> JournalEntry:
    """Post the mirror of ``entry`` (debits become credits) and link it to the original.

    An entry can be reversed once; the one-to-one ``reversal_of`` backs that up in the
    database. The reversal is dated ``date`` (default: the original's date, which must
    then lie in an open period).
    """
    original = (
        JournalEntry.objects.select_for_update(of=("self",)).select_related("book").get(pk=entry.pk)
    )
    retry = (
        idempotency_key is not None
        and JournalEntry.objects.filter(
            book_id=original.book_id, idempotency_key=idempotency_key, reversal_of=original
        ).exists()
    )
    if not retry and JournalEntry.objects.filter(reversal_of=original).exists():
        raise exc.AlreadyReversed(f"entry #{original.pk} has been reversed already")
    mirror = [
        Line(
            account=ln.account,
            debit=ln.credit,
            credit=ln.debit,
            currency=ln.currency,
            contract=ln.contract,
            party=ln.party,
            memo=ln.memo,
        )
        for ln in original.lines.select_related("account").order_by("id")
    ]
    spec = EntrySpec(
        date=date or original.date,
        description=description or f"Tegenboeking van #{original.pk}: {original.description}",
        lines=mirror,
        source_type=source_type or original.source_type,
        source_id=source_id or original.source_id,
        source_ref=source_ref or original.source_ref,
        idempotency_key=idempotency_key,
    )
    try:
        with transaction.atomic():
            return _post(original.book, [spec], created_by, reversal_of=original)[0]
    except IntegrityError as error:
        raise exc.AlreadyReversed(f"entry #{original.pk} has been reversed already") from error


# --- periods -------------------------------------------------------------------------------


@transaction.atomic
def period_create(*, book: Book, name: str, start: Date, end: Date, created_by=None) -> Period:
    """Define an accounting period; periods of a book may not overlap."""
    if end < start:
        raise exc.PeriodError(f"period {name} ends before it starts")
    Book.objects.select_for_update().get(pk=book.pk)
    overlap = Period.objects.filter(book=book, start__lte=end, end__gte=start).first()
    if overlap:
        raise exc.PeriodError(f"period {name} overlaps period {overlap.name}")
    period = Period.objects.create(book=book, name=name, start=start, end=end)
    audit_record(
        actor=created_by,
        action="period.create",
        obj=period,
        book=book,
        after={"name": name, "start": start.isoformat(), "end": end.isoformat()},
    )
    return period


@transaction.atomic
def period_close(*, period: Period, closed_by) -> Period:
    """Close a period: from now on entries dated in it are refused.

    Takes FOR UPDATE on the book row, which waits for postings in flight (they hold
    FOR KEY SHARE) so that none slips into the period after it is closed.
    """
    Book.objects.select_for_update().get(pk=period.book_id)
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.is_closed:
        raise exc.PeriodError(f"period {period.name} is closed already")
    earlier_open = Period.objects.filter(
        book_id=period.book_id, end__lt=period.start, closed_at__isnull=True
    ).first()
    if earlier_open:
        raise exc.PeriodError(f"close period {earlier_open.name} first")
    period.closed_at = clock.now()
    period.closed_by = closed_by
    period.save(update_fields=["closed_at", "closed_by"])
    audit_record(
        actor=closed_by,
        action="period.close",
        obj=period,
        book_id=period.book_id,
        before={"closed": False},
        after={"closed": True},
    )
    return period


# --- audit ---------------------------------------------------------------------------------


def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    book: Book | None = None,
    book_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Write an audit event in the caller's transaction (who, what, before and after)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        book_id=book.pk if book is not None else book_id,
        before=before,
        after=after,
    )
