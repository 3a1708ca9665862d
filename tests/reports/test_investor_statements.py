"""Investor statements: the figures of a period read from the ledger, the run that issues and
keeps the PDFs, the command, the pages and their permissions (reports/investor_statements.py,
reports/statements.py, reports/models.py, reports/statement_views.py, docs/statements.md).

A worked example builds a fund's history through the services with the clock set to each day
(2026-Q2 to Q4) and checks every figure of 2026-Q3 to the cent; the demo's two funds are
reconciled with the ledger as of the period end for every quarter and year of their story
(2026-Q3 and 2025 among them); the stored PDFs are read back with pypdf.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import re
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pypdf
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from fund import services as fs
from fund.exceptions import NotAllowed
from fund.models import Commitment, CompartmentKind, Contribution, Fund, GrantPayment, Investor
from ledger import chart
from ledger.models import Account, AuditEvent, JournalLine
from ledger.money import format_amount, from_cents
from ledger.selectors import account_balance
from loans import services as ls
from loans.models import Disbursement, Loan, LoanState
from loans.selectors import loan_positions_at
from reports import charts, demo
from reports.audit import ReportAction
from reports.investor_statements import (
    BUCKETS,
    PeriodError,
    commitments_by_investor,
    fund_figures,
    investor_figures,
    parse_period,
)
from reports.models import InvestorStatement, StatementImmutable
from reports.statements import StatementError, statements_issue
from tests.factories import (
    InvestorFactory,
    UserFactory,
    awarded_grant,
    create_fund_team,
    create_funded_team,
    create_investor_user,
    fund_compartment,
    pay_grant,
)
from tests.loans.test_loan_helpers import (
    contract_balance,
    contracted_loan,
    disburse,
    disbursed_loan,
    funded_team,
    make_product,
    rows,
)
from tests.web.conftest import build_world, capital_in

D = Decimal
Q3 = date(2026, 7, 1), date(2026, 9, 30)


# --- helpers ---------------------------------------------------------------------------------


def pdf_text(content) -> str:
    """The PDF's text, whitespace (also the no-break space of ``€ 1.234,56``) as one space."""
    reader = pypdf.PdfReader(io.BytesIO(bytes(content)))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def eur(value, language: str = "nl") -> str:
    """An amount as the statement prints it, with a plain space after the euro sign."""
    with translation.override(language):
        return format_amount(D(value)).replace("\xa0", " ")


def account(fund: Fund, code: str) -> Account:
    return Account.objects.get(book_id=fund.book_id, code=code)


def balance_at(fund: Fund, code: str, day: date, party: str | None = None) -> Decimal:
    """Debit-positive balance of ``code`` at the end of ``day`` (ledger.selectors)."""
    return from_cents(account_balance(account=account(fund, code), party=party, as_of=day))


def credit_at(fund: Fund, code: str, day: date, party: str | None = None) -> Decimal:
    return -balance_at(fund, code, day, party)


def stub_pdf(monkeypatch) -> None:
    """Lay the statements out as a tiny stand-in PDF (for tests about the database, not the
    layout): WeasyPrint takes seconds per statement."""

    def fake(html: str) -> bytes:
        return b"%PDF-1.4 stand-in " + hashlib.sha256(html.encode()).hexdigest().encode()

    monkeypatch.setattr("reports.statements.html_to_pdf", fake)


def statement_guards(*, install: bool) -> None:
    """Drop (and with ``install`` create again) the triggers of reports/migrations/0001 that
    keep reports_investorstatement append-only, with the migration's own SQL."""
    migration = importlib.import_module("reports.migrations.0001_investor_statements")
    create, drop = migration.SQL[connection.vendor]
    with connection.cursor() as cursor:
        for sql in drop + (create if install else []):
            cursor.execute(sql)


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end", "key"),
    [
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
        ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31), "2025-Q4"),
        ("2025", date(2025, 1, 1), date(2025, 12, 31), "2025"),
        ("2026-q2", date(2026, 4, 1), date(2026, 6, 30), "2026-Q2"),
        (" 2024-Q2 ", date(2024, 4, 1), date(2024, 6, 30), "2024-Q2"),
    ],
)
def test_a_period_is_a_quarter_or_a_year(text, start, end, key):
    period = parse_period(text)
    assert (period.start, period.end, period.key) == (start, end, key)
    assert period.is_year == ("-Q" not in key)


@pytest.mark.parametrize(
    "text",
    ["2026-Q4", "2026", "2027-Q1", "", "junk", "2026-Q5", "2026-Q0", "2026Q3", "26-Q3", "1999"],
)
def test_a_period_that_has_not_ended_or_is_no_period_is_refused(text):
    # today is 28-11-2026 (tests/conftest.py): 2026-Q4 and the year 2026 are not over
    with pytest.raises(PeriodError):
        parse_period(text)


def test_a_period_counts_as_ended_from_the_day_after_its_last_day():
    assert parse_period("2026-Q3", today=date(2026, 10, 1)).end == date(2026, 9, 30)
    with pytest.raises(PeriodError):
        parse_period("2026-Q3", today=date(2026, 9, 30))
    assert parse_period("2026", today=date(2027, 1, 1)).end == date(2026, 12, 31)


# --- a worked example ------------------------------------------------------------------------


@dataclass
class History:
    team: object
    a: Investor  # revolving and grant capital, pays in during Q3 and Q4
    b: Investor  # revolving only, reads English
    c: Investor  # commits only after Q3
    loan1: Loan  # disbursed in Q2, two instalments late at the end of Q3, paid in October
    loan2: Loan  # contracted in Q2, disbursed in Q3, paid on time
    loan3: Loan  # contracted in Q3, disbursed in Q4
    grant: object  # awarded and partly paid in Q3


