"""Use cases of the loans side. Each public function is one transaction: it locks, checks its
preconditions inside the lock, changes state, posts through :mod:`ledger.services` and writes an
audit event.

Locks are taken in the fixed order of the fund side: the fund's revolving ``Compartment`` row,
then the ``Application``, then the ``Loan`` (then its repayment or proposal). Every loan service
takes the compartment lock first, so loan operations of one fund are serialised and cannot
deadlock with the posting service's share lock on the book.

Ledger (every line on 1200/1210/1220/1230/4000/4100/5100 carries ``contract=<loan number>`` and
``party=<collective code>``):

* tranche disbursed: Dr 1200 / Cr 1000
* instalment falls due: Dr 1210 / Cr 4000 (key ``due:<loan>:<version>:<n>``); open month-end
  accruals (Dr 1230 / Cr 4000) are reversed then
* repayment: Dr 1000 (or 1900 for a matched suspense receipt) / Cr 1220, 1210, 1200
* penalty interest and success premium: Dr 1220 / Cr 4100
* arrears capitalised: Dr 1200 / Cr 1210 (the interest part; the principal stays on 1200)
* write-off and conversion to grant: Dr 5100 / Cr 1200, 1210 (and 1220)

Schedule versions: a tranche, a prepayment, an early settlement, a restructuring and a partial
write-off each add a version. Rows due on or before the version's effective date are carried
over unchanged (with the idempotency keys of the version they were first computed in); later
rows are rebuilt with :func:`loans.schedule.build_schedule` from the scheduled balance. The
first rebuilt row also carries the interest the old balance earned from the previous due date
to the effective date (broken period), both parts computed daily with the loan's day count
(30E/360 under period interest), so no interest is lost or counted twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import transaction
from django.db.models import F, Max, Q, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from djmoney.money import Money
from schwifty import IBAN

from fund.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    Compartment,
    CompartmentKind,
    Fund,
)
from fund.permissions import require_independent
from fund.selectors import compartment_position
from fund.services import (
    application_commitment_use,
    contribution_record,
    is_fund_manager,
    not_after_today,
    number_next,
    once_replay,
    require_no_pending_identity,
)
from ledger import chart, clock
from ledger.models import JournalEntry
from ledger.money import ZERO, AmountSyntaxError, format_amount, parse_amount, round_money, to_cents
from ledger.seal import seal_book
from ledger.services import (
    Cr,
    Dr,
    EntrySpec,
    audit_record,
    dates_postable,
    entries_post_bulk,
    entry_post,
    entry_reverse,
)
from ledger.text import visible_text

from . import exceptions as exc
from .allocation import AllocationError, Component, OpenItem, allocate, parse_order
from .audit import LoanAction
from .models import (
    SERVICED_STATES,
    Accrual,
    Allocation,
    AllocationKind,
    ArrearsBucket,
    ChangeKind,
    ChangeState,
    Charge,
    ChargeKind,
    DayRun,
    Disbursement,
    DisposalKind,
    Instalment,
    Loan,
    LoanChange,
    LoanProduct,
    LoanState,
    ReceiptDisposal,
    Repayment,
    ScheduleVersion,
    UnmatchedReceipt,
    VersionReason,
)
from .schedule import (
    DayCount,
    Frequency,
    InterestMethod,
    LoanTerms,
    Method,
    Rounding,
    ScheduleError,
    accrued_interest,
    build_schedule,
    due_dates,
    year_fraction,
)

CENT = Decimal("0.01")
OVERPAYMENT_CHOICES = ("shorten", "lower")


# --- small helpers -------------------------------------------------------------------------


def _amount(value) -> Decimal:
    if isinstance(value, Money):
        if str(value.currency) != "EUR":
            raise exc.InvalidAmount(_("Alleen bedragen in euro."))
        value = value.amount
    try:
        return round_money(value)
    except (ValueError, InvalidOperation) as error:
        raise exc.InvalidAmount(
            _("Dit is geen bedrag in euro en centen: %(value)s.") % {"value": str(value)[:40]}
        ) from error


def _positive(value) -> Decimal:
    amount = _amount(value)
    if amount <= 0:
        raise exc.InvalidAmount(_("Het bedrag moet groter zijn dan nul."))
    return amount


def _cents(amount: Decimal) -> int:
    return to_cents(amount)


def _eur(amount: Decimal) -> str:
    """An amount for a message, in the active language (``€ 1.234,56``)."""
    return format_amount(amount)


def _day(day: Date) -> str:
    """A date for a message (``28-11-2026``)."""
    return date_format(day, "SHORT_DATE_FORMAT")


def _not_after_today(day: Date) -> None:
    not_after_today(day, exc.InvalidDate)


def _require_manager(user, fund: Fund) -> None:
    if not is_fund_manager(user, fund):
        raise exc.NotAllowed(_("Alleen een fondsbeheerder van %(fund)s mag dit.") % {"fund": fund})


def _require_independent(user, *, collective=None, investor=None) -> None:
    require_independent(user, exc.ConflictOfInterest, collective=collective, investor=investor)


def _keys(loan: Loan) -> dict:
    return {"contract": loan.number, "party": loan.collective.code}


def _lock_compartment(fund_id: int) -> Compartment:
    return (
        Compartment.objects.select_for_update(of=("self",))
        .select_related("fund__book")
        .get(fund_id=fund_id, kind=CompartmentKind.REVOLVING)
    )


def _lock_loan(loan: Loan | int) -> Loan:
    pk = loan.pk if isinstance(loan, Loan) else loan
    return (
        Loan.objects.select_for_update(of=("self",))
        .select_related("fund__book", "collective", "product", "application")
        .get(pk=pk)
    )


def _snapshot(loan: Loan) -> dict:
    return {
        "state": loan.state,
        "principal": str(loan.principal),
        "disbursed": str(loan.disbursed),
        "annual_rate": str(loan.annual_rate),
        "periods": loan.periods,
    }


def _audit(actor, action: LoanAction, loan: Loan, before: dict | None = None, **after) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=loan,
        book_id=loan.fund.book_id,
        before=before,
        after={**_snapshot(loan), **after},
    )


def _round(value: Fraction | Decimal, loan: Loan) -> Decimal:
    """An amount of ``loan`` to the cent, rounded as its contract says (half-up or half-even)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(CENT, rounding=Rounding(loan.rounding).decimal_mode)


def _day_count(loan: Loan) -> str:
    """The day count for broken periods, accruals and penalties: the loan's under daily
    interest; 30E/360 under period interest (a whole month is then exactly rate / 12)."""
    return loan.day_count if loan.interest == InterestMethod.DAILY else DayCount.THIRTY_E_360


def _interest(loan: Loan, balance: Decimal, start: Date, end: Date, rate=None) -> Decimal:
    if balance <= 0 or end <= start:
        return ZERO
    return accrued_interest(
        balance,
        loan.annual_rate if rate is None else rate,
        start,
        end,
        _day_count(loan),
        rounding=loan.rounding,
    )


def _bucket(days: int) -> str:
    return ArrearsBucket.for_days(days)


# --- reading the schedule and what is open ---------------------------------------------------


def current_version(loan: Loan) -> ScheduleVersion | None:
    return ScheduleVersion.objects.filter(loan=loan, is_current=True).first()


def current_rows(loan: Loan) -> list[Instalment]:
    return list(Instalment.objects.filter(version__loan=loan, version__is_current=True))


@dataclass(frozen=True)
class Position:
    """Everything open on a loan at a date, computed from its rows, charges and allocations."""

    rows: list[Instalment]
    charges: list[Charge]
    allocated: dict[tuple[str, int], Decimal]
    advance: Decimal = ZERO  # paid ahead, held on 2100 until the next instalment falls due

    def open_interest(self, row: Instalment) -> Decimal:
        return row.interest - self.allocated.get((Component.INTEREST, row.n), ZERO)

    def open_principal(self, row: Instalment) -> Decimal:
        return max(ZERO, row.principal - self.allocated.get((Component.PRINCIPAL, row.n), ZERO))

    def open_fee(self, charge: Charge) -> Decimal:
        return charge.amount - self.allocated.get((Component.FEE, charge.pk), ZERO)

    def items(self, as_of: Date) -> list[OpenItem]:
        items = [
            OpenItem(Component.FEE, c.pk, c.date, self.open_fee(c))
            for c in self.charges
            if c.date <= as_of
        ]
        for row in self.rows:
            if row.due_date <= as_of:
                items.append(
                    OpenItem(Component.INTEREST, row.n, row.due_date, self.open_interest(row))
                )
                items.append(
                    OpenItem(Component.PRINCIPAL, row.n, row.due_date, self.open_principal(row))
                )
        return [i for i in items if i.amount > 0]

    def arrears_since(self, as_of: Date) -> Date | None:
        """Due date of the oldest instalment due before ``as_of`` that is not paid in full."""
        for row in self.rows:
            if row.due_date < as_of and (self.open_interest(row) + self.open_principal(row)) > 0:
                return row.due_date
        return None

    def scheduled_balance(self, as_of: Date) -> Decimal:
        """Principal not yet due after ``as_of``: the opening balance of the next instalment."""
        ahead = [r for r in self.rows if r.due_date > as_of]
        return ahead[0].opening_balance if ahead else ZERO

    def outstanding_principal(self) -> Decimal:
        return sum((r.principal for r in self.rows), ZERO) - sum(
            (a for (c, _n), a in self.allocated.items() if c == Component.PRINCIPAL), ZERO
        )

    def interest_receivable(self) -> Decimal:
        posted = sum((r.interest for r in self.rows if r.interest_posted), ZERO)
        return posted - sum(
            (a for (c, _n), a in self.allocated.items() if c == Component.INTEREST), ZERO
        )

    def fees_receivable(self) -> Decimal:
        return sum((self.open_fee(c) for c in self.charges), ZERO)

    def open_after_advance(self):
        """``(row, still open, advance left)`` per instalment, oldest first, with money paid
        ahead (held on 2100) counted against what falls due first, as the day-end books it
        when the instalment falls due: what a page shows before that run has caught up."""
        held = self.advance
        for row in self.rows:
            open_ = max(self.open_interest(row) + self.open_principal(row), ZERO)
            covered = min(held, open_)
            held -= covered
            yield row, open_ - covered, held

    def next_open(self, as_of: Date) -> Decimal:
        """What the first instalment due after ``as_of`` still asks, less what is held for it."""
        for row in self.rows:
            if row.due_date > as_of:
                return max(ZERO, self.open_interest(row) + self.open_principal(row) - self.advance)
        return ZERO


def advances_held(loan: Loan) -> list[tuple[Repayment, Decimal]]:
    """Repayments with part of their advance not yet allocated, oldest first (one query)."""
    return _advances_held(Repayment.objects.filter(loan=loan))


def _advances_held(repayments) -> list[tuple[Repayment, Decimal]]:
    used = Sum(
        "allocations__amount",
        filter=Q(allocations__kind=AllocationKind.ADVANCE, allocations__undone=False),
        default=ZERO,
    )
    held = (
        repayments.filter(advance__gt=0, reversed_at__isnull=True)
        .annotate(used=used)
        .order_by("value_date", "pk")
    )
    return [(r, r.advance - r.used) for r in held if r.advance > r.used]


def loan_status(loan: Loan) -> Position:
    return loan_statuses([loan])[loan.pk]


