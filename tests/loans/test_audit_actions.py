"""Every audit action the loans side records is a typed constant with a label people read
(loans/audit.py), registered with the fund side's labels (issue #11)."""

from __future__ import annotations

import pytest

from fund.audit_labels import ACTION_LABELS, action_label
from loans.audit import LABELS, LoanAction
from loans.models import ChangeKind, DisposalKind


def test_every_loan_action_has_a_dutch_label():
    assert set(LABELS) == set(LoanAction)
    for action in LoanAction:
        assert action in ACTION_LABELS  # registered at start-up
        assert action_label(action) == str(LABELS[action])
        assert not action_label(action).startswith("Lening:")  # not the fallback


def test_the_actions_of_every_proposal_and_disposal_exist():
    for kind in ChangeKind.values:
        for step in ("propose", "approve", "reject"):
            assert LoanAction.of_change(kind, step) in LABELS
    for kind in DisposalKind.values:
        for step in ("propose", "approve", "reject"):
            assert LoanAction.of_disposal(kind, step) in LABELS
    with pytest.raises(ValueError):
        LoanAction.of_change("restructure", "shrug")
