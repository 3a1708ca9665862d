from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def team(db) -> f.FundTeam:
    """A fund with two managers; no capital yet."""
    return f.create_fund_team(name="Revolverend Fonds Burgercollectieven")


@pytest.fixture
def other_team(db) -> f.FundTeam:
    """Another fund with its own two managers (who have no rights on ``team.fund``)."""
    return f.create_fund_team(name="Lokaal Fonds Zutphen")


@pytest.fixture
def collective(team):
    """A collective verified by a manager of ``team``, with one member."""
    return f.create_verified_collective(verified_by=team.manager)


@pytest.fixture
def member(collective):
    return f.member_of(collective)


@pytest.fixture
def investor(db):
    return f.InvestorFactory(name="Provincie Gelderland")


@pytest.fixture
def auditor(db):
    return f.create_auditor()
