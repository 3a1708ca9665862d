"""The collectives' statements: the loan statement (rekeningoverzicht) and the yearly interest
statement (jaaropgave), their figures against the ledger and the allocations, their PDFs,
who may download them, bad input, and their query counts.

The worked example is built through the services, with the day-end run as the fund would
live it (on the days it has work): 12.000 over 24 months at 6 %, paid out on 15-01-2026,
with 8 % penalty interest on arrears.

- 2026: instalments 1-9 paid on their due dates; instalment 10 paid on 01-11, the payment
  bounced and reversed on 05-11, paid again on 10-11; instalment 11 on time; instalment 12
  (due 01-01-2027) paid ahead on 20-12-2026, so held on 2100 at the year end.
- 2027: the day-end meets instalment 12 with the money paid ahead on 01-01; instalment 13
  (due 01-02) is late, penalty interest is charged at the end of February; on 05-03 the
  collective pays the penalty, instalments 13 and 14, and 1.000 more: the next instalment
  in advance and the rest as a prepayment. Today is 15-03-2027.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from fund import services as fund_services
from fund.permissions import AUDITORS_GROUP
from ledger import chart, clock
from ledger.money import ZERO, format_amount, from_cents
from ledger.selectors import account_balance
from loans import services
from loans.documents import documents_for
from loans.models import Allocation, Charge, DayRun, Loan, Repayment
from reports.loan_statements import interest_statement, loan_statement
from tests.loans.test_loan_helpers import (
    D,
    assert_books_ok,
    disbursed_loan,
    funded_team,
    make_product,
    rows,
    verified_collective,
)

START = date(2026, 1, 15)
TODAY = date(2027, 3, 15)
EXTRA = D("1000.00")


# --- the worked example ---------------------------------------------------------------------


@dataclass
class Example:
    team: object
    loan: Loan
    member: object
    bounced: Repayment  # 01-11-2026, reversed on 05-11-2026
    ahead: Repayment  # 20-12-2026, instalment 12 paid ahead
    last: Repayment  # 05-03-2027: penalty, instalments 13 and 14, advance and prepayment
    penalty: Decimal
    schedule: list  # the first version's rows (all 24 instalments)


def run_to(team, day: date) -> None:
    """The day-end of every day it has work on, up to ``day``: the due dates (the 1st) and
    the month ends. The days in between only move the arrears snapshot, so the books are
    those of a run every day (docs/loans.md, "Day-end"), in a tenth of the time."""
    last = DayRun.objects.filter(fund=team.fund).aggregate(last=Max("date"))["last"]
    current = date.fromordinal((last or START).toordinal() + 1)
    while current <= day:
        if current.day == 1 or clock.is_month_end(current) or current == day:
            services.loan_day_process(fund=team.fund, date=current)
        current = date.fromordinal(current.toordinal() + 1)


def pay(team, loan, amount, day: date, reference: str = "") -> Repayment:
    run_to(team, day_before(day))  # the day-end has run up to the day before
    return services.repayment_record(
        loan=loan, amount=amount, value_date=day, recorded_by=team.manager, reference=reference
    )


def build_example(team, clock_at) -> Example:
    make_product(team, penalty_rate=D("8"))
    loan = disbursed_loan(team, amount="12000.00", term_months=24, day=START)
    clock_at(TODAY)
    schedule = rows(loan)
    by_n = {row.n: row for row in schedule}
    for n in range(1, 10):
        pay(team, loan, by_n[n].payment, by_n[n].due_date, f"termijn {n}")
    bounced = pay(team, loan, by_n[10].payment, date(2026, 11, 1), "termijn 10")
    services.repayment_reverse(
        repayment=bounced,
        reversed_by=team.manager,
        reason="Storno: onvoldoende saldo.",
        date=date(2026, 11, 5),
    )
    pay(team, loan, by_n[10].payment, date(2026, 11, 10), "termijn 10 opnieuw")
    pay(team, loan, by_n[11].payment, by_n[11].due_date, "termijn 11")
    ahead = pay(team, loan, by_n[12].payment, date(2026, 12, 20), "termijn 12 vooruit")
    assert ahead.advance == by_n[12].payment
    run_to(team, date(2027, 3, 4))  # 01-01: the advance meets instalment 12; 28-02: penalty
    penalty = Charge.objects.get(loan=loan, kind="penalty").amount
    amount = penalty + by_n[13].payment + by_n[14].payment + EXTRA
    last = pay(team, loan, amount, date(2027, 3, 5), "termijnen 13 en 14 en extra")
    run_to(team, TODAY)
    bounced.refresh_from_db()
    loan = Loan.objects.select_related("fund__book", "collective", "product").get(pk=loan.pk)
    return Example(
        team=team,
        loan=loan,
        member=loan.collective.members.first(),
        bounced=bounced,
        ahead=ahead,
        last=last,
        penalty=penalty,
        schedule=schedule,
    )


@pytest.fixture
def example(db, clock_at) -> Example:
    return build_example(funded_team(), clock_at)


def ledger_balance(loan: Loan, code: str, as_of: date) -> Decimal:
    """The loan's contract balance on ``code`` at the end of ``as_of`` (debit positive)."""
    account = loan.fund.book.accounts.get(code=code)
    return from_cents(account_balance(account=account, contract=loan.number, as_of=as_of))


