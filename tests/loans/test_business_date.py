"""One business date: nothing is booked after today, a reversal never lies before what it
reverses, and the day-end never runs ahead (docs/ledger.md, "The business date")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command

from ledger import clock
from ledger.models import JournalEntry
from loans import exceptions as exc
from loans import services
from loans.models import DayRun, Repayment
from tests.loans.test_loan_helpers import disbursed_loan, funded_team, rows

TODAY = date(2026, 11, 28)  # the frozen clock of tests/conftest.py

pytestmark = pytest.mark.django_db


def test_the_frozen_clock_is_the_business_date():
    assert clock.today() == TODAY


def test_a_repayment_dated_after_today_is_refused_and_nothing_is_written():
    team = funded_team()
    loan = disbursed_loan(team)
    entries = JournalEntry.objects.count()
    with pytest.raises(exc.InvalidDate, match="ligt na vandaag"):
        services.repayment_record(
            loan=loan, amount=D("10.00"), value_date=date(2100, 1, 1), recorded_by=team.manager
        )
    assert JournalEntry.objects.count() == entries
    assert not Repayment.objects.exists()


def test_a_tranche_and_a_suspense_receipt_dated_after_today_are_refused():
    team = funded_team()
    loan = disbursed_loan(team, amount="12000.00")
    with pytest.raises(exc.InvalidDate):
        services.receipt_record_unmatched(
            fund=team.fund,
            amount=D("1000000.00"),
            value_date=date(2100, 1, 1),
            payer_reference="NL00TEST",
            recorded_by=team.manager,
        )
    with pytest.raises(exc.InvalidDate):
        services.tranche_propose(
            loan=loan, amount=D("1.00"), date=date(2026, 12, 3), proposed_by=team.manager
        )


def test_a_reversal_is_never_dated_before_the_repayment():
    team = funded_team()
    loan = disbursed_loan(team)
    first = rows(loan)[0]
    repayment = services.repayment_record(
        loan=loan, amount=first.payment, value_date=first.due_date, recorded_by=team.manager
    )
    with pytest.raises(exc.InvalidDate, match="niet vóór de aflossing"):
        services.repayment_reverse(
            repayment=repayment, reversed_by=team.manager, reason="test", date=date(2025, 1, 1)
        )
    repayment.refresh_from_db()
    assert not repayment.is_reversed


def test_the_day_end_never_runs_past_today():
    team = funded_team()
    disbursed_loan(team)
    with pytest.raises(CommandError, match="after today"):
        call_command("run_day", "--from", "2026-12-03", "--to", "2031-12-31")
    with pytest.raises(exc.InvalidDate):
        services.loans_run_days(funds=[team.fund], date_to=date(2031, 12, 31))
    assert not DayRun.objects.filter(date__gt=TODAY).exists()


def test_the_business_date_moves_with_the_clock(clock_at):
    """A year on, the same call that was refused goes through: the bound is today, not a
    date written into the code."""
    team = funded_team()
    loan = disbursed_loan(team)
    due = rows(loan)[-1].due_date  # 01-01-2027
    with pytest.raises(exc.InvalidDate):
        services.loans_run_days(funds=[team.fund], date_to=due)
    clock_at(due)
    services.loans_run_days(funds=[team.fund], date_to=due)
    assert DayRun.objects.filter(fund=team.fund, date=due).exists()


def test_twice_is_once_for_a_repayment():
    """The form's one-time key makes a double click one repayment; a second repayment with a
    bank reference already booked is refused."""
    team = funded_team()
    loan = disbursed_loan(team)
    first = rows(loan)[0]
    kwargs = {
        "loan": loan,
        "amount": first.payment,
        "value_date": first.due_date,
        "recorded_by": team.manager,
        "idempotency_key": "once:7f1d2c3b-0000-4000-8000-000000000001",
    }
    one = services.repayment_record(**kwargs)
    entries = JournalEntry.objects.count()
    two = services.repayment_record(**kwargs)
    assert one.pk == two.pk
    assert JournalEntry.objects.count() == entries
    with pytest.raises(exc.InvalidTransition, match="al verwerkt"):
        services.repayment_record(**{**kwargs, "amount": first.payment + 1})
    services.repayment_record(
        loan=loan,
        amount=D("5.00"),
        value_date=first.due_date,
        recorded_by=team.manager,
        bank_reference="RABO-2026-001",
    )
    with pytest.raises(exc.InvalidTransition, match="RABO-2026-001 is al geboekt"):
        services.repayment_record(
            loan=loan,
            amount=D("5.00"),
            value_date=first.due_date,
            recorded_by=team.manager,
            bank_reference="RABO-2026-001",
        )
    assert Repayment.objects.filter(loan=loan).count() == 2


def test_a_backdated_prepayment_names_the_date_from_which_it_can_go_in():
    """The refusal names a date the user can act on, not a field the form does not have."""
    team = funded_team()
    loan = disbursed_loan(team)
    services.loans_run_days(funds=[team.fund], date_to=date(2026, 6, 1))
    with pytest.raises(exc.ScheduleConflict) as refused:
        services.repayment_record(
            loan=loan,
            amount=D("5000.00"),
            value_date=date(2026, 3, 15),
            recorded_by=team.manager,
        )
    message = str(refused.value)
    assert "01-04-2026" in message and "ingangsdatum" not in message
    assert not Repayment.objects.filter(loan=loan).exists()
