import pytest
from hypothesis import settings, HealthCheck
from hypothesis.stateful import run_state_machine_as_test
from ledger import services
from tests.ledger.test_state_machine import LedgerMachine

@pytest.mark.django_db
def test_sabotaged_balances(monkeypatch):
    real = services._apply_to_balances
    def lossy(lines):
        real([ln for ln in lines if ln.debit != 7] if len(lines) > 2 else lines[:-1] if len(lines) == 5 else lines)
    monkeypatch.setattr(services, "_apply_to_balances", lossy)
    run_state_machine_as_test(LedgerMachine, settings=settings(max_examples=15, stateful_step_count=20, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)))

@pytest.mark.django_db
def test_sabotaged_refusal(monkeypatch):
    from ledger import exceptions as exc
    real = services._check_periods
    def leaky(book, dates):
        real(book, dates)
    def post_then_refuse(*a, **k):
        raise exc.UnbalancedEntry("x")
    orig_prepare = services._prepare
    def prepare(book, spec, accounts):
        p = orig_prepare(book, spec, accounts) if all(ln.debit >= 0 and ln.credit >= 0 and not isinstance(ln.debit, bool) and isinstance(ln.debit, int) and isinstance(ln.credit, int) and (ln.debit > 0) != (ln.credit > 0) for ln in spec.lines) else orig_prepare(book, spec, accounts)
        return p
    monkeypatch.setattr(services, "_prepare", prepare)
    # accept entries on inactive accounts: the machine must notice the unexpected success
    from ledger.models import Account
    monkeypatch.setattr(Account, "is_active", property(lambda self: True, lambda self, v: None), raising=False)
    run_state_machine_as_test(LedgerMachine, settings=settings(max_examples=15, stateful_step_count=20, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)))
