"""Repayments: allocation and books, early due posting, prepayment, backdating and reversal,
suspense, CSV import, early settlement with a success premium."""

from __future__ import annotations

from datetime import date

import pytest

from ledger import chart
from ledger.models import JournalEntry
from loans import exceptions as exc
from loans import selectors, services
from loans.models import Allocation, LoanState, Repayment, ScheduleVersion
from tests.loans.test_loan_helpers import (
    D,
    assert_books_ok,
    balance,
    book_state,
    contract_balance,
    disbursed_loan,
    funded_team,
    make_product,
    rows,
)

FEB1 = date(2026, 2, 1)


@pytest.fixture
def team(db):
    return funded_team()


@pytest.fixture
def loan(team):
    return disbursed_loan(team, amount="12000.00", term_months=12)


def pay(team, loan, amount, day, **kwargs):
    return services.repayment_record(
        loan=loan, amount=amount, value_date=day, recorded_by=team.manager, **kwargs
    )


def test_first_instalment_schedule(loan):
    first = rows(loan)[0]
    assert (first.interest, first.principal, first.payment) == (
        D("60.00"),
        D("972.80"),
        D("1032.80"),
    )


def test_repayment_before_run_day_posts_interest_due_first_with_run_days_key(team, loan):
    repayment = pay(team, loan, "1032.80", FEB1)
    key = f"due:{loan.number}:1:1"
    due = JournalEntry.objects.get(book=team.fund.book, idempotency_key=key)
    assert due.date == FEB1
    assert contract_balance(loan, chart.INTEREST_INCOME) == D("-60.00")
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == 0
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00") - D("972.80")
    parts = {(a.component, a.n): a.amount for a in repayment.allocations.all()}
    assert parts == {("interest", 1): D("60.00"), ("principal", 1): D("972.80")}
    entries = JournalEntry.objects.filter(book=team.fund.book).count()
    before = book_state(team.fund)
    services.loan_day_process(fund=team.fund, date=FEB1)
    assert JournalEntry.objects.filter(book=team.fund.book).count() == entries
    assert book_state(team.fund) == before
    assert_books_ok(team.fund)


def test_run_day_then_repayment_gives_the_same_books(team, loan, db):
    other_team = funded_team()
    other = disbursed_loan(other_team, amount="12000.00", term_months=12)
    pay(team, loan, "1032.80", FEB1)
    services.loan_day_process(fund=team.fund, date=FEB1)
    services.loan_day_process(fund=other_team.fund, date=FEB1)
    pay(other_team, other, "1032.80", FEB1)
    assert book_state(team.fund) == book_state(other_team.fund)


def test_partial_payment_fills_interest_then_principal_and_leaves_arrears(team, loan):
    pay(team, loan, "500.00", FEB1)
    assert contract_balance(loan, chart.INTEREST_RECEIVABLE) == 0
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00") - D("440.00")
    services.loans_run_days(funds=[team.fund], date_from=FEB1, date_to=date(2026, 2, 10))
    loan.refresh_from_db()
    assert loan.days_past_due == 9
    assert loan.arrears_bucket == "1-30"
    position = selectors.loan_position(loan=loan, as_of=date(2026, 2, 10))
    assert position.arrears == D("532.80")
    assert_books_ok(team.fund)


def test_every_repayment_refills_the_pool(team, loan):
    cash = balance(team.fund, chart.BANK_REVOLVING)
    pay(team, loan, "1032.80", FEB1)
    assert balance(team.fund, chart.BANK_REVOLVING) == cash + D("1032.80")


def test_overpayment_shortens_the_term(team, loan):
    # instalment 1 (1.032,80) is due; the next one is paid in advance; 1.967,20 is a prepayment
    repayment = pay(team, loan, "4032.80", FEB1, overpayment="shorten")
    assert (repayment.advance, repayment.prepayment) == (D("1032.80"), D("1967.20"))
    version = ScheduleVersion.objects.get(loan=loan, is_current=True)
    assert version.reason == "prepayment"
    new = rows(loan)
    assert sum(r.principal for r in new) == D("12000.00") - D("1967.20")
    assert len(new) < 12
    # the instalment stays exactly what it was; only the last one is smaller
    assert version.instalment == D("1032.80")
    assert {r.payment for r in new[1:-1]} == {D("1032.80")}
    assert new[-1].payment <= D("1032.80")
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00") - D("2940.00")
    assert contract_balance(loan, chart.ADVANCES) == D("-1032.80")
    assert_books_ok(team.fund)


