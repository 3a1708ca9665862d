"""Numbers such as A-2026-0001: per prefix and year, unique, and without gaps (a refused
call rolls its number back with everything else)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from fund import exceptions as exc
from fund import services
from fund.models import Application, NumberSequence
from ledger import clock
from tests import factories as f
from tests.fund.helpers import refused

pytestmark = pytest.mark.django_db


def seq(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def test_application_numbers_count_up_from_one(team):
    year = clock.today().year

    numbers = [f.draft_application(team=team).number for _ in range(5)]

    assert numbers == [f"A-{year}-{n:04d}" for n in range(1, 6)]


def test_prefixes_and_years_count_apart():
    assert services.number_next(prefix="A", year=2026) == "A-2026-0001"
    assert services.number_next(prefix="A", year=2026) == "A-2026-0002"
    assert services.number_next(prefix="S", year=2026) == "S-2026-0001"
    assert services.number_next(prefix="A", year=2027) == "A-2027-0001"
    assert services.number_next(prefix="A", year=2026) == "A-2026-0003"
    assert NumberSequence.objects.get(prefix="A", year=2026).last == 3


def test_a_refused_application_uses_no_number(team, collective, member):
    first = f.draft_application(team=team, collective=collective)

    with refused(exc.FundError):
        services.application_create(
            fund=team.fund,
            collective=collective,
            kind="loan",
            title="Zonder looptijd",
            purpose="-",
            amount_requested="100",
            created_by=member,
        )
    second = f.draft_application(team=team, collective=collective)

    assert seq(second.number) == seq(first.number) + 1


def test_a_number_taken_inside_a_rolled_back_transaction_is_given_again():
    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        assert services.number_next(prefix="T", year=2026) == "T-2026-0001"
        raise Undo

    assert services.number_next(prefix="T", year=2026) == "T-2026-0001"


def test_numbers_across_collectives_applications_and_grants_have_no_gaps():
    team = f.create_fund_team()
    for _ in range(3):
        f.awarded_grant(team=team, day=date(2026, 3, 1))
    f.rejected_application(team=team)

    collectives = sorted(
        seq(c) for c in f.CollectiveFactory._meta.model.objects.values_list("code", flat=True)
    )
    applications = sorted(seq(a) for a in Application.objects.values_list("number", flat=True))
    grants = sorted(seq(g.number) for g in team.fund.grants.all())

    assert collectives == list(range(1, 5))
    assert applications == list(range(1, 5))
    assert grants == [1, 2, 3]


def test_the_database_refuses_a_duplicate_application_number(team):
    application = f.draft_application(team=team)
    other = f.draft_application(team=team)

    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=other.pk).update(number=application.number)
