import pytest
from hypothesis import settings, HealthCheck
from hypothesis.stateful import run_state_machine_as_test
from ledger import services
from tests.ledger.test_state_machine import LedgerMachine

S = settings(max_examples=15, stateful_step_count=20, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))

@pytest.mark.django_db
def test_sabotaged_balances(monkeypatch):
    real = services._apply_to_balances
    monkeypatch.setattr(services, "_apply_to_balances", lambda lines: real(lines[:-1] if len(lines) == 5 else lines))
    run_state_machine_as_test(LedgerMachine, settings=S)

@pytest.mark.django_db
def test_sabotaged_periods(monkeypatch):
    monkeypatch.setattr(services, "_check_periods", lambda book, dates: None)
    run_state_machine_as_test(LedgerMachine, settings=S)

@pytest.mark.django_db
def test_sabotaged_idempotency(monkeypatch):
    monkeypatch.setattr(services, "_existing_for_keys", lambda book, prepared: {})
    run_state_machine_as_test(LedgerMachine, settings=S)
