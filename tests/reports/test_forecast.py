"""The pool forecast (reports/forecast.py, docs/statements.md "Pool forecast"): a worked
example month by month, the cautious line, the timing of disbursements and grants, the pool
arithmetic, constant queries, the page's permissions and its CSV.

The clock is frozen at 28-11-2026 (tests/conftest.py), so the forecast's first month is
November 2026 (28 to 30 November) and its 24th October 2028.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from fund.models import Application, ApplicationKind, Fund, Grant
from fund.selectors import compartment_position
from fund.services import application_commitment_use
from ledger import clock
from ledger.money import ZERO, format_amount
from loans import services
from loans.models import Loan
from loans.selectors import loan_position
from reports.forecast import pool_forecast
from tests.factories import (
    approved_application,
    awarded_grant,
    create_auditor,
    create_fund_team,
    create_funded_team,
    create_investor_user,
    member_of,
    pay_grant,
)
from tests.loans.test_loan_helpers import (
    approved_loan_application,
    contracted_loan,
    disburse,
    disbursed_loan,
    make_product,
    rows,
)

D = Decimal
TODAY = date(2026, 11, 28)
NOV, DEC, JAN = date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)


@dataclass
class World:
    team: object
    current: Loan  # disbursed, paid up, 300.00 paid ahead of its December instalment
    slightly_late: Loan  # 8 days past due: still in the cautious line
    late: Loan  # 88 days past due: left out of the cautious line
    contracted: Loan  # contracted, nothing paid out, a tranche proposed for 10-01-2027
    application: Application  # approved loan application, not contracted
    grant: Grant  # awarded 10,000.00, 4,000.00 paid
    grant_application: Application  # approved grant application, not awarded

    @property
    def fund(self) -> Fund:
        return self.team.fund


def build_world(clock_at) -> World:
    team = create_funded_team(grant="100000.00", revolving="500000.00")
    make_product(team)  # 6 % a year, annuity, monthly
    by = team.manager

    current = disbursed_loan(
        team,
        amount="12000.00",
        term_months=12,
        day=date(2026, 10, 15),
        first_due=date(2026, 11, 15),
    )
    first = rows(current)[0]
    assert first.payment == D("1032.80")
    services.repayment_record(
        loan=current, amount=first.payment, value_date=date(2026, 11, 15), recorded_by=by
    )
    services.repayment_record(
        loan=current, amount="300.00", value_date=date(2026, 11, 20), recorded_by=by
    )
    slightly_late = disbursed_loan(
        team, amount="3000.00", term_months=6, day=date(2026, 10, 20), first_due=date(2026, 11, 20)
    )
    late = disbursed_loan(
        team, amount="6000.00", term_months=12, day=date(2026, 8, 1), first_due=date(2026, 9, 1)
    )
    contracted = contracted_loan(
        team,
        amount="20000.00",
        term_months=24,
        day=date(2026, 11, 20),
        first_due=date(2026, 12, 20),
    )
    # A tranche proposed for a day after today. tranche_propose refuses a date after today, so
    # the clock goes to that day to propose it and comes back: the forecast must still put
    # it in its own month.
    clock_at(date(2027, 1, 10))
    services.tranche_propose(
        loan=contracted, amount="8000.00", date=date(2027, 1, 10), proposed_by=by
    )
    clock_at(TODAY)
    application = approved_loan_application(team, amount="15000.00", term_months=36)
    grant = awarded_grant(team=team, amount="10000.00")
    pay_grant(grant=grant, amount="4000.00", team=team)
    grant_application = approved_application(
        team=team, kind=ApplicationKind.GRANT, amount="2500.00"
    )
    return World(
        team=team,
        current=current,
        slightly_late=slightly_late,
        late=late,
        contracted=contracted,
        application=application,
        grant=grant,
        grant_application=grant_application,
    )


@pytest.fixture
def world(db, clock_at) -> World:
    return build_world(clock_at)


def month_index(day: date) -> int:
    return (day.year - 2026) * 12 + day.month - 11


def schedule_by_month(loan: Loan, advance: Decimal = ZERO) -> dict[int, tuple[Decimal, Decimal]]:
    """What the loan's schedule rows due from today on ask, by forecast month: (principal,
    interest); ``advance`` paid ahead meets the first of them, interest first."""
    result: dict[int, tuple[Decimal, Decimal]] = {}
    for row in rows(loan):
        if row.due_date < TODAY:
            continue
        interest, principal = row.interest, row.principal
        used = min(advance, interest)
        interest, advance = interest - used, advance - used
        used = min(advance, principal)
        principal, advance = principal - used, advance - used
        p, i = result.get(month_index(row.due_date), (ZERO, ZERO))
        result[month_index(row.due_date)] = (p + principal, i + interest)
    return result


# --- the worked example ------------------------------------------------------------------


def test_worked_example_month_by_month(world):
    forecast = pool_forecast(world.fund, TODAY)
    assert len(forecast.rows) == 24
    assert [r.month for r in forecast.rows[:3]] == [NOV, DEC, JAN]
    assert forecast.rows[-1].month == date(2028, 10, 1)
    assert forecast.rows[0].label == "11-2026"
    assert forecast.rows[-1].end == date(2028, 10, 31)

    # Start: the revolving compartment's available pool today.
    revolving = compartment_position(world.team.revolving)
    cash = D("500000.00") - D("12000.00") - D("3000.00") - D("6000.00") + D("1032.80") + D("300")
    assert forecast.cash == revolving.cash == cash == D("480332.80")
    assert forecast.reserved == revolving.reserved == D("20000.00") + D("15000.00")
    assert forecast.start == revolving.available == D("445332.80")

    # The days past due as of today decide the cautious line.
    assert loan_position(loan=world.late, as_of=TODAY).days_past_due == 88
    assert loan_position(loan=world.slightly_late, as_of=TODAY).days_past_due == 8
    assert loan_position(loan=world.current, as_of=TODAY).days_past_due == 0
    assert forecast.late_loans == (world.late.number,)

    # Known figures. December 2026: the current loan's instalment of 15-12 (interest 55.14,
    # principal 977.66) less the 300.00 held ahead (interest first: 55.14 + 244.86), the
    # late loan's of 01-12 (22.67 + 493.73) and the slightly late loan's of 20-12.
    late_dec = rows(world.late)[3]
    assert (late_dec.due_date, late_dec.interest, late_dec.principal) == (
        date(2026, 12, 1),
        D("22.67"),
        D("493.73"),
    )
    current_dec = rows(world.current)[1]
    assert (current_dec.interest, current_dec.principal) == (D("55.14"), D("977.66"))
    small_dec = rows(world.slightly_late)[1]
    dec = forecast.rows[1]
    assert dec.principal == D("732.80") + D("493.73") + small_dec.principal
    assert dec.interest == D("0.00") + D("22.67") + small_dec.interest
    assert dec.cautious_principal == D("732.80") + small_dec.principal
    assert dec.cautious_interest == small_dec.interest

    # Every month: exactly what the schedules' rows still ask, to the cent.
    loans = {
        "current": schedule_by_month(world.current, advance=D("300.00")),
        "slightly_late": schedule_by_month(world.slightly_late),
        "late": schedule_by_month(world.late),
    }
    for i, row in enumerate(forecast.rows):
        parts = {name: by_month.get(i, (ZERO, ZERO)) for name, by_month in loans.items()}
        assert row.principal == sum((p for p, _ in parts.values()), ZERO), row.month
        assert row.interest == sum((x for _, x in parts.values()), ZERO), row.month
        assert row.cautious_principal == row.principal - parts["late"][0], row.month
        assert row.cautious_interest == row.interest - parts["late"][1], row.month
    # Nothing falls due between today and the end of November; the last instalment is the
    # current loan's of 15-10-2027.
    assert (forecast.rows[0].principal, forecast.rows[0].interest) == (ZERO, ZERO)
    assert forecast.rows[11].month == date(2027, 10, 1) and forecast.rows[11].principal > 0
    assert all(r.principal == r.interest == ZERO for r in forecast.rows[12:])

    # What the schedules expect in all adds up to the outstanding principal less the
    # arrears and the advance: every cent comes in exactly once.
    outstanding = sum(
        (
            loan_position(loan=loan, as_of=TODAY).principal
            for loan in (world.current, world.slightly_late, world.late)
        ),
        ZERO,
    )
    totals = forecast.totals
    overdue_principal = sum(
        (
            r.principal
            for loan in (world.slightly_late, world.late)
            for r in rows(loan)
            if r.due_date < TODAY
        ),
        ZERO,
    )
    assert totals.principal == outstanding - overdue_principal - (D("300.00") - D("55.14"))

    # Arrears already overdue are not expected: 3 instalments of the late loan, 1 of the
    # slightly late one.
    assert forecast.arrears == 3 * D("516.40") + rows(world.slightly_late)[0].payment


def test_disbursements_in_their_month_and_reserved(world):
    forecast = pool_forecast(world.fund, TODAY)
    nov, dec, jan = forecast.rows[:3]
    # The contracted loan's 20,000.00: the tranche proposed for 10-01-2027 in January, the
    # rest in the first month; the approved application's 15,000.00 in the first month.
    assert nov.disbursements == D("12000.00") + D("15000.00")
    assert dec.disbursements == ZERO
    assert jan.disbursements == D("8000.00")
    assert all(r.disbursements == ZERO for r in forecast.rows[3:])
    # Both approvals reserve all of it: the start figure has it subtracted already.
    assert [r.disbursements_reserved for r in forecast.rows] == [
        r.disbursements for r in forecast.rows
    ]
    assert forecast.totals.disbursements == forecast.reserved == D("35000.00")
    assert forecast.reserved_left == ZERO
    items = [
        (d.month, d.reference, d.amount, d.reserved, d.proposed) for d in forecast.disbursements
    ]
    assert items == sorted(
        [
            (NOV, world.contracted.number, D("12000.00"), D("12000.00"), None),
            (NOV, world.application.number, D("15000.00"), D("15000.00"), None),
            (JAN, world.contracted.number, D("8000.00"), D("8000.00"), date(2027, 1, 10)),
        ],
        key=lambda item: (item[0], item[1]),
    )


def test_pool_end_arithmetic_every_month(world):
    forecast = pool_forecast(world.fund, TODAY)
    pool = cautious = forecast.start
    for row in forecast.rows:
        pool += row.principal + row.interest - (row.disbursements - row.disbursements_reserved)
        cautious += row.cautious_principal + row.cautious_interest
        cautious -= row.disbursements - row.disbursements_reserved
        assert row.pool_end == pool, row.month
        assert row.cautious_pool_end == cautious, row.month
        assert row.cautious_pool_end <= row.pool_end
    # No reservation is left at the end: the pool is the cash today plus everything that
    # comes in less everything that goes out.
    totals = forecast.totals
    assert totals.pool_end == (
        forecast.cash + totals.principal + totals.interest - totals.disbursements
    )
    assert totals.pool_end == forecast.rows[-1].pool_end
    assert totals.cautious_pool_end == forecast.rows[-1].cautious_pool_end
    # The late loan's whole remaining schedule is what the cautious line gives up.
    late = schedule_by_month(world.late)
    assert totals.pool_end - totals.cautious_pool_end == sum(
        (p + i for p, i in late.values()), ZERO
    )
    # The first month: nothing falls due, all paid out is reserved: the pool stays.
    assert forecast.rows[0].pool_end == forecast.start == D("445332.80")


def test_grants_to_pay_in_the_first_month(world):
    forecast = pool_forecast(world.fund, TODAY)
    grant = compartment_position(world.team.grant)
    assert forecast.rows[0].grants_to_pay == D("6000.00") + D("2500.00")
    assert forecast.rows[0].grants_to_pay == grant.payable + grant.reserved
    assert all(r.grants_to_pay == ZERO for r in forecast.rows[1:])
    assert forecast.totals.grants_to_pay == D("8500.00")
    assert [(g.reference, g.amount, g.awarded) for g in forecast.grants] == [
        (world.grant.number, D("6000.00"), True),
        (world.grant_application.number, D("2500.00"), False),
    ]
    assert forecast.grant_cash == grant.cash == D("100000.00") - D("4000.00")
    # Grants are paid from the grant compartment: they do not move the revolving pool.
    assert forecast.rows[0].pool_end == forecast.start


def test_a_shorter_forecast_is_the_start_of_the_longer_one(world):
    long = pool_forecast(world.fund, TODAY)
    short = pool_forecast(world.fund, TODAY, months=12)
    assert short.rows == long.rows[:12]
    assert short.totals.pool_end == long.rows[11].pool_end
    with pytest.raises(ValueError):
        pool_forecast(world.fund, TODAY, months=0)


def test_money_is_decimal_in_cents(world):
    forecast = pool_forecast(world.fund, TODAY)
    for row in forecast.rows:
        for name in (
            "principal",
            "interest",
            "disbursements",
            "disbursements_reserved",
            "grants_to_pay",
            "pool_end",
            "cautious_principal",
            "cautious_interest",
            "cautious_pool_end",
        ):
            value = getattr(row, name)
            assert isinstance(value, Decimal), name
            assert value.as_tuple().exponent == -2, (name, value)


# --- reservations, grace -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_disbursement_beyond_its_reservation_lowers_the_pool(clock_at):
    """When an approval reserves less than is still to be paid out, the rest lowers the pool
    in the month it is paid out; the reservation meets the first tranches first."""
    team = create_funded_team(grant=None, revolving="100000.00")
    make_product(team)
    loan = contracted_loan(
        team, amount="20000.00", term_months=24, day=date(2026, 11, 20), first_due=None
    )
    clock_at(date(2027, 1, 10))
    services.tranche_propose(
        loan=loan, amount="8000.00", date=date(2027, 1, 10), proposed_by=team.manager
    )
    clock_at(TODAY)
    application_commitment_use(
        application=loan.application,
        amount=D("2000.00"),
        used_by=team.manager,
        reason="deel van de reservering vervallen",
    )
    forecast = pool_forecast(team.fund, TODAY)
    assert forecast.reserved == D("18000.00")
    assert forecast.start == D("82000.00")
    nov, dec, jan = forecast.rows[:3]
    assert (nov.disbursements, nov.disbursements_reserved) == (D("12000.00"), D("12000.00"))
    assert (jan.disbursements, jan.disbursements_reserved) == (D("8000.00"), D("6000.00"))
    assert [r.pool_end for r in (nov, dec, jan)] == [D("82000.00"), D("82000.00"), D("80000.00")]
    assert forecast.totals.pool_end == D("100000.00") - D("20000.00")


@pytest.mark.django_db
def test_a_reservation_no_disbursement_uses_stays_out_of_the_pool():
    """A loan written off while being paid out keeps its application's reservation (the
    write-off does not release it): nothing more is paid out, and the reservation keeps that
    money out of the pool, as it keeps it out of ``available``."""
    team = create_funded_team(grant=None, revolving="100000.00")
    make_product(team)
    loan = contracted_loan(
        team, amount="20000.00", term_months=24, day=date(2026, 11, 1), first_due=None
    )
    disburse(loan, "12000.00", date(2026, 11, 1), team.manager, team.second_manager)
    change = services.loan_change_propose(
        loan=loan,
        kind="write_off",
        effective_date=TODAY,
        proposed_by=team.manager,
        reason="Collectief failliet.",
    )
    services.loan_change_decide(
        change=change, decided_by=team.second_manager, approve=True, reason="Akkoord."
    )
    loan.refresh_from_db()
    assert (loan.state, loan.disbursed) == ("written_off", D("12000.00"))
    forecast = pool_forecast(team.fund, TODAY)
    assert forecast.disbursements == ()
    assert forecast.reserved == forecast.reserved_left == D("8000.00")
    assert forecast.start == D("100000.00") - D("12000.00") - D("8000.00")
    assert {r.pool_end for r in forecast.rows} == {forecast.start}
    assert forecast.late_loans == ()


@pytest.mark.django_db
def test_a_loan_in_full_grace_asks_nothing_in_its_grace_months():
    team = create_funded_team(grant=None, revolving="100000.00")
    make_product(team)
    loan = contracted_loan(
        team,
        amount="10000.00",
        term_months=6,
        day=date(2026, 11, 1),
        first_due=date(2026, 12, 1),
        grace_full=2,
        grace_interest="capitalise",
    )
    disburse(loan, "10000.00", date(2026, 11, 1), team.manager, team.second_manager)
    schedule = rows(loan)
    assert [r.payment for r in schedule[:2]] == [ZERO, ZERO]
    assert schedule[0].interest > 0
    forecast = pool_forecast(team.fund, TODAY)
    dec, jan, feb = forecast.rows[1:4]
    assert (dec.principal, dec.interest, jan.principal, jan.interest) == (ZERO,) * 4
    assert feb.principal + feb.interest == schedule[2].payment
    assert forecast.totals.principal == D("10000.00") + schedule[0].interest + schedule[1].interest


# --- queries -----------------------------------------------------------------------------


# 5 for the compartments' positions (fund.selectors.fund_positions: the account codes, the
# balances, the compartments, the reservations of each), 1 the loans, 4 their positions
# (loans.services.position.loan_statuses), 1 the approvals still reserved, 1 the open tranche
# proposals, 2 the grants payable on 2000 and their collectives.
QUERIES = 14


def portfolio(size: int) -> Fund:
    """``size`` loans of every kind the forecast reads: paid out and late, paid up with money
    held ahead, contracted with a tranche proposed, approved applications and grants."""
    team = create_funded_team(grant="50000.00", revolving=str(size * 9000))
    make_product(team)
    loans = [disbursed_loan(team, amount="6000.00", term_months=12) for _ in range(size)]
    services.repayment_record(
        loan=loans[0], amount="1000.00", value_date=date(2026, 2, 1), recorded_by=team.manager
    )
    for _ in range(2):
        contracted = contracted_loan(
            team, amount="1000.00", term_months=12, day=TODAY, first_due=None
        )
    services.tranche_propose(loan=contracted, amount="400.00", date=TODAY, proposed_by=team.manager)
    approved_loan_application(team, amount="500.00", term_months=12)
    grant = awarded_grant(team=team, amount="1000.00")
    pay_grant(grant=grant, amount="100.00", team=team)
    approved_application(team=team, kind=ApplicationKind.GRANT, amount="200.00")
    return Fund.objects.select_related("book").get(pk=team.fund.pk)


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_number_of_loans(django_assert_num_queries):
    small, large = portfolio(5), portfolio(50)
    assert Loan.objects.filter(fund=large).count() == 52
    with django_assert_num_queries(QUERIES):
        forecast = pool_forecast(small, TODAY)
    assert len(forecast.late_loans) == 5
    with django_assert_num_queries(QUERIES):
        forecast = pool_forecast(large, TODAY)
    assert len(forecast.late_loans) == 50
    assert forecast.rows[0].disbursements == D("2000.00") + D("500.00")


# --- the page ----------------------------------------------------------------------------


def url(fund: Fund, **query) -> str:
    path = reverse("reports:pool_forecast", kwargs={"slug": fund.slug})
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_page_for_managers_of_the_fund_and_auditors_only(world, client):
    page = url(world.fund)
    client.force_login(world.team.manager)
    response = client.get(page)
    assert response.status_code == 200
    assert response.context["forecast"].rows == pool_forecast(world.fund, TODAY).rows
    client.force_login(create_auditor())
    assert client.get(page).status_code == 200
    for outsider in (
        create_fund_team().manager,  # manager of another fund
        member_of(world.current.collective),
        create_investor_user(),
    ):
        client.force_login(outsider)
        assert client.get(page).status_code == 404
        assert client.get(url(world.fund, format="csv")).status_code == 404
    client.logout()
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(world.team.manager)
    assert client.post(page).status_code == 405
    assert client.get(url(Fund(slug="geen-fonds"))).status_code == 404


def test_page_shows_chart_table_and_totals(world, client):
    client.force_login(world.team.manager)
    response = client.get(url(world.fund))
    body = response.content.decode()
    assert '<figure class="chart">' in body
    # The chart is the server's SVG as an image (its own styles work under the page's CSP).
    image = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', body)
    svg = base64.b64decode(image.group(1)).decode()
    assert svg.startswith("<svg") and "<script" not in svg and "<script" not in body
    assert "11-2026" in body and "10-2028" in body
    assert "€\xa0445.332,80" in body  # the start, in Dutch
    totals = pool_forecast(world.fund, TODAY).totals
    assert format_amount(totals.pool_end) in body
    assert format_amount(totals.cautious_pool_end) in body
    assert url(world.fund, format="csv").replace("&", "&amp;") in body
    assert world.late.number in body  # named as left out of the cautious line


def test_csv_one_row_per_month_parses_back(world, client):
    client.force_login(world.team.manager)
    response = client.get(url(world.fund, format="csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="poolprognose-{world.fund.slug}-2026-11-28.csv"'
    )
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8")), delimiter=";"))
    header, body = lines[0], lines[1:]
    assert header == [
        "maand",
        "aflossing",
        "rente",
        "uitbetalingen",
        "waarvan_gereserveerd",
        "subsidies_te_betalen",
        "pool_einde_maand",
        "voorzichtig_aflossing",
        "voorzichtig_rente",
        "voorzichtig_pool_einde_maand",
    ]
    forecast = pool_forecast(world.fund, clock.today())
    assert len(body) == len(forecast.rows) == 24
    for line, row in zip(body, forecast.rows, strict=True):
        assert date.fromisoformat(line[0]) == row.month
        assert [D(v) for v in line[1:]] == [
            row.principal,
            row.interest,
            row.disbursements,
            row.disbursements_reserved,
            row.grants_to_pay,
            row.pool_end,
            row.cautious_principal,
            row.cautious_interest,
            row.cautious_pool_end,
        ]
    assert body[1][1] == str(forecast.rows[1].principal)  # 1234.56: a point, no grouping
