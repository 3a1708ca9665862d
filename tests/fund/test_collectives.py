"""Collectives: registration, changes and verification by a fund manager."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from fund import exceptions as exc
from fund.services import collective_register, collective_update, collective_verify
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


def test_update_changes_fields(team, collective, member):
    updated = collective_update(
        collective=collective, changed_by=member, members_count=250, iban="NL91 ABNA 0417 1643 00"
    )

    assert (updated.members_count, updated.iban) == (250, "NL91ABNA0417164300")
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
def test_a_member_changing_the_identity_undoes_the_verification(collective, member, change):
    assert collective.is_verified

    updated = collective_update(collective=collective, changed_by=member, **change)

    assert not updated.is_verified
    assert row(collective)["verified_at"] is None
    assert row(collective)["verified_by_id"] is None


def test_other_changes_and_the_same_iban_keep_the_verification(collective, member):
    spaced = " ".join(collective.iban[i : i + 4] for i in range(0, len(collective.iban), 4))

    collective_update(
        collective=collective, changed_by=member, members_count=300, iban=spaced.lower()
    )

    assert row(collective)["verified_at"] is not None


def test_a_manager_changing_the_identity_also_clears_the_verification(team, collective):
    """Money is paid to the IBAN: whoever changes it, it is verified again before use."""
    collective_update(collective=collective, changed_by=team.manager, iban="NL91ABNA0417164300")

    assert row(collective)["verified_at"] is None
    assert row(collective)["iban"] == "NL91ABNA0417164300"


def test_an_unverified_collective_cannot_submit_after_its_iban_changed(team, collective, member):
    application = f.draft_application(team=team, collective=collective)
    collective_update(collective=collective, changed_by=member, iban="NL91ABNA0417164300")

    from fund.services import application_submit

    with refused(exc.InvalidTransition, application):
        application_submit(application=application, submitted_by=member)
    collective_verify(collective=collective, verified_by=team.second_manager)
    assert application_submit(application=application, submitted_by=member).state == "submitted"
