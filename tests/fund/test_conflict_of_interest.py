"""Nobody acts on their own case (issue #10): a fund manager who is a contact of the
collective, or a user of the investor, is refused every step that decides on its money or
its identity, with either pair of eyes, and nothing is written; an independent manager of the
same fund can take the same step (so the refusal is the conflict, not the state).

The matrix: each case builds the state just before the step, then tries it as the insider
and as an independent manager."""

from __future__ import annotations

from datetime import date

import pytest

from fund import exceptions as fund_exc
from fund import services as fs
from fund.models import ApplicationState, Collective
from ledger.models import AuditEvent, JournalEntry
from loans import exceptions as loan_exc
from loans import services as ls
from tests import factories as f
from tests.loans.test_loan_helpers import (
    approved_loan_application,
    contracted_loan,
    disbursed_loan,
    funded_team,
    make_product,
)

pytestmark = pytest.mark.django_db
CONFLICT = (fund_exc.ConflictOfInterest, loan_exc.ConflictOfInterest)
DAY = date(2026, 11, 2)


def insider_of(fund, collective=None, investor=None):
    """A third manager of ``fund`` who is also a contact of ``collective`` (or a user of
    ``investor``)."""
    user = f.create_user(first_name="Ineke", last_name="Insider")
    fund.managers.add(user)
    if collective is not None:
        collective.members.add(user)
    if investor is not None:
        investor.users.add(user)
    return user


# Each case: build(state) -> (insider, independent, step(user)).


def case_verify():
    team = f.create_fund_team()
    collective = f.CollectiveFactory()
    insider = insider_of(team.fund, collective)
    return (
        insider,
        team.manager,
        lambda u: fs.collective_verify(collective=collective, verified_by=u),
    )


def case_start_review():
    team = f.create_funded_team()
    application = f.submitted_application(team=team)
    insider = insider_of(team.fund, application.collective)
    return (
        insider,
        team.manager,
        lambda u: fs.application_start_review(application=application, assessor=u),
    )


def case_assess():
    team = f.create_funded_team()
    application = f.submitted_application(team=team)
    application = fs.application_start_review(application=application, assessor=team.manager)
    insider = insider_of(team.fund, application.collective)
    return insider, team.manager, lambda u: fs.application_assess(
        application=application, assessor=u, proposal="approve", assessment="Goed.",
        amount=application.amount_requested.amount,
    )  # fmt: skip


def case_decide():
    team = f.create_funded_team()
    application = f.create_application(ApplicationState.IN_REVIEW, team=team, proposal="approve")
    insider = insider_of(team.fund, application.collective)
    return insider, team.second_manager, lambda u: fs.application_decide(
        application=application, decided_by=u, approve=True, reason="Akkoord.",
        amount=application.proposed_amount.amount,
    )  # fmt: skip


def case_grant_award():
    team = f.create_funded_team()
    application = f.approved_application(team=team)
    insider = insider_of(team.fund, application.collective)
    return (
        insider,
        team.manager,
        lambda u: fs.grant_award(application=application, awarded_by=u, date=f.DAY),
    )


def case_grant_payment_propose():
    team = f.create_funded_team()
    grant = f.awarded_grant(team=team)
    insider = insider_of(team.fund, grant.collective)
    return (
        insider,
        team.manager,
        lambda u: fs.grant_payment_propose(grant=grant, amount="100.00", date=f.DAY, proposed_by=u),
    )


def case_grant_payment_decide():
    team = f.create_funded_team()
    grant = f.awarded_grant(team=team)
    payment = fs.grant_payment_propose(
        grant=grant, amount="100.00", date=f.DAY, proposed_by=team.manager
    )
    insider = insider_of(team.fund, grant.collective)
    return (
        insider,
        team.second_manager,
        lambda u: fs.grant_payment_decide(
            payment=payment, decided_by=u, approve=True, reason="Akkoord."
        ),
    )


def case_grant_settle():
    team = f.create_funded_team()
    grant = f.awarded_grant(team=team)
    insider = insider_of(team.fund, grant.collective)
    return (
        insider,
        team.manager,
        lambda u: fs.grant_settle(grant=grant, returned="0.00", date=f.DAY, settled_by=u),
    )


def case_commitment():
    team = f.create_fund_team()
    investor = f.InvestorFactory()
    insider = insider_of(team.fund, investor=investor)
    return (
        insider,
        team.manager,
        lambda u: fs.commitment_create(
            investor=investor, compartment=team.grant, amount="1000.00", date=f.DAY, created_by=u
        ),
    )


