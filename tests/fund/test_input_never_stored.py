"""Input that should never be stored (issue #10): look-alike digits in a KvK number,
invisible characters in what becomes a ledger key, loan products outside the engine's
bounds, a write-off proposal above what is outstanding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fund import services as fs
from fund.models import Collective, Investor
from ledger import exceptions as ledger_exc
from ledger.services import Cr, Dr, entry_post
from loans import exceptions as loan_exc
from loans import services as ls
from loans.models import LoanProduct
from tests import factories as f
from tests.loans.test_loan_helpers import disbursed_loan, funded_team, make_product

pytestmark = pytest.mark.django_db


def register(kvk: str, user):
    return fs.collective_register(
        registered_by=user,
        name=f"Energie {kvk}",
        kind="energy",
        legal_form="cooperatie",
        kvk_number=kvk,
        iban="NL91ABNA0417164300",
        city="Zutphen",
        municipality="Zutphen",
    )


@pytest.mark.parametrize("lookalike", ["５８３５２２６９", "٥٨٣٥٢٢٦٩", "۵۸۳۵۲۲۶۹"])
def test_a_kvk_number_in_other_digits_is_the_same_number(lookalike):
    user = f.create_user()
    first = register("58352269", user)
    assert first.kvk_number == "58352269"
    with pytest.raises(ValidationError) as refused:
        register(lookalike, user)
    assert "kvk_number" in refused.value.message_dict
    assert Collective.objects.filter(kvk_number__contains="5835").count() == 1


def test_a_lookalike_kvk_number_is_stored_in_ascii():
    collective = register("٥٨٣٥٢٢٦٩", f.create_user())
    assert collective.kvk_number == "58352269"


@pytest.mark.parametrize("code", ["PROV\u202e", "PR\u200bOV", "PROV\n", "PRÖV?", " PROV"])
def test_an_investor_code_with_invisible_or_odd_characters_is_refused(code):
    manager = f.create_fund_team().manager
    with pytest.raises(ValidationError):
        fs.investor_create(code=code, name="Provincie", kind="province", created_by=manager)
    assert not Investor.objects.filter(name="Provincie").exists()


def test_the_ledger_refuses_an_invisible_character_in_a_key():
    team = funded_team()
    with pytest.raises(ledger_exc.InvalidText, match="U\\+202E"):
        entry_post(
            book=team.fund.book,
            date=date(2026, 11, 2),
            description="test",
            lines=[Dr("1000", 100), Cr("1900", 100, party="NL91\u202eABNA")],
            source_type="test",
        )


def test_a_payer_named_with_invisible_characters_is_kept_readable_in_suspense():
    team = funded_team()
    receipt = ls.receipt_record_unmatched(
        fund=team.fund,
        amount="10.00",
        value_date=date(2026, 11, 2),
        payer_reference="J. de\u202e Vries\u200b",
        recorded_by=team.manager,
    )
    assert receipt.payer_reference == "J. de Vries"


BAD_PRODUCT = [
    {"annual_rate": Decimal("-1")},
    {"annual_rate": Decimal("100.000001")},
    {"success_premium_pct": Decimal("-0.5")},
    {"success_premium_pct": Decimal("101")},
    {"penalty_rate": Decimal("-1")},
    {"penalty_rate": Decimal("150")},
    {"decimals": 3},
    {"max_amount": Decimal("0")},
    {"instalment_multiple": Decimal("0")},
    {"instalment_multiple": Decimal("-5")},
    {"max_term_months": 0},
    {"max_term_months": 601},
    {"code": "DEV\u202e"},
]


@pytest.mark.parametrize("fields", BAD_PRODUCT, ids=[next(iter(b)) for b in BAD_PRODUCT])
def test_a_loan_product_outside_the_bounds_is_refused(fields):
    team = funded_team()
    with pytest.raises(ValidationError):
        make_product(team, **fields)
    assert not LoanProduct.objects.filter(fund=team.fund).exists()


def test_the_database_holds_the_product_bounds_too():
    team = funded_team()
    product = make_product(team)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        LoanProduct.objects.filter(pk=product.pk).update(annual_rate=Decimal("-1"))


def test_a_write_off_proposal_above_the_outstanding_principal_is_refused():
    team = funded_team()
    loan = disbursed_loan(team, amount="12000.00")
    with pytest.raises(loan_exc.InvalidAmount, match="kleiner zijn dan"):
        ls.loan_change_propose(
            loan=loan,
            kind="write_off",
            effective_date=date(2026, 1, 20),
            proposed_by=team.manager,
            reason="te veel",
            amount="12000.01",
        )
    assert not loan.changes.filter(kind="write_off").exists()


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("begroting.pdf", b"%PDF-1.4\n%...", True),
        ("begroting.pdf", b"<html><script>alert(1)</script></html>", False),
        ("foto.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, True),
        ("foto.png", b"%PDF-1.4", False),
        ("statuten.txt", "Statuten van de coöperatie\n".encode(), True),
        ("statuten.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 20, False),
        ("leden.csv", b"naam;bedrag\nJan;10\n", True),
        ("offerte.docx", b"<html>not a zip</html>", False),
    ],
)
def test_an_attachment_must_be_what_its_name_says(name, content, ok, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fund import exceptions as fund_exc
    from fund.models import Attachment

    settings.MEDIA_ROOT = tmp_path
    team = f.create_funded_team()
    application = f.draft_application(team=team)
    member = application.collective.members.first()
    upload = SimpleUploadedFile(name, content)
    if ok:
        assert fs.attachment_add(application=application, file=upload, uploaded_by=member)
    else:
        with pytest.raises(fund_exc.InvalidFile, match="geen echt"):
            fs.attachment_add(application=application, file=upload, uploaded_by=member)
        assert not Attachment.objects.filter(application=application).exists()
