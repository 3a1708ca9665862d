"""The demo tells the fund's story truthfully: dated history, a healthy revolving portfolio."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from fund.models import Fund, GrantPayment
from ledger import clock
from ledger.models import AuditEvent, JournalEntry
from loans import selectors
from loans.models import Disbursement, Loan
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
    assert selectors.portfolio_relent(rfb)["relent"] > 0
    assert Loan.objects.filter(fund=eof).exists()
    assert GrantPayment.objects.filter(grant__fund=eof).exists()
    call_command("ledger_check")
