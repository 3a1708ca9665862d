#!/usr/bin/env python
"""Investor statements in bulk: a run of ``--investors`` statements with ``--workers``
processes, against the floor, which is laying out the very same HTML with bare WeasyPrint in
the same processes. Run by hand (bench/README.md)::

    .venv/bin/python bench/statements.py                      # 1,000 investors, 2 workers
    .venv/bin/python bench/statements.py --investors 100      # a quick look

It builds a scratch SQLite database (``--db``, removed first): the demo (two funds, loans with
three years of history), then ``--investors`` more investors, each with a commitment and a
contribution to the revolving compartment of the fund ``rfb`` in the period. Then:

1. the floor: the statements' HTML (``statement_htmls``; ``--floor-sample N``: N of them,
   spread over the investors) laid out with bare
   ``weasyprint.HTML(string=...).write_pdf()`` in a process pool of the same size, timed;
2. the run: ``reports.statements.statements_issue`` for 2026-Q3 (``--period``), workers as
   given, timed, with the queries it made counted;
3. the floor again (the ratio takes the mean of both floors, so other load on the machine
   weighs on both alike).

Printed: seconds per statement for both, their ratio (target: at most 1.5), the run's queries
(which must not grow with the number of investors), and peak memory (this process and the
largest worker, from getrusage).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import secrets
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(db: Path) -> None:
    if db.exists():
        db.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(64))
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    os.environ["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(investors: int, day: date):
    from django.contrib.auth import get_user_model

    from fund import services
    from fund.models import CompartmentKind, Fund, InvestorKind
    from ledger import clock
    from reports import demo

    started = time.monotonic()
    demo.seed(progress=lambda *_: None)
    print(f"demo seeded in {time.monotonic() - started:.0f} s")
    fund = Fund.objects.get(slug="rfb")
    manager = get_user_model().objects.get(username="beheerder")
    compartment = fund.compartments.get(kind=CompartmentKind.REVOLVING)
    started = time.monotonic()
    with clock.travel(day):
        for n in range(investors):
            investor = services.investor_create(
                code=f"BENCH-{n:05d}",
                name=f"Bewonersfonds {n:05d}",
                kind=InvestorKind.CITIZENS,
                created_by=manager,
                email=f"fonds{n:05d}@example.org",
                language="en" if n % 10 == 0 else "nl",
            )
            commitment = services.commitment_create(
                investor=investor,
                compartment=compartment,
                amount=Decimal("2000.00"),
                date=day,
                created_by=manager,
            )
            services.contribution_record(
                commitment=commitment,
                amount=Decimal("1500.00"),
                date=day,
                created_by=manager,
            )
    print(f"{investors} investors added in {time.monotonic() - started:.0f} s")
    return fund, manager


def _bare(html: str) -> int:
    from weasyprint import HTML

    return len(HTML(string=html).write_pdf())


def floor(fund, period, workers: int, sample: int) -> tuple[float, int]:
    """Lay the run's statements (or ``sample`` of them, evenly spread) out with bare
    WeasyPrint: the same HTML, in a pool of the same size."""
    from django.db import connections

    from reports.investor_statements import commitments_by_investor
    from reports.statements import statement_htmls

    commitments = commitments_by_investor(fund, period)
    investors = sorted({c.investor for rows in commitments.values() for c in rows}, key=str)
    if sample:
        step = max(1, len(investors) // sample)
        investors = investors[::step][:sample]
    todo = [(investor, 1) for investor in investors]
    htmls = [job.html for job in statement_htmls(fund, period, todo, commitments)]
    connections.close_all()
    started = time.monotonic()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        sizes = list(pool.map(_bare, htmls, chunksize=4))
    return time.monotonic() - started, len(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--investors", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument(
        "--floor-sample",
        type=int,
        default=0,
        help="lay out only this many statements bare for the floor (0: all of them)",
    )
    scratch = Path(tempfile.gettempdir()) / "burgerfonds_bench_statements.sqlite3"
    parser.add_argument("--db", type=Path, default=scratch)
    args = parser.parse_args()

    setup(args.db)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.investor_statements import parse_period
    from reports.statements import statements_issue

    period = parse_period(args.period)
    fund, manager = build(args.investors, date(period.end.year, period.end.month, 15))

    # The floor is measured before and after the run, and their mean taken, so that other
    # load on the machine weighs on both alike.
    floor_before, laid = floor(fund, period, args.workers, args.floor_sample)
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        result = statements_issue(fund=fund, period=period, issued_by=manager, workers=args.workers)
        run = time.monotonic() - started
    floor_after, _laid = floor(fund, period, args.workers, args.floor_sample)
    floor_each = (floor_before + floor_after) / 2 / laid
    issued = len(result.issued)
    verbs: dict[str, int] = {}
    for query in queries.captured_queries:
        verb = query["sql"].split(None, 1)[0].upper()
        verbs[verb] = verbs.get(verb, 0) + 1
    print(
        f"run:   {issued} statements in {run:.1f} s, {run / issued:.3f} s each "
        f"({args.workers} workers); {len(queries.captured_queries)} queries: "
        + ", ".join(f"{n} {verb}" for verb, n in sorted(verbs.items()))
    )
    print(
        f"floor: {laid} of the same PDFs with bare WeasyPrint in {floor_before:.1f} s before "
        f"the run and {floor_after:.1f} s after, {floor_each:.3f} s each"
    )
    print(f"ratio run / floor, per statement: {run / issued / floor_each:.2f} (target at most 1.5)")
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: this process {me:.0f} MB, largest worker {children:.0f} MB")


if __name__ == "__main__":
    main()
