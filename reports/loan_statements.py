"""The collectives' statements of a loan: the loan statement (rekeningoverzicht) for any
period and the yearly interest statement (jaaropgave), as data for their PDFs.

Every balance and every flow is read from the ledger's lines of the loan's contract key
(the loan number) on 1200 (principal), 1210 (interest due), 1220 (fees and premiums), 1230
(interest accrued, not yet due) and 2100 (paid ahead), so the statements reconcile with the
books by construction: the outstanding principal at a date *is* the loan's 1200 balance as
of that date. What moved in between is told apart by the source of its entry (a repayment, money
paid ahead meeting an instalment, a disbursement, interest falling due, a capitalisation,
a charge, a write-off); a reversal counts under the source of what it reverses, on the day it
is booked. The schedule with what was paid of each instalment and when comes from the
schedule version in force at the end of the period and the allocations dated by then
(:func:`loans.selectors.loan_positions_at`).

Money is Decimal (the ledger's integer cents through :func:`ledger.money.from_cents`), never
float. Each statement asks a fixed number of queries however many repayments the loan had.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date as Date
from decimal import Decimal

from django.db.models import Q, Sum

from fund.models import CompartmentKind
from ledger import chart, clock
from ledger.models import JournalLine
from ledger.money import ZERO, from_cents
from loans.allocation import Component
from loans.forms import TERM_LABELS
from loans.models import Allocation, AllocationKind, Loan, Repayment
from loans.selectors import LoanPosition, loan_positions_at

ACCOUNTS = (
    chart.LOANS_PRINCIPAL,
    chart.INTEREST_RECEIVABLE,
    chart.FEES_RECEIVABLE,
    chart.INTEREST_ACCRUED,
    chart.ADVANCES,
)

# What an entry on the loan's accounts was, by its source (a reversal: the source of the entry
# it reverses). Anything else is "other", so that the opening balance and the flows always
# add up to the closing balance.
CATEGORIES = {
    "loans.repayment": "paid",
    "loans.advance": "applied",
    "loans.disbursement": "disbursed",
    "loans.interest_due": "due",
    "loans.capitalisation": "capitalised",
    "loans.restructure": "capitalised",
    "loans.penalty": "penalty",
    "loans.premium": "premium",
    "loans.write_off": "written_off",
    "loans.conversion": "written_off",
    "loans.accrual": "accrued",
}
PAYMENT_SOURCES = ("loans.repayment", "loans.advance")
PAID_KINDS = (AllocationKind.PAYMENT, AllocationKind.ADVANCE)


# --- the figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balances:
    """The loan's balances at one moment, in euros; all but ``advance`` are owed by the
    collective, ``advance`` is what it paid ahead and the fund holds (2100, a liability)."""

    principal: Decimal  # 1200: outstanding principal
    interest: Decimal  # 1210: interest fallen due, unpaid
    fees: Decimal  # 1220: penalty interest and premiums charged, unpaid
    accrued: Decimal  # 1230: interest accrued at a month end, not yet due
    advance: Decimal  # 2100: paid ahead, not yet met by an instalment


@dataclass(frozen=True)
class Flows:
    """What moved on the loan's accounts in the period, by what caused it (euros).

    Signs: what raises the balance is positive (on 2100: money paid ahead received), what
    lowers it is positive in the ``*_paid``, ``*_written_off`` and ``advance_applied``
    fields, so that ``opening + increases - decreases + other = closing`` per account.
    """

    disbursed: Decimal  # Dr 1200, tranches paid out
    capitalised: Decimal  # Dr 1200 / Cr 1210: interest added to the principal
    principal_paid: Decimal  # Cr 1200 from repayments and money paid ahead, net of reversals
    principal_written_off: Decimal  # Cr 1200, write-off or conversion into a grant
    principal_other: Decimal  # anything else on 1200 (debit positive)
    interest_due: Decimal  # Dr 1210, instalments' interest fallen due
    interest_paid: Decimal  # Cr 1210 from repayments and money paid ahead
    interest_written_off: Decimal
    interest_other: Decimal  # debit positive
    penalty_charged: Decimal  # Dr 1220, penalty interest on arrears
    premium_charged: Decimal  # Dr 1220, success premium
    fees_paid: Decimal  # Cr 1220 from repayments and money paid ahead
    fees_written_off: Decimal
    fees_other: Decimal  # debit positive
    advance_received: Decimal  # Cr 2100 from repayments: paid ahead of an instalment
    advance_applied: Decimal  # Dr 2100: money paid ahead meeting an instalment
    advance_other: Decimal  # credit positive
    received: Decimal  # money received: the repayments' entries, net of reversals
    prepaid: Decimal  # of principal_paid: prepayments beyond the next instalment

    @property
    def fees_charged(self) -> Decimal:
        """Penalty interest and premiums charged (Dr 1220)."""
        return self.penalty_charged + self.premium_charged

    @property
    def paid(self) -> Decimal:
        """Allocated to fees, interest and principal (repayments and money paid ahead)."""
        return self.fees_paid + self.interest_paid + self.principal_paid


@dataclass(frozen=True)
class Movement:
    """One entry of money on the loan: a repayment, its reversal, or money paid ahead meeting
    an instalment. Negative amounts are a reversal's."""

    date: Date
    kind: str  # "payment", "reversal" or "applied"
    received: Decimal  # money in (a payment), out (its reversal); 0 when paid ahead is applied
    fees: Decimal
    interest: Decimal
    principal: Decimal  # including the prepayment
    advance: Decimal  # paid ahead: + received and held, - met an instalment
    prepayment: Decimal = ZERO
    reference: str = ""
    value_date: Date | None = None  # the repayment's (for a reversal, or money paid ahead)
    reversed_on: Date | None = None  # a payment that was reversed: the reversal's date
    rebooking: bool = False  # booked again after an earlier repayment was reversed