def loan_statuses(loans: Iterable[Loan]) -> dict[int, Position]:
    """The :class:`Position` of each loan, read in four queries however many loans there are
    (the current instalments, the charges, the allocations, the advances held)."""
    ids = [loan.pk for loan in loans]
    rows: dict[int, list[Instalment]] = defaultdict(list)
    instalments = (
        Instalment.objects.filter(version__loan_id__in=ids, version__is_current=True)
        .annotate(loan_pk=F("version__loan_id"))
        .order_by("version__loan_id", "n")
    )
    for row in instalments:
        rows[row.loan_pk].append(row)
    charges: dict[int, list[Charge]] = defaultdict(list)
    for charge in Charge.objects.filter(loan_id__in=ids, cancelled=False).order_by("date", "id"):
        charges[charge.loan_id].append(charge)
    allocated: dict[int, dict] = defaultdict(lambda: defaultdict(lambda: ZERO))
    parts = Allocation.objects.filter(loan_id__in=ids, undone=False).values_list(
        "loan_id", "component", "n", "charge_id", "amount"
    )
    for loan_id, component, n, charge_id, amount in parts:
        ref = charge_id if component == Component.FEE else n
        allocated[loan_id][(component, ref)] += amount
    advance: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for repayment, left in _advances_held(Repayment.objects.filter(loan_id__in=ids)):
        advance[repayment.loan_id] += left
    return {
        pk: Position(
            rows=rows[pk],
            charges=charges[pk],
            allocated=allocated[pk],
            advance=advance[pk],
        )
        for pk in ids
    }


# --- products and contracts ----------------------------------------------------------------


@transaction.atomic
def loan_product_create(*, fund: Fund, code: str, name: str, created_by, **fields) -> LoanProduct:
    """A loan product of a fund: its default terms and limits."""
    _require_manager(created_by, fund)
    product = LoanProduct(fund=fund, code=code, name=name, **fields)
    product.full_clean()
    try:
        parse_order(product.allocation_order)
    except AllocationError as error:
        raise exc.InvalidTerms(str(error)) from error
    product.save()
    audit_record(
        actor=created_by,
        action=LoanAction.PRODUCT_CREATE,
        obj=product,
        book_id=fund.book_id,
        after={"code": code, "name": name, "annual_rate": str(product.annual_rate)},
    )
    return product


TERM_FIELDS = (
    "method",
    "frequency",
    "interest",
    "day_count",
    "grace_principal",
    "grace_full",
    "grace_interest",
    "decimals",
    "rounding",
    "instalment_multiple",
)


def _terms(loan: Loan, **overrides) -> LoanTerms:
    values = {name: getattr(loan, name) for name in TERM_FIELDS}
    values["grace_interest"] = values["grace_interest"] or None
    values.update(annual_rate=loan.annual_rate, due_day=loan.due_day)
    values.update(overrides)
    try:
        return LoanTerms(**values)
    except ScheduleError as error:
        raise exc.InvalidTerms(str(error)) from error