def build_history(clock_at, *, day_end: bool = False) -> History:
    """A fund's 2026, each step through the services on its own day (the clock moved there);
    with ``day_end`` the day-end runs every day, as in production."""
    team = None

    def on(day: date) -> None:
        clock_at(day)
        if day_end and team is not None and Loan.objects.filter(fund=team.fund).exists():
            ls.loans_run_days(funds=[team.fund], date_to=day - timedelta(days=1))

    on(date(2026, 4, 1))
    team = create_fund_team()
    fund = team.fund
    a = InvestorFactory(name="Provincie Overijssel", email="overijssel@example.org")
    b = InvestorFactory(name="Stichting Zonnig Geld", email="zonnig@example.org", language="en")
    c = InvestorFactory(name="Gemeente Laat", email="laat@example.org")

    def commit_and_pay(investor, kind, committed, paid, day) -> Commitment:
        commitment = fs.commitment_create(
            investor=investor,
            compartment=fund.compartments.get(kind=kind),
            amount=committed,
            date=day,
            created_by=team.manager,
        )
        fs.contribution_record(
            commitment=commitment, amount=paid, date=day, created_by=team.manager
        )
        return commitment

    def pay(loan, *numbers, day):
        on(day)
        due = [r for r in rows(loan) if r.n in numbers]
        fees = contract_balance(loan, chart.FEES_RECEIVABLE)
        ls.repayment_record(
            loan=loan,
            amount=sum(r.payment for r in due) + fees,
            value_date=day,
            recorded_by=team.manager,
        )

    rev, grant_kind = CompartmentKind.REVOLVING, CompartmentKind.GRANT
    a_rev = commit_and_pay(a, rev, "300000.00", "200000.00", date(2026, 4, 1))
    commit_and_pay(a, grant_kind, "60000.00", "60000.00", date(2026, 4, 1))
    on(date(2026, 4, 15))
    make_product(team)
    loan1 = contracted_loan(
        team, amount="12000.00", term_months=12, day=date(2026, 4, 15), first_due=date(2026, 5, 15)
    )
    disburse(loan1, "12000.00", date(2026, 4, 15), team.manager, team.second_manager)
    on(date(2026, 5, 1))
    commit_and_pay(b, rev, "100000.00", "100000.00", date(2026, 5, 1))
    pay(loan1, 1, day=date(2026, 5, 15))
    pay(loan1, 2, day=date(2026, 6, 15))
    on(date(2026, 6, 20))
    loan2 = contracted_loan(
        team, amount="6000.00", term_months=6, day=date(2026, 6, 20), first_due=date(2026, 8, 10)
    )
    # --- Q3
    on(date(2026, 7, 10))
    disburse(loan2, "6000.00", date(2026, 7, 10), team.manager, team.second_manager)
    pay(loan1, 3, day=date(2026, 7, 15))
    on(date(2026, 7, 20))
    grant = awarded_grant(team=team, amount="10000.00", day=date(2026, 7, 20))
    pay(loan2, 1, day=date(2026, 8, 10))
    fs.contribution_record(
        commitment=a_rev, amount="50000.00", date=date(2026, 8, 10), created_by=team.manager
    )
    on(date(2026, 8, 20))
    pay_grant(grant=grant, amount="4000.00", date=date(2026, 8, 20), team=team)
    on(date(2026, 9, 1))
    loan3 = contracted_loan(
        team, amount="8000.00", term_months=12, day=date(2026, 9, 1), first_due=date(2026, 11, 20)
    )
    pay(loan2, 2, day=date(2026, 9, 10))
    # loan 1's instalments of 15 August and 15 September stay unpaid until October
    # --- Q4
    pay(loan1, 4, 5, day=date(2026, 10, 5))
    pay(loan2, 3, day=date(2026, 10, 10))
    on(date(2026, 10, 12))
    commit_and_pay(c, rev, "20000.00", "20000.00", date(2026, 10, 12))
    on(date(2026, 10, 20))
    disburse(loan3, "8000.00", date(2026, 10, 20), team.manager, team.second_manager)
    on(date(2026, 10, 30))
    fs.contribution_record(
        commitment=a_rev, amount="10000.00", date=date(2026, 10, 30), created_by=team.manager
    )
    on(date(2026, 11, 28))
    for loan in (loan1, loan2, loan3):
        loan.refresh_from_db()
    return History(team=team, a=a, b=b, c=c, loan1=loan1, loan2=loan2, loan3=loan3, grant=grant)


