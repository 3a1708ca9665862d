"""Reads of the loans side: a loan's position, the portfolio (outstanding, arrears buckets,
PAR30, flows per period, principal lent again).

Amounts are Decimals summed in Python (SQLite keeps decimals as REAL); ledger figures come from
the maintained balances in cents.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal

from django.db.models import Q, QuerySet

from fund.models import Fund
from fund.selectors import is_auditor, is_manager
from ledger import chart
from ledger.models import Balance, JournalEntry, JournalLine
from ledger.money import ZERO, from_cents
from ledger.selectors import balances_by_code

from .models import SERVICED_STATES, ArrearsBucket, Loan, Repayment
from .position import bucket_for_days
from .services import (
    Position,
    SettlementQuote,
    loan_settlement_quote,
    loan_status,
    loan_statuses,
)

BUCKETS = [b.value for b in ArrearsBucket]

__all__ = [
    "LoanPosition",
    "loan_position",
    "loan_positions",
    "loan_positions_at",
    "loan_settlement_quote",
    "loans_for_fund",
    "portfolio_arrears",
    "portfolio_flows",
    "portfolio_outstanding",
    "portfolio_par30",
    "portfolio_relent",
    "SettlementQuote",
    "twin_repayment",
]


def twin_repayment(
    *, loan: Loan, amount: Decimal, value_date: Date, bank_reference: str, once_key: str | None
) -> Repayment | None:
    """A repayment already booked on ``loan`` that this one may be a retyped copy of: the same
    amount and value date, not reversed, and not two different bank references (those are two
    transfers). None when this form was posted before (its one-time key is booked): that is a
    retry, which the service answers with the first result."""
    if (
        once_key
        and JournalEntry.objects.filter(
            book_id=loan.fund.book_id, idempotency_key=once_key
        ).exists()
    ):
        return None
    twins = Repayment.objects.filter(
        loan=loan, amount=amount, value_date=value_date, reversed_at__isnull=True
    )
    if bank_reference:
        twins = twins.filter(bank_reference="")
    return twins.order_by("-created_at").first()


@dataclass(frozen=True)
class LoanPosition:
    loan: Loan
    as_of: Date
    principal: Decimal  # outstanding principal, overdue and not yet due
    interest: Decimal  # interest posted due and unpaid
    fees: Decimal  # fees and premiums charged and unpaid
    arrears: Decimal  # principal and interest of instalments due before as_of, unpaid
    days_past_due: int
    advance: Decimal = ZERO  # paid ahead, held until the next instalment falls due
    # The position it was computed from (schedule, allocations), for pages that show more.
    status: Position | None = field(default=None, compare=False, repr=False)

    @property
    def bucket(self) -> str:
        return bucket_for_days(self.days_past_due)


def _position(loan: Loan, position: Position, as_of: Date) -> LoanPosition:
    """The loan's figures with its arrears as of ``as_of`` (:meth:`Position.standing`)."""
    standing = position.standing(as_of)
    return LoanPosition(
        loan=loan,
        as_of=as_of,
        principal=position.outstanding_principal(),
        interest=position.interest_receivable(),
        fees=position.fees_receivable(),
        arrears=standing.arrears,
        days_past_due=standing.days_past_due,
        advance=standing.advance,
        status=position,
    )


def loan_position(*, loan: Loan, as_of: Date) -> LoanPosition:
    """The loan as its schedule and allocations say it is, with arrears as of ``as_of``."""
    return _position(loan, loan_status(loan), as_of)


def loans_for_fund(fund: Fund) -> QuerySet[Loan]:
    return Loan.objects.filter(fund=fund).select_related("collective", "product")


def loan_positions(loans, as_of: Date) -> list[LoanPosition]:
    """:func:`loan_position` for many loans at once, in a constant number of queries."""
    loans = list(loans)
    statuses = loan_statuses(loans)
    return [_position(loan, statuses[loan.pk], as_of) for loan in loans]


def loan_positions_at(loans, as_of: Date) -> list[LoanPosition]:
    """The loans as they stood at the end of ``as_of`` (a past period's statement): the
    schedule in force then and what had been paid by then (``loan_statuses(as_of=...)``),
    in a constant number of queries."""
    loans = list(loans)
    statuses = loan_statuses(loans, as_of=as_of)
    return [_position(loan, statuses[loan.pk], as_of) for loan in loans]


def _serviced_positions(fund: Fund, as_of: Date) -> list[LoanPosition]:
    loans = Loan.objects.filter(fund=fund, state__in=SERVICED_STATES).order_by("pk")
    return loan_positions(loans, as_of)


def portfolio_outstanding(fund: Fund) -> Decimal:
    """Outstanding principal of the whole portfolio: the balance of account 1200."""
    return from_cents(balances_by_code(book=fund.book).get(chart.LOANS_PRINCIPAL, 0))


def portfolio_arrears(fund: Fund, as_of: Date) -> dict[str, dict]:
    """Per arrears bucket: number of loans, their outstanding principal, and the arrears."""
    result = {b: {"loans": 0, "principal": ZERO, "arrears": ZERO} for b in BUCKETS}
    for position in _serviced_positions(fund, as_of):
        row = result[position.bucket]
        row["loans"] += 1
        row["principal"] += position.principal
        row["arrears"] += position.arrears
    return result


