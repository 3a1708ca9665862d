"""Deterministic demo data, written through the services only (never raw model saves).

Seeding lives in the top layer because it uses every app's services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.db import transaction

from ledger.models import Book
from ledger.money import to_cents
from ledger.services import Cr, Dr, book_create, entry_post

DEMO_BOOKS = ("rfb", "pef-gelderland")


def is_seeded() -> bool:
    return Book.objects.filter(slug__in=DEMO_BOOKS).exists()


def demo_books():
    return Book.objects.filter(slug__in=DEMO_BOOKS).order_by("slug")


@transaction.atomic
def seed(progress: Callable[[str], object] = print) -> None:
    progress("Seeding demo books...")
    rfb = book_create(slug="rfb", name="Revolverend Fonds Burgercollectieven")
    entry_post(
        book=rfb,
        date=date(2024, 1, 15),
        description="Storting kapitaal Ministerie van BZK",
        lines=[
            Dr("1000", to_cents("2500000.00")),
            Cr("3000", to_cents("2500000.00"), party="INV-BZK"),
        ],
        source_type="demo",
    )
    entry_post(
        book=rfb,
        date=date(2024, 2, 1),
        description="Storting kapitaal Stichting Doen (subsidiecompartiment)",
        lines=[
            Dr("1010", to_cents("400000.00")),
            Cr("3010", to_cents("400000.00"), party="INV-DOEN"),
        ],
        source_type="demo",
    )
    pef = book_create(slug="pef-gelderland", name="Energie Ontwikkelfonds Gelderland")
    entry_post(
        book=pef,
        date=date(2024, 3, 1),
        description="Storting kapitaal Provincie Gelderland",
        lines=[
            Dr("1000", to_cents("1500000.00")),
            Cr("3000", to_cents("1500000.00"), party="INV-GLD"),
        ],
        source_type="demo",
    )


def logins_text() -> str:
    return (
        "Demo-logins (wachtwoord overal: demo): "
        "beheerder, beheerder2, collectief, investeerder, auditor"
    )
