"""Applications: creation, editing and the state machine

draft -> submitted -> in review -> approved | rejected, and withdrawn from the first three.
Every step that is not allowed in a state is refused with InvalidTransition and writes nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from djmoney.money import Money

from fund import exceptions as exc
from fund import services
from fund.models import ApplicationKind, ApplicationState, Proposal
from ledger import clock
from tests import factories as f
from tests.fund.helpers import refused, row

pytestmark = pytest.mark.django_db

S = ApplicationState
EUR = "EUR"


def do(action: str, application, team):
    """Take one step of the life cycle, by the person who would take it."""
    member = f.member_of(application.collective)
    if action == "update":
        return services.application_update(application=application, changed_by=member, title="X")
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
            assessment="Degelijk plan.",
            amount="1000.00",
        )
    if action == "decide":
        return services.application_decide(
            application=application,
            decided_by=team.second_manager,
            approve=True,
            reason="Akkoord.",
            amount="1000.00",
        )
    raise AssertionError(action)


ALLOWED = {
    "update": {S.DRAFT: S.DRAFT},
    "submit": {S.DRAFT: S.SUBMITTED},
    "withdraw": {S.DRAFT: S.WITHDRAWN, S.SUBMITTED: S.WITHDRAWN, S.IN_REVIEW: S.WITHDRAWN},
    "start_review": {S.SUBMITTED: S.IN_REVIEW},
    "assess": {S.IN_REVIEW: S.IN_REVIEW},
    "decide": {S.IN_REVIEW: S.APPROVED},
}
CASES = [(action, state) for action in ALLOWED for state in S.values]


@pytest.fixture
def funded_team(db):
    return f.create_funded_team(grant="100000.00", revolving="100000.00")


@pytest.mark.parametrize(("action", "state"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_state_machine(funded_team, action, state):
    application = f.create_application(state, team=funded_team, amount="1000.00")

    if state in ALLOWED[action]:
        result = do(action, application, funded_team)
        assert result.state == ALLOWED[action][state]
        assert row(application)["state"] == ALLOWED[action][state]
    else:
        with refused(exc.InvalidTransition, application):
            do(action, application, funded_team)


# --- create --------------------------------------------------------------------------------


def test_create_a_draft_with_budget(team, collective, member):
    application = services.application_create(
        fund=team.fund,
        collective=collective,
        kind=ApplicationKind.LOAN,
        title="Buurtbatterij",
        purpose="Een batterij voor de wijk",
        amount_requested="45000",
        term_months=120,
        created_by=member,
        budget_lines=[("Batterij", "40000"), ("Installatie", Decimal("5000.00"))],
        sdgs=[7],
        kwh_per_year=150000,
    )

    assert application.state == S.DRAFT
    assert application.number == f"A-{clock.today().year}-0001"
    assert application.amount_requested == Money("45000.00", EUR)
    assert application.commitment_open == Money("0.00", EUR)
    assert [(b.description, b.amount) for b in application.budget_lines.all()] == [
        ("Batterij", Money("40000.00", EUR)),
        ("Installatie", Money("5000.00", EUR)),
    ]


@pytest.mark.parametrize("term", [None, 0])
def test_a_loan_application_needs_a_term(team, collective, member, term):
    with refused(exc.FundError, match="looptijd"):
        services.application_create(
            fund=team.fund,
            collective=collective,
            kind=ApplicationKind.LOAN,
            title="Lening zonder looptijd",
            purpose="-",
            amount_requested="1000",
            term_months=term,
            created_by=member,
        )


def test_a_grant_application_needs_no_term(team, collective):
    application = f.draft_application(team=team, collective=collective, kind="grant")
    assert application.term_months is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"amount_requested": "0"}, exc.InvalidAmount),
        ({"amount_requested": "-10"}, exc.InvalidAmount),
        ({"budget_lines": [("Niets", "0")]}, exc.InvalidAmount),
        ({"state": S.APPROVED}, exc.NotAllowed),
        ({"approved_amount": "5"}, exc.NotAllowed),
    ],
)
def test_create_refusals_write_nothing(team, collective, member, kwargs, error):
    fields = {
        "fund": team.fund,
        "collective": collective,
        "kind": ApplicationKind.GRANT,
        "title": "T",
        "purpose": "P",
        "amount_requested": "1000",
        "created_by": member,
        **kwargs,
    }
    with refused(error):
        services.application_create(**fields)


# --- update --------------------------------------------------------------------------------


def test_update_a_draft_replaces_fields_and_budget(team, collective, member):
    application = f.draft_application(team=team, collective=collective, amount="1000")

    updated = services.application_update(
        application=application,
        changed_by=member,
        title="Zonnedak, groter",
        amount_requested="1500",
        budget_lines=[("Panelen", "1500")],
    )

    assert (updated.title, updated.amount_requested) == ("Zonnedak, groter", Money("1500", EUR))
    assert [b.description for b in updated.budget_lines.all()] == ["Panelen"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"amount_requested": "0"}, exc.InvalidAmount),
        ({"state": S.APPROVED}, exc.NotAllowed),
        ({"commitment_open": "99999"}, exc.NotAllowed),
        ({"number": "A-1"}, exc.NotAllowed),
    ],
)
def test_update_refusals_write_nothing(team, collective, member, fields, error):
    application = f.draft_application(team=team, collective=collective)
    with refused(error, application):
        services.application_update(application=application, changed_by=member, **fields)


def test_update_cannot_take_the_term_off_a_loan_application(team, collective, member):
    """BUG: application_update does not repeat application_create's check that a loan
    application names a term, so a draft loan can lose its term and be submitted."""
    application = f.draft_application(team=team, collective=collective, kind="loan")

    with refused(exc.FundError, application, match="looptijd"):
        services.application_update(application=application, changed_by=member, term_months=None)


# --- submit --------------------------------------------------------------------------------


def test_submit_stamps_the_time(team, collective, member):
    application = f.draft_application(team=team, collective=collective)

    submitted = services.application_submit(application=application, submitted_by=member)

    assert submitted.state == S.SUBMITTED
    assert submitted.submitted_at is not None


def test_a_collective_that_is_not_verified_cannot_submit(team):
    collective = f.CollectiveFactory()  # registered, not verified
    application = f.draft_application(team=team, collective=collective)

    with refused(exc.InvalidTransition, application, collective, match="geverifieerd"):
        services.application_submit(application=application, submitted_by=f.member_of(collective))


# --- review and assessment -----------------------------------------------------------------


def test_start_review_sets_the_assessor(team, collective):
    application = f.submitted_application(team=team, collective=collective)

    reviewed = services.application_start_review(application=application, assessor=team.manager)

    assert (reviewed.state, reviewed.assessor) == (S.IN_REVIEW, team.manager)


@pytest.mark.parametrize("who", ["other_manager", "member", "auditor"])
def test_start_review_only_by_a_manager_of_the_fund(team, other_team, collective, who):
    application = f.submitted_application(team=team, collective=collective)
    user = {
        "other_manager": other_team.manager,
        "member": f.member_of(collective),
        "auditor": f.create_auditor(),
    }[who]

    with refused(exc.NotAllowed, application):
        services.application_start_review(application=application, assessor=user)


def test_assess_with_a_proposal_to_approve(team, collective):
    application = f.submitted_application(team=team, collective=collective, amount="5000")
    services.application_start_review(application=application, assessor=team.manager)

    assessed = services.application_assess(
        application=application,
        assessor=team.manager,
        proposal=Proposal.APPROVE,
        assessment="Goed onderbouwd.",
        amount="4500",
        conditions="Offerte meesturen.",
    )

    assert assessed.state == S.IN_REVIEW
    assert assessed.assessor == team.manager
    assert (assessed.proposal, assessed.proposed_amount) == ("approve", Money("4500", EUR))
    assert assessed.conditions == "Offerte meesturen."
    assert assessed.assessed_at is not None


def test_only_the_assessor_who_took_it_on_may_assess(team, collective):
    """A colleague cannot overwrite the assessment; they are the second pair of eyes."""
    application = f.submitted_application(team=team, collective=collective, amount="5000")
    services.application_start_review(application=application, assessor=team.manager)

    with refused(exc.NotAllowed, application):
        services.application_assess(
            application=application,
            assessor=team.second_manager,
            proposal=Proposal.APPROVE,
            assessment="Ook goed.",
            amount="5000",
        )


def test_assess_with_a_proposal_to_reject_has_no_amount(team, collective):
    application = f.submitted_application(team=team, collective=collective)
    services.application_start_review(application=application, assessor=team.manager)

    assessed = services.application_assess(
        application=application,
        assessor=team.manager,
        proposal=Proposal.REJECT,
        assessment="Geen draagvlak.",
        amount="999",
    )

    assert (assessed.proposal, assessed.proposed_amount) == ("reject", None)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"assessment": "   "}, exc.InvalidTransition),
        ({"proposal": "maybe"}, exc.InvalidTransition),
        ({"amount": "0"}, exc.InvalidAmount),
    ],
)
def test_assess_refusals_write_nothing(team, collective, kwargs, error):
    application = f.submitted_application(team=team, collective=collective)
    application = services.application_start_review(application=application, assessor=team.manager)
    fields = {
        "assessor": team.manager,
        "proposal": Proposal.APPROVE,
        "assessment": "Prima.",
        "amount": "1000",
        **kwargs,
    }
    with refused(error, application):
        services.application_assess(application=application, **fields)


def test_assess_a_proposal_to_approve_without_an_amount_is_refused_as_invalid_amount(
    team, collective
):
    """A missing amount is a FundError (it once escaped as ledger.money.MoneyError)."""
    application = f.submitted_application(team=team, collective=collective)
    application = services.application_start_review(application=application, assessor=team.manager)

    with refused(exc.InvalidAmount, application):
        services.application_assess(
            application=application,
            assessor=team.manager,
            proposal=Proposal.APPROVE,
            assessment="Prima.",
            amount=None,
        )


@pytest.mark.parametrize("who", ["other_manager", "member"])
def test_assess_only_by_a_manager_of_the_fund(team, other_team, collective, who):
    application = f.in_review_application(team=team, collective=collective)
    user = {"other_manager": other_team.manager, "member": f.member_of(collective)}[who]

    with refused(exc.NotAllowed, application):
        services.application_assess(
            application=application,
            assessor=user,
            proposal=Proposal.APPROVE,
            assessment="Ik vind het goed.",
            amount="1000",
        )


def test_withdraw_keeps_no_reservation(team, collective):
    application = f.in_review_application(team=team, collective=collective)

    withdrawn = services.application_withdraw(
        application=application, withdrawn_by=f.member_of(collective)
    )

    assert withdrawn.state == S.WITHDRAWN
    assert withdrawn.commitment_open == Money(0, EUR)


# --- who may take the collective's steps ---------------------------------------------------


@pytest.fixture
def outsiders(team, other_team):
    """Users who are not a member of ``collective``: they may not act for it."""
    return {
        "manager": team.manager,
        "other_member": f.member_of(f.CollectiveFactory()),
        "auditor": f.create_auditor(),
        "nobody": f.UserFactory(),
    }


@pytest.mark.parametrize("who", ["manager", "other_member", "auditor", "nobody"])
def test_only_a_member_creates_an_application_for_the_collective(team, collective, outsiders, who):
    with refused(exc.NotAllowed):
        services.application_create(
            fund=team.fund,
            collective=collective,
            kind=ApplicationKind.GRANT,
            title="T",
            purpose="P",
            amount_requested="100",
            created_by=outsiders[who],
        )


@pytest.mark.parametrize("who", ["manager", "other_member", "auditor", "nobody"])
@pytest.mark.parametrize("step", ["update", "submit", "withdraw"])
def test_only_a_member_edits_submits_or_withdraws(team, collective, outsiders, who, step):
    application = f.draft_application(team=team, collective=collective)
    user = outsiders[who]
    call = {
        "update": lambda: services.application_update(
            application=application, changed_by=user, title="Gekaapt"
        ),
        "submit": lambda: services.application_submit(application=application, submitted_by=user),
        "withdraw": lambda: services.application_withdraw(
            application=application, withdrawn_by=user
        ),
    }[step]

    with refused(exc.NotAllowed, application):
        call()


# --- attachments ---------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(name="begroting.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4 begroting", content_type="application/pdf")


def test_a_member_attaches_a_file_to_a_draft(team, collective, member, media):
    application = f.draft_application(team=team, collective=collective)

    attachment = services.attachment_add(
        application=application, file=upload(), uploaded_by=member, description="Begroting"
    )

    assert attachment.application == application
    assert attachment.uploaded_by == member
    assert attachment.file.name.startswith(f"applications/{application.number}/")
    assert (media / attachment.file.name).read_bytes() == b"%PDF-1.4 begroting"


@pytest.mark.parametrize("who", ["manager", "other_member"])
def test_only_a_member_attaches(team, collective, outsiders, media, who):
    application = f.draft_application(team=team, collective=collective)

    with refused(exc.NotAllowed, application):
        services.attachment_add(application=application, file=upload(), uploaded_by=outsiders[who])
    assert not any(media.rglob("*.pdf"))


@pytest.mark.parametrize("state", [S.SUBMITTED, S.IN_REVIEW, S.WITHDRAWN])
def test_attachments_only_on_a_draft(team, collective, member, media, state):
    application = f.create_application(state, team=team, collective=collective)

    with refused(exc.InvalidTransition, application):
        services.attachment_add(application=application, file=upload(), uploaded_by=member)
    assert not any(media.rglob("*.pdf"))
