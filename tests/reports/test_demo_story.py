"""The demo tells the fund's story truthfully: dated history, a healthy revolving portfolio,
large enough for the portfolio, impact and forecast figures to mean something."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from fund.models import Application, ApplicationKind, ApplicationState, Fund, GrantPayment
from ledger import clock
from ledger.models import AuditEvent, JournalEntry
from loans import selectors
from loans.models import SERVICED_STATES, Disbursement, Loan, LoanState
from reports import demo


@pytest.mark.django_db
def test_demo_seeds_a_dated_healthy_history():
    demo.seed(progress=lambda _: None)
    today = clock.today()
    assert not JournalEntry.objects.filter(date__gt=today).exists()
    assert all(timezone.localdate(e.at) <= today for e in AuditEvent.objects.all())
    first = Disbursement.objects.order_by("date").first()
    entry = JournalEntry.objects.filter(source_type="loans.disbursement").order_by("date").first()
    assert first.date <= today - timedelta(days=600)
    assert timezone.localdate(entry.created_at) == entry.date
    rfb, eof = Fund.objects.get(slug="rfb"), Fund.objects.get(slug="eof-gelderland")
    assert 0.05 <= selectors.portfolio_par30(rfb, today) <= 0.15
    assert 0 < selectors.portfolio_par30(eof, today) <= 0.15
    assert selectors.portfolio_relent(rfb)["relent"] > 0
    assert GrantPayment.objects.filter(grant__fund=eof).exists()
    _assert_portfolio(rfb, eof, today)
    call_command("ledger_check")


def _assert_portfolio(rfb, eof, today):
    """Over 40 loans over both funds, contracted in each of the three years of the story,
    mostly current, some late in three or more arrears buckets (whatever day of the month the
    demo is seeded), some repaid, some still to be paid out, and the next ones approved."""
    loans = list(Loan.objects.select_related("fund", "collective", "application"))
    assert len(loans) == len(demo.LOAN_STORIES) >= 40
    per_fund = Counter(loan.fund.slug for loan in loans)
    assert per_fund["rfb"] >= 25 and per_fund["eof-gelderland"] >= 12
    for fund in (rfb, eof):
        years = {
            (loan.contracted_on.year - demo.M(0).year) * 12
            + loan.contracted_on.month
            - demo.M(0).month
            for loan in loans
            if loan.fund == fund
        }
        assert {month // 12 for month in years} == {0, 1, 2}, fund.slug
    assert {loan.product.code for loan in loans} == {"ONT", "WON", "VFS", "EOF"}
    amounts = [loan.principal for loan in loans]
    assert min(amounts) <= 20_000 and max(amounts) >= 250_000

    serviced = [loan for loan in loans if loan.state in SERVICED_STATES]
    buckets = Counter(p.bucket for p in selectors.loan_positions(serviced, today))
    assert len(set(buckets) - {"current"}) >= 3, buckets
    assert buckets["current"] >= 0.7 * len(serviced), buckets
    states = Counter(loan.state for loan in loans)
    assert states[LoanState.REPAID] >= 4
    assert states[LoanState.WRITTEN_OFF] == states[LoanState.CONVERTED] == 1
    # Tranches still to be paid out, in both funds: the forecast's expected disbursements.
    waiting = {loan.fund.slug for loan in loans if loan.disbursed < loan.principal
               and loan.state in (LoanState.CONTRACTED, LoanState.DISBURSING)}  # fmt: skip
    assert waiting == {"rfb", "eof-gelderland"}
    approved = Application.objects.filter(
        kind=ApplicationKind.LOAN, state=ApplicationState.APPROVED, loan__isnull=True
    )
    assert {a.fund.slug for a in approved} == {"rfb", "eof-gelderland"}

    # The borrowers: every kind of collective, all over the country; the impact the
    # applications record.
    assert len({loan.collective.kind for loan in loans}) >= 7
    assert len({loan.collective.municipality for loan in loans}) >= 25
    for loan in loans:
        application = loan.application
        assert application.households_reached and application.volunteers, loan.number
        assert application.sdgs, loan.number
        if loan.collective.kind == "energy":
            assert application.kwh_per_year, loan.number
    assert len({loan.application.households_reached for loan in loans}) >= 35
