"""A bank file is untrusted: whatever it holds, the import either reads it or refuses it with a
message that names the line; never another exception, and nothing is written."""

from __future__ import annotations

import contextlib
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loans import exceptions as exc
from loans import services
from loans.models import UnmatchedReceipt
from tests.loans.test_loan_helpers import disbursed_loan, funded_team


def test_a_camt_or_mt940_file_is_named_as_such():
    camt = '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
    with pytest.raises(exc.InvalidAmount, match="XML-bestand"):
        services.bank_csv_lines(camt)
    mt940 = ":20:STARTUMS\n:25:NL12RABO0123456789\n:28C:00001\n:60F:C261101EUR1000,00\n"
    with pytest.raises(exc.InvalidAmount, match="MT940"):
        services.bank_csv_lines(mt940)


@pytest.mark.parametrize(
    ("amount", "message"),
    [("NaN", "geen bedrag"), ("10.005", "niet eenduidig"), ("1e3", "geen bedrag"), ("", "")],
)
def test_a_bad_amount_names_its_line(amount, message):
    text = f"datum;bedrag;omschrijving\n2026-11-02;100,00;ok\n2026-11-03;{amount};x\n"
    with pytest.raises(exc.InvalidAmount, match=f"regel 3: .*{message}"):
        services.bank_csv_lines(text)


def test_an_over_long_bank_reference_is_refused():
    text = f"date,amount,reference\n2026-11-02,5.00,{'R' * 101}\n"
    with pytest.raises(exc.InvalidAmount, match="bankkenmerk"):
        services.bank_csv_lines(text)


def test_a_file_with_an_irregular_start_is_still_read():
    text = 'datum;bedrag;omschrijving\n2026-11-02;"1.234,56";"a, b; c"\n2026-11-03;12,00;"x"\n'
    lines = services.bank_csv_lines(text)
    assert [line.amount for line in lines] == [D("1234.56"), D("12.00")]


@pytest.mark.django_db
def test_a_long_payer_name_goes_to_suspense_and_an_import_from_the_future_is_refused():
    team = funded_team()
    disbursed_loan(team)
    name = "Ministerie van Binnenlandse Zaken en Koninkrijksrelaties, directie Wonen"
    lines = services.bank_csv_lines(f"datum;bedrag;naam\n2026-11-20;250,00;{name}\n")
    result = services.repayments_import(fund=team.fund, lines=lines, imported_by=team.manager)
    assert [r.amount for r in result.unmatched] == [D("250.00")]
    assert result.unmatched[0].payer_reference == name[:40]
    future = services.bank_csv_lines("datum;bedrag;naam\n2100-01-01;1000000,00;Iemand\n")
    with pytest.raises(exc.InvalidDate):
        services.repayments_import(fund=team.fund, lines=future, imported_by=team.manager)
    assert UnmatchedReceipt.objects.count() == 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_any_text_is_read_or_refused_with_a_message(text):
    with contextlib.suppress(exc.InvalidAmount):
        services.bank_csv_lines("datum;bedrag;omschrijving;kenmerk\n" + text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_as_text_are_read_or_refused(data):
    with contextlib.suppress(exc.InvalidAmount):
        services.bank_csv_lines(data.decode("latin-1"))
