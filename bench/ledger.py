#!/usr/bin/env python
"""Ledger benchmark: posting throughput and read latency with a large book.

Run by hand, not in CI (see bench/README.md)::

    .venv/bin/python bench/ledger.py --db sqlite
    .venv/bin/python bench/ledger.py --db postgres
    .venv/bin/python bench/ledger.py --db postgres --lines 100000   # quick run

It creates a scratch database (a temporary SQLite file, or the PostgreSQL database
``burgerfonds_bench``, dropped and re-created), migrates it, builds a book with ``--lines``
journal lines of loan servicing over three years through the real bulk posting service,
and then measures, always through :mod:`ledger.services` and :mod:`ledger.selectors`:

- single-entry posting, one commit per entry (``entry_post`` outside any atomic block);
- bulk posting, one transaction per batch (``entries_post_bulk``, a bank import);
- balances, the trial balance and statement pages with running balance.

Every figure is printed next to the target from the issue; ``--json`` also writes the
results to ``bench/results/`` (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# This file is called ledger.py: keep its own folder off sys.path, so that ``import ledger``
# finds the Django app and not this script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

HISTORY_START = date(2023, 1, 1)
HISTORY_END = date(2025, 12, 31)  # three years of history
CLOSED_UNTIL = date(2024, 12, 31)  # 2023 and 2024 are closed periods after the build
POSTING_DATE = date(2025, 12, 31)  # measured postings go into the open period
AS_OF_PAST = date(2024, 6, 30)
STATEMENT_YEAR = 2024
LOAN_TERM_MONTHS = 60
UNALLOCATED_SHARE = 0.03  # receipts that cannot be matched at once go to suspense (1900)

HORDAK = {  # django-hordak 2.0, from the issue, for comparison
    "single": "420-600/s",
    "balance": "~10 ms",
    "statement": "~2.7 s (43k lines)",
}


# --- set-up -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--lines", type=int, default=1_000_000, help="journal lines in the book (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument(
        "--build-batch",
        type=int,
        default=5_000,
        help="entries per entries_post_bulk call in the build",
    )
    parser.add_argument("--single", type=int, default=2_000, help="entries posted one by one")
    parser.add_argument("--bulk", type=int, default=10_000, help="entries per bulk import")
    parser.add_argument("--bulk-runs", type=int, default=3, help="bulk imports measured")
    parser.add_argument("--runs", type=int, default=50, help="timed runs of each read")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs before each read")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument(
        "--pg-dbname",
        default="burgerfonds_bench",
        help="dropped and re-created; must contain 'bench'",
    )
    parser.add_argument(
        "--sqlite-dir", help="folder for the temporary SQLite file (default: TMPDIR)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file afterwards")
    parser.add_argument(
        "--no-analyze",
        action="store_true",
        help="skip ANALYZE after the build (PostgreSQL's autovacuum would run it eventually)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the query plans of the measured reads"
    )
    parser.add_argument("--json", action="store_true", help="write results to bench/results/")
    args = parser.parse_args(argv)
    if "bench" not in args.pg_dbname:
        parser.error("--pg-dbname must contain 'bench': the script drops that database")
    if args.lines < 10_000:
        parser.error("--lines must be at least 10,000")
    return args


def prepare_database(args: argparse.Namespace) -> tuple[str, Path | None]:
    """Create an empty scratch database; return its URL (and the SQLite folder to remove)."""
    if args.db == "postgres":
        import psycopg
        from psycopg import sql

        with psycopg.connect(
            host=args.pg_host,
            port=args.pg_port,
            user=args.pg_user,
            dbname="postgres",
            autocommit=True,
        ) as admin:
            name = sql.Identifier(args.pg_dbname)
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
        url = f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.pg_dbname}"
        return url, None
    folder = Path(tempfile.mkdtemp(prefix="burgerfonds-bench-", dir=args.sqlite_dir))
    return f"sqlite:///{folder / 'bench.sqlite3'}", folder


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # Production-like: DEBUG off, so that Django does not keep a log of every query.
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(64)  # throwaway, this process only
    import django

    django.setup()


def code_version(app: Path) -> str:
    """Commit of the measured ledger code, and whether it has local changes."""
    import subprocess

    git = shutil.which("git")
    if git is None:
        return str(app)

    def run_git(*args: str) -> str:
        done = subprocess.run([git, *args], cwd=app, capture_output=True, text=True, check=True)  # noqa: S603
        return done.stdout.strip()

    try:
        head = run_git("rev-parse", "--short", "HEAD")
        dirty = run_git("status", "--porcelain", ".")
    except (OSError, subprocess.CalledProcessError):
        return f"{app} (not a git checkout)"
    return f"{app} at {head}{' with local changes' if dirty else ''}"


def machine_info() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            db_version = f"PostgreSQL {cursor.fetchone()[0]}"
            settings = {}
            for name in ("shared_buffers", "work_mem", "synchronous_commit", "fsync", "jit"):
                cursor.execute(f"SHOW {name}")
                settings[name] = cursor.fetchone()[0]
        else:
            cursor.execute("SELECT sqlite_version()")
            db_version = f"SQLite {cursor.fetchone()[0]}"
            settings = {}
            for name in ("journal_mode", "synchronous"):
                cursor.execute(f"PRAGMA {name}")
                settings[name] = cursor.fetchone()[0]
    cpu = ""
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django

    import ledger

    return {
        "code": code_version(Path(ledger.__file__).resolve().parent),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": db_version,
        "db_settings": settings,
    }


# --- the history: a fund that lends to collectives ------------------------------------------


@dataclass(frozen=True)
class Loan:
    number: int
    start: date
    due_day: int
    principal: int  # cents
    rate: float  # annual
    write_off_month: int | None  # months after start, or None
    premium_month: int | None

    @property
    def contract(self) -> str:
        return f"L-{self.number:06d}"

    @property
    def party(self) -> str:
        return f"C-{self.number % 4000:05d}"  # the collective; some borrow twice


def add_months(day: date, months: int, dom: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, dom)


def loan_events(loan: Loan, rng: random.Random) -> Iterator[tuple[date, str, tuple]]:
    """Every posting of one loan until the end of the history, as (date, kind, data)."""
    yield loan.start, "disburse", (loan,)
    outstanding = loan.principal
    part = loan.principal // LOAN_TERM_MONTHS
    month = 1
    while outstanding > 0:
        due = add_months(loan.start, month, loan.due_day)
        if due > HISTORY_END:
            return
        if loan.write_off_month == month:
            yield due, "write_off", (loan, outstanding)
            return
        interest = max(1, round(outstanding * loan.rate / 12))
        principal = min(part, outstanding) if month < LOAN_TERM_MONTHS else outstanding
        outstanding -= principal
        yield due, "interest_due", (loan, interest)
        paid = min(HISTORY_END, due + timedelta(days=rng.choice((0, 0, 0, 1, 2, 3, 5))))
        if rng.random() < UNALLOCATED_SHARE:
            matched = min(HISTORY_END, paid + timedelta(days=rng.randint(1, 10)))
            yield paid, "unallocated", (loan, interest + principal)
            yield matched, "match", (loan, interest, principal)
        else:
            yield paid, "repayment", (loan, interest, principal)
        if loan.premium_month == month:
            premium = max(100, loan.principal // 200)
            yield due, "premium", (loan, premium)
            yield min(HISTORY_END, due + timedelta(days=14)), "premium_paid", (loan, premium)
        month += 1


LINES_PER_KIND = {
    "disburse": 2,
    "interest_due": 2,
    "repayment": 3,
    "unallocated": 2,
    "match": 3,
    "premium": 2,
    "premium_paid": 2,
    "write_off": 2,
    "contribution": 2,
    "grant_award": 2,
    "grant_paid": 2,
}


def plan_history(target_lines: int, seed: int) -> tuple[list[tuple[date, str, tuple]], int]:
    """Events in date order whose lines add up to about ``target_lines``."""
    rng = random.Random(seed)
    events: list[tuple[date, str, tuple]] = []
    days = (HISTORY_END - HISTORY_START).days
    # Investors pay in quarterly; grants are awarded and paid in two tranches.
    investors = max(5, target_lines // 25_000)
    for inv in range(investors):
        grant_side = inv % 3 == 0
        for quarter in range(12):
            day = add_months(HISTORY_START, 3 * quarter, 1 + inv % 28)
            amount = rng.randint(50_000, 2_000_000) * 100
            events.append((day, "contribution", (f"INV-{inv:03d}", grant_side, amount)))
    for grant in range(max(10, target_lines // 3_000)):
        awarded = HISTORY_START + timedelta(days=rng.randrange(days - 120))
        amount = rng.randint(5_000, 50_000) * 100
        contract = f"G-{grant:05d}"
        events.append((awarded, "grant_award", (contract, amount)))
        events.append((awarded + timedelta(days=30), "grant_paid", (contract, amount // 2)))
        events.append(
            (awarded + timedelta(days=90), "grant_paid", (contract, amount - amount // 2))
        )
    lines = sum(LINES_PER_KIND[kind] for _, kind, _ in events)
    # Loans start over the first 18 months and are serviced monthly until the end.
    number = 0
    while lines < target_lines:
        number += 1
        loan = Loan(
            number=number,
            start=HISTORY_START + timedelta(days=rng.randrange(548)),
            due_day=rng.randint(1, 28),
            principal=rng.randint(10_000, 500_000) * 100,
            rate=rng.choice((0.02, 0.03, 0.035, 0.04, 0.05)),
            write_off_month=rng.randint(6, 30) if rng.random() < 0.01 else None,
            premium_month=rng.randint(12, 30) if rng.random() < 0.05 else None,
        )
        for event in loan_events(loan, rng):
            events.append(event)
            lines += LINES_PER_KIND[event[1]]
    events.sort(key=lambda e: e[0])  # stable: a loan's events keep their order within a day
    return events, lines


def spec_for(seq: int, day: date, kind: str, data: tuple):
    from ledger.services import Cr, Dr, EntrySpec

    if kind == "disburse":
        (loan,) = data
        lines = [Dr("1200", loan.principal, contract=loan.contract), Cr("1000", loan.principal)]
        text, source = f"Uitbetaling lening {loan.contract}", "loans.disbursement"
    elif kind == "interest_due":
        loan, interest = data
        lines = [
            Dr("1210", interest, contract=loan.contract),
            Cr("4000", interest, contract=loan.contract),
        ]
        text, source = f"Rente vervallen {loan.contract}", "loans.instalment"
    elif kind == "repayment":
        loan, interest, principal = data
        lines = [
            Dr("1000", interest + principal),
            Cr("1210", interest, contract=loan.contract),
            Cr("1200", principal, contract=loan.contract),
        ]
        text, source = f"Aflossing {loan.contract}", "loans.repayment"
    elif kind == "unallocated":
        loan, amount = data
        lines = [Dr("1000", amount), Cr("1900", amount, party=loan.party)]
        text, source = f"Ontvangst {loan.party}, nog niet toegewezen", "loans.receipt"
    elif kind == "match":
        loan, interest, principal = data
        lines = [
            Dr("1900", interest + principal, party=loan.party),
            Cr("1210", interest, contract=loan.contract),
            Cr("1200", principal, contract=loan.contract),
        ]
        text, source = f"Toewijzing ontvangst aan {loan.contract}", "loans.repayment"
    elif kind == "premium":
        loan, premium = data
        lines = [
            Dr("1220", premium, contract=loan.contract),
            Cr("4100", premium, contract=loan.contract),
        ]
        text, source = f"Succespremie {loan.contract}", "loans.premium"
    elif kind == "premium_paid":
        loan, premium = data
        lines = [Dr("1000", premium), Cr("1220", premium, contract=loan.contract)]
        text, source = f"Ontvangst premie {loan.contract}", "loans.repayment"
    elif kind == "write_off":
        loan, outstanding = data
        lines = [
            Dr("5100", outstanding, contract=loan.contract),
            Cr("1200", outstanding, contract=loan.contract),
        ]
        text, source = f"Afboeking {loan.contract}", "loans.write_off"
    elif kind == "contribution":
        investor, grant_side, amount = data
        bank, capital = ("1010", "3010") if grant_side else ("1000", "3000")
        lines = [Dr(bank, amount), Cr(capital, amount, party=investor)]
        text, source = f"Storting {investor}", "fund.contribution"
    elif kind == "grant_award":
        contract, amount = data
        lines = [Dr("5000", amount, contract=contract), Cr("2000", amount, contract=contract)]
        text, source = f"Subsidie toegekend {contract}", "fund.grant"
    elif kind == "grant_paid":
        contract, amount = data
        lines = [Dr("2000", amount, contract=contract), Cr("1010", amount)]
        text, source = f"Subsidie betaald {contract}", "fund.grant_payment"
    else:  # pragma: no cover
        raise ValueError(kind)
    return EntrySpec(
        date=day,
        description=text,
        lines=lines,
        source_type=source,
        source_id=str(seq),
        idempotency_key=f"hist-{seq}",
    )


def build_history(book, user, args) -> dict:
    from ledger.services import entries_post_bulk

    t0 = time.perf_counter()
    events, planned = plan_history(args.lines, args.seed)
    print(
        f"  planned {len(events):,} entries, {planned:,} lines ({time.perf_counter() - t0:.1f} s)"
    )
    METER.attach()
    began = METER.snapshot()
    t0 = time.perf_counter()
    done_lines = 0
    next_report = 0.0
    batch = args.build_batch
    for start in range(0, len(events), batch):
        specs = [spec_for(start + i, *ev) for i, ev in enumerate(events[start : start + batch])]
        entries_post_bulk(book=book, entries=specs, created_by=user)
        done_lines += sum(len(s.lines) for s in specs)
        share = done_lines / planned
        if share >= next_report or start + batch >= len(events):
            elapsed = time.perf_counter() - t0
            rate = done_lines / elapsed
            eta = (planned - done_lines) / rate if rate else 0
            print(
                f"  {done_lines:>10,} / {planned:,} lines ({share:6.1%})  "
                f"{rate:>9,.0f} lines/s  {elapsed:6.0f} s  eta {eta:4.0f} s",
                flush=True,
            )
            next_report = share + 0.05
    elapsed = time.perf_counter() - t0
    spent = METER.since(began)
    return {
        "app_cpu_s": round(spent["app_cpu"], 1),
        "db_cpu_s": round(spent["db_cpu"], 1),
        "cpu_wait_s": round(spent["cpu_wait"], 1),
        "entries": len(events),
        "lines": done_lines,
        "seconds": round(elapsed, 1),
        "entries_per_s": round(len(events) / elapsed),
        "lines_per_s": round(done_lines / elapsed),
    }


def close_history_periods(book, user) -> None:
    from ledger.services import period_close, period_create

    periods = [
        period_create(book=book, name=str(year), start=date(year, 1, 1), end=date(year, 12, 31))
        for year in range(HISTORY_START.year, HISTORY_END.year + 1)
    ]
    for period in periods:
        if period.end <= CLOSED_UNTIL:
            period_close(period=period, closed_by=user)


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


# --- measuring --------------------------------------------------------------------------------


def summarize(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000,
        "min_ms": ordered[0] * 1000,
        "runs": len(ordered),
    }


def count_queries(fn: Callable[[], object]) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


LOAD: dict[str, float] = {}


def note_load(phase: str) -> None:
    """Remember the 1-minute load average when a phase starts."""
    LOAD[phase] = round(os.getloadavg()[0], 2)


class Meter:
    """Where the wall-clock time went, so that a busy machine can be told apart from slow code.

    - app cpu: CPU time of this process (Python, Django, the driver; SQLite runs in it too);
    - db cpu: CPU time of the PostgreSQL backend that serves our connection;
    - cpu wait: time this process and that backend were ready to run but waited for a CPU
      (other processes on the machine). Linux only (/proc/<pid>/schedstat); else 0.
    """

    def __init__(self) -> None:
        self.backend: Path | None = None

    def attach(self) -> None:
        from django.db import connection

        self.backend = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                path = Path(f"/proc/{cursor.fetchone()[0]}/schedstat")
            if self._sched(path) != (0.0, 0.0):
                self.backend = path

    @staticmethod
    def _sched(path: Path) -> tuple[float, float]:
        try:
            run_ns, wait_ns, _ = path.read_text().split()
        except (OSError, ValueError):
            return 0.0, 0.0
        return int(run_ns) / 1e9, int(wait_ns) / 1e9

    def snapshot(self) -> tuple[float, float, float, float, float]:
        _, own_wait = self._sched(Path("/proc/self/schedstat"))
        db_cpu, db_wait = self._sched(self.backend) if self.backend else (0.0, 0.0)
        return time.perf_counter(), time.process_time(), own_wait, db_cpu, db_wait

    def since(self, start: tuple, per: float = 1.0) -> dict:
        """Seconds spent since ``start`` (divided by ``per``): wall, app cpu, db cpu, cpu wait."""
        end = self.snapshot()
        d = [(e - s) / per for s, e in zip(start, end, strict=True)]
        return {"wall": d[0], "app_cpu": d[1], "db_cpu": d[3], "cpu_wait": d[2] + d[4]}


METER = Meter()


def time_read(fn: Callable[[], object], runs: int, warmup: int) -> dict:
    for _ in range(warmup):
        fn()
    times = []
    start = METER.snapshot()
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    spent = METER.since(start, per=runs)
    result = summarize(times)
    result.update({f"{k}_ms": v * 1000 for k, v in spent.items() if k != "wall"})
    result["queries"], _ = count_queries(fn)
    return result


def explain(title: str, fn: Callable[[], object]) -> None:
    from django.db import connection

    _, queries = count_queries(fn)
    print(f"\n--- {title}: {len(queries)} queries")
    with connection.cursor() as cursor:
        for sql in queries:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            print(f"\n{sql}")
            if connection.vendor == "postgresql":
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            for row in cursor.fetchall():
                print("    " + " | ".join(str(c) for c in row))


def receipt_lines(i: int, loans: list[str], parties: list[str]):
    """A realistic two-line posting: a repayment on a loan, or a receipt held in suspense."""
    from ledger.services import Cr, Dr

    cents = 10_000 + (i * 7919) % 500_000
    if i % 4 == 3:
        party = parties[i % len(parties)]
        return [Dr("1000", cents), Cr("1900", cents, party=party)], "loans.receipt"
    contract = loans[i % len(loans)]
    return [Dr("1000", cents), Cr("1200", cents, contract=contract)], "loans.repayment"


def measure_single(book, user, args, loans: list[str], parties: list[str]) -> dict:
    from django.db import connection

    from ledger.services import entry_post

    assert not connection.in_atomic_block, "entry_post must commit on its own"

    def post(i: int) -> None:
        lines, source = receipt_lines(i, loans, parties)
        entry_post(
            book=book,
            date=POSTING_DATE,
            description=f"Bankmutatie {i}",
            lines=lines,
            source_type=source,
            source_id=str(i),
            created_by=user,
            idempotency_key=f"single-{i}",
        )

    for i in range(50):  # warm-up, not timed
        post(-1 - i)
    queries, _ = count_queries(lambda: post(-1000))
    times = []
    METER.attach()
    start = METER.snapshot()
    for i in range(args.single):
        t0 = time.perf_counter()
        post(i)
        times.append(time.perf_counter() - t0)
    spent = METER.since(start)
    result = summarize(times)
    result.update({f"{k}_ms": v * 1000 / args.single for k, v in spent.items() if k != "wall"})
    result.update(
        entries=args.single,
        seconds=spent["wall"],
        entries_per_s=args.single / spent["wall"],
        queries=queries,
    )
    return result


def measure_bulk(book, user, args, loans: list[str], parties: list[str]) -> dict:
    from django.db import connection

    from ledger.services import EntrySpec, entries_post_bulk

    assert not connection.in_atomic_block
    runs, spent = [], []
    METER.attach()
    for run in range(args.bulk_runs):
        specs = []
        for i in range(args.bulk):
            lines, source = receipt_lines(run * args.bulk + i, loans, parties)
            specs.append(
                EntrySpec(
                    date=POSTING_DATE,
                    description=f"Bankafschrift {run}, regel {i}",
                    lines=lines,
                    source_type=source,
                    source_id=f"{run}-{i}",
                    idempotency_key=f"import-{run}-{i}",
                )
            )
        start = METER.snapshot()
        entries_post_bulk(book=book, entries=specs, created_by=user)
        spent.append(METER.since(start))
        runs.append(spent[-1]["wall"])
    median = statistics.median(runs)
    middle = spent[runs.index(median)] if median in runs else spent[0]
    return {
        "entries": args.bulk,
        "runs_s": runs,
        "median_s": median,
        "app_cpu_s": middle["app_cpu"],
        "db_cpu_s": middle["db_cpu"],
        "cpu_wait_s": middle["cpu_wait"],
        "entries_per_s": args.bulk / median,
        "best_entries_per_s": args.bulk / min(runs),
    }


def busiest_account(book, year: int):
    from django.db.models import Count

    from ledger.models import Account, JournalLine

    row = (
        JournalLine.objects.filter(account__book=book, date__year=year)
        .values("account_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    return Account.objects.select_related("book").get(pk=row["account_id"]), row["n"]


def measure_reads(book, args, busy_contract: str) -> dict:
    from ledger.models import Account
    from ledger.selectors import account_balance, account_statement, trial_balance

    accounts = {a.code: a for a in Account.objects.select_related("book").filter(book=book)}
    bank, loans = accounts["1000"], accounts["1200"]
    statement_account, year_lines = busiest_account(book, STATEMENT_YEAR)
    pages = -(-year_lines // 100)
    year_from, year_to = date(STATEMENT_YEAR, 1, 1), date(STATEMENT_YEAR, 12, 31)

    def statement(page: int) -> Callable[[], object]:
        def run():
            st = account_statement(
                account=statement_account, date_from=year_from, date_to=year_to, page=page
            )
            assert len(st.lines) == min(100, year_lines - (page - 1) * 100), (page, len(st.lines))
            return st

        return run

    cases: list[tuple[str, str, Callable[[], object], float | None, str]] = [
        (
            "balance_account",
            "balance of account 1000 (bank)",
            lambda: account_balance(account=bank),
            2.0,
            "balance",
        ),
        (
            "balance_contract",
            f"balance of contract {busy_contract} on 1200",
            lambda: account_balance(account=loans, contract=busy_contract),
            2.0,
            "balance",
        ),
        (
            "balance_account_as_of",
            f"balance of 1000 as of {AS_OF_PAST}",
            lambda: account_balance(account=bank, as_of=AS_OF_PAST),
            None,
            "",
        ),
        (
            "balance_contract_as_of",
            f"balance of {busy_contract} as of {AS_OF_PAST}",
            lambda: account_balance(account=loans, contract=busy_contract, as_of=AS_OF_PAST),
            None,
            "",
        ),
        ("trial_balance_now", "trial balance, now", lambda: trial_balance(book=book), 50.0, ""),
        (
            "trial_balance_past",
            f"trial balance as of {AS_OF_PAST}",
            lambda: trial_balance(book=book, as_of=AS_OF_PAST),
            50.0,
            "",
        ),
        (
            "statement_first",
            f"statement {statement_account.code} {STATEMENT_YEAR}, page 1 of {pages}",
            statement(1),
            20.0,
            "statement",
        ),
        (
            "statement_middle",
            f"statement {statement_account.code} {STATEMENT_YEAR}, page {pages // 2} of {pages}",
            statement(pages // 2),
            20.0,
            "statement",
        ),
        (
            "statement_last",
            f"statement {statement_account.code} {STATEMENT_YEAR}, page {pages} of {pages}",
            statement(pages),
            20.0,
            "statement",
        ),
    ]
    results = {
        "statement_account": statement_account.code,
        "statement_year_lines": year_lines,
        "statement_pages": pages,
        "cases": {},
    }
    METER.attach()
    for key, label, fn, target, hordak in cases:
        measured = time_read(fn, args.runs, args.warmup)
        measured.update(label=label, target_ms=target, hordak=HORDAK.get(hordak, ""))
        results["cases"][key] = measured
        print(
            f"  {label:<48} median {measured['median_ms']:8.2f} ms  "
            f"p95 {measured['p95_ms']:8.2f} ms  app cpu {measured['app_cpu_ms']:6.2f} ms  "
            f"db cpu {measured['db_cpu_ms']:6.2f} ms  ({measured['queries']} queries)",
            flush=True,
        )
        if args.explain:
            explain(label, fn)
    return results


# --- report -----------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("ok" if ok else "MISSED")


def print_table(results: dict) -> None:
    single, bulk = results["single"], results["bulk"]
    in_process = results["db"] == "sqlite"  # the engine's CPU is in app cpu

    def db(value: float, unit: str) -> str:
        return "-" if in_process else f"{value:.2f} {unit}"

    rows: list[tuple[str, ...]] = [
        (
            f"single-entry posting, 1 commit each ({single['entries']:,} x 2 lines)",
            f"{single['entries_per_s']:,.0f} entries/s",
            f"{single['median_ms']:.2f} / {single['p95_ms']:.2f} ms",
            f"{single['app_cpu_ms']:.2f} ms",
            db(single["db_cpu_ms"], "ms"),
            f"{single['cpu_wait_ms']:.2f} ms",
            str(single["queries"]),
            ">= 600/s",
            verdict(single["entries_per_s"] >= 600),
            HORDAK["single"],
        ),
        (
            f"bulk posting, {bulk['entries']:,} entries in 1 transaction",
            f"{bulk['entries_per_s']:,.0f} entries/s",
            f"{bulk['median_s']:.2f} s per batch",
            f"{bulk['app_cpu_s']:.2f} s",
            db(bulk["db_cpu_s"], "s"),
            f"{bulk['cpu_wait_s']:.2f} s",
            "",
            ">= 5,000/s",
            verdict(bulk["entries_per_s"] >= 5000),
            "",
        ),
    ]
    for case in results["reads"]["cases"].values():
        target = case["target_ms"]
        rows.append(
            (
                case["label"],
                f"{case['median_ms']:.2f} ms",
                f"{case['median_ms']:.2f} / {case['p95_ms']:.2f} ms",
                f"{case['app_cpu_ms']:.2f} ms",
                db(case["db_cpu_ms"], "ms"),
                f"{case['cpu_wait_ms']:.2f} ms",
                str(case["queries"]),
                f"< {target:g} ms" if target else "-",
                verdict(case["median_ms"] < target if target else None),
                case["hordak"],
            )
        )
    header = (
        "measure",
        "result",
        "median / p95",
        "app cpu",
        "db cpu",
        "cpu wait",
        "queries",
        "target",
        "",
        "hordak 2.0",
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    build, machine = results["build"], results["machine"]
    print()
    print(
        f"Ledger benchmark: {machine['database']}, {build['lines']:,} lines "
        f"({build['entries']:,} entries); nproc {machine['nproc']}, {machine['cpu']}"
    )
    print(rule)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(rule)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(rule)
    print(
        "cpu columns: per read, per posted entry, or per bulk batch; app = this process, "
        "db = the PostgreSQL backend, wait = both waiting for a CPU (a busy machine)"
    )
    single_cpu = (single["app_cpu_ms"] + single["db_cpu_ms"]) / 1000
    bulk_cpu = bulk["app_cpu_s"] + bulk["db_cpu_s"]
    if single_cpu and bulk_cpu:
        print(
            "ceiling on an idle machine of this kind, 1 / (app cpu + db cpu): "
            f"single-entry {1 / single_cpu:,.0f} entries/s, bulk {bulk['entries'] / bulk_cpu:,.0f} "
            "entries/s"
        )
    print(f"load average (1 min) at the start of each phase: {results['load']}")
    print(
        f"build: {build['lines']:,} lines with entries_post_bulk in batches of "
        f"{results['args']['build_batch']:,} entries: {build['seconds']:,.0f} s, "
        f"{build['entries_per_s']:,} entries/s, {build['lines_per_s']:,} lines/s "
        f"(app cpu {build['app_cpu_s']:,.0f} s, db cpu {build['db_cpu_s']:,.0f} s, "
        f"cpu wait {build['cpu_wait_s']:,.0f} s)"
    )
    print(f"ledger code: {machine['code']}")


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url, sqlite_folder = prepare_database(args)
    setup_django(url)
    try:
        return run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if sqlite_folder is not None:
            if args.keep:
                print(f"SQLite file kept: {sqlite_folder / 'bench.sqlite3'}")
            else:
                shutil.rmtree(sqlite_folder, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from ledger.models import Balance
    from ledger.services import book_create

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"migrated in {time.perf_counter() - t0:.1f} s")
    machine = machine_info()
    print(f"machine: nproc {machine['nproc']}, {machine['cpu']}, {machine['database']}")
    print(f"ledger code: {machine['code']}")

    user = get_user_model().objects.create_user(username="bench", password=None)
    book = book_create(
        slug="bench", name="Revolverend Fonds Burgercollectieven (bench)", created_by=user
    )

    note_load("build")
    print(f"building the history ({args.lines:,} lines) with entries_post_bulk ...")
    build = build_history(book, user, args)
    close_history_periods(book, user)
    if not args.no_analyze:
        t0 = time.perf_counter()
        analyze()
        print(f"analyzed in {time.perf_counter() - t0:.1f} s")

    contracts = list(
        Balance.objects.filter(account__book=book, account__code="1200", kind="contract")
        .order_by("key")
        .values_list("key", flat=True)
    )
    parties = [f"C-{n:05d}" for n in range(0, 4000, 7)]
    busy_contract = contracts[len(contracts) // 2]

    note_load("reads")
    print("reads (median of runs after warm-up):")
    reads = measure_reads(book, args, busy_contract)

    note_load("single")
    print(f"single-entry posting: {args.single:,} entries, one commit each ...", flush=True)
    single = measure_single(book, user, args, contracts, parties)
    print(f"  {single['entries_per_s']:,.0f} entries/s")
    note_load("bulk")
    print(f"bulk posting: {args.bulk_runs} x {args.bulk:,} entries, one transaction each ...")
    bulk = measure_bulk(book, user, args, contracts, parties)
    print(f"  {bulk['entries_per_s']:,.0f} entries/s")

    from ledger.checks import check_book

    t0 = time.perf_counter()
    report = check_book(book)
    print(
        f"ledger check: {'ok' if report.ok else 'DIFFERENCES'} "
        f"({time.perf_counter() - t0:.1f} s) {report.differences[:3]}"
    )

    results = {
        "db": args.db,
        "args": vars(args),
        "machine": machine,
        "build": build,
        "reads": reads,
        "single": single,
        "bulk": bulk,
        "check_ok": report.ok,
        "load": LOAD,
    }
    print_table(results)
    if args.json:
        folder = HERE / "results"
        folder.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"ledger-{args.db}-{build['lines']}-{stamp}.json"
        path.write_text(json.dumps(results, indent=2, default=str))
        print(f"results written to {path.relative_to(ROOT)}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
