"""Who gets what: every page as every role, and the write actions as the wrong roles.

The routes come from walking the URL resolver, so a new page without a row in the table
below fails here until somebody decides who may see it. The objects in the URLs belong to
fund A and collective X: the manager of fund B and the member of collective Y are outside
their scope and get a 404, the member of X gets their own pages.

Codes: a number is the status; ``L`` is a redirect to the login page, ``A`` a redirect to the
admin's login page, ``R`` any other redirect.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib.admin import site as admin_site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from fund import services
from fund.models import (
    Application,
    Attachment,
    BudgetLine,
    Collective,
    Commitment,
    CompartmentKind,
    Contribution,
    Grant,
    GrantPayment,
    Investor,
)
from ledger.models import AuditEvent, Balance, JournalEntry, JournalLine

from .conftest import DAY, World, collective_fields, page_text
from .test_loan_pages import build_loans

ROLES = (
    "anonymous",
    "manager_a",
    "manager_b",
    "member_x",
    "member_y",
    "investor_user",
    "auditor",
    "no_role",
)

# Collectives and investors are not tied to a fund: every manager sees (and may verify) all
# of them, so the manager of fund B gets a 200 on collective X and the investor; changing a
# collective's details is for the managers of the funds it deals with.
# The four POST-only actions answer a GET with 405 before anything else, even anonymously.
GET_TABLE = """
# route                          anon  mgrA  mgrB  memX  memY  inv   aud   none
set_language                     R     R     R     R     R     R     R     R
login                            200   200   200   200   200   200   200   200
logout                           405   405   405   405   405   405   405   405
password_change                  L     200   200   200   200   200   200   200
password_change_done             L     200   200   200   200   200   200   200
password_reset                   200   200   200   200   200   200   200   200
password_reset_done              200   200   200   200   200   200   200   200
password_reset_confirm           200   200   200   200   200   200   200   200
password_reset_complete          200   200   200   200   200   200   200   200
admin:index                      A     A     A     A     A     A     A     A

fund:fund_list                   L     200   200   403   403   403   200   403
fund:fund_detail                 L     200   404   403   403   403   200   403
fund:commitment_create           L     200   404   403   403   403   403   403
fund:contribution_create         L     200   404   403   403   403   403   403
fund:investor_list               L     200   200   403   403   200   200   403
fund:investor_create             L     200   200   403   403   403   403   403
fund:investor_detail             L     200   200   403   403   200   200   403
fund:collective_list             L     200   200   200   200   200   200   200
fund:collective_register         L     200   200   200   200   403   403   200
fund:collective_detail           L     200   200   200   404   403   200   403
fund:collective_edit             L     200   200   200   404   403   403   403
fund:collective_verify           405   405   405   405   405   405   405   405
fund:collective_change_decide    405   405   405   405   405   405   405   405
fund:application_list            L     200   200   200   200   403   200   403
fund:application_create          L     403   403   200   200   403   403   403
fund:application_detail          L     200   404   200   404   403   200   403
fund:application_edit            L     403   403   200   404   403   403   403
fund:application_submit          405   405   405   405   405   405   405   405
fund:application_withdraw        L     403   403   200   404   403   403   403
fund:application_start_review    405   405   405   405   405   405   405   405
fund:application_assess          L     200   404   403   403   403   403   403
fund:application_decide          L     R     404   403   403   403   403   403
fund:grant_award                 L     200   404   403   403   403   403   403
fund:attachment_download         L     200   404   200   404   403   200   403
fund:grant_list                  L     200   200   200   200   403   200   403
fund:grant_detail                L     200   404   200   404   403   200   403
fund:grant_pay                   L     200   404   403   403   403   403   403
fund:grant_payment_decide        405   405   405   405   405   405   405   405
fund:grant_settle                L     200   404   403   403   403   403   403
fund:locked_accounts             L     200   200   403   403   403   403   403
fund:user_list                   L     200   200   403   403   403   200   403
fund:user_invite                 L     200   200   403   403   403   403   403
fund:user_unlink_collective      L     200   404   403   403   403   403   403
fund:user_unlink_investor        L     200   200   403   403   403   403   403
fund:user_deactivate             L     200   404   403   403   403   403   403
fund:user_activate               L     R     404   403   403   403   403   403