def test_overpayment_lowers_the_instalment(team, loan):
    pay(team, loan, "4032.80", FEB1, overpayment="lower")
    new = rows(loan)
    assert len(new) == 12
    assert new[1].payment < D("1032.80")
    assert sum(r.principal for r in new) == D("12000.00") - D("1967.20")
    assert_books_ok(team.fund)


def test_backdated_repayment_is_allocated_as_of_its_value_date_and_reversal_restores(team, loan):
    services.loans_run_days(
        funds=[team.fund], date_from=date(2026, 1, 15), date_to=date(2026, 3, 10)
    )
    loan.refresh_from_db()
    assert loan.days_past_due == 37 and loan.arrears_bucket == "31-60"
    before_books = book_state(team.fund)
    before_position = selectors.loan_position(loan=loan, as_of=date(2026, 3, 10))
    # paid on 5 February, recorded on 10 March: only instalment 1 was due then
    repayment = pay(team, loan, "1032.80", date(2026, 2, 5))
    assert {(a.component, a.n) for a in repayment.allocations.all()} == {
        ("interest", 1),
        ("principal", 1),
    }
    loan.refresh_from_db()
    assert loan.days_past_due == 9  # instalment 2 (1 March) is now the oldest unpaid
    services.repayment_reverse(repayment=repayment, reversed_by=team.manager, reason="storno")
    assert book_state(team.fund) == before_books
    assert selectors.loan_position(loan=loan, as_of=date(2026, 3, 10)) == before_position
    loan.refresh_from_db()
    assert loan.days_past_due == 37
    assert not Allocation.objects.filter(loan=loan, undone=False).exists()
    assert_books_ok(team.fund)
    with pytest.raises(exc.InvalidTransition):
        services.repayment_reverse(repayment=repayment, reversed_by=team.manager, reason="x")


def test_reversing_a_prepayment_restores_the_previous_schedule(team, loan):
    rows_before = [(r.n, r.principal, r.interest) for r in rows(loan)]
    books = book_state(team.fund)
    repayment = pay(team, loan, "4032.80", FEB1)
    services.repayment_reverse(repayment=repayment, reversed_by=team.manager, reason="fout")
    assert [(r.n, r.principal, r.interest) for r in rows(loan)] == rows_before
    cancelled = ScheduleVersion.objects.get(pk=repayment.version_id)
    assert cancelled.cancelled and not cancelled.is_current
    # the interest of instalment 1 stays posted due (it is due); the rest is as before
    books[chart.INTEREST_RECEIVABLE] += 6000
    books[chart.INTEREST_INCOME] -= 6000
    assert book_state(team.fund) == books
    assert_books_ok(team.fund)


def test_payment_beyond_everything_owed_is_refused(team, loan):
    quote = services.loan_settlement_quote(loan=loan, date=FEB1)
    with pytest.raises(exc.InvalidAmount):
        pay(team, loan, quote.total + D("1.00"), FEB1)


def test_unmatched_receipt_goes_to_suspense_and_can_be_matched(team, loan):
    receipt = services.receipt_record_unmatched(
        fund=team.fund,
        amount="1032.80",
        value_date=FEB1,
        payer_reference="NL20INGB0001234567",
        recorded_by=team.manager,
        description="termijn",
    )
    assert balance(team.fund, chart.SUSPENSE) == D("-1032.80")
    cash = balance(team.fund, chart.BANK_REVOLVING)
    repayment = services.receipt_match(receipt=receipt, loan=loan, matched_by=team.manager)
    assert balance(team.fund, chart.SUSPENSE) == 0
    assert balance(team.fund, chart.BANK_REVOLVING) == cash  # the cash came in on receipt
    assert contract_balance(loan, chart.LOANS_PRINCIPAL) == D("12000.00") - D("972.80")
    services.repayment_reverse(repayment=repayment, reversed_by=team.manager, reason="verkeerd")
    assert balance(team.fund, chart.SUSPENSE) == D("-1032.80")
    receipt.refresh_from_db()
    assert receipt.repayment is None
    assert_books_ok(team.fund)


def test_csv_import_matches_by_loan_number_and_parks_the_rest(team, loan):
    text = (
        "datum;bedrag;omschrijving;tegenrekening;naam;transactiereferentie\n"
        f"01-02-2026;1032,80;Termijn {loan.number};NL00XXXX;Coop;TX1\n"
        "02-02-2026;250,00;Gift;NL02RABO0123456789;Onbekend;TX2\n"
        "03-02-2026;-20,00;Kosten bank;;Bank;TX3\n"
    )
    lines = services.bank_csv_lines(text)
    result = services.repayments_import(fund=team.fund, lines=lines, imported_by=team.manager)
    assert [r.loan_id for r in result.repayments] == [loan.pk]
    assert [u.amount for u in result.unmatched] == [D("250.00")]
    assert len(result.skipped) == 1
    again = services.repayments_import(fund=team.fund, lines=lines, imported_by=team.manager)
    assert not again.repayments and not again.unmatched and len(again.skipped) == 3
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert_books_ok(team.fund)


