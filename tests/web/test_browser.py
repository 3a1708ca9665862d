"""The grant flow in a real browser: Debian's chromium, driven by Playwright, against the
live server. Every step goes through the pages as a user would: the login form, the
buttons, the forms; only the starting capital and the users are made directly.

Screenshots go to the test's tmp_path; set BURGERFONDS_SCREENSHOTS=/some/folder to keep
copies for a look by eye.
"""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connections
from django.urls import reverse

from fund import services
from fund.models import Application, Collective, Grant

from .conftest import PASSWORD, capital_in, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000


@pytest.fixture
def browser(django_db_setup, browser_executable, live_server, monkeypatch):
    """A headless chromium for one test.

    Playwright's sync API keeps an asyncio loop running in this thread. Django then refuses
    ORM calls here (SynchronousOnlyOperation), so the check is lifted for the test: its ORM
    calls are plain synchronous code. Also, with a loop running, Django's per-thread
    connections live apart from the ones made before (asgiref's thread-critical Local keys
    them by the running loop's context): the test gets a connection of its own, closed here
    before the loop stops, or it stays open and PostgreSQL refuses to drop the test database.
    ``django_db_setup`` comes first so that the session's live server stops before the test
    database is dropped.
    """
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=browser_executable, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


@pytest.fixture
def shots(tmp_path):
    """Save a full-page screenshot under a name; copies go to $BURGERFONDS_SCREENSHOTS."""
    folder = tmp_path / "screens"
    folder.mkdir()
    keep = os.environ.get("BURGERFONDS_SCREENSHOTS")

    def shoot(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        return path

    return shoot


@pytest.fixture
def pool(transactional_db):
    """Fund A with two managers, € 25.000,00 in its grant compartment, and a citizen."""
    first = make_user("anneke", "Anneke", "de Vries")
    second = make_user("bram", "Bram", "Jansen")
    fund = services.fund_create(
        slug="fonds-a", name="Energiefonds Achterhoek", managers=[first, second], created_by=first
    )
    investor = services.investor_create(
        code="INV-GLD", name="Provincie Gelderland", kind="province", created_by=first
    )
    capital_in(fund, investor, first, amount=Decimal("25000.00"))
    citizen = make_user("daan", "Daan", "Visser")
    return fund, first, second, citizen


def log_in(browser, live_server, username: str):
    """A fresh browser session, logged in through the login form; on the dashboard."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(live_server.url + reverse("login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(live_server.url + reverse("reports:dashboard"))
    return page


def figure(page, label: str, kind: str = "grant") -> str:
    """One figure of a compartment on the fund page, e.g. ``€ 25.000,00``."""
    stat = page.locator(f"section[aria-labelledby='compartment-{kind}'] .stat").filter(
        has=page.locator(".label", has_text=label)
    )
    return stat.locator(".value").inner_text().replace("\xa0", " ").strip()


def pool_figures(page, live_server, fund) -> dict[str, str]:
    page.goto(live_server.url + reverse("fund:fund_detail", kwargs={"slug": fund.slug}))
    return {
        label: figure(page, label)
        for label in ("Banksaldo", "Te betalen (toegekend)", "Gereserveerd (goedgekeurd)")
        + ("Beschikbaar", "Gestort kapitaal")
    }


def badge(page) -> str:
    return page.locator("h1 .badge").inner_text().strip()


def test_a_grant_through_the_browser(browser, pool, live_server, shots, tmp_path):
    fund, manager_1, manager_2, citizen = pool
    url = live_server.url

    # The citizen logs in and registers their cooperative.
    member = log_in(browser, live_server, citizen.username)
    member.goto(url + reverse("fund:collective_register"))
    member.fill("#id_name", "Zon op Zutphen")
    member.select_option("#id_kind", "energy")
    member.select_option("#id_legal_form", "cooperatie")
    member.fill("#id_kvk_number", "12345678")
    member.fill("#id_iban", "NL91 ABNA 0417 1643 00")
    member.fill("#id_street", "Kerkstraat 1")
    member.fill("#id_postcode", "7201 AB")
    member.fill("#id_city", "Zutphen")
    member.fill("#id_municipality", "Zutphen")
    member.fill("#id_members_count", "120")
    member.fill("#id_email", "info@zonopzutphen.example.org")
    member.check("input[name='sdgs'][value='7']")
    member.get_by_role("button", name="Aanmelden").click()
    member.wait_for_selector("h1:has-text('Zon op Zutphen')")
    assert "Niet geverifieerd" in member.locator("h1").inner_text()
    collective = Collective.objects.get(kvk_number="12345678")
    assert list(collective.members.all()) == [citizen]
    shots(member, "1-collective-registered")

    # A manager logs in and verifies it.
    first = log_in(browser, live_server, manager_1.username)
    before = pool_figures(first, live_server, fund)
    assert before["Beschikbaar"] == "€ 25.000,00"
    first.goto(url + reverse("fund:collective_detail", kwargs={"code": collective.code}))
    first.get_by_role("button", name="Verifiëren (KvK en IBAN gecontroleerd)").click()
    first.wait_for_selector(".messages .success")
    assert "Geverifieerd" in first.locator("h1 .badge").inner_text()

    # The citizen applies, with a budget and a quote attached, and submits.
    quote = tmp_path / "offerte.txt"
    quote.write_text("Offerte: 12 zonnepanelen\n")
    member.goto(url + reverse("fund:application_create"))
    member.select_option("#id_fund", label=fund.name)
    member.select_option("#id_kind", "grant")
    member.fill("#id_title", "Zonnedak dorpshuis")
    member.fill("#id_purpose", "Zonnepanelen op het dak van het dorpshuis, voor 40 huishoudens.")
    member.fill("#id_amount_requested", "1234.56")
    member.fill("#id_households_reached", "40")
    member.fill("#id_kwh_per_year", "36000")
    member.check("input[name='sdgs'][value='7']")
    member.fill("#id_budget-0-description", "Zonnepanelen")
    member.fill("#id_budget-0-amount", "1000.00")
    member.fill("#id_budget-1-description", "Montage")
    member.fill("#id_budget-1-amount", "234.56")
    member.set_input_files("#id_files", str(quote))
    member.get_by_role("button", name="Concept opslaan").click()
    member.wait_for_selector("h1 .badge.draft")
    assert "€ 1.234,56" in member.locator("main").inner_text().replace("\xa0", " ")
    member.get_by_role("button", name="Indienen").click()
    member.wait_for_selector("h1 .badge.submitted")
    application = Application.objects.get(collective=collective)
    assert application.state == "submitted"
    assert application.attachments.count() == 1
    detail = url + reverse("fund:application_detail", kwargs={"number": application.number})

    # Manager 1 takes it on and assesses it; four eyes keep the decision from them.
    first.goto(detail)
    first.get_by_role("button", name="In behandeling nemen").click()
    first.wait_for_selector("h1 .badge.in_review")
    first.select_option("#assess_proposal", "approve")
    first.fill("#assess_assessment", "Past binnen het reglement; begroting is reëel.")
    first.fill("#assess_amount", "1234.56")
    first.get_by_role("button", name="Beoordeling opslaan").click()
    first.wait_for_selector(".messages .success")
    warning = first.locator("p.message.warning").inner_text()
    assert warning.startswith("Vier ogen: u heeft deze aanvraag beoordeeld.")
    assert first.locator("#decide_decision").count() == 0
    shots(first, "2-assessed-four-eyes")

    # Manager 2 approves, awards and pays a first tranche.
    second = log_in(browser, live_server, manager_2.username)
    second.goto(detail)
    second.select_option("#decide_decision", "approve")
    second.fill("#decide_reason", "Eens met de beoordeling.")
    second.get_by_role("button", name="Besluit vastleggen").click()
    second.wait_for_selector("h1 .badge.approved")
    assert pool_figures(second, live_server, fund)["Gereserveerd (goedgekeurd)"] == "€ 1.234,56"
    second.goto(detail)
    second.fill("#award_date", "2026-11-28")
    second.get_by_role("button", name="Toekennen").click()
    second.wait_for_selector("h1 .badge.awarded")
    grant = Grant.objects.get(application=application)
    assert "€ 1.234,56 op 28-11-2026" in second.locator("main").inner_text().replace("\xa0", " ")
    second.fill("#pay_amount", "1000.00")
    second.fill("#pay_date", "2026-11-28")
    second.fill("#pay_description", "Eerste tranche")
    second.get_by_role("button", name="Betaling voorstellen").click()
    second.wait_for_selector("text=wacht op tweede fondsbeheerder")
    assert second.get_by_role("button", name="Goedkeuren en boeken").count() == 0
    shots(second, "3-grant-payment-proposed")

    # Four eyes: manager 1 approves the payment, and only then is it booked.
    first.goto(second.url)
    first.get_by_role("button", name="Goedkeuren en boeken").click()
    first.wait_for_selector("h1 .badge.paying")
    payments = first.locator("table[aria-labelledby='payments-title'] tbody").inner_text()
    assert "Eerste tranche" in payments
    assert "€ 1.000,00" in payments.replace("\xa0", " ")
    shots(first, "3-grant-paid")

    # The pool on the fund page, read again.
    after = pool_figures(second, live_server, fund)
    shots(second, "4-fund-after")
    assert before == {
        "Banksaldo": "€ 25.000,00",
        "Te betalen (toegekend)": "€ 0,00",
        "Gereserveerd (goedgekeurd)": "€ 0,00",
        "Beschikbaar": "€ 25.000,00",
        "Gestort kapitaal": "€ 25.000,00",
    }
    assert after == {
        "Banksaldo": "€ 24.000,00",
        "Te betalen (toegekend)": "€ 234,56",
        "Gereserveerd (goedgekeurd)": "€ 0,00",
        "Beschikbaar": "€ 23.765,44",
        "Gestort kapitaal": "€ 25.000,00",
    }
    grant.refresh_from_db()
    assert (grant.state, grant.paid.amount) == ("paying", Decimal("1000.00"))


def test_login_comes_back_to_the_page_and_english_formats_numbers(
    browser, pool, live_server, shots
):
    fund, manager_1, _, _ = pool
    detail = reverse("fund:fund_detail", kwargs={"slug": fund.slug})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    # Anonymous: the login form, then straight back to the page asked for. The browser
    # says en-US (Playwright's default); the pages stay Dutch until the user switches.
    page.goto(live_server.url + detail)
    assert page.url.startswith(live_server.url + reverse("login"))
    page.fill("#id_username", manager_1.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(live_server.url + detail)
    assert figure(page, "Beschikbaar") == "€ 25.000,00"

    # The language form in the header.
    page.select_option("#lang-select", "en")
    with page.expect_navigation():
        page.locator("form.lang-form button").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith(detail)
    values = page.locator("section[aria-labelledby='compartment-grant'] .stat .value")
    assert "€ 25,000.00" in [v.replace("\xa0", " ") for v in values.all_inner_texts()]
    shots(page, "5-fund-english")