reports:dashboard                L     200   200   200   200   200   200   200
reports:home                     L     R     R     R     R     R     R     R
reports:book_list                L     200   200   404   404   404   200   404
reports:trial_balance            L     200   404   404   404   404   200   404
reports:account_statement        L     200   404   404   404   404   200   404
reports:journal                  L     200   404   404   404   404   200   404
reports:entry_detail             L     200   404   404   404   404   200   404
reports:audit_trail              L     200   200   404   404   404   200   404

loans:loan_list                  L     200   200   200   200   403   200   403
loans:loan_detail                L     200   404   200   404   403   200   403
loans:loan_contract              L     200   404   403   403   403   403   403
loans:loan_disburse              L     200   404   403   403   403   403   403
loans:repayment_create           L     200   404   403   403   403   403   403
loans:repayment_reverse          L     200   404   403   403   403   403   403
loans:loan_change_propose        L     200   404   403   403   403   403   403
loans:loan_change_decide         L     200   404   403   403   403   403   403
loans:receipt_list               L     200   200   403   403   403   200   403
loans:receipt_match              L     200   404   403   403   403   403   403
loans:receipt_dispose            L     200   404   403   403   403   403   403
loans:receipt_disposal_decide    L     200   404   403   403   403   403   403
loans:repayments_import          L     200   200   403   403   403   403   403
loans:portfolio                  L     200   404   403   403   403   200   403
loans:product_list               L     200   404   403   403   403   200   403
loans:product_create             L     200   404   403   403   403   403   403
reports:statement_list           L     200   200   404   404   200   200   404
reports:statement_download       L     404   404   404   404   404   404   404
reports:statement_run            L     200   404   404   404   404   200   404
reports:pool_forecast            L     200   404   404   404   404   200   404
reports:loan_statement_pdf       L     200   404   200   404   404   200   404
reports:interest_statement_pdf   L     200   404   200   404   404   200   404
two_factor:overview              L     200   200   200   200   200   200   200
two_factor:enrol                 L     200   200   403   403   403   200   403
two_factor:verify                L     R     R     R     R     R     R     R
two_factor:backup_codes_renew    405   405   405   405   405   405   405   405
"""


def parse_table(text: str, roles: tuple[str, ...]) -> dict[str, dict[str, str]]:
    table = {}
    for line in text.strip().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, *codes = line.split()
        assert len(codes) == len(roles), f"{name}: {len(codes)} codes for {len(roles)} roles"
        assert name not in table, f"{name} twice in the table"
        table[name] = dict(zip(roles, codes, strict=True))
    return table


EXPECTED_GET = parse_table(GET_TABLE, ROLES)

# The objects in each URL: those of fund A and collective X.
URL_KWARGS = {
    "password_reset_confirm": lambda w: {"uidb64": "MQ", "token": "abc-0123456789abcdef"},
    "fund:fund_detail": lambda w: {"slug": w.fund_a.slug},
    "fund:commitment_create": lambda w: {"slug": w.fund_a.slug},
    "fund:contribution_create": lambda w: {"pk": w.commitment.pk},
    "fund:investor_detail": lambda w: {"pk": w.investor.pk},
    "fund:collective_detail": lambda w: {"code": w.collective_x.code},
    "fund:collective_edit": lambda w: {"code": w.collective_x.code},
    "fund:collective_verify": lambda w: {"code": w.unverified.code},
    "fund:collective_change_decide": lambda w: {"code": w.collective_x.code, "pk": 1},
    "fund:application_detail": lambda w: {"number": w.draft.number},
    "fund:application_edit": lambda w: {"number": w.draft.number},
    "fund:application_submit": lambda w: {"number": w.draft.number},
    "fund:application_withdraw": lambda w: {"number": w.draft.number},
    "fund:application_start_review": lambda w: {"number": w.submitted.number},
    "fund:application_assess": lambda w: {"number": w.assessed.number},
    "fund:application_decide": lambda w: {"number": w.assessed.number},
    "fund:grant_award": lambda w: {"number": w.approved.number},
    "fund:attachment_download": lambda w: {"number": w.draft.number, "pk": w.attachment.pk},
    "fund:grant_detail": lambda w: {"number": w.grant.number},
    "fund:grant_pay": lambda w: {"number": w.grant.number},
    "fund:grant_payment_decide": lambda w: {
        "number": w.grant.number,
        "pk": w.grant.payments.get().pk,
    },
    "fund:grant_settle": lambda w: {"number": w.grant.number},
    # Collective Y deals with fund A only (its loan), X with fund A: outside fund B's scope.
    "fund:user_unlink_collective": lambda w: {"pk": w.member_x.pk, "code": w.collective_x.code},
    "fund:user_unlink_investor": lambda w: {"pk": w.investor_user.pk, "investor": w.investor.pk},
    "fund:user_deactivate": lambda w: {"pk": w.member_y.pk},
    "fund:user_activate": lambda w: {"pk": w.member_y.pk},
    "reports:trial_balance": lambda w: {"slug": w.fund_a.book.slug},
    "reports:account_statement": lambda w: {"slug": w.fund_a.book.slug, "code": "1010"},
    "reports:journal": lambda w: {"slug": w.fund_a.book.slug},
    "reports:entry_detail": lambda w: {"slug": w.fund_a.book.slug, "pk": w.entry.pk},
    "loans:loan_detail": lambda w: {"number": w.loans.loan.number},
    "loans:loan_contract": lambda w: {"number": w.loans.contractable.number},
    "loans:loan_disburse": lambda w: {"number": w.loans.loan.number},
    "loans:repayment_create": lambda w: {"number": w.loans.loan.number},
    "loans:repayment_reverse": lambda w: {"pk": w.loans.repayment.pk},
    "loans:loan_change_propose": lambda w: {"number": w.loans.loan.number},
    "loans:loan_change_decide": lambda w: {"pk": w.loans.change.pk},
    "loans:receipt_match": lambda w: {"pk": w.loans.receipt.pk},
    "loans:receipt_dispose": lambda w: {"pk": w.loans.receipt.pk},
    "loans:receipt_disposal_decide": lambda w: {"pk": w.loans.disposal.pk},
    "loans:portfolio": lambda w: {"slug": w.fund_a.slug},
    # No statement has been issued in this world: every reader gets a 404
    # (tests/reports/test_investor_statements.py downloads real ones, per role).
    "reports:statement_download": lambda w: {"pk": 999999},
    "reports:statement_run": lambda w: {"slug": w.fund_a.slug},
    "reports:pool_forecast": lambda w: {"slug": w.fund_a.book.slug},
    "reports:loan_statement_pdf": lambda w: {"number": w.loans.loan.number},
    "reports:interest_statement_pdf": lambda w: {"number": w.loans.loan.number, "year": 2026},
    "loans:product_list": lambda w: {"slug": w.fund_a.slug},
    "loans:product_create": lambda w: {"slug": w.fund_a.slug},
}


@pytest.fixture
def world(world):
    """The fund world of conftest, with loans in fund A (collectives X and Y) on top: a
    repaid instalment, a proposed restructuring, a contractable approval, an unmatched receipt."""
    world.loans = build_loans(world)
    return world


def walk_routes(resolver=None, namespace: str = "") -> list[tuple[str | None, str]]:
    """Every route of the URLconf as ``(name with namespaces, pattern)``."""
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}{entry.namespace}:"
            for name, pattern in walk_routes(entry, inner):
                routes.append((name, f"{entry.pattern}{pattern}"))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            routes.append((name, str(entry.pattern)))
    return routes


def project_routes() -> list[tuple[str | None, str]]:
    """The routes this project is answerable for: all but the admin's own pages (of which
    only the index is in the table)."""
    admin_prefix = f"{admin_site.name}:"
    return [
        (name, pattern)
        for name, pattern in walk_routes()
        if not (name or "").startswith(admin_prefix) and not pattern.startswith("admin/")
    ] + [("admin:index", "admin/")]


def route_names() -> list[str]:
    return sorted({name for name, _ in project_routes() if name})


def url_for(name: str, world: World) -> str:
    kwargs = URL_KWARGS.get(name, lambda w: {})(world)
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch as error:
        raise AssertionError(f"{name}: no URL_KWARGS entry that reverses it ({error})") from None


def outcome(response) -> str:
    """The response as a table code."""
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("login")):
            return "L"
        if location.startswith(reverse("admin:login")):
            return "A"
        return "R"
    return str(response.status_code)


def login_as(client, world: World, role: str) -> None:
    client.logout()
    user = world.user(role)
    if user is not None:
        client.force_login(user)


# --- the table covers the URLconf ---------------------------------------------------------


def test_every_route_outside_the_admin_has_a_name():
    unnamed = [pattern for name, pattern in project_routes() if name is None]
    assert unnamed == []


def test_the_table_has_a_row_for_every_named_route_and_no_others():
    names = set(route_names())
    missing = sorted(names - set(EXPECTED_GET))
    stale = sorted(set(EXPECTED_GET) - names)
    assert missing == [], (
        f"routes without a row in GET_TABLE (and URL_KWARGS for their objects): {missing}"
    )
    assert stale == [], f"rows in GET_TABLE for routes that do not exist: {stale}"


def test_the_table_covers_both_namespaces_and_the_auth_pages():
    names = set(route_names())
    assert {n for n in names if n.startswith("fund:")}, "no fund routes found"
    assert {n for n in names if n.startswith("reports:")}, "no reports routes found"
    assert {n for n in names if n.startswith("loans:")}, "no loans routes found"
    assert {"login", "logout", "password_reset", "set_language", "admin:index"} <= names


# --- GET as every role --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_the_table_says(client, world, role):
    """Routes without a row fail the coverage test above; here the rows are checked."""
    login_as(client, world, role)
    wrong = []
    for name in route_names():
        if name not in EXPECTED_GET:
            continue
        expected = EXPECTED_GET[name][role]
        url = url_for(name, world)
        got = outcome(client.get(url))
        if got != expected:
            wrong.append(f"{name} {url}: expected {expected}, got {got}")
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)


def test_member_of_x_sees_their_own_application_grant_and_attachment(client, world):
    client.force_login(world.member_x)
    page = client.get(reverse("fund:application_detail", kwargs={"number": world.draft.number}))
    assert world.draft.title in page.content.decode()
    grant = client.get(reverse("fund:grant_detail", kwargs={"number": world.grant.number}))
    assert world.grant.number in grant.content.decode()
    download = client.get(url_for("fund:attachment_download", world))
    assert b"".join(download.streaming_content) == b"Zonnepanelen 4000\n"


def test_lists_are_scoped_to_what_the_user_may_see(client, world):
    client.force_login(world.member_y)
    text = client.get(reverse("fund:application_list")).content.decode()
    assert world.draft.number not in text
    text = client.get(reverse("fund:collective_list")).content.decode()
    assert world.collective_y.name in text
    assert world.collective_x.name not in text
    text = client.get(reverse("fund:grant_list")).content.decode()
    assert world.grant.number not in text

    client.force_login(world.manager_b)
    text = client.get(reverse("fund:application_list")).content.decode()
    assert world.draft.number not in text
    text = client.get(reverse("fund:fund_list")).content.decode()
    assert world.fund_b.name in text
    assert world.fund_a.name not in text
    text = client.get(reverse("reports:book_list")).content.decode()
    assert world.fund_a.book.name not in text


# --- POST: the write actions as each role -------------------------------------------------

POST_ROLES = (
    "anonymous",
    "manager_a",
    "manager_a2",
    "manager_b",
    "member_x",
    "member_y",
    "investor_user",
    "auditor",
    "no_role",
    "manager_auditor",
)

# ``ok``: the action is done (a redirect, and something changed); every other code means
# that nothing at all changed. manager_a assessed the application that is up for a
# decision, so their own decision is refused by four eyes (the form again, with the reason);
# manager_a2 may not overwrite manager_a's assessment (the form again, with the reason).
# manager_auditor manages fund A and is an auditor: an auditor never changes anything.
POST_TABLE = """
# action                        anon mgrA mgrA2 mgrB memX memY inv  aud  none mgrAud
fund:commitment_create          L    ok   ok    404  403  403  403  403  403  403
fund:contribution_create        L    ok   ok    404  403  403  403  403  403  403
fund:investor_create            L    ok   ok    ok   403  403  403  403  403  403
fund:collective_verify          L    ok   ok    ok   403  403  403  403  403  403
fund:application_start_review   L    ok   ok    404  403  403  403  403  403  403
fund:application_assess         L    ok   200   404  403  403  403  403  403  403
fund:application_decide         L    200  ok    404  403  403  403  403  403  403
fund:grant_award                L    ok   ok    404  403  403  403  403  403  403
fund:grant_pay                  L    ok   ok    404  403  403  403  403  403  403
fund:grant_payment_decide       L    R    R     404  403  403  403  403  403  403
fund:grant_settle               L    ok   ok    404  403  403  403  403  403  403

