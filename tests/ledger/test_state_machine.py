"""A stateful property test of the posting service.

Hypothesis drives random sequences of postings (balanced entries on random accounts of the
chart, with sub-ledger keys where needed, random dates, some with idempotency keys),
replays, reversals, period closes and every kind of refused call. After every step the
books must hold: the trial balance nets to zero, each maintained Balance and DailyTotal is
the sum of its lines (``check_book`` and an independent recomputation), and the balances
equal a plain Python model of what was accepted. Every refused call must leave the row
counts as they were.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ledger import exceptions as exc
from ledger.chart import DEFAULT_CHART
from ledger.checks import check_book
from ledger.models import Account, JournalEntry, SubledgerKind
from ledger.selectors import balances_by_code, trial_balance
from ledger.services import (
    Line,
    account_create,
    entry_post,
    entry_reverse,
    period_close,
    period_create,
)
from tests.ledger.helpers import all_counts, assert_books_consistent, make_book

CODES = [t.code for t in DEFAULT_CHART]
SUBLEDGER = {t.code: t.subledger for t in DEFAULT_CHART}
CONTRACTS = ["L-001", "L-002", "S-001"]
PARTIES = ["INV-PROV", "INV-GEM", "COLL-ENERGIE"]
YEAR_START = date(2025, 1, 1)
YEAR_END = date(2025, 12, 31)
BAD_AMOUNTS = [
    {"debit": 0},
    {"debit": -100},
    {"credit": -1},
    {"debit": 1.5},
    {"debit": Decimal("2")},
    {"debit": True},
    {"debit": "3"},
    {"debit": 5, "credit": 5},
]
_examples = itertools.count()


def split(data, total: int, parts: int) -> list[int]:
    """``total`` cents in ``parts`` positive amounts."""
    parts = min(parts, total)
    cuts = sorted(
        data.draw(
            st.lists(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1, unique=True)
        )
        if parts > 1
        else []
    )
    bounds = [0, *cuts, total]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        n = next(_examples)
        self.book = make_book(name=f"Fonds {n}")
        self.other_book = make_book(name=f"Ander fonds {n}")
        self.inactive = account_create(
            book=self.book, code="1999", name="Oude bankrekening", type="asset"
        )
        Account.objects.filter(pk=self.inactive.pk).update(is_active=False)
        self.foreign = Account.objects.get(book=self.other_book, code="1000")
        assert not JournalEntry.objects.filter(book=self.book).exists()  # a clean book
        self.model: dict[tuple[str, str], int] = defaultdict(int)  # (code, currency) -> net
        self.entries: list[JournalEntry] = []
        self.reversed: set[int] = set()
        self.keyed: dict[str, tuple[dict, int]] = {}  # key -> (post kwargs, entry pk)
        self.keys = (f"key-{i}" for i in itertools.count())
        self.closed_until: date | None = None
        self.next_month = 1

    # --- building blocks -------------------------------------------------------------------

    def open_date(self, data) -> date:
        first = self.closed_until + timedelta(days=1) if self.closed_until else YEAR_START
        return data.draw(st.dates(min_value=first, max_value=YEAR_END))

    def keys_for(self, data, code: str) -> dict[str, str]:
        keys = {}
        kind = SUBLEDGER[code]
        if kind == SubledgerKind.CONTRACT or data.draw(st.integers(0, 9)) == 0:
            keys["contract"] = data.draw(st.sampled_from(CONTRACTS))
        if kind == SubledgerKind.PARTY or data.draw(st.integers(0, 9)) == 0:
            keys["party"] = data.draw(st.sampled_from(PARTIES))
        return keys

    def balanced_lines(self, data, currency: str | None = None) -> list[Line]:
        debits = data.draw(st.lists(st.integers(1, 10_000_000), min_size=1, max_size=3))
        credits = split(data, sum(debits), data.draw(st.integers(1, 3)))
        lines = []
        for side, amounts in (("debit", debits), ("credit", credits)):
            for cents in amounts:
                code = data.draw(st.sampled_from(CODES))
                lines.append(
                    Line(
                        account=code,
                        currency=currency,
                        **{side: cents},
                        **self.keys_for(data, code),
                    )
                )
        return data.draw(st.permutations(lines))

    def entry_kwargs(self, data, *, key: str | None = None) -> dict:
        lines = self.balanced_lines(data)
        if data.draw(st.integers(0, 4)) == 0:
            lines += self.balanced_lines(data, currency="USD")
        return {
            "date": self.open_date(data),
            "description": data.draw(
                st.sampled_from(["Storting", "Uitbetaling", "Rente", "Aflossing"])
            ),
            "lines": lines,
            "source_type": "test.machine",
            "idempotency_key": key,
        }

    def record(self, entry: JournalEntry, lines) -> None:
        for ln in lines:
            code = ln.account.code if isinstance(ln.account, Account) else ln.account
            self.model[(code, ln.currency or "EUR")] += ln.debit - ln.credit
        self.entries.append(entry)

    def refused(self, error, call) -> None:
        before = all_counts()
        with pytest.raises(error):
            call()
        assert all_counts() == before

    # --- accepted calls -------------------------------------------------------------------

    @initialize(data=st.data())
    def first_posting(self, data):
        self.post(data, with_key=False)

    @rule(data=st.data(), with_key=st.booleans())
    def post(self, data, with_key):
        kwargs = self.entry_kwargs(data, key=next(self.keys) if with_key else None)
        before = all_counts()
        entry = entry_post(book=self.book, **kwargs)
        after = all_counts()
        assert after["JournalEntry"] == before["JournalEntry"] + 1
        assert after["JournalLine"] == before["JournalLine"] + len(kwargs["lines"])
        self.record(entry, kwargs["lines"])
        if with_key:
            self.keyed[kwargs["idempotency_key"]] = (kwargs, entry.pk)

    @precondition(lambda self: self.keyed)
    @rule(data=st.data())
    def replay(self, data):
        key = data.draw(st.sampled_from(sorted(self.keyed)))
        kwargs, pk = self.keyed[key]
        before = all_counts()
        assert entry_post(book=self.book, **kwargs).pk == pk
        assert all_counts() == before

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def reverse(self, data):
        entry = data.draw(st.sampled_from(self.entries))
        if entry.pk in self.reversed:
            self.refused(exc.AlreadyReversed, lambda: entry_reverse(entry=entry))
            return
        day = None
        if self.closed_until and entry.date <= self.closed_until:
            day = self.open_date(data)
        reversal = entry_reverse(entry=entry, date=day)
        assert reversal.reversal_of_id == entry.pk
        self.reversed.add(entry.pk)
        self.record(
            reversal,
            [
                Line(account=ln.account, debit=ln.credit, credit=ln.debit, currency=ln.currency)
                for ln in entry.lines.select_related("account")
            ],
        )

    @precondition(lambda self: self.next_month <= 6)
    @rule()
    def close_month(self):
        start = date(2025, self.next_month, 1)
        end = date(2025, self.next_month + 1, 1) - timedelta(days=1)
        period = period_create(book=self.book, name=start.strftime("%Y-%m"), start=start, end=end)
        period_close(period=period, closed_by=None)
        self.closed_until = end
        self.next_month += 1

    # --- refused calls --------------------------------------------------------------------

    @rule(data=st.data())
    def too_few_lines(self, data):
        kwargs = self.entry_kwargs(data)
        kwargs["lines"] = kwargs["lines"][: data.draw(st.integers(0, 1))]
        self.refused(exc.TooFewLines, lambda: entry_post(book=self.book, **kwargs))

    @rule(data=st.data(), off=st.integers(1, 1000))
    def unbalanced(self, data, off):
        kwargs = self.entry_kwargs(data)
        first = kwargs["lines"][0]
        side = "debit" if first.debit else "credit"
        kwargs["lines"][0] = Line(**{**first.__dict__, side: getattr(first, side) + off})
        self.refused(exc.UnbalancedEntry, lambda: entry_post(book=self.book, **kwargs))

    @rule(data=st.data())
    def balanced_in_total_not_per_currency(self, data):
        kwargs = self.entry_kwargs(data)
        lines = kwargs["lines"]
        credit = next(i for i, ln in enumerate(lines) if ln.credit)
        lines[credit] = Line(**{**lines[credit].__dict__, "currency": "GBP"})
        self.refused(exc.UnbalancedEntry, lambda: entry_post(book=self.book, **kwargs))

    @rule(data=st.data(), which=st.sampled_from(["foreign", "unknown", "inactive"]))
    def bad_account(self, data, which):
        kwargs = self.entry_kwargs(data)
        first = kwargs["lines"][0]
        replacement = {"foreign": self.foreign, "unknown": "7777", "inactive": "1999"}[which]
        kwargs["lines"][0] = Line(**{**first.__dict__, "account": replacement})
        error = {
            "foreign": exc.ForeignAccount,
            "unknown": exc.UnknownAccount,
            "inactive": exc.InactiveAccount,
        }[which]
        self.refused(error, lambda: entry_post(book=self.book, **kwargs))

    @rule(data=st.data(), amount=st.sampled_from(BAD_AMOUNTS))
    def bad_amount(self, data, amount):
        kwargs = self.entry_kwargs(data)
        kwargs["lines"].append(Line(account="1000", **amount))
        self.refused(exc.InvalidAmount, lambda: entry_post(book=self.book, **kwargs))

    @rule(data=st.data())
    def missing_subledger_key(self, data):
        kwargs = self.entry_kwargs(data)
        code = data.draw(st.sampled_from([c for c in CODES if SUBLEDGER[c]]))
        kind = SUBLEDGER[code]
        lines = kwargs["lines"]
        i = data.draw(st.integers(0, len(lines) - 1))
        lines[i] = Line(**{**lines[i].__dict__, "account": code, kind: ""})
        self.refused(exc.MissingSubledgerKey, lambda: entry_post(book=self.book, **kwargs))

    @precondition(lambda self: self.closed_until is not None)
    @rule(data=st.data())
    def in_closed_period(self, data):
        kwargs = self.entry_kwargs(data)
        kwargs["date"] = data.draw(st.dates(min_value=YEAR_START, max_value=self.closed_until))
        self.refused(exc.ClosedPeriod, lambda: entry_post(book=self.book, **kwargs))

    @precondition(lambda self: self.keyed)
    @rule(data=st.data())
    def key_reused_for_other_content(self, data):
        key = data.draw(st.sampled_from(sorted(self.keyed)))
        kwargs = {**self.entry_kwargs(data), "idempotency_key": key}
        kwargs["description"] = "Andere inhoud"
        self.refused(exc.IdempotencyConflict, lambda: entry_post(book=self.book, **kwargs))

    # --- what must always hold ------------------------------------------------------------

    @invariant()
    def books_are_consistent(self):
        report = check_book(self.book)
        assert report.ok, report.differences
        assert_books_consistent(self.book)

    @invariant()
    def trial_balance_nets_to_zero(self):
        nets = defaultdict(int)
        for row in trial_balance(book=self.book):
            nets[row.currency] += row.net
        assert set(nets.values()) <= {0}
        if self.closed_until:
            as_of = trial_balance(book=self.book, as_of=self.closed_until)
            assert sum(r.net for r in as_of if r.currency == "EUR") == 0

    @invariant()
    def balances_match_the_model(self):
        for currency in ("EUR", "USD"):
            expected = {code: self.model.get((code, currency), 0) for code in [*CODES, "1999"]}
            assert balances_by_code(book=self.book, currency=currency) == expected


@pytest.mark.django_db
def test_ledger_state_machine():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
