"""Funds, investors, commitments and contributions: the capital side of a fund."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from djmoney.money import Money

from fund import exceptions as exc
from fund.models import CompartmentKind, Contribution
from fund.selectors import compartment_position, contributions_for_investor
from fund.services import commitment_create, contribution_record, fund_create, investor_create
from ledger.selectors import balance_by_code, balances_by_code
from tests import factories as f
from tests.fund.helpers import assert_books_ok, cents, refused, row

pytestmark = pytest.mark.django_db

EUR = "EUR"


# --- funds ---------------------------------------------------------------------------------


def test_fund_create_makes_book_chart_compartments_and_managers():
    manager = f.UserFactory()

    fund = fund_create(
        slug="rfb",
        name="Revolverend Fonds Burgercollectieven",
        managers=[manager],
        created_by=manager,
    )

    assert fund.book.slug == "rfb"
    assert sorted(fund.compartments.values_list("kind", flat=True)) == ["grant", "revolving"]
    assert list(fund.managers.all()) == [manager]
    assert set(balances_by_code(book=fund.book)) >= {"1000", "1010", "2000", "3000", "3010"}
    assert all(v == 0 for v in balances_by_code(book=fund.book).values())


def test_fund_create_with_a_slug_in_use_writes_nothing():
    team = f.create_fund_team()

    with refused(IntegrityError):
        fund_create(slug=team.fund.slug, name="Dubbel", managers=[team.manager])


# --- investors -----------------------------------------------------------------------------


def test_investor_create_by_a_fund_manager(team):
    investor = investor_create(
        code="INV-GLD",
        name="Provincie Gelderland",
        kind="province",
        created_by=team.manager,
        iban="NL91ABNA0417164300",
    )

    assert row(investor)["code"] == "INV-GLD"
    assert row(investor)["iban"] == "NL91ABNA0417164300"


@pytest.mark.parametrize("who", ["nobody", "member", "auditor", "investor_user", "anonymous"])
def test_investor_create_by_someone_who_manages_no_fund_is_refused(who):
    user = {
        "nobody": f.UserFactory,
        "member": lambda: f.member_of(f.CollectiveFactory()),
        "auditor": f.create_auditor,
        "investor_user": f.create_investor_user,
        "anonymous": lambda: None,
    }[who]()
    with refused(exc.NotAllowed):
        investor_create(code="INV-X", name="X", kind="province", created_by=user)


@pytest.mark.parametrize(
    "details", [{"iban": "NL00ABNA0417164300"}, {"kind": "alien"}, {"email": "geen-mail"}]
)
def test_investor_create_refuses_invalid_details_and_writes_nothing(team, details):
    fields = {"code": "INV-X", "name": "X", "kind": "province", **details}
    with refused(ValidationError):
        investor_create(created_by=team.manager, **fields)


def test_investor_codes_are_unique():
    f.InvestorFactory(code="INV-GLD")
    with refused(ValidationError):
        f.InvestorFactory(code="INV-GLD")


# --- commitments ---------------------------------------------------------------------------


def test_commitment_create_by_a_manager(team, investor):
    commitment = commitment_create(
        investor=investor,
        compartment=team.revolving,
        amount="250000",
        date=date(2026, 1, 2),
        reference="GS-besluit 2026/12",
        created_by=team.manager,
    )

    assert commitment.amount == Money("250000.00", EUR)
    assert commitment.compartment == team.revolving
    # A promise moves no money.
    assert all(v == 0 for v in balances_by_code(book=team.fund.book).values())


@pytest.mark.parametrize("who", ["other_manager", "member", "auditor"])
def test_commitment_create_by_someone_else_is_refused(team, other_team, investor, who):
    user = {
        "other_manager": other_team.manager,
        "member": f.member_of(f.CollectiveFactory()),
        "auditor": f.create_auditor(),
    }[who]
    with refused(exc.NotAllowed):
        commitment_create(
            investor=investor,
            compartment=team.grant,
            amount="1000",
            date=date(2026, 1, 2),
            created_by=user,
        )


@pytest.mark.parametrize("amount", ["0", "-100.00", Money("100", "USD")])
def test_commitment_create_refuses_amounts(team, investor, amount):
    with refused(exc.InvalidAmount):
        commitment_create(
            investor=investor,
            compartment=team.grant,
            amount=amount,
            date=date(2026, 1, 2),
            created_by=team.manager,
        )


# --- contributions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "bank", "capital"),
    [(CompartmentKind.REVOLVING, "1000", "3000"), (CompartmentKind.GRANT, "1010", "3010")],
)
def test_contribution_posts_bank_against_capital_keyed_by_the_investor(
    team, investor, kind, bank, capital
):
    commitment = f.commitment_for(team=team, kind=kind, amount="100000", investor=investor)

    contribution = contribution_record(
        commitment=commitment, amount="40000.00", date=date(2026, 2, 1), created_by=team.manager
    )

    entry = contribution.entry
    assert entry.book == team.fund.book
    assert entry.date == date(2026, 2, 1)
    assert entry.created_by == team.manager
    assert entry.source_type == "fund.contribution"
    lines = [
        (ln.account.code, ln.debit, ln.credit, ln.party)
        for ln in entry.lines.select_related("account").order_by("id")
    ]
    assert lines == [
        (bank, cents("40000"), 0, investor.code),
        (capital, 0, cents("40000"), investor.code),
    ]
    balances = balances_by_code(book=team.fund.book)
    assert balances[bank] == cents("40000")
    assert balances[capital] == -cents("40000")
    book = team.fund.book
    assert balance_by_code(book=book, code=capital, party=investor.code) == -cents("40000")
    position = compartment_position(commitment.compartment)
    assert (position.cash, position.capital) == (Decimal("40000.00"), Decimal("40000.00"))
    assert_books_ok(book)


def test_contributions_up_to_the_commitment_then_refused(team, investor):
    commitment = f.commitment_for(team=team, amount="1000.00", investor=investor)
    contribution_record(
        commitment=commitment, amount="600.00", date=date(2026, 2, 1), created_by=team.manager
    )
    contribution_record(
        commitment=commitment, amount="400.00", date=date(2026, 3, 1), created_by=team.manager
    )

    with refused(exc.InvalidAmount, commitment, match="toezegging"):
        contribution_record(
            commitment=commitment, amount="0.01", date=date(2026, 4, 1), created_by=team.manager
        )
    assert balances_by_code(book=team.fund.book)["1010"] == cents("1000")
    assert list(contributions_for_investor(investor)) == list(
        Contribution.objects.filter(commitment=commitment).order_by("date")
    )


def test_one_contribution_above_the_commitment_is_refused(team, investor):
    commitment = f.commitment_for(team=team, amount="1000.00", investor=investor)
    with refused(exc.InvalidAmount):
        contribution_record(
            commitment=commitment,
            amount="1000.01",
            date=date(2026, 2, 1),
            created_by=team.manager,
        )


@pytest.mark.parametrize("amount", ["0.00", "-5"])
def test_contribution_refuses_amounts(team, investor, amount):
    commitment = f.commitment_for(team=team, amount="1000.00", investor=investor)
    with refused(exc.InvalidAmount):
        contribution_record(
            commitment=commitment, amount=amount, date=date(2026, 2, 1), created_by=team.manager
        )


def test_contribution_by_a_manager_of_another_fund_is_refused(team, other_team, investor):
    commitment = f.commitment_for(team=team, amount="1000.00", investor=investor)
    with refused(exc.NotAllowed):
        contribution_record(
            commitment=commitment,
            amount="10",
            date=date(2026, 2, 1),
            created_by=other_team.manager,
        )


def test_contribution_into_a_closed_period_is_refused_and_writes_nothing(team, investor):
    from ledger.exceptions import ClosedPeriod
    from ledger.services import period_close, period_create

    period = period_create(
        book=team.fund.book, name="2025", start=date(2025, 1, 1), end=date(2025, 12, 31)
    )
    period_close(period=period, closed_by=team.manager)
    commitment = f.commitment_for(team=team, amount="1000.00", investor=investor)

    with refused(ClosedPeriod):
        contribution_record(
            commitment=commitment, amount="10", date=date(2025, 6, 1), created_by=team.manager
        )


def test_a_contribution_dated_after_today_waits_for_its_day(team, investor, clock_at):
    """Money that has not arrived is not booked: a contribution dated in 2100 is refused, and
    today's free capacity stays as it was; once the day comes, the same call goes through."""
    commitment = f.commitment_for(team=team, amount="1000000.00", investor=investor)
    with refused(exc.InvalidDate, commitment, match="na vandaag"):
        contribution_record(
            commitment=commitment,
            amount="1000000.00",
            date=date(2100, 1, 1),
            created_by=team.manager,
        )
    assert compartment_position(commitment.compartment).cash == Decimal("0.00")
    clock_at(date(2026, 12, 1))
    contribution_record(
        commitment=commitment, amount="500.00", date=date(2026, 12, 1), created_by=team.manager
    )
    assert compartment_position(commitment.compartment).cash == Decimal("500.00")