@dataclass(frozen=True)
class MovementTotals:
    received: Decimal
    fees: Decimal
    interest: Decimal
    principal: Decimal
    advance: Decimal
    prepayment: Decimal


@dataclass(frozen=True)
class ScheduleRow:
    """An instalment of the schedule in force at the end of the period, with what was paid of
    it (by repayments and money paid ahead) by then, on which days, and what is still open."""

    n: int
    due_date: Date
    principal: Decimal
    interest: Decimal
    payment: Decimal
    balance: Decimal  # outstanding principal after it, as scheduled
    paid: Decimal
    paid_on: tuple[Date, ...]
    otherwise: Decimal  # settled by capitalisation or write-off (net)
    capitalised: bool  # its interest was added to the principal (grace, restructuring)
    written_off: bool  # written off or converted into a grant
    open: Decimal  # after the money paid ahead held for it
    status: str  # "settled", "ahead", "late", "due", "partly", "future"


@dataclass(frozen=True)
class ScheduleTotals:
    principal: Decimal
    interest: Decimal
    payment: Decimal
    paid: Decimal
    open: Decimal


@dataclass(frozen=True)
class Terms:
    product: str
    principal: Decimal
    disbursed: Decimal
    annual_rate: Decimal
    periods: int
    method: str
    frequency: str
    interest_method: str
    grace_principal: int
    grace_full: int
    penalty_rate: Decimal
    success_premium_pct: Decimal
    contracted_on: Date
    start_date: Date | None
    first_due: Date
    closed_on: Date | None
    state: str


@dataclass(frozen=True)
class LoanStatement:
    """The rekeningoverzicht of ``loan`` from ``date_from`` to ``date_to`` (inclusive)."""

    loan: Loan
    date_from: Date
    date_to: Date
    issued_on: Date
    repayment_iban: str
    terms: Terms
    opening: Balances  # at the start of date_from
    closing: Balances  # at the end of date_to
    flows: Flows
    movements: tuple[Movement, ...]
    movement_totals: MovementTotals
    schedule: tuple[ScheduleRow, ...]
    schedule_totals: ScheduleTotals
    arrears: Decimal  # principal and interest of instalments due before date_to, unpaid
    days_past_due: int  # at date_to


