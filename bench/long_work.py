#!/usr/bin/env python
"""Long work and the people waiting for it: how long a repayment waits while a bank import or
a day-end runs on the same fund (PostgreSQL, two sessions). Run by hand (bench/README.md)::

    .venv/bin/python bench/long_work.py                 # 300 loans, 1,200 import lines
    .venv/bin/python bench/long_work.py --loans 1000 --lines 5000

It drops and re-creates the database ``burgerfonds_bench_long``, builds a fund with ``--loans``
loans through the services, and then, for each kind of long work, runs it in one thread while
the main thread records a repayment on another loan every 200 ms. Each is run twice: as one
transaction (how it was: ``batch_size`` = everything, no lock timeout) and in batches with
the lock timeout (how it is). Printed: the work's duration, and the repayments' waits
(median, worst) and how many got "busy" (lock timeout) instead of waiting.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(args) -> None:
    import psycopg

    admin = f"host={args.pg_host} port={args.pg_port} user={args.pg_user} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {args.pg_dbname}")
        conn.execute(f"CREATE DATABASE {args.pg_dbname}")
    os.environ["DATABASE_URL"] = (
        f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.pg_dbname}"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(64))
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(loans: int):
    from tests.loans.test_loan_helpers import disbursed_loan, funded_team

    team = funded_team(revolving=str(Decimal(loans) * 7000))
    started = time.monotonic()
    made = []
    for i in range(loans):
        made.append(disbursed_loan(team, amount="6000.00", term_months=24))
        if (i + 1) % 100 == 0:
            print(f"  {i + 1} loans built ({time.monotonic() - started:.0f} s)", flush=True)
    extra = disbursed_loan(team, amount="6000.00", term_months=24)
    return team, made, extra


def measure(work, team, target, label: str, lock_timeout_ms: int) -> None:
    """Run ``work`` in a thread; record a repayment on ``target`` every 200 ms meanwhile."""
    from django.db import OperationalError, connection

    from ledger.locks import is_busy
    from loans import services

    def session_timeout():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{lock_timeout_ms}ms"])

    done = threading.Event()
    took = {}

    def run():
        session_timeout()
        start = time.monotonic()
        try:
            work()
        finally:
            took["work"] = time.monotonic() - start
            done.set()
            connection.close()

    thread = threading.Thread(target=run)
    session_timeout()
    thread.start()
    time.sleep(0.3)
    waits, busy = [], 0
    while not done.is_set():
        start = time.monotonic()
        try:
            services.repayment_record(
                loan=target,
                amount=Decimal("1.00"),
                value_date=date(2026, 2, 1),
                recorded_by=team.manager,
            )
            waits.append(time.monotonic() - start)
        except OperationalError as error:
            if not is_busy(error):
                raise
            busy += 1
        time.sleep(0.2)
    thread.join()
    if waits:
        print(
            f"{label:<44} work {took['work']:6.1f} s | repayments {len(waits):3d}: "
            f"median {statistics.median(waits) * 1000:7.0f} ms, worst "
            f"{max(waits) * 1000:7.0f} ms | busy {busy}",
            flush=True,
        )
    else:
        print(f"{label:<44} work {took['work']:6.1f} s | no repayment got in | busy {busy}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=300)
    parser.add_argument("--lines", type=int, default=1200)
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", default="5432")
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--pg-dbname", default="burgerfonds_bench_long")
    args = parser.parse_args()
    if "bench" not in args.pg_dbname:
        parser.error("the scratch database's name must contain 'bench'")
    setup(args)
    import time_machine

    from loans import services

    with time_machine.travel(date(2026, 4, 5), tick=True):
        print(f"building {args.loans} loans ...", flush=True)
        team, loans, target = build(args.loans)

        def import_file(batch_size):
            lines = [
                services.BankLine(
                    value_date=date(2026, 2, 1) if n < len(loans) else date(2026, 2, 2),
                    amount=Decimal("10.00"),
                    description=f"termijn {loans[n % len(loans)].number} #{n}",
                    bank_reference=f"{batch_size}-{n}",
                )
                for n in range(args.lines)
            ]
            return lambda: services.repayments_import(
                fund=team.fund, lines=lines, imported_by=team.manager, batch_size=batch_size
            )

        print(f"\n{args.loans} loans, PostgreSQL, repayments on another loan meanwhile")
        measure(
            import_file(args.lines), team, target, f"import {args.lines} lines, one transaction", 0
        )
        measure(
            import_file(services.IMPORT_BATCH),
            team,
            target,
            f"import {args.lines} lines, batches",
            5000,
        )
        for day, size, label, timeout in (
            (date(2026, 2, 27), 10**9, "day-end, ordinary day, one transaction", 0),
            (date(2026, 2, 28), 10**9, "day-end, month end, one transaction", 0),
        ):
            measure(
                lambda day=day, size=size: services.loan_day_process(
                    fund=team.fund, date=day, batch_size=size
                ),
                team,
                target,
                label,
                timeout,
            )
        services.loans_run_days(
            funds=[team.fund], date_from=date(2026, 3, 1), date_to=date(2026, 3, 29)
        )
        for day, label in (
            (date(2026, 3, 30), "day-end, ordinary day, batches"),
            (date(2026, 3, 31), "day-end, month end, batches"),
        ):
            measure(
                lambda day=day: services.loan_day_process(fund=team.fund, date=day),
                team,
                target,
                label,
                5000,
            )


if __name__ == "__main__":
    main()