fund:collective_register        L    ok   ok    ok   ok   ok   403  403  ok   403
fund:collective_edit            L    ok   ok    200  ok   404  403  403  403  403
fund:application_create         L    403  403   403  ok   200  403  403  403  403
fund:application_edit           L    403  403   403  ok   404  403  403  403  403
fund:application_submit         L    403  403   403  ok   404  403  403  403  403
fund:application_withdraw       L    403  403   403  ok   404  403  403  403  403
"""

EXPECTED_POST = parse_table(POST_TABLE, POST_ROLES)


def budget(*lines: tuple[str, str], total: int = 5) -> dict:
    data = {
        "budget-TOTAL_FORMS": str(total),
        "budget-INITIAL_FORMS": "0",
        "budget-MIN_NUM_FORMS": "0",
        "budget-MAX_NUM_FORMS": "50",
    }
    for i, (description, amount) in enumerate(lines):
        data[f"budget-{i}-description"] = description
        data[f"budget-{i}-amount"] = amount
    return data


def application_fields(title: str = "Zonnedak dorpshuis, tweede fase") -> dict:
    return {
        "title": title,
        "purpose": "Nog 20 panelen erbij.",
        "amount_requested": "2500.00",
        "term_months": "",
        "households_reached": "20",
        "kwh_per_year": "18000",
        "volunteers": "4",
        "co2_tonnes_per_year": "6.0",
        "sdgs": ["7", "13"],
    }


def register_fields() -> dict:
    fields = collective_fields("Energie Eerbeek", "45678901", "NL02ABNA0123456789", "Eerbeek")
    fields["sdgs"] = [str(n) for n in fields["sdgs"]]
    return fields


def edit_fields(world: World) -> dict:
    fields = collective_fields(
        world.collective_x.name, world.collective_x.kvk_number, world.collective_x.iban
    )
    fields["members_count"] = 150
    fields["sdgs"] = [str(n) for n in fields["sdgs"]]
    return fields


POST_ACTIONS = {
    "fund:commitment_create": lambda w: {
        "investor": w.investor.pk,
        "compartment": w.fund_a.compartments.get(kind=CompartmentKind.GRANT).pk,
        "amount": "1000.00",
        "date": DAY.isoformat(),
        "reference": "extra",
        "once": str(uuid.uuid4()),
    },
    "fund:contribution_create": lambda w: {
        "amount": "100.00",
        "date": DAY.isoformat(),
        "once": str(uuid.uuid4()),
    },
    "fund:investor_create": lambda w: {
        "code": "INV-NEW",
        "name": "Gemeente Zutphen",
        "kind": "municipality",
    },
    "fund:collective_verify": lambda w: {},
    "fund:application_start_review": lambda w: {},
    "fund:application_assess": lambda w: {
        "proposal": "approve",
        "assessment": "Goed plan.",
        "amount": "1800.00",
        "conditions": "",
    },
    "fund:application_decide": lambda w: {
        "decision": "approve",
        "reason": "Akkoord.",
        "amount": "2000.00",
        "conditions": "",
    },
    "fund:grant_award": lambda w: {"date": DAY.isoformat()},
    "fund:grant_pay": lambda w: {
        "amount": "1000.00",
        "date": DAY.isoformat(),
        "description": "2",
        "once": str(uuid.uuid4()),
    },
    "fund:grant_payment_decide": lambda w: {"decision": "approve", "reason": "Akkoord."},
    "fund:grant_settle": lambda w: {"returned": "0.00", "date": DAY.isoformat()},
    "fund:collective_register": lambda w: register_fields(),
    "fund:collective_edit": edit_fields,
    # Collective X: the member of Y may not apply on its behalf (not among the form's choices).
    "fund:application_create": lambda w: {
        "collective": w.collective_x.pk,
        "fund": w.fund_a.pk,
        "kind": "grant",
        "once": str(uuid.uuid4()),
        **application_fields(),
        **budget(("Panelen", "2500.00")),
    },
    "fund:application_edit": lambda w: {
        **application_fields("Zonnedak dorpshuis (gewijzigd)"),
        **budget(("Panelen", "2500.00")),
    },
    "fund:application_submit": lambda w: {},
    "fund:application_withdraw": lambda w: {"confirm": "on"},
}

WATCHED = (
    AuditEvent,
    JournalEntry,
    JournalLine,
    Balance,
    Investor,
    Commitment,
    Contribution,
    Collective,
    Application,
    BudgetLine,
    Attachment,
    Grant,
    GrantPayment,
)


def db_snapshot() -> dict:
    """Every row a fund action may write or change (the world is small)."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in WATCHED}


