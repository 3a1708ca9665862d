"""The pool forecast: what the revolving pool of a fund can lend, month by month
(docs/statements.md, "Pool forecast").

:func:`pool_forecast` is a selector: it only reads, in a constant number of queries however
many loans the fund has (the compartments' positions of :mod:`fund.selectors`, the loan
positions of :func:`loans.selectors.loan_positions`, the open tranche proposals, the
approvals still reserved and the grants payable on account 2000, each one query for the whole
fund). The investor statement calls it for the next 12 months; the forecast page for 24.

The figures, per calendar month from the month of ``as_of`` on:

- ``principal`` and ``interest``: what the instalments of the loans in service falling due in
  that month (on or after ``as_of``) still ask, less money paid ahead and held on 2100, which
  meets the instalments in the order they fall due (as ``Position.open_after_advance`` counts
  it; a row in full grace with capitalised interest asks nothing). Arrears already overdue
  are not expected: they are the loan's ``arrears`` (``Forecast.arrears``);
- ``disbursements``: principal contracted and not yet paid out (a proposed tranche dated after
  ``as_of`` in its own month, the rest in the first month) and approved loan applications
  not yet contracted (their reservation, in the first month). ``disbursements_reserved`` is
  the part of it an approval already reserves: the start figure (``available``) has it
  subtracted already, so it does not lower the pool a second time;
- ``grants_to_pay``: awarded grants not yet paid (account 2000, per grant) and approved grants
  not yet awarded (their reservation), all in the first month; paid from the grant
  compartment, so not part of the pool;
- ``pool_end``: the revolving pool free to lend at the end of the month:
  ``pool_end = previous pool_end + principal + interest - (disbursements -
  disbursements_reserved)``, starting from the revolving compartment's ``available`` today
  (cash on 1000 less the approvals reserved). It is the cash expected at the month's end less
  the reservations still open then;
- ``cautious_*``: the same with nothing from the loans more than 30 days past due as of
  ``as_of``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date as Date
from decimal import Decimal

from django.db.models import F

from fund.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    CompartmentKind,
    Fund,
    Grant,
)
from fund.selectors import CompartmentPosition, fund_positions
from ledger import chart, clock
from ledger.models import Balance
from ledger.money import ZERO, from_cents, round_money
from loans.allocation import Component, parse_order
from loans.models import ChangeKind, ChangeState, Loan, LoanChange, LoanState
from loans.position import Position
from loans.selectors import loan_positions

__all__ = [
    "CAUTIOUS_DAYS",
    "ExpectedDisbursement",
    "Forecast",
    "ForecastMonth",
    "ForecastTotals",
    "GrantToPay",
    "pool_forecast",
]

# A loan more than this many days past due (as of the forecast's date) is assumed to pay
# nothing in the cautious line; PAR30's limit (docs/loans.md, "Position and arrears").
CAUTIOUS_DAYS = 30

# Loans that still expect money in or out: being contracted, paid out, or repaid.
_FORECAST_STATES = (LoanState.CONTRACTED, LoanState.DISBURSING, LoanState.ACTIVE)
_PAYING_OUT = (LoanState.CONTRACTED, LoanState.DISBURSING)


def _cents(value: Decimal) -> Decimal:
    """Explicitly to cents (the figures are sums of cents, so this never moves one)."""
    return round_money(value)


@dataclass(frozen=True)
class ForecastMonth:
    """One calendar month of the forecast (``month`` is its first day)."""

    month: Date
    principal: Decimal
    interest: Decimal
    disbursements: Decimal
    disbursements_reserved: Decimal  # part of disbursements already reserved by an approval
    grants_to_pay: Decimal
    pool_end: Decimal
    cautious_principal: Decimal
    cautious_interest: Decimal
    cautious_pool_end: Decimal

    @property
    def end(self) -> Date:
        """The month's last day, the date of ``pool_end``."""
        return clock.month_end(self.month.year, self.month.month)

    @property
    def label(self) -> str:
        """``11-2026``."""
        return f"{self.month.month:02d}-{self.month.year}"

    @property
    def inflow(self) -> Decimal:
        return self.principal + self.interest

    @property
    def cautious_inflow(self) -> Decimal:
        return self.cautious_principal + self.cautious_interest

    @property
    def disbursements_unreserved(self) -> Decimal:
        """What the month pays out beyond what approvals reserve: what lowers the pool."""
        return self.disbursements - self.disbursements_reserved