def test_csv_without_references_imports_once_and_keeps_two_identical_transfers(team, loan):
    header = "datum;bedrag;omschrijving;tegenrekening;naam\n"
    gift = "02-02-2026;250,00;Gift;NL02RABO0123456789;Buurtvereniging\n"
    text = header + f"01-02-2026;500,00;Termijn {loan.number};NL00XXXX;Coop\n" + gift + gift
    first = services.repayments_import(
        fund=team.fund, lines=services.bank_csv_lines(text), imported_by=team.manager
    )
    # Two identical transfers on one day are two receipts, not one.
    assert [r.amount for r in first.repayments] == [D("500.00")]
    assert [u.amount for u in first.unmatched] == [D("250.00"), D("250.00")]
    entries = JournalEntry.objects.filter(book=team.fund.book).count()
    again = services.repayments_import(
        fund=team.fund, lines=services.bank_csv_lines(text), imported_by=team.manager
    )
    assert not again.repayments and not again.unmatched and len(again.skipped) == 3
    # A later export that overlaps (the second gift and a new line): only the new line is booked.
    later = header + gift + "03-02-2026;75,00;Gift;NL02RABO0123456789;Buurtvereniging\n"
    overlap = services.repayments_import(
        fund=team.fund, lines=services.bank_csv_lines(later), imported_by=team.manager
    )
    assert [u.amount for u in overlap.unmatched] == [D("75.00")]
    assert len(overlap.skipped) == 1
    assert JournalEntry.objects.filter(book=team.fund.book).count() == entries + 1
    assert balance(team.fund, chart.SUSPENSE) == D("-575.00")
    assert Repayment.objects.filter(loan=loan).count() == 1
    assert_books_ok(team.fund)


def test_run_day_and_import_commands(team, loan, tmp_path, capsys):
    from django.core.management import call_command

    path = tmp_path / "bank.csv"
    path.write_text(f"date,amount,description,reference\n2026-02-01,1032.80,{loan.number},A1\n")
    call_command("import_repayments", str(path), fund=team.fund.slug, user=team.manager.username)
    call_command("run_day", "--from", "2026-01-15", "--to", "2026-02-02", fund=team.fund.slug)
    out = capsys.readouterr().out
    assert "1 repayment(s)" in out and "2026-02-01" in out
    assert_books_ok(team.fund)


def test_early_settlement_quote_closes_the_loan_with_the_success_premium(db):
    team = funded_team()
    make_product(team, success_premium_pct=D("1.5"))
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    pay(team, loan, "1032.80", FEB1)
    day = date(2026, 2, 16)
    quote = services.loan_settlement_quote(loan=loan, date=day)
    assert quote.principal == D("11027.20")
    # 15 days of 30E/360 interest on 11027.20 at 6%
    assert quote.interest_accrued == (D("11027.20") * D("0.06") * 15 / 360).quantize(D("0.01"))
    assert quote.premium == D("180.00")
    with pytest.raises(exc.InvalidAmount):
        pay(team, loan, quote.total - D("0.01"), day)
    pay(team, loan, quote.total, day)
    loan.refresh_from_db()
    assert loan.state == LoanState.REPAID and loan.closed_on == day
    for code in (chart.LOANS_PRINCIPAL, chart.INTEREST_RECEIVABLE, chart.FEES_RECEIVABLE):
        assert contract_balance(loan, code) == 0
    assert contract_balance(loan, chart.FEE_INCOME) == D("-180.00")
    assert_books_ok(team.fund)


@pytest.mark.parametrize(("rounding", "premium"), [("half-up", "5.01"), ("half-even", "5.00")])
def test_the_success_premium_is_rounded_as_the_contract_says(db, rounding, premium):
    team = funded_team()
    make_product(team, success_premium_pct=D("0.5"), rounding=rounding)
    loan = disbursed_loan(team, amount="1001.00", term_months=12)
    assert loan.rounding == rounding
    # 0,5 % of 1.001,00 is 5,005: half-up gives 5,01, half-even 5,00
    quote = services.loan_settlement_quote(loan=loan, date=date(2026, 1, 20))
    assert quote.premium == D(premium)
