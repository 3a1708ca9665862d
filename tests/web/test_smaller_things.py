"""The smaller things a user noticed (issue 9): the app's own error pages with DEBUG on,
readable audit events, Dutch where English leaked, tables that fit, and a loan page that
says to a collective what is due next."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from fund.audit_labels import action_label, describe_changes
from ledger.models import AuditEvent

from .conftest import page_text
from .test_loan_pages import build_loans


def test_with_debug_a_collective_gets_the_apps_404_page_not_the_url_list(client, world, settings):
    settings.DEBUG = True
    client.force_login(world.member_x)
    for path in ("/bestaat-niet/", reverse("loans:loan_detail", kwargs={"number": "L-0000-9999"})):
        response = client.get(path)
        assert response.status_code == 404
        text = page_text(response.content)
        assert "Niet gevonden" in text
        assert "URLconf" not in text
        assert "admin/" not in text
    forbidden = client.get(reverse("fund:fund_detail", kwargs={"slug": world.fund_a.slug}))
    assert forbidden.status_code == 403
    assert "Geen toegang" in page_text(forbidden.content)


def test_with_debug_a_developer_on_localhost_still_gets_the_technical_page(client, world, settings):
    settings.DEBUG = True
    world.manager_a.is_superuser = True
    world.manager_a.save()
    client.force_login(world.manager_a)
    assert "URLconf" in client.get("/bestaat-niet/").content.decode()


def test_a_repayment_event_reads_as_labelled_facts_without_a_false_principal_change():
    before = {
        "state": "active",
        "principal": "90000.00",
        "disbursed": "90000.00",
        "annual_rate": "2.500000",
        "periods": 120,
    }
    after = {
        **before,
        "principal": "627.47",
        "repayment": 1,
        "amount": "1234.56",
        "value_date": "2026-11-28",
        "fees": "0.00",
        "interest": "187.50",
        "prepayment": "0.00",
        "advance": "0.00",
        "version": None,
    }
    with translation.override("nl"):
        described = describe_changes("loan.repayment", before, after)
        facts = {f["label"]: f["value"] for f in described["facts"]}
        assert described["changed"] == []
        assert facts["Ontvangen bedrag"] == "€\xa01.234,56"
        assert facts["Valutadatum"] == "28-11-2026"
        assert facts["Waarvan aflossing"] == "€\xa0627,47"
        assert {f["label"] for f in described["unchanged"]} >= {"Status", "Rente per jaar"}
        changed = describe_changes(
            "grant.pay",
            {"state": "awarded", "paid": "0.00"},
            {"state": "paying", "paid": "2650.00", "entry": 13},
        )["changed"]
        assert [(c["label"], c["before"], c["after"]) for c in changed] == [
            ("Status", "Toegekend", "Deels uitbetaald"),
            ("Betaald", "€\xa00,00", "€\xa02.650,00"),
        ]
        assert action_label("loan.repayment") == "Aflossing ontvangen"
        assert action_label("loan.something_new") == "Lening: something new"


def test_the_audit_trail_shows_labels_and_formatted_values(client, world):
    lw = build_loans(world)
    client.force_login(world.auditor)
    text = page_text(client.get(reverse("reports:audit_trail")).content)
    assert "Aflossing ontvangen" in text
    assert "loan.repayment" not in text
    assert "value_date" not in text and "Valutadatum: 01-07-2026" in text
    assert "principal:" not in text
    assert AuditEvent.objects.filter(action="loan.repayment").exists()
    page = page_text(
        client.get(reverse("loans:loan_detail", kwargs={"number": lw.loan.number})).content
    )
    assert "Ontvangen bedrag" in page and "value_date" not in page


def test_the_password_reset_mail_is_dutch_and_names_burgerfonds(client, world):
    world.member_x.email = "lid@example.org"
    world.member_x.save()
    client.post(reverse("password_reset"), {"email": "lid@example.org"})
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Burgerfonds" in message.subject
    assert "forgotten" not in message.body and "Uw gebruikersnaam is" in message.body
    assert "127.0.0.1" not in message.subject and "-team" not in message.body


def test_rates_and_counts_have_one_dutch_format():
    with translation.override("nl"):
        rendered = Template(
            "{% load figures %}{{ a|rate }}|{{ b|rate }}|{{ c|rate }}|{{ n|number }}"
        ).render(Context({"a": Decimal("2.5000"), "b": Decimal("3"), "c": "0.125", "n": 334000}))
    assert rendered == "2,5 %|3 %|0,125 %|334.000"


def test_trial_balance_csv_has_dutch_account_types(client, world):
    client.force_login(world.manager_a)
    url = reverse("reports:trial_balance", kwargs={"slug": world.fund_a.book.slug})
    response = client.get(url, {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    kinds = {row[2] for row in rows[1:]}
    assert kinds and kinds <= {"Activa", "Passiva", "Eigen vermogen", "Opbrengsten", "Kosten"}


def test_lists_scroll_in_their_own_box(client, world):
    lw = build_loans(world)
    client.force_login(world.manager_a)
    for name, kwargs in (
        ("loans:loan_list", {}),
        ("fund:application_list", {}),
        ("loans:loan_detail", {"number": lw.loan.number}),
    ):
        assert 'class="table-wrap"' in client.get(reverse(name, kwargs=kwargs)).content.decode()
    css = client.get("/static/css/app.css")
    body = b"".join(css.streaming_content) if css.streaming else css.content
    assert b".table-wrap" in body and b"overflow-x: auto" in body


def test_loan_page_position_first_forms_folded_and_schedule_folded(client, world):
    lw = build_loans(world)
    client.force_login(world.manager_a)
    html = client.get(
        reverse("loans:loan_detail", kwargs={"number": lw.loan.number})
    ).content.decode()
    assert html.index("position-title") < html.index("actions-title")
    assert html.index("summary-title") < html.index("actions-title")
    assert '<summary class="button">Aflossing boeken</summary>' in html
    assert "Volledig aflosschema" in html


def test_collective_sees_what_is_due_next_and_no_day_count_jargon(client, world):
    lw = build_loans(world)
    client.force_login(world.member_x)
    text = page_text(
        client.get(reverse("loans:loan_detail", kwargs={"number": lw.loan.number})).content
    )
    assert "Volgende termijn: € 1.032,80 op" in text
    assert f"onder vermelding van leningnummer {lw.loan.number}" in text
    assert "Dagtelling" not in text and "30E/360" not in text


def test_the_product_form_offers_the_allocation_order_in_words():
    from loans.forms import LoanProductForm

    with translation.override("nl"):
        html = str(LoanProductForm()["allocation_order"])
    assert "kosten, rente, aflossing" in html
    assert ">fee,interest,principal<" not in html
    assert 'value="fee,interest,principal"' in html


def test_the_pay_box_leads_with_what_is_overdue_and_names_the_account(client, world):
    from fund.models import CompartmentKind

    lw = build_loans(world)  # loan X: instalment 1 paid, the later ones open (in arrears)
    world.fund_a.compartments.filter(kind=CompartmentKind.REVOLVING).update(
        iban="NL91ABNA0417164300"
    )
    client.force_login(world.member_x)
    text = page_text(
        client.get(reverse("loans:loan_detail", kwargs={"number": lw.loan.number})).content
    )
    assert text.index("Nu te betalen: €") < text.index("Volgende termijn: €")
    assert "Maak het over naar NL91 ABNA 0417 1643 00 ten name van" in text
    # The dashboard counts the same arrears as the loan page (live, not the last day-end).
    dashboard = page_text(client.get(reverse("reports:dashboard")).content)
    assert "dagen" in dashboard.split(lw.loan.number, 1)[1].split("Lopend", 1)[0]


def test_money_paid_ahead_counts_against_an_instalment_the_day_end_has_not_booked_yet(db):
    from datetime import date
    from decimal import Decimal

    from loans import selectors, services
    from tests.loans.test_loan_helpers import disbursed_loan, funded_team, rows

    team = funded_team()
    loan = disbursed_loan(team, amount="12000.00", term_months=12)  # first due 01-02-2026
    first = rows(loan)[0]
    services.repayment_record(
        loan=loan, amount="200.00", value_date=date(2026, 1, 20), recorded_by=team.manager
    )
    # No day-end run on 01-02: the position as of 05-02 still counts the 200 held.
    position = selectors.loan_position(loan=loan, as_of=date(2026, 2, 5))
    assert position.arrears == first.payment - Decimal("200.00")
    assert position.advance == 0 and position.days_past_due == 4
    nxt = selectors.next_instalment(loan=loan, as_of=date(2026, 1, 25))
    assert nxt.amount == first.payment - Decimal("200.00")


def test_the_dashboard_lists_approved_loans_to_contract(client, world):
    lw = build_loans(world)
    client.force_login(world.manager_a)
    html = client.get(reverse("reports:dashboard")).content.decode()
    assert "nog te contracteren" in html
    assert reverse("loans:loan_contract", kwargs={"number": lw.contractable.number}) in html


def test_a_collective_does_not_read_the_funds_internal_notes(client, world):
    lw = build_loans(world)
    url = reverse("loans:loan_detail", kwargs={"number": lw.loan.number})
    client.force_login(world.member_x)
    assert "Tijdelijk minder opbrengst" not in page_text(client.get(url).content)
    client.force_login(world.manager_a)
    assert "Tijdelijk minder opbrengst" in page_text(client.get(url).content)


def test_the_import_says_in_plain_words_what_it_did():
    from types import SimpleNamespace

    from loans.views import _import_summary

    with translation.override("nl"):
        text = _import_summary(SimpleNamespace(repayments=[1], unmatched=[], skipped=[1, 2]))
    assert text == (
        "Import verwerkt: 1 aflossing geboekt, 0 ontvangsten op de tussenrekening, "
        "2 regels overgeslagen (al eerder geboekt, of uitgaande betalingen)."
    )
