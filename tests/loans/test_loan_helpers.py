"""Helpers for the loan tests (imported by the other test_loan_* modules), and their own checks.

Everything is built through the services: a funded fund team (tests/factories.py), an approved
loan application, a product, a contracted loan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import count

from django.contrib.auth import get_user_model

from fund import services as fund_services
from fund.models import Application, ApplicationKind, Compartment, Fund
from ledger.checks import check_book
from ledger.money import from_cents
from ledger.selectors import account_balance, balances_by_code
from loans import services
from loans.models import Instalment, Loan, LoanProduct

D = Decimal
CONTRACT_DAY = date(2026, 1, 15)
_seq = count(1)


@dataclass(frozen=True)
class Team:
    """A fund with two managers: ``manager`` assesses and proposes, ``second_manager`` decides."""

    fund: Fund
    manager: object
    second_manager: object

    @property
    def revolving(self) -> Compartment:
        return Compartment.objects.get(fund=self.fund, kind="revolving")


def _user(prefix: str):
    return get_user_model().objects.create_user(username=f"{prefix}{next(_seq)}")


def funded_team(revolving: str = "500000.00") -> Team:
    """A fund (through fund_create) with two managers and ``revolving`` paid in (1000/3000)."""
    manager, second = _user("beheerder"), _user("tweede")
    n = next(_seq)
    fund = fund_services.fund_create(
        slug=f"lf-{n}", name=f"Leningfonds {n}", managers=[manager, second], created_by=manager
    )
    team = Team(fund=fund, manager=manager, second_manager=second)
    if revolving and D(revolving) > 0:
        pay_in(team, revolving)
    return team


def pay_in(team: Team, amount) -> None:
    investor = fund_services.investor_create(
        code=f"INV-L{next(_seq)}",
        name="Provincie Gelderland",
        kind="province",
        created_by=team.manager,
    )
    commitment = fund_services.commitment_create(
        investor=investor,
        compartment=team.revolving,
        amount=amount,
        date=date(2026, 1, 2),
        created_by=team.manager,
    )
    fund_services.contribution_record(
        commitment=commitment, amount=amount, date=date(2026, 1, 2), created_by=team.manager
    )


def verified_collective(team: Team):
    n = next(_seq)
    member = _user("lid")
    collective = fund_services.collective_register(
        registered_by=member,
        member=member,
        name=f"Energiecoöperatie Zutphen {n}",
        kind="energy",
        legal_form="cooperatie",
        kvk_number=f"{70_000_000 + n:08d}",
        iban="NL91ABNA0417164300" if n % 2 else "NL20INGB0001234567",
        city="Zutphen",
        municipality="Zutphen",
    )
    return fund_services.collective_verify(collective=collective, verified_by=team.manager)


def approved_loan_application(
    team: Team, *, amount: str, term_months: int, collective=None
) -> Application:
    collective = collective or verified_collective(team)
    member = collective.members.first()
    application = fund_services.application_create(
        fund=team.fund,
        collective=collective,
        kind=ApplicationKind.LOAN,
        title="Zonnepanelen dorpshuis",
        purpose="Zonnepanelen op het dorpshuis.",
        amount_requested=amount,
        created_by=member,
        term_months=term_months,
    )
    application = fund_services.application_submit(application=application, submitted_by=member)
    application = fund_services.application_start_review(
        application=application, assessor=team.manager
    )
    application = fund_services.application_assess(
        application=application,
        assessor=team.manager,
        proposal="approve",
        assessment="Goed plan met draagvlak.",
        amount=amount,
    )
    return fund_services.application_decide(
        application=application,
        decided_by=team.second_manager,
        approve=True,
        reason="Past binnen het reglement.",
        amount=amount,
    )


def make_product(team: Team, **fields) -> LoanProduct:
    values = {
        "code": "DEV",
        "name": "Ontwikkellening",
        "annual_rate": D("6"),
        "max_term_months": 120,
        "max_amount": D("250000.00"),
        "method": "annuity",
        "frequency": "monthly",
    }
    values.update(fields)
    return services.loan_product_create(fund=team.fund, created_by=team.manager, **values)


def contracted_loan(
    team: Team,
    *,
    amount: str = "12000.00",
    term_months: int = 12,
    day: date = CONTRACT_DAY,
    product: LoanProduct | None = None,
    first_due: date | None = date(2026, 2, 1),
    **terms,
) -> Loan:
    application = approved_loan_application(team, amount=amount, term_months=term_months)
    product = product or LoanProduct.objects.filter(fund=team.fund, code="DEV").first()
    product = product or make_product(team)
    return services.loan_contract(
        application=application,
        product=product,
        contracted_by=team.manager,
        date=day,
        first_due=first_due,
        **terms,
    )


def disburse(loan: Loan, amount, day: date, by, approver, **kwargs):
    """A tranche with four eyes: ``by`` proposes it, ``approver`` approves (which pays it out).
    Returns the Disbursement."""
    change = services.tranche_propose(loan=loan, amount=amount, date=day, proposed_by=by, **kwargs)
    change = services.loan_change_decide(
        change=change, decided_by=approver, approve=True, reason="Mijlpaal gecontroleerd."
    )
    return loan.disbursements.get(entry_id=change.entry_id)


def disbursed_loan(team: Team, *, day: date = CONTRACT_DAY, **kwargs) -> Loan:
    loan = contracted_loan(team, day=day, **kwargs)
    disburse(loan, loan.principal, day, team.manager, team.second_manager)
    loan.refresh_from_db()
    return loan


def rows(loan: Loan) -> list[Instalment]:
    return services.current_rows(loan)


def contract_balance(loan: Loan, code: str) -> Decimal:
    """Balance of the loan's contract key on an account, debit positive, in euros."""
    account = loan.fund.book.accounts.get(code=code)
    return from_cents(account_balance(account=account, contract=loan.number))


def balance(fund, code: str) -> Decimal:
    return from_cents(balances_by_code(book=fund.book).get(code, 0))


def assert_books_ok(fund) -> None:
    report = check_book(fund.book)
    assert report.ok, report.differences
    assert report.checked.get("loans", 0) >= 0


def book_state(fund) -> dict:
    """Everything the ledger says, for comparing two histories."""
    return dict(sorted(balances_by_code(book=fund.book).items()))


def test_contracted_loan_helper_builds_through_services(db):
    team = funded_team()
    loan = contracted_loan(team)
    assert loan.number.startswith("L-2026-")
    assert loan.state == "contracted"
    assert_books_ok(team.fund)