@dataclass(frozen=True)
class InterestStatement:
    """The jaaropgave of ``loan`` for ``year``: what the collective's annual accounts need.
    ``provisional`` while the year is not over (then ``date_to`` is today)."""

    loan: Loan
    year: int
    date_from: Date
    date_to: Date
    provisional: bool
    issued_on: Date
    repayment_iban: str
    terms: Terms
    opening: Balances  # 1 January
    closing: Balances  # 31 December (or today)
    flows: Flows
    movements: tuple[Movement, ...]
    movement_totals: MovementTotals

    @property
    def interest_paid(self) -> Decimal:
        return self.flows.interest_paid

    @property
    def fees_paid(self) -> Decimal:
        return self.flows.fees_paid

    @property
    def principal_repaid(self) -> Decimal:
        return self.flows.principal_paid

    @property
    def charged(self) -> Decimal:
        """Interest fallen due and penalty interest and premiums charged in the year: the
        cost of the loan over the year."""
        return self.flows.interest_due + self.flows.penalty_charged + self.flows.premium_charged


# --- reading the ledger -----------------------------------------------------------------------


def _lines(loan: Loan):
    return JournalLine.objects.filter(
        account__book_id=loan.fund.book_id,
        account__code__in=ACCOUNTS,
        contract=loan.number,
        currency="EUR",
    )


def _balances(cents: dict[str, int]) -> Balances:
    return Balances(
        principal=from_cents(cents.get(chart.LOANS_PRINCIPAL, 0)),
        interest=from_cents(cents.get(chart.INTEREST_RECEIVABLE, 0)),
        fees=from_cents(cents.get(chart.FEES_RECEIVABLE, 0)),
        accrued=from_cents(cents.get(chart.INTEREST_ACCRUED, 0)),
        advance=from_cents(-cents.get(chart.ADVANCES, 0)),
    )


def _opening_cents(loan: Loan, date_from: Date) -> dict[str, int]:
    """Balance per account at the start of ``date_from`` (cents, debit positive): one query,
    summed in the database over integer cents."""
    rows = (
        _lines(loan)
        .filter(date__lt=date_from)
        .values("account__code")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .values_list("account__code", "d", "c")
    )
    return {code: (d or 0) - (c or 0) for code, d, c in rows}


@dataclass(frozen=True)
class _Line:
    entry_id: int
    date: Date
    code: str
    net: int  # debit - credit, cents
    source: str  # of the entry, or of the entry it reverses
    reversal_of: int | None
    key: str  # the idempotency key of the entry (or of the entry it reverses)


def _period_lines(loan: Loan, date_from: Date, date_to: Date) -> list[_Line]:
    rows = (
        _lines(loan)
        .filter(date__gte=date_from, date__lte=date_to)
        .order_by("date", "entry_id", "id")
        .values_list(
            "entry_id",
            "date",
            "account__code",
            "debit",
            "credit",
            "entry__source_type",
            "entry__reversal_of_id",
            "entry__reversal_of__source_type",
            "entry__idempotency_key",
            "entry__reversal_of__idempotency_key",
        )
    )
    return [
        _Line(
            entry_id=entry_id,
            date=day,
            code=code,
            net=debit - credit,
            source=reversed_source or source,
            reversal_of=reversal_of,
            key=(reversed_key if reversal_of else key) or "",
        )
        for (
            entry_id,
            day,
            code,
            debit,
            credit,
            source,
            reversal_of,
            reversed_source,
            key,
            reversed_key,
        ) in rows
    ]


def _advance_repayment_id(key: str) -> int | None:
    """The repayment whose money paid ahead an ``advance:<loan>:<repayment>:<day>`` entry
    applied."""
    parts = key.split(":")
    if len(parts) == 4 and parts[0] == "advance" and parts[2].isdigit():
        return int(parts[2])
    return None