def test_post_table_covers_every_write_action():
    assert set(EXPECTED_POST) == set(POST_ACTIONS)
    assert set(EXPECTED_POST) <= set(route_names())


@pytest.mark.parametrize("action", list(POST_ACTIONS))
def test_write_actions_refuse_the_wrong_roles_and_change_nothing(client, world, action):
    url = url_for(action, world)
    data = POST_ACTIONS[action](world)
    wrong = []
    for role in POST_ROLES:
        expected = EXPECTED_POST[action][role]
        login_as(client, world, role)
        before = db_snapshot()
        counts = (AuditEvent.objects.count(), JournalEntry.objects.count())
        savepoint = transaction.savepoint()
        try:
            response = client.post(url, data)
            changed = db_snapshot() != before
            got = outcome(response)
            if got == "R" and changed:
                got = "ok"
        finally:
            transaction.savepoint_rollback(savepoint)
        if expected != "ok" and changed:
            wrong.append(f"{role}: {got} and the database changed")
        elif got != expected:
            wrong.append(f"{role}: expected {expected}, got {got} (changed: {changed})")
        if expected != "ok":
            assert (AuditEvent.objects.count(), JournalEntry.objects.count()) == counts
    assert wrong == [], f"{action} {url}:\n" + "\n".join(wrong)