def allocated(loan: Loan, component: str, date_from: date, date_to: date) -> Decimal:
    """What payments and money paid ahead allocated to ``component`` in the period."""
    parts = Allocation.objects.filter(
        loan=loan,
        component=component,
        kind__in=("payment", "advance"),
        undone=False,
        date__gte=date_from,
        date__lte=date_to,
    ).values_list("amount", flat=True)
    return sum(parts, ZERO)


def day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


# --- the figures against the ledger and the allocations -------------------------------------


def test_the_example_books_reconcile(example):
    assert_books_ok(example.team.fund)
    assert example.bounced.is_reversed
    assert example.last.prepayment == EXTRA - example.schedule[14].payment
    assert example.penalty > 0


def test_interest_statement_2026_reconciles_with_the_ledger_and_the_allocations(example):
    loan = example.loan
    s = interest_statement(loan, 2026)
    year = (date(2026, 1, 1), date(2026, 12, 31))
    assert not s.provisional and s.date_to == date(2026, 12, 31)
    assert (
        s.opening.principal
        == ZERO
        == ledger_balance(loan, chart.LOANS_PRINCIPAL, date(2025, 12, 31))
    )
    assert s.closing.principal == ledger_balance(loan, chart.LOANS_PRINCIPAL, date(2026, 12, 31))
    assert s.flows.disbursed == D("12000.00")
    # Paid: instalments 1-11; instalment 12 was paid ahead and met in 2027.
    paid = example.schedule[:11]
    assert s.interest_paid == sum((r.interest for r in paid), ZERO)
    assert s.interest_paid == allocated(loan, "interest", *year)
    assert s.principal_repaid == sum((r.principal for r in paid), ZERO)
    assert s.principal_repaid == allocated(loan, "principal", *year)
    assert s.fees_paid == ZERO == allocated(loan, "fee", *year)
    assert s.closing.principal == D("12000.00") - s.principal_repaid
    # Money paid ahead at the year end: on 2100 under the loan's contract.
    assert s.closing.advance == example.schedule[11].payment
    assert s.closing.advance == -ledger_balance(loan, chart.ADVANCES, date(2026, 12, 31))
    assert s.closing.accrued == ledger_balance(loan, chart.INTEREST_ACCRUED, date(2026, 12, 31))
    # Received: what the bank got, the bounced payment and its reversal net to nothing.
    kept = Repayment.objects.filter(loan=loan, reversed_at__isnull=True, value_date__year=2026)
    assert s.flows.received == sum((r.amount for r in kept), ZERO)
    assert s.flows.received == s.flows.paid + s.closing.advance - s.opening.advance
    assert s.flows.interest_due == sum((r.interest for r in example.schedule[:11]), ZERO)
    assert s.closing.interest == ledger_balance(loan, chart.INTEREST_RECEIVABLE, date(2026, 12, 31))
    # The payments: 11 kept, the bounced one and its reversal.
    kinds = [(m.date, m.kind) for m in s.movements]
    assert (date(2026, 11, 1), "payment") in kinds
    assert (date(2026, 11, 5), "reversal") in kinds
    bounced = next(m for m in s.movements if m.date == date(2026, 11, 1))
    assert bounced.reversed_on == date(2026, 11, 5)
    reversal = next(m for m in s.movements if m.kind == "reversal")
    assert reversal.received == -bounced.received
    assert len(s.movements) == 14
    assert s.movement_totals.received == s.flows.received
    assert s.movement_totals.interest == s.interest_paid