def _flows(lines: list[_Line], prepaid: Decimal) -> Flows:
    cents: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        cents[(line.code, CATEGORIES.get(line.source, "other"))] += line.net
    known = {
        chart.LOANS_PRINCIPAL: ("disbursed", "capitalised", "paid", "applied", "written_off"),
        chart.INTEREST_RECEIVABLE: ("due", "capitalised", "paid", "applied", "written_off"),
        chart.FEES_RECEIVABLE: ("penalty", "premium", "paid", "applied", "written_off"),
        chart.ADVANCES: ("paid", "applied"),
    }

    def other(code: str) -> int:
        return sum(v for (c, cat), v in cents.items() if c == code and cat not in known[code])

    def get(code: str, *categories: str) -> int:
        return sum(cents[(code, cat)] for cat in categories)

    p, i, f, a = (
        chart.LOANS_PRINCIPAL,
        chart.INTEREST_RECEIVABLE,
        chart.FEES_RECEIVABLE,
        chart.ADVANCES,
    )
    # The capitalised interest is one figure: what left 1210 for 1200 (a capitalisation
    # posts both sides); any difference is "other" on 1200.
    capitalised = -get(i, "capitalised")
    return Flows(
        disbursed=from_cents(get(p, "disbursed")),
        capitalised=from_cents(capitalised),
        principal_paid=from_cents(-get(p, "paid", "applied")),
        principal_written_off=from_cents(-get(p, "written_off")),
        principal_other=from_cents(other(p) + get(p, "capitalised") - capitalised),
        interest_due=from_cents(get(i, "due")),
        interest_paid=from_cents(-get(i, "paid", "applied")),
        interest_written_off=from_cents(-get(i, "written_off")),
        interest_other=from_cents(other(i)),
        penalty_charged=from_cents(get(f, "penalty")),
        premium_charged=from_cents(get(f, "premium")),
        fees_paid=from_cents(-get(f, "paid", "applied")),
        fees_written_off=from_cents(-get(f, "written_off")),
        fees_other=from_cents(other(f)),
        advance_received=from_cents(-get(a, "paid")),
        advance_applied=from_cents(get(a, "applied")),
        advance_other=from_cents(-other(a)),
        received=from_cents(
            -sum(
                line.net
                for line in lines
                if line.source == "loans.repayment" and line.code != chart.INTEREST_ACCRUED
            )
        ),
        prepaid=prepaid,
    )


def _movements(
    lines: list[_Line], repayments: dict[int, Repayment]
) -> tuple[tuple[Movement, ...], Decimal]:
    """The payments of the period, their reversals and the money paid ahead applied, one per
    entry and in the order they were booked; and the prepayments among them (net)."""
    by_entry: dict[int, list[_Line]] = {}
    for line in lines:
        if line.source in PAYMENT_SOURCES and line.code != chart.INTEREST_ACCRUED:
            by_entry.setdefault(line.entry_id, []).append(line)
    by_entry_id = {r.entry_id: r for r in repayments.values()}
    by_reversal_id = {r.reversal_entry_id: r for r in repayments.values() if r.reversal_entry_id}
    movements = []
    prepaid = ZERO
    for entry_id, entry_lines in by_entry.items():
        first = entry_lines[0]
        credit = dict.fromkeys(ACCOUNTS, ZERO)
        for line in entry_lines:
            credit[line.code] += from_cents(-line.net)
        sign = -1 if first.reversal_of else 1
        fields = {
            "date": first.date,
            "fees": credit[chart.FEES_RECEIVABLE],
            "interest": credit[chart.INTEREST_RECEIVABLE],
            "principal": credit[chart.LOANS_PRINCIPAL],
            "advance": credit[chart.ADVANCES],
        }
        if first.source == "loans.advance":
            paid_by = repayments.get(_advance_repayment_id(first.key))
            movements.append(
                Movement(
                    kind="applied",
                    received=ZERO,
                    value_date=paid_by.value_date if paid_by else None,
                    reference=paid_by.reference if paid_by else "",
                    **fields,
                )
            )
            continue
        repayment = by_reversal_id.get(entry_id) if sign < 0 else by_entry_id.get(entry_id)
        prepayment = sign * repayment.prepayment if repayment else ZERO
        prepaid += prepayment
        reversed_on = None
        if sign > 0 and repayment is not None and repayment.reversal_entry_id:
            reversed_on = repayment.reversal_entry.date
        movements.append(
            Movement(
                kind="reversal" if sign < 0 else "payment",
                received=sum(credit.values(), ZERO),
                prepayment=prepayment,
                reference=repayment.reference if repayment else "",
                value_date=repayment.value_date if repayment else None,
                reversed_on=reversed_on,
                rebooking=bool(repayment and repayment.replaces_id),
                **fields,
            )
        )
    return tuple(movements), prepaid