@pytest.mark.django_db
def test_worked_example_the_figures_of_2026_q3(clock_at):
    h = build_history(clock_at, day_end=True)
    fund = h.team.fund
    start, end = Q3
    day_before = start - timedelta(days=1)
    r1 = {r.n: r for r in rows(h.loan1)}
    r2 = {r.n: r for r in rows(h.loan2)}
    f = fund_figures(fund, parse_period("2026-Q3"))

    # Bank and pool: 1000 at 30-06 and 30-09; the pool less what is contracted, not paid out
    assert f.cash_start == balance_at(fund, chart.BANK_REVOLVING, day_before)
    assert f.cash_end == balance_at(fund, chart.BANK_REVOLVING, end)
    assert f.cash_start == D("300000.00") - D("12000.00") + r1[1].payment + r1[2].payment
    assert f.cash_start == D("290065.60")
    received_q3 = r1[3].payment + r2[1].payment + r2[2].payment
    assert f.cash_end == f.cash_start + D("50000.00") - D("6000.00") + received_q3
    assert f.cash_end == D("337133.54")
    assert f.undisbursed_start == h.loan2.principal == D("6000.00")  # contracted 20-06
    assert f.undisbursed_end == h.loan3.principal == D("8000.00")  # contracted 01-09
    assert f.pool_start == f.cash_start - D("6000.00")
    assert f.pool_end == f.cash_end - D("8000.00")

    # What happened in Q3, to the cent: the schedule rows of the instalments paid in Q3
    paid = [r1[3], r2[1], r2[2]]
    flows = f.flows
    assert flows.contributions == D("50000.00")
    assert flows.disbursed == D("6000.00")
    assert flows.repaid_principal == sum(r.principal for r in paid) == D("2962.63")
    assert flows.repaid_interest == sum(r.interest for r in paid) == D("105.31")
    assert flows.repaid_fees == D("0.00")
    assert flows.paid_ahead == D("0.00")
    assert flows.grants_paid == D("4000.00")
    assert (flows.written_off, flows.converted) == (D("0.00"), D("0.00"))
    income = credit_at(fund, chart.INTEREST_INCOME, end) - credit_at(
        fund, chart.INTEREST_INCOME, day_before
    )
    assert flows.interest_income == income > 0  # interest fallen due and accrued in Q3

    # The portfolio at 30-09
    q = f.quality
    outstanding = balance_at(fund, chart.LOANS_PRINCIPAL, end)
    assert q.outstanding == outstanding
    late_principal = D("12000.00") - sum(r1[n].principal for n in (1, 2, 3))
    current_principal = D("6000.00") - sum(r2[n].principal for n in (1, 2))
    assert outstanding == late_principal + current_principal == D("13086.91")
    buckets = {row.bucket: row for row in q.buckets}
    assert list(buckets) == BUCKETS
    # loan 1: the instalments of 15-08 and 15-09 unpaid on 30-09, 46 days: 31-60, although
    # they were paid on 05-10 (the position as of the period end, not as of today)
    assert (buckets["31-60"].loans, buckets["31-60"].principal) == (1, late_principal)
    assert buckets["31-60"].arrears == r1[4].payment + r1[5].payment == D("2065.60")
    assert (buckets["current"].loans, buckets["current"].principal) == (1, current_principal)
    assert buckets["current"].arrears == D("0.00")
    assert all(buckets[b].loans == 0 for b in ("1-30", "61-90", "90+"))
    assert q.par30 == (late_principal / outstanding).quantize(D("0.0001")) == D("0.6928")
    assert q.write_off_ratio == D("0.0000")
    # loan 3 was contracted, not yet paid out, at 30-09 (it is running now)
    assert [(str(label), n) for label, n in q.by_state] == [("Gecontracteerd", 1), ("Lopend", 2)]
    [at_end] = loan_positions_at([h.loan1], end)
    [after] = loan_positions_at([h.loan1], date(2026, 10, 5))
    assert (at_end.days_past_due, at_end.bucket) == (46, "31-60")
    assert (after.days_past_due, after.arrears) == (0, D("0.00"))

    # Revolving: lent since the start over capital paid in on 3000
    rv = f.revolving
    assert rv.disbursed == D("18000.00")
    assert rv.repaid == sum(r1[n].principal for n in (1, 2, 3)) + sum(
        r2[n].principal for n in (1, 2)
    )
    assert rv.capital == credit_at(fund, chart.CAPITAL_REVOLVING, end) == D("350000.00")
    assert rv.factor == D("0.05")  # 18.000 / 350.000
    assert rv.relent == D("0.00")  # less lent than paid in: nothing lent again yet

    # The compartments, from their bank and capital accounts
    by_kind = {c.kind: c for c in f.compartments}
    grant = by_kind[CompartmentKind.GRANT]
    assert (grant.cash_start, grant.cash_end) == (D("60000.00"), D("56000.00"))
    assert (grant.capital_start, grant.capital_end) == (D("60000.00"), D("60000.00"))
    assert by_kind[CompartmentKind.REVOLVING].capital_start == D("300000.00")

    # Charts: 1000 at each month end, the last four quarters' principal out and back
    assert len(f.pool_months) == 12 and f.pool_months[-1] == (end, f.cash_end)
    assert (day_before, f.cash_start) in f.pool_months
    for month_end, cash in f.pool_months:
        assert cash == balance_at(fund, chart.BANK_REVOLVING, month_end)
    assert f.quarters[-1] == ("K3 2026", D("6000.00"), flows.repaid_principal)
    assert f.quarters[-2][1] == D("12000.00")  # loan 1, in Q2

    # Each investor's capital, from its party on 3000/3010 as of 30-09 (not C: committed later)
    commitments = commitments_by_investor(fund, f.period)
    assert set(commitments) == {h.a.pk, h.b.pk}
    parts = {inv.code: investor_figures(f, inv, commitments[inv.pk]) for inv in (h.a, h.b)}
    a_rows = {row.compartment: row for row in parts[h.a.code].rows}
    b_rows = {row.compartment: row for row in parts[h.b.code].rows}
    assert set(a_rows) == {CompartmentKind.REVOLVING, CompartmentKind.GRANT}
    assert set(b_rows) == {CompartmentKind.REVOLVING}
    for inv, inv_rows in ((h.a, a_rows), (h.b, b_rows)):
        for kind, row in inv_rows.items():
            code = chart.CAPITAL_ACCOUNT[kind]
            assert row.paid_total == credit_at(fund, code, end, party=inv.code)
            assert row.paid_in_period == row.paid_total - credit_at(
                fund, code, day_before, party=inv.code
            )
            capital = credit_at(fund, code, end)
            assert row.share == (row.paid_total / capital).quantize(D("0.0001"))
    rev = a_rows[CompartmentKind.REVOLVING]
    assert (rev.committed, rev.paid_in_period, rev.paid_total) == (
        D("300000.00"),
        D("50000.00"),
        D("250000.00"),  # not the 10.000 of 30-10
    )
    assert (rev.open, rev.share) == (D("50000.00"), D("0.7143"))
    assert (a_rows[CompartmentKind.GRANT].paid_total, a_rows[CompartmentKind.GRANT].share) == (
        D("60000.00"),
        D("1.0000"),
    )
    b_rev = b_rows[CompartmentKind.REVOLVING]
    assert (b_rev.committed, b_rev.paid_in_period, b_rev.paid_total, b_rev.share) == (
        D("100000.00"),
        D("0.00"),
        D("100000.00"),
        D("0.2857"),
    )
    assert parts[h.a.code].paid_total == D("310000.00")
    assert parts[h.a.code].open == D("50000.00")


@pytest.mark.django_db
def test_worked_example_q2_ends_where_q3_begins(clock_at):
    h = build_history(clock_at)
    fund = h.team.fund
    q2 = fund_figures(fund, parse_period("2026-Q2"))
    q3 = fund_figures(fund, parse_period("2026-Q3"))
    assert q2.cash_end == q3.cash_start
    assert q2.pool_end == q3.pool_start
    assert q2.undisbursed_end == q3.undisbursed_start == D("6000.00")
    assert q2.quality.outstanding == balance_at(fund, chart.LOANS_PRINCIPAL, date(2026, 6, 30))
    assert q2.flows.contributions == D("360000.00")  # A 200.000 + 60.000, B 100.000
    assert q2.flows.disbursed == D("12000.00")
    assert q2.flows.grants_paid == D("0.00")
    assert q2.quality.buckets[0].loans == 1  # loan 1, current at 30-06
    commitments = commitments_by_investor(fund, q2.period)
    a = investor_figures(q2, h.a, commitments[h.a.pk])
    rev = next(r for r in a.rows if r.compartment == CompartmentKind.REVOLVING)
    assert (rev.paid_total, rev.share) == (D("200000.00"), D("0.6667"))


@pytest.mark.django_db
def test_loans_by_state_are_counted_as_they_stood_at_the_period_end(clock_at):
    clock_at(date(2026, 7, 1))
    team = funded_team(revolving="100000.00")
    paying_out = contracted_loan(
        team, amount="10000.00", term_months=12, day=date(2026, 7, 1), first_due=date(2026, 8, 1)
    )
    disburse(paying_out, "4000.00", date(2026, 7, 1), team.manager, team.second_manager)
    disbursed_loan(team, amount="5000.00", day=date(2026, 7, 1), first_due=date(2026, 8, 1))
    clock_at(date(2026, 10, 15))
    # the second tranche after the quarter: on 30-09 the loan was still being paid out
    disburse(paying_out, "6000.00", date(2026, 10, 15), team.manager, team.second_manager)
    clock_at(date(2026, 11, 28))
    paying_out.refresh_from_db()
    assert paying_out.state == LoanState.ACTIVE  # now
    f = fund_figures(team.fund, parse_period("2026-Q3"))
    assert f.flows.disbursed == D("9000.00")
    assert f.undisbursed_end == D("6000.00")
    assert f.quality.outstanding == D("9000.00")
    assert sum(b.loans for b in f.quality.buckets) == 2
    shown = {str(label): n for label, n in f.quality.by_state}
    assert shown == states_at(team.fund, date(2026, 9, 30))
    assert [(str(label), n) for label, n in f.quality.by_state] == [
        ("In uitbetaling", 1),
        ("Lopend", 1),
    ]


