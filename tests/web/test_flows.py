"""A grant from registration to settlement, through the pages (django.test.Client).

A citizen registers their energy cooperative, a fund manager verifies it, the citizen
applies for € 1.234,56 and submits, manager 1 assesses, is refused the decision by four
eyes, manager 2 approves, the grant is awarded, paid in part and settled with a small
repayment. The pool figures on the fund page and the dashboard are read at every step, and
the books must check out at every step.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fund import services
from fund.models import Application, Collective, CompartmentKind, Grant
from ledger.checks import check_book
from ledger.models import AuditEvent, JournalEntry

from .conftest import DAY, capital_in, dashboard_positions, fund_position, make_user, page_text

GRANT_ROW = "Subsidie (niet-revolverend)"


@pytest.fixture
def pool(db):
    """Fund A with two managers and € 25.000,00 paid into its grant compartment."""
    first = make_user("anneke", "Anneke", "de Vries")
    second = make_user("bram", "Bram", "Jansen")
    fund = services.fund_create(
        slug="fonds-a", name="Energiefonds Achterhoek", managers=[first, second], created_by=first
    )
    investor = services.investor_create(
        code="INV-GLD", name="Provincie Gelderland", kind="province", created_by=first
    )
    capital_in(fund, investor, first, amount=Decimal("25000.00"))
    return fund, first, second


def figures(client, fund) -> dict[str, str]:
    response = client.get(reverse("fund:fund_detail", kwargs={"slug": fund.slug}))
    assert response.status_code == 200
    return fund_position(response.content)


def dashboard_row(client, fund) -> list[str]:
    response = client.get(reverse("reports:dashboard"))
    assert response.status_code == 200
    rows = dashboard_positions(response.content, fund.name)
    return next(row for row in rows if row[0] == GRANT_ROW)


def assert_books_ok(fund) -> None:
    report = check_book(fund.book)
    assert report.ok, report.differences


def follow_messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def register_data() -> dict:
    return {
        "name": "Zon op Zutphen",
        "kind": "energy",
        "legal_form": "cooperatie",
        "kvk_number": "12345678",
        "iban": "nl91 abna 0417 1643 00",
        "street": "Kerkstraat 1",
        "postcode": "7201 AB",
        "city": "Zutphen",
        "municipality": "Zutphen",
        "members_count": "120",
        "email": "info@zonopzutphen.example.org",
        "sdgs": ["7", "13"],
    }


def application_data(collective: Collective, fund) -> dict:
    return {
        "once": str(uuid.uuid4()),
        "collective": str(collective.pk),
        "fund": str(fund.pk),
        "kind": "grant",
        "title": "Zonnedak dorpshuis",
        "purpose": "Zonnepanelen op het dak van het dorpshuis, voor 40 huishoudens.",
        "amount_requested": "1234.56",
        "term_months": "",
        "households_reached": "40",
        "kwh_per_year": "36000",
        "volunteers": "6",
        "co2_tonnes_per_year": "12.5",
        "sdgs": ["7", "11"],
        "files": SimpleUploadedFile("offerte.txt", b"Offerte: 12 panelen\n", "text/plain"),
        "budget-TOTAL_FORMS": "5",
        "budget-INITIAL_FORMS": "0",
        "budget-MIN_NUM_FORMS": "0",
        "budget-MAX_NUM_FORMS": "50",
        "budget-0-description": "Zonnepanelen",
        "budget-0-amount": "1000.00",
        "budget-1-description": "Montage",
        "budget-1-amount": "234.56",
    }


def test_a_grant_from_registration_to_settlement(client, pool):
    fund, manager_1, manager_2 = pool
    citizen = make_user("daan", "Daan", "Visser")
    detail = reverse("fund:fund_detail", kwargs={"slug": fund.slug})

    client.force_login(manager_1)
    assert figures(client, fund) == {
        "Banksaldo": "€ 25.000,00",
        "Te betalen (toegekend)": "€ 0,00",
        "Gereserveerd (goedgekeurd)": "€ 0,00",
        "Beschikbaar": "€ 25.000,00",
        "Gestort kapitaal": "€ 25.000,00",
    }
    assert dashboard_row(client, fund) == [
        GRANT_ROW,
        "€ 25.000,00",
        "€ 0,00",
        "€ 0,00",
        "€ 25.000,00",
        "€ 25.000,00",
    ]

    # A citizen without a role registers their cooperative and becomes its contact.
    client.force_login(citizen)
    response = client.post(reverse("fund:collective_register"), register_data(), follow=True)
    collective = Collective.objects.get(kvk_number="12345678")
    assert response.redirect_chain[-1][0] == reverse(
        "fund:collective_detail", kwargs={"code": collective.code}
    )
    assert "Niet geverifieerd" in page_text(response.content)
    assert list(collective.members.all()) == [citizen]
    assert collective.iban == "NL91ABNA0417164300"
    assert collective.sdgs == [7, 13]
    assert not collective.is_verified

    # A manager verifies it.
    client.force_login(manager_1)
    response = client.post(
        reverse("fund:collective_verify", kwargs={"code": collective.code}), follow=True
    )
    assert f"{collective.name} is geverifieerd." in follow_messages(response)
    collective.refresh_from_db()
    assert collective.verified_by == manager_1

    # The citizen applies (budget and attachment included) and submits.
    client.force_login(citizen)
    assert client.get(reverse("fund:application_create")).status_code == 200
    response = client.post(reverse("fund:application_create"), application_data(collective, fund))
    application = Application.objects.get(collective=collective)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "fund:application_detail", kwargs={"number": application.number}
    )
    assert application.state == "draft"
    assert application.amount_requested.amount == Decimal("1234.56")
    assert application.sdgs == [7, 11]
    assert application.co2_tonnes_per_year == Decimal("12.5")
    assert [(b.description, b.amount.amount) for b in application.budget_lines.all()] == [
        ("Zonnepanelen", Decimal("1000.00")),
        ("Montage", Decimal("234.56")),
    ]
    assert application.attachments.count() == 1
    application_url = reverse("fund:application_detail", kwargs={"number": application.number})
    text = page_text(client.get(application_url).content)
    assert "Gevraagd bedrag € 1.234,56" in text
    assert "Totaal € 1.234,56" in text

    response = client.post(
        reverse("fund:application_submit", kwargs={"number": application.number}), follow=True
    )
    assert f"Aanvraag {application.number} is ingediend." in follow_messages(response)
    application.refresh_from_db()
    assert application.state == "submitted"

    # Manager 1 takes it on and assesses it.
    client.force_login(manager_1)
    number = {"number": application.number}
    assert client.post(reverse("fund:application_start_review", kwargs=number)).status_code == 302
    response = client.post(
        reverse("fund:application_assess", kwargs=number),
        {
            "proposal": "approve",
            "assessment": "Past binnen het reglement; begroting is reëel.",
            "amount": "1234.56",
            "conditions": "Eindverslag binnen een jaar.",
        },
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.state, application.assessor) == ("in_review", manager_1)
    assert application.proposed_amount.amount == Decimal("1234.56")

    # ... and may not decide on it: the form again, with the four-eyes reason.
    events = AuditEvent.objects.count()
    response = client.post(
        reverse("fund:application_decide", kwargs=number),
        {"decision": "approve", "reason": "Akkoord.", "amount": "1234.56"},
    )
    assert response.status_code == 200
    text = page_text(response.content)
    assert "Vier ogen: wie de aanvraag beoordeelde, mag er niet zelf over besluiten." in text
    application.refresh_from_db()
    assert application.state == "in_review"
    assert application.decided_by is None
    assert AuditEvent.objects.count() == events
    assert figures(client, fund)["Gereserveerd (goedgekeurd)"] == "€ 0,00"

    # Manager 2 approves: the amount is reserved in the grant compartment.
    client.force_login(manager_2)
    response = client.post(
        reverse("fund:application_decide", kwargs=number),
        {"decision": "approve", "reason": "Eens met de beoordeling.", "amount": "1234.56"},
        follow=True,
    )
    assert f"Aanvraag {application.number} is goedgekeurd." in follow_messages(response)
    application.refresh_from_db()
    assert (application.state, application.decided_by) == ("approved", manager_2)
    assert figures(client, fund) == {
        "Banksaldo": "€ 25.000,00",
        "Te betalen (toegekend)": "€ 0,00",
        "Gereserveerd (goedgekeurd)": "€ 1.234,56",
        "Beschikbaar": "€ 23.765,44",
        "Gestort kapitaal": "€ 25.000,00",
    }
    assert dashboard_row(client, fund)[3:5] == ["€ 1.234,56", "€ 23.765,44"]
    assert_books_ok(fund)

    # Award: the reservation becomes a payable (Dr 5000 / Cr 2000).
    entries = JournalEntry.objects.filter(book=fund.book).count()
    response = client.post(
        reverse("fund:grant_award", kwargs=number), {"date": DAY.isoformat()}, follow=True
    )
    grant = Grant.objects.get(application=application)
    assert response.redirect_chain[-1][0] == reverse(
        "fund:grant_detail", kwargs={"number": grant.number}
    )
    assert JournalEntry.objects.filter(book=fund.book).count() == entries + 1
    text = page_text(response.content)
    assert "Toegekend € 1.234,56 op 28-11-2026" in text
    assert "Nog te betalen € 1.234,56" in text
    assert figures(client, fund) == {
        "Banksaldo": "€ 25.000,00",
        "Te betalen (toegekend)": "€ 1.234,56",
        "Gereserveerd (goedgekeurd)": "€ 0,00",
        "Beschikbaar": "€ 23.765,44",
        "Gestort kapitaal": "€ 25.000,00",
    }
    assert_books_ok(fund)

    # A first tranche is paid (Dr 2000 / Cr 1010).
    grant_number = {"number": grant.number}
    response = client.post(
        reverse("fund:grant_pay", kwargs=grant_number),
        {
            "amount": "1000.00",
            "date": DAY.isoformat(),
            "description": "Eerste tranche",
            "once": str(uuid.uuid4()),
        },
        follow=True,
    )
    text = page_text(response.content)
    assert f"Betaling van € 1.000,00 op subsidie {grant.number} voorgesteld" in text
    assert "wacht op tweede fondsbeheerder" in text
    payment = grant.payments.get()
    assert payment.entry_id is None  # four eyes: nothing is booked yet

    # The other manager approves; only then is it booked.
    client.force_login(manager_1)
    response = client.post(
        reverse("fund:grant_payment_decide", kwargs={**grant_number, "pk": payment.pk}),
        {"decision": "approve", "reason": ""},
        follow=True,
    )
    text = page_text(response.content)
    assert follow_messages(response) == (
        f"Betaling van €\xa01.000,00 op subsidie {grant.number} goedgekeurd en geboekt."
    )
    assert "28-11-2026 Eerste tranche" in text
    assert "Nog te betalen € 234,56" in text
    assert figures(client, fund) == {
        "Banksaldo": "€ 24.000,00",
        "Te betalen (toegekend)": "€ 234,56",
        "Gereserveerd (goedgekeurd)": "€ 0,00",
        "Beschikbaar": "€ 23.765,44",
        "Gestort kapitaal": "€ 25.000,00",
    }
    assert dashboard_row(client, fund)[1:5] == [
        "€ 24.000,00",
        "€ 234,56",
        "€ 0,00",
        "€ 23.765,44",
    ]
    assert_books_ok(fund)

    # Settled: the unpaid € 234,56 falls free and the collective returns € 34,56.
    response = client.post(
        reverse("fund:grant_settle", kwargs=grant_number),
        {"returned": "34.56", "date": DAY.isoformat()},
        follow=True,
    )
    assert f"Subsidie {grant.number} is afgerekend." in follow_messages(response)
    text = page_text(response.content)
    assert "Afgerekend 28-11-2026 Vrijgevallen € 234,56 Terugbetaald € 34,56" in text
    grant.refresh_from_db()
    assert grant.state == "settled"
    assert figures(client, fund) == {
        "Banksaldo": "€ 24.034,56",
        "Te betalen (toegekend)": "€ 0,00",
        "Gereserveerd (goedgekeurd)": "€ 0,00",
        "Beschikbaar": "€ 24.034,56",
        "Gestort kapitaal": "€ 25.000,00",
    }
    assert_books_ok(fund)

    # The citizen sees their grant, without the ledger lines.
    client.force_login(citizen)
    response = client.get(reverse("fund:grant_detail", kwargs=grant_number))
    assert response.status_code == 200
    assert response.context["lines"] is None
    assert client.get(detail).status_code == 403


def switch_language(client, language: str, next_url: str):
    """The language form in the page header: the language and the page to come back to."""
    response = client.post(
        reverse("set_language"), {"language": language, "next": next_url}, follow=True
    )
    assert response.status_code == 200
    return response


def test_english_switch_formats_numbers_the_english_way(client, pool):
    fund, manager_1, _ = pool
    client.force_login(manager_1)
    detail = reverse("fund:fund_detail", kwargs={"slug": fund.slug})
    assert figures(client, fund)["Beschikbaar"] == "€ 25.000,00"
    dutch = page_text(client.get(detail).content)
    assert "Provincie Gelderland Subsidie (niet-revolverend) 28-11-2026" in dutch
    assert "€ 25.000,00 € 25.000,00 € 0,00" in dutch

    response = switch_language(client, "en", detail)
    assert response.redirect_chain[-1][0].endswith(detail)
    content = response.content.decode()
    assert '<html lang="en">' in content
    assert set(fund_position(content).values()) == {"€ 25,000.00", "€ 0.00"}
    # The capital table renders live; dates stay day-month-year in English too.
    english = page_text(content)
    assert "28-11-2026" in english
    assert "€ 25,000.00 € 25,000.00 € 0.00" in english
    # The choice holds for the next pages.
    dashboard = client.get(reverse("reports:dashboard")).content
    assert (dashboard_positions(dashboard, fund.name)[0][:5]) == [
        "Grant (non-revolving)",
        "€ 25,000.00",
        "€ 0.00",
        "€ 0.00",
        "€ 25,000.00",
    ]


def test_switching_back_to_dutch_gives_dutch_pages_again(client, pool):
    """Back from English with the same form, ``next`` being the page the user is on."""
    fund, manager_1, _ = pool
    client.force_login(manager_1)
    detail = reverse("fund:fund_detail", kwargs={"slug": fund.slug})
    english = switch_language(client, "en", detail)
    assert '<html lang="en">' in english.content.decode()

    response = switch_language(client, "nl", english.request["PATH_INFO"])
    assert '<html lang="nl">' in response.content.decode()
    assert fund_position(response.content)["Beschikbaar"] == "€ 25.000,00"


def test_a_refused_service_call_shows_its_reason_next_to_the_form(client, pool):
    """Paying more than the grant compartment holds: the page again, nothing booked."""
    fund, manager_1, manager_2 = pool
    member = make_user("daan")
    collective = services.collective_register(
        registered_by=member,
        member=member,
        name="Zon op Zutphen",
        kind="energy",
        legal_form="cooperatie",
        kvk_number="12345678",
        iban="NL91ABNA0417164300",
        city="Zutphen",
        municipality="Zutphen",
    )
    services.collective_verify(collective=collective, verified_by=manager_1)
    application = services.application_create(
        fund=fund,
        collective=collective,
        kind="grant",
        title="Groot plan",
        purpose="Veel panelen.",
        amount_requested=Decimal("30000.00"),
        created_by=member,
    )
    services.application_submit(application=application, submitted_by=member)
    services.application_start_review(application=application, assessor=manager_1)
    services.application_assess(
        application=application,
        assessor=manager_1,
        proposal="approve",
        assessment="Te groot voor de pot.",
        amount=Decimal("30000.00"),
    )
    client.force_login(manager_2)
    events = AuditEvent.objects.count()
    response = client.post(
        reverse("fund:application_decide", kwargs={"number": application.number}),
        {"decision": "approve", "reason": "Akkoord."},
    )
    assert response.status_code == 200
    assert "Het compartiment kan € 30.000,00 niet dragen: beschikbaar is € 25.000,00." in page_text(
        response.content
    )
    application.refresh_from_db()
    assert application.state == "in_review"
    assert AuditEvent.objects.count() == events
    assert fund.compartments.get(kind=CompartmentKind.GRANT)
    assert figures(client, fund)["Beschikbaar"] == "€ 25.000,00"


def test_a_member_changing_the_iban_waits_for_a_second_pair_of_eyes(client, pool):
    fund, manager_1, manager_2 = pool
    member = make_user("daan")
    collective = services.collective_register(
        registered_by=member,
        member=member,
        **{k: v for k, v in register_data().items() if k != "sdgs"},
    )
    services.collective_verify(collective=collective, verified_by=manager_1)
    old_iban = collective.iban
    client.force_login(member)
    data = {**register_data(), "iban": "NL20 INGB 0001 2345 67"}
    response = client.post(
        reverse("fund:collective_edit", kwargs={"code": collective.code}), data, follow=True
    )
    assert "De wijziging van IBAN is voorgesteld" in follow_messages(response)
    collective.refresh_from_db()
    assert collective.iban == old_iban and collective.is_verified
    assert "wacht op goedkeuring" in page_text(response.content)
    # A manager approves on the collective's page; the new IBAN applies.
    client.force_login(manager_2)
    detail = reverse("fund:collective_detail", kwargs={"code": collective.code})
    assert "Goedkeuren" in page_text(client.get(detail).content)
    change = collective.identity_changes.get()
    client.post(
        reverse("fund:collective_change_decide", kwargs={"code": collective.code, "pk": change.pk}),
        {"decision": "approve"},
    )
    collective.refresh_from_db()
    assert collective.iban == "NL20INGB0001234567" and collective.is_verified


def test_the_fund_page_names_every_activity_in_words(client, pool):
    """The activity list on the fund page shows a label per audit action; an action without
    one shows its code (``book.create``, written by ledger.services.book_create)."""
    fund, manager_1, _ = pool
    client.force_login(manager_1)
    response = client.get(reverse("fund:fund_detail", kwargs={"slug": fund.slug}))
    labels = [item["label"] for item in response.context["activity"]]
    assert len(labels) == 6  # book, two managers made, fund, commitment, contribution
    codes = [str(label) for label in labels if re.fullmatch(r"[a-z_]+\.[a-z_]+", str(label))]
    assert codes == []


def test_submitting_before_verification_is_refused_with_the_reason(client, pool):
    """A button without a form: the refusal comes back as a message on the page."""
    fund, _, _ = pool
    member = make_user("daan")
    fields = {k: v for k, v in register_data().items() if k != "sdgs"}
    collective = services.collective_register(registered_by=member, member=member, **fields)
    application = services.application_create(
        fund=fund,
        collective=collective,
        kind="grant",
        title="Zonnedak dorpshuis",
        purpose="Panelen.",
        amount_requested=Decimal("1234.56"),
        created_by=member,
    )
    client.force_login(member)
    number = {"number": application.number}
    page = page_text(client.get(reverse("fund:application_detail", kwargs=number)).content)
    assert "Indienen kan pas als een fondsbeheerder het collectief heeft geverifieerd." in page
    events = AuditEvent.objects.count()
    response = client.post(reverse("fund:application_submit", kwargs=number), follow=True)
    assert response.redirect_chain[-1][0] == reverse("fund:application_detail", kwargs=number)
    assert "Zon op Zutphen is nog niet geverifieerd door een fondsbeheerder" in (
        follow_messages(response)
    )
    application.refresh_from_db()
    assert application.state == "draft"
    assert AuditEvent.objects.count() == events


def test_a_proposed_change_of_a_collective_is_on_the_other_managers_dashboard(client, pool):
    fund, manager_1, manager_2 = pool
    member = make_user("daan")
    collective = services.collective_register(
        registered_by=member,
        member=member,
        **{k: v for k, v in register_data().items() if k != "sdgs"},
    )
    services.collective_verify(collective=collective, verified_by=manager_1)
    services.application_create(
        fund=fund,
        collective=collective,
        kind="grant",
        title="Zonnedak",
        purpose="Panelen.",
        amount_requested="1000.00",
        created_by=member,
    )
    services.collective_update(
        collective=collective, changed_by=manager_1, iban="NL20INGB0001234567"
    )
    detail = reverse("fund:collective_detail", kwargs={"code": collective.code})
    client.force_login(manager_2)
    assert detail in client.get(reverse("reports:dashboard")).content.decode()
    client.force_login(manager_1)
    assert detail not in client.get(reverse("reports:dashboard")).content.decode()