def test_interest_statement_2027_counts_the_advance_met_the_penalty_and_the_prepayment(example):
    loan, schedule = example.loan, example.schedule
    s = interest_statement(loan, 2027)
    year = (date(2027, 1, 1), TODAY)
    assert s.provisional and s.date_to == TODAY
    assert s.opening.principal == interest_statement(loan, 2026).closing.principal
    assert s.opening.advance == schedule[11].payment
    assert s.interest_paid == sum((r.interest for r in schedule[11:14]), ZERO)
    assert s.interest_paid == allocated(loan, "interest", *year)
    assert s.fees_paid == example.penalty == allocated(loan, "fee", *year)
    assert s.flows.penalty_charged == example.penalty
    assert s.flows.prepaid == example.last.prepayment
    prepaid_principal = sum((r.principal for r in schedule[11:14]), ZERO) + s.flows.prepaid
    assert s.principal_repaid == prepaid_principal
    assert s.principal_repaid == allocated(loan, "principal", *year) + s.flows.prepaid
    assert s.closing.principal == ledger_balance(loan, chart.LOANS_PRINCIPAL, TODAY)
    assert s.closing.advance == schedule[14].payment  # the next instalment, paid ahead
    assert s.flows.received == example.last.amount
    assert s.flows.received == s.flows.paid + s.closing.advance - s.opening.advance
    applied = [m for m in s.movements if m.kind == "applied"]
    assert [(m.date, m.value_date) for m in applied] == [(date(2027, 1, 1), date(2026, 12, 20))]
    assert applied[0].advance == -schedule[11].payment


def test_loan_statement_over_the_year_end(example):
    loan = example.loan
    start, end = date(2026, 11, 1), date(2027, 1, 31)
    s = loan_statement(loan, start, end)
    assert s.opening.principal == ledger_balance(loan, chart.LOANS_PRINCIPAL, day_before(start))
    assert s.closing.principal == ledger_balance(loan, chart.LOANS_PRINCIPAL, end)
    f = s.flows
    assert s.opening.principal - f.principal_paid == s.closing.principal
    assert s.opening.interest + f.interest_due - f.interest_paid == s.closing.interest
    assert s.opening.advance + f.advance_received - f.advance_applied == s.closing.advance
    assert f.interest_paid == allocated(loan, "interest", start, end)
    assert f.principal_paid == allocated(loan, "principal", start, end)
    # 01-11 paid, 05-11 reversed, 10-11 paid again, 01-12, 20-12 ahead, 01-01 met.
    assert [(m.date, m.kind) for m in s.movements] == [
        (date(2026, 11, 1), "payment"),
        (date(2026, 11, 5), "reversal"),
        (date(2026, 11, 10), "payment"),
        (date(2026, 12, 1), "payment"),
        (date(2026, 12, 20), "payment"),
        (date(2027, 1, 1), "applied"),
    ]
    assert s.movement_totals.advance == ZERO  # received ahead and met within the period
    assert s.movement_totals.received == f.received
    assert s.movement_totals.principal == f.principal_paid
    by_n = {row.n: row for row in s.schedule}
    assert by_n[10].paid_on == (date(2026, 11, 10),)  # the bounced payment paid nothing
    assert by_n[10].status == "settled"
    assert by_n[12].paid_on == (date(2027, 1, 1),) and by_n[12].paid == by_n[12].payment
    assert by_n[13].status == "future" and by_n[13].paid == ZERO
    assert s.arrears == ZERO


