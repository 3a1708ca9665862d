"""Every change of state writes an audit event (who, what, before, after) in the same
transaction as the change; a refused call writes none."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fund import exceptions as exc
from fund import services
from fund.models import ApplicationState, Proposal
from ledger.models import AuditEvent
from tests import factories as f
from tests.fund.helpers import audit_mark, events_after, refused, row

pytestmark = pytest.mark.django_db


def only_event(mark: int) -> AuditEvent:
    events = events_after(mark)
    assert len(events) == 1, [e.action for e in events]
    return events[0]


def assert_event(event, *, action, actor, obj, book=None, before=None, after=None):
    assert event.action == action
    assert event.actor == actor
    assert (event.object_type, event.object_id) == (obj._meta.label_lower, str(obj.pk))
    assert event.object_repr == str(obj)[:200]
    assert event.book_id == (book.pk if book is not None else None)
    for key, value in (before or {}).items():
        assert event.before[key] == value, key
    for key, value in (after or {}).items():
        assert event.after[key] == value, key


# --- capital and collectives ---------------------------------------------------------------


def test_fund_create_audits_the_book_and_the_fund():
    manager = f.UserFactory()
    mark = audit_mark()

    fund = services.fund_create(slug="rfb", name="RFB", managers=[manager], created_by=manager)

    book_event, role_event, fund_event = events_after(mark)
    assert (role_event.action, role_event.actor, role_event.after["role"]) == (
        "role.grant",
        manager,
        "fund_manager",
    )
    assert_event(book_event, action="book.create", actor=manager, obj=fund.book, book=fund.book)
    assert_event(
        fund_event,
        action="fund.create",
        actor=manager,
        obj=fund,
        book=fund.book,
        after={"slug": "rfb", "name": "RFB", "managers": [manager.pk]},
    )


def test_investor_create_is_audited(team):
    mark = audit_mark()

    investor = services.investor_create(
        code="INV-1", name="Gemeente", kind="municipality", created_by=team.manager
    )

    assert_event(
        only_event(mark),
        action="investor.create",
        actor=team.manager,
        obj=investor,
        after={"code": "INV-1", "name": "Gemeente"},
    )


def test_commitment_and_contribution_are_audited(team, investor):
    mark = audit_mark()
    commitment = f.commitment_for(team=team, amount="500", investor=investor)
    assert_event(
        only_event(mark),
        action="commitment.create",
        actor=team.manager,
        obj=commitment,
        book=team.fund.book,
        after={"investor": investor.pk, "compartment": team.grant.pk, "amount": "500.00"},
    )

    mark = audit_mark()
    contribution = services.contribution_record(
        commitment=commitment, amount="200", date=date(2026, 2, 1), created_by=team.manager
    )
    assert_event(
        only_event(mark),
        action="contribution.record",
        actor=team.manager,
        obj=contribution,
        book=team.fund.book,
        after={"amount": "200.00", "date": "2026-02-01", "entry": contribution.entry_id},
    )


def test_collective_register_update_verify_are_audited(team):
    member = f.UserFactory()
    mark = audit_mark()
    collective = f.CollectiveFactory(member=member, members_count=10)
    role_event, register_event = events_after(mark)
    assert (role_event.action, role_event.after["role"]) == ("role.grant", "collective_contact")
    assert_event(
        register_event,
        action="collective.register",
        actor=member,
        obj=collective,
        after={"members_count": 10, "kvk_number": collective.kvk_number},
    )

    mark = audit_mark()
    services.collective_update(collective=collective, changed_by=member, members_count=12)
    assert_event(
        only_event(mark),
        action="collective.update",
        actor=member,
        obj=collective,
        before={"members_count": 10, "verified": False},
        after={"members_count": 12, "verified": False},
    )

    mark = audit_mark()
    services.collective_verify(collective=collective, verified_by=team.manager)
    assert_event(
        only_event(mark),
        action="collective.verify",
        actor=team.manager,
        obj=collective,
        before={"verified": False},
        after={"verified": True},
    )


# --- the life of an application ------------------------------------------------------------


def test_each_step_of_an_application_is_audited_with_its_state_before_and_after():
    team = f.create_funded_team(grant="10000", revolving=None)
    collective = f.create_verified_collective(verified_by=team.manager)
    member = f.member_of(collective)
    book = team.fund.book

    mark = audit_mark()
    application = f.ApplicationFactory(
        fund=team.fund, collective=collective, amount_requested="900"
    )
    assert_event(
        only_event(mark),
        action="application.create",
        actor=member,
        obj=application,
        book=book,
        before={},
        after={"state": "draft", "amount_requested": "900.00"},
    )

    steps = [
        (
            "update",
            member,
            "draft",
            "draft",
            lambda: services.application_update(
                application=application, changed_by=member, amount_requested="1000"
            ),
        ),
        (
            "submit",
            member,
            "draft",
            "submitted",
            lambda: services.application_submit(application=application, submitted_by=member),
        ),
        (
            "start_review",
            team.manager,
            "submitted",
            "in_review",
            lambda: services.application_start_review(
                application=application, assessor=team.manager
            ),
        ),
        (
            "assess",
            team.manager,
            "in_review",
            "in_review",
            lambda: services.application_assess(
                application=application,
                assessor=team.manager,
                proposal=Proposal.APPROVE,
                assessment="Goed.",
                amount="1000",
            ),
        ),
        (
            "approve",
            team.second_manager,
            "in_review",
            "approved",
            lambda: services.application_decide(
                application=application,
                decided_by=team.second_manager,
                approve=True,
                reason="Akkoord.",
            ),
        ),
    ]
    for action, actor, state_before, state_after, step in steps:
        mark = audit_mark()
        step()
        assert_event(
            only_event(mark),
            action=f"application.{action}",
            actor=actor,
            obj=application,
            book=book,
            before={"state": state_before},
            after={"state": state_after},
        )

    approved = events_after(mark)[-1]
    assert approved.before["commitment_open"] == "0.00"
    assert approved.after["commitment_open"] == "1000.00"
    assert approved.after["decided_by"] == team.second_manager.pk
    assert approved.after["assessor"] == team.manager.pk


def test_reject_and_withdraw_are_audited(team):
    rejected = f.in_review_application(team=team, proposal=Proposal.REJECT)
    mark = audit_mark()
    services.application_decide(
        application=rejected, decided_by=team.second_manager, approve=False, reason="Nee."
    )
    assert_event(
        only_event(mark),
        action="application.reject",
        actor=team.second_manager,
        obj=rejected,
        book=team.fund.book,
        before={"state": "in_review"},
        after={"state": "rejected", "commitment_open": "0.00"},
    )

    withdrawn = f.submitted_application(team=team)
    member = f.member_of(withdrawn.collective)
    mark = audit_mark()
    services.application_withdraw(application=withdrawn, withdrawn_by=member)
    assert_event(
        only_event(mark),
        action="application.withdraw",
        actor=member,
        obj=withdrawn,
        book=team.fund.book,
        before={"state": "submitted"},
        after={"state": "withdrawn"},
    )


def test_attachment_add_is_audited(team, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    application = f.draft_application(team=team)
    member = f.member_of(application.collective)
    mark = audit_mark()

    attachment = services.attachment_add(
        application=application,
        file=SimpleUploadedFile("offerte.pdf", b"%PDF"),
        uploaded_by=member,
    )

    assert_event(
        only_event(mark),
        action="application.attach",
        actor=member,
        obj=application,
        book=team.fund.book,
        after={"attachment": attachment.pk, "file": attachment.file.name},
    )


def test_a_proposed_change_of_identity_and_its_approval_are_audited(team):
    collective = f.create_verified_collective(verified_by=team.manager)
    member = f.member_of(collective)
    mark = audit_mark()

    updated = services.collective_update(
        collective=collective, changed_by=member, name="Andere naam"
    )

    change = updated.pending_change
    assert_event(
        only_event(mark),
        action="collective.update",
        actor=member,
        obj=updated,
        before={"verified": True},
        after={"verified": True, "proposed": {"name": "Andere naam"}, "change": change.pk},
    )
    mark = audit_mark()
    services.collective_change_decide(change=change, decided_by=team.second_manager, approve=True)
    collective.refresh_from_db()
    assert_event(
        only_event(mark),
        action="collective.change_approve",
        actor=team.second_manager,
        obj=collective,
        after={"name": "Andere naam", "change": change.pk},
    )


# --- grants --------------------------------------------------------------------------------


def test_award_pay_settle_are_audited():
    team = f.create_fund_team()
    application = f.approved_application(team=team, amount="3000")
    book = team.fund.book

    mark = audit_mark()
    grant = services.grant_award(application=application, awarded_by=team.manager, date=f.DAY)
    assert_event(
        only_event(mark),
        action="grant.award",
        actor=team.manager,
        obj=grant,
        book=book,
        before={"commitment_open": "3000.00"},
        after={"amount": "3000.00", "entry": grant.award_entry_id, "commitment_open": "0.00"},
    )

    mark = audit_mark()
    payment = services.grant_payment_propose(
        grant=grant, amount="1000", date=f.DAY, proposed_by=team.manager
    )
    assert_event(
        only_event(mark),
        action="grant.pay_propose",
        actor=team.manager,
        obj=grant,
        book=book,
        before=None,
        after={
            "payment": payment.pk,
            "amount": "1000.00",
            "date": f.DAY.isoformat(),
            "description": "",
        },
    )

    mark = audit_mark()
    payment = services.grant_payment_decide(
        payment=payment, decided_by=team.second_manager, approve=True
    )
    assert_event(
        only_event(mark),
        action="grant.pay_approve",
        actor=team.second_manager,
        obj=grant,
        book=book,
        before={"state": "awarded", "paid": "0.00"},
        after={
            "state": "paying",
            "paid": "1000.00",
            "payment": payment.pk,
            "entry": payment.entry_id,
        },
    )

    mark = audit_mark()
    services.grant_settle(grant=grant, returned="100", date=f.DAY, settled_by=team.manager)
    assert_event(
        only_event(mark),
        action="grant.settle",
        actor=team.manager,
        obj=grant,
        book=book,
        before={"state": "paying", "returned": "0.00", "released": "0.00"},
        after={"state": "settled", "returned": "100.00", "released": "2000.00"},
    )


# --- refused calls write no event; a failed audit undoes the change ------------------------


def test_refused_calls_write_no_audit_event(team, other_team):
    application = f.in_review_application(team=team)
    before = AuditEvent.objects.count()

    for call in [
        lambda: services.application_decide(
            application=application, decided_by=team.manager, approve=True, reason="x"
        ),
        lambda: services.application_decide(
            application=application, decided_by=other_team.manager, approve=True, reason="x"
        ),
        lambda: services.application_submit(application=application, submitted_by=team.manager),
    ]:
        with pytest.raises(exc.FundError):
            call()

    assert AuditEvent.objects.count() == before


class AuditDown(Exception):
    pass


@pytest.fixture
def break_audit(monkeypatch):
    """Call it (after the set-up) to make every audit write of the fund services fail."""

    def broken(**kwargs):
        raise AuditDown(kwargs["action"])

    return lambda: monkeypatch.setattr(services, "audit_record", broken)


def test_a_failed_audit_undoes_the_state_change(team, break_audit):
    application = f.in_review_application(team=team, amount="1000")
    f.top_up_capacity(team=team, kind="grant", amount="1000")
    break_audit()

    with refused(AuditDown, application):
        services.application_decide(
            application=application, decided_by=team.second_manager, approve=True, reason="Ja."
        )
    assert row(application)["state"] == ApplicationState.IN_REVIEW


def test_a_failed_audit_undoes_the_posting(team, break_audit):
    commitment = f.commitment_for(team=team, amount="1000")
    grant_app = f.approved_application(team=team, amount="500")
    grant = f.awarded_grant(team=team, amount="200")
    break_audit()

    with refused(AuditDown, commitment):
        services.contribution_record(
            commitment=commitment, amount="10", date=f.DAY, created_by=team.manager
        )
    with refused(AuditDown, grant_app):
        services.grant_award(application=grant_app, awarded_by=team.manager, date=f.DAY)
    with refused(AuditDown, grant):
        services.grant_payment_propose(
            grant=grant, amount="200", date=f.DAY, proposed_by=team.manager
        )
    with refused(AuditDown, grant):
        services.grant_settle(grant=grant, returned="0", date=f.DAY, settled_by=team.manager)
    assert row(grant_app)["commitment_open"] == Decimal("500.00")
