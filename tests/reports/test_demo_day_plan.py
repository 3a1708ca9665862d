"""The demo runs the day-end only on the days that change the books (reports.demo.day_end_days);
the books must be exactly those of a day-end run every day.

The same eight-month history is told twice, in two funds: once with the day-end every day,
once on the demo's day plan, each run at six in the evening of its day as in the demo. It has
a loan that pays ahead (money held on 2100 and allocated the day the instalment falls due,
and a prepayment that shortens the schedule); a loan that falls into arrears with penalty
interest, is restructured with its arrears capitalised, pays late and is in arrears on the
last day; a loan paid out backdated, so its first instalment is overdue when it is booked;
and a quarterly linear loan paid out in two tranches, first due mid-month, with a backdated
repayment. The journals (every entry's date, description, key, moment and poster and its
lines, normalised for the loan numbers, borrowers and repayment ids, which differ between
the funds), the allocations, charges and accruals, and the loans' arrears snapshots must be
equal.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ledger import clock
from ledger.models import JournalEntry
from loans import services
from loans.models import Accrual, Allocation, Charge, DayRun, Loan, Repayment
from reports import demo
from tests.loans.test_loan_helpers import (
    D,
    assert_books_ok,
    contracted_loan,
    disburse,
    funded_team,
    make_product,
)

START, END = date(2026, 1, 15), date(2026, 9, 15)


def _at(day: date, hour: int):
    """The clock at ``hour`` o'clock on ``day``, as the demo travels (reports.demo._on)."""
    return clock.travel(datetime.combine(day, time(hour), tzinfo=ZoneInfo("Europe/Amsterdam")))


def _day_end(team, day: date) -> None:
    with _at(day, 18):
        services.loan_day_process(fund=team.fund, date=day, run_by=team.manager)


def _every_day(team, after: date, to: date) -> list[date]:
    """The day-end as ``run_day`` catches up: every day."""
    days = []
    day = after
    while day < to:
        day += timedelta(days=1)
        _day_end(team, day)
        days.append(day)
    return days


def _demo_plan(team, after: date, to: date) -> list[date]:
    """The day-end as the demo catches up (reports.demo run_days)."""
    days = []
    for day in demo.day_end_days(team.fund, after=after, to=to):
        _day_end(team, day)
        days.append(day)
    return days


def _history(catch_up) -> tuple[object, list[date]]:
    """The story, each event at ten in the morning of its day, with the day-end caught up to
    the evening before by ``catch_up(team, after, to)``; returns the team and the days the
    day-end ran."""
    team = funded_team()
    first, second = team.manager, team.second_manager
    monthly = make_product(team, penalty_rate=D("4"))
    quarterly = make_product(
        team, code="LIN", method="linear", frequency="quarterly", penalty_rate=D("4")
    )
    ahead = contracted_loan(team, amount="12000.00", term_months=12, product=monthly)
    behind = contracted_loan(
        team, amount="30000.00", term_months=24, product=monthly, first_due=date(2026, 2, 28)
    )
    # paid out on 10 May but booked on 5 June: its first row (due 1 June) is overdue at once
    late = contracted_loan(
        team,
        amount="6000.00",
        term_months=12,
        product=monthly,
        day=date(2026, 5, 1),
        first_due=date(2026, 6, 1),
    )
    tranches = contracted_loan(
        team,
        amount="40000.00",
        term_months=36,
        product=quarterly,
        day=date(2026, 2, 10),
        first_due=date(2026, 4, 15),
    )

    def pay_due(loan, value_date):
        """Pay what is due on ``value_date`` (the event's day may be later: backdated)."""
        loan.refresh_from_db()
        due = sum((i.amount for i in services.loan_status(loan).items(value_date)), D("0"))
        if due > 0:
            services.repayment_record(
                loan=loan, amount=due, value_date=value_date, recorded_by=second
            )

    def pay(loan, amount, value_date):
        services.repayment_record(
            loan=loan, amount=D(amount), value_date=value_date, recorded_by=second
        )

    def restructure(loan, day):
        change = services.loan_change_propose(
            loan=loan,
            kind="restructure",
            effective_date=day,
            proposed_by=first,
            reason="Achterstand bijschrijven, looptijd verlengen.",
            capitalise_arrears=True,
            periods=24,
        )
        services.loan_change_decide(
            change=change, decided_by=second, approve=True, reason="Akkoord."
        )

    def pay_out(loan, amount, day):
        disburse(loan, D(amount), day, first, second)

    feb10, apr20, may10 = date(2026, 2, 10), date(2026, 4, 20), date(2026, 5, 10)
    jun15, jul15 = date(2026, 6, 15), date(2026, 7, 15)
    events = [
        (START, lambda: pay_out(ahead, "12000.00", START)),
        (START, lambda: pay_out(behind, "30000.00", START)),
        (feb10, lambda: pay_out(tranches, "20000.00", feb10)),
        (apr20, lambda: pay_out(tranches, "20000.00", apr20)),  # a new schedule version
        (date(2026, 6, 5), lambda: pay_out(late, "6000.00", may10)),  # backdated
        # a month and a half ahead: one instalment held on 2100, the rest a prepayment
        (date(2026, 3, 20), lambda: pay(ahead, "2065.60", date(2026, 3, 20))),
        (date(2026, 2, 28), lambda: pay_due(behind, date(2026, 2, 28))),
        (date(2026, 3, 31), lambda: pay(behind, "300.00", date(2026, 3, 31))),  # then it stops
        (jun15, lambda: restructure(behind, jun15)),
        (date(2026, 4, 15), lambda: pay_due(tranches, date(2026, 4, 15))),
        (date(2026, 7, 20), lambda: pay_due(tranches, jul15)),  # paid on the 15th, booked later
    ]
    for month in range(2, 10):
        first_of_month, second_of_month = date(2026, month, 1), date(2026, month, 2)
        if month != 4:  # April is paid by the money held ahead
            events.append((first_of_month, lambda d=first_of_month: pay_due(ahead, d)))
        if month in (7, 8):  # paying again after the restructuring, late; not in September
            events.append((second_of_month, lambda d=second_of_month: pay_due(behind, d)))
    events.sort(key=lambda e: e[0])  # stable: events of one day keep their order

    processed = START - timedelta(days=1)
    ran: list[date] = []
    for day, act in events:
        if day - timedelta(days=1) > processed:
            ran += catch_up(team, processed, day - timedelta(days=1))
            processed = day - timedelta(days=1)
        with _at(day, 10):
            act()
    ran += catch_up(team, processed, END)
    return team, ran