# --- the demo reconciles with the ledger -----------------------------------------------------

# Which lines of the journal each flow of the statement sums: accounts, source types (None:
# all) and the sign (1: debit positive, -1: credit positive). A reversal counts under the type
# of the entry it reverses.
FLOW_LINES = {
    "contributions": ((chart.CAPITAL_REVOLVING, chart.CAPITAL_GRANT), {"fund.contribution"}, -1),
    "disbursed": ((chart.LOANS_PRINCIPAL,), {"loans.disbursement"}, 1),
    "repaid_principal": ((chart.LOANS_PRINCIPAL,), {"loans.repayment", "loans.advance"}, -1),
    "repaid_interest": ((chart.INTEREST_RECEIVABLE,), {"loans.repayment", "loans.advance"}, -1),
    "repaid_fees": ((chart.FEES_RECEIVABLE,), {"loans.repayment", "loans.advance"}, -1),
    "paid_ahead": ((chart.ADVANCES,), {"loans.repayment", "loans.advance"}, -1),
    "grants_paid": ((chart.GRANTS_PAYABLE,), {"fund.grant_payment"}, 1),
    "written_off": ((chart.LOANS_PRINCIPAL,), {"loans.write_off"}, -1),
    "converted": ((chart.LOANS_PRINCIPAL,), {"loans.conversion"}, -1),
    "interest_income": ((chart.INTEREST_INCOME,), None, -1),
    "fee_income": ((chart.FEE_INCOME,), None, -1),
}


def flows_from_journal(fund: Fund, start: date, end: date) -> dict[str, Decimal]:
    """The statement's flows of a period, summed here line by line from the journal."""
    cents: dict[str, int] = defaultdict(int)
    lines = JournalLine.objects.filter(
        entry__book_id=fund.book_id, date__gte=start, date__lte=end
    ).values_list(
        "account__code", "debit", "credit", "entry__source_type", "entry__reversal_of__source_type"
    )
    for code, debit, credit, source, reversed_source in lines:
        kind = reversed_source or source
        for name, (codes, sources, sign) in FLOW_LINES.items():
            if code in codes and (sources is None or kind in sources):
                cents[name] += sign * (debit - credit)
    return {name: from_cents(cents[name]) for name in FLOW_LINES}


def undisbursed_at(fund: Fund, day: date) -> Decimal:
    """Principal contracted by ``day`` and not paid out by then, of loans still open then,
    from the loans and their disbursements."""
    paid_out: dict[int, Decimal] = defaultdict(lambda: D("0.00"))
    for loan_id, amount in Disbursement.objects.filter(loan__fund=fund, date__lte=day).values_list(
        "loan_id", "amount"
    ):
        paid_out[loan_id] += amount
    open_loans = Loan.objects.filter(fund=fund, contracted_on__lte=day).exclude(closed_on__lte=day)
    return sum((loan.principal - paid_out[loan.pk] for loan in open_loans), D("0.00"))


def states_at(fund: Fund, end: date) -> dict[str, int]:
    """How many of the fund's loans were in each state at the end of ``end``, from their
    dates and disbursements: closed by then, not yet paid out, paying out, running."""
    later = set(
        Disbursement.objects.filter(loan__fund=fund, date__gt=end).values_list("loan_id", flat=True)
    )
    counts: dict[str, int] = defaultdict(int)
    for loan in Loan.objects.filter(fund=fund, contracted_on__lte=end):
        if loan.closed_on and loan.closed_on <= end:
            state = loan.state
        elif loan.start_date is None or loan.start_date > end:
            state = LoanState.CONTRACTED
        elif loan.state == LoanState.DISBURSING or loan.pk in later:
            state = LoanState.DISBURSING
        else:
            state = LoanState.ACTIVE
        counts[str(LoanState(state).label)] += 1
    return dict(counts)


