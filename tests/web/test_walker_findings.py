"""What a walk through the app as each user found, fixed (issue #9, "Done when"): a withdrawal
is confirmed, the member dashboard offers a new application, a proposer can take back their
own loan change, a repayment typed in again after Back is not booked twice unasked."""

from __future__ import annotations

import uuid
from datetime import date

from django.urls import reverse

from fund.models import ApplicationState
from loans import services
from loans.models import ChangeState, LoanChange, Repayment

from .conftest import DAY, page_text
from .test_loan_pages import INSTALMENT, books_ok, build_loans, url


def test_withdrawing_an_application_asks_for_confirmation(client, world):
    client.force_login(world.member_x)
    target = reverse("fund:application_withdraw", kwargs={"number": world.submitted.number})
    detail = client.get(reverse("fund:application_detail", args=[world.submitted.number]))
    assert f'href="{target}"' in detail.content.decode()  # a link to a page, not a button
    page = client.get(target)
    assert "Ik trek deze aanvraag in" in page_text(page.content)
    response = client.post(target, {})
    assert response.status_code == 200
    assert "Vink aan dat u de aanvraag intrekt" in page_text(response.content)
    world.submitted.refresh_from_db()
    assert world.submitted.state == ApplicationState.SUBMITTED
    response = client.post(target, {"confirm": "on"})
    assert response.status_code == 302
    world.submitted.refresh_from_db()
    assert world.submitted.state == ApplicationState.WITHDRAWN


def test_member_dashboard_offers_a_new_application(client, world):
    client.force_login(world.member_x)
    page = client.get(reverse("reports:dashboard"))
    assert reverse("fund:application_create") in page.content.decode()
    assert "Nieuwe aanvraag" in page_text(page.content)


def test_the_proposer_withdraws_their_own_loan_change(client, world):
    lw = build_loans(world)
    decide = url("loans:loan_change_decide", lw)
    client.force_login(world.manager_a)
    page = client.get(decide)
    assert "U kunt het hieronder intrekken" in page_text(page.content)
    # an approval sent anyway is no withdrawal
    response = client.post(decide, {"decision": "approve", "reason": "Eens."})
    assert response.status_code == 200
    assert LoanChange.objects.get(pk=lw.change.pk).state == ChangeState.PROPOSED
    response = client.post(decide, {"withdraw": "on", "reason": "Cijfers kloppen niet."})
    assert response.status_code == 302
    change = LoanChange.objects.get(pk=lw.change.pk)
    assert change.state == ChangeState.WITHDRAWN and change.decision_reason
    # gone from the second manager's queue: there is nothing left to decide
    client.force_login(world.manager_a2)
    response = client.get(decide)
    assert response.status_code == 302


def test_a_repayment_typed_again_after_back_asks_before_booking_twice(client, world):
    lw = build_loans(world)
    client.force_login(world.manager_a)
    form = {
        "amount": INSTALMENT,
        "value_date": DAY.isoformat(),
        "reference": "termijn",
        "overpayment": "shorten",
    }
    target = url("loans:repayment_create", lw)
    first = {**form, "once": str(uuid.uuid4())}
    assert client.post(target, first).status_code == 302
    assert client.post(target, first).status_code == 302  # a double click: the first result
    assert Repayment.objects.filter(loan=lw.loan, value_date=DAY).count() == 1
    # Back, typed again: a new form, a new one-time key
    again = {**form, "once": str(uuid.uuid4())}
    response = client.post(target, again)
    assert response.status_code == 200
    assert "Is dit een tweede betaling" in page_text(response.content)
    assert Repayment.objects.filter(loan=lw.loan, value_date=DAY).count() == 1
    response = client.post(target, {**again, "also_if_twin": "on"})
    assert response.status_code == 302
    assert Repayment.objects.filter(loan=lw.loan, value_date=DAY).count() == 2
    books_ok(world.fund_a)


def test_the_fund_page_activity_links_each_loan_event_to_its_loan(client, world):
    lw = build_loans(world)
    client.force_login(world.manager_a)
    page = client.get(reverse("fund:fund_detail", kwargs={"slug": world.fund_a.slug}))
    assert reverse("loans:loan_detail", kwargs={"number": lw.loan.number}) in page.content.decode()


def test_a_reversal_that_must_wait_says_so_before_the_form(client, world):
    lw = build_loans(world)
    client.force_login(world.manager_a)
    # a prepayment after the first repayment changed the schedule
    services.repayment_record(
        loan=lw.loan, amount="9000.00", value_date=DAY, recorded_by=world.manager_a
    )
    page = client.get(reverse("loans:repayment_reverse", kwargs={"pk": lw.repayment.pk}))
    text = page_text(page.content)
    assert "Draai eerst die terug" in text
    assert page.context["form"] is None
    prepayment = Repayment.objects.filter(loan=lw.loan).latest("pk")
    assert prepayment.version_id is not None


def test_the_schedule_counts_money_paid_ahead_against_the_instalment(client, db):
    from tests.loans.test_loan_helpers import disbursed_loan, funded_team

    team = funded_team()
    loan = disbursed_loan(
        team, day=date(2026, 11, 2), first_due=date(2026, 12, 1), amount="12000.00"
    )
    services.repayment_record(loan=loan, amount="1032.80", value_date=DAY, recorded_by=team.manager)
    client.force_login(team.manager)
    page = client.get(reverse("loans:loan_detail", kwargs={"number": loan.number}))
    first = page.context["schedule"]["rows"][0]
    assert (first["status"], first["open"]) == ("ahead", 0)
    assert "Vooruitbetaald" in page_text(page.content)


def test_the_view_not_the_template_decides_who_may_contract_a_loan(client, world):
    lw = build_loans(world)
    target = reverse("loans:loan_contract", kwargs={"number": lw.contractable.number})
    detail = reverse("fund:application_detail", kwargs={"number": lw.contractable.number})
    client.force_login(world.manager_a)
    page = client.get(detail)
    assert page.context["actions"]["contract"] and target in page.content.decode()
    client.force_login(world.auditor)
    page = client.get(detail)
    assert not page.context["actions"]["contract"] and target not in page.content.decode()
