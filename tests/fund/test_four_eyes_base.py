"""The four-eyes base (fund.models.FourEyes): one home for the proposer and decider fields,
the database constraint and the questions a page asks, shared by the four proposals.

The service rules (who may propose or decide at all) are tested with each service; here: the
database refuses the proposer as decider for each model, and the helper methods."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import F

from fund import services as fund_services
from fund.models import Application, CollectiveChange, FourEyes, GrantPayment
from loans import services as loan_services
from loans.models import LoanChange, ReceiptDisposal
from tests import factories as f
from tests.fund.helpers import row
from tests.loans.test_loan_helpers import contracted_loan

pytestmark = pytest.mark.django_db

# Each proposal model and the name its constraint has had since its migration.
CONSTRAINTS = {
    CollectiveChange: "fund_collectivechange_four_eyes",
    GrantPayment: "fund_grantpayment_four_eyes",
    LoanChange: "loans_change_four_eyes",
    ReceiptDisposal: "loans_disposal_four_eyes",
}
MODELS = list(CONSTRAINTS)
# The state a decided proposal of each model may be in.
DECIDED = {
    CollectiveChange: CollectiveChange.State.APPROVED,
    GrantPayment: "rejected",
    LoanChange: "rejected",
    ReceiptDisposal: "rejected",
}


@pytest.fixture
def team(db) -> f.FundTeam:
    return f.create_funded_team(grant="20000.00", revolving="50000.00")


def _collective_change(team) -> CollectiveChange:
    collective = f.create_verified_collective(verified_by=team.manager)
    return fund_services.collective_update(
        collective=collective, changed_by=team.manager, name="Nieuwe naam"
    ).pending_change


def _grant_payment(team) -> GrantPayment:
    grant = f.awarded_grant(team=team, amount="5000.00")
    return fund_services.grant_payment_propose(
        grant=grant, amount="1000.00", date=f.DAY, proposed_by=team.manager
    )


def _loan_change(team) -> LoanChange:
    loan = contracted_loan(team, amount="12000.00")
    return loan_services.tranche_propose(
        loan=loan, amount=loan.principal, date=date(2026, 1, 15), proposed_by=team.manager
    )


def _receipt_disposal(team) -> ReceiptDisposal:
    receipt = loan_services.receipt_record_unmatched(
        fund=team.fund,
        amount="250.00",
        value_date=date(2026, 11, 2),
        payer_reference="NL02RABO0123456789",
        recorded_by=team.manager,
        description="onbekend",
    )
    return loan_services.receipt_disposal_propose(
        receipt=receipt,
        kind="refund",
        proposed_by=team.manager,
        reason="Verkeerd overgemaakt.",
        iban="NL91ABNA0417164300",
        name="Stichting Dorpshuis",
    )


MAKERS = {
    CollectiveChange: _collective_change,
    GrantPayment: _grant_payment,
    LoanChange: _loan_change,
    ReceiptDisposal: _receipt_disposal,
}


@pytest.fixture(params=MODELS, ids=lambda model: model.__name__)
def proposal(request, team) -> FourEyes:
    """An open proposal of each model, proposed by ``team.manager``."""
    made = MAKERS[request.param](team)
    assert type(made) is request.param and made.proposed_by == team.manager
    return made


# --- the database backs it up --------------------------------------------------------------


def test_the_database_refuses_the_proposer_as_decider_through_the_orm(proposal):
    with pytest.raises(IntegrityError), transaction.atomic():
        type(proposal).objects.filter(pk=proposal.pk).update(decided_by=F("proposed_by"))
    assert row(proposal)["decided_by_id"] is None


def test_the_database_refuses_a_saved_instance_too(team, proposal):
    proposal.decided_by = team.manager
    with pytest.raises(IntegrityError), transaction.atomic():
        proposal.save(update_fields=["decided_by"])
    assert row(proposal)["decided_by_id"] is None


def test_the_database_allows_a_different_decider(team, proposal):
    with transaction.atomic():
        type(proposal).objects.filter(pk=proposal.pk).update(decided_by=team.second_manager)
    assert row(proposal)["decided_by_id"] == team.second_manager.pk


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_model_keeps_its_constraint_under_its_own_name(model):
    ours = [c for c in model._meta.constraints if c.name == CONSTRAINTS[model]]
    assert ours == [FourEyes.four_eyes_constraint(CONSTRAINTS[model])]


def test_the_application_uses_the_same_constraint_with_the_assessor_as_proposer():
    constraint = FourEyes.four_eyes_constraint("fund_application_four_eyes", proposer="assessor")
    assert constraint in Application._meta.constraints


# --- the questions a page asks -------------------------------------------------------------


def test_an_open_proposal_may_be_decided_by_anyone_but_its_proposer(team, proposal):
    assert proposal.is_open
    assert proposal.is_proposer(team.manager)
    assert not proposal.may_decide(team.manager)
    assert not proposal.is_proposer(team.second_manager)
    assert proposal.may_decide(team.second_manager)


def test_nobody_decides_a_decided_proposal(team, proposal):
    proposal.state = DECIDED[type(proposal)]
    assert not proposal.is_open
    assert not proposal.may_decide(team.second_manager)
    assert proposal.is_proposer(team.manager)  # still who proposed it


def test_an_anonymous_user_neither_proposed_nor_may_decide(proposal):
    nobody = AnonymousUser()
    assert not proposal.is_proposer(nobody)
    assert not proposal.may_decide(nobody)


def test_a_grant_payment_without_a_known_proposer_may_be_decided_by_a_user(team):
    """Nullable for payments booked before four eyes (migration 0003 gave them their
    creator); the database's check lets any decider through then, and so do the helpers."""
    payment = GrantPayment(state="proposed", proposed_by=None)
    assert not payment.is_proposer(team.manager)
    assert payment.may_decide(team.manager)
    assert not payment.may_decide(AnonymousUser())


def test_every_open_state_is_the_base_one():
    assert FourEyes.OPEN_STATE == CollectiveChange.State.PROPOSED
    assert GrantPayment._meta.get_field("state").default == FourEyes.OPEN_STATE
    assert LoanChange._meta.get_field("state").default == FourEyes.OPEN_STATE
    assert ReceiptDisposal._meta.get_field("state").default == FourEyes.OPEN_STATE


# --- the fields each model keeps -----------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_the_proposer_and_decider_fields_are_there(model):
    for name in ("proposed_by", "decided_by", "decided_at"):
        model._meta.get_field(name)
    assert model._meta.get_field("decided_by").null


def test_the_older_columns_stay_as_they_were():
    """A grant payment's proposer may be empty and it has no proposed_at; the collective
    change and the grant payment keep their decision's reason in ``reason``."""
    assert GrantPayment._meta.get_field("proposed_by").null
    for model in (CollectiveChange, LoanChange, ReceiptDisposal):
        assert not model._meta.get_field("proposed_by").null
        model._meta.get_field("proposed_at")
    with pytest.raises(FieldDoesNotExist):
        GrantPayment._meta.get_field("proposed_at")
    for model in (CollectiveChange, GrantPayment):
        model._meta.get_field("reason")
        with pytest.raises(FieldDoesNotExist):
            model._meta.get_field("decision_reason")
    for model in (LoanChange, ReceiptDisposal):
        model._meta.get_field("decision_reason")