def _movement_totals(movements: tuple[Movement, ...]) -> MovementTotals:
    def total(name: str) -> Decimal:
        return sum((getattr(m, name) for m in movements), ZERO)

    return MovementTotals(
        **{
            name: total(name)
            for name in ("received", "fees", "interest", "principal", "advance", "prepayment")
        }
    )


def _repayments(loan: Loan, lines: list[_Line]) -> dict[int, Repayment]:
    """The repayments behind the period's payment entries, their reversals and the money
    paid ahead applied in it (one query)."""
    entry_days = {line.date for line in lines if line.source in PAYMENT_SOURCES}
    if not entry_days:
        return {}
    ahead = {
        pk
        for line in lines
        if line.source == "loans.advance" and (pk := _advance_repayment_id(line.key)) is not None
    }
    first, last = min(entry_days), max(entry_days)
    repayments = Repayment.objects.filter(loan=loan).filter(
        Q(value_date__gte=first, value_date__lte=last)
        | Q(reversal_entry__date__gte=first, reversal_entry__date__lte=last)
        | Q(pk__in=ahead)
    )
    return {r.pk: r for r in repayments.select_related("reversal_entry")}


def _repayment_iban(loan: Loan) -> str:
    compartment = (
        loan.fund.compartments.filter(kind=CompartmentKind.REVOLVING).exclude(iban="").first()
    )
    return compartment.iban_display if compartment else ""


def _terms(loan: Loan) -> Terms:
    def label(name: str) -> str:
        value = getattr(loan, name)
        return TERM_LABELS.get(name, {}).get(value, value) if value else "–"

    return Terms(
        product=loan.product.name,
        principal=loan.principal,
        disbursed=loan.disbursed,
        annual_rate=loan.annual_rate,
        periods=loan.periods,
        method=label("method"),
        frequency=label("frequency"),
        interest_method=label("interest"),
        grace_principal=loan.grace_principal,
        grace_full=loan.grace_full,
        penalty_rate=loan.penalty_rate,
        success_premium_pct=loan.success_premium_pct,
        contracted_on=loan.contracted_on,
        start_date=loan.start_date,
        first_due=loan.first_due,
        closed_on=loan.closed_on,
        state=loan.get_state_display(),
    )


@dataclass(frozen=True)
class _Ledger:
    opening: Balances
    closing: Balances
    flows: Flows
    movements: tuple[Movement, ...]
    movement_totals: MovementTotals


def _ledger(loan: Loan, date_from: Date, date_to: Date) -> _Ledger:
    """Balances at the start and end of the period and what moved in it (three queries)."""
    opening = _opening_cents(loan, date_from)
    lines = _period_lines(loan, date_from, date_to)
    closing = dict(opening)
    for line in lines:
        closing[line.code] = closing.get(line.code, 0) + line.net
    movements, prepaid = _movements(lines, _repayments(loan, lines))
    return _Ledger(
        opening=_balances(opening),
        closing=_balances(closing),
        flows=_flows(lines, prepaid),
        movements=movements,
        movement_totals=_movement_totals(movements),
    )


# --- the schedule -----------------------------------------------------------------------------


