"""A repayment reads the loan's position once and books every step from it: the position it
holds at the end is the one the database gives when read afresh (docs/loans.md,
"Repayments")."""

from __future__ import annotations

from datetime import date

import pytest

from loans import services
from loans.services import position as position_module
from tests.loans.test_loan_helpers import (
    D,
    assert_books_ok,
    disbursed_loan,
    funded_team,
    make_product,
)

JAN20 = date(2026, 1, 20)
FEB1 = date(2026, 2, 1)


@pytest.fixture
def reads(monkeypatch):
    """Every position read, with the Position objects it returned."""
    seen: list = []
    real = position_module.loan_statuses

    def counting(loans):
        result = real(loans)
        seen.append(result)
        return result

    monkeypatch.setattr(position_module, "loan_statuses", counting)
    return seen


def _picture(state):
    """What a Position says, in plain values, to compare two of them."""
    return {
        "rows": [
            (r.n, r.due_date, r.opening_balance, r.principal, r.interest, r.interest_posted)
            for r in state.rows
        ],
        "charges": sorted((c.pk, c.date, c.amount) for c in state.charges),
        "allocated": {k: v for k, v in state.allocated.items() if v != 0},
        "held": [(r.pk, left) for r, left in state.held],
    }


def _pay(team, loan, amount, day, reads, **kwargs):
    reads.clear()
    repayment = services.repayment_record(
        loan=loan, amount=amount, value_date=day, recorded_by=team.manager, **kwargs
    )
    assert len(reads) == 1, "the repayment read the loan's position more than once"
    held = reads[0][loan.pk]
    reads.clear()
    fresh = services.loan_status(loan)
    assert _picture(held) == _picture(fresh)
    return repayment


@pytest.fixture
def team(db):
    return funded_team()


def test_an_instalment_paid_after_it_fell_due_posts_it_due_and_reads_once(team, reads):
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    repayment = _pay(team, loan, "1032.80", date(2026, 2, 3), reads)
    assert (repayment.advance, repayment.prepayment) == (D("0.00"), D("0.00"))
    assert_books_ok(team.fund)


def test_money_paid_ahead_is_held_and_reads_once(team, reads):
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    repayment = _pay(team, loan, "1032.80", JAN20, reads)
    assert repayment.advance == D("1032.80")
    assert_books_ok(team.fund)


def test_a_backdated_advance_meets_the_instalments_fallen_since_and_reads_once(team, reads):
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    services.loans_run_days(funds=[team.fund], date_from=JAN20, date_to=date(2026, 3, 5))
    loan.refresh_from_db()
    # Paid on 20 January, booked in March: two instalments have fallen due since.
    repayment = _pay(team, loan, "1032.80", JAN20, reads)
    assert repayment.advance == D("1032.80")
    assert_books_ok(team.fund)


def test_a_prepayment_that_shortens_the_term_reads_once(team, reads):
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    repayment = _pay(team, loan, "4000.00", FEB1, reads, overpayment="shorten")
    assert repayment.version_id is not None
    assert repayment.prepayment > 0
    assert_books_ok(team.fund)


def test_a_prepayment_that_lowers_the_instalment_reads_once(team, reads):
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    repayment = _pay(team, loan, "4000.00", FEB1, reads, overpayment="lower")
    assert repayment.version_id is not None
    assert_books_ok(team.fund)


def test_settling_the_loan_with_its_premium_reads_once(team, reads):
    make_product(team, success_premium_pct=D("1.5"))
    loan = disbursed_loan(team, amount="12000.00", term_months=12)
    day = date(2026, 3, 10)
    quote = services.loan_settlement_quote(loan=loan, date=day)
    assert quote.premium == D("180.00")
    repayment = _pay(team, loan, quote.total, day, reads)
    loan.refresh_from_db()
    assert loan.state == "repaid"
    assert repayment.prepayment == D("0.00")
    assert_books_ok(team.fund)


def test_a_loan_in_full_grace_capitalises_and_reads_once(team, reads):
    loan = disbursed_loan(
        team, amount="12000.00", term_months=12, grace_full=2, grace_interest="capitalise"
    )
    repayment = _pay(team, loan, "500.00", date(2026, 4, 2), reads)
    assert repayment.amount == D("500.00")
    assert_books_ok(team.fund)
