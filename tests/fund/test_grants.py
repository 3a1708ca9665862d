"""Grants: awarded (Dr 5000 / Cr 2000), paid in tranches (Dr 2000 / Cr 1010), settled
(unpaid rest released Dr 2000 / Cr 5000, unused money returned Dr 1010 / Cr 5000)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from djmoney.money import Money

from fund import exceptions as exc
from fund import services
from fund.models import ApplicationKind, ApplicationState, CompartmentKind, GrantState
from fund.selectors import compartment_position
from ledger import chart
from ledger.exceptions import ClosedPeriod
from ledger.selectors import balance_by_code
from ledger.services import entry_reverse, period_close, period_create
from tests import factories as f
from tests.fund.helpers import assert_balances, assert_books_ok, cents, refused, row

pytestmark = pytest.mark.django_db

EUR = "EUR"
D = date


def grant_position(team):
    p = compartment_position(team.grant)
    return (p.cash, p.payable, p.reserved, p.available)


def euros(*values):
    return tuple(Decimal(v) for v in values)


def lines_of(entry):
    return [
        (ln.account.code, ln.debit, ln.credit, ln.contract, ln.party)
        for ln in entry.lines.select_related("account").order_by("id")
    ]


def decide(application, team, amount):
    return services.application_decide(
        application=application,
        decided_by=team.second_manager,
        approve=True,
        reason="Akkoord.",
        amount=amount,
    )


# --- a worked example: one year of the grant compartment -----------------------------------


def test_worked_example_grant_compartment():
    team = f.create_fund_team(name="Dorpenfonds Achterhoek")
    book = team.fund.book
    gemeente = f.InvestorFactory(code="INV-ZUT", name="Gemeente Zutphen", kind="municipality")
    coop = f.create_verified_collective(verified_by=team.manager, name="Zon op Eefde")

    # 1. The municipality commits 100,000 and pays in 60,000.
    commitment = f.commitment_for(team=team, amount="100000", investor=gemeente, day=D(2026, 1, 5))
    services.contribution_record(
        commitment=commitment, amount="60000", date=D(2026, 1, 10), created_by=team.manager
    )
    assert_balances(book, {"1010": "60000", "3010": "-60000"})
    assert balance_by_code(book=book, code="3010", party="INV-ZUT") == -cents("60000")
    assert grant_position(team) == euros("60000", "0", "0", "60000")
    assert_books_ok(book)

    # 2. Two applications; A for 25,000 is approved: reserved, no booking.
    a = f.in_review_application(team=team, collective=coop, amount="25000")
    b = f.in_review_application(team=team, amount="40000")
    decide(a, team, "25000")
    assert_balances(book, {"1010": "60000", "3010": "-60000"})
    assert grant_position(team) == euros("60000", "0", "25000", "35000")

    # 3. B for 40,000 does not fit (35,000 free) until the rest of the commitment comes in.
    with refused(exc.InsufficientCapacity, b):
        decide(b, team, "40000")
    services.contribution_record(
        commitment=commitment, amount="40000", date=D(2026, 2, 1), created_by=team.manager
    )
    decide(b, team, "40000")
    assert_balances(book, {"1010": "100000", "3010": "-100000"})
    assert grant_position(team) == euros("100000", "0", "65000", "35000")
    assert_books_ok(book)

    # 4. A's grant is awarded: the reservation moves into grants payable.
    grant = services.grant_award(application=a, awarded_by=team.manager, date=D(2026, 3, 1))
    assert grant.number == "S-2026-0001"
    assert (grant.state, grant.amount) == (GrantState.AWARDED, Money("25000", EUR))
    assert lines_of(grant.award_entry) == [
        ("5000", cents("25000"), 0, grant.number, coop.code),
        ("2000", 0, cents("25000"), grant.number, coop.code),
    ]
    assert row(a)["commitment_open"] == Decimal("0.00")
    assert_balances(book, {"1010": "100000", "2000": "-25000", "3010": "-100000", "5000": "25000"})
    assert grant_position(team) == euros("100000", "25000", "40000", "35000")
    assert_books_ok(book)

    # 5. First tranche, 10,000: Dr 2000 / Cr 1010.
    payment = f.pay_grant(grant=grant, amount="10000", date=D(2026, 3, 15), team=team)
    assert lines_of(payment.entry) == [
        ("2000", cents("10000"), 0, grant.number, coop.code),
        ("1010", 0, cents("10000"), grant.number, coop.code),
    ]
    assert_balances(book, {"1010": "90000", "2000": "-15000", "3010": "-100000", "5000": "25000"})
    assert grant_position(team) == euros("90000", "15000", "40000", "35000")
    assert row(grant)["state"] == GrantState.PAYING

    # 6. More than the unpaid 15,000 is refused.
    with refused(exc.InvalidAmount, grant, match="te betalen"):
        services.grant_payment_propose(
            grant=grant, amount="15000.01", date=D(2026, 4, 1), proposed_by=team.manager
        )

    # 7. Second tranche, 5,000.
    f.pay_grant(grant=grant, amount="5000", date=D(2026, 5, 1), team=team)
    assert_balances(book, {"1010": "85000", "2000": "-10000", "3010": "-100000", "5000": "25000"})
    assert_books_ok(book)

    # 8. A settlement dated after today (28-11-2026) waits for its day: refused, nothing written.
    with refused(exc.InvalidDate, grant, match="na vandaag"):
        services.grant_settle(
            grant=grant, returned="2000", date=D(2026, 12, 1), settled_by=team.manager
        )

    # 9. Settled: the unpaid 10,000 is released and the collective returns 2,000 unused.
    settled = services.grant_settle(
        grant=grant, returned="2000", date=D(2026, 11, 27), settled_by=team.manager
    )
    assert (settled.state, settled.settled_at) == (GrantState.SETTLED, D(2026, 11, 27))
    assert settled.paid == Money("15000", EUR)
    assert settled.released == Money("10000", EUR)
    assert settled.returned == Money("2000", EUR)
    assert_balances(book, {"1010": "87000", "3010": "-100000", "5000": "13000"})
    assert grant_position(team) == euros("87000", "0", "40000", "47000")
    # The grant's own sub-ledger: expense 25,000 - 10,000 - 2,000; nothing payable.
    assert balance_by_code(book=book, code="5000", contract=grant.number) == cents("13000")
    assert balance_by_code(book=book, code="2000", contract=grant.number) == 0
    assert_books_ok(book)


# --- award ---------------------------------------------------------------------------------


def test_award_numbers_by_the_award_date_year():
    team = f.create_fund_team()

    first = f.awarded_grant(team=team, day=D(2025, 12, 31))
    second = f.awarded_grant(team=team, day=D(2025, 12, 31))

    assert (first.number, second.number) == ("S-2025-0001", "S-2025-0002")
    assert first.award_entry.source_type == "fund.grant_award"
    assert first.award_entry.created_by == team.manager


def test_award_keeps_the_available_budget():
    team = f.create_funded_team(grant="10000", revolving=None)
    application = f.approved_application(team=team, amount="4000")
    before = grant_position(team)

    services.grant_award(application=application, awarded_by=team.manager, date=f.DAY)

    assert grant_position(team)[3] == before[3] == Decimal("6000.00")


@pytest.mark.parametrize(
    "state",
    [
        ApplicationState.DRAFT,
        ApplicationState.SUBMITTED,
        ApplicationState.IN_REVIEW,
        ApplicationState.REJECTED,
        ApplicationState.WITHDRAWN,
    ],
)
def test_only_an_approved_application_is_awarded(state):
    team = f.create_funded_team(grant="10000", revolving=None)
    application = f.create_application(state, team=team, amount="1000")

    with refused(exc.InvalidTransition, application):
        services.grant_award(application=application, awarded_by=team.manager, date=f.DAY)


def test_a_loan_application_is_not_awarded_as_a_grant():
    team = f.create_funded_team(grant="10000", revolving="10000")
    application = f.approved_application(team=team, kind=ApplicationKind.LOAN, amount="1000")

    with refused(exc.InvalidTransition, application):
        services.grant_award(application=application, awarded_by=team.manager, date=f.DAY)


def test_a_grant_is_awarded_once():
    team = f.create_fund_team()
    grant = f.awarded_grant(team=team)

    with refused(exc.InvalidTransition, grant.application, grant):
        services.grant_award(application=grant.application, awarded_by=team.manager, date=f.DAY)


@pytest.mark.parametrize("who", ["other_manager", "member", "auditor"])
def test_award_only_by_a_manager_of_the_fund(other_team, who):
    team = f.create_fund_team()
    application = f.approved_application(team=team)
    user = {
        "other_manager": other_team.manager,
        "member": f.member_of(application.collective),
        "auditor": f.create_auditor(),
    }[who]

    with refused(exc.NotAllowed, application):
        services.grant_award(application=application, awarded_by=user, date=f.DAY)


def test_award_into_a_closed_period_is_refused_and_uses_no_number():
    team = f.create_fund_team()
    application = f.approved_application(team=team)
    period = period_create(
        book=team.fund.book, name="2025", start=D(2025, 1, 1), end=D(2025, 12, 31)
    )
    period_close(period=period, closed_by=team.manager)

    with refused(ClosedPeriod, application):
        services.grant_award(application=application, awarded_by=team.manager, date=D(2025, 6, 1))
    grant = services.grant_award(application=application, awarded_by=team.manager, date=f.DAY)
    assert grant.number == f"S-{f.DAY.year}-0001"


# --- pay -----------------------------------------------------------------------------------


def test_pay_the_whole_grant_in_one_tranche():
    team = f.create_fund_team()
    grant = f.awarded_grant(team=team, amount="3000")

    f.pay_grant(grant=grant, amount="3000", date=f.DAY, team=team)

    assert (row(grant)["state"], row(grant)["paid"]) == (GrantState.PAID, Decimal("3000.00"))
    assert grant.payments.count() == 1


def test_pay_is_refused_above_the_cash():
    """A contribution booked in error is reversed: the payable is then more than the cash."""
    team = f.create_fund_team()
    first = f.fund_compartment(team=team, amount="10000")
    grant = f.awarded_grant(team=team, amount="8000")
    entry_reverse(entry=first.entry, created_by=team.manager, date=f.DAY)
    f.fund_compartment(team=team, amount="5000")
    assert grant_position(team)[:2] == euros("5000", "8000")

    with refused(exc.InsufficientCapacity, grant, match="saldo"):
        services.grant_payment_propose(
            grant=grant, amount="5000.01", date=f.DAY, proposed_by=team.manager
        )
    f.pay_grant(grant=grant, amount="5000", date=f.DAY, team=team)
    assert balance_by_code(book=team.fund.book, code=chart.BANK_GRANT) == 0


@pytest.mark.parametrize(
    ("amount", "error"),
    [("0", exc.InvalidAmount), ("-1", exc.InvalidAmount), ("3000.01", exc.InvalidAmount)],
)
def test_pay_refuses_amounts(amount, error):
    team = f.create_fund_team()
    grant = f.awarded_grant(team=team, amount="3000")

    with refused(error, grant):
        services.grant_payment_propose(
            grant=grant, amount=amount, date=f.DAY, proposed_by=team.manager
        )


@pytest.mark.parametrize("state", [GrantState.PAID, GrantState.SETTLED])
def test_a_paid_or_settled_grant_takes_no_more_payments(state):
    team = f.create_funded_team(grant="100000", revolving=None)
    grant = (
        f.paid_grant(team=team, amount="3000")
        if state == GrantState.PAID
        else f.settled_grant(team=team, amount="3000", tranches=["1000"])
    )
    assert grant.state == state

    with refused(exc.InvalidTransition, grant):
        services.grant_payment_propose(
            grant=grant, amount="1", date=f.DAY, proposed_by=team.manager
        )


@pytest.mark.parametrize("who", ["other_manager", "member"])
def test_pay_only_by_a_manager_of_the_fund(other_team, who):
    team = f.create_fund_team()
    grant = f.awarded_grant(team=team)
    user = {"other_manager": other_team.manager, "member": f.member_of(grant.collective)}[who]

    with refused(exc.NotAllowed, grant):
        services.grant_payment_propose(grant=grant, amount="1", date=f.DAY, proposed_by=user)


# --- settle --------------------------------------------------------------------------------


def test_settle_an_unpaid_grant_releases_all_of_it():
    team = f.create_fund_team()
    grant = f.awarded_grant(team=team, amount="3000")
    cash = grant_position(team)[0]

    settled = services.grant_settle(grant=grant, returned="0", date=f.DAY, settled_by=team.manager)

    assert settled.released == Money("3000", EUR)
    book = team.fund.book
    assert balance_by_code(book=book, code="5000", contract=grant.number) == 0
    assert balance_by_code(book=book, code="2000", contract=grant.number) == 0
    assert grant_position(team)[0] == cash
    assert_books_ok(book)


def test_settle_a_fully_paid_grant_with_nothing_returned_posts_nothing():
    team = f.create_fund_team()
    grant = f.paid_grant(team=team, amount="3000")
    entries = team.fund.book.entries.count()

    settled = services.grant_settle(grant=grant, returned="0", date=f.DAY, settled_by=team.manager)

    assert settled.state == GrantState.SETTLED
    assert (settled.released, settled.returned) == (Money(0, EUR), Money(0, EUR))
    assert team.fund.book.entries.count() == entries


@pytest.mark.parametrize("returned", ["-1", "2000.01"])
def test_settle_refuses_returns_outside_zero_and_what_was_paid(returned):
    team = f.create_fund_team()
    grant = f.paid_grant(team=team, amount="3000", tranches=["2000"])

    with refused(exc.InvalidAmount, grant):
        services.grant_settle(grant=grant, returned=returned, date=f.DAY, settled_by=team.manager)


def test_settle_once():
    team = f.create_fund_team()
    grant = f.settled_grant(team=team, amount="3000")

    with refused(exc.InvalidTransition, grant):
        services.grant_settle(grant=grant, returned="0", date=f.DAY, settled_by=team.manager)


@pytest.mark.parametrize("who", ["other_manager", "member"])
def test_settle_only_by_a_manager_of_the_fund(other_team, who):
    team = f.create_fund_team()
    grant = f.paid_grant(team=team, amount="3000")
    user = {"other_manager": other_team.manager, "member": f.member_of(grant.collective)}[who]

    with refused(exc.NotAllowed, grant):
        services.grant_settle(grant=grant, returned="0", date=f.DAY, settled_by=user)


def test_returned_money_refills_the_grant_budget():
    team = f.create_funded_team(grant="10000", revolving=None)
    grant = f.paid_grant(team=team, amount="10000", ensure_capacity=False)
    assert grant_position(team) == euros("0", "0", "0", "0")

    services.grant_settle(grant=grant, returned="2500", date=f.DAY, settled_by=team.manager)

    assert grant_position(team) == euros("2500", "0", "0", "2500")
    assert compartment_position(f.compartment_of(team.fund, CompartmentKind.GRANT)).capital == (
        Decimal("10000.00")
    )