def case_contribution():
    team = f.create_fund_team()
    commitment = f.commitment_for(team=team)
    insider = insider_of(team.fund, investor=commitment.investor)
    return (
        insider,
        team.manager,
        lambda u: fs.contribution_record(
            commitment=commitment, amount="100.00", date=f.DAY, created_by=u
        ),
    )


def case_loan_contract():
    team = funded_team()
    application = approved_loan_application(team, amount="12000.00", term_months=12)
    product = make_product(team)
    insider = insider_of(team.fund, application.collective)
    return insider, team.manager, lambda u: ls.loan_contract(
        application=application, product=product, contracted_by=u, date=date(2026, 1, 15),
        first_due=date(2026, 2, 1),
    )  # fmt: skip


def case_tranche_propose():
    team = funded_team()
    loan = contracted_loan(team)
    insider = insider_of(team.fund, loan.collective)
    return (
        insider,
        team.manager,
        lambda u: ls.tranche_propose(
            loan=loan, amount="1000.00", date=date(2026, 1, 15), proposed_by=u
        ),
    )


def case_tranche_approve():
    team = funded_team()
    loan = contracted_loan(team)
    change = ls.tranche_propose(
        loan=loan, amount="1000.00", date=date(2026, 1, 15), proposed_by=team.manager
    )
    insider = insider_of(team.fund, loan.collective)
    return (
        insider,
        team.second_manager,
        lambda u: ls.loan_change_decide(
            change=change, decided_by=u, approve=True, reason="Akkoord."
        ),
    )


def case_restructure_propose():
    team = funded_team()
    loan = disbursed_loan(team)
    insider = insider_of(team.fund, loan.collective)
    return insider, team.manager, lambda u: ls.loan_change_propose(
        loan=loan, kind="restructure", effective_date=DAY, proposed_by=u, reason="Verlengen.",
        periods=24,
    )  # fmt: skip


def case_write_off_approve():
    team = funded_team()
    loan = disbursed_loan(team)
    change = ls.loan_change_propose(
        loan=loan, kind="write_off", effective_date=DAY, proposed_by=team.manager,
        reason="Project gestopt.",
    )  # fmt: skip
    insider = insider_of(team.fund, loan.collective)
    return (
        insider,
        team.second_manager,
        lambda u: ls.loan_change_decide(
            change=change, decided_by=u, approve=True, reason="Akkoord."
        ),
    )


def case_receipt_match():
    team = funded_team()
    loan = disbursed_loan(team)
    receipt = ls.receipt_record_unmatched(
        fund=team.fund, amount="100.00", value_date=DAY, payer_reference="onbekend",
        recorded_by=team.manager,
    )  # fmt: skip
    insider = insider_of(team.fund, loan.collective)
    return (
        insider,
        team.manager,
        lambda u: ls.receipt_match(receipt=receipt, loan=loan, matched_by=u),
    )


def case_receipt_as_contribution():
    team = funded_team()
    commitment = fs.commitment_create(
        investor=f.InvestorFactory(), compartment=team.revolving, amount="1000.00",
        date=date(2026, 1, 2), created_by=team.manager,
    )  # fmt: skip
    receipt = ls.receipt_record_unmatched(
        fund=team.fund, amount="100.00", value_date=DAY, payer_reference="Provincie",
        recorded_by=team.manager,
    )  # fmt: skip
    insider = insider_of(team.fund, investor=commitment.investor)
    return insider, team.manager, lambda u: ls.receipt_disposal_propose(
        receipt=receipt, kind="contribution", proposed_by=u, reason="Inleg.",
        commitment=commitment,
    )  # fmt: skip


CASES = [v for k, v in sorted(globals().items()) if k.startswith("case_")]


def written() -> tuple[int, int]:
    return JournalEntry.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.removeprefix("case_") for c in CASES])
def test_an_insider_is_refused_and_an_independent_manager_is_not(case):
    insider, independent, step = case()
    before = written()
    with pytest.raises(CONFLICT, match="Belangenverstrengeling"):
        step(insider)
    assert written() == before
    assert step(independent) is not None


def test_the_matrix_covers_every_step_that_decides_on_money_or_identity():
    assert len(CASES) == 17


def test_a_contact_of_another_collective_is_not_conflicted():
    team = f.create_fund_team()
    collective = f.CollectiveFactory()
    other = Collective.objects.exclude(pk=collective.pk).first() or f.CollectiveFactory()
    user = insider_of(team.fund, other)
    assert fs.collective_verify(collective=collective, verified_by=user).is_verified