@transaction.atomic
def loan_contract(
    *,
    application: Application,
    product: LoanProduct,
    contracted_by,
    date: Date,
    first_due: Date | None = None,
    principal=None,
    periods: int | None = None,
    **term_overrides,
) -> Loan:
    """Contract the loan of an approved loan application, number ``L-<year>-<nnnn>``.

    Terms default to the product's; the principal to the approved amount, the number of
    instalments to the application's term. Refused outside the product's limits. A principal
    below the approval releases the rest of the reservation. Nothing is posted yet.
    """
    _require_manager(contracted_by, application.fund)
    _require_independent(contracted_by, collective=application.collective)
    _not_after_today(date)
    _lock_compartment(application.fund_id)
    application = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    if application.kind != ApplicationKind.LOAN:
        raise exc.InvalidTransition(_("Dit is geen leningaanvraag."))
    if application.state != ApplicationState.APPROVED:
        raise exc.InvalidTransition(_("Alleen een goedgekeurde aanvraag wordt een lening."))
    if Loan.objects.filter(application=application).exists():
        raise exc.InvalidTransition(_("Voor deze aanvraag is al een lening gecontracteerd."))
    if product.fund_id != application.fund_id or not product.is_active:
        raise exc.InvalidTerms(_("Dit product hoort niet bij dit fonds of is niet actief."))
    approved = application.approved_amount.amount
    amount = _positive(principal if principal is not None else approved)
    if amount > approved:
        raise exc.InvalidAmount(_("De hoofdsom is hoger dan het toegekende bedrag."))
    if amount > product.max_amount:
        raise exc.InvalidTerms(_("De hoofdsom is hoger dan het maximum van het product."))
    if amount > application.commitment_open.amount:
        raise exc.InvalidAmount(_("Er is minder gereserveerd dan de hoofdsom."))
    frequency = Frequency(term_overrides.get("frequency", product.frequency))
    if periods is None:
        periods = max(1, (application.term_months or 0) // frequency.months)
    if periods * frequency.months > product.max_term_months:
        raise exc.InvalidTerms(_("De looptijd is langer dan het maximum van het product."))
    terms = {name: getattr(product, name) for name in TERM_FIELDS}
    unknown = set(term_overrides) - set(TERM_FIELDS) - {"annual_rate", "due_day"}
    if unknown:
        raise exc.InvalidTerms(f"unknown terms {sorted(unknown)}")
    terms.update(term_overrides)
    first_due = first_due or _add_period(date, frequency)
    year = date.year
    loan = Loan(
        number=number_next(prefix="L", year=year),
        fund=application.fund,
        collective=application.collective,
        application=application,
        product=product,
        state=LoanState.CONTRACTED,
        principal=amount,
        annual_rate=term_overrides.get("annual_rate", product.annual_rate),
        periods=periods,
        due_day=term_overrides.get("due_day"),
        first_due=first_due,
        success_premium_pct=product.success_premium_pct,
        penalty_rate=product.penalty_rate,
        contracted_on=date,
        contracted_by=contracted_by,
        **{k: v for k, v in terms.items() if k not in ("annual_rate", "due_day")},
    )
    # Validate every convention once with the engine before anything is written.
    try:
        build_schedule(
            _terms(loan, principal=amount, periods=periods, start=date, first_due=first_due)
        )
    except (ScheduleError, OverflowError) as error:
        raise exc.InvalidTerms(
            _("Met deze datums en voorwaarden is geen aflosschema te maken: %(e)s") % {"e": error}
        ) from error
    loan.full_clean()
    loan.save()
    release = application.commitment_open.amount - amount
    if release > 0:
        application_commitment_use(
            application=application,
            amount=Money(release, "EUR"),
            used_by=contracted_by,
            reason=f"lening {loan.number} lager dan toegekend",
        )
    _audit(contracted_by, LoanAction.CONTRACT, loan, before={}, first_due=first_due.isoformat())
    return loan


def _add_period(day: Date, frequency: Frequency) -> Date:
    return due_dates(day, frequency, 2)[1]


# --- schedule versions ---------------------------------------------------------------------


def _calendar(loan: Loan, periods: int | None = None) -> tuple[Date, ...]:
    return due_dates(loan.first_due, loan.frequency, periods or loan.periods, due_day=loan.due_day)


def _rebuild(
    loan: Loan,
    *,
    effective_date: Date,
    principal: Decimal,
    reason: str,
    created_by,
    state: Position | None = None,
    annual_rate: Decimal | None = None,
    shorten_to_instalment: Decimal | None = None,
    grace_principal: int | None = None,
    grace_full: int | None = None,
    extend: bool = False,
) -> ScheduleVersion:
    """Add a schedule version effective ``effective_date``. The caller holds the loan lock.

    Rows due on or before the date are carried; the rest of the calendar (``loan.periods``
    instalments from ``loan.first_due``) is rebuilt for ``principal``. With
    ``shorten_to_instalment`` the fewest instalments whose regular amount does not exceed it
    are taken (a prepayment that shortens the term). Grace left over from the contract applies
    to the rebuilt rows unless ``grace_*`` is given.
    """
    state = state or loan_status(loan)
    old = current_version(loan)
    rows = state.rows
    carried = [r for r in rows if r.due_date <= effective_date]
    replaced = [r for r in rows if r.due_date > effective_date]
    for row in replaced:
        touched = state.allocated.get((Component.INTEREST, row.n)) or state.allocated.get(
            (Component.PRINCIPAL, row.n)
        )
        if row.interest_posted or touched:
            raise exc.ScheduleConflict(
                _(
                    "Termijn %(n)s (vervalt %(date)s) is al geboekt of betaald; het aflosschema "
                    "kan pas per %(date)s of later wijzigen."
                )
                % {"n": row.n, "date": _day(row.due_date)}
            )
    if old is not None and effective_date < old.effective_date:
        raise exc.ScheduleConflict(
            _("Het aflosschema is per %(date)s al gewijzigd; een wijziging kan niet eerder ingaan.")
            % {"date": _day(old.effective_date)}
        )
    k = len(carried) + 1
    future = [d for d in _calendar(loan) if d > effective_date]
    if not future:
        raise exc.InvalidTerms(_("Na deze datum vervalt geen termijn meer."))
    passed = loan.periods - len(future)
    if grace_full is None:
        grace_full = max(0, loan.grace_full - passed)
    if grace_principal is None:
        grace_principal = max(0, loan.grace_principal - max(0, passed - loan.grace_full))
    rate = loan.annual_rate if annual_rate is None else annual_rate
    previous_due = carried[-1].due_date if carried else (loan.start_date or effective_date)
    old_balance = replaced[0].opening_balance if replaced else ZERO

    def terms_for(count: int, level: Decimal | None = None) -> LoanTerms:
        gf = min(grace_full, count - 1)
        gp = min(grace_principal, count - 1 - gf)
        return _terms(
            loan,
            level_payment=level,
            principal=principal,
            annual_rate=rate,
            periods=count,
            start=effective_date,
            first_due=future[0],
            grace_full=gf,
            grace_principal=gp,
            grace_interest=(loan.grace_interest or None) if gf else None,
            due_day=loan.due_day or _anchor(loan.first_due),
        )

    # Keep the current maturity (a shortened term stays short) unless the term is changed.
    count = len(future) if extend or not replaced else min(len(replaced), len(future))
    schedule = build_schedule(terms_for(count))
    if shorten_to_instalment is not None and loan.method == Method.ANNUITY:
        # The instalment stays exactly what it was; the term is as long as that takes
        # (docs/loans.md, "Paying early").
        level = build_schedule(terms_for(count, shorten_to_instalment))
        schedule = level
        for i, row in enumerate(level.rows):
            if row.balance == 0:
                if i + 1 < count:
                    schedule = build_schedule(terms_for(i + 1, shorten_to_instalment))
                break
    elif shorten_to_instalment is not None:
        for candidate in range(1, count):
            trial = build_schedule(terms_for(candidate))
            if trial.instalment <= shorten_to_instalment:
                schedule = trial
                break
    new_rows = list(schedule.rows)
    first = new_rows[0]
    if old_balance > 0 and first.principal >= 0 and effective_date > previous_due:
        # Broken period: the old balance until the effective date, the new one after it.
        interest = _interest(loan, old_balance, previous_due, effective_date, rate) + _interest(
            loan, principal, effective_date, first.due_date, rate
        )
        new_rows[0] = first._replace(interest=interest, payment=first.principal + interest)
    number = (old.number + 1) if old else 1
    if old is not None:
        ScheduleVersion.objects.filter(pk=old.pk).update(is_current=False)
    version = ScheduleVersion.objects.create(
        loan=loan,
        number=number,
        reason=reason,
        effective_date=effective_date,
        principal=principal,
        annual_rate=rate,
        instalment=schedule.instalment,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    copies = _carry_rows(version, carried)
    fresh = [
        Instalment(
            version=version,
            n=k + i,
            due_date=r.due_date,
            days=r.days,
            opening_balance=r.opening_balance,
            principal=r.principal,
            interest=r.interest,
            payment=r.payment,
            balance=r.balance,
            key_version=number,
        )
        for i, r in enumerate(new_rows)
    ]
    Instalment.objects.bulk_create(copies + fresh)
    return version


def _carry_rows(version: ScheduleVersion, rows: Iterable[Instalment]) -> list[Instalment]:
    """Copies of rows already due into a new version, keeping their posting keys."""
    return [
        Instalment(
            version=version,
            n=r.n,
            due_date=r.due_date,
            days=r.days,
            opening_balance=r.opening_balance,
            principal=r.principal,
            interest=r.interest,
            payment=r.payment,
            balance=r.balance,
            key_version=r.key_version,
            interest_posted=r.interest_posted,
        )
        for r in rows
    ]


def _anchor(day: Date) -> int:
    return 31 if clock.is_month_end(day) else day.day


# --- disbursement --------------------------------------------------------------------------


@transaction.atomic
def tranche_propose(
    *,
    loan: Loan,
    amount,
    date: Date,
    proposed_by,
    milestone: str = "",
    invoice_reference: str = "",
    reason: str = "",
    idempotency_key: str | None = None,
) -> LoanChange:
    """First pair of eyes on a tranche: money leaves the fund only when a second manager
    approves (:func:`loan_change_decide`, which books it as of ``date``).

    Checked now so the proposer hears it at once, and again when it is approved: the loan is
    being paid out, the amount is positive and not more than is left to pay out, and ``date``
    is neither in the future nor before the contract or the previous tranche.
    """
    _require_manager(proposed_by, loan.fund)
    _require_independent(proposed_by, collective=loan.collective)
    _not_after_today(date)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    money = _positive(amount)
    earlier = once_replay(
        LoanChange.objects.filter(loan__fund=loan.fund),
        idempotency_key,
        exc.InvalidTransition,
        lookup="once_key",
        loan_id=loan.pk,
        kind=ChangeKind.DISBURSEMENT,
        effective_date=date,
    )
    if earlier is not None:
        return earlier
    _check_tranche(loan, money, date)
    if LoanChange.objects.filter(loan=loan, state=ChangeState.PROPOSED).exists():
        raise exc.InvalidTransition(_("Er ligt al een voorstel voor deze lening."))
    params = {
        "amount": str(money),
        "milestone": milestone.strip(),
        "invoice_reference": invoice_reference.strip(),
    }
    change = LoanChange.objects.create(
        loan=loan,
        kind=ChangeKind.DISBURSEMENT,
        once_key=idempotency_key or None,
        effective_date=date,
        params=params,
        reason=reason.strip() or milestone.strip() or _("Uitbetaling tranche"),
        proposed_by=proposed_by,
    )
    _audit(proposed_by, LoanAction.DISBURSEMENT_PROPOSE, loan, change=change.pk, params=params)
    return change


def _check_tranche(loan: Loan, money: Decimal, date: Date) -> None:
    if loan.state not in (LoanState.CONTRACTED, LoanState.DISBURSING):
        raise exc.InvalidTransition(_("Deze lening wordt niet (meer) uitbetaald."))
    if money > loan.undisbursed:
        raise exc.InvalidAmount(
            _("Meer dan nog uit te betalen (%(left)s).") % {"left": _eur(loan.undisbursed)}
        )
    if date < loan.contracted_on or (loan.start_date and date < loan.start_date):
        raise exc.InvalidTransition(
            _("Een tranche kan niet vóór het contract of de vorige tranche (%(day)s) vallen.")
            % {"day": _day(loan.start_date or loan.contracted_on)}
        )


def _disburse(
    *,
    loan: Loan,
    amount: Decimal,
    date: Date,
    disbursed_by,
    milestone: str = "",
    invoice_reference: str = "",
) -> Disbursement:
    """Pay out an approved tranche: Dr 1200 / Cr 1000, and rebuild the schedule for the
    disbursed principal. Only :func:`loan_change_decide` calls it, in its transaction.

    Locks the revolving compartment, then the application, then the loan, and only then checks
    the pool: the tranche first uses its own application's reservation; what it needs beyond
    that must be free in the pool, and the cash in 1000 must carry the whole tranche.
    """
    _not_after_today(date)
    compartment = _lock_compartment(loan.fund_id)
    application = Application.objects.select_for_update(of=("self",)).get(pk=loan.application_id)
    loan = _lock_loan(loan)
    money = _positive(amount)
    _check_tranche(loan, money, date)
    require_no_pending_identity(loan.collective, exc.InvalidTransition)
    position = compartment_position(compartment)
    own = min(money, application.commitment_open.amount)
    if money > position.cash or money - own > position.available:
        raise exc.InsufficientPool(
            _("De pool kan %(amount)s niet dragen (kas %(cash)s, vrij %(free)s).")
            % {
                "amount": _eur(money),
                "cash": _eur(position.cash),
                "free": _eur(position.available + own),
            }
        )
    if own > 0:
        application_commitment_use(
            application=application,
            amount=Money(own, "EUR"),
            used_by=disbursed_by,
            reason=f"tranche lening {loan.number}",
        )
    before = _snapshot(loan)
    state = loan_status(loan)
    scheduled = state.scheduled_balance(date)
    loan.disbursed += money
    loan.start_date = loan.start_date or date
    loan.state = LoanState.ACTIVE if loan.disbursed == loan.principal else LoanState.DISBURSING
    loan.save(update_fields=["disbursed", "start_date", "state"])
    version = _rebuild(
        loan,
        effective_date=date,
        principal=scheduled + money,
        reason=VersionReason.TRANCHE,
        created_by=disbursed_by,
        state=state,
    )
    cents = _cents(money)
    entry = entry_post(
        book=loan.fund.book,
        date=date,
        description=f"Uitbetaling tranche lening {loan.number} {loan.collective.name}",
        lines=[Dr(chart.LOANS_PRINCIPAL, cents, **_keys(loan)), Cr(chart.BANK_REVOLVING, cents)],
        source_type="loans.disbursement",
        source_ref=loan.number,
        created_by=disbursed_by,
    )
    disbursement = Disbursement.objects.create(
        loan=loan,
        amount=money,
        date=date,
        milestone=milestone,
        invoice_reference=invoice_reference,
        entry=entry,
        version=version,
        created_by=disbursed_by,
    )
    _audit(
        disbursed_by,
        LoanAction.DISBURSE,
        loan,
        before,
        amount=str(money),
        entry=entry.pk,
        version=version.number,
    )
    return disbursement


# --- interest due, accruals ----------------------------------------------------------------


def _due_key(loan: Loan, row: Instalment) -> str:
    return f"due:{loan.number}:{row.key_version}:{row.n}"


def _due_specs(loan: Loan, rows: Iterable[Instalment]) -> list[EntrySpec]:
    """The entries that post the interest of ``rows`` due, as run_day posts them."""
    specs = []
    keys = _keys(loan)
    for row in rows:
        if row.interest > 0:
            cents = _cents(row.interest)
            specs.append(
                EntrySpec(
                    date=row.due_date,
                    description=f"Rente vervallen lening {loan.number} termijn {row.n}",
                    lines=[
                        Dr(chart.INTEREST_RECEIVABLE, cents, **keys),
                        Cr(chart.INTEREST_INCOME, cents, **keys),
                    ],
                    source_type="loans.interest_due",
                    source_ref=loan.number,
                    idempotency_key=_due_key(loan, row),
                )
            )
        if row.principal < 0:  # full grace, interest capitalised
            cents = _cents(-row.principal)
            specs.append(
                EntrySpec(
                    date=row.due_date,
                    description=f"Rente bijgeschreven op hoofdsom {loan.number} termijn {row.n}",
                    lines=[
                        Dr(chart.LOANS_PRINCIPAL, cents, **keys),
                        Cr(chart.INTEREST_RECEIVABLE, cents, **keys),
                    ],
                    source_type="loans.capitalisation",
                    source_ref=loan.number,
                    idempotency_key=f"cap:{loan.number}:{row.key_version}:{row.n}",
                )
            )
    return specs


def _post_due(loan: Loan, rows: list[Instalment], run_by=None, *, post: bool = True) -> int:
    """Post the interest of ``rows`` due (same keys and content as run_day), reverse the
    loan's open accruals, and flag the rows. Joins the caller's transaction (loan locked)."""
    rows = [r for r in rows if not r.interest_posted]
    if not rows:
        return 0
    specs = _due_specs(loan, rows) if post else []
    if specs:
        entries_post_bulk(book=loan.fund.book, entries=specs, created_by=run_by)
    capitalised = [r for r in rows if r.principal < 0]
    Allocation.objects.bulk_create(
        a
        for r in capitalised
        for a in (
            Allocation(
                loan=loan,
                kind=AllocationKind.CAPITALISED,
                component=Component.INTEREST,
                n=r.n,
                amount=r.interest,
                date=r.due_date,
            ),
            Allocation(
                loan=loan,
                kind=AllocationKind.CAPITALISED,
                component=Component.PRINCIPAL,
                n=r.n,
                amount=r.principal,
                date=r.due_date,
            ),
        )
    )
    Instalment.objects.filter(
        version__loan=loan, n__in=[r.n for r in rows], key_version__in={r.key_version for r in rows}
    ).update(interest_posted=True)
    for r in rows:
        r.interest_posted = True
    day = max(r.due_date for r in rows)
    _reverse_accruals(loan, day, run_by)
    _apply_advances(loan, day, run_by)
    return len(rows)


def _apply_advances(loan: Loan, day: Date, by=None) -> bool:
    """Allocate money paid ahead (held on 2100) to what is due on ``day``: Dr 2100 / Cr 1220,
    1210, 1200 by the product's order, one entry per repayment and day, keyed
    ``advance:<loan>:<repayment>:<day>``. Joins the caller's transaction (loan locked)."""
    held = advances_held(loan)
    if not held:
        return False
    order = parse_order(loan.product.allocation_order)
    mode = loan.product.allocation_mode
    keys = _keys(loan)
    applied = False
    for repayment, left in held:
        items = loan_status(loan).items(day)
        if not items:
            break
        result = allocate(left, items, order=order, mode=mode)
        used = left - result.prepayment
        if used <= 0:
            continue
        lines = [Dr(chart.ADVANCES, _cents(used), **keys)]
        for code, component in (
            (chart.FEES_RECEIVABLE, Component.FEE),
            (chart.INTEREST_RECEIVABLE, Component.INTEREST),
            (chart.LOANS_PRINCIPAL, Component.PRINCIPAL),
        ):
            part = result.total(component)
            if part > 0:
                lines.append(Cr(code, _cents(part), **keys))
        entry_post(
            book=loan.fund.book,
            date=day,
            description=f"Vooruitbetaling toegewezen lening {loan.number}",
            lines=lines,
            source_type="loans.advance",
            source_ref=loan.number,
            created_by=by if getattr(by, "pk", None) else None,
            idempotency_key=f"advance:{loan.number}:{repayment.pk}:{day.isoformat()}",
        )
        _allocate_parts(loan, result, AllocationKind.ADVANCE, day, repayment)
        applied = True
    return applied


def _allocate_parts(loan: Loan, result, kind: str, day: Date, repayment: Repayment) -> None:
    """The allocations of ``result`` (an :func:`allocate` result) made by ``repayment``."""
    Allocation.objects.bulk_create(
        Allocation(
            loan=loan,
            kind=kind,
            component=part.component,
            n=None if part.component == Component.FEE else part.ref,
            charge_id=part.ref if part.component == Component.FEE else None,
            amount=part.amount,
            date=day,
            repayment=repayment,
        )
        for part in result.parts
    )


def _reverse_accruals(loan: Loan, date: Date, run_by=None) -> None:
    for accrual in Accrual.objects.filter(loan=loan, reversal_entry__isnull=True, date__lte=date):
        reversal = entry_reverse(
            entry=accrual.entry,
            created_by=run_by,
            date=max(date, accrual.date),
            description=f"Terugboeking opgelopen rente {loan.number} per {accrual.date:%d-%m-%Y}",
            idempotency_key=f"accrual-rev:{loan.number}:{accrual.date.isoformat()}",
        )
        accrual.reversal_entry = reversal
        accrual.save(update_fields=["reversal_entry"])


def _accrue(loan: Loan, state: Position, day: Date, run_by=None) -> bool:
    """Month end: accrue the interest earned but not yet due (Dr 1230 / Cr 4000).

    The accrued amount is the next instalment's interest times the elapsed part of its period
    (under the loan's day count); only the increase over what is accrued already is posted.
    """
    upcoming = [r for r in state.rows if r.due_date > day and not r.interest_posted]
    if not upcoming or loan.start_date is None or loan.start_date >= day:
        return False
    row = upcoming[0]
    earlier = [r for r in state.rows if r.due_date <= day]
    start = max(earlier[-1].due_date if earlier else loan.start_date, loan.start_date)
    whole = year_fraction(start, row.due_date, _day_count(loan))
    if whole <= 0 or row.interest <= 0:
        return False
    target = _round(
        Fraction(row.interest) * year_fraction(start, day, _day_count(loan)) / whole, loan
    )
    open_accruals = list(Accrual.objects.filter(loan=loan, reversal_entry__isnull=True))
    booked = sum((a.amount for a in open_accruals), ZERO)
    if target < booked:
        _reverse_accruals(loan, day, run_by)
        booked = ZERO
    increase = target - booked
    if increase <= 0 or Accrual.objects.filter(loan=loan, date=day).exists():
        return False
    cents = _cents(increase)
    entry = entry_post(
        book=loan.fund.book,
        date=day,
        description=f"Opgelopen rente lening {loan.number} per {day:%d-%m-%Y}",
        lines=[
            Dr(chart.INTEREST_ACCRUED, cents, **_keys(loan)),
            Cr(chart.INTEREST_INCOME, cents, **_keys(loan)),
        ],
        source_type="loans.accrual",
        source_ref=loan.number,
        created_by=run_by,
        idempotency_key=f"accrual:{loan.number}:{day.isoformat()}",
    )
    Accrual.objects.create(loan=loan, date=day, n=row.n, amount=increase, entry=entry)
    return True


def _charge(loan: Loan, kind: str, day: Date, amount: Decimal, key: str, by=None) -> Charge:
    """Charge a fee or premium: Dr 1220 / Cr 4100."""
    cents = _cents(amount)
    label = "Boeterente" if kind == ChargeKind.PENALTY else "Succespremie"
    entry = entry_post(
        book=loan.fund.book,
        date=day,
        description=f"{label} lening {loan.number}",
        lines=[
            Dr(chart.FEES_RECEIVABLE, cents, **_keys(loan)),
            Cr(chart.FEE_INCOME, cents, **_keys(loan)),
        ],
        source_type=f"loans.{kind}",
        source_ref=loan.number,
        created_by=by,
        idempotency_key=key,
    )
    return Charge.objects.create(loan=loan, kind=kind, date=day, amount=amount, entry=entry)


def _penalty(loan: Loan, state: Position, day: Date, run_by=None) -> bool:
    """Month end: penalty interest on the arrears open at the month end, for the days in this
    month that each instalment was overdue (Dr 1220 / Cr 4100)."""
    if loan.penalty_rate <= 0:
        return False
    month_start = day.replace(day=1) - timedelta(days=1)
    total = ZERO
    for row in state.rows:
        if row.due_date >= day:
            break
        overdue = state.open_interest(row) + state.open_principal(row)
        if overdue > 0:
            total += _interest(
                loan, overdue, max(row.due_date, month_start), day, rate=loan.penalty_rate
            )
    key = f"penalty:{loan.number}:{day.isoformat()}"
    if total <= 0 or Charge.objects.filter(loan=loan, entry__idempotency_key=key).exists():
        return False
    charge = _charge(loan, ChargeKind.PENALTY, day, total, key, run_by)
    state.charges.append(charge)
    return True


def _set_arrears(loan: Loan, state: Position, day: Date, *, save: bool = True) -> int:
    """Days past due and bucket of ``loan`` as of ``day``, on the instance and (with
    ``save``) in the database; the day-end saves a batch's loans in one statement."""
    since = state.arrears_since(day)
    days = (day - since).days if since else 0
    loan.days_past_due = days
    loan.arrears_bucket = _bucket(days)
    loan.status_date = day
    if save:
        Loan.objects.filter(pk=loan.pk).update(
            days_past_due=days, arrears_bucket=loan.arrears_bucket, status_date=day
        )
    return days


# --- day-end processing --------------------------------------------------------------------


DAY_BATCH = 50  # loans per day-end transaction: each holds its locks for well under a second


def loan_day_process(
    *, fund: Fund, date: Date, run_by=None, batch_size: int | None = None
) -> DayRun:
    """Day-end processing of one fund for one day, idempotent, in batches of loans.

    For every loan being serviced: instalments due on or before ``date`` post their interest
    (Dr 1210 / Cr 4000, one bulk posting, idempotency keys ``due:<loan>:<version>:<n>``) and
    reverse open accruals; at a month end interest earned but not yet due is accrued and
    penalty interest is charged on arrears where the product says so; days past due and the
    arrears bucket are updated. Running a day again posts nothing new.

    Each batch of ``batch_size`` loans is its own transaction, holding the compartment and
    its loans only while it runs, so repayments and imports get in between. A run that stops
    halfway (a crash, a lock timeout) leaves its ``DayRun`` open; running the day again
    finishes it, and the loans already done post nothing twice (docs/loans.md, "Day-end").
    """
    with transaction.atomic():
        run, _created = DayRun.objects.get_or_create(
            fund=fund, date=date, defaults={"completed": False}
        )
    ids = list(
        Loan.objects.filter(fund=fund, state__in=SERVICED_STATES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    in_arrears = 0
    batch_size = batch_size or DAY_BATCH
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            counts = _day_batch(fund, date, ids[start : start + batch_size], run_by)
            DayRun.objects.filter(pk=run.pk).update(
                due=F("due") + counts["due"],
                accrued=F("accrued") + counts["accrued"],
                penalties=F("penalties") + counts["penalties"],
            )
        in_arrears += counts["in_arrears"]
    DayRun.objects.filter(pk=run.pk).update(
        in_arrears=in_arrears, completed=True, finished_at=clock.now()
    )
    run.refresh_from_db()
    return run


def _day_batch(fund: Fund, date: Date, ids: list[int], run_by) -> dict[str, int]:
    """One day-end transaction over the loans ``ids`` (locked, with their compartment)."""
    _lock_compartment(fund.pk)
    loans = list(
        Loan.objects.select_for_update(of=("self",))
        .select_related("fund__book", "collective")
        .filter(pk__in=ids, state__in=SERVICED_STATES)
        .order_by("pk")
    )
    due_rows: dict[int, list[Instalment]] = {}
    states = loan_statuses(loans)
    specs: list[EntrySpec] = []
    for loan in loans:
        state = states[loan.pk]
        rows = [r for r in state.rows if r.due_date <= date and not r.interest_posted]
        if rows:
            due_rows[loan.pk] = rows
            specs += _due_specs(loan, rows)
    if specs:
        existing = set(
            JournalEntry.objects.filter(
                book=fund.book, idempotency_key__in=[s.idempotency_key for s in specs]
            ).values_list("idempotency_key", flat=True)
        )
        fresh = [s for s in specs if s.idempotency_key not in existing]
        entries_post_bulk(book=fund.book, entries=fresh, created_by=run_by)
    counts = defaultdict(int)
    for loan in loans:
        state = states[loan.pk]
        rows = due_rows.get(loan.pk)
        if rows:
            # Entries are posted; this flags rows, capitalises and reverses accruals.
            counts["due"] += _post_due(loan, rows, run_by, post=False)
            if state.advance > 0 or any(r.principal < 0 for r in rows):
                state = states[loan.pk] = loan_status(loan)
        if clock.is_month_end(date):
            counts["accrued"] += _accrue(loan, state, date, run_by)
            counts["penalties"] += _penalty(loan, state, date, run_by)
        counts["in_arrears"] += _set_arrears(loan, state, date, save=False) > 0
    Loan.objects.bulk_update(loans, ["days_past_due", "arrears_bucket", "status_date"])
    return counts


def loans_run_days(
    *,
    date_to: Date,
    date_from: Date | None = None,
    funds: Iterable[Fund] | None = None,
    run_by=None,
    progress: Callable[[Fund, Date, DayRun], None] | None = None,
) -> list[DayRun]:
    """Process every day from ``date_from`` (default: the day after the fund's last processed
    day, or its first disbursement) to ``date_to``, one transaction per fund and day, in order.
    Catching up a range gives the same books as running each day once. Never past today:
    a day is processed once it has begun."""
    _not_after_today(date_to)
    runs = []
    for fund in funds if funds is not None else Fund.objects.order_by("pk"):
        start = date_from
        if start is None:
            done = DayRun.objects.filter(fund=fund, completed=True)
            last = done.aggregate(d=Max("date"))["d"]
            if last is not None:
                start = last + timedelta(days=1)
            else:
                first = (
                    Loan.objects.filter(fund=fund, start_date__isnull=False)
                    .order_by("start_date")
                    .values_list("start_date", flat=True)
                    .first()
                )
                start = first or date_to
        day = start
        while day <= date_to:
            run = loan_day_process(fund=fund, date=day, run_by=run_by)
            runs.append(run)
            if progress:
                progress(fund, day, run)
            day += timedelta(days=1)
        seal_book(fund.book_id)  # the day-end seals the day's postings (docs/ledger.md)
    return runs


# --- repayments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SettlementQuote:
    """What closes the loan on ``date``."""

    loan: Loan
    date: Date
    principal: Decimal  # all outstanding principal (overdue and not yet due)
    interest_due: Decimal  # interest of instalments due on or before the date, unpaid
    interest_accrued: Decimal  # interest from the last due date to the date, not yet due
    fees: Decimal  # fees and penalties charged and unpaid
    premium: Decimal  # success premium, if the product has one
    advance: Decimal = ZERO  # paid ahead and still held: counts towards the total

    @property
    def total(self) -> Decimal:
        return (
            self.principal
            + self.interest_due
            + self.interest_accrued
            + self.fees
            + self.premium
            - self.advance
        )


def _quote(loan: Loan, state: Position, day: Date) -> SettlementQuote:
    due = [r for r in state.rows if r.due_date <= day]
    ahead = [r for r in state.rows if r.due_date > day]
    accrued = ZERO
    if ahead:
        start = due[-1].due_date if due else (loan.start_date or day)
        accrued = _interest(loan, ahead[0].opening_balance, start, day)
    premium = ZERO
    if ahead and loan.success_premium_pct > 0:
        premium = _round(loan.disbursed * loan.success_premium_pct / 100, loan)
    return SettlementQuote(
        loan=loan,
        date=day,
        principal=sum((state.open_principal(r) for r in state.rows), ZERO),
        interest_due=sum((state.open_interest(r) for r in due), ZERO),
        interest_accrued=accrued,
        fees=sum((state.open_fee(c) for c in state.charges if c.date <= day), ZERO),
        premium=premium,
        advance=state.advance,
    )


def loan_settlement_quote(*, loan: Loan, date: Date) -> SettlementQuote:
    """Early-settlement quote: outstanding principal + interest accrued to ``date`` + fees due
    + success premium. Recording a repayment of exactly ``total`` on ``date`` closes the loan."""
    return _quote(loan, loan_status(loan), date)


def _settle(loan: Loan, state: Position, day: Date, by) -> tuple[ScheduleVersion, Position]:
    """A version whose last row falls due on ``day``: all not-yet-due principal plus the
    interest accrued since the last due date. Charges the success premium."""
    quote = _quote(loan, state, day)
    ahead = [r for r in state.rows if r.due_date > day]
    version = _rebuild_settlement(loan, state, day, ahead, quote, by)
    if quote.premium > 0:
        _charge(
            loan,
            ChargeKind.PREMIUM,
            day,
            quote.premium,
            f"premium:{loan.number}:{version.number}",
            by,
        )
    return version, loan_status(loan)


def _rebuild_settlement(loan, state, day, ahead, quote, by) -> ScheduleVersion:
    old = current_version(loan)
    for row in ahead:
        if row.interest_posted:
            raise exc.ScheduleConflict(_("Er is al rente geboekt na deze datum."))
    if old is not None and day < old.effective_date:
        raise exc.ScheduleConflict(
            _("Het aflosschema is per %(date)s al gewijzigd.") % {"date": _day(old.effective_date)}
        )
    carried = [r for r in state.rows if r.due_date <= day]
    ScheduleVersion.objects.filter(pk=old.pk).update(is_current=False)
    principal = ahead[0].opening_balance
    number = old.number + 1
    version = ScheduleVersion.objects.create(
        loan=loan,
        number=number,
        reason=VersionReason.SETTLEMENT,
        effective_date=day,
        principal=principal,
        annual_rate=loan.annual_rate,
        instalment=principal + quote.interest_accrued,
        created_by=by if getattr(by, "pk", None) else None,
    )
    previous = carried[-1].due_date if carried else (loan.start_date or day)
    rows = _carry_rows(version, carried)
    rows.append(
        Instalment(
            version=version,
            n=len(carried) + 1,
            due_date=day,
            days=(day - previous).days,
            opening_balance=principal,
            principal=principal,
            interest=quote.interest_accrued,
            payment=principal + quote.interest_accrued,
            balance=ZERO,
            key_version=number,
        )
    )
    Instalment.objects.bulk_create(rows)
    return version


def _record_repayment(
    *,
    loan: Loan,
    amount: Decimal,
    value_date: Date,
    by,
    reference: str,
    bank_reference: str,
    overpayment: str,
    debit_line,
    description: str,
    idempotency_key: str | None = None,
    replaces: Repayment | None = None,
) -> Repayment:
    """Allocate and post a repayment. The caller holds the compartment and loan locks."""
    if loan.state not in SERVICED_STATES:
        raise exc.InvalidTransition(_("Op deze lening kan niet worden afgelost."))
    if overpayment not in OVERPAYMENT_CHOICES:
        raise exc.InvalidTransition(f"overpayment must be one of {OVERPAYMENT_CHOICES}")
    if loan.start_date is None or value_date < loan.start_date:
        raise exc.InvalidTransition(_("Aflossing vóór de eerste uitbetaling."))
    before = _snapshot(loan)
    state = loan_status(loan)
    # What run_day would have posted by the value date: post it first, same keys.
    if _post_due(loan, [r for r in state.rows if r.due_date <= value_date], by):
        state = loan_status(loan)
    order = parse_order(loan.product.allocation_order)
    mode = loan.product.allocation_mode
    result = allocate(amount, state.items(value_date), order=order, mode=mode)
    version = None
    settled = False
    advance = ZERO
    rest = result.prepayment
    if rest > 0:
        ahead = state.scheduled_balance(value_date)
        if ahead <= 0:
            raise exc.InvalidAmount(
                _("%(extra)s meer dan er openstaat; boek het restant als niet toegewezen.")
                % {"extra": _eur(rest)}
            )
        # Up to what falls due next is paid in advance of it, held until it falls due; only
        # the part beyond it is a prepayment (docs/loans.md, "Paying early").
        advance = min(rest, state.next_open(value_date))
        rest -= advance
        if rest > 0 and result.prepayment + state.advance >= ahead:
            advance = ZERO
            rest = result.prepayment
            quote = _quote(loan, state, value_date)
            if amount != quote.total:
                raise exc.InvalidAmount(
                    _(
                        "Volledige vervroegde aflossing per %(date)s is %(total)s; ontvangen "
                        "%(amount)s."
                    )
                    % {
                        "date": _day(value_date),
                        "total": _eur(quote.total),
                        "amount": _eur(amount),
                    }
                )
            version, state = _settle(loan, state, value_date, by)
            if _post_due(loan, [r for r in state.rows if r.due_date <= value_date], by):
                state = loan_status(loan)
            result = allocate(amount, state.items(value_date), order=order, mode=mode)
            rest = result.prepayment
            settled = True
        elif rest > 0:
            old = current_version(loan)
            version = _rebuild(
                loan,
                effective_date=value_date,
                principal=ahead - rest,
                reason=VersionReason.PREPAYMENT,
                created_by=by,
                state=state,
                shorten_to_instalment=old.instalment if overpayment == "shorten" else None,
            )
    fees = result.total(Component.FEE)
    interest = result.total(Component.INTEREST)
    principal = result.total(Component.PRINCIPAL) + rest
    keys = _keys(loan)
    lines = [debit_line(_cents(amount))]
    for code, part in (
        (chart.FEES_RECEIVABLE, fees),
        (chart.INTEREST_RECEIVABLE, interest),
        (chart.LOANS_PRINCIPAL, principal),
        (chart.ADVANCES, advance),
    ):
        if part > 0:
            lines.append(Cr(code, _cents(part), **keys))
    entry = entry_post(
        book=loan.fund.book,
        date=value_date,
        description=description,
        lines=lines,
        source_type="loans.repayment",
        source_ref=loan.number,
        created_by=by,
        idempotency_key=idempotency_key,
    )
    repayment = Repayment.objects.create(
        loan=loan,
        amount=amount,
        value_date=value_date,
        reference=reference,
        bank_reference=bank_reference,
        prepayment=ZERO if settled else rest,
        advance=advance,
        entry=entry,
        version=version,
        replaces=replaces,
        created_by=by if getattr(by, "pk", None) else None,
    )
    _allocate_parts(loan, result, AllocationKind.PAYMENT, value_date, repayment)
    if advance > 0:
        # Backdated past instalments that have fallen due since: the advance pays them as
        # the day-end did when they fell due.
        fallen = {r.due_date for r in current_rows(loan) if r.interest_posted}
        for due in sorted(d for d in fallen if d > value_date):
            _apply_advances(loan, due, by)
    if settled:
        loan.state = LoanState.REPAID
        loan.closed_on = value_date
        loan.save(update_fields=["state", "closed_on"])
        _reverse_accruals(loan, value_date, by)
    if loan.status_date:
        _set_arrears(loan, loan_status(loan), loan.status_date)
    _audit(
        by,
        LoanAction.REPAYMENT_REBOOK if replaces else LoanAction.REPAYMENT,
        loan,
        before,
        repayment=repayment.pk,
        **({"replaces": replaces.pk} if replaces else {}),
        amount=str(amount),
        value_date=value_date.isoformat(),
        fees=str(fees),
        interest=str(interest),
        principal=str(principal),
        prepayment=str(repayment.prepayment),
        advance=str(advance),
        version=version.number if version else None,
    )
    return repayment


@transaction.atomic
def repayment_record(
    *,
    loan: Loan,
    amount,
    value_date: Date,
    recorded_by,
    reference: str = "",
    bank_reference: str = "",
    overpayment: str = "shorten",
    idempotency_key: str | None = None,
) -> Repayment:
    """Record money received for a loan: Dr 1000 / Cr 1220, 1210, 1200 by the product's order.

    Allocated as of ``value_date`` (a backdated repayment as if it arrived then) over fees and
    the instalments due by then; interest of an instalment that run_day has not yet posted due
    is posted due first with run_day's key. What is left is a prepayment that shortens the term
    (``overpayment="shorten"``) or lowers the instalment (``"lower"``), in a new schedule
    version; exactly the settlement quote's total closes the loan (with the success premium).
    """
    _require_manager(recorded_by, loan.fund)
    _not_after_today(value_date)
    money = _positive(amount)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    earlier = once_replay(
        Repayment.objects.filter(loan__fund=loan.fund),
        idempotency_key,
        exc.InvalidTransition,
        loan_id=loan.pk,
        amount=money,
        value_date=value_date,
    )
    if earlier is not None:
        return earlier
    if bank_reference:
        booked = Repayment.objects.filter(
            loan__fund=loan.fund, bank_reference=bank_reference, reversed_at__isnull=True
        ).first()
        if booked is not None:
            raise exc.InvalidTransition(
                _("Bankkenmerk %(ref)s is al geboekt op %(date)s (lening %(loan)s).")
                % {
                    "ref": bank_reference,
                    "date": _day(booked.value_date),
                    "loan": booked.loan.number,
                }
            )
    return _record_repayment(
        loan=loan,
        amount=money,
        value_date=value_date,
        by=recorded_by,
        idempotency_key=idempotency_key,
        reference=reference,
        bank_reference=bank_reference,
        overpayment=overpayment,
        debit_line=lambda cents: Dr(chart.BANK_REVOLVING, cents),
        description=f"Aflossing lening {loan.number} {loan.collective.name}",
    )


@transaction.atomic
def repayment_reverse(
    *, repayment: Repayment, reversed_by, reason: str, date: Date | None = None
) -> Repayment:
    """Undo a repayment: a reversal entry (dated like the original unless ``date`` is given)
    and its allocations undone, so the loan is exactly as if it had never arrived.

    Repayments recorded after it were allocated on top of it; they are reversed and booked
    again as they were (amount, value date, references), each new one pointing to the one it
    replaces, so interest and principal are split as they would have been (docs/loans.md,
    "Reversing"). A later repayment that changed the schedule is not rebooked: it must be
    reversed first. A repayment that made a schedule version (prepayment, settlement) can
    only be reversed while that version is current; the previous version is then current
    again and a success premium is reversed too."""
    loan = repayment.loan
    _require_manager(reversed_by, loan.fund)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    repayment = Repayment.objects.select_for_update(of=("self",)).get(pk=repayment.pk)
    if date is not None:
        _not_after_today(date)
        if date < repayment.value_date:
            raise exc.InvalidDate(
                _("Een tegenboeking kan niet vóór de aflossing zelf (%(date)s) liggen.")
                % {"date": _day(repayment.value_date)}
            )
    if repayment.is_reversed:
        raise exc.InvalidTransition(_("Deze aflossing is al teruggedraaid."))
    if not reason.strip():
        raise exc.InvalidTransition(_("Geef een reden."))
    before = _snapshot(loan)
    later = list(
        repayments_after(repayment).select_for_update(of=("self",)).select_related("entry")
    )
    blocker = reversal_blocker(repayment, later)
    if blocker:
        raise exc.ScheduleConflict(blocker)
    rebook = f"Herboeking na tegenboeking aflossing {_day(repayment.value_date)}"
    for other in reversed(later):
        _undo_repayment(loan, other, reversed_by, date and max(date, other.value_date), rebook)
    if repayment.version_id:
        _undo_version(loan, repayment, reversed_by, date)
    _undo_repayment(
        loan,
        repayment,
        reversed_by,
        date,
        f"Tegenboeking aflossing lening {loan.number}: {reason}",
    )
    # A receipt matched from suspense goes back to suspense (Dr 1900 is reversed too).
    UnmatchedReceipt.objects.filter(repayment=repayment).update(repayment=None)
    for other in later:
        _rebook(loan, other, repayment, reversed_by)
    if loan.status_date:
        _set_arrears(loan, loan_status(loan), loan.status_date)
    _audit(
        reversed_by,
        LoanAction.REPAYMENT_REVERSE,
        loan,
        before,
        repayment=repayment.pk,
        reason=reason,
        rebooked=", ".join(str(other.pk) for other in later) or None,
    )
    return repayment


def repayments_after(repayment: Repayment):
    """The repayments recorded after ``repayment`` and not reversed: they were allocated on
    top of it, so reversing it re-books them."""
    return Repayment.objects.filter(
        loan_id=repayment.loan_id, pk__gt=repayment.pk, reversed_at__isnull=True
    ).order_by("value_date", "pk")


def reversal_blocker(repayment: Repayment, later=None) -> str | None:
    """Why ``repayment`` cannot be reversed as things stand (a later repayment changed the
    schedule, and is not re-booked), or None."""
    for other in repayments_after(repayment) if later is None else later:
        if other.version_id:
            return _(
                "Na deze aflossing is een aflossing van %(amount)s met valutadatum %(date)s "
                "geboekt die het schema wijzigde. Draai eerst die terug; daarna kan deze."
            ) % {"amount": _eur(other.amount), "date": _day(other.value_date)}
    return None


def _undo_version(loan: Loan, repayment: Repayment, by, date: Date | None) -> None:
    """Cancel the schedule version ``repayment`` made; the previous one is current again."""
    version = repayment.version
    if not version.is_current:
        raise exc.ScheduleConflict(
            _("Na deze aflossing is het schema opnieuw gewijzigd; draai dat eerst terug.")
        )
    later = Instalment.objects.filter(
        version=version, key_version=version.number, interest_posted=True
    )
    fallen = later.order_by("due_date").first()
    if version.reason != VersionReason.SETTLEMENT and fallen is not None:
        raise exc.ScheduleConflict(
            _(
                "Na deze vervroegde aflossing is de termijn van %(date)s al vervallen op het "
                "nieuwe schema, dus terugdraaien kan niet meer. Corrigeer de lening met een "
                "herstructurering."
            )
            % {"date": _day(fallen.due_date)}
        )
    new_rows = Instalment.objects.filter(version=version, key_version=version.number)
    paid_later = Allocation.objects.filter(
        loan=loan, undone=False, n__in=new_rows.values_list("n", flat=True)
    ).exclude(repayment=repayment)
    if paid_later.exists():
        raise exc.ScheduleConflict(_("Er is al betaald op het nieuwe schema."))
    if version.reason == VersionReason.SETTLEMENT:
        for row in later:
            entry = JournalEntry.objects.get(
                book=loan.fund.book, idempotency_key=_due_key(loan, row)
            )
            entry_reverse(entry=entry, created_by=by, date=date)
        for charge in Charge.objects.filter(
            loan=loan,
            entry__idempotency_key=f"premium:{loan.number}:{version.number}",
            cancelled=False,
        ):
            entry_reverse(entry=charge.entry, created_by=by, date=date)
            charge.cancelled = True
            charge.save(update_fields=["cancelled"])
        loan.state = LoanState.ACTIVE
        loan.closed_on = None
        loan.save(update_fields=["state", "closed_on"])
    previous = (
        ScheduleVersion.objects.filter(loan=loan, number__lt=version.number, cancelled=False)
        .order_by("-number")
        .first()
    )
    ScheduleVersion.objects.filter(pk=version.pk).update(is_current=False, cancelled=True)
    ScheduleVersion.objects.filter(pk=previous.pk).update(is_current=True)


def _undo_repayment(loan: Loan, repayment: Repayment, by, date: Date | None, why: str) -> None:
    """Reverse a repayment's entry and what its advance paid, and undo its allocations."""
    for applied in JournalEntry.objects.filter(
        book=loan.fund.book,
        idempotency_key__startswith=f"advance:{loan.number}:{repayment.pk}:",
        reversed_by__isnull=True,
    ).order_by("pk"):
        entry_reverse(entry=applied, created_by=by, date=date and max(date, applied.date))
    reversal = entry_reverse(entry=repayment.entry, created_by=by, date=date, description=why[:255])
    Allocation.objects.filter(repayment=repayment).update(undone=True)
    repayment.reversed_at = clock.now()
    repayment.reversal_entry = reversal
    repayment.save(update_fields=["reversed_at", "reversal_entry"])


def _rebook(loan: Loan, original: Repayment, cause: Repayment, by) -> Repayment:
    """Book ``original`` (just reversed) again as it arrived, from the same account."""
    debit = original.entry.lines.select_related("account").get(debit__gt=0)
    account, party, contract = debit.account.code, debit.party, debit.contract
    again = _record_repayment(
        loan=loan,
        amount=original.amount,
        value_date=original.value_date,
        by=by,
        reference=original.reference,
        bank_reference=original.bank_reference,
        overpayment="shorten",
        debit_line=lambda cents: Dr(account, cents, party=party, contract=contract),
        description=f"{original.entry.description} (herboekt)"[:255],
        idempotency_key=f"rebook:{original.pk}:{cause.pk}",
        replaces=original,
    )
    UnmatchedReceipt.objects.filter(repayment=original).update(repayment=again)
    return again


# --- suspense and bank import --------------------------------------------------------------


@transaction.atomic
def receipt_record_unmatched(
    *,
    fund: Fund,
    amount,
    value_date: Date,
    payer_reference: str,
    recorded_by,
    description: str = "",
    bank_reference: str = "",
    idempotency_key: str | None = None,
) -> UnmatchedReceipt:
    """A receipt that matches no loan: Dr 1000 / Cr 1900 (party = payer reference)."""
    _require_manager(recorded_by, fund)
    _not_after_today(value_date)
    _lock_compartment(fund.pk)
    money = _positive(amount)
    # The payer is the sub-ledger key of 1900, which holds 40 characters (a long name is cut).
    payer = visible_text(payer_reference).strip()[:40] or "onbekend"
    cents = _cents(money)
    entry = entry_post(
        book=fund.book,
        date=value_date,
        description=f"Niet toegewezen ontvangst {payer} {description}"[:255],
        lines=[Dr(chart.BANK_REVOLVING, cents), Cr(chart.SUSPENSE, cents, party=payer)],
        source_type="loans.unmatched_receipt",
        source_ref=payer,
        created_by=recorded_by,
        idempotency_key=idempotency_key,
    )
    receipt = UnmatchedReceipt.objects.create(
        fund=fund,
        amount=money,
        value_date=value_date,
        payer_reference=payer,
        description=description[:255],
        bank_reference=bank_reference,
        entry=entry,
        created_by=recorded_by,
    )
    audit_record(
        actor=recorded_by,
        action=LoanAction.RECEIPT_UNMATCHED,
        obj=receipt,
        book_id=fund.book_id,
        after={"amount": str(money), "payer": payer, "entry": entry.pk},
    )
    return receipt


@transaction.atomic
def receipt_match(
    *, receipt: UnmatchedReceipt, loan: Loan, matched_by, overpayment: str = "shorten"
) -> Repayment:
    """Match a suspense receipt to a loan: a repayment at the receipt's value date, posted
    Dr 1900 (party = payer) / Cr 1220, 1210, 1200. Reversing it puts the money back in 1900."""
    _require_manager(matched_by, loan.fund)
    _require_independent(matched_by, collective=loan.collective)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    receipt = UnmatchedReceipt.objects.select_for_update(of=("self",)).get(pk=receipt.pk)
    if receipt.fund_id != loan.fund_id:
        raise exc.InvalidTransition(_("Ontvangst en lening horen bij verschillende fondsen."))
    if receipt.repayment_id:
        raise exc.InvalidTransition(_("Deze ontvangst is al toegewezen."))
    _no_disposal(receipt)
    payer = receipt.payer_reference
    repayment = _record_repayment(
        loan=loan,
        amount=receipt.amount,
        value_date=receipt.value_date,
        by=matched_by,
        reference=receipt.description,
        bank_reference=receipt.bank_reference,
        overpayment=overpayment,
        debit_line=lambda cents: Dr(chart.SUSPENSE, cents, party=payer),
        description=f"Toewijzing ontvangst {payer} aan lening {loan.number}",
    )
    receipt.repayment = repayment
    receipt.save(update_fields=["repayment"])
    return repayment


def _no_disposal(receipt: UnmatchedReceipt) -> None:
    disposal = receipt.disposals.filter(
        state__in=(ChangeState.PROPOSED, ChangeState.EXECUTED)
    ).first()
    if disposal is not None:
        raise exc.InvalidTransition(
            _("Voor deze ontvangst ligt al een voorstel of besluit: %(what)s (%(state)s).")
            % {"what": disposal.get_kind_display(), "state": disposal.get_state_display()}
        )


@transaction.atomic
def receipt_disposal_propose(
    *,
    receipt: UnmatchedReceipt,
    kind: str,
    proposed_by,
    reason: str,
    iban: str = "",
    name: str = "",
    commitment=None,
    idempotency_key: str | None = None,
) -> ReceiptDisposal:
    """First pair of eyes on a receipt in suspense that is no loan's repayment: refund it to
    the payer (``iban``, ``name``) or book it as capital paid in under ``commitment``. Nothing
    is booked until another manager of the fund approves (:func:`receipt_disposal_decide`)."""
    _require_manager(proposed_by, receipt.fund)
    _lock_compartment(receipt.fund_id)
    receipt = UnmatchedReceipt.objects.select_for_update(of=("self",)).get(pk=receipt.pk)
    earlier = once_replay(
        ReceiptDisposal.objects.filter(receipt__fund_id=receipt.fund_id),
        idempotency_key,
        exc.InvalidTransition,
        lookup="once_key",
        receipt_id=receipt.pk,
        kind=kind,
    )
    if earlier is not None:
        return earlier
    if receipt.repayment_id:
        raise exc.InvalidTransition(_("Deze ontvangst is al toegewezen aan een lening."))
    _no_disposal(receipt)
    if kind not in DisposalKind.values:
        raise exc.InvalidTransition(f"not a disposal: {kind!r}")
    if commitment is not None:
        _require_independent(proposed_by, investor=commitment.investor)
    if not reason.strip():
        raise exc.InvalidTransition(_("Motiveer het voorstel."))
    fields: dict = {}
    if kind == DisposalKind.REFUND:
        try:
            fields["iban"] = IBAN(iban).compact
        except ValueError as error:
            raise exc.InvalidTransition(
                _("Ongeldig IBAN om naar terug te betalen: %(error)s") % {"error": error}
            ) from error
        if not name.strip():
            raise exc.InvalidTransition(_("Geef de naam van de rekeninghouder."))
        fields["name"] = name.strip()[:140]
    else:
        if commitment is None or commitment.compartment.fund_id != receipt.fund_id:
            raise exc.InvalidTransition(_("Kies een toezegging van dit fonds."))
        fields["commitment"] = commitment
    disposal = ReceiptDisposal.objects.create(
        receipt=receipt,
        kind=kind,
        once_key=idempotency_key or None,
        reason=reason.strip(),
        proposed_by=proposed_by,
        **fields,
    )
    audit_record(
        actor=proposed_by,
        action=LoanAction.of_disposal(kind, "propose"),
        obj=receipt,
        book_id=receipt.fund.book_id,
        after={
            "amount": str(receipt.amount),
            "payer": receipt.payer_reference,
            "iban": disposal.iban,
            "commitment": disposal.commitment_id,
            "reason": disposal.reason,
        },
    )
    return disposal


@transaction.atomic
def receipt_disposal_decide(
    *, disposal: ReceiptDisposal, decided_by, approve: bool, reason: str, date: Date | None = None
) -> ReceiptDisposal:
    """Second pair of eyes: a different manager of the fund approves (which books it, dated
    ``date`` or today: the refund leaves the bank now) or rejects the proposal."""
    receipt = disposal.receipt
    _require_manager(decided_by, receipt.fund)
    _lock_compartment(receipt.fund_id)
    receipt = UnmatchedReceipt.objects.select_for_update(of=("self",)).get(pk=receipt.pk)
    disposal = ReceiptDisposal.objects.select_for_update(of=("self",)).get(pk=disposal.pk)
    if disposal.state != ChangeState.PROPOSED:
        outcome = ChangeState.EXECUTED if approve else ChangeState.REJECTED
        if disposal.state == outcome and disposal.decided_by_id == decided_by.pk:
            disposal.once_replayed = True  # the same decision sent twice: the first result
            return disposal
        raise exc.InvalidTransition(_("Over dit voorstel is al besloten."))
    if disposal.proposed_by_id == decided_by.pk:
        raise exc.FourEyesViolation(
            _("Vier ogen: wie het voorstel deed, mag het niet zelf goedkeuren.")
        )
    if not reason.strip():
        raise exc.InvalidTransition(_("Motiveer het besluit."))
    day = date or clock.today()
    _not_after_today(day)
    if day < receipt.value_date:
        raise exc.InvalidDate(
            _("De boeking kan niet vóór de ontvangst (%(day)s) vallen.")
            % {"day": _day(receipt.value_date)}
        )
    disposal.decided_by = decided_by
    disposal.decided_at = clock.now()
    disposal.decision_reason = reason.strip()
    if approve and receipt.repayment_id:
        raise exc.InvalidTransition(_("Deze ontvangst is intussen aan een lening toegewezen."))
    if disposal.commitment_id:
        _require_independent(decided_by, investor=disposal.commitment.investor)
    if approve and disposal.kind == DisposalKind.REFUND:
        cents = _cents(receipt.amount)
        disposal.entry = entry_post(
            book=receipt.fund.book,
            date=day,
            description=f"Terugbetaling ontvangst {receipt.payer_reference} aan {disposal.name}"[
                :255
            ],
            lines=[
                Dr(chart.SUSPENSE, cents, party=receipt.payer_reference),
                Cr(chart.BANK_REVOLVING, cents),
            ],
            source_type="loans.receipt_refund",
            source_id=str(disposal.pk),
            source_ref=receipt.payer_reference,
            created_by=decided_by,
        )
    elif approve:
        contribution = contribution_record(
            commitment=disposal.commitment,
            amount=Money(receipt.amount, "EUR"),
            date=day,
            created_by=decided_by,
            suspense_party=receipt.payer_reference,
        )
        disposal.entry = contribution.entry
    disposal.state = ChangeState.EXECUTED if approve else ChangeState.REJECTED
    disposal.save()
    audit_record(
        actor=decided_by,
        action=LoanAction.of_disposal(disposal.kind, "approve" if approve else "reject"),
        obj=receipt,
        book_id=receipt.fund.book_id,
        after={
            "amount": str(receipt.amount),
            "entry": disposal.entry_id,
            "reason": disposal.decision_reason,
        },
    )
    return disposal


@dataclass(frozen=True)
class BankLine:
    value_date: Date
    amount: Decimal
    description: str
    counterparty_iban: str = ""
    counterparty_name: str = ""
    bank_reference: str = ""


@dataclass
class ImportResult:
    repayments: list[Repayment] = field(default_factory=list)
    unmatched: list[UnmatchedReceipt] = field(default_factory=list)
    skipped: list[BankLine] = field(default_factory=list)  # duplicates and outgoing lines


LOAN_NUMBER = re.compile(r"\bL-\d{4}-\d{4,}\b")
CSV_COLUMNS = {
    "date": ("date", "datum", "valutadatum", "value_date"),
    "amount": ("amount", "bedrag"),
    "description": ("description", "omschrijving", "mededelingen"),
    "iban": ("counterparty_iban", "tegenrekening", "iban"),
    "name": ("counterparty_name", "naam", "name"),
    "reference": ("reference", "bank_reference", "transactiereferentie", "id"),
}


def _parse_date(text: str) -> Date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%Y%m%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise exc.InvalidAmount(_("geen datum: %(text)s") % {"text": repr(text)})


def _parse_amount(text: str) -> Decimal:
    """A bank's amount (``1234,56``, ``-1.234,56``, ``1234.56``), exactly: what could be read
    two ways or holds fractions of a cent (``10.005``) is refused, never rounded."""
    try:
        return parse_amount(text, "nl")
    except AmountSyntaxError as error:
        raise exc.InvalidAmount(
            _("geen bedrag: %(text)s (%(why)s)") % {"text": repr(text.strip()), "why": error}
        ) from error


MAX_BANK_REFERENCE = 100


def _not_csv(text: str) -> str | None:
    """What a file that is plainly not a CSV export is, so the message can say so."""
    head = text.lstrip("\ufeff \r\n\t")[:200]
    if head.startswith("<"):
        return _(
            "Dit is een XML-bestand (zoals camt.053), geen CSV-export. Exporteer de "
            "transacties als CSV bij uw bank."
        )
    if head.startswith(("{1:", ":20:", ":940:")) or "\n:20:" in head or "\n:25:" in head:
        return _(
            "Dit is een MT940-bestand, geen CSV-export. Exporteer de transacties als CSV bij "
            "uw bank."
        )
    return None


def _dialect(text: str):
    sample = text[:2048]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;")
    except csv.Error:
        header = text.splitlines()[0] if text.strip() else ""
        dialect = csv.excel()
        dialect.delimiter = ";" if header.count(";") > header.count(",") else ","
        return dialect


def bank_csv_lines(text: str) -> list[BankLine]:
    """Parse a bank export (CSV with a header; comma or semicolon separated; Dutch or English
    column names: date, amount, description, counterparty_iban, counterparty_name, reference).

    An untrusted file: anything wrong with it is an :class:`~loans.exceptions.InvalidAmount`
    that names the line, never another exception; nothing is read from a file that fails.
    """
    if "\x00" in text:
        raise exc.InvalidAmount(_("het bestand bevat binaire gegevens; dit is geen CSV-export"))
    reason = _not_csv(text)
    if reason:
        raise exc.InvalidAmount(reason)
    try:
        reader = csv.DictReader(io.StringIO(text), dialect=_dialect(text))
        header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    except csv.Error as error:
        raise exc.InvalidAmount(_("de kopregel is niet te lezen (%(e)s)") % {"e": error}) from error

    def column(name: str) -> str | None:
        return next((header[c] for c in CSV_COLUMNS[name] if c in header), None)

    cols = {name: column(name) for name in CSV_COLUMNS}
    if not cols["date"] or not cols["amount"]:
        raise exc.InvalidAmount(_("het CSV-bestand heeft een kolom voor datum en bedrag nodig"))
    lines = []
    try:
        for number, row in enumerate(reader, start=2):

            def get(name: str, row=row) -> str:
                value = row.get(cols[name]) if cols[name] else ""
                return value.strip() if isinstance(value, str) else ""

            try:
                reference = get("reference")
                if len(reference) > MAX_BANK_REFERENCE:
                    raise exc.InvalidAmount(
                        _("het bankkenmerk is langer dan %(n)d tekens") % {"n": MAX_BANK_REFERENCE}
                    )
                lines.append(
                    BankLine(
                        value_date=_parse_date(get("date")),
                        amount=_parse_amount(get("amount")),
                        description=get("description"),
                        counterparty_iban=get("iban").replace(" ", "").upper()[:34],
                        counterparty_name=get("name")[:140],
                        bank_reference=reference,
                    )
                )
            except exc.InvalidAmount as error:
                raise exc.InvalidAmount(
                    _("regel %(n)d: %(error)s") % {"n": number, "error": error}
                ) from error
    except csv.Error as error:
        raise exc.InvalidAmount(
            _("het bestand is geen geldige CSV (%(e)s)") % {"e": error}
        ) from error
    return lines


def _match_loan(fund: Fund, line: BankLine) -> Loan | None:
    found = LOAN_NUMBER.search(line.description)
    if found:
        loan = Loan.objects.filter(fund=fund, number=found.group(0)).first()
        if loan and loan.state in SERVICED_STATES:
            return loan
    if line.counterparty_iban:
        loans = list(
            Loan.objects.filter(
                fund=fund, state__in=SERVICED_STATES, collective__iban=line.counterparty_iban
            )[:2]
        )
        if len(loans) == 1:
            return loans[0]
    return None


IMPORT_BATCH = 20  # lines per import transaction (about 25 ms a line: half a second of locks)


def repayments_import(
    *,
    fund: Fund,
    lines: Iterable[BankLine],
    imported_by,
    overpayment: str = "shorten",
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import incoming bank lines: each matched to a loan (its number in the description,
    else the IBAN of a collective with one loan in service) is recorded as a repayment; the
    rest goes to suspense. Lines whose bank reference was imported before, and outgoing
    lines, are skipped, so importing the same file twice changes nothing.

    The whole file is checked first (a line from the future refuses it whole, nothing
    written); then it is booked in transactions of ``batch_size`` lines, each holding the
    fund's locks briefly, with ``progress(done, total)`` after each. An import that stops
    halfway is finished by importing the same file again: every line has its key, so what
    was booked is skipped (docs/loans.md, "Bank files: importing twice is once")."""
    _require_manager(imported_by, fund)
    lines = list(lines)
    for line in lines:
        _not_after_today(line.value_date)  # a file with a line from the future is refused whole
    dates_postable(book=fund.book, dates={line.value_date for line in lines})
    keys = _line_keys(fund, lines)
    result = ImportResult()
    batch_size = batch_size or IMPORT_BATCH
    for start in range(0, len(lines), batch_size):
        with transaction.atomic():
            _import_batch(
                fund,
                lines[start : start + batch_size],
                keys[start : start + batch_size],
                imported_by,
                overpayment,
                result,
            )
        if progress:
            progress(min(start + batch_size, len(lines)), len(lines))
    return result


def _import_batch(fund, lines, keys, imported_by, overpayment, result: ImportResult) -> None:
    _lock_compartment(fund.pk)
    booked = set(
        JournalEntry.objects.filter(
            book_id=fund.book_id, idempotency_key__in=[k for k in keys if k]
        ).values_list("idempotency_key", flat=True)
    )
    for line, key in zip(lines, keys, strict=True):
        if line.bank_reference:
            seen = (
                Repayment.objects.filter(
                    loan__fund=fund, bank_reference=line.bank_reference, reversed_at__isnull=True
                ).exists()
                or UnmatchedReceipt.objects.filter(
                    fund=fund, bank_reference=line.bank_reference
                ).exists()
            )
        else:
            seen = key in booked
        if line.amount <= 0 or seen:
            result.skipped.append(line)
            continue
        loan = _match_loan(fund, line)
        if loan is not None:
            try:
                with transaction.atomic():
                    result.repayments.append(
                        repayment_record(
                            loan=loan,
                            amount=line.amount,
                            value_date=line.value_date,
                            recorded_by=imported_by,
                            reference=line.description[:140],
                            bank_reference=line.bank_reference,
                            overpayment=overpayment,
                            idempotency_key=key,
                        )
                    )
                continue
            except exc.LoanError:
                pass  # more than the loan can take: park it in suspense for a manager
        result.unmatched.append(
            receipt_record_unmatched(
                fund=fund,
                amount=line.amount,
                value_date=line.value_date,
                payer_reference=line.counterparty_iban or line.counterparty_name or "onbekend",
                recorded_by=imported_by,
                description=line.description[:255],
                bank_reference=line.bank_reference,
                idempotency_key=key,
            )
        )


def _line_keys(fund: Fund, lines: list[BankLine]) -> list[str | None]:
    """The idempotency key of each line that has no bank reference: its content and its place
    among the identical lines of the file (the second of two identical transfers on one day
    is ``#2``), so importing the same export again, or an export that overlaps it, books
    nothing twice, while two real identical transfers are both booked (docs/loans.md)."""
    seen: dict[tuple, int] = defaultdict(int)
    keys: list[str | None] = []
    for line in lines:
        if line.bank_reference:
            keys.append(None)
            continue
        content = (
            line.value_date.isoformat(),
            str(line.amount),
            line.counterparty_iban,
            line.counterparty_name,
            " ".join(line.description.split()),
        )
        seen[content] += 1
        digest = hashlib.sha256(
            "\x1f".join((str(fund.pk), *content, str(seen[content]))).encode()
        ).hexdigest()
        keys.append(f"import:{digest[:48]}")
    return keys


# --- four-eyes changes: restructure, write-off, conversion to grant --------------------------


def _json_params(params: dict) -> dict:
    out = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = str(value) if isinstance(value, Decimal) else value
    return out


@transaction.atomic
def loan_change_propose(
    *,
    loan: Loan,
    kind: str,
    effective_date: Date,
    proposed_by,
    reason: str,
    annual_rate=None,
    periods: int | None = None,
    grace_principal: int | None = None,
    capitalise_arrears: bool = False,
    amount=None,
    include_interest: bool = True,
) -> LoanChange:
    """First pair of eyes: propose a restructuring (``annual_rate``, ``periods`` = instalments
    from the effective date on, ``grace_principal``, ``capitalise_arrears``), a write-off
    (``amount`` of principal not yet due, or everything when ``amount`` is None;
    ``include_interest`` writes off the unpaid interest too), or a conversion to a grant."""
    _require_manager(proposed_by, loan.fund)
    _require_independent(proposed_by, collective=loan.collective)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    if loan.state not in SERVICED_STATES:
        raise exc.InvalidTransition(_("Deze lening loopt niet."))
    if kind not in (ChangeKind.RESTRUCTURE, ChangeKind.WRITE_OFF, ChangeKind.CONVERSION):
        raise exc.InvalidTransition(
            f"not a change to propose here: {kind!r} (a tranche: tranche_propose)"
        )
    if not reason.strip():
        raise exc.InvalidTransition(_("Motiveer het voorstel."))
    if LoanChange.objects.filter(loan=loan, state=ChangeState.PROPOSED).exists():
        raise exc.InvalidTransition(_("Er ligt al een voorstel voor deze lening."))
    params: dict = {}
    if kind == ChangeKind.RESTRUCTURE:
        params = _json_params(
            {
                "annual_rate": _rate(annual_rate) if annual_rate is not None else None,
                "periods": periods,
                "grace_principal": grace_principal,
                "capitalise_arrears": bool(capitalise_arrears),
            }
        )
    elif kind == ChangeKind.WRITE_OFF:
        params = _json_params(
            {
                "amount": _positive(amount) if amount is not None else None,
                "include_interest": include_interest,
            }
        )
        if amount is not None:
            ahead = loan_status(loan).scheduled_balance(effective_date)
            if Decimal(params["amount"]) >= ahead:
                raise exc.InvalidAmount(
                    _(
                        "Een gedeeltelijke afschrijving moet kleiner zijn dan de nog niet "
                        "vervallen hoofdsom (%(ahead)s); schrijf anders alles af."
                    )
                    % {"ahead": _eur(ahead)}
                )
    change = LoanChange.objects.create(
        loan=loan,
        kind=kind,
        effective_date=effective_date,
        params=params,
        reason=reason,
        proposed_by=proposed_by,
    )
    _audit(
        proposed_by, LoanAction.of_change(kind, "propose"), loan, change=change.pk, params=params
    )
    return change


def _rate(value) -> Decimal:
    try:
        rate = Decimal(str(value))
    except InvalidOperation as error:
        raise exc.InvalidTerms(f"not a rate: {value!r}") from error
    if rate < 0 or rate > 100:
        raise exc.InvalidTerms(_("Rente tussen 0 en 100 procent."))
    return rate


@transaction.atomic
def loan_change_decide(*, change: LoanChange, decided_by, approve: bool, reason: str) -> LoanChange:
    """Second pair of eyes: a different manager of the fund approves (which executes the change
    in this transaction) or rejects it."""
    loan = change.loan
    _require_manager(decided_by, loan.fund)
    _require_independent(decided_by, collective=loan.collective)
    _lock_compartment(loan.fund_id)
    loan = _lock_loan(loan)
    change = LoanChange.objects.select_for_update(of=("self",)).get(pk=change.pk)
    if change.state != ChangeState.PROPOSED:
        outcome = ChangeState.EXECUTED if approve else ChangeState.REJECTED
        if change.state == outcome and change.decided_by_id == decided_by.pk:
            change.once_replayed = True  # the same decision sent twice: the first result
            return change
        raise exc.InvalidTransition(_("Over dit voorstel is al besloten."))
    if change.proposed_by_id == decided_by.pk:
        raise exc.FourEyesViolation(
            _("Vier ogen: wie het voorstel deed, mag het niet zelf goedkeuren.")
        )
    if not reason.strip():
        raise exc.InvalidTransition(_("Motiveer het besluit."))
    before = _snapshot(loan)
    change.decided_by = decided_by
    change.decided_at = clock.now()
    change.decision_reason = reason
    if approve and change.kind == ChangeKind.DISBURSEMENT:
        params = change.params
        disbursement = _disburse(
            loan=loan,
            amount=Decimal(params["amount"]),
            date=change.effective_date,
            disbursed_by=decided_by,
            milestone=params.get("milestone", ""),
            invoice_reference=params.get("invoice_reference", ""),
        )
        change.entry = disbursement.entry
        change.version = disbursement.version
        change.state = ChangeState.EXECUTED
    elif approve:
        if loan.state not in SERVICED_STATES:
            raise exc.InvalidTransition(_("Deze lening loopt niet meer."))
        if change.kind == ChangeKind.RESTRUCTURE:
            _execute_restructure(loan, change, decided_by)
        else:
            _execute_write_off(loan, change, decided_by)
        change.state = ChangeState.EXECUTED
    else:
        change.state = ChangeState.REJECTED
    change.save()
    _audit(
        decided_by,
        LoanAction.of_change(change.kind, "approve" if approve else "reject"),
        loan,
        before,
        change=change.pk,
        entry=change.entry_id,
        version=change.version.number if change.version_id else None,
    )
    return change


@transaction.atomic
def loan_change_withdraw(*, change: LoanChange, withdrawn_by, reason: str) -> LoanChange:
    """The proposer takes back a proposal nobody has decided on yet; nothing is booked."""
    loan = change.loan
    _require_manager(withdrawn_by, loan.fund)
    loan = _lock_loan(loan)
    change = LoanChange.objects.select_for_update(of=("self",)).get(pk=change.pk)
    if change.state == ChangeState.WITHDRAWN and change.proposed_by_id == withdrawn_by.pk:
        change.once_replayed = True  # sent twice: the first result
        return change
    if change.state != ChangeState.PROPOSED:
        raise exc.InvalidTransition(_("Over dit voorstel is al besloten."))
    if change.proposed_by_id != withdrawn_by.pk:
        raise exc.InvalidTransition(
            _("Alleen wie het voorstel deed, kan het intrekken; u kunt het afwijzen.")
        )
    if not reason.strip():
        raise exc.InvalidTransition(_("Geef een reden."))
    change.state = ChangeState.WITHDRAWN  # by its proposer: decided_by stays empty
    change.decided_at = clock.now()
    change.decision_reason = reason
    change.save(update_fields=["state", "decided_at", "decision_reason"])
    _audit(withdrawn_by, LoanAction.CHANGE_WITHDRAW, loan, None, change=change.pk, kind=change.kind)
    return change


def _execute_restructure(loan: Loan, change: LoanChange, by) -> None:
    day = change.effective_date
    params = change.params
    state = loan_status(loan)
    if _post_due(loan, [r for r in state.rows if r.due_date <= day], by):
        state = loan_status(loan)
    ahead = state.scheduled_balance(day)
    capitalised = ZERO
    if params.get("capitalise_arrears"):
        arrears = [r for r in state.rows if r.due_date <= day]
        cap_interest = sum((state.open_interest(r) for r in arrears), ZERO)
        cap_principal = sum((state.open_principal(r) for r in arrears), ZERO)
        capitalised = cap_interest + cap_principal
        if cap_interest > 0:
            change.entry = entry_post(
                book=loan.fund.book,
                date=day,
                description=f"Achterstallige rente bijgeschreven op hoofdsom {loan.number}",
                lines=[
                    Dr(chart.LOANS_PRINCIPAL, _cents(cap_interest), **_keys(loan)),
                    Cr(chart.INTEREST_RECEIVABLE, _cents(cap_interest), **_keys(loan)),
                ],
                source_type="loans.restructure",
                source_id=str(change.pk),
                source_ref=loan.number,
                created_by=by,
            )
        Allocation.objects.bulk_create(
            Allocation(
                loan=loan,
                kind=AllocationKind.CAPITALISED,
                component=component,
                n=r.n,
                amount=open_,
                date=day,
                change=change,
            )
            for r in arrears
            for component, open_ in (
                (Component.INTEREST, state.open_interest(r)),
                (Component.PRINCIPAL, state.open_principal(r)),
            )
            if open_ > 0
        )
        state = loan_status(loan)
    principal = ahead + capitalised
    if principal <= 0:
        raise exc.InvalidTerms(_("Er staat geen hoofdsom meer open om te herstructureren."))
    rate = Decimal(params["annual_rate"]) if "annual_rate" in params else None
    if "periods" in params:
        passed = len([d for d in _calendar(loan) if d <= day])
        loan.periods = passed + int(params["periods"])
    if rate is not None:
        loan.annual_rate = rate
    loan.save(update_fields=["periods", "annual_rate"])
    change.version = _rebuild(
        loan,
        effective_date=day,
        principal=principal,
        reason=VersionReason.RESTRUCTURE,
        created_by=by,
        state=state,
        annual_rate=rate,
        grace_principal=params.get("grace_principal"),
        grace_full=0 if "grace_principal" in params else None,
        extend="periods" in params,
    )


def _execute_write_off(loan: Loan, change: LoanChange, by) -> None:
    """Partial: ``amount`` of the principal not yet due (the instalments get lower) and, with
    ``include_interest``, the unpaid interest. Full (no amount) or conversion: everything open.
    Dr 5100 / Cr 1200, 1210 (and 1220 for fees when the loan is closed)."""
    day = change.effective_date
    state = loan_status(loan)
    if _post_due(loan, [r for r in state.rows if r.due_date <= day], by):
        state = loan_status(loan)
    full = change.kind == ChangeKind.CONVERSION or "amount" not in change.params
    include_interest = full or change.params.get("include_interest", True)
    due = [r for r in state.rows if r.due_date <= day]
    allocations = []
    interest = ZERO
    principal = ZERO
    fees = ZERO
    if include_interest:
        for r in due:
            open_ = state.open_interest(r)
            if open_ > 0:
                interest += open_
                allocations.append((Component.INTEREST, r.n, None, open_))
    if full:
        for r in state.rows:
            open_ = state.open_principal(r)
            if open_ > 0:
                principal += open_
                allocations.append((Component.PRINCIPAL, r.n, None, open_))
        for c in state.charges:
            open_ = state.open_fee(c)
            if open_ > 0:
                fees += open_
                allocations.append((Component.FEE, None, c.pk, open_))
    else:
        principal = Decimal(change.params["amount"])
        ahead = state.scheduled_balance(day)
        if principal >= ahead:
            raise exc.InvalidAmount(
                _(
                    "Een gedeeltelijke afschrijving moet kleiner zijn dan de nog niet vervallen "
                    "hoofdsom (%(ahead)s); schrijf anders alles af."
                )
                % {"ahead": _eur(ahead)}
            )
        change.version = _rebuild(
            loan,
            effective_date=day,
            principal=ahead - principal,
            reason=VersionReason.WRITE_OFF,
            created_by=by,
            state=state,
        )
    keys = _keys(loan)
    total = principal + interest + fees
    if total > 0:
        lines = [Dr(chart.LOAN_LOSSES, _cents(total), **keys)]
        for code, part in (
            (chart.LOANS_PRINCIPAL, principal),
            (chart.INTEREST_RECEIVABLE, interest),
            (chart.FEES_RECEIVABLE, fees),
        ):
            if part > 0:
                lines.append(Cr(code, _cents(part), **keys))
        label = "Omzetting in subsidie" if change.kind == ChangeKind.CONVERSION else "Afschrijving"
        change.entry = entry_post(
            book=loan.fund.book,
            date=day,
            description=f"{label} lening {loan.number}",
            lines=lines,
            source_type=f"loans.{change.kind}",
            source_id=str(change.pk),
            source_ref=loan.number,
            created_by=by,
        )
    Allocation.objects.bulk_create(
        Allocation(
            loan=loan,
            kind=AllocationKind.WRITTEN_OFF,
            component=component,
            n=n,
            charge_id=charge_id,
            amount=amount,
            date=day,
            change=change,
        )
        for component, n, charge_id, amount in allocations
    )
    if full:
        _reverse_accruals(loan, day, by)
        loan.state = (
            LoanState.CONVERTED if change.kind == ChangeKind.CONVERSION else LoanState.WRITTEN_OFF
        )
        loan.closed_on = day
        # Nothing is owed any more: a closed loan has no arrears.
        loan.days_past_due = 0
        loan.arrears_bucket = _bucket(0)
        loan.save(update_fields=["state", "closed_on", "days_past_due", "arrears_bucket"])
