"""Every kind of journal entry is labelled for its reader and traced to what caused it
(ledger/sources.py): the journal shows no raw source codes, and a loan's entries link to the
loan (issue #9 walker findings, #11)."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse

from ledger import sources
from ledger.models import JournalEntry
from loans.models import ChangeKind, ChargeKind

from .conftest import page_text
from .test_loan_pages import build_loans

ROOT = Path(__file__).resolve().parents[2]


def posted_source_types() -> set[str]:
    """Every source type the code posts under, read from the code itself."""
    found = set()
    for app in ("fund", "loans", "ledger", "reports"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found |= set(re.findall(r'source_type="([a-z_]+\.[a-z_]+)"', path.read_text()))
    found |= {f"loans.{kind}" for kind in ChargeKind.values}
    found |= {f"loans.{kind}" for kind in (ChangeKind.WRITE_OFF, ChangeKind.CONVERSION)}
    return found


def test_every_posted_source_type_has_a_label():
    posted = posted_source_types()
    assert {"loans.repayment", "fund.contribution", "loans.penalty"} <= posted
    missing = posted - set(sources.source_types())
    assert not missing, f"journal sources without a label: {sorted(missing)}"
    for source_type in posted:
        assert sources.source_label(source_type) != source_type


def test_journal_and_entry_page_name_and_link_the_loan(client, world):
    lw = build_loans(world)
    client.force_login(world.manager_a)
    book = world.fund_a.book
    text = page_text(client.get(reverse("reports:journal", args=[book.slug])).content)
    assert "Aflossing" in text and "Uitbetaling lening" in text
    assert "loans.repayment" not in text and "loans.disbursement" not in text
    entry = JournalEntry.objects.get(pk=lw.repayment.entry_id)
    page = client.get(reverse("reports:entry_detail", args=[book.slug, entry.pk]))
    assert reverse("loans:loan_detail", kwargs={"number": lw.loan.number}) in page.content.decode()
    due = JournalEntry.objects.filter(book=book, source_type="loans.interest_due").first()
    page = client.get(reverse("reports:entry_detail", args=[book.slug, due.pk]))
    assert "Rente vervallen" in page_text(page.content)
    assert reverse("loans:loan_detail", kwargs={"number": lw.loan.number}) in page.content.decode()


def test_audit_trail_links_loan_events_to_the_loan(client, world):
    lw = build_loans(world)
    client.force_login(world.manager_a)
    page = client.get(reverse("reports:audit_trail"))
    assert reverse("loans:loan_detail", kwargs={"number": lw.loan.number}) in page.content.decode()