@pytest.mark.django_db
def test_the_demo_statements_reconcile_with_the_ledger(monkeypatch):
    """One seed of the demo (the slow part), then every fund, quarter and year."""
    # The demo issues the last quarter's and year's statements (reports/demo.py): with
    # stand-in PDFs here, the layout is tested below.
    stub_pdf(monkeypatch)
    demo.seed(progress=lambda *_: None)
    funds = list(Fund.objects.filter(slug__in=demo.DEMO_FUNDS).order_by("slug"))
    assert len(funds) == 2
    # 2026-Q3 and the year 2025, and with them every quarter and year of the story
    quarters = [f"{year}-Q{n}" for year in (2024, 2025, 2026) for n in (1, 2, 3, 4)][:-1]
    periods = ["2026-Q3", "2025", "2024"] + [q for q in quarters if q != "2026-Q3"]
    seen_loans = 0
    for fund in funds:
        for key in periods:
            where = f"{fund.slug} {key}"
            period = parse_period(key)
            f = fund_figures(fund, period)
            day_before = period.start - timedelta(days=1)
            assert f.cash_start == balance_at(fund, chart.BANK_REVOLVING, day_before), where
            assert f.cash_end == balance_at(fund, chart.BANK_REVOLVING, period.end), where
            assert f.pool_end == f.cash_end - f.undisbursed_end, where
            assert f.undisbursed_end == undisbursed_at(fund, period.end), where
            assert f.undisbursed_start == undisbursed_at(fund, day_before), where
            outstanding = balance_at(fund, chart.LOANS_PRINCIPAL, period.end)
            assert f.quality.outstanding == outstanding, where
            for compartment in f.compartments:
                bank = chart.BANK_ACCOUNT[compartment.kind]
                capital = chart.CAPITAL_ACCOUNT[compartment.kind]
                assert compartment.cash_end == balance_at(fund, bank, period.end), where
                assert compartment.capital_end == credit_at(fund, capital, period.end), where
                assert compartment.capital_start == credit_at(fund, capital, day_before), where
            if key in ("2026-Q3", "2025"):
                for month_end, cash in f.pool_months:
                    assert cash == balance_at(fund, chart.BANK_REVOLVING, month_end), where

            # the flows, against the journal summed independently
            journal = flows_from_journal(fund, period.start, period.end)
            shown = {name: getattr(f.flows, name) for name in FLOW_LINES}
            assert shown == journal, where
            if key in ("2026-Q3", "2025"):
                assert f.flows.disbursed > 0 and f.flows.repaid_principal > 0, where
            # ... and against the records the postings came from
            contributions = sum(
                (
                    c.amount.amount
                    for c in Contribution.objects.filter(
                        commitment__compartment__fund=fund,
                        date__gte=period.start,
                        date__lte=period.end,
                    )
                ),
                D("0.00"),
            )
            assert f.flows.contributions == contributions, where
            disbursed = sum(
                Disbursement.objects.filter(
                    loan__fund=fund, date__gte=period.start, date__lte=period.end
                ).values_list("amount", flat=True),
                D("0.00"),
            )
            assert f.flows.disbursed == disbursed, where
            grants_paid = sum(
                (
                    p.amount.amount
                    for p in GrantPayment.objects.filter(
                        grant__fund=fund,
                        entry__isnull=False,
                        date__gte=period.start,
                        date__lte=period.end,
                    )
                ),
                D("0.00"),
            )
            assert f.flows.grants_paid == grants_paid, where
            if not period.is_year:
                assert f.quarters[-1][1:] == (f.flows.disbursed, f.flows.repaid_principal)

            # the investors' paid-in capital adds up to each compartment's capital
            commitments = commitments_by_investor(fund, period)
            investors = {c.investor for rows_ in commitments.values() for c in rows_}
            paid = defaultdict(lambda: D("0.00"))
            in_period = D("0.00")
            for investor in investors:
                part = investor_figures(f, investor, commitments[investor.pk])
                for row in part.rows:
                    code = chart.CAPITAL_ACCOUNT[row.compartment]
                    assert row.paid_total == credit_at(
                        fund, code, period.end, party=investor.code
                    ), where
                    paid[row.compartment] += row.paid_total
                    in_period += row.paid_in_period
            for kind, code in chart.CAPITAL_ACCOUNT.items():
                assert paid[kind] == credit_at(fund, code, period.end), (where, kind)
            assert in_period == f.flows.contributions, where

            # the portfolio: every loan being serviced at the period end is in one bucket
            q = f.quality
            serviced = Loan.objects.filter(
                fund=fund, start_date__lte=period.end, contracted_on__lte=period.end
            ).exclude(closed_on__lte=period.end)
            assert sum(b.loans for b in q.buckets) == serviced.count(), where
            assert sum(b.principal for b in q.buckets) == outstanding, where
            seen_loans += serviced.count()

            # the demo issued this quarter's and year's statements, one per investor
            if key in ("2026-Q3", "2025"):
                issued = InvestorStatement.objects.filter(fund=fund, period=key)
                assert set(issued.values_list("investor_id", flat=True)) == set(commitments)
                assert issued.count() == len(commitments) > 0, where
    assert seen_loans > 0


# --- issuing ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_issues_keeps_and_mails_one_statement_per_investor(
    clock_at, mailoutbox, django_capture_on_commit_callbacks
):
    h = build_history(clock_at)
    fund, manager = h.team.fund, h.team.manager
    period = parse_period("2026-Q3")
    figures = fund_figures(fund, period)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = statements_issue(fund=fund, period=period, issued_by=manager)
        assert mailoutbox == []  # nothing is mailed before the statements are committed
    assert len(callbacks) == 1  # one batch, one transaction

    # one statement per investor with a commitment by 30-09 (C committed in October)
    assert result.skipped == [] and not result.nothing_new
    assert [s.investor for s in result.issued] == [h.a, h.b]
    stored = {s.investor_id: s for s in InvestorStatement.objects.filter(fund=fund)}
    assert set(stored) == {h.a.pk, h.b.pk}
    for investor in (h.a, h.b):
        statement = stored[investor.pk]
        content = bytes(statement.pdf)
        assert content.startswith(b"%PDF")
        assert statement.sha256 == hashlib.sha256(content).hexdigest()
        assert statement.size == len(content)
        assert statement.number == f"IO-{fund.slug.upper()}-2026-Q3-{investor.code}-v1"
        assert (statement.period, statement.period_start, statement.period_end) == (
            "2026-Q3",
            date(2026, 7, 1),
            date(2026, 9, 30),
        )
        assert (statement.version, statement.reason, statement.issued_by) == (1, "", manager)
        event = AuditEvent.objects.get(
            action=ReportAction.STATEMENT_ISSUE, object_id=str(statement.pk)
        )
        assert event.actor == manager and event.book_id == fund.book_id
        assert event.after["sha256"] == statement.sha256
        assert event.after["number"] == statement.number

    # the PDF says who, what period, which number, and the right amounts
    a_statement, b_statement = stored[h.a.pk], stored[h.b.pk]
    assert a_statement.language == "nl"
    text = pdf_text(a_statement.pdf)
    for expected in (
        "Provincie Overijssel",
        h.a.code,
        fund.name,
        a_statement.number,
        "3e kwartaal 2026",
        "01-07-2026 t/m 30-09-2026",
        # revolving: committed, paid in Q3, paid in total, still to pay, share
        f"{eur('300000')} {eur('50000')} {eur('250000')} {eur('50000')} 71,43 %",
        f"{eur('60000')} {eur('0')} {eur('60000')} {eur('0')} 100,00 %",  # grant
        f"Uitstaande hoofdsom {eur(figures.quality.outstanding)}",
        eur("13086.91"),
        f"Bank aan het einde {eur(figures.cash_end)}",
        f"Aflossing hoofdsom {eur('2962.63')}",
        f"Subsidies uitbetaald {eur('4000')}",
    ):
        assert expected in text, expected
    assert "Stichting Zonnig Geld" not in text

    # B reads English: its statement is in English, amounts as English writes them
    assert b_statement.language == "en"
    b_text = pdf_text(b_statement.pdf)
    assert "Stichting Zonnig Geld" in b_text and b_statement.number in b_text
    assert f"{eur('100000', 'en')} {eur('0', 'en')} {eur('100000', 'en')}" in b_text
    assert eur("13086.91", "en") == "€ 13,086.91" and "€ 13,086.91" in b_text
    assert "€ 100.000,00" not in b_text and "€ 13.086,91" not in b_text

    # the mails: one per investor, to its address, after the commit
    assert sorted(m.to[0] for m in mailoutbox) == sorted([h.a.email, h.b.email])
    assert all(len(m.to) == 1 for m in mailoutbox)
    for mail in mailoutbox:
        number = stored[h.a.pk if mail.to == [h.a.email] else h.b.pk].number
        assert "2026-Q3" in mail.subject and fund.name in mail.subject
        assert number in mail.body
        assert settings.SITE_URL + reverse("reports:statement_list") in mail.body

    # again: nothing new, and nothing is mailed
    kept = {pk: (bytes(s.pdf), s.sha256) for pk, s in stored.items()}
    with django_capture_on_commit_callbacks(execute=True):
        again = statements_issue(fund=fund, period=period, issued_by=manager)
    assert again.nothing_new and again.issued == []
    assert again.skipped == [h.a, h.b]
    assert InvestorStatement.objects.filter(fund=fund).count() == 2
    assert len(mailoutbox) == 2

    # with a reason: version 2 for each, the first versions unchanged. B reads Dutch now.
    Investor.objects.filter(pk=h.b.pk).update(language="nl")
    with django_capture_on_commit_callbacks(execute=True):
        second = statements_issue(
            fund=fund, period=period, issued_by=manager, reason="  Rente herberekend  "
        )
    assert [(s.investor, s.version) for s in second.issued] == [(h.a, 2), (h.b, 2)]
    assert len(mailoutbox) == 4
    for pk, (content, sha256) in kept.items():
        first = InvestorStatement.objects.get(investor_id=pk, fund=fund, version=1)
        assert (bytes(first.pdf), first.sha256, first.reason) == (content, sha256, "")
    for statement in InvestorStatement.objects.filter(fund=fund, version=2):
        assert statement.reason == "Rente herberekend"
        assert statement.number.endswith("-v2")
        assert statement.sha256 == hashlib.sha256(bytes(statement.pdf)).hexdigest()
        assert f"{statement.number} (versie 2)" in pdf_text(statement.pdf)
    b_dutch = InvestorStatement.objects.get(investor=h.b, fund=fund, version=2)
    assert b_dutch.language == "nl"
    dutch_text = pdf_text(b_dutch.pdf)
    assert f"{eur('100000')} {eur('0')} {eur('100000')}" in dutch_text
    assert eur("13086.91") in dutch_text and "€ 13,086.91" not in dutch_text


