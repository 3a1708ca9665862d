"""A small world for the web tests, built through the fund services (no factories).

Two funds with their own managers, two verified collectives with one contact each, an
investor with capital in fund A, an auditor and a user without a role. Fund A has one
application in each step the pages act on (draft with an attachment, submitted, assessed,
approved, granted and partly paid), all of collective X, so that object-level scope can be
checked: the member of Y and the manager of fund B must not reach them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from lxml import html as lxml_html

from fund import services
from fund.models import (
    Application,
    ApplicationKind,
    Attachment,
    Collective,
    Commitment,
    CompartmentKind,
    Contribution,
    Fund,
    Grant,
    Investor,
    Proposal,
)
from fund.permissions import AUDITORS_GROUP
from ledger.models import JournalEntry

PASSWORD = "Zonnedak-Zutphen-2026"
DAY = date(2026, 11, 28)
CAPITAL = Decimal("50000.00")


@pytest.fixture(autouse=True)
def _web_settings(settings, tmp_path):
    """Fast password hashing for the logins, uploads into the test's own folder, and Dutch
    in the test's thread (the test client leaves the last request's language active)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def make_user(username: str, first_name: str = "", last_name: str = "", *, auditor=False):
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.org",
        first_name=first_name,
        last_name=last_name,
    )
    if auditor:
        group, _ = Group.objects.get_or_create(name=AUDITORS_GROUP)
        user.groups.add(group)
    return user


def collective_fields(name: str, kvk: str, iban: str, city: str = "Zutphen") -> dict:
    """What a collective registers with (all of fund.services.COLLECTIVE_FIELDS)."""
    return {
        "name": name,
        "kind": "energy",
        "legal_form": "cooperatie",
        "kvk_number": kvk,
        "iban": iban,
        "street": "Kerkstraat 1",
        "postcode": "7201 AB",
        "city": city,
        "municipality": city,
        "members_count": 120,
        "sdgs": [7, 13],
        "email": f"info@{name.lower().replace(' ', '-')}.example.org",
    }


def capital_in(fund: Fund, investor: Investor, manager, amount=CAPITAL, committed=None):
    """``committed`` (default ``amount``) promised to the fund's grant compartment, of
    which ``amount`` is paid in."""
    commitment = services.commitment_create(
        investor=investor,
        compartment=fund.compartments.get(kind=CompartmentKind.GRANT),
        amount=committed or amount,
        date=DAY,
        reference=f"{fund.slug}-1",
        created_by=manager,
    )
    contribution = services.contribution_record(
        commitment=commitment, amount=amount, date=DAY, created_by=manager
    )
    return commitment, contribution


def draft_application(
    *, fund: Fund, collective: Collective, member, title: str, amount: str
) -> Application:
    return services.application_create(
        fund=fund,
        collective=collective,
        kind=ApplicationKind.GRANT,
        title=title,
        purpose="Zonnepanelen op het dak van het dorpshuis, voor 40 huishoudens.",
        amount_requested=Decimal(amount),
        created_by=member,
        budget_lines=[("Zonnepanelen", Decimal(amount))],
        sdgs=[7],
        households_reached=40,
        kwh_per_year=36000,
        volunteers=6,
        co2_tonnes_per_year=Decimal("12.5"),
    )


def walk(application: Application, *, to: str, member, assessor, decider) -> Application:
    """Take a draft through the steps up to ``to`` (submitted, assessed, approved)."""
    steps = ["submitted", "in_review", "assessed", "approved"]
    application = services.application_submit(application=application, submitted_by=member)
    if steps.index(to) >= 1:
        application = services.application_start_review(application=application, assessor=assessor)
    if steps.index(to) >= 2:
        application = services.application_assess(
            application=application,
            assessor=assessor,
            proposal=Proposal.APPROVE,
            assessment="Past binnen het reglement; begroting is reëel.",
            amount=application.amount_requested,
            conditions="Eindverslag binnen een jaar.",
        )
    if steps.index(to) >= 3:
        application = services.application_decide(
            application=application,
            decided_by=decider,
            approve=True,
            reason="Eens met de beoordeling.",
        )
    return application


@dataclass
class World:
    manager_a: object
    manager_a2: object
    manager_b: object
    member_x: object
    member_y: object
    investor_user: object
    auditor: object
    no_role: object
    manager_auditor: object
    fund_a: Fund
    fund_b: Fund
    investor: Investor
    commitment: Commitment
    contribution: Contribution
    collective_x: Collective
    collective_y: Collective
    unverified: Collective
    draft: Application
    attachment: Attachment
    submitted: Application
    assessed: Application
    approved: Application
    grant: Grant

    @property
    def entry(self) -> JournalEntry:
        return self.contribution.entry

    def user(self, role: str):
        """The user of a role in the permission matrix (None for anonymous)."""
        return None if role == "anonymous" else getattr(self, role)