def test_manager_of_fund_b_cannot_decide_on_fund_a(client, world):
    client.force_login(world.manager_b)
    url = reverse("fund:application_decide", kwargs={"number": world.assessed.number})
    events = AuditEvent.objects.count()
    response = client.post(url, {"decision": "approve", "reason": "Akkoord.", "amount": "2000"})
    assert response.status_code == 404
    world.assessed.refresh_from_db()
    assert world.assessed.state == "in_review"
    assert world.assessed.decided_by is None
    assert AuditEvent.objects.count() == events


def test_an_auditor_who_manages_the_fund_still_changes_nothing(client, world):
    client.force_login(world.manager_auditor)
    page = client.get(reverse("fund:fund_detail", kwargs={"slug": world.fund_a.slug}))
    assert page.status_code == 200
    assert reverse("fund:commitment_create", kwargs={"slug": world.fund_a.slug}) not in (
        page.content.decode()
    )
    response = client.post(
        reverse("fund:grant_pay", kwargs={"number": world.grant.number}),
        {"amount": "1.00", "date": DAY.isoformat()},
    )
    assert response.status_code == 403
    world.grant.refresh_from_db()
    assert world.grant.paid.amount == Decimal("2500.00")


def test_a_member_sees_neither_the_assessment_nor_the_ledger_lines(client, world):
    """Managers and auditors read the assessment and the bookings; the collective does not."""
    assessed = reverse("fund:application_detail", kwargs={"number": world.assessed.number})
    grant = reverse("fund:grant_detail", kwargs={"number": world.grant.number})

    client.force_login(world.manager_a)
    assert "Past binnen het reglement" in page_text(client.get(assessed).content)
    assert "Boekingen" in page_text(client.get(grant).content)

    client.force_login(world.member_x)
    text = page_text(client.get(assessed).content)
    assert "Past binnen het reglement" not in text
    assert "Beoordeling en voorstel" not in text
    text = page_text(client.get(grant).content)
    assert "Boekingen" not in text
    assert "2000 Subsidies te betalen" not in text