def test_loan_statement_schedule_as_it_stood_and_arrears(example):
    """At the end of February instalment 13 is open and late; the schedule is the first
    version (the prepayment came on 05-03)."""
    s = loan_statement(example.loan, START, date(2027, 2, 28))
    by_n = {row.n: row for row in s.schedule}
    assert len(s.schedule) == 24
    assert by_n[13].status == "late" and by_n[13].open == by_n[13].payment
    assert s.arrears == by_n[13].payment
    assert s.days_past_due == 27
    assert s.closing.fees == example.penalty  # charged at the month end, not yet paid
    assert s.opening.principal == ZERO and s.flows.disbursed == D("12000.00")
    # Today the schedule is the prepayment's version: the last instalment is smaller.
    now = loan_statement(example.loan, START, TODAY)
    assert now.schedule[-1].payment < s.schedule[-1].payment
    assert [r.payment for r in now.schedule[:14]] == [r.payment for r in s.schedule[:14]]
    assert now.closing.principal == ledger_balance(example.loan, chart.LOANS_PRINCIPAL, TODAY)


# --- the PDFs -------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def nl(amount: Decimal) -> str:
    with translation.override("nl"):
        return format_amount(amount).replace("\xa0", " ")


def download(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_interest_statement_pdf_shows_the_figures_in_dutch(client, example):
    url = reverse("reports:interest_statement_pdf", args=[example.loan.number, 2026])
    response = download(client, example.member, url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"jaaropgave-{example.loan.number}-2026.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    s = interest_statement(example.loan, 2026)
    assert "Jaaropgave 2026" in text
    assert example.loan.number in text and example.loan.collective.name in text
    for amount in (s.interest_paid, s.principal_repaid, s.closing.principal, s.flows.received):
        assert nl(amount) in text, amount
    assert nl(D("12000.00")) == "€ 12.000,00" and "€ 12.000,00" in text
    assert "01-01-2026" in text and "31-12-2026" in text
    assert "05-11-2026" in text  # the reversal of the bounced payment
    assert "Uitgegeven op 15-03-2027" in text
    assert "Pagina 1 / " in text


def test_loan_statement_pdf_for_a_period(client, example):
    loan = example.loan
    url = reverse("reports:loan_statement_pdf", args=[loan.number])
    response = download(client, example.team.manager, url + "?van=01-11-2026&tot=31-01-2027")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert f"rekeningoverzicht-{loan.number}-2026-11-01-2027-01-31.pdf" in disposition
    text = pdf_text(response.content)
    s = loan_statement(loan, date(2026, 11, 1), date(2027, 1, 31))
    assert "Rekeningoverzicht" in text and loan.number in text
    assert "Periode 01-11-2026 tot en met 31-01-2027" in text
    for amount in (s.opening.principal, s.closing.principal, s.movement_totals.received):
        assert nl(amount) in text, amount
    assert "teruggedraaid op 05-11-2026" in text
    # (pypdf may split a word where the font kerns it: "T egenboeking")
    squeezed = text.replace(" ", "")
    assert "Tegenboekingbetalingvan01-11-2026" in squeezed
    assert "Vooruitbetalingvan20-12-2026toegerekendaandetermijn" in squeezed
    assert "15-01-2026" in text  # the first disbursement, in the terms


def test_loan_statement_defaults_to_the_whole_loan_and_iso_dates_work(client, example):
    loan = example.loan
    url = reverse("reports:loan_statement_pdf", args=[loan.number])
    whole = download(client, example.member, url)
    assert whole.status_code == 200
    assert f"{loan.number}-2026-01-15-2027-03-15.pdf" in whole["Content-Disposition"]
    iso = client.get(url + "?van=2026-11-01&tot=2027-01-31")
    assert iso.status_code == 200


def test_the_pdf_is_english_for_an_english_reader(client, example):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("reports:interest_statement_pdf", args=[example.loan.number, 2026])
    text = pdf_text(download(client, example.member, url).content)
    s = interest_statement(example.loan, 2026)
    with translation.override("en"):
        english = format_amount(s.interest_paid).replace("\xa0", " ")
    assert english in text
    assert "€ 12,000.00" in text


# --- who may download -----------------------------------------------------------------------


def make_user(prefix: str, *, auditor: bool = False):
    user = get_user_model().objects.create_user(username=f"{prefix}-stmt")
    if auditor:
        user.groups.add(Group.objects.get_or_create(name=AUDITORS_GROUP)[0])
    return user


def test_who_may_download_the_statements(client, example):
    loan = example.loan
    other_member = verified_collective(example.team).members.first()
    other_manager = funded_team(revolving="").manager
    investor_user = make_user("investeerder")
    investor = fund_services.investor_create(
        code="INV-STMT",
        name="Gemeente Zutphen",
        kind="municipality",
        created_by=example.team.manager,
    )
    investor.users.add(investor_user)
    users = {
        "member": (example.member, 200),
        "manager": (example.team.manager, 200),
        "auditor": (make_user("controleur", auditor=True), 200),
        "member of another collective": (other_member, 404),
        "manager of another fund": (other_manager, 404),
        "investor": (investor_user, 404),
        "no role": (make_user("niemand"), 404),
    }
    urls = [
        reverse("reports:loan_statement_pdf", args=[loan.number]),
        reverse("reports:interest_statement_pdf", args=[loan.number, 2026]),
    ]
    for url in urls:
        for role, (user, status) in users.items():
            client.logout()
            response = download(client, user, url)
            assert response.status_code == status, (role, url)
            if status == 200:
                assert response["Content-Type"] == "application/pdf", role
                assert response.content.startswith(b"%PDF"), role
        client.logout()
        anonymous = client.get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("login"))
        unknown = download(client, example.team.manager, url.replace(loan.number, "L-2099-9999"))
        assert unknown.status_code == 404


def test_only_get_and_head(client, example):
    url = reverse("reports:loan_statement_pdf", args=[example.loan.number])
    client.force_login(example.member)
    assert client.post(url).status_code == 405


# --- bad input is a clear answer, never a 500 -----------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "?van=31-02-2026",
        "?van=morgen",
        "?tot=2026-13-01",
        "?van=01-12-2026&tot=01-11-2026",
        "?van=1-1-99999",
        "?van=%00",
    ],
)
def test_bad_dates_are_a_400_page_that_says_why(client, example, query):
    url = reverse("reports:loan_statement_pdf", args=[example.loan.number]) + query
    client.force_login(example.member)
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert example.loan.number in body
    assert "Rekeningoverzicht" in body
    if "tot=01-11-2026" in query:
        assert "ligt na de einddatum" in body
    else:
        assert "28-11-2026" in body  # how to write a date


