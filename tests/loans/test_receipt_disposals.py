"""A receipt in suspense that is no loan's repayment: refunded to the payer, or booked as
capital paid in, each with four eyes; nothing is booked on one pair."""

from __future__ import annotations

from datetime import date

import pytest
from djmoney.money import Money

from fund import services as fund_services
from fund.models import CompartmentKind, Contribution, Investor
from ledger import chart
from ledger.models import JournalEntry
from loans import exceptions as exc
from loans import services
from tests.loans.test_loan_helpers import D, assert_books_ok, balance, disbursed_loan, funded_team

DAY = date(2026, 11, 2)


@pytest.fixture
def team(db):
    return funded_team()


def receipt(team, amount="250.00", payer="NL02RABO0123456789"):
    return services.receipt_record_unmatched(
        fund=team.fund,
        amount=amount,
        value_date=DAY,
        payer_reference=payer,
        recorded_by=team.manager,
        description="onbekend",
    )


def entries(team) -> int:
    return JournalEntry.objects.filter(book=team.fund.book).count()


def test_a_refund_is_booked_only_when_a_second_manager_approves(team):
    money_in = receipt(team)
    cash = balance(team.fund, chart.BANK_REVOLVING)
    before = entries(team)
    disposal = services.receipt_disposal_propose(
        receipt=money_in,
        kind="refund",
        proposed_by=team.manager,
        reason="Verkeerd overgemaakt.",
        iban="NL91 ABNA 0417 1643 00",
        name="Stichting Dorpshuis",
    )
    assert entries(team) == before
    with pytest.raises(exc.FourEyesViolation):
        services.receipt_disposal_decide(
            disposal=disposal, decided_by=team.manager, approve=True, reason="zelf"
        )
    services.receipt_disposal_decide(
        disposal=disposal, decided_by=team.second_manager, approve=True, reason="akkoord"
    )
    disposal.refresh_from_db()
    assert disposal.state == "executed" and disposal.iban == "NL91ABNA0417164300"
    assert disposal.entry.date == date(2026, 11, 28)  # the clock's today: the money leaves now
    assert balance(team.fund, chart.SUSPENSE) == 0
    assert balance(team.fund, chart.BANK_REVOLVING) == cash - D("250.00")
    # Handled once: no second proposal, no match to a loan.
    with pytest.raises(exc.InvalidTransition):
        services.receipt_disposal_propose(
            receipt=money_in, kind="refund", proposed_by=team.manager, reason="nog eens",
            iban="NL91ABNA0417164300", name="X",
        )  # fmt: skip
    loan = disbursed_loan(team, amount="12000.00")
    with pytest.raises(exc.InvalidTransition):
        services.receipt_match(receipt=money_in, loan=loan, matched_by=team.manager)
    assert_books_ok(team.fund)


def test_a_rejected_proposal_books_nothing_and_the_receipt_stays_open(team):
    money_in = receipt(team)
    disposal = services.receipt_disposal_propose(
        receipt=money_in, kind="refund", proposed_by=team.manager, reason="terug",
        iban="NL91ABNA0417164300", name="Dorpshuis",
    )  # fmt: skip
    before = entries(team)
    services.receipt_disposal_decide(
        disposal=disposal, decided_by=team.second_manager, approve=False, reason="is aflossing"
    )
    assert entries(team) == before
    assert balance(team.fund, chart.SUSPENSE) == D("-250.00")
    loan = disbursed_loan(team, amount="12000.00")
    repayment = services.receipt_match(receipt=money_in, loan=loan, matched_by=team.manager)
    assert repayment.amount == D("250.00")
    assert_books_ok(team.fund)


def test_a_receipt_booked_as_a_contribution_counts_as_capital_paid_in(team):
    investor = Investor.objects.create(code="PROV", name="Provincie", kind="province")
    compartment = team.fund.compartments.get(kind=CompartmentKind.REVOLVING)
    commitment = fund_services.commitment_create(
        investor=investor,
        compartment=compartment,
        amount=Money("10000.00", "EUR"),
        date=date(2026, 1, 1),
        created_by=team.manager,
    )
    money_in = receipt(team, amount="5000.00", payer="Provincie Gelderland")
    capital = balance(team.fund, chart.CAPITAL_REVOLVING)
    disposal = services.receipt_disposal_propose(
        receipt=money_in,
        kind="contribution",
        proposed_by=team.manager,
        reason="Storting provincie zonder kenmerk.",
        commitment=commitment,
    )
    services.receipt_disposal_decide(
        disposal=disposal, decided_by=team.second_manager, approve=True, reason="akkoord"
    )
    contribution = Contribution.objects.get(commitment=commitment)
    assert contribution.amount == Money("5000.00", "EUR")
    assert balance(team.fund, chart.SUSPENSE) == 0
    assert balance(team.fund, chart.CAPITAL_REVOLVING) == capital - D("5000.00")
    assert_books_ok(team.fund)


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("refund", {"iban": "NL00XXXX", "name": "X"}, "IBAN"),
        ("refund", {"iban": "NL91ABNA0417164300", "name": " "}, "naam"),
        ("contribution", {}, "toezegging"),
    ],
)
def test_a_proposal_without_what_it_needs_is_refused(team, kind, fields, message):
    money_in = receipt(team)
    with pytest.raises(exc.InvalidTransition, match=message):
        services.receipt_disposal_propose(
            receipt=money_in, kind=kind, proposed_by=team.manager, reason="r", **fields
        )
    assert not money_in.disposals.exists()
