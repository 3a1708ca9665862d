"""Races on PostgreSQL: row locks keep capacity, payments, capital and numbers right when
two managers act at the same moment. Each thread has its own connection and commits."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from fund import exceptions as exc
from fund import services
from fund.models import Application, ApplicationKind, ApplicationState, CompartmentKind, Grant
from fund.selectors import compartment_position
from ledger.checks import check_book
from ledger.models import AuditEvent, JournalEntry
from tests import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

ROUNDS = 5


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads that start together; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except BaseException as error:  # handed to the test, which asserts on it
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hangs (deadlock?)"
    return results


def split(results):
    ok = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, BaseException)]
    return ok, failed


@pytest.mark.parametrize(
    ("kind", "compartment"),
    [
        (ApplicationKind.GRANT, CompartmentKind.GRANT),
        (ApplicationKind.LOAN, CompartmentKind.REVOLVING),
    ],
)
def test_two_approvals_that_together_exceed_the_capacity(on_postgres, kind, compartment):
    for _ in range(ROUNDS):
        team = f.create_funded_team(grant="10000.00", revolving="10000.00")
        first = f.in_review_application(team=team, kind=kind, amount="6000.00")
        second = f.in_review_application(team=team, kind=kind, amount="6000.00")

        def decide(application, team=team):
            return services.application_decide(
                application=application,
                decided_by=team.second_manager,
                approve=True,
                reason="Akkoord.",
            )

        ok, failed = split(race(lambda a=first: decide(a), lambda a=second: decide(a)))

        assert len(ok) == 1, failed
        assert len(failed) == 1 and isinstance(failed[0], exc.InsufficientCapacity), failed
        states = sorted(
            Application.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True)
        )
        assert states == [ApplicationState.APPROVED, ApplicationState.IN_REVIEW]
        position = compartment_position(f.compartment_of(team.fund, compartment))
        assert position.reserved == Decimal("6000.00")
        assert position.reserved <= position.cash
        assert position.available == Decimal("4000.00")


def test_many_approvals_at_once_fill_the_compartment_and_no_more(on_postgres):
    team = f.create_funded_team(grant="10000.00", revolving=None)
    applications = [f.in_review_application(team=team, amount="3000.00") for _ in range(6)]

    def decide(application):
        return services.application_decide(
            application=application, decided_by=team.second_manager, approve=True, reason="Ja."
        )

    ok, failed = split(race(*[lambda a=a: decide(a) for a in applications]))

    assert len(ok) == 3
    assert all(isinstance(e, exc.InsufficientCapacity) for e in failed), failed
    position = compartment_position(team.grant)
    assert position.reserved == Decimal("9000.00") <= position.cash


def test_two_payments_that_together_exceed_the_unpaid_grant(on_postgres):
    for _ in range(ROUNDS):
        team = f.create_funded_team(grant="50000.00", revolving=None)
        grant = f.awarded_grant(team=team, amount="10000.00")

        def propose(grant=grant, team=team):
            return services.grant_payment_propose(
                grant=grant, amount="6000.00", date=f.DAY, proposed_by=team.manager
            )

        ok, failed = split(race(propose, propose))

        assert len(ok) == 1
        assert len(failed) == 1 and isinstance(failed[0], exc.InvalidAmount), failed
        assert grant.payments.count() == 1
        services.grant_payment_decide(payment=ok[0], decided_by=team.second_manager, approve=True)
        grant = Grant.objects.get(pk=grant.pk)
        assert grant.paid.amount == Decimal("6000.00")
        assert check_book(team.fund.book).ok


def test_a_grant_payment_form_sent_twice_at_once_is_proposed_once(on_postgres):
    for _ in range(ROUNDS):
        team = f.create_funded_team(grant="50000.00", revolving=None)
        grant = f.awarded_grant(team=team, amount="10000.00")
        key = f"once:{uuid.uuid4()}"

        def propose(grant=grant, team=team, key=key):
            return services.grant_payment_propose(
                grant=grant,
                amount="6000.00",
                date=f.DAY,
                proposed_by=team.manager,
                idempotency_key=key,
            )

        ok, failed = split(race(propose, propose))

        assert not failed, failed
        assert ok[0].pk == ok[1].pk
        assert grant.payments.count() == 1
        assert (
            AuditEvent.objects.filter(action="grant.pay_propose", object_id=str(grant.pk)).count()
            == 1
        )


def test_two_managers_approving_one_payment_at_once_book_it_once(on_postgres):
    for _ in range(ROUNDS):
        team = f.create_funded_team(grant="50000.00", revolving=None)
        grant = f.awarded_grant(team=team, amount="10000.00")
        third = f.create_user()
        team.fund.managers.add(third)
        payment = services.grant_payment_propose(
            grant=grant, amount="6000.00", date=f.DAY, proposed_by=team.manager
        )

        def approve(user, payment=payment):
            return services.grant_payment_decide(payment=payment, decided_by=user, approve=True)

        ok, failed = split(
            race(lambda u=team.second_manager: approve(u), lambda u=third: approve(u))
        )

        assert len(ok) == 1 and len(failed) == 1, (ok, failed)
        assert isinstance(failed[0], exc.InvalidTransition), failed
        grant = Grant.objects.get(pk=grant.pk)
        assert grant.paid.amount == Decimal("6000.00")
        assert (
            JournalEntry.objects.filter(
                source_type="fund.grant_payment", book=team.fund.book
            ).count()
            == 1
        )
        assert check_book(team.fund.book).ok


def test_two_contributions_that_together_exceed_the_commitment(on_postgres):
    for _ in range(ROUNDS):
        team = f.create_fund_team()
        commitment = f.commitment_for(team=team, amount="1000.00")

        def contribute(commitment=commitment, team=team):
            return services.contribution_record(
                commitment=commitment, amount="600.00", date=f.DAY, created_by=team.manager
            )

        ok, failed = split(race(contribute, contribute))

        assert len(ok) == 1
        assert len(failed) == 1 and isinstance(failed[0], exc.InvalidAmount), failed
        assert commitment.contributions.count() == 1
        assert compartment_position(team.grant).cash == Decimal("600.00")


def test_numbers_taken_at_the_same_time_are_unique_and_without_gaps(on_postgres):
    team = f.create_fund_team()
    collective = f.create_verified_collective(verified_by=team.manager)
    threads = 8

    results = race(*[lambda: f.ApplicationFactory(fund=team.fund, collective=collective)] * threads)

    assert not [r for r in results if isinstance(r, BaseException)], results
    numbers = sorted(int(a.number.rsplit("-", 1)[1]) for a in results)
    assert numbers == list(range(1, threads + 1))


def test_a_double_click_on_a_contribution_books_it_once(on_postgres):
    """Two requests with the same one-time key at the same moment: the commitment lock
    serialises them, the second finds the first's entry and gets it back."""
    for _ in range(ROUNDS):
        team = f.create_fund_team()
        commitment = f.commitment_for(team=team, amount="1000.00")

        def submit(commitment=commitment, team=team):
            return services.contribution_record(
                commitment=commitment,
                amount="400.00",
                date=commitment.date,
                created_by=team.manager,
                idempotency_key="once:3f6c1d0e-7a51-4c55-9d61-0c1f5b7e2a90",
            )

        ok, failed = split(race(submit, submit))

        assert not failed, failed
        assert ok[0].pk == ok[1].pk
        assert commitment.contributions.count() == 1
        assert compartment_position(commitment.compartment).cash == Decimal("400.00")
        assert check_book(team.fund.book).ok