@pytest.mark.parametrize("year", [2025, 2028, 1900])
def test_a_year_outside_the_loan_is_a_404_that_says_which_years_there_are(client, example, year):
    url = reverse("reports:interest_statement_pdf", args=[example.loan.number, year])
    client.force_login(example.member)
    response = client.get(url)
    assert response.status_code == 404
    assert "2026 tot en met 2027" in response.content.decode()


# --- the links ------------------------------------------------------------------------------


def test_the_loan_page_and_the_dashboard_link_the_statements(client, example):
    loan = example.loan
    assert documents_for(loan) == [
        ("Rekeningoverzicht", reverse("reports:loan_statement_pdf", args=[loan.number])),
        ("Jaaropgave 2027", reverse("reports:interest_statement_pdf", args=[loan.number, 2027])),
        ("Jaaropgave 2026", reverse("reports:interest_statement_pdf", args=[loan.number, 2026])),
    ]
    client.force_login(example.member)
    page = client.get(reverse("loans:loan_detail", args=[loan.number])).content.decode()
    for _label, url in documents_for(loan):
        assert f'href="{url}"' in page
    dashboard = client.get(reverse("reports:dashboard")).content.decode()
    assert reverse("reports:loan_statement_pdf", args=[loan.number]) in dashboard
    # In 2027 the last full year is 2026.
    assert reverse("reports:interest_statement_pdf", args=[loan.number, 2026]) in dashboard


