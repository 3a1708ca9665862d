"""The loan pages (django.test.Client): who sees what, and the forms that change the books.

The world of ``conftest.py`` (funds A and B, collectives X and Y, every role) gets a loan
side in fund A, built through the services: capital in the revolving compartment, a product,
a loan of collective X contracted and disbursed on 1 June with one instalment paid, the day-end
run of 28 November (so it is four instalments in arrears), a restructuring proposed by
manager A and waiting for a second manager, a loan of collective Y, an approved loan
application of X without a loan yet, and a receipt on the suspense account.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fund import services as fund_services
from fund.models import Application, ApplicationKind, Collective, CompartmentKind, Fund
from ledger.checks import check_book
from ledger.models import JournalEntry
from loans import services
from loans.models import (
    ChangeState,
    Disbursement,
    Loan,
    LoanChange,
    LoanProduct,
    LoanState,
    ReceiptDisposal,
    Repayment,
    UnmatchedReceipt,
)

from .conftest import DAY, World, page_text

JUNE = date(2026, 6, 1)
JULY = date(2026, 7, 1)
LOAN_AMOUNT = Decimal("12000.00")
INSTALMENT = Decimal("1032.80")  # 12.000 over 12 months at 6 %, annuity


# --- the loan side of the world -------------------------------------------------------------


@dataclass
class Loans:
    world: World
    product: LoanProduct
    loan: Loan  # collective X, fund A: disbursed, one instalment paid, in arrears
    repayment: Repayment
    change: LoanChange  # restructuring proposed by manager_a
    loan_y: Loan  # collective Y, fund A
    contractable: Application  # approved loan application of X without a loan
    receipt: UnmatchedReceipt
    disposal: ReceiptDisposal  # refund of another receipt, proposed by manager_a


def revolving_capital(fund: Fund, investor, manager, amount: str = "100000.00") -> None:
    commitment = fund_services.commitment_create(
        investor=investor,
        compartment=fund.compartments.get(kind=CompartmentKind.REVOLVING),
        amount=Decimal(amount),
        date=JUNE,
        reference=f"{fund.slug}-revolverend",
        created_by=manager,
    )
    fund_services.contribution_record(
        commitment=commitment, amount=Decimal(amount), date=JUNE, created_by=manager
    )


def approved_loan_application(
    w: World, collective: Collective, member, amount: str, term: int
) -> Application:
    application = fund_services.application_create(
        fund=w.fund_a,
        collective=collective,
        kind=ApplicationKind.LOAN,
        title=f"Zonnedak met lening ({amount})",
        purpose="Zonnepanelen, terugbetaald uit de opbrengst.",
        amount_requested=Decimal(amount),
        created_by=member,
        term_months=term,
    )
    application = fund_services.application_submit(application=application, submitted_by=member)
    application = fund_services.application_start_review(
        application=application, assessor=w.manager_a
    )
    application = fund_services.application_assess(
        application=application,
        assessor=w.manager_a,
        proposal="approve",
        assessment="Sluitende exploitatie.",
        amount=Decimal(amount),
    )
    return fund_services.application_decide(
        application=application, decided_by=w.manager_a2, approve=True, reason="Akkoord."
    )


def disbursed_loan(w: World, product, collective, member, amount: str = "12000.00") -> Loan:
    application = approved_loan_application(w, collective, member, amount, 12)
    loan = services.loan_contract(
        application=application,
        product=product,
        contracted_by=w.manager_a,
        date=JUNE,
        first_due=JULY,
    )
    change = services.tranche_propose(
        loan=loan, amount=loan.principal, date=JUNE, proposed_by=w.manager_a
    )
    services.loan_change_decide(
        change=change, decided_by=w.manager_a2, approve=True, reason="Mijlpaal gezien."
    )
    loan.refresh_from_db()
    return loan


def build_loans(w: World) -> Loans:
    revolving_capital(w.fund_a, w.investor, w.manager_a)
    product = services.loan_product_create(
        fund=w.fund_a,
        code="DEV",
        name="Ontwikkellening",
        created_by=w.manager_a,
        annual_rate=Decimal("6"),
        max_term_months=120,
        max_amount=Decimal("250000.00"),
        method="annuity",
        frequency="monthly",
    )
    loan = disbursed_loan(w, product, w.collective_x, w.member_x)
    repayment = services.repayment_record(
        loan=loan,
        amount=INSTALMENT,
        value_date=JULY,
        recorded_by=w.manager_a,
        reference="termijn 1",
    )
    loan_y = disbursed_loan(w, product, w.collective_y, w.member_y, amount="6000.00")
    services.loan_day_process(fund=w.fund_a, date=DAY)
    change = services.loan_change_propose(
        loan=loan,
        kind="restructure",
        effective_date=DAY,
        proposed_by=w.manager_a,
        reason="Tijdelijk minder opbrengst; looptijd verlengen.",
        periods=24,
    )
    contractable = approved_loan_application(w, w.collective_x, w.member_x, "5000.00", 24)
    receipt = services.receipt_record_unmatched(
        fund=w.fund_a,
        amount=Decimal("250.00"),
        value_date=DAY,
        payer_reference="NL55BUNQ0000000001",
        recorded_by=w.manager_a,
        description=f"aflossing {loan.number}",
    )
    gift = services.receipt_record_unmatched(
        fund=w.fund_a,
        amount=Decimal("40.00"),
        value_date=DAY,
        payer_reference="NL91ABNA0417164300",
        recorded_by=w.manager_a,
        description="verkeerd overgemaakt",
    )
    disposal = services.receipt_disposal_propose(
        receipt=gift,
        kind="refund",
        proposed_by=w.manager_a,
        reason="Verkeerd overgemaakt; terug naar de afzender.",
        iban="NL91ABNA0417164300",
        name="J. de Vries",
    )
    loan.refresh_from_db()
    return Loans(
        world=w,
        product=product,
        loan=loan,
        repayment=repayment,
        change=change,
        loan_y=loan_y,
        contractable=contractable,
        receipt=receipt,
        disposal=disposal,
    )


@pytest.fixture
def lw(world) -> Loans:
    return build_loans(world)


def books_ok(fund: Fund) -> None:
    report = check_book(fund.book)
    assert report.ok, report.differences


def entries(fund: Fund) -> int:
    return JournalEntry.objects.filter(book=fund.book).count()


# --- who gets what (GET) ------------------------------------------------------------------

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

# Who gets which loans page as which role is in the permission matrix
# (tests/web/test_permissions.py), with every other route of the project.
URL_KWARGS = {
    "loans:loan_list": lambda lw: {},
    "loans:loan_detail": lambda lw: {"number": lw.loan.number},
    "loans:loan_contract": lambda lw: {"number": lw.contractable.number},
    "loans:loan_disburse": lambda lw: {"number": lw.loan.number},
    "loans:repayment_create": lambda lw: {"number": lw.loan.number},
    "loans:repayment_reverse": lambda lw: {"pk": lw.repayment.pk},
    "loans:loan_change_propose": lambda lw: {"number": lw.loan.number},
    "loans:loan_change_decide": lambda lw: {"pk": lw.change.pk},
    "loans:receipt_list": lambda lw: {},
    "loans:receipt_match": lambda lw: {"pk": lw.receipt.pk},
    "loans:receipt_dispose": lambda lw: {"pk": lw.receipt.pk},
    "loans:receipt_disposal_decide": lambda lw: {"pk": lw.disposal.pk},
    "loans:repayments_import": lambda lw: {},
    "loans:portfolio": lambda lw: {"slug": lw.world.fund_a.slug},
    "loans:product_list": lambda lw: {"slug": lw.world.fund_a.slug},
    "loans:product_create": lambda lw: {"slug": lw.world.fund_a.slug},
}


def url(name: str, lw: Loans) -> str:
    return reverse(name, kwargs=URL_KWARGS[name](lw) or None)


def outcome(response) -> str:
    if response.status_code in (301, 302):
        return "L" if response["Location"].startswith(reverse("login")) else "R"
    return str(response.status_code)


def login(client, lw: Loans, role: str) -> None:
    client.logout()
    user = lw.world.user(role)
    if user is not None:
        client.force_login(user)


def test_auditor_reads_the_books_of_the_loan_and_changes_nothing(client, lw):
    client.force_login(lw.world.auditor)
    text = page_text(client.get(url("loans:loan_detail", lw)).content)
    assert "Boekingen" in text
    assert "Beheer" not in text
    assert "Terugdraaien" not in text


@pytest.mark.parametrize("role", ["auditor", "manager_auditor", "member_x", "investor_user"])
def test_writes_are_refused_with_403_and_change_nothing(client, lw, role):
    fund = lw.world.fund_a
    client.force_login(getattr(lw.world, role))
    before = entries(fund)
    posts = {
        "loans:loan_contract": {"date": DAY.isoformat()},
        "loans:loan_disburse": {"amount": "100.00", "date": DAY.isoformat()},
        "loans:repayment_create": {
            "amount": "100.00",
            "value_date": DAY.isoformat(),
            "overpayment": "shorten",
        },
        "loans:repayment_reverse": {"reason": "fout"},
        "loans:loan_change_propose": {"kind": "conversion", "reason": "x"},
        "loans:loan_change_decide": {"decision": "approve", "reason": "akkoord"},
        "loans:receipt_match": {"loan": lw.loan.number, "overpayment": "shorten"},
        "loans:receipt_dispose": {"kind": "refund", "iban": "NL91ABNA0417164300", "name": "X"},
        "loans:receipt_disposal_decide": {"decision": "approve", "reason": "akkoord"},
        "loans:repayments_import": {"fund": fund.pk},
    }
    for name, data in posts.items():
        response = client.post(url(name, lw), data)
        assert response.status_code == 403, name
    assert entries(fund) == before
    assert LoanChange.objects.get(pk=lw.change.pk).state == ChangeState.PROPOSED
    assert not Repayment.objects.get(pk=lw.repayment.pk).is_reversed


def test_manager_of_another_fund_gets_404_on_writes(client, lw):
    client.force_login(lw.world.manager_b)
    response = client.post(url("loans:loan_disburse", lw), {"amount": "1.00"})
    assert response.status_code == 404
    response = client.post(url("loans:loan_change_decide", lw), {"decision": "approve"})
    assert response.status_code == 404


def test_state_changes_need_the_csrf_token(lw):
    client = Client(enforce_csrf_checks=True)
    client.force_login(lw.world.manager_a)
    before = entries(lw.world.fund_a)
    response = client.post(
        url("loans:repayment_create", lw),
        {"amount": "100.00", "value_date": DAY.isoformat(), "overpayment": "shorten"},
    )
    assert response.status_code == 403
    assert entries(lw.world.fund_a) == before


# --- what each role sees ------------------------------------------------------------------


def test_member_sees_their_loans_schedule_payments_balance_and_arrears(client, lw):
    client.force_login(lw.world.member_x)
    text = page_text(client.get(reverse("loans:loan_list")).content)
    assert lw.loan.number in text
    assert lw.loan_y.number not in text
    assert "€ 11.027,20" in text  # outstanding principal: 12.000 - 972,80 paid in July

    page = client.get(url("loans:loan_detail", lw))
    text = page_text(page.content)
    assert "Aflosschema" in text
    assert "Voldaan" in text and "Achterstallig" in text
    assert "€ 1.032,80" in text  # the payment
    assert "Uitstaande hoofdsom € 11.027,20" in text
    assert "119 dagen te laat" in text  # the oldest unpaid instalment fell due on 1 August
    assert "Boekingen" not in text  # the ledger lines are for managers and auditors
    assert "Beheer" not in text


def test_member_of_another_collective_gets_404(client, lw):
    client.force_login(lw.world.member_y)
    assert client.get(url("loans:loan_detail", lw)).status_code == 404
    own = client.get(reverse("loans:loan_detail", kwargs={"number": lw.loan_y.number}))
    assert own.status_code == 200


def test_loan_list_filters_by_state_bucket_and_fund(client, lw):
    client.force_login(lw.world.manager_a)

    def listed(**filters) -> set[str]:
        response = client.get(reverse("loans:loan_list"), filters)
        return {row["loan"].number for row in response.context["rows"]}

    both = {lw.loan.number, lw.loan_y.number}
    assert listed(bucket="90+") == both
    assert listed(bucket="current") == set()
    assert listed(state="active") == both
    assert listed(state="repaid") == set()
    assert listed(fund=lw.world.fund_a.slug) == both
    assert listed(q="Wijchen") == {lw.loan_y.number}
    text = page_text(client.get(reverse("loans:loan_list")).content)
    assert "Voorstellen die wachten op een tweede beheerder" in text
    assert "Uw voorstel" in text  # manager A proposed it: no decide link for them


def test_loan_list_queries_do_not_grow_with_the_loans(client, lw):
    client.force_login(lw.world.manager_a)
    listing = reverse("loans:loan_list")
    client.get(listing)
    with CaptureQueriesContext(connection) as few:
        client.get(listing)
    w = lw.world
    for amount in ("1000.00", "2000.00", "3000.00"):
        disbursed_loan(w, lw.product, w.collective_x, w.member_x, amount=amount)
    with CaptureQueriesContext(connection) as more:
        response = client.get(listing)
    assert page_text(response.content).count("L-2026-") >= 5
    assert len(more) == len(few)


def test_settlement_quote_on_the_loan_page(client, lw):
    client.force_login(lw.world.member_x)
    response = client.get(url("loans:loan_detail", lw), {"quote_date": "2026-12-15"})
    text = page_text(response.content)
    quote = services.loan_settlement_quote(loan=lw.loan, date=date(2026, 12, 15))
    assert "Vervroegd aflossen" in text
    total = f"{quote.total:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert f"Totaal € {total}" in text


def test_portfolio_page_shows_outstanding_buckets_par_and_flows(client, lw):
    client.force_login(lw.world.auditor)
    response = client.get(url("loans:portfolio", lw))
    text = page_text(response.content)
    assert "€ 17.027,20" in text  # 11.027,20 + 6.000
    assert "Meer dan 90 dagen" in text
    assert "PAR30 per 28-11-2026 100,00 %" in text  # both loans are over 90 days late
    assert "juni 2026" in text and "€ 18.000,00" in text


def test_application_page_links_to_contracting_and_to_the_loan(client, lw):
    client.force_login(lw.world.manager_a)
    page = client.get(
        reverse("fund:application_detail", kwargs={"number": lw.contractable.number})
    ).content.decode()
    assert reverse("loans:loan_contract", kwargs={"number": lw.contractable.number}) in page
    page = client.get(
        reverse("fund:application_detail", kwargs={"number": lw.loan.application.number})
    ).content.decode()
    assert reverse("loans:loan_detail", kwargs={"number": lw.loan.number}) in page
    client.force_login(lw.world.member_x)
    page = client.get(
        reverse("fund:application_detail", kwargs={"number": lw.contractable.number})
    ).content.decode()
    assert reverse("loans:loan_contract", kwargs={"number": lw.contractable.number}) not in page


def test_member_dashboard_lists_their_loans_and_the_menu_has_loans(client, lw):
    client.force_login(lw.world.member_x)
    text = page_text(client.get(reverse("reports:dashboard")).content)
    assert "Mijn leningen" in text
    assert lw.loan.number in text
    assert lw.loan_y.number not in text
    assert "Leningen" in text


# --- the forms change the books -----------------------------------------------------------


def test_contract_and_disburse_through_the_forms(client, lw):
    w = lw.world
    client.force_login(w.manager_a)
    form_page = client.get(url("loans:loan_contract", lw))
    assert form_page.status_code == 200
    assert form_page.context["form"].initial["principal"] == Decimal("5000.00")
    assert form_page.context["form"].initial["method"] == "annuity"
    data = {
        "product": lw.product.pk,
        "date": DAY.isoformat(),
        "principal": "5000.00",
        "periods": "",
        "first_due": "",
        "annual_rate": "5,5",  # Dutch, as a treasurer types it
        "method": "linear",
        "frequency": "monthly",
        "interest": "period",
        "day_count": "30E/360",
        "grace_principal": "0",
        "grace_full": "0",
        "grace_interest": "",
        "due_day": "",
    }
    response = client.post(url("loans:loan_contract", lw), data)
    loan = Loan.objects.get(application=lw.contractable)
    assert response.status_code == 302
    assert response["Location"] == reverse("loans:loan_detail", kwargs={"number": loan.number})
    assert (loan.annual_rate, loan.method, loan.periods) == (Decimal("5.5"), "linear", 24)

    before = entries(w.fund_a)
    disburse_url = reverse("loans:loan_disburse", kwargs={"number": loan.number})
    tranche = {
        "amount": "2.000,00",
        "date": DAY.isoformat(),
        "milestone": "Panelen besteld",
        "once": "7d0c2d6e-3b1f-4f0e-9a57-0a7c1b2e5f11",
    }
    response = client.post(disburse_url, tranche, follow=True)
    text = page_text(response.content)
    assert "Tranche van € 2.000,00 voorgesteld" in text
    assert "wacht op een besluit" in text
    # A double click is the same proposal; nothing has been paid out yet.
    client.post(disburse_url, tranche)
    change = LoanChange.objects.get(loan=loan)
    loan.refresh_from_db()
    assert (loan.disbursed, loan.state) == (0, LoanState.CONTRACTED)
    assert entries(w.fund_a) == before

    # The proposer is not offered the decision; the second manager approves, and it is paid.
    detail = client.get(reverse("loans:loan_detail", kwargs={"number": loan.number}))
    assert "Een andere beheerder van het fonds besluit erover" in page_text(detail.content)
    decide_url = reverse("loans:loan_change_decide", kwargs={"pk": change.pk})
    assert decide_url not in client.get(reverse("reports:dashboard")).content.decode()
    client.force_login(w.manager_a2)
    dashboard = client.get(reverse("reports:dashboard")).content.decode()
    assert decide_url in dashboard and "wachten op uw goedkeuring" in dashboard
    page = page_text(client.get(decide_url).content)
    assert "Uit te betalen bedrag" in page and "€ 2.000,00" in page and "Panelen besteld" in page
    response = client.post(decide_url, {"decision": "approve", "reason": "Factuur gezien."})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert (loan.disbursed, loan.state) == (Decimal("2000.00"), LoanState.DISBURSING)
    assert Disbursement.objects.filter(loan=loan, milestone="Panelen besteld").exists()
    assert entries(w.fund_a) == before + 1
    books_ok(w.fund_a)

    # More than is left to pay out: the service's refusal is shown on the form.
    response = client.post(
        disburse_url,
        {
            "amount": "3500.00",
            "date": DAY.isoformat(),
            "once": "0b5e8a52-8d0e-4c39-b7a3-1f2d3c4b5a69",
        },
    )
    assert response.status_code == 200
    assert "Meer dan nog uit te betalen" in page_text(response.content)
    assert entries(w.fund_a) == before + 1


def test_repayment_and_its_reversal_through_the_forms(client, lw):
    w = lw.world
    client.force_login(w.manager_a)
    before = entries(w.fund_a)
    response = client.post(
        url("loans:repayment_create", lw),
        {
            "once": str(uuid.uuid4()),
            "amount": "1032.80",
            "value_date": DAY.isoformat(),
            "reference": "termijn 2",
            "overpayment": "shorten",
        },
    )
    assert response.status_code == 302
    repayment = Repayment.objects.get(loan=lw.loan, reference="termijn 2")
    assert entries(w.fund_a) > before
    books_ok(w.fund_a)

    confirm = client.get(reverse("loans:repayment_reverse", kwargs={"pk": repayment.pk}))
    assert "Aflossing terugdraaien" in page_text(confirm.content)
    response = client.post(reverse("loans:repayment_reverse", kwargs={"pk": repayment.pk}), {})
    assert response.status_code == 200  # a reason is required
    assert not Repayment.objects.get(pk=repayment.pk).is_reversed
    response = client.post(
        reverse("loans:repayment_reverse", kwargs={"pk": repayment.pk}),
        {"reason": "Dubbel geboekt", "date": ""},
    )
    assert response.status_code == 302
    assert Repayment.objects.get(pk=repayment.pk).is_reversed
    books_ok(w.fund_a)


def test_change_proposal_and_decision_with_four_eyes(client, lw):
    w = lw.world
    client.force_login(w.manager_a)
    decide = url("loans:loan_change_decide", lw)
    page = client.get(decide)
    assert "Vier ogen: u heeft dit voorstel gedaan" in page_text(page.content)
    response = client.post(decide, {"decision": "approve", "reason": "Eens."})
    assert response.status_code == 200
    # Not offered, and a POST anyway changes nothing: the page says who decides.
    assert "Een andere fondsbeheerder van dit fonds besluit erover" in page_text(response.content)
    assert LoanChange.objects.get(pk=lw.change.pk).state == ChangeState.PROPOSED

    client.force_login(w.manager_a2)
    response = client.post(decide, {"decision": "approve", "reason": "Eens."})
    assert response.status_code == 302
    change = LoanChange.objects.get(pk=lw.change.pk)
    assert change.state == ChangeState.EXECUTED
    assert change.decided_by == w.manager_a2
    books_ok(w.fund_a)

    # A full write-off proposed by manager A2 through the form, approved by manager A.
    response = client.post(
        url("loans:loan_change_propose", lw) + "?kind=write_off",
        {
            "kind": "write_off",
            "effective_date": DAY.isoformat(),
            "reason": "Collectief failliet.",
            "amount": "",
            "include_interest": "on",
        },
    )
    assert response.status_code == 302
    proposal = LoanChange.objects.get(loan=lw.loan, state=ChangeState.PROPOSED)
    assert proposal.kind == "write_off"
    client.force_login(w.manager_a)
    response = client.post(
        reverse("loans:loan_change_decide", kwargs={"pk": proposal.pk}),
        {"decision": "approve", "reason": "Helaas."},
    )
    assert response.status_code == 302
    lw.loan.refresh_from_db()
    assert lw.loan.state == LoanState.WRITTEN_OFF
    assert services.loan_status(lw.loan).outstanding_principal() == 0
    books_ok(w.fund_a)


def test_restructure_form_needs_a_change_and_rejection_changes_no_books(client, lw):
    w = lw.world
    client.force_login(w.manager_a2)
    before = entries(w.fund_a)
    response = client.post(
        url("loans:loan_change_decide", lw), {"decision": "reject", "reason": "Nog niet."}
    )
    assert response.status_code == 302
    assert LoanChange.objects.get(pk=lw.change.pk).state == ChangeState.REJECTED
    assert entries(w.fund_a) == before

    propose = url("loans:loan_change_propose", lw)
    response = client.post(
        propose, {"kind": "restructure", "effective_date": DAY.isoformat(), "reason": "x"}
    )
    assert response.status_code == 200
    assert "Geef aan wat er verandert" in page_text(response.content)
    response = client.post(
        propose,
        {
            "kind": "conversion",
            "effective_date": DAY.isoformat(),
            "reason": "Omzetten in subsidie.",
        },
    )
    assert response.status_code == 302
    assert LoanChange.objects.get(loan=lw.loan, state=ChangeState.PROPOSED).kind == "conversion"


def test_match_a_receipt_through_the_form(client, lw):
    w = lw.world
    client.force_login(w.manager_a)
    listing = page_text(client.get(reverse("loans:receipt_list")).content)
    assert "NL55BUNQ0000000001" in listing
    form = client.get(url("loans:receipt_match", lw))
    assert form.context["form"].initial["loan"] == lw.loan.number  # found in the description
    response = client.post(
        url("loans:receipt_match", lw), {"loan": lw.loan.number, "overpayment": "shorten"}
    )
    assert response.status_code == 302
    receipt = UnmatchedReceipt.objects.get(pk=lw.receipt.pk)
    assert receipt.repayment.loan == lw.loan
    books_ok(w.fund_a)
    listing = page_text(client.get(reverse("loans:receipt_list")).content)
    assert "NL55BUNQ0000000001" not in listing


def test_refund_a_receipt_in_suspense_with_four_eyes(client, lw):
    w = lw.world
    client.force_login(w.manager_a)
    dispose_url = url("loans:receipt_dispose", lw)
    # The payer reference is no valid IBAN, so nothing is prefilled to pay back to.
    assert client.get(dispose_url).context["form"].initial["iban"] == ""
    before = entries(w.fund_a)
    response = client.post(
        dispose_url,
        {
            "kind": "refund",
            "iban": "NL20 INGB 0001 2345 67",
            "name": "Stichting Buurtkracht",
            "reason": "Dubbel overgemaakt.",
            "once": "5d1c9a0e-7f43-4c2b-9e55-0c1f2a3b4d5e",
        },
    )
    assert response.status_code == 302
    disposal = ReceiptDisposal.objects.get(receipt=lw.receipt)
    assert (disposal.state, disposal.iban) == ("proposed", "NL20INGB0001234567")
    assert entries(w.fund_a) == before  # nothing booked on one pair of eyes
    # The proposer cannot decide; the list offers the decision only to the other manager.
    decide_url = reverse("loans:receipt_disposal_decide", kwargs={"pk": disposal.pk})
    own = client.post(decide_url, {"decision": "approve", "reason": "zelf"})
    assert "Dit is uw eigen voorstel" in page_text(own.content)
    assert decide_url not in client.get(reverse("loans:receipt_list")).content.decode()
    client.force_login(w.manager_a2)
    assert decide_url in client.get(reverse("reports:dashboard")).content.decode()
    assert decide_url in client.get(reverse("loans:receipt_list")).content.decode()
    response = client.post(decide_url, {"decision": "approve", "reason": "Afschrift gezien."})
    assert response.status_code == 302
    disposal.refresh_from_db()
    assert disposal.state == "executed" and disposal.decided_by == w.manager_a2
    assert entries(w.fund_a) == before + 1
    line = disposal.entry.lines.get(account__code="1900")
    assert (line.debit, line.party) == (25000, "NL55BUNQ0000000001")
    books_ok(w.fund_a)
    # Handled: gone from the open receipts, listed as handled; it cannot be matched any more.
    listing = page_text(client.get(reverse("loans:receipt_list")).content)
    assert "NL55BUNQ0000000001" not in listing
    handled = page_text(client.get(reverse("loans:receipt_list") + "?show=matched").content)
    assert "Terugbetalen aan de betaler" in handled
    response = client.post(
        url("loans:receipt_match", lw), {"loan": lw.loan.number, "overpayment": "shorten"}
    )
    assert UnmatchedReceipt.objects.get(pk=lw.receipt.pk).repayment is None
    assert entries(w.fund_a) == before + 1


def test_bank_import_through_the_form(client, lw):
    w = lw.world
    client.force_login(w.manager_a)
    csv = (
        "datum;bedrag;omschrijving;tegenrekening;naam;transactiereferentie\n"
        f"28-11-2026;1032,80;termijn {lw.loan.number};NL91ABNA0417164300;Zon op Zutphen;B-1\n"
        "28-11-2026;75,00;onbekende gift;NL02ABNA0123456789;Iemand;B-2\n"
        "28-11-2026;-10,00;kosten;;Bank;B-3\n"
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("bank.csv", csv.encode(), content_type="text/csv")
    response = client.post(
        reverse("loans:repayments_import"),
        {"fund": w.fund_a.pk, "file": upload, "overpayment": "shorten"},
        follow=True,
    )
    text = page_text(response.content)
    assert "1 aflossing geboekt, 1 ontvangst op de tussenrekening" in text
    assert Repayment.objects.filter(loan=lw.loan, bank_reference="B-1").exists()
    assert UnmatchedReceipt.objects.filter(bank_reference="B-2").exists()
    books_ok(w.fund_a)

    bad = SimpleUploadedFile("bank.csv", b"foo;bar\n1;2\n", content_type="text/csv")
    response = client.post(reverse("loans:repayments_import"), {"fund": w.fund_a.pk, "file": bad})
    assert response.status_code == 200
    assert "niet te lezen" in page_text(response.content)


def test_contracting_twice_leads_to_the_loan_and_a_grant_application_cannot(client, lw):
    w = lw.world
    client.force_login(w.manager_a)
    response = client.get(
        reverse("loans:loan_contract", kwargs={"number": lw.loan.application.number})
    )
    assert response["Location"] == reverse("loans:loan_detail", kwargs={"number": lw.loan.number})
    response = client.get(reverse("loans:loan_contract", kwargs={"number": w.approved.number}))
    assert response["Location"] == reverse(
        "fund:application_detail", kwargs={"number": w.approved.number}
    )
    assert not Loan.objects.filter(application=w.approved).exists()


def test_four_eyes_proposer_sees_no_decide_link_on_the_loan_page(client, lw):
    w = lw.world
    decide = reverse("loans:loan_change_decide", kwargs={"pk": lw.change.pk})
    client.force_login(w.manager_a)
    assert decide not in client.get(url("loans:loan_detail", lw)).content.decode()
    client.force_login(w.manager_a2)
    assert decide in client.get(url("loans:loan_detail", lw)).content.decode()


def test_a_manager_defines_a_loan_product_through_the_form(client, lw):
    client.force_login(lw.world.manager_a)
    data = {
        "code": "SOC",
        "name": "Lening sociale ondernemingen",
        "annual_rate": "1.75",
        "max_term_months": "96",
        "max_amount": "75000.00",
        "method": "linear",
        "frequency": "quarterly",
        "interest": "daily",
        "day_count": "ACT/365",
        "grace_principal": "2",
        "grace_full": "0",
        "grace_interest": "",
        "decimals": "2",
        "rounding": "half-even",
        "instalment_multiple": "",
        "allocation_order": "fee,interest,principal",
        "allocation_mode": "component",
        "success_premium_pct": "0",
        "penalty_rate": "3",
    }
    response = client.post(url("loans:product_create", lw), data)
    assert response.status_code == 302
    product = LoanProduct.objects.get(fund=lw.world.fund_a, code="SOC")
    assert (product.method, product.frequency, product.day_count) == (
        "linear",
        "quarterly",
        "ACT/365",
    )
    assert product.annual_rate == Decimal("1.75")
    listing = page_text(client.get(url("loans:product_list", lw)).content)
    assert "Lening sociale ondernemingen" in listing
    assert "Lineair" in listing

    # An allocation order that is not one of the choices is refused, nothing written.
    response = client.post(
        url("loans:product_create", lw), {**data, "code": "BAD", "allocation_order": "principal,x"}
    )
    assert response.status_code == 200
    assert not LoanProduct.objects.filter(code="BAD").exists()


def test_only_a_manager_of_the_fund_defines_products(client, lw):
    data = {"code": "X", "name": "X"}
    for user in (lw.world.auditor, lw.world.member_x, lw.world.manager_b):
        client.force_login(user)
        response = client.post(url("loans:product_create", lw), data)
        assert response.status_code in (403, 404)
    assert not LoanProduct.objects.filter(code="X").exists()


def test_the_proposer_is_not_offered_the_decision_and_a_repeated_decision_is_the_first(client, lw):
    w = lw.world
    decide_url = url("loans:loan_change_decide", lw)
    client.force_login(w.manager_a)  # proposed the restructuring
    page = client.get(decide_url)
    text = page_text(page.content)
    assert "decision" not in page.context["form"].fields  # only withdrawing is offered
    assert "u heeft dit voorstel gedaan" in text and 'name="decision"' not in page.content.decode()
    client.post(decide_url, {"decision": "approve", "reason": "zelf"})
    assert LoanChange.objects.get(pk=lw.change.pk).state == ChangeState.PROPOSED
    # The second manager's decision, sent twice (a double click racing past the page): the
    # second call returns the first outcome instead of an error.
    change = services.loan_change_decide(
        change=lw.change, decided_by=w.manager_a2, approve=False, reason="Nog niet nodig."
    )
    again = services.loan_change_decide(
        change=lw.change, decided_by=w.manager_a2, approve=False, reason="Nog niet nodig."
    )
    assert again.pk == change.pk and again.once_replayed
    assert again.state == ChangeState.REJECTED


def test_reversing_an_earlier_repayment_says_the_later_ones_are_booked_again(client, lw):
    w = lw.world
    client.force_login(w.manager_a)
    later = services.repayment_record(
        loan=lw.loan,
        amount=INSTALMENT,
        value_date=DAY,
        recorded_by=w.manager_a,
        reference="termijn 2",
    )
    page = client.get(reverse("loans:repayment_reverse", kwargs={"pk": lw.repayment.pk}))
    assert "De aflossing die daarna is geboekt, wordt opnieuw geboekt" in page_text(page.content)
    response = client.post(
        reverse("loans:repayment_reverse", kwargs={"pk": lw.repayment.pk}),
        {"reason": "Storno van de bank", "date": ""},
    )
    assert response.status_code == 302
    again = Repayment.objects.get(replaces=later)
    assert {a.n for a in again.allocations.all()} >= {1}
    text = page_text(client.get(url("loans:loan_detail", lw)).content)
    assert "Opnieuw geboekt" in text and "herboeking" in text
    books_ok(w.fund_a)
