"""Reconciliation of the fund side with the control accounts, for ``ledger_check``.

The ledger is the truth; these checks say where the fund's own records have drifted from it
(a grant made payable again by an UPDATE, a contribution row deleted, a receipt marked
handled without its posting):

* every grant against its contract key: 2000 credited with the award and debited with what
  was paid and released; 5000 debited with the award and credited with what was released and
  returned; its approved payments add up to what the grant says is paid;
* every investor's contributions, per compartment, against its party key on 3000 and 3010;
* every payer's receipts in suspense that are neither matched to a loan nor refunded or booked
  as capital against its party key on 1900.

Keys on those accounts that name no grant, investor or payer are reported too.
"""

from __future__ import annotations

from collections import defaultdict

from ledger import chart
from ledger.models import Balance
from ledger.money import to_cents


def _balances(book, codes, kind: str) -> dict[tuple[str, str], tuple[int, int]]:
    rows = Balance.objects.filter(account__book=book, account__code__in=codes, kind=kind)
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for code, key, debit, credit in rows.values_list("account__code", "key", "debit", "credit"):
        out[(code, key)][0] += debit
        out[(code, key)][1] += credit
    return {k: (v[0], v[1]) for k, v in out.items()}


def _cents(money) -> int:
    return to_cents(getattr(money, "amount", money))


def reconcile_fund(book, report) -> None:
    fund = getattr(book, "fund", None)
    if fund is None:
        return
    _grants(fund, book, report)
    _contributions(fund, book, report)


def _grants(fund, book, report) -> None:
    from .models import PaymentState

    balances = _balances(book, (chart.GRANTS_PAYABLE, chart.GRANTS_EXPENSE), "contract")
    numbers = set()
    for grant in fund.grants.prefetch_related("payments"):
        numbers.add(grant.number)
        amount, paid = _cents(grant.amount), _cents(grant.paid)
        released, returned = _cents(grant.released), _cents(grant.returned)
        expected = {
            chart.GRANTS_PAYABLE: (paid + released, amount),
            chart.GRANTS_EXPENSE: (amount, released + returned),
        }
        for code, (debit, credit) in expected.items():
            booked = balances.get((code, grant.number), (0, 0))
            if booked != (debit, credit):
                report.differences.append(
                    f"grant {grant.number}: {code} debit/credit in the ledger "
                    f"{booked[0] / 100:.2f}/{booked[1] / 100:.2f}, the grant says "
                    f"{debit / 100:.2f}/{credit / 100:.2f}"
                )
        approved = sum(
            _cents(p.amount) for p in grant.payments.all() if p.state == PaymentState.APPROVED
        )
        if approved != paid:
            report.differences.append(
                f"grant {grant.number}: approved payments {approved / 100:.2f}, "
                f"the grant says paid {paid / 100:.2f}"
            )
    for (code, key), (debit, credit) in balances.items():
        if key not in numbers and (debit or credit) and key.startswith("S-"):
            report.differences.append(f"contract {key} has grant balances on {code} but no grant")
    report.checked["grants"] = len(numbers)


def _contributions(fund, book, report) -> None:
    from .models import Contribution

    codes = (chart.CAPITAL_REVOLVING, chart.CAPITAL_GRANT)
    balances = _balances(book, codes, "party")
    expected: dict[tuple[str, str], int] = defaultdict(int)
    # A contribution booked in error is undone by reversing its entry: it no longer counts.
    contributions = (
        Contribution.objects.filter(commitment__compartment__fund=fund)
        .exclude(entry__reversed_by__isnull=False)
        .select_related("commitment__investor", "commitment__compartment")
    )
    for contribution in contributions:
        commitment = contribution.commitment
        key = (commitment.compartment.capital_account, commitment.investor.code)
        expected[key] += _cents(contribution.amount)
    for key in set(expected) | set(balances):
        debit, credit = balances.get(key, (0, 0))
        if credit - debit != expected.get(key, 0):
            code, investor = key
            report.differences.append(
                f"investor {investor}: contributions on {code} "
                f"{expected.get(key, 0) / 100:.2f}, in the ledger {(credit - debit) / 100:.2f}"
            )
    report.checked["investors"] = len({investor for _code, investor in expected})
