"""Reads: compartment positions, the pipeline, pool history, and what each role may see."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from fund import services
from fund.models import ApplicationKind, ApplicationState, CompartmentKind
from fund.selectors import (
    applications_for,
    collectives_for,
    contributions_for_investor,
    fund_positions,
    funds_for,
    grants_for,
    investors_for,
    money_total,
    pipeline,
    pool_history,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

D = date


def test_fund_positions_per_compartment():
    team = f.create_funded_team(grant="50000", revolving="200000")
    f.awarded_grant(team=team, amount="10000", ensure_capacity=False)
    f.paid_grant(team=team, amount="5000", tranches=["2000"], ensure_capacity=False)
    f.approved_application(team=team, amount="7000", ensure_capacity=False)
    f.approved_application(team=team, kind=ApplicationKind.LOAN, amount="80000")

    grant, revolving = fund_positions(team.fund)

    assert grant.compartment.kind == CompartmentKind.GRANT
    assert (grant.cash, grant.payable, grant.reserved, grant.capital) == (
        Decimal("48000.00"),  # 50,000 - 2,000 paid
        Decimal("13000.00"),  # 10,000 + 3,000 unpaid
        Decimal("7000.00"),
        Decimal("50000.00"),
    )
    assert (grant.committed, grant.available) == (Decimal("20000.00"), Decimal("28000.00"))
    assert revolving.compartment.kind == CompartmentKind.REVOLVING
    assert (revolving.cash, revolving.payable, revolving.reserved, revolving.available) == (
        Decimal("200000.00"),
        Decimal("0.00"),
        Decimal("80000.00"),
        Decimal("120000.00"),
    )


def test_pipeline_counts_every_state():
    team = f.create_funded_team()
    other = f.create_fund_team()
    for state, n in [("draft", 2), ("submitted", 1), ("in_review", 3), ("approved", 1)]:
        for _ in range(n):
            f.create_application(state, team=team, amount="100")
    f.withdrawn_application(team=team)
    f.draft_application(team=other)

    assert pipeline(team.fund) == {
        "draft": 2,
        "submitted": 1,
        "in_review": 3,
        "approved": 1,
        "rejected": 0,
        "withdrawn": 1,
    }
    assert pipeline(other.fund) == {s: int(s == "draft") for s in ApplicationState.values}


def test_pool_history_gives_the_cash_at_each_month_end_and_today():
    team = f.create_fund_team()
    grant_commitment = f.commitment_for(team=team, kind=CompartmentKind.GRANT, amount="1000")
    loan_commitment = f.commitment_for(team=team, kind=CompartmentKind.REVOLVING, amount="9000")
    for commitment, amount, day in [
        (grant_commitment, "1000", D(2026, 1, 10)),
        (loan_commitment, "5000", D(2026, 3, 31)),  # on the month end: counts for March
        (loan_commitment, "2000", D(2026, 4, 1)),
        (loan_commitment, "1500", D(2026, 6, 15)),  # today
        (loan_commitment, "500", D(2026, 6, 16)),  # after today: not shown
    ]:
        services.contribution_record(
            commitment=commitment, amount=amount, date=day, created_by=team.manager
        )
    grant = f.paid_grant(team=team, amount="300", day=D(2026, 5, 2), ensure_capacity=False)
    assert grant.state == "paid"

    history = pool_history(team.fund, months=6, today=D(2026, 6, 15))

    assert [(h["date"], h["grant"], h["revolving"]) for h in history] == [
        (D(2025, 12, 31), Decimal("0.00"), Decimal("0.00")),
        (D(2026, 1, 31), Decimal("1000.00"), Decimal("0.00")),
        (D(2026, 2, 28), Decimal("1000.00"), Decimal("0.00")),
        (D(2026, 3, 31), Decimal("1000.00"), Decimal("5000.00")),
        (D(2026, 4, 30), Decimal("1000.00"), Decimal("7000.00")),
        (D(2026, 5, 31), Decimal("700.00"), Decimal("7000.00")),
        (D(2026, 6, 15), Decimal("700.00"), Decimal("8500.00")),
    ]


def test_pool_history_across_a_year_end_and_leap_day():
    team = f.create_fund_team()

    history = pool_history(team.fund, months=3, today=D(2024, 3, 31))

    assert [h["date"] for h in history] == [
        D(2023, 12, 31),
        D(2024, 1, 31),
        D(2024, 2, 29),
        D(2024, 3, 31),
    ]


def test_money_total_and_contributions_for_investor():
    team = f.create_fund_team()
    investor = f.InvestorFactory()
    f.fund_compartment(team=team, amount="100.10", investor=investor)
    f.fund_compartment(team=team, kind=CompartmentKind.REVOLVING, amount="0.20", investor=investor)
    f.fund_compartment(team=team, amount="999")  # another investor

    contributions = contributions_for_investor(investor)

    assert money_total(c.amount for c in contributions).amount == Decimal("100.30")
    assert money_total([]).amount == Decimal("0.00")


# --- scoping: what each role may see -------------------------------------------------------


@pytest.fixture
def world(db):
    """Two funds, each with a collective, an application and a grant; two investors."""
    a = f.create_fund_team(name="Fonds A")
    b = f.create_fund_team(name="Fonds B")
    coll_a = f.create_verified_collective(verified_by=a.manager, name="Coöperatie A")
    coll_b = f.create_verified_collective(verified_by=b.manager, name="Coöperatie B")
    idle = f.CollectiveFactory(name="Coöperatie zonder aanvraag")
    inv_a, inv_b = f.InvestorFactory(name="Investeerder A"), f.InvestorFactory(name="Inv B")
    w = {
        "a": a,
        "b": b,
        "coll_a": coll_a,
        "coll_b": coll_b,
        "idle": idle,
        "inv_a": inv_a,
        "inv_b": inv_b,
        "app_a": f.draft_application(team=a, collective=coll_a),
        "app_b": f.submitted_application(team=b, collective=coll_b),
        "grant_a": f.awarded_grant(team=a, collective=coll_a),
        "grant_b": f.awarded_grant(team=b, collective=coll_b),
        "investor_user": f.create_investor_user(inv_a),
        "auditor": f.create_auditor(),
        "nobody": f.UserFactory(),
    }
    return w


def ids(qs):
    return sorted(o.pk for o in qs)


def test_funds_for(world):
    a, b = world["a"], world["b"]

    assert ids(funds_for(a.manager)) == ids(funds_for(a.second_manager)) == [a.fund.pk]
    assert ids(funds_for(b.manager)) == [b.fund.pk]
    assert ids(funds_for(world["auditor"])) == sorted([a.fund.pk, b.fund.pk])
    assert ids(funds_for(f.member_of(world["coll_a"]))) == []
    assert ids(funds_for(world["investor_user"])) == []
    assert ids(funds_for(world["nobody"])) == []


def test_collectives_for(world):
    everyone = sorted(c.pk for c in (world["coll_a"], world["coll_b"], world["idle"]))

    assert ids(collectives_for(world["a"].manager)) == everyone  # managers verify any
    assert ids(collectives_for(world["auditor"])) == everyone
    assert ids(collectives_for(f.member_of(world["coll_a"]))) == [world["coll_a"].pk]
    assert ids(collectives_for(f.member_of(world["idle"]))) == [world["idle"].pk]
    assert ids(collectives_for(world["investor_user"])) == []
    assert ids(collectives_for(world["nobody"])) == []


def test_applications_for(world):
    a, b = world["a"], world["b"]
    app_a, app_b = world["app_a"], world["app_b"]
    grant_app_a, grant_app_b = world["grant_a"].application, world["grant_b"].application

    assert ids(applications_for(a.manager)) == sorted([app_a.pk, grant_app_a.pk])
    assert ids(applications_for(b.second_manager)) == sorted([app_b.pk, grant_app_b.pk])
    assert ids(applications_for(world["auditor"])) == sorted(
        [app_a.pk, app_b.pk, grant_app_a.pk, grant_app_b.pk]
    )
    member_a = f.member_of(world["coll_a"])
    assert ids(applications_for(member_a)) == sorted([app_a.pk, grant_app_a.pk])
    assert ids(applications_for(f.member_of(world["idle"]))) == []
    assert ids(applications_for(world["investor_user"])) == []
    assert ids(applications_for(world["nobody"])) == []


def test_a_manager_who_is_also_a_member_sees_both_without_duplicates(world):
    b = world["b"]
    # A member of collective A becomes a manager of fund B.
    member_a = f.member_of(world["coll_a"])
    team = f.create_fund_team()
    services.fund_create(slug="fonds-c", name="Fonds C", managers=[member_a, team.manager])
    f.draft_application(team=b, collective=world["coll_a"])  # A's collective also asks B

    seen = list(applications_for(member_a))

    assert len(seen) == len({a.pk for a in seen}) == 3  # coll_a's three, each once


def test_grants_for(world):
    a, b = world["a"], world["b"]
    grant_a, grant_b = world["grant_a"], world["grant_b"]

    assert ids(grants_for(a.manager)) == [grant_a.pk]
    assert ids(grants_for(b.manager)) == [grant_b.pk]
    assert ids(grants_for(world["auditor"])) == sorted([grant_a.pk, grant_b.pk])
    assert ids(grants_for(f.member_of(world["coll_a"]))) == [grant_a.pk]
    assert ids(grants_for(f.member_of(world["coll_b"]))) == [grant_b.pk]
    assert ids(grants_for(world["investor_user"])) == []
    assert ids(grants_for(world["nobody"])) == []


def test_investors_for(world):
    from fund.models import Investor

    everyone = ids(Investor.objects.all())
    assert len(everyone) >= 2

    assert ids(investors_for(world["a"].manager)) == everyone
    assert ids(investors_for(world["auditor"])) == everyone
    assert ids(investors_for(world["investor_user"])) == [world["inv_a"].pk]
    assert ids(investors_for(f.member_of(world["coll_a"]))) == []
    assert ids(investors_for(world["nobody"])) == []


def test_an_anonymous_user_sees_nothing(world):
    """BUG: the scoping selectors filter on ``managers=user`` / ``members=user`` with an
    AnonymousUser and raise TypeError ("Field 'id' expected a number") instead of giving an
    empty queryset (reports.access.user_roles does handle anonymous users)."""
    anonymous = AnonymousUser()
    for selector in (funds_for, collectives_for, applications_for, grants_for, investors_for):
        assert list(selector(anonymous)) == [], selector.__name__