def test_an_investor_sees_only_their_own_investor(client, world):
    other = services.investor_create(
        code="INV-BNG", name="BNG Bank", kind="bank", created_by=world.manager_a
    )
    client.force_login(world.investor_user)
    own = client.get(reverse("fund:investor_detail", kwargs={"pk": world.investor.pk}))
    assert own.status_code == 200
    assert client.get(reverse("fund:investor_detail", kwargs={"pk": other.pk})).status_code == 404
    assert other.name not in page_text(client.get(reverse("fund:investor_list")).content)


def test_objects_of_another_fund_or_application_do_not_fit_in_the_url(client, world):
    """An object of fund B (or of collective Y) under a URL of fund A (or collective X)."""
    entry_b = JournalEntry.objects.filter(book=world.fund_b.book).first()
    client.force_login(world.manager_a)
    url = reverse("reports:entry_detail", kwargs={"slug": world.fund_a.book.slug, "pk": entry_b.pk})
    assert client.get(url).status_code == 404

    application_y = services.application_create(
        fund=world.fund_b,
        collective=world.collective_y,
        kind="grant",
        title="Windmolen",
        purpose="Een kleine windmolen.",
        amount_requested=Decimal("900.00"),
        created_by=world.member_y,
    )
    attachment_y = services.attachment_add(
        application=application_y,
        file=SimpleUploadedFile("statuten.txt", b"Statuten\n"),
        uploaded_by=world.member_y,
    )
    client.force_login(world.member_x)
    url = reverse(
        "fund:attachment_download", kwargs={"number": world.draft.number, "pk": attachment_y.pk}
    )
    assert client.get(url).status_code == 404
    client.force_login(world.member_y)
    own = reverse(
        "fund:attachment_download", kwargs={"number": application_y.number, "pk": attachment_y.pk}
    )
    assert client.get(own).status_code == 200
