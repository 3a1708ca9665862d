"""Reconciliation of the loan sub-ledger with the control accounts, for ``ledger_check``.

For every loan of the book's fund: outstanding principal (schedule rows less principal
allocations) against its 1200 balance, interest posted due and unpaid against 1210, unpaid fees
and premiums against 1220, open accruals against 1230 and money paid ahead and not yet
allocated against 2100. Any contract key on those accounts
that names no loan of the fund is reported too. Receipts in suspense (1900) are reconciled per
payer (:func:`reconcile_suspense`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ledger import chart
from ledger.models import Balance
from ledger.money import to_cents

ACCOUNTS = (
    chart.LOANS_PRINCIPAL,
    chart.INTEREST_RECEIVABLE,
    chart.FEES_RECEIVABLE,
    chart.INTEREST_ACCRUED,
    chart.ADVANCES,
)


def reconcile_loans(book, report) -> None:
    from .models import Accrual, Loan
    from .services import loan_statuses

    fund = getattr(book, "fund", None)
    if fund is None:
        return
    ledger: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACCOUNTS, 0))
    rows = Balance.objects.filter(
        account__book=book, account__code__in=ACCOUNTS, kind="contract"
    ).values_list("key", "account__code", "debit", "credit")
    for key, code, debit, credit in rows:
        ledger[key][code] += debit - credit
    loans = list(Loan.objects.filter(fund=fund).select_related("collective"))
    statuses = loan_statuses(loans)
    accrued_by_loan: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    open_accruals = Accrual.objects.filter(loan__fund=fund, reversal_entry__isnull=True)
    for loan_id, amount in open_accruals.values_list("loan_id", "amount"):
        accrued_by_loan[loan_id] += amount
    numbers = set()
    for loan in loans:
        numbers.add(loan.number)
        position = statuses[loan.pk]
        accrued = accrued_by_loan[loan.pk]
        expected = {
            chart.LOANS_PRINCIPAL: position.outstanding_principal(),
            chart.INTEREST_RECEIVABLE: position.interest_receivable(),
            chart.FEES_RECEIVABLE: position.fees_receivable(),
            chart.INTEREST_ACCRUED: accrued,
            chart.ADVANCES: -position.advance,  # a liability: a credit balance
        }
        for code, amount in expected.items():
            booked = ledger[loan.number][code]
            if to_cents(amount) != booked:
                report.differences.append(
                    f"loan {loan.number}: {code} in the loan sub-ledger is {amount}, "
                    f"in the ledger {booked / 100:.2f}"
                )
    for key, balances in ledger.items():
        if key not in numbers and key.startswith("L-") and any(balances.values()):
            report.differences.append(f"contract {key} has loan balances but is no loan")
    report.checked["loans"] = len(numbers)


def reconcile_suspense(book, report) -> None:
    """Receipts in suspense not yet matched, refunded or booked elsewhere, per payer, against
    the payer's balance on 1900."""
    from django.db.models import Q

    from .models import ChangeState, UnmatchedReceipt

    fund = getattr(book, "fund", None)
    if fund is None:
        return
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    rows = Balance.objects.filter(account__book=book, account__code=chart.SUSPENSE, kind="party")
    for code, key, debit, credit in rows.values_list("account__code", "key", "debit", "credit"):
        totals[(code, key)][0] += debit
        totals[(code, key)][1] += credit
    balances = {k: (v[0], v[1]) for k, v in totals.items()}
    open_receipts = UnmatchedReceipt.objects.filter(fund=fund, repayment__isnull=True).exclude(
        Q(disposals__state=ChangeState.EXECUTED)
    )
    expected: dict[str, int] = defaultdict(int)
    for receipt in open_receipts:
        expected[receipt.payer_reference] += to_cents(receipt.amount)
    payers = set(expected) | {key for _code, key in balances}
    for payer in payers:
        debit, credit = balances.get((chart.SUSPENSE, payer), (0, 0))
        if credit - debit != expected.get(payer, 0):
            report.differences.append(
                f"suspense {payer}: open receipts {expected.get(payer, 0) / 100:.2f}, "
                f"on 1900 in the ledger {(credit - debit) / 100:.2f}"
            )
    report.checked["receipts in suspense"] = open_receipts.count()