def test_no_documents_before_the_first_disbursement(db):
    from tests.loans.test_loan_helpers import contracted_loan

    loan = contracted_loan(funded_team())
    assert documents_for(loan) == []


# --- query counts ---------------------------------------------------------------------------


def paid_loan(team, clock_at, instalments: int) -> Loan:
    """A 24-month loan with the first ``instalments`` paid on their due dates."""
    clock_at(date(2026, 11, 28))
    loan = disbursed_loan(team, amount="12000.00", term_months=24, day=START)
    clock_at(TODAY)
    for row in rows(loan)[:instalments]:
        services.repayment_record(
            loan=loan, amount=row.payment, value_date=row.due_date, recorded_by=team.manager
        )
    return Loan.objects.select_related("fund__book", "collective", "product").get(pk=loan.pk)


def count_queries(build) -> int:
    with CaptureQueriesContext(connection) as queries:
        build()
    return len(queries)


def test_query_counts_do_not_grow_with_the_repayments(db, clock_at):
    team = funded_team()
    make_product(team)
    few = paid_loan(team, clock_at, 2)
    many = paid_loan(team, clock_at, 12)
    assert Repayment.objects.filter(loan=many).count() == 12
    counts = {}
    for name, loan in (("few", few), ("many", many)):
        counts[name] = (
            count_queries(lambda loan=loan: loan_statement(loan, START, TODAY)),
            count_queries(lambda loan=loan: interest_statement(loan, 2026)),
        )
    assert counts["few"] == counts["many"], counts
    statement, yearly = counts["many"]
    assert statement <= 12 and yearly <= 6, counts


# --- a reversal that re-books the later repayments ----------------------------------------


def test_reversing_an_early_repayment_rebooks_the_later_ones_and_still_reconciles(db):
    team = funded_team()
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    schedule = rows(loan)
    paid = [
        services.repayment_record(
            loan=loan, amount=row.payment, value_date=row.due_date, recorded_by=team.manager
        )
        for row in schedule[:3]
    ]
    services.repayment_reverse(repayment=paid[0], reversed_by=team.manager, reason="Dubbel.")
    assert_books_ok(team.fund)
    s = interest_statement(loan, 2026)
    year = (date(2026, 1, 1), date(2026, 11, 28))
    # The two later payments, booked again, pay what fell due oldest first, interest before
    # principal (the product's order): the interest of instalments 1-3.
    assert s.interest_paid == allocated(loan, "interest", *year)
    assert s.interest_paid == sum((r.interest for r in schedule[:3]), ZERO)
    assert s.principal_repaid == allocated(loan, "principal", *year)
    assert s.flows.received == schedule[1].payment + schedule[2].payment
    assert s.closing.principal == ledger_balance(loan, chart.LOANS_PRINCIPAL, date(2026, 11, 28))
    kinds = [m.kind for m in s.movements]
    assert kinds.count("payment") == 5 and kinds.count("reversal") == 3
    assert [m.rebooking for m in s.movements if m.kind == "payment"].count(True) == 2
    assert all(m.reversed_on for m in s.movements if m.kind == "payment" and not m.rebooking)
    assert s.movement_totals.received == s.flows.received


def test_far_but_valid_dates_are_no_500(client, db):
    team = funded_team()
    loan = disbursed_loan(team)
    client.force_login(loan.collective.members.first())
    url = reverse("reports:loan_statement_pdf", args=[loan.number])
    for query in ("?van=01-01-0001", "?tot=31-12-9999", "?van=01-01-2000&tot=01-01-2000"):
        response = client.get(url + query)
        assert response.status_code == 200, query
        assert response.content.startswith(b"%PDF")
    big = reverse("reports:interest_statement_pdf", args=[loan.number, 10**20])
    assert client.get(big).status_code == 404
