"""The application's life cycle is one table (``fund.workflow.TRANSITIONS``): the services
enforce it, the application page and the manager's dashboard read it.

* every (state, step) pair: a step the table allows from that state goes through the service
  and leads to the table's target; any other is refused, and nothing is written;
* who: the assessor cannot decide (four eyes), a non-member cannot submit, a contact of the
  collective who also manages the fund cannot take the managers' steps;
* the page's actions equal the table's answer for several users.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from djmoney.money import Money

from fund import exceptions as exc
from fund import services, workflow
from fund.models import Application, ApplicationKind, ApplicationState, Grant, Proposal
from reports.views import _manager_dashboard
from tests import factories as f
from tests.fund.helpers import refused

pytestmark = pytest.mark.django_db

# Steps taken by a fund service (``contract`` is the loans side's ``loan_contract``).
SERVICE_STEPS = [t.action for t in workflow.TRANSITIONS if t.action != "contract"]


@pytest.fixture
def team(db) -> f.FundTeam:
    """A fund with two managers and capital in both compartments, so approvals fit."""
    return f.create_funded_team()


def _kind_for(action: str) -> str:
    return workflow.transition(action).kind or ApplicationKind.GRANT


def take(action: str, application: Application, team: f.FundTeam):
    """Take ``action`` through its service as a user the table allows to take it."""
    member = f.member_of(application.collective)
    amount = application.amount_requested.amount
    if action == "edit":
        return services.application_update(
            application=application, changed_by=member, title="Zonnepanelen, herzien"
        )
    if action == "submit":
        return services.application_submit(application=application, submitted_by=member)
    if action == "withdraw":
        return services.application_withdraw(application=application, withdrawn_by=member)
    if action == "start_review":
        return services.application_start_review(application=application, assessor=team.manager)
    if action == "assess":
        return services.application_assess(
            application=application,
            assessor=team.manager,
            proposal=Proposal.APPROVE,
            assessment="Goed plan.",
            amount=amount,
        )
    if action in workflow.DECIDE:
        return services.application_decide(
            application=application,
            decided_by=team.second_manager,
            approve=action == "approve",
            reason="Past in het reglement.",
            amount=amount if action == "approve" else None,
        )
    if action == "award":
        return services.grant_award(
            application=application, awarded_by=team.manager, date=f.DAY
        ).application
    if action == "commitment_use":
        with transaction.atomic():  # a building block: the caller holds the transaction
            services.application_commitment_use(
                application=application,
                amount=Money("1.00", "EUR"),
                used_by=team.manager,
                reason="test",
            )
        return application
    raise AssertionError(action)


# --- the table -------------------------------------------------------------------------------


D, S, R, A = "draft", "submitted", "in_review", "approved"

# The rule as docs/permissions.md states it: (sources, target, actor, kind).
EXPECTED = {
    "edit": ({D}, D, "member", None),
    "submit": ({D}, S, "member", None),
    "withdraw": ({D, S, R}, "withdrawn", "member", None),
    "start_review": ({S}, R, "manager", None),
    "assess": ({R}, R, "manager", None),
    "approve": ({R}, A, "manager", None),
    "reject": ({R}, "rejected", "manager", None),
    "award": ({A}, A, "manager", ApplicationKind.GRANT),
    "contract": ({A}, A, "manager", ApplicationKind.LOAN),
    "commitment_use": ({A}, A, "system", None),
}


def test_the_table_is_the_documented_rule():
    table = {t.action: (set(t.sources), t.target, t.actor, t.kind) for t in workflow.TRANSITIONS}
    assert table == EXPECTED


def test_the_table_names_each_step_once_and_only_known_states():
    actions = [t.action for t in workflow.TRANSITIONS]
    assert len(actions) == len(set(actions))
    for step in workflow.TRANSITIONS:
        assert step.sources and set(step.sources) <= set(ApplicationState.values)
        assert step.target in ApplicationState.values
        assert step.actor in (workflow.MEMBER, workflow.MANAGER, workflow.SYSTEM)
    with pytest.raises(ValueError, match="unknown application action"):
        workflow.transition("approve_myself")


def test_only_draft_submitted_and_in_review_move_on_and_rejected_and_withdrawn_are_final():
    moving = {state for t in workflow.TRANSITIONS for state in t.sources if t.target != state}
    assert moving == {
        ApplicationState.DRAFT,
        ApplicationState.SUBMITTED,
        ApplicationState.IN_REVIEW,
    }
    open_from = {state for t in workflow.TRANSITIONS for state in t.sources}
    assert ApplicationState.REJECTED not in open_from
    assert ApplicationState.WITHDRAWN not in open_from


def test_the_managers_steps_ask_for_independence_and_the_decision_for_four_eyes():
    for step in workflow.TRANSITIONS:
        assert step.independent == (step.actor == workflow.MANAGER), step.action
        assert step.four_eyes == (step.action in workflow.DECIDE), step.action


# --- the services follow the table -----------------------------------------------------------


@pytest.mark.parametrize("state", ApplicationState.values)
@pytest.mark.parametrize("action", SERVICE_STEPS)
def test_each_state_and_step_goes_as_the_table_says(team, state, action):
    application = f.create_application(state, team=team, kind=_kind_for(action))
    if workflow.state_allows(application, action):
        result = take(action, application, team)
        result.refresh_from_db()
        assert result.state == workflow.target(action)
        if action == "award":
            assert Grant.objects.filter(application=application).exists()
        return
    message = re.escape(
        f"Aanvraag {application.number} is {application.get_state_display().lower()}; "
        "deze stap kan dan niet."
    )
    with refused(exc.InvalidTransition, application, match=message):
        take(action, application, team)


@pytest.mark.parametrize("state", ApplicationState.values)
def test_an_attachment_only_goes_with_a_draft_as_editing_does(team, state, tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    application = f.create_application(state, team=team)
    upload = SimpleUploadedFile("begroting.txt", b"Panelen 10000\n", content_type="text/plain")
    member = f.member_of(application.collective)
    if workflow.state_allows(application, "edit"):
        services.attachment_add(application=application, file=upload, uploaded_by=member)
        assert application.attachments.count() == 1
    else:
        with refused(exc.InvalidTransition, application, match="Bijlagen kunnen alleen"):
            services.attachment_add(application=application, file=upload, uploaded_by=member)


# --- who ---------------------------------------------------------------------------------


def test_the_assessor_cannot_decide(team):
    application = f.in_review_application(team=team)
    assert application.assessor == team.manager
    for action in workflow.DECIDE:
        assert not workflow.allowed(team.manager, application, action)
        assert workflow.allowed(team.second_manager, application, action)
    assert workflow.decide_blocked(team.manager, application)
    assert not workflow.decide_blocked(team.second_manager, application)
    with refused(exc.FourEyesViolation, application, match="Vier ogen"):
        services.application_decide(
            application=application,
            decided_by=team.manager,
            approve=True,
            reason="Zelf goedgekeurd.",
            amount=application.proposed_amount.amount,
        )
    decided = services.application_decide(
        application=application,
        decided_by=team.second_manager,
        approve=True,
        reason="Past in het reglement.",
        amount=application.proposed_amount.amount,
    )
    assert decided.state == ApplicationState.APPROVED


def test_a_non_member_cannot_submit(team, other_team):
    application = f.draft_application(team=team)
    strangers = [f.create_user(), team.manager, other_team.manager]
    for stranger in strangers:
        assert not workflow.allowed(stranger, application, "submit")
        with refused(exc.NotAllowed, application, match="Alleen een contactpersoon"):
            services.application_submit(application=application, submitted_by=stranger)
    member = f.member_of(application.collective)
    assert workflow.allowed(member, application, "submit")
    assert services.application_submit(application=application, submitted_by=member).state == (
        ApplicationState.SUBMITTED
    )


def test_a_manager_of_another_fund_cannot_take_the_managers_steps(team, other_team):
    application = f.submitted_application(team=team)
    assert not workflow.allowed(other_team.manager, application, "start_review")
    with refused(exc.NotAllowed, application, match="Alleen een fondsbeheerder"):
        services.application_start_review(application=application, assessor=other_team.manager)


def test_a_contact_who_manages_the_fund_is_not_offered_and_not_allowed_the_review(team):
    application = f.submitted_application(team=team)
    insider = f.create_user(first_name="Ineke", last_name="Insider")
    team.fund.managers.add(insider)
    application.collective.members.add(insider)
    assert not workflow.allowed(insider, application, "start_review")
    assert workflow.allowed(team.manager, application, "start_review")
    with refused(exc.ConflictOfInterest, application, match="Belangenverstrengeling"):
        services.application_start_review(application=application, assessor=insider)
    assert application not in [row["object"] for row in _manager_dashboard(insider)["to_pick_up"]]
    assert application in [row["object"] for row in _manager_dashboard(team.manager)["to_pick_up"]]


def test_an_auditor_is_offered_nothing(team):
    auditor = f.create_auditor()
    team.fund.managers.add(auditor)
    for state in (ApplicationState.SUBMITTED, ApplicationState.IN_REVIEW):
        application = f.create_application(state, team=team)
        assert workflow.actions_for(auditor, application) == set()


def test_commitment_use_is_never_offered_on_a_page(team):
    application = f.approved_application(team=team)
    for user in (team.manager, team.second_manager, f.member_of(application.collective)):
        assert "commitment_use" not in workflow.actions_for(user, application)


# --- the application page and the dashboard read the table -------------------------------------

PAGE_KEYS = {
    "edit": {"edit"},
    "submit": {"submit"},
    "withdraw": {"withdraw"},
    "start_review": {"start_review"},
    "assess_form": {"assess"},
    "decide_form": set(workflow.DECIDE),
    "award_form": {"award"},
    "contract": {"contract"},
}


def page_actions(client, user, application) -> dict:
    client.force_login(user)
    url = reverse("fund:application_detail", kwargs={"number": application.number})
    response = client.get(url)
    assert response.status_code == 200
    return response.context["actions"]


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        (ApplicationState.DRAFT, ApplicationKind.GRANT),
        (ApplicationState.SUBMITTED, ApplicationKind.GRANT),
        (ApplicationState.IN_REVIEW, ApplicationKind.GRANT),
        (ApplicationState.APPROVED, ApplicationKind.GRANT),
        (ApplicationState.APPROVED, ApplicationKind.LOAN),
        (ApplicationState.REJECTED, ApplicationKind.LOAN),
        (ApplicationState.WITHDRAWN, ApplicationKind.GRANT),
    ],
)
def test_the_page_offers_what_the_table_allows(client, team, state, kind):
    application = f.create_application(state, team=team, kind=kind)
    insider = f.create_user(first_name="Ineke", last_name="Insider")
    team.fund.managers.add(insider)
    application.collective.members.add(insider)
    users = [
        f.member_of(application.collective),
        team.manager,
        team.second_manager,
        insider,
        f.create_auditor(),
    ]
    offered_somewhere = set()
    for user in users:
        application = Application.objects.get(pk=application.pk)
        allowed = workflow.actions_for(user, application)
        actions = page_actions(client, user, application)
        for key, steps in PAGE_KEYS.items():
            assert bool(actions[key]) == bool(allowed & steps), (user, key)
        assert actions["decide_blocked"] == workflow.decide_blocked(user, application)
        offered_somewhere |= allowed
    # Somebody is offered each step the table allows from this state (except the building
    # block), for an application of this kind.
    expected = {
        t.action
        for t in workflow.TRANSITIONS
        if state in t.sources and t.actor != workflow.SYSTEM and t.kind in (None, kind)
    }
    assert offered_somewhere == expected


def test_the_page_blocks_the_assessor_and_offers_the_decision_to_the_other(client, team):
    application = f.in_review_application(team=team)
    assessor = page_actions(client, team.manager, application)
    assert assessor["decide_blocked"] and assessor["decide_form"] is None
    assert assessor["assess_form"] is not None
    other = page_actions(client, team.second_manager, application)
    assert not other["decide_blocked"] and other["decide_form"] is not None
    assert other["assess_form"] is None


def test_the_dashboard_lists_follow_the_table(team):
    submitted = f.submitted_application(team=team)
    in_review = f.in_review_application(team=team)
    loan = f.approved_application(team=team, kind=ApplicationKind.LOAN, amount=Decimal("5000.00"))
    first = _manager_dashboard(team.manager)
    second = _manager_dashboard(team.second_manager)

    def numbers(data, key):
        return {row["object"].number for row in data[key]}

    for data, user in ((first, team.manager), (second, team.second_manager)):
        assert numbers(data, "to_pick_up") == {submitted.number}
        assert workflow.allowed(user, submitted, "start_review")
        assert numbers(data, "to_contract") == {loan.number}
        assert workflow.allowed(user, loan, "contract")
    assert numbers(first, "second_eyes") == set()
    assert numbers(second, "second_eyes") == {in_review.number}
    assert workflow.allowed(team.second_manager, in_review, "approve")
    assert not workflow.allowed(team.manager, in_review, "approve")