@dataclass(frozen=True)
class ForecastTotals:
    """The months added up; the pools are those at the end of the last month."""

    principal: Decimal
    interest: Decimal
    disbursements: Decimal
    disbursements_reserved: Decimal
    grants_to_pay: Decimal
    pool_end: Decimal
    cautious_principal: Decimal
    cautious_interest: Decimal
    cautious_pool_end: Decimal


@dataclass(frozen=True)
class ExpectedDisbursement:
    """Money expected to leave the revolving pool for one loan or approved application."""

    month: Date
    reference: str  # the loan number, or the application number when not yet contracted
    collective: str
    amount: Decimal
    reserved: Decimal  # of which the application's reservation already holds
    proposed: Date | None = None  # the date of the proposed tranche it is, if any


@dataclass(frozen=True)
class GrantToPay:
    """A grant the grant compartment still pays: awarded (2000) or only approved."""

    reference: str  # the grant number (awarded) or the application number (approved)
    collective: str
    amount: Decimal
    awarded: bool


@dataclass(frozen=True)
class Forecast:
    fund: Fund = field(compare=False)
    as_of: Date
    cash: Decimal  # revolving bank account 1000 today
    reserved: Decimal  # loan approvals reserved, not yet paid out
    start: Decimal  # available today: cash - reserved (fund.selectors.compartment_position)
    rows: tuple[ForecastMonth, ...]
    arrears: Decimal  # principal and interest overdue before as_of: not expected
    late_loans: tuple[str, ...]  # more than CAUTIOUS_DAYS past due: out of the cautious line
    disbursements: tuple[ExpectedDisbursement, ...]
    grants: tuple[GrantToPay, ...]
    grant_cash: Decimal  # grant bank account 1010 today

    @property
    def reserved_left(self) -> Decimal:
        """Reserved by approvals that no expected disbursement in the window uses (a loan
        written off or converted before it was paid out in full keeps its reservation): it
        stays out of the pool in every month."""
        return _cents(self.reserved - sum((d.reserved for d in self.disbursements), ZERO))

    @property
    def totals(self) -> ForecastTotals:
        def total(name: str) -> Decimal:
            return _cents(sum((getattr(row, name) for row in self.rows), ZERO))

        last = self.rows[-1] if self.rows else None
        return ForecastTotals(
            principal=total("principal"),
            interest=total("interest"),
            disbursements=total("disbursements"),
            disbursements_reserved=total("disbursements_reserved"),
            grants_to_pay=total("grants_to_pay"),
            pool_end=last.pool_end if last else self.start,
            cautious_principal=total("cautious_principal"),
            cautious_interest=total("cautious_interest"),
            cautious_pool_end=last.cautious_pool_end if last else self.start,
        )


# --- reading -------------------------------------------------------------------------------


def _month_starts(as_of: Date, months: int) -> list[Date]:
    starts = [as_of.replace(day=1)]
    while len(starts) < months:
        starts.append(clock.first_of_next_month(starts[-1]))
    return starts


def _expected_rows(position: Position, order) -> Iterator[tuple[Date, Decimal, Decimal]]:
    """``(due date, interest, principal)`` each instalment still asks in cash, oldest first.

    As :meth:`Position.open_after_advance`: open interest and principal, with the money held
    ahead counted against the instalments in the order they fall due, and within one
    instalment split in the product's allocation order, as the day-end books it. A row in
    full grace with capitalised interest (a negative principal part) asks nothing: its
    interest is added to the balance, not paid.
    """
    held = position.advance
    for row in position.rows:
        interest = max(position.open_interest(row), ZERO)
        principal = row.principal - position.allocated.get((Component.PRINCIPAL, row.n), ZERO)
        if principal < 0:
            interest, principal = max(interest + principal, ZERO), ZERO
        covered = min(held, interest + principal)
        held -= covered
        for component in order:
            if component == Component.INTEREST:
                take = min(covered, interest)
                interest -= take
                covered -= take
            elif component == Component.PRINCIPAL:
                take = min(covered, principal)
                principal -= take
                covered -= take
        yield row.due_date, interest, principal


