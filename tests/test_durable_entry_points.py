"""Entry-point services are durable transactions; building blocks join the caller's
(docs/architecture.md, "Services and transactions")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import transaction

from fund import services as fund_services
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent
SERVICE_MODULES = [
    ROOT / "fund" / "services.py",
    ROOT / "fund" / "users.py",
    *sorted((ROOT / "loans" / "services").glob("*.py")),
]
DECORATED = re.compile(r"^@transaction\.atomic(\(.*\))?\ndef (\w+)\(", re.M)


def _decorated():
    for path in SERVICE_MODULES:
        for match in DECORATED.finditer(path.read_text(encoding="utf-8")):
            yield path.relative_to(ROOT).as_posix(), match.group(2), match.group(1) or ""


def test_every_public_service_with_a_transaction_is_durable():
    found = list(_decorated())
    assert len(found) > 30  # the scan sees the services
    not_durable = [
        f"{where}:{name}"
        for where, name, args in found
        if not name.startswith("_") and "durable=True" not in args
    ]
    assert not_durable == []


@pytest.mark.django_db(transaction=True)
def test_an_entry_point_refuses_to_run_inside_another_transaction():
    team = f.create_funded_team(grant="1000.00", revolving="1000.00")
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        fund_services.fund_create(slug="nog-een", name="Nog een fonds", created_by=team.manager)


@pytest.mark.django_db(transaction=True)
def test_the_step_of_an_entry_point_joins_the_callers_transaction():
    team = f.create_funded_team(grant="1000.00", revolving="1000.00")
    commitment = fund_services.commitment_create(
        investor=f.InvestorFactory(),
        compartment=team.fund.compartments.get(kind="revolving"),
        amount="10.00",
        date=f.DAY,
        created_by=team.manager,
    )
    with transaction.atomic():
        contribution = fund_services.contribution_book(
            commitment=commitment, amount="1.00", date=f.DAY, created_by=team.second_manager
        )
        transaction.set_rollback(True)
    assert not type(contribution).objects.filter(pk=contribution.pk).exists()