def _journal(fund) -> list[tuple]:
    """Every entry of the fund's book in posting order, with its moment, its poster and its
    lines; the loan numbers, borrowers' names and repayment ids replaced by their place in the
    fund (they differ between the funds)."""
    labels = {}
    loans = Loan.objects.filter(fund=fund).order_by("pk")
    for i, (number, name) in enumerate(loans.values_list("number", "collective__name")):
        labels[number], labels[name] = f"LOAN{i}", f"BORROWER{i}"
    repayments = {
        str(pk): f"R{i}"
        for i, pk in enumerate(
            Repayment.objects.filter(loan__fund=fund).order_by("pk").values_list("pk", flat=True)
        )
    }

    def norm(text: str | None) -> str:
        text = text or ""
        for number, label in labels.items():
            text = text.replace(number, label)
        return re.sub(r"^(advance:LOAN\d+:)(\d+):", lambda m: m[1] + repayments[m[2]] + ":", text)

    first, second = fund.managers.order_by("pk")
    roles = {first.pk: "manager", second.pk: "second manager"}
    entries = JournalEntry.objects.filter(book=fund.book).order_by("pk").prefetch_related("lines")
    codes = dict(fund.book.accounts.values_list("pk", "code"))
    return [
        (
            e.date,
            norm(e.description),
            norm(e.idempotency_key),
            e.source_type,
            e.created_at,
            roles.get(e.created_by_id),
            sorted(
                (codes[line.account_id], line.debit, line.credit, norm(line.contract))
                for line in e.lines.all()
            ),
        )
        for e in entries
    ]


def _loans(fund) -> list[tuple]:
    return list(
        Loan.objects.filter(fund=fund)
        .order_by("pk")
        .values_list("state", "days_past_due", "arrears_bucket", "status_date")
    )


def _subledgers(fund) -> tuple[list, list, list]:
    allocations = Allocation.objects.filter(loan__fund=fund).order_by("pk")
    charges = Charge.objects.filter(loan__fund=fund).order_by("pk")
    accruals = Accrual.objects.filter(loan__fund=fund).order_by("pk")
    return (
        list(allocations.values_list("kind", "component", "n", "amount", "date", "undone")),
        list(charges.values_list("kind", "date", "amount", "cancelled")),
        list(accruals.values_list("date", "n", "amount")),
    )


@pytest.mark.django_db
def test_the_demo_day_plan_gives_the_books_of_a_day_end_every_day():
    daily, every = _history(_every_day)
    planned, plan = _history(_demo_plan)

    assert len(every) == (END - START).days + 1
    assert len(plan) < len(every) / 3  # the point of the plan
    assert set(plan) <= set(every)
    assert plan[-1] == END
    assert DayRun.objects.filter(fund=planned.fund).count() == len(plan)

    assert _journal(planned.fund) == _journal(daily.fund)
    assert _subledgers(planned.fund) == _subledgers(daily.fund)
    assert _loans(planned.fund) == _loans(daily.fund)
    assert_books_ok(daily.fund)
    assert_books_ok(planned.fund)

    # the story exercises what the plan must not miss
    loans = list(Loan.objects.filter(fund=planned.fund).order_by("pk"))
    journal = _journal(planned.fund)
    sources = {e[3] for e in journal}
    assert {"loans.interest_due", "loans.accrual", "loans.penalty", "loans.advance"} <= sources
    assert any(e[2].startswith("accrual-rev:") for e in journal)
    assert Allocation.objects.filter(loan=loans[0], kind="advance", undone=False).exists()
    assert loans[0].versions.count() > 1  # the prepayment shortened the schedule
    assert loans[1].versions.filter(reason="restructure").exists()
    assert loans[3].versions.count() > 1  # the second tranche
    assert JournalEntry.objects.get(  # the backdated tranche's first row: due the day after
        book=planned.fund.book, idempotency_key=f"due:{loans[2].number}:1:1"
    ).created_at.date() == date(2026, 6, 5)
    assert loans[1].days_past_due > 0  # in arrears on the last day