def _reservations(fund: Fund) -> list[tuple]:
    """Approved applications of the fund that still reserve capacity: one query."""
    return list(
        Application.objects.filter(
            fund=fund, state=ApplicationState.APPROVED, commitment_open__gt=0
        )
        .annotate(
            loan_pk=F("loan__id"), grant_pk=F("grant__id"), collective_name=F("collective__name")
        )
        .order_by("decided_at", "pk")
        .values_list(
            "pk", "number", "kind", "commitment_open", "loan_pk", "grant_pk", "collective_name"
        )
    )


def _open_tranches(fund: Fund) -> dict[int, LoanChange]:
    """The tranche proposed on each loan and not yet decided (one open proposal per loan)."""
    changes = LoanChange.objects.filter(
        loan__fund=fund, kind=ChangeKind.DISBURSEMENT, state=ChangeState.PROPOSED
    ).order_by("proposed_at", "pk")
    return {change.loan_id: change for change in changes}


def _grants_payable(fund: Fund) -> list[GrantToPay]:
    """Awarded grants with something left on 2000 (their contract key): two queries."""
    balances = Balance.objects.filter(
        account__book_id=fund.book_id,
        account__code=chart.GRANTS_PAYABLE,
        currency=fund.book.currency,
        kind="contract",
    ).values_list("key", "debit", "credit")
    payable = {key: from_cents(credit - debit) for key, debit, credit in balances}
    payable = {key: amount for key, amount in payable.items() if amount}
    names = dict(
        Grant.objects.filter(fund=fund, number__in=list(payable)).values_list(
            "number", "collective__name"
        )
    )
    return [
        GrantToPay(reference=key, collective=names.get(key, ""), amount=amount, awarded=True)
        for key, amount in sorted(payable.items())
    ]


def _compartment(positions: list[CompartmentPosition], kind: str) -> CompartmentPosition:
    return next(p for p in positions if p.compartment.kind == kind)


@dataclass
class _Months:
    """The figures being added up, one list of ``months`` amounts each (not yet rounded)."""

    starts: list[Date]
    principal: list[Decimal]
    interest: list[Decimal]
    cautious_principal: list[Decimal]
    cautious_interest: list[Decimal]
    disbursed: list[Decimal]
    disbursed_reserved: list[Decimal]
    grants: list[Decimal]

    @classmethod
    def empty(cls, starts: list[Date]) -> _Months:
        n = len(starts)
        return cls(starts, *([ZERO] * n for _ in range(7)))

    def index(self, day: Date) -> int | None:
        """The month ``day`` falls in, or None outside the forecast."""
        i = (day.year - self.starts[0].year) * 12 + day.month - self.starts[0].month
        return i if 0 <= i < len(self.starts) else None


def _add_repayments(figures: _Months, loans: list[Loan], as_of: Date) -> tuple[Decimal, list[str]]:
    """Add what the loans' instalments still ask to their months; return the arrears (due
    before ``as_of``, not expected) and the loans left out of the cautious line."""
    arrears = ZERO
    late: list[str] = []
    orders: dict[str, tuple] = {}
    for position in loan_positions(loans, as_of):
        loan = position.loan
        is_late = position.days_past_due > CAUTIOUS_DAYS
        if is_late:
            late.append(loan.number)
        text = loan.product.allocation_order
        order = orders[text] if text in orders else orders.setdefault(text, parse_order(text))
        for due, interest, principal in _expected_rows(position.status, order):
            if due < as_of:
                arrears += interest + principal
                continue
            i = figures.index(due)
            if i is None:
                continue
            figures.principal[i] += principal
            figures.interest[i] += interest
            if not is_late:
                figures.cautious_principal[i] += principal
                figures.cautious_interest[i] += interest
    return arrears, late


