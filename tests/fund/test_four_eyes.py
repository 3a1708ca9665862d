"""Four eyes: one manager of the fund assesses and proposes, a different one decides."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from djmoney.money import Money

from fund import exceptions as exc
from fund import services
from fund.models import Application, ApplicationState, Proposal
from tests import factories as f
from tests.fund.helpers import refused, row

pytestmark = pytest.mark.django_db

EUR = "EUR"


@pytest.fixture
def funded(db):
    return f.create_funded_team(grant="50000.00", revolving="50000.00")


@pytest.fixture
def application(funded):
    """In review: ``funded.manager`` assessed it and proposes to approve 4000."""
    return f.in_review_application(team=funded, amount="4000.00")


def decide(application, user, *, approve=True, amount=None, reason="Akkoord."):
    return services.application_decide(
        application=application, decided_by=user, approve=approve, reason=reason, amount=amount
    )


def test_the_second_manager_approves_the_proposed_amount(funded, application):
    approved = decide(application, funded.second_manager)

    assert approved.state == ApplicationState.APPROVED
    assert approved.assessor == funded.manager
    assert approved.decided_by == funded.second_manager
    assert approved.decided_at is not None
    assert approved.decision_reason == "Akkoord."
    assert approved.approved_amount == Money("4000.00", EUR)
    assert approved.commitment_open == Money("4000.00", EUR)


def test_the_second_manager_rejects(funded, application):
    rejected = decide(application, funded.second_manager, approve=False, reason="Te duur.")

    assert rejected.state == ApplicationState.REJECTED
    assert rejected.approved_amount is None
    assert rejected.commitment_open == Money(0, EUR)


def test_the_assessor_cannot_decide(funded, application):
    with refused(exc.FourEyesViolation, application):
        decide(application, funded.manager)
    with refused(exc.FourEyesViolation, application):
        decide(application, funded.manager, approve=False)


def test_the_manager_who_took_on_the_review_assesses_and_may_not_decide(funded):
    """Starting the review makes a manager the first pair of eyes: a colleague can neither
    overwrite the assessment nor is the assessor allowed to decide."""
    application = f.submitted_application(team=funded)
    services.application_start_review(application=application, assessor=funded.manager)
    with refused(exc.NotAllowed, application):
        services.application_assess(
            application=application,
            assessor=funded.second_manager,
            proposal=Proposal.APPROVE,
            assessment="Goed.",
            amount="1000",
        )
    services.application_assess(
        application=application,
        assessor=funded.manager,
        proposal=Proposal.APPROVE,
        assessment="Goed.",
        amount="1000",
    )

    with refused(exc.FourEyesViolation, application):
        decide(application, funded.manager)
    assert decide(application, funded.second_manager).decided_by == funded.second_manager


@pytest.mark.parametrize("who", ["other_manager", "member", "auditor", "investor_user"])
def test_only_a_manager_of_the_fund_decides(funded, other_team, application, who):
    user = {
        "other_manager": other_team.second_manager,
        "member": f.member_of(application.collective),
        "auditor": f.create_auditor(),
        "investor_user": f.create_investor_user(),
    }[who]

    with refused(exc.NotAllowed, application):
        decide(application, user)
    with refused(exc.NotAllowed, application):
        decide(application, user, approve=False)


def test_a_manager_of_another_fund_can_neither_assess_nor_decide(funded, other_team):
    submitted = f.submitted_application(team=funded)
    in_review = f.in_review_application(team=funded)

    with refused(exc.NotAllowed, submitted):
        services.application_start_review(application=submitted, assessor=other_team.manager)
    with refused(exc.NotAllowed, in_review):
        services.application_assess(
            application=in_review,
            assessor=other_team.manager,
            proposal=Proposal.APPROVE,
            assessment="Prima.",
            amount="1",
        )
    with refused(exc.NotAllowed, in_review):
        decide(in_review, other_team.manager)


def test_an_application_without_a_proposal_cannot_be_decided(funded):
    application = f.submitted_application(team=funded)
    application = services.application_start_review(
        application=application, assessor=funded.manager
    )

    with refused(exc.InvalidTransition, application, match="voorstel"):
        decide(application, funded.second_manager)
    with refused(exc.InvalidTransition, application, match="voorstel"):
        decide(application, funded.second_manager, approve=False)


def test_a_decision_needs_a_reason(funded, application):
    with refused(exc.InvalidTransition, application):
        decide(application, funded.second_manager, reason="  ")


def test_a_decided_application_cannot_be_assessed_or_decided_again(funded, application):
    decide(application, funded.second_manager)

    with refused(exc.InvalidTransition, application):
        decide(application, funded.second_manager)
    with refused(exc.InvalidTransition, application):
        services.application_assess(
            application=application,
            assessor=funded.manager,
            proposal=Proposal.REJECT,
            assessment="Toch niet.",
        )


def test_approving_against_a_reject_proposal_is_refused(funded):
    """Only one pair of eyes would have looked at the approval: assess it again first."""
    application = f.in_review_application(team=funded, proposal=Proposal.REJECT)

    with refused(exc.FourEyesViolation, application):
        decide(application, funded.second_manager, approve=True)
    with refused(exc.FourEyesViolation, application):
        decide(application, funded.second_manager, approve=True, amount=Decimal("100.00"))


def test_approving_more_than_proposed_is_refused(funded):
    application = f.in_review_application(team=funded)
    proposed = application.proposed_amount.amount

    with refused(exc.FourEyesViolation, application):
        decide(application, funded.second_manager, approve=True, amount=proposed + Decimal("0.01"))
    approved = decide(application, funded.second_manager, approve=True, amount=proposed - 1)
    assert approved.approved_amount.amount == proposed - 1


# --- the database backs it up --------------------------------------------------------------


def test_check_constraint_refuses_decided_by_equal_to_assessor_through_the_orm(application):
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(decided_by=F("assessor"))
    assert row(application)["decided_by_id"] is None


def test_check_constraint_refuses_a_saved_instance_too(funded, application):
    application.decided_by = funded.manager  # the assessor
    with pytest.raises(IntegrityError), transaction.atomic():
        application.save(update_fields=["decided_by"])
    assert row(application)["decided_by_id"] is None


def test_check_constraint_allows_a_different_decider(funded, application):
    with transaction.atomic():
        Application.objects.filter(pk=application.pk).update(decided_by=funded.second_manager)
    assert row(application)["decided_by_id"] == funded.second_manager.pk