@pytest.mark.django_db
def test_only_a_manager_of_the_fund_issues_and_a_refusal_stores_nothing(monkeypatch):
    stub_pdf(monkeypatch)
    team = create_funded_team(grant=None, revolving="100000.00")
    other = create_fund_team()
    period = parse_period("2026-Q1")
    for user in (UserFactory(), other.manager, create_investor_user()):
        with pytest.raises(NotAllowed):
            statements_issue(fund=team.fund, period=period, issued_by=user)
    assert not InvestorStatement.objects.exists()
    assert not AuditEvent.objects.filter(action=ReportAction.STATEMENT_ISSUE).exists()
    # the scheduled run (no user) may
    result = statements_issue(fund=team.fund, period=period, issued_by=None)
    assert len(result.issued) == 1 and result.issued[0].issued_by is None


@pytest.mark.django_db
def test_one_investor_alone_and_an_investor_without_a_commitment_then(monkeypatch):
    stub_pdf(monkeypatch)
    team = create_funded_team(grant=None, revolving="100000.00")  # committed 15-01-2026
    later = InvestorFactory()
    fund_compartment(
        team=team,
        kind=CompartmentKind.REVOLVING,
        amount="5000.00",
        investor=later,
        day=date(2026, 4, 2),
    )
    first = Commitment.objects.filter(compartment__fund=team.fund).order_by("pk").first().investor
    q1 = parse_period("2026-Q1")
    with pytest.raises(StatementError):
        statements_issue(fund=team.fund, period=q1, issued_by=team.manager, investor=later)
    result = statements_issue(fund=team.fund, period=q1, issued_by=team.manager, investor=first)
    assert [s.investor for s in result.issued] == [first]
    q2 = statements_issue(
        fund=team.fund, period=parse_period("2026-Q2"), issued_by=team.manager, investor=later
    )
    assert [s.investor for s in q2.issued] == [later]
    assert InvestorStatement.objects.count() == 2