def _add_disbursements(
    figures: _Months,
    loans: list[Loan],
    reservations: list[tuple],
    tranches: dict[int, LoanChange],
    as_of: Date,
) -> list[ExpectedDisbursement]:
    """Add what is still to be paid out to its month, each payment against the reservation
    its approval still holds, which meets the payments in the order they are made (as
    ``loans.services.disbursements._disburse`` uses it)."""
    held = {
        pk: amount
        for pk, _number, kind, amount, _loan, _grant, _name in reservations
        if kind == ApplicationKind.LOAN
    }
    expected: list[ExpectedDisbursement] = []

    def pay_out(i, reference, collective, amount, application_pk, proposed=None):
        reserved = min(amount, held.get(application_pk, ZERO))
        held[application_pk] = held.get(application_pk, ZERO) - reserved
        figures.disbursed[i] += amount
        figures.disbursed_reserved[i] += reserved
        expected.append(
            ExpectedDisbursement(
                month=figures.starts[i],
                reference=reference,
                collective=collective,
                amount=_cents(amount),
                reserved=_cents(reserved),
                proposed=proposed,
            )
        )

    for loan in loans:
        left = loan.principal - loan.disbursed
        if loan.state not in _PAYING_OUT or left <= 0:
            continue
        tranche = tranches.get(loan.pk)
        later, month = ZERO, None
        if tranche is not None and tranche.effective_date > as_of:
            later = min(Decimal(tranche.params.get("amount", "0")), left)
            month = figures.index(tranche.effective_date)
        if left - later > 0:
            pay_out(0, loan.number, loan.collective.name, left - later, loan.application_id)
        if later > 0 and month is not None:
            proposed = tranche.effective_date
            pay_out(month, loan.number, loan.collective.name, later, loan.application_id, proposed)
    for pk, number, kind, amount, loan_pk, _grant, collective in reservations:
        if kind == ApplicationKind.LOAN and loan_pk is None:
            pay_out(0, number, collective, amount, pk)
    return sorted(expected, key=lambda d: (d.month, d.reference))


def _grants_to_pay(fund: Fund, reservations: list[tuple]) -> list[GrantToPay]:
    """Awarded grants still payable (2000), then approved grants not yet awarded."""
    grants = _grants_payable(fund)
    for _pk, number, kind, amount, _loan, grant_pk, collective in reservations:
        if kind == ApplicationKind.GRANT and grant_pk is None:
            grants.append(
                GrantToPay(reference=number, collective=collective, amount=amount, awarded=False)
            )
    return grants


def pool_forecast(fund: Fund, as_of: Date, months: int = 24) -> Forecast:
    """The pool forecast of ``fund`` for ``months`` calendar months, the first being the
    month of ``as_of`` (from ``as_of`` to its end).

    ``as_of`` is the day the forecast is made: the balances, reservations and schedules are
    those booked now (reservations have no history), the arrears and days past due are
    those as of ``as_of``. Pass today (``clock.today()``); a statement that wants whole
    months from the next one passes the first day of that month.
    """
    if months < 1:
        raise ValueError("a forecast has at least one month")
    figures = _Months.empty(_month_starts(as_of, months))
    positions = fund_positions(fund)
    revolving = _compartment(positions, CompartmentKind.REVOLVING)
    grant = _compartment(positions, CompartmentKind.GRANT)
    loans = list(
        Loan.objects.filter(fund=fund, state__in=_FORECAST_STATES)
        .select_related("product", "collective")
        .order_by("pk")
    )
    arrears, late = _add_repayments(figures, loans, as_of)
    reservations = _reservations(fund)
    expected = _add_disbursements(figures, loans, reservations, _open_tranches(fund), as_of)
    grants = _grants_to_pay(fund, reservations)
    figures.grants[0] = sum((g.amount for g in grants), ZERO)

    rows = []
    pool = cautious_pool = revolving.available
    for i, start in enumerate(figures.starts):
        unreserved = figures.disbursed[i] - figures.disbursed_reserved[i]
        pool += figures.principal[i] + figures.interest[i] - unreserved
        cautious_pool += figures.cautious_principal[i] + figures.cautious_interest[i]
        cautious_pool -= unreserved
        rows.append(
            ForecastMonth(
                month=start,
                principal=_cents(figures.principal[i]),
                interest=_cents(figures.interest[i]),
                disbursements=_cents(figures.disbursed[i]),
                disbursements_reserved=_cents(figures.disbursed_reserved[i]),
                grants_to_pay=_cents(figures.grants[i]),
                pool_end=_cents(pool),
                cautious_principal=_cents(figures.cautious_principal[i]),
                cautious_interest=_cents(figures.cautious_interest[i]),
                cautious_pool_end=_cents(cautious_pool),
            )
        )
    return Forecast(
        fund=fund,
        as_of=as_of,
        cash=_cents(revolving.cash),
        reserved=_cents(revolving.reserved),
        start=_cents(revolving.available),
        rows=tuple(rows),
        arrears=_cents(arrears),
        late_loans=tuple(late),
        disbursements=tuple(expected),
        grants=tuple(grants),
        grant_cash=_cents(grant.cash),
    )
