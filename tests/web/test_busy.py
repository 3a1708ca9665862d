"""A page that would wait for a lock another session holds answers "busy, try again" within
the lock timeout, writes nothing, and the same form sent again afterwards books once
(issue #10: two concurrent sessions on PostgreSQL; ledger/locks.py, config/busy.py)."""

from __future__ import annotations

import time
import uuid

import pytest
from django.db import OperationalError, connection, connections
from django.test import RequestFactory
from django.urls import reverse

from config.busy import BusyMiddleware
from fund.models import CompartmentKind
from ledger.locks import is_busy
from loans.models import Repayment
from tests.loans.test_loan_helpers import disbursed_loan, funded_team, rows


def test_database_is_locked_on_sqlite_is_the_busy_page(db):
    middleware = BusyMiddleware(lambda request: None)
    request = RequestFactory().post("/leningen/L-1/aflossing/")
    response = middleware.process_exception(request, OperationalError("database is locked"))
    assert response.status_code == 503 and response["Retry-After"] == "10"
    assert "Er is niets opgeslagen" in response.content.decode()
    assert middleware.process_exception(request, OperationalError("no such table")) is None
    assert not is_busy(ValueError("database is locked"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_repayment_while_a_day_end_batch_holds_the_fund(on_postgres, client, settings):
    settings.BURGERFONDS_LOCK_TIMEOUT_MS = 300
    connection.close()  # the next connection gets the short timeout
    team = funded_team()
    loan = disbursed_loan(team)
    first = rows(loan)[0]
    client.force_login(team.manager)
    form = {
        "once": str(uuid.uuid4()),
        "amount": str(first.payment),
        "value_date": first.due_date.isoformat(),
        "reference": "termijn 1",
        "overpayment": "shorten",
    }
    target = reverse("loans:repayment_create", kwargs={"number": loan.number})

    other = connections.create_connection("default")  # a second session, as run_day is
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM fund_compartment WHERE fund_id = %s AND kind = %s FOR UPDATE",
                [team.fund.pk, CompartmentKind.REVOLVING],
            )
        started = time.monotonic()
        response = client.post(target, form)
        waited = time.monotonic() - started
        assert response.status_code == 503, response.status_code
        assert "Even bezig" in response.content.decode()
        assert waited < 5  # answered within the lock timeout, not after the other session
        assert not Repayment.objects.filter(loan=loan).exists()
    finally:
        other.rollback()
        other.close()

    response = client.post(target, form)  # the lock is free: the same form books once
    assert response.status_code == 302
    assert client.post(target, form).status_code == 302
    assert Repayment.objects.filter(loan=loan).count() == 1
