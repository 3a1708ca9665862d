"""Collectives: registration, changes and verification by a fund manager."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from fund import exceptions as exc
from fund.services import (
    collective_change_decide,
    collective_register,
    collective_update,
    collective_verify,
)
from ledger import clock
from tests import factories as f
from tests.fund.helpers import refused, row

pytestmark = pytest.mark.django_db

FIELDS = {
    "name": "Dorpscoöperatie Eefde",
    "kind": "village",
    "legal_form": "cooperatie",
    "kvk_number": "12345678",
    "iban": "nl91 abna 0417 1643 00",
    "city": "Eefde",
    "municipality": "Lochem",
    "sdgs": [7, 11],
}


def test_register_numbers_the_collective_links_the_member_and_leaves_it_unverified():
    member = f.UserFactory()

    collective = collective_register(registered_by=member, member=member, **FIELDS)

    year = clock.today().year
    assert collective.code == f"C-{year}-0001"
    assert collective.iban == "NL91ABNA0417164300"  # spaces out, upper case
    assert list(collective.members.all()) == [member]
    assert not collective.is_verified
    assert collective.iban_display == "NL91 ABNA 0417 1643 00"


@pytest.mark.parametrize(
    "bad",
    [
        {"kvk_number": "1234567"},
        {"kvk_number": "1234567a"},
        {"iban": "NL00ABNA0417164300"},
        {"sdgs": [0, 18]},
        {"postcode": "12345"},
        {"kind": "club"},
    ],
)
def test_register_refuses_invalid_fields_and_uses_no_number(bad):
    with refused(ValidationError):
        collective_register(registered_by=None, **{**FIELDS, **bad})


def test_kvk_numbers_are_unique():
    f.CollectiveFactory(kvk_number="12345678")
    with refused(ValidationError):
        f.CollectiveFactory(kvk_number="12345678")


def test_update_changes_ordinary_fields_at_once(team, collective, member):
    updated = collective_update(collective=collective, changed_by=member, members_count=250)

    assert updated.members_count == 250
    assert row(collective)["members_count"] == 250


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"code": "C-HACK"}, exc.NotAllowed),
        ({"verified_at": None}, exc.NotAllowed),
        ({"members_count": 3, "code": "C-HACK"}, exc.NotAllowed),
        ({"kvk_number": "123"}, ValidationError),
    ],
)
def test_update_refuses_other_fields_and_invalid_values(collective, member, fields, error):
    with refused(error, collective):
        collective_update(collective=collective, changed_by=member, **fields)


def test_verify_by_a_fund_manager(team):
    collective = f.CollectiveFactory()

    verified = collective_verify(collective=collective, verified_by=team.manager)

    assert verified.is_verified
    assert verified.verified_by == team.manager
    assert row(collective)["verified_by_id"] == team.manager.pk


def test_verify_twice_is_refused(team, collective):
    with refused(exc.InvalidTransition, collective):
        collective_verify(collective=collective, verified_by=team.second_manager)


@pytest.mark.parametrize("who", ["member", "investor_user", "auditor", "nobody"])
def test_verify_by_someone_who_manages_no_fund_is_refused(who):
    collective = f.CollectiveFactory()
    user = {
        "member": f.member_of(collective),
        "investor_user": f.create_investor_user(),
        "auditor": f.create_auditor(),
        "nobody": f.UserFactory(),
    }[who]
    with refused(exc.NotAllowed, collective):
        collective_verify(collective=collective, verified_by=user)


# --- who may change a collective, and what a change of identity does -----------------------


@pytest.mark.parametrize("who", ["other_member", "investor_user", "auditor", "nobody"])
def test_update_only_by_a_member_or_a_fund_manager(collective, who):
    user = {
        "other_member": f.member_of(f.CollectiveFactory()),
        "investor_user": f.create_investor_user(),
        "auditor": f.create_auditor(),
        "nobody": f.UserFactory(),
    }[who]

    with refused(exc.NotAllowed, collective):
        collective_update(collective=collective, changed_by=user, members_count=1)


def test_a_manager_of_any_fund_may_update_a_collective(collective, other_team):
    collective_update(collective=collective, changed_by=other_team.manager, members_count=7)

    assert row(collective)["members_count"] == 7


@pytest.mark.parametrize(
    "change",
    [
        {"iban": "NL91ABNA0417164300"},
        {"kvk_number": "87654321"},
        {"legal_form": "stichting"},
        {"name": "Nieuwe naam"},
    ],
)
def test_a_change_of_identity_waits_for_a_second_manager(
    team, collective, member, change, django_capture_on_commit_callbacks, mailoutbox
):
    """Money is paid to the IBAN: a change of identity is a proposal, the contacts are told,
    and only another manager of a fund the collective deals with makes it happen."""
    before = row(collective)
    with django_capture_on_commit_callbacks(execute=True):
        updated = collective_update(collective=collective, changed_by=member, **change)
    proposal = updated.pending_change
    assert proposal is not None and proposal.after == change
    name, value = next(iter(change.items()))
    assert row(collective)[name] == before[name]  # not changed yet
    assert row(collective)["verified_at"] is not None  # still the verified identity
    assert mailoutbox and member.email in mailoutbox[0].to
    with refused(exc.NotAllowed, collective):  # a contact proposes; a manager decides
        collective_change_decide(change=proposal, decided_by=member, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        collective_change_decide(change=proposal, decided_by=team.manager, approve=True)
    assert row(collective)[name] == value
    assert row(collective)["verified_at"] is not None
    assert "goedgekeurd" in mailoutbox[-1].body


def test_the_same_iban_written_differently_is_no_change(collective, member):
    spaced = " ".join(collective.iban[i : i + 4] for i in range(0, len(collective.iban), 4))

    updated = collective_update(
        collective=collective, changed_by=member, members_count=300, iban=spaced.lower()
    )

    assert updated.pending_change is None
    assert row(collective)["members_count"] == 300


def test_the_proposing_manager_cannot_approve_and_another_can(team, collective):
    updated = collective_update(
        collective=collective, changed_by=team.manager, iban="NL91ABNA0417164300"
    )
    with refused(exc.FourEyesViolation, collective):
        collective_change_decide(
            change=updated.pending_change, decided_by=team.manager, approve=True
        )
    collective_change_decide(
        change=updated.pending_change, decided_by=team.second_manager, approve=True
    )
    assert row(collective)["iban"] == "NL91ABNA0417164300"


def test_a_manager_of_a_fund_the_collective_does_not_deal_with_cannot_change_it(
    team, other_team, collective
):
    """The probe: a manager of another fund only changed the IBAN and re-verified it alone."""
    f.draft_application(team=team, collective=collective)
    with refused(exc.NotAllowed, collective):
        collective_update(
            collective=collective, changed_by=other_team.manager, iban="NL91ABNA0417164300"
        )
    proposal = collective_update(
        collective=collective, changed_by=team.manager, iban="NL91ABNA0417164300"
    ).pending_change
    with refused(exc.NotAllowed, collective):
        collective_change_decide(change=proposal, decided_by=other_team.manager, approve=True)


def test_payments_wait_while_a_change_of_identity_is_open():
    from fund.services import grant_payment_decide, grant_payment_propose

    team = f.create_funded_team()
    grant = f.awarded_grant(team=team)
    payment = grant_payment_propose(
        grant=grant, amount="100.00", date=f.DAY, proposed_by=team.manager
    )
    member = grant.collective.members.first()
    collective_update(collective=grant.collective, changed_by=member, iban="NL91ABNA0417164300")
    with refused(exc.InvalidTransition, payment, match="wachten op goedkeuring"):
        grant_payment_decide(payment=payment, decided_by=team.second_manager, approve=True)


def test_an_unverified_collective_changes_its_identity_at_once(team, member):
    collective = f.CollectiveFactory()
    member = f.member_of(collective)
    updated = collective_update(collective=collective, changed_by=member, iban="NL91ABNA0417164300")
    assert updated.pending_change is None
    assert row(collective)["iban"] == "NL91ABNA0417164300"