def _schedule(
    loan: Loan, date_to: Date
) -> tuple[tuple[ScheduleRow, ...], ScheduleTotals, LoanPosition]:
    """The schedule version in force at the end of ``date_to`` with what was paid of each
    instalment by then (a repayment reversed later counts as never made, as in the loan's
    position, :func:`loans.selectors.loan_positions_at`); and the loan's figures then (its
    arrears). Once the loan was closed (repaid, written off, converted) nothing is open."""
    standing = loan_positions_at([loan], date_to)[0]
    position = standing.status
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    otherwise: dict[int, Decimal] = defaultdict(lambda: ZERO)
    days: dict[int, set[Date]] = defaultdict(set)
    kinds: dict[int, set[str]] = defaultdict(set)
    allocations = Allocation.objects.filter(
        loan=loan,
        undone=False,
        date__lte=date_to,
        component__in=(Component.INTEREST, Component.PRINCIPAL),
    ).values_list("kind", "n", "amount", "date")
    for kind, n, amount, day in allocations:
        if kind in PAID_KINDS:
            paid[n] += amount
            if amount:
                days[n].add(day)
        else:
            otherwise[n] += amount
            kinds[n].add(kind)
    # A loan repaid, written off or converted by then asks nothing more of any instalment.
    closed = loan.closed_on is not None and loan.closed_on <= date_to
    rows = []
    for row, open_, _held in position.open_after_advance():
        due_open = max(position.open_interest(row) + position.open_principal(row), ZERO)
        ahead = due_open - open_
        if closed:
            open_ = ahead = ZERO
        if open_ <= 0 and ahead > 0:
            status = "ahead"
        elif open_ <= 0:
            status = "settled"
        elif row.due_date < date_to:
            status = "late"
        elif row.due_date == date_to:
            status = "due"
        elif paid[row.n] > 0:
            status = "partly"
        else:
            status = "future"
        rows.append(
            ScheduleRow(
                n=row.n,
                due_date=row.due_date,
                principal=row.principal,
                interest=row.interest,
                payment=row.payment,
                balance=row.balance,
                paid=paid[row.n],
                paid_on=tuple(sorted(days[row.n])),
                otherwise=otherwise[row.n],
                capitalised=AllocationKind.CAPITALISED in kinds[row.n],
                written_off=AllocationKind.WRITTEN_OFF in kinds[row.n],
                open=max(open_, ZERO),
                status=status,
            )
        )
    totals = ScheduleTotals(
        principal=sum((r.principal for r in rows), ZERO),
        interest=sum((r.interest for r in rows), ZERO),
        payment=sum((r.payment for r in rows), ZERO),
        paid=sum((r.paid for r in rows), ZERO),
        open=sum((r.open for r in rows), ZERO),
    )
    if closed:
        standing = replace(standing, arrears=ZERO, days_past_due=0)
    return tuple(rows), totals, standing


# --- the statements ---------------------------------------------------------------------------


def statement_start(loan: Loan) -> Date:
    """Where a loan's statements start by default: its first disbursement (else the day it
    was contracted)."""
    return loan.start_date or loan.contracted_on


def loan_statement(loan: Loan, date_from: Date, date_to: Date) -> LoanStatement:
    """The rekeningoverzicht of ``loan`` over ``date_from``..``date_to`` (inclusive)."""
    if date_from > date_to:
        raise ValueError("date_from after date_to")
    books = _ledger(loan, date_from, date_to)
    schedule, totals, standing = _schedule(loan, date_to)
    return LoanStatement(
        loan=loan,
        date_from=date_from,
        date_to=date_to,
        issued_on=clock.today(),
        repayment_iban=_repayment_iban(loan),
        terms=_terms(loan),
        opening=books.opening,
        closing=books.closing,
        flows=books.flows,
        movements=books.movements,
        movement_totals=books.movement_totals,
        schedule=schedule,
        schedule_totals=totals,
        arrears=standing.arrears,
        days_past_due=standing.days_past_due,
    )


def statement_years(loan: Loan) -> range:
    """The years a jaaropgave can be made for: from the loan's start to this year."""
    return range(statement_start(loan).year, clock.today().year + 1)


def interest_statement(loan: Loan, year: int) -> InterestStatement:
    """The jaaropgave of ``loan`` for ``year``: 1 January to 31 December, or to today while
    the year is not over."""
    if year not in statement_years(loan):
        raise ValueError(f"no interest statement of {loan.number} for {year}")
    today = clock.today()
    date_from, date_to = Date(year, 1, 1), Date(year, 12, 31)
    provisional = date_to > today
    if provisional:
        date_to = today
    books = _ledger(loan, date_from, date_to)
    return InterestStatement(
        loan=loan,
        year=year,
        date_from=date_from,
        date_to=date_to,
        provisional=provisional,
        issued_on=today,
        repayment_iban=_repayment_iban(loan),
        terms=_terms(loan),
        opening=books.opening,
        closing=books.closing,
        flows=books.flows,
        movements=books.movements,
        movement_totals=books.movement_totals,
    )