def portfolio_par30(fund: Fund, as_of: Date) -> Decimal:
    """Portfolio at risk: outstanding principal of loans more than 30 days past due divided by
    all outstanding principal (0 when nothing is outstanding), as a fraction to 4 places."""
    positions = _serviced_positions(fund, as_of)
    total = sum((p.principal for p in positions), ZERO)
    if total <= 0:
        return Decimal("0.0000")
    at_risk = sum((p.principal for p in positions if p.days_past_due > 30), ZERO)
    return (at_risk / total).quantize(Decimal("0.0001"))


def _flow_lines(fund: Fund, date_from: Date, date_to: Date):
    return JournalLine.objects.filter(
        entry__book=fund.book,
        account__code=chart.LOANS_PRINCIPAL,
        date__gte=date_from,
        date__lte=date_to,
    ).values_list("entry__source_type", "entry__reversal_of__source_type", "debit", "credit")


def portfolio_flows(fund: Fund, date_from: Date, date_to: Date) -> dict[str, Decimal]:
    """Principal disbursed and repaid (net of reversals), and written off, in a period."""
    cents = defaultdict(int)
    for source, reversed_source, debit, credit in _flow_lines(fund, date_from, date_to):
        kind = reversed_source or source
        if kind == "loans.disbursement":
            cents["disbursed"] += debit - credit
        elif kind == "loans.repayment":
            cents["repaid"] += credit - debit
        elif kind in ("loans.write_off", "loans.conversion"):
            cents["written_off"] += credit - debit
    return {k: from_cents(cents[k]) for k in ("disbursed", "repaid", "written_off")}


def portfolio_relent(fund: Fund, as_of: Date | None = None) -> dict[str, Decimal]:
    """How much repaid principal has been lent again.

    Money lent beyond the capital paid into the revolving compartment can only have come from
    what borrowers paid back; so principal lent again = disbursed - paid-in capital, at least 0
    and at most the principal repaid.
    """
    as_of = as_of or Date.max
    flows = portfolio_flows(fund, Date.min, as_of)
    capital = from_cents(-balances_by_code(book=fund.book).get(chart.CAPITAL_REVOLVING, 0))
    relent = min(max(flows["disbursed"] - capital, ZERO), flows["repaid"])
    return {
        "disbursed": flows["disbursed"],
        "repaid": flows["repaid"],
        "capital": capital,
        "relent": relent,
    }


def loans_for(user) -> QuerySet[Loan]:
    """Loans a user may see: auditors all; managers those of their funds and of their own
    collectives; collective members their collectives' loans; others none."""
    if not getattr(user, "is_authenticated", False):
        return Loan.objects.none()
    loans = Loan.objects.select_related("fund", "collective", "product")
    if is_auditor(user):
        return loans
    if is_manager(user):
        return loans.filter(Q(fund__managers=user) | Q(collective__members=user)).distinct()
    return loans.filter(collective__members=user)


def contract_balances(loans) -> dict[tuple[int, str], dict[str, Decimal]]:
    """Outstanding principal (1200), interest due (1210) and fees (1220) per loan, keyed by
    (book id, loan number), from the ledger's maintained sub-ledger balances: one query for a
    whole page of loans."""
    loans = list(loans)
    zero = Decimal("0.00")
    result = {
        (loan.fund.book_id, loan.number): {"principal": zero, "interest": zero, "fees": zero}
        for loan in loans
    }
    names = {
        chart.LOANS_PRINCIPAL: "principal",
        chart.INTEREST_RECEIVABLE: "interest",
        chart.FEES_RECEIVABLE: "fees",
    }
    rows = Balance.objects.filter(
        kind="contract",
        key__in=[loan.number for loan in loans],
        currency="EUR",
        account__code__in=list(names),
        account__book_id__in={loan.fund.book_id for loan in loans},
    ).values_list("account__book_id", "key", "account__code", "debit", "credit")
    for book_id, key, code, debit, credit in rows:
        if (book_id, key) in result:
            result[(book_id, key)][names[code]] = from_cents(debit - credit)
    return result


@dataclass(frozen=True)
class NextInstalment:
    """What the collective pays next: the open part of the first instalment due on or after
    ``as_of``, and what is already overdue before it."""

    n: int
    due_date: Date
    amount: Decimal  # open principal and interest of that instalment
    overdue: Decimal  # open principal and interest of instalments due before as_of


def next_instalment(
    *, loan: Loan, as_of: Date, status: Position | None = None
) -> NextInstalment | None:
    """The next instalment still open on a serviced loan, or None (nothing falls due any more).
    ``status`` is the loan's position when the caller has read it already."""
    if loan.state not in SERVICED_STATES:
        return None
    status = status or loan_status(loan)
    overdue = ZERO
    for row, open_, _held in status.open_after_advance():
        if row.due_date < as_of:
            overdue += open_
        elif open_ > 0:
            return NextInstalment(n=row.n, due_date=row.due_date, amount=open_, overdue=overdue)
    return None