def build_world() -> World:
    manager_a = make_user("anneke", "Anneke", "de Vries")
    manager_a2 = make_user("bram", "Bram", "Jansen")
    manager_b = make_user("carla", "Carla", "Bakker")
    member_x = make_user("daan", "Daan", "Visser")
    member_y = make_user("eva", "Eva", "Smit")
    investor_user = make_user("frits", "Frits", "Mulder")
    auditor = make_user("greet", "Greet", "de Boer", auditor=True)
    no_role = make_user("henk", "Henk", "Bos")
    manager_auditor = make_user("ineke", "Ineke", "Kok", auditor=True)

    fund_a = services.fund_create(
        slug="fonds-a",
        name="Energiefonds Achterhoek",
        managers=[manager_a, manager_a2, manager_auditor],
        created_by=manager_a,
    )
    fund_b = services.fund_create(
        slug="fonds-b", name="Dorpsfonds Betuwe", managers=[manager_b], created_by=manager_b
    )
    investor = services.investor_create(
        code="INV-GLD", name="Provincie Gelderland", kind="province", created_by=manager_a
    )
    investor.users.add(investor_user)
    # 10.000 of the commitment is still open, so that a contribution can be recorded.
    commitment, contribution = capital_in(
        fund_a, investor, manager_a, committed=CAPITAL + Decimal("10000.00")
    )
    capital_in(fund_b, investor, manager_b)

    collective_x = services.collective_register(
        registered_by=member_x,
        member=member_x,
        **collective_fields("Zon op Zutphen", "12345678", "NL91ABNA0417164300"),
    )
    collective_y = services.collective_register(
        registered_by=member_y,
        member=member_y,
        **collective_fields("Wind van Wijchen", "23456789", "NL20INGB0001234567", "Wijchen"),
    )
    unverified = services.collective_register(
        registered_by=member_x,
        member=member_x,
        **collective_fields("Buurtwarmte Brummen", "34567890", "NL39RABO0300065264", "Brummen"),
    )
    for collective in (collective_x, collective_y):
        services.collective_verify(collective=collective, verified_by=manager_a)

    def draft(title, amount):
        return draft_application(
            fund=fund_a, collective=collective_x, member=member_x, title=title, amount=amount
        )

    people = {"member": member_x, "assessor": manager_a, "decider": manager_a2}
    draft_app = draft("Zonnedak dorpshuis", "4000.00")
    attachment = services.attachment_add(
        application=draft_app,
        file=SimpleUploadedFile("begroting.txt", b"Zonnepanelen 4000\n"),
        uploaded_by=member_x,
    )
    submitted = walk(draft("Buurtbatterij", "3000.00"), to="submitted", **people)
    assessed = walk(draft("Laadpalen", "2000.00"), to="assessed", **people)
    approved = walk(draft("Isolatie school", "1500.00"), to="approved", **people)
    granted = walk(draft("Warmtepomp kerk", "6000.00"), to="approved", **people)
    grant = services.grant_award(application=granted, awarded_by=manager_a, date=DAY)
    services.grant_payment_decide(
        payment=services.grant_payment_propose(
            grant=grant,
            amount=Decimal("2500.00"),
            date=DAY,
            proposed_by=manager_a,
            description="Eerste tranche",
        ),
        decided_by=manager_a2,
        approve=True,
    )
    grant.refresh_from_db()

    return World(
        manager_a=manager_a,
        manager_a2=manager_a2,
        manager_b=manager_b,
        member_x=member_x,
        member_y=member_y,
        investor_user=investor_user,
        auditor=auditor,
        no_role=no_role,
        manager_auditor=manager_auditor,
        fund_a=fund_a,
        fund_b=fund_b,
        investor=investor,
        commitment=commitment,
        contribution=contribution,
        collective_x=collective_x,
        collective_y=collective_y,
        unverified=unverified,
        draft=draft_app,
        attachment=attachment,
        submitted=submitted,
        assessed=assessed,
        approved=approved,
        grant=grant,
    )


@pytest.fixture
def world(db) -> World:
    return build_world()


# --- reading pages -----------------------------------------------------------------------


def page_text(content: bytes | str) -> str:
    """The visible text of a page, one space between elements, whitespace (also the
    no-break space in ``€ 1.234,56``) collapsed."""
    if isinstance(content, bytes):
        content = content.decode()
    tree = lxml_html.fromstring(content)
    for node in tree.xpath("//script|//style|//head"):
        node.drop_tree()
    return re.sub(r"\s+", " ", " ".join(tree.itertext()).replace("\xa0", " ")).strip()


def fund_position(content: bytes | str, kind: str = CompartmentKind.GRANT) -> dict[str, str]:
    """The figures of one compartment on the fund page, label -> text (``€ 1.234,56``)."""
    if isinstance(content, bytes):
        content = content.decode()
    tree = lxml_html.fromstring(content)
    section = tree.xpath(f'//section[@aria-labelledby="compartment-{kind}"]')
    assert section, f"no compartment {kind} on the fund page"
    figures = {}
    for stat in section[0].xpath('.//div[@class="stat"]'):
        label = stat.xpath('string(.//span[@class="label"])').strip()
        value = stat.xpath('string(.//span[@class="value"])').replace("\xa0", " ").strip()
        figures[label] = value
    return figures


def dashboard_positions(content: bytes | str, fund_name: str) -> list[list[str]]:
    """The rows of a fund's position table on the manager dashboard (cells as text)."""
    if isinstance(content, bytes):
        content = content.decode()
    tree = lxml_html.fromstring(content)
    cards = [
        card
        for card in tree.xpath('//section[@aria-labelledby="manager-title"]//div[@class="card"]')
        if card.xpath("string(.//h3)").strip() == fund_name
    ]
    assert cards, f"no card for {fund_name} on the dashboard"
    return [
        [cell.text_content().replace("\xa0", " ").strip() for cell in row.xpath("./th|./td")]
        for row in cards[0].xpath(".//table/tbody/tr")
    ]
