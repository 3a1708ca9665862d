"""Long work commits in short batches and resumes where it stopped (issue #10, "Long work
does not lock people out"): the day-end over the loans of a fund, and a bank import."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger import exceptions as ledger_exc
from ledger.services import period_close, period_create
from loans import services
from loans.models import DayRun, Repayment, UnmatchedReceipt
from loans.services import bank_import, day_end
from tests.loans.test_loan_helpers import (
    assert_books_ok,
    book_state,
    disbursed_loan,
    funded_team,
)

MONTH_END = date(2026, 2, 28)
LOANS = 5


def fund_with_loans():
    team = funded_team()
    loans = [disbursed_loan(team, amount="6000.00", term_months=12) for _ in range(LOANS)]
    return team, loans


class Crash(Exception):
    pass


def crash_on_call(monkeypatch, module, name: str, call: int):
    """Let ``module.<name>`` fail on its ``call``-th call, as a killed process would."""
    real = getattr(module, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise Crash(f"{name} stopped at call {call}")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)


def test_day_end_in_batches_books_what_one_transaction_books(db):
    (small, _), (whole, _) = fund_with_loans(), fund_with_loans()
    first = date(2026, 2, 1)
    services.loans_run_days(funds=[small.fund], date_from=first, date_to=MONTH_END)
    for day in range(1, 29):
        services.loan_day_process(fund=whole.fund, date=date(2026, 2, day), batch_size=2)
    assert book_state(small.fund) == book_state(whole.fund)
    a = DayRun.objects.get(fund=small.fund, date=MONTH_END)
    b = DayRun.objects.get(fund=whole.fund, date=MONTH_END)
    assert (a.accrued, a.due, a.completed) == (b.accrued, b.due, b.completed) == (LOANS, 0, True)
    feb1 = DayRun.objects.get(fund=whole.fund, date=first)
    assert feb1.due == LOANS  # the batches' counts add up


def test_a_day_end_that_stopped_halfway_is_finished_by_running_again(db, monkeypatch):
    (team, _), (twin, _) = fund_with_loans(), fund_with_loans()
    services.loans_run_days(funds=[twin.fund], date_from=date(2026, 2, 1), date_to=MONTH_END)
    services.loans_run_days(
        funds=[team.fund], date_from=date(2026, 2, 1), date_to=date(2026, 2, 27)
    )
    monkeypatch.setattr(day_end, "DAY_BATCH", 2)
    crash_on_call(monkeypatch, day_end, "_day_batch", 2)
    with pytest.raises(Crash):
        services.loans_run_days(funds=[team.fund], date_to=MONTH_END)
    run = DayRun.objects.get(fund=team.fund, date=MONTH_END)
    assert not run.completed and run.accrued == 2  # the first batch is booked and counted
    monkeypatch.undo()
    runs = services.loans_run_days(funds=[team.fund], date_to=MONTH_END)
    assert [r.date for r in runs] == [MONTH_END]  # it resumes at the unfinished day
    run.refresh_from_db()
    assert run.completed and run.accrued == LOANS
    assert book_state(team.fund) == book_state(twin.fund)
    assert_books_ok(team.fund)


def lines_for(loans, day=date(2026, 2, 1), amount="516.40"):
    return [
        services.BankLine(
            value_date=day,
            amount=Decimal(amount),
            description=f"termijn {loan.number}",
            counterparty_iban="",
            counterparty_name=loan.collective.name,
            bank_reference="",
        )
        for loan in loans
    ]


def test_an_import_books_in_batches_reports_progress_and_resumes(db, monkeypatch):
    team, loans = fund_with_loans()
    lines = lines_for(loans)
    seen = []
    crash_on_call(monkeypatch, bank_import, "_import_batch", 2)
    with pytest.raises(Crash):
        services.repayments_import(
            fund=team.fund,
            lines=lines,
            imported_by=team.manager,
            batch_size=2,
            progress=lambda done, total: seen.append((done, total)),
        )
    assert seen == [(2, LOANS)]
    assert Repayment.objects.filter(loan__fund=team.fund).count() == 2
    monkeypatch.undo()
    seen.clear()
    result = services.repayments_import(
        fund=team.fund,
        lines=lines,
        imported_by=team.manager,
        batch_size=2,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(2, LOANS), (4, LOANS), (LOANS, LOANS)]
    assert (len(result.skipped), len(result.repayments)) == (2, 3)
    assert Repayment.objects.filter(loan__fund=team.fund).count() == LOANS
    assert_books_ok(team.fund)


def test_an_import_with_a_line_in_a_closed_period_writes_nothing(db):
    team, loans = fund_with_loans()
    period = period_create(
        book=team.fund.book, name="2026-01", start=date(2026, 1, 1), end=date(2026, 1, 31)
    )
    period_close(period=period, closed_by=team.manager)
    lines = lines_for(loans) + lines_for(loans[:1], day=date(2026, 1, 20))
    with pytest.raises(ledger_exc.ClosedPeriod):
        services.repayments_import(
            fund=team.fund, lines=lines, imported_by=team.manager, batch_size=2
        )
    assert not Repayment.objects.filter(loan__fund=team.fund).exists()
    assert not UnmatchedReceipt.objects.filter(fund=team.fund).exists()


def test_a_bank_reference_is_booked_once_within_a_file_and_across_batches(db):
    team, loans = fund_with_loans()
    line = lines_for(loans[:1])[0]
    twice = [line.__class__(**{**line.__dict__, "bank_reference": "REF-1"})] * 3
    result = services.repayments_import(
        fund=team.fund, lines=twice, imported_by=team.manager, batch_size=2
    )
    assert (len(result.repayments), len(result.skipped)) == (1, 2)
    again = services.repayments_import(fund=team.fund, lines=twice, imported_by=team.manager)
    assert (len(again.repayments), len(again.skipped)) == (0, 3)
    assert Repayment.objects.filter(loan__fund=team.fund, bank_reference="REF-1").count() == 1