@pytest.mark.django_db
def test_the_mail_goes_to_the_investor_and_its_active_users_with_an_address(
    monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    stub_pdf(monkeypatch)
    team = create_funded_team(grant=None, revolving="100000.00")
    with_address = Commitment.objects.get(compartment__fund=team.fund).investor
    users_only = InvestorFactory(email="")
    reader = create_investor_user(users_only, email="lezer@example.org")
    create_investor_user(users_only, email="oud@example.org", is_active=False)
    nobody = InvestorFactory(email="")
    for investor in (users_only, nobody):
        fund_compartment(
            team=team, kind=CompartmentKind.REVOLVING, amount="1000.00", investor=investor
        )
    with django_capture_on_commit_callbacks(execute=True):
        result = statements_issue(fund=team.fund, period=parse_period("2026-Q1"), issued_by=None)
    assert len(result.issued) == 3
    assert sorted(m.to for m in mailoutbox) == sorted([[with_address.email], [reader.email]])


@pytest.mark.django_db
def test_an_issued_statement_is_never_changed_or_deleted(monkeypatch):
    stub_pdf(monkeypatch)
    team = create_funded_team(grant=None, revolving="100000.00")
    [statement] = statements_issue(
        fund=team.fund, period=parse_period("2026-Q1"), issued_by=team.manager
    ).issued
    kept = bytes(InvestorStatement.objects.get(pk=statement.pk).pdf)
    assert statement.sha256 == hashlib.sha256(kept).hexdigest()

    # the model
    statement.reason = "anders"
    with pytest.raises(StatementImmutable):
        statement.save()
    with pytest.raises(StatementImmutable):
        statement.delete()
    fresh = InvestorStatement.objects.get(pk=statement.pk)
    fresh.pdf = b"%PDF-1.4 forged"
    with pytest.raises(StatementImmutable):
        fresh.save()

    # the database: UPDATE and DELETE are refused, also through the ORM's bulk paths and SQL
    refused = IntegrityError if connection.vendor == "sqlite" else DatabaseError
    table = InvestorStatement._meta.db_table
    attempts = [
        lambda: InvestorStatement.objects.filter(pk=statement.pk).update(reason="x"),
        lambda: InvestorStatement.objects.filter(pk=statement.pk).delete(),
        lambda: _execute(f"UPDATE {table} SET pdf = %s WHERE id = %s", [b"x", statement.pk]),
        lambda: _execute(f"UPDATE {table} SET sha256 = %s WHERE id = %s", ["0", statement.pk]),
        lambda: _execute(f"DELETE FROM {table} WHERE id = %s", [statement.pk]),
    ]
    if connection.vendor == "postgresql":
        attempts.append(lambda: _execute(f"TRUNCATE {table} CASCADE", []))
    for attempt in attempts:
        with pytest.raises(refused), transaction.atomic():
            attempt()
    row = InvestorStatement.objects.get(pk=statement.pk)
    assert (bytes(row.pdf), row.sha256, row.reason) == (kept, statement.sha256, "")

    # a second version needs a reason (the database's check)
    copy = InvestorStatement(
        fund=team.fund,
        investor=statement.investor,
        period=statement.period,
        period_start=statement.period_start,
        period_end=statement.period_end,
        version=2,
        number=statement.number + "-kopie",
        pdf=kept,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def _execute(sql: str, params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- workers ---------------------------------------------------------------------------------


def spy_on_pools(monkeypatch) -> list[int]:
    """The number of workers of each process pool a run starts."""
    started: list[int] = []

    class Pool(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            started.append(kwargs.get("max_workers"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr("reports.statements.ProcessPoolExecutor", Pool)
    return started


@pytest.mark.django_db
def test_inside_a_transaction_the_pdfs_are_laid_out_in_this_process(monkeypatch):
    # Forking needs this process's connections closed, which would end the caller's
    # transaction (on PostgreSQL: "the connection is closed"); inside one there are no workers.
    stub_pdf(monkeypatch)
    started = spy_on_pools(monkeypatch)
    team = create_funded_team(grant=None, revolving="100000.00")
    for _ in range(2):
        fund_compartment(team=team, kind=CompartmentKind.REVOLVING, amount="1000.00")
    result = statements_issue(
        fund=team.fund, period=parse_period("2026-Q1"), issued_by=team.manager, workers=2
    )
    assert len(result.issued) == 3 and started == []
    assert Fund.objects.filter(pk=team.fund.pk).exists()  # the transaction is still there


@pytest.mark.django_db(transaction=True)
class TestWorkers:
    def test_workers_lay_out_the_same_statements(self, monkeypatch):
        # Outside a transaction the PDFs are laid out by forked workers; this test commits for
        # real (tests/conftest.py lifts the statement triggers for the flush that empties the
        # database).
        started = spy_on_pools(monkeypatch)
        team = create_funded_team(grant=None, revolving="100000.00")
        for _ in range(4):
            fund_compartment(team=team, kind=CompartmentKind.REVOLVING, amount="1000.00")
        result = statements_issue(
            fund=team.fund, period=parse_period("2026-Q1"), issued_by=team.manager, workers=2
        )
        assert len(result.issued) == 5
        assert started == [2]
        stored = InvestorStatement.objects.filter(fund=team.fund).select_related("investor")
        assert stored.count() == 5
        for statement in stored:
            content = bytes(statement.pdf)
            assert statement.sha256 == hashlib.sha256(content).hexdigest()
            assert len(pypdf.PdfReader(io.BytesIO(content)).pages) >= 2
            text = pdf_text(content)
            assert statement.investor.name in text and statement.number in text
        assert statements_issue(
            fund=team.fund, period=parse_period("2026-Q1"), issued_by=team.manager, workers=2
        ).nothing_new


# --- the command -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_issues_writes_the_pdfs_and_says_so(tmp_path):
    team = create_funded_team(grant=None, revolving="100000.00")
    out = io.StringIO()
    call_command(
        "investor_statements",
        fund=team.fund.slug,
        period="2026-Q1",
        out=str(tmp_path / "pdf"),
        as_user=team.manager.username,
        stdout=out,
    )
    [statement] = InvestorStatement.objects.filter(fund=team.fund)
    written = tmp_path / "pdf" / f"{statement.number}.pdf"
    assert written.read_bytes() == bytes(statement.pdf)
    assert statement.issued_by == team.manager
    said = out.getvalue()
    assert "1/1 statements issued" in said
    assert f"Issued 1 statement(s) for 2026-Q1 of {team.fund.slug}." in said
    assert f"{statement.number}  sha256 {statement.sha256}" in said
    assert f"PDFs written to {tmp_path / 'pdf'}" in said

    again = io.StringIO()
    call_command("investor_statements", fund=team.fund.slug, period="2026-q1", stdout=again)
    assert again.getvalue().startswith("Nothing new: 1 investor(s) already have a statement")
    assert InvestorStatement.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options",
    [
        {"period": "2026-Q4"},  # not over
        {"period": "kwartaal"},
        {"fund": "geen-fonds"},
        {"as_user": "niemand"},
        {"investor": "INV-NIEMAND"},
        {"workers": 0},
        {"as_user": "not-a-manager"},
    ],
)
def test_the_command_refuses_what_it_cannot_do(options):
    team = create_funded_team(grant=None, revolving="100000.00")
    UserFactory(username="not-a-manager")
    arguments = {"fund": team.fund.slug, "period": "2026-Q1", **options}
    with pytest.raises(CommandError):
        call_command("investor_statements", stdout=io.StringIO(), **arguments)
    assert not InvestorStatement.objects.exists()


# --- the pages -------------------------------------------------------------------------------


@pytest.fixture
def statement_world(db, clock_at):
    """The web tests' world (tests/web/conftest.py) with a second investor in fund A, a
    month after the fourth quarter of 2026 ended, and its statements of 2026-Q4 issued by
    fund A's manager."""
    world = build_world()
    other = fs.investor_create(
        code="INV-UTR", name="Provincie Utrecht", kind="province", created_by=world.manager_a
    )
    capital_in(world.fund_a, other, world.manager_a)
    clock_at(date(2027, 1, 5))
    return world, other


def _statements(fund):
    return {s.investor.code: s for s in InvestorStatement.objects.filter(fund=fund)}


@pytest.mark.django_db
def test_a_manager_issues_a_run_from_the_page_and_each_reader_sees_their_own(
    client, statement_world
):
    world, other = statement_world
    run = reverse("reports:statement_run", args=[world.fund_a.slug])
    client.force_login(world.manager_a)
    page = client.get(run)
    assert page.status_code == 200 and 'name="period"' in page.content.decode()
    response = client.post(run, {"period": "2026-Q4", "investor": "", "reason": ""})
    assert response.status_code == 302 and response["Location"] == run
    issued = _statements(world.fund_a)
    assert set(issued) == {"INV-GLD", "INV-UTR"}
    own, others = issued["INV-GLD"], issued["INV-UTR"]
    assert own.issued_by == world.manager_a
    assert own.number in client.get(run).content.decode()

    def download(statement):
        return client.get(reverse("reports:statement_download", args=[statement.pk]))

    # the investor's user: its own statements, the stored bytes
    client.force_login(world.investor_user)
    listing = client.get(reverse("reports:statement_list")).content.decode()
    assert own.number in listing and others.number not in listing
    response = download(own)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(InvestorStatement.objects.get(pk=own.pk).pdf)
    assert hashlib.sha256(response.content).hexdigest() == own.sha256
    assert own.number in response["Content-Disposition"]
    assert download(others).status_code == 404
    assert client.get(run).status_code == 404

    # a collective's member and a user without a role have no statements: 404
    for user in (world.member_x, world.member_y, world.no_role):
        client.force_login(user)
        assert client.get(reverse("reports:statement_list")).status_code == 404
        assert download(own).status_code == 404

    # the other manager of fund A downloads; the manager of fund B sees nothing of fund A
    client.force_login(world.manager_a2)
    assert download(others).status_code == 200
    client.force_login(world.manager_b)
    assert download(own).status_code == 404
    assert client.get(run).status_code == 404
    assert client.post(run, {"period": "2026-Q4", "reason": "nogmaals"}).status_code == 404
    assert own.number not in client.get(reverse("reports:statement_list")).content.decode()

    # an auditor reads the page and the PDFs but issues nothing (nor a manager who audits)
    for auditor in (world.auditor, world.manager_auditor):
        client.force_login(auditor)
        page = client.get(run)
        assert page.status_code == 200
        assert 'name="period"' not in page.content.decode() and own.number in page.content.decode()
        assert download(own).status_code == 200
        response = client.post(run, {"period": "2026-Q4", "reason": "nogmaals"})
        assert response.status_code == 404
    assert InvestorStatement.objects.count() == 2

    # anonymous: to the login page
    client.logout()
    login = reverse("login")
    for response in (
        client.get(reverse("reports:statement_list")),
        download(own),
        client.get(run),
        client.post(run, {"period": "2026-Q4"}),
    ):
        assert response.status_code == 302 and response["Location"].startswith(login)
    assert InvestorStatement.objects.count() == 2


@pytest.mark.django_db
def test_a_run_again_from_the_page_issues_nothing_without_a_reason(client, statement_world):
    world, _other = statement_world
    run = reverse("reports:statement_run", args=[world.fund_a.slug])
    client.force_login(world.manager_a)
    stub = b"%PDF-1.4 stand-in"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("reports.statements.html_to_pdf", lambda html: stub)
        client.post(run, {"period": "2026-Q4", "investor": "", "reason": ""})
        response = client.post(run, {"period": "2026-Q4", "investor": "", "reason": ""})
        assert response.status_code == 302
        assert InvestorStatement.objects.filter(fund=world.fund_a).count() == 2
        page = client.get(run).content.decode()
        assert "Niets nieuws uitgegeven" in page
        response = client.post(
            run,
            {"period": "2026-Q4", "investor": world.investor.pk, "reason": "Adres gewijzigd"},
        )
        assert response.status_code == 302
    versions = InvestorStatement.objects.filter(fund=world.fund_a, investor=world.investor)
    assert sorted(versions.values_list("version", flat=True)) == [1, 2]
    # a period that has not ended is not offered
    response = client.post(run, {"period": "2027-Q1", "reason": ""})
    assert response.status_code == 200
    assert InvestorStatement.objects.filter(fund=world.fund_a).count() == 3


# --- charts in the reader's language ---------------------------------------------------------


def test_chart_axes_write_whole_euros_as_the_reader_s_language_does():
    values = [D("0"), D("160000"), D("320000")]
    for language, expected, wrong in (
        ("nl", "€\xa0320.000", "€\xa03200"),
        ("en", "€\xa0320,000", "€\xa03200"),
    ):
        with translation.override(language):
            svg = charts.line_chart("Pool", ["07-2026", "08-2026", "09-2026"], {"1000": values})
        labels = re.findall(r">(€[^<]*)<", svg)
        assert expected in labels, (language, labels)
        assert not any(label.startswith(wrong) for label in labels), (language, labels)


# --- queries ---------------------------------------------------------------------------------


def _queries(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.django_db
def test_the_figures_take_the_same_queries_for_2_loans_as_for_12():
    counts = {}
    for size in (2, 12):
        team = funded_team(revolving=str(size * 7000))
        loans = [disbursed_loan(team, amount="6000.00", term_months=12) for _ in range(size)]
        ls.repayment_record(
            loan=loans[0], amount="520.00", value_date=date(2026, 2, 1), recorded_by=team.manager
        )
        ls.repayment_record(
            loan=loans[1], amount="2000.00", value_date=date(2026, 3, 1), recorded_by=team.manager
        )
        ls.loans_run_days(funds=[team.fund], date_from=date(2026, 3, 30), date_to=date(2026, 4, 2))
        period = parse_period("2026-Q1")
        fund_figures(team.fund, period)  # warm
        queries = _queries(lambda: fund_figures(team.fund, period))  # noqa: B023
        figures = fund_figures(team.fund, period)
        assert sum(b.loans for b in figures.quality.buckets) == size
        counts[size] = len(queries)
    assert counts[2] == counts[12], counts
    assert counts[12] <= 20, counts


def _table(sql: str) -> str:
    match = re.match(r'\s*INSERT INTO "?(\w+)"?', sql)
    return match.group(1) if match else ""


@pytest.mark.django_db
def test_a_run_reads_the_database_as_often_for_10_investors_as_for_3(
    monkeypatch, django_capture_on_commit_callbacks
):
    stub_pdf(monkeypatch)
    measured = {}
    for size in (3, 10):
        team = create_funded_team(grant="50000.00", revolving="100000.00")
        for _ in range(size - 1):
            fund_compartment(team=team, kind=CompartmentKind.REVOLVING, amount="1000.00")
        period = parse_period("2026-Q1")
        with django_capture_on_commit_callbacks() as callbacks:
            run = _queries(
                lambda: statements_issue(fund=team.fund, period=period, issued_by=team.manager)  # noqa: B023
            )
        mails = _queries(lambda: [callback() for callback in callbacks])  # noqa: B023
        assert InvestorStatement.objects.filter(fund=team.fund).count() == size
        inserts = defaultdict(int)
        for sql in run:
            inserts[_table(sql)] += 1
        measured[size] = {
            "all": len(run),
            "statements": inserts["reports_investorstatement"],
            "audit": inserts["ledger_auditevent"],
            "other": len(run) - inserts["reports_investorstatement"] - inserts["ledger_auditevent"],
            "mails": len(mails),
        }
    small, large = measured[3], measured[10]
    assert (small["statements"], large["statements"]) == (3, 10), measured
    assert (small["audit"], large["audit"]) == (3, 10), measured
    # everything else (the figures, the commitments, the plan, the forecast) is constant
    assert small["other"] == large["other"], measured
    per_statement = (large["all"] - small["all"]) / 7
    assert per_statement == 2, measured  # one INSERT of the statement, one of its audit event
    # the mails after the commit read nothing per statement either
    assert small["mails"] == large["mails"], measured
