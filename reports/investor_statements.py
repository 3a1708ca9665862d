"""The figures of an investor statement, read from the ledger (docs/statements.md).

:func:`fund_figures` reads everything a fund's statements of one period show in a constant
number of queries, however many loans, investors and journal lines there are: the journal's
lines up to the period end summed per account, source and party (one query), the loans and
their position at the period end, the financed applications, the commitments. Every
investor's part is then taken from that (:func:`investor_figures`), so a run of a thousand
statements reads the database as often as a run of one.

Each figure comes from an account (the table in docs/statements.md, "Where each figure comes
from"); the tests reconcile them with the ledger's balances as of the period end, to the cent.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date as Date
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import Case, F, IntegerField, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fund.models import Application, Collective, Commitment, CompartmentKind, Fund, Grant
from ledger import chart, clock
from ledger.models import JournalLine
from ledger.money import ZERO, from_cents
from loans.models import Loan, LoanState
from loans.position import BUCKET_LIMITS, OVER_90
from loans.selectors import loan_positions_at

# The compartments in the order a statement shows them, with their (lazy) labels.
COMPARTMENTS = tuple(
    (kind, kind.label) for kind in (CompartmentKind.REVOLVING, CompartmentKind.GRANT)
)
BUCKETS = [bucket for _limit, bucket in BUCKET_LIMITS] + [OVER_90]
PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4]))?$")
SHARE = Decimal("0.0001")

# Journal source types by what they are for the statement.
CONTRIBUTION = "fund.contribution"
DISBURSEMENT = "loans.disbursement"
REPAYMENTS = ("loans.repayment", "loans.advance")  # money received, and paid ahead meeting it
GRANT_PAYMENT = "fund.grant_payment"
WRITE_OFF = "loans.write_off"
CONVERSION = "loans.conversion"
PREMIUM = "loans.premium"


# The United Nations' Sustainable Development Goals, as the Dutch government names them.
SDG_NAMES = {
    1: gettext_lazy("Geen armoede"),
    2: gettext_lazy("Geen honger"),
    3: gettext_lazy("Goede gezondheid en welzijn"),
    4: gettext_lazy("Kwaliteitsonderwijs"),
    5: gettext_lazy("Gendergelijkheid"),
    6: gettext_lazy("Schoon water en sanitair"),
    7: gettext_lazy("Betaalbare en duurzame energie"),
    8: gettext_lazy("Waardig werk en economische groei"),
    9: gettext_lazy("Industrie, innovatie en infrastructuur"),
    10: gettext_lazy("Ongelijkheid verminderen"),
    11: gettext_lazy("Duurzame steden en gemeenschappen"),
    12: gettext_lazy("Verantwoorde consumptie en productie"),
    13: gettext_lazy("Klimaatactie"),
    14: gettext_lazy("Leven in het water"),
    15: gettext_lazy("Leven op het land"),
    16: gettext_lazy("Vrede, justitie en sterke publieke diensten"),
    17: gettext_lazy("Partnerschap om doelstellingen te bereiken"),
}


class PeriodError(ValueError):
    """A period that is not ``2026-Q3`` or ``2026``, or has not ended yet."""


@dataclass(frozen=True)
class Period:
    key: str  # "2026-Q3" or "2026"
    start: Date
    end: Date

    @property
    def is_year(self) -> bool:
        return "-Q" not in self.key

    @property
    def label(self) -> str:
        if self.is_year:
            return _("jaar %(year)s") % {"year": self.start.year}
        quarter = (self.start.month - 1) // 3 + 1
        return _("%(n)se kwartaal %(year)s") % {"n": quarter, "year": self.start.year}


def parse_period(text: str, *, today: Date | None = None) -> Period:
    """``2026-Q3`` (a quarter) or ``2026`` (a year); it must have ended before ``today``."""
    match = PERIOD.match((text or "").strip().upper())
    if not match:
        raise PeriodError(_("Geef een periode als 2026-Q3 (kwartaal) of 2026 (jaar)."))
    year, quarter = int(match.group(1)), match.group(2)
    if quarter:
        first = 3 * (int(quarter) - 1) + 1
        start = Date(year, first, 1)
        end = clock.month_end(year, first + 2)
        key = f"{year}-Q{quarter}"
    else:
        start, end, key = Date(year, 1, 1), Date(year, 12, 31), str(year)
    today = today or clock.today()
    if end >= today:
        raise PeriodError(
            _("De periode %(period)s is nog niet voorbij; een overzicht volgt na afloop.")
            % {"period": key}
        )
    if year < 2000:
        raise PeriodError(_("Controleer het jaartal."))
    return Period(key=key, start=start, end=end)


def last_complete_quarter(today: Date) -> str:
    quarter = (today.month - 1) // 3  # the quarter before this one, 0 = last year's Q4
    return f"{today.year - 1}-Q4" if quarter == 0 else f"{today.year}-Q{quarter}"


# --- what the journal says ------------------------------------------------------------------


@dataclass
class _Sums:
    """Cents per (account, kind of source, party), before the period and within it."""

    before: dict = field(default_factory=lambda: defaultdict(int))
    within: dict = field(default_factory=lambda: defaultdict(int))

    @cached_property
    def _totals(self) -> dict:
        """Cents per (account, party, source, within the period), and per (account, party,
        within): with party None over all parties. Built once, so each figure is a look-up,
        not a scan, however many investors (parties) a run has."""
        totals: dict = defaultdict(int)
        for within, part in ((False, self.before), (True, self.within)):
            for (account, source, party), cents in part.items():
                for who in {party, None}:
                    totals[(account, who, source, within)] += cents
                    totals[(account, who, within)] += cents
        return totals

    def balance(self, code: str, *, at_start: bool = False, party: str | None = None) -> int:
        """Debit-positive balance of ``code`` at the start of the period or at its end."""
        before = self._totals.get((code, party, False), 0)
        return before if at_start else before + self._totals.get((code, party, True), 0)

    def moved(self, code: str, sources, *, party: str | None = None) -> int:
        """Debit-positive movement of ``code`` within the period from entries of ``sources``
        (a reversal counts as its original's source, negative)."""
        sources = (sources,) if isinstance(sources, str) else tuple(sources)
        return sum(self._totals.get((code, party, source, True), 0) for source in sources)

    def moved_ever(self, code: str, sources) -> int:
        sources = (sources,) if isinstance(sources, str) else tuple(sources)
        return sum(
            self._totals.get((code, None, source, within), 0)
            for source in sources
            for within in (False, True)
        )


def _journal_sums(fund: Fund, period: Period) -> _Sums:
    """One query: the fund's journal lines up to the period end, summed per account, source
    type (a reversal under its original's) and party, before and within the period."""
    lines = (
        JournalLine.objects.filter(entry__book_id=fund.book_id, date__lte=period.end)
        .annotate(
            source=Coalesce("entry__reversal_of__source_type", "entry__source_type"),
            within=Case(
                When(date__gte=period.start, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .values("account__code", "source", "party", "within")
        .annotate(net=Sum(F("debit") - F("credit")))
        .order_by()
    )
    sums = _Sums()
    for row in lines:
        target = sums.within if row["within"] else sums.before
        target[(row["account__code"], row["source"], row["party"])] += row["net"]
    return sums


# --- the figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flows:
    """What happened in the fund in the period (EUR)."""

    contributions: Decimal
    disbursed: Decimal
    repaid_principal: Decimal
    repaid_interest: Decimal
    repaid_fees: Decimal  # fees, penalty interest and success premiums paid
    paid_ahead: Decimal  # received ahead of an instalment, held on 2100 (change)
    grants_paid: Decimal
    written_off: Decimal
    converted: Decimal
    interest_income: Decimal
    fee_income: Decimal

    @property
    def repaid(self) -> Decimal:
        return self.repaid_principal + self.repaid_interest + self.repaid_fees


@dataclass(frozen=True)
class Revolving:
    disbursed: Decimal  # cumulative principal lent, up to the period end
    repaid: Decimal  # cumulative principal repaid
    capital: Decimal  # revolving capital paid in
    relent: Decimal  # repaid principal lent again

    @property
    def factor(self) -> Decimal:
        """How many times each euro of revolving capital has been lent."""
        if self.capital <= 0:
            return Decimal("0.00")
        return (self.disbursed / self.capital).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class BucketRow:
    bucket: str
    loans: int
    principal: Decimal
    arrears: Decimal


@dataclass(frozen=True)
class Quality:
    outstanding: Decimal  # 1200 at the period end
    buckets: list[BucketRow]
    par30: Decimal  # fraction, 4 places
    write_off_ratio: Decimal  # written off and converted, cumulative / disbursed, cumulative
    by_state: list[tuple[str, int]]


@dataclass(frozen=True)
class Share:
    label: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class Project:
    collective: str
    municipality: str
    kind: str
    title: str
    amount: Decimal
    what: str  # loan or grant


@dataclass(frozen=True)
class Impact:
    collectives: int
    by_kind: list[Share]
    by_municipality: list[Share]
    by_sdg: list[Share]
    households: int
    kwh_per_year: int
    volunteers: int
    co2_tonnes: Decimal
    projects: list[Project]


@dataclass(frozen=True)
class CompartmentFigures:
    kind: str
    label: str
    cash_start: Decimal
    cash_end: Decimal
    capital_start: Decimal
    capital_end: Decimal


@dataclass(frozen=True)
class FundFigures:
    fund: Fund
    period: Period
    pool_start: Decimal
    pool_end: Decimal
    cash_start: Decimal  # 1000 at the start
    cash_end: Decimal  # 1000 at the end
    undisbursed_start: Decimal  # contracted, not yet disbursed
    undisbursed_end: Decimal
    flows: Flows
    revolving: Revolving
    quality: Quality
    impact: Impact
    compartments: list[CompartmentFigures]
    pool_months: list[tuple[Date, Decimal]]  # 1000 at each month end of the last 12
    quarters: list[tuple[str, Decimal, Decimal]]  # (label, disbursed, principal repaid)
    sums: _Sums = field(repr=False, compare=False)


def _euros(cents: int) -> Decimal:
    return from_cents(cents)


def _undisbursed(loans: list[Loan], sums_by_contract: dict[str, int], day: Date) -> Decimal:
    """Principal contracted by ``day`` and not yet disbursed by then, of loans still open."""
    total = ZERO
    for loan in loans:
        if loan.contracted_on > day or (loan.closed_on and loan.closed_on <= day):
            continue
        total += max(ZERO, loan.principal - from_cents(sums_by_contract.get(loan.number, 0)))
    return total


def _disbursed_by(fund: Fund, day: Date) -> dict[str, int]:
    """Principal disbursed by ``day`` per loan (contract), net of reversals: one query."""
    rows = (
        JournalLine.objects.filter(
            entry__book_id=fund.book_id,
            account__code=chart.LOANS_PRINCIPAL,
            date__lte=day,
        )
        .annotate(source=Coalesce("entry__reversal_of__source_type", "entry__source_type"))
        .filter(source=DISBURSEMENT)
        .values("contract")
        .annotate(net=Sum(F("debit") - F("credit")))
        .order_by()
    )
    return {row["contract"]: row["net"] for row in rows}


def _daily(fund: Fund, code: str, sources, start: Date, end: Date) -> dict[Date, int]:
    """Debit-positive movement of ``code`` per day between ``start`` and ``end`` (one query);
    with ``sources`` only from entries of those source types."""
    lines = JournalLine.objects.filter(
        entry__book_id=fund.book_id, account__code=code, date__gte=start, date__lte=end
    )
    if sources:
        lines = lines.annotate(
            source=Coalesce("entry__reversal_of__source_type", "entry__source_type")
        ).filter(source__in=sources)
    rows = lines.values("date").annotate(net=Sum(F("debit") - F("credit"))).order_by()
    return {row["date"]: row["net"] for row in rows}


def _months_back(end: Date, count: int) -> list[Date]:
    ends = [end]
    while len(ends) < count:
        ends.append(ends[-1].replace(day=1) - timedelta(days=1))
    return sorted(ends)


def _pool_months(fund: Fund, sums: _Sums, end: Date) -> list[tuple[Date, Decimal]]:
    """Cash of the revolving compartment (1000) at each of the 12 month ends up to ``end``."""
    ends = _months_back(end, 12)
    start = ends[0].replace(day=1)
    daily = _daily(fund, chart.BANK_REVOLVING, None, start, end)
    balance = sums.balance(chart.BANK_REVOLVING) - sum(daily.values())  # before ``start``
    result = []
    days = sorted(daily)
    i = 0
    for month_end in ends:
        while i < len(days) and days[i] <= month_end:
            balance += daily[days[i]]
            i += 1
        result.append((month_end, _euros(balance)))
    return result


def _quarters(fund: Fund, end: Date) -> list[tuple[str, Decimal, Decimal]]:
    """Principal disbursed and repaid in each of the last four quarters up to ``end``."""
    quarter_ends = [end]
    while len(quarter_ends) < 4:
        quarter_ends.append(_quarter_end_before(quarter_ends[-1]))
    quarter_ends.sort()
    start = Date(quarter_ends[0].year, quarter_ends[0].month - 2, 1)
    disbursed = _daily(fund, chart.LOANS_PRINCIPAL, (DISBURSEMENT,), start, end)
    repaid = _daily(fund, chart.LOANS_PRINCIPAL, REPAYMENTS, start, end)
    result = []
    for q_end in quarter_ends:
        q_start = Date(q_end.year, q_end.month - 2, 1)
        out = sum(v for d, v in disbursed.items() if q_start <= d <= q_end)
        back = -sum(v for d, v in repaid.items() if q_start <= d <= q_end)
        label = f"K{(q_end.month - 1) // 3 + 1} {q_end.year}"
        result.append((label, _euros(out), _euros(back)))
    return result


def _quarter_end_before(day: Date) -> Date:
    """The last day of the quarter before the one ``day`` is in."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    return Date(day.year, first_month, 1) - timedelta(days=1)


def _quality(
    fund: Fund, sums: _Sums, loans: list[Loan], disbursed: dict[str, int], end: Date
) -> Quality:
    serviced = [
        loan
        for loan in loans
        if loan.start_date
        and loan.start_date <= end
        and not (loan.closed_on and loan.closed_on <= end)
    ]
    positions = loan_positions_at(serviced, end)
    rows = {b: [0, ZERO, ZERO] for b in BUCKETS}
    at_risk = ZERO
    total = ZERO
    for position in positions:
        row = rows[position.bucket]
        row[0] += 1
        row[1] += position.principal
        row[2] += position.arrears
        total += position.principal
        if position.days_past_due > 30:
            at_risk += position.principal
    par30 = (at_risk / total).quantize(SHARE) if total > 0 else Decimal("0.0000")
    lent = sums.moved_ever(chart.LOANS_PRINCIPAL, DISBURSEMENT)
    lost = -sums.moved_ever(chart.LOANS_PRINCIPAL, (WRITE_OFF, CONVERSION))
    ratio = (Decimal(lost) / Decimal(lent)).quantize(SHARE) if lent > 0 else SHARE * 0
    return Quality(
        outstanding=_euros(sums.balance(chart.LOANS_PRINCIPAL)),
        buckets=[BucketRow(b, rows[b][0], rows[b][1], rows[b][2]) for b in BUCKETS],
        par30=par30,
        write_off_ratio=ratio,
        by_state=_states_at(loans, disbursed, end),
    )


def _states_at(loans: list[Loan], disbursed: dict[str, int], end: Date) -> list[tuple[str, int]]:
    """Loans by state as they stood at the period end: closed by then as they closed
    (repaid, written off, converted); else contracted (nothing paid out by then), being paid
    out (less than the principal disbursed by then: ``disbursed``, cents per loan) or active."""
    counts: dict[str, int] = defaultdict(int)
    for loan in loans:
        if loan.contracted_on > end:
            continue
        if loan.closed_on and loan.closed_on <= end:
            state = loan.state
        else:
            out = from_cents(disbursed.get(loan.number, 0))
            if out <= 0:
                state = LoanState.CONTRACTED
            elif out < loan.principal:
                state = LoanState.DISBURSING
            else:
                state = LoanState.ACTIVE
        counts[state] += 1
    labels = dict(LoanState.choices)
    return [(labels[s], counts[s]) for s in LoanState.values if counts[s]]  # lazy labels


def _impact(fund: Fund, loans: list[Loan], end: Date) -> Impact:
    """What the money did: the applications financed by the period end (a loan contracted or
    a grant awarded), their collectives and the impact they recorded."""
    grants = list(
        Grant.objects.filter(fund=fund, awarded_at__lte=end).values_list("application_id", "amount")
    )
    amounts = {loan.application_id: loan.principal for loan in loans if loan.contracted_on <= end}
    what = dict.fromkeys(amounts, "loan")
    for application_id, amount in grants:
        amounts[application_id] = amount
        what[application_id] = "grant"
    applications = list(
        Application.objects.filter(pk__in=list(amounts)).select_related("collective")
    )
    kinds = dict(Collective._meta.get_field("kind").choices)
    by_kind: dict[str, list] = defaultdict(lambda: [set(), ZERO])
    by_town: dict[str, list] = defaultdict(lambda: [set(), ZERO])
    by_sdg: dict[int, list] = defaultdict(lambda: [set(), ZERO])
    totals = {"households": 0, "kwh": 0, "volunteers": 0, "co2": ZERO}
    for application in applications:
        amount = amounts[application.pk]
        collective = application.collective
        for bucket, key in ((by_kind, collective.kind), (by_town, collective.municipality)):
            bucket[key][0].add(collective.pk)
            bucket[key][1] += amount
        for sdg, part in _split(amount, sorted(set(application.sdgs or collective.sdgs or []))):
            by_sdg[sdg][0].add(collective.pk)
            by_sdg[sdg][1] += part
        totals["households"] += application.households_reached or 0
        totals["kwh"] += application.kwh_per_year or 0
        totals["volunteers"] += application.volunteers or 0
        totals["co2"] += application.co2_tonnes_per_year or ZERO

    def shares(groups, label) -> list[Share]:
        rows = [Share(label(k), len(v[0]), v[1]) for k, v in groups.items()]
        return sorted(rows, key=lambda s: (-s.amount, str(s.label)))

    largest = sorted(applications, key=lambda a: (-amounts[a.pk], a.number))[:5]
    return Impact(
        collectives=len({a.collective_id for a in applications}),
        by_kind=shares(by_kind, lambda k: kinds.get(k, k)),
        by_municipality=shares(by_town, lambda k: k or _("onbekend")),
        by_sdg=[Share(f"{k} {SDG_NAMES[k]}", len(v[0]), v[1]) for k, v in sorted(by_sdg.items())],
        households=totals["households"],
        kwh_per_year=totals["kwh"],
        volunteers=totals["volunteers"],
        co2_tonnes=totals["co2"],
        projects=[
            Project(
                collective=a.collective.name,
                municipality=a.collective.municipality,
                kind=kinds.get(a.collective.kind, a.collective.kind),
                title=a.title,
                amount=amounts[a.pk],
                what=what[a.pk],
            )
            for a in largest
        ],
    )


def _split(amount: Decimal, sdgs: list[int]) -> list[tuple[int, Decimal]]:
    """``amount`` shared evenly over ``sdgs``, to the cent; the first takes what is left."""
    if not sdgs:
        return []
    part = (amount / len(sdgs)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    parts = [part] * len(sdgs)
    parts[0] += amount - part * len(sdgs)
    return list(zip(sdgs, parts, strict=True))


def fund_figures(fund: Fund, period: Period) -> FundFigures:
    """Everything the fund's statements of ``period`` show, in a constant number of queries."""
    sums = _journal_sums(fund, period)
    loans = list(Loan.objects.filter(fund=fund, contracted_on__lte=period.end).order_by("pk"))
    day_before = period.start - timedelta(days=1)
    undisbursed_start = _undisbursed(loans, _disbursed_by(fund, day_before), day_before)
    disbursed_end = _disbursed_by(fund, period.end)
    undisbursed_end = _undisbursed(loans, disbursed_end, period.end)
    cash_start = _euros(sums.balance(chart.BANK_REVOLVING, at_start=True))
    cash_end = _euros(sums.balance(chart.BANK_REVOLVING))
    principal = chart.LOANS_PRINCIPAL
    flows = Flows(
        contributions=_euros(
            -sums.moved(chart.CAPITAL_REVOLVING, CONTRIBUTION)
            - sums.moved(chart.CAPITAL_GRANT, CONTRIBUTION)
        ),
        disbursed=_euros(sums.moved(principal, DISBURSEMENT)),
        repaid_principal=_euros(-sums.moved(principal, REPAYMENTS)),
        repaid_interest=_euros(-sums.moved(chart.INTEREST_RECEIVABLE, REPAYMENTS)),
        repaid_fees=_euros(-sums.moved(chart.FEES_RECEIVABLE, REPAYMENTS)),
        paid_ahead=_euros(-sums.moved(chart.ADVANCES, REPAYMENTS)),
        grants_paid=_euros(sums.moved(chart.GRANTS_PAYABLE, GRANT_PAYMENT)),
        written_off=_euros(-sums.moved(principal, WRITE_OFF)),
        converted=_euros(-sums.moved(principal, CONVERSION)),
        interest_income=_euros(-_moved_in_period(sums, chart.INTEREST_INCOME)),
        fee_income=_euros(-_moved_in_period(sums, chart.FEE_INCOME)),
    )
    capital = _euros(-sums.balance(chart.CAPITAL_REVOLVING))
    disbursed_ever = _euros(sums.moved_ever(principal, DISBURSEMENT))
    repaid_ever = _euros(-sums.moved_ever(principal, REPAYMENTS))
    revolving = Revolving(
        disbursed=disbursed_ever,
        repaid=repaid_ever,
        capital=capital,
        relent=min(max(disbursed_ever - capital, ZERO), repaid_ever),
    )
    compartments = [
        CompartmentFigures(
            kind=kind,
            label=label,
            cash_start=_euros(sums.balance(chart.BANK_ACCOUNT[kind], at_start=True)),
            cash_end=_euros(sums.balance(chart.BANK_ACCOUNT[kind])),
            capital_start=_euros(-sums.balance(chart.CAPITAL_ACCOUNT[kind], at_start=True)),
            capital_end=_euros(-sums.balance(chart.CAPITAL_ACCOUNT[kind])),
        )
        for kind, label in COMPARTMENTS
    ]
    return FundFigures(
        fund=fund,
        period=period,
        pool_start=cash_start - undisbursed_start,
        pool_end=cash_end - undisbursed_end,
        cash_start=cash_start,
        cash_end=cash_end,
        undisbursed_start=undisbursed_start,
        undisbursed_end=undisbursed_end,
        flows=flows,
        revolving=revolving,
        quality=_quality(fund, sums, loans, disbursed_end, period.end),
        impact=_impact(fund, loans, period.end),
        compartments=compartments,
        pool_months=_pool_months(fund, sums, period.end),
        quarters=_quarters(fund, period.end),
        sums=sums,
    )


def _moved_in_period(sums: _Sums, code: str) -> int:
    return sums.balance(code) - sums.balance(code, at_start=True)


# --- one investor ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CapitalRow:
    compartment: str
    label: str
    committed: Decimal  # committed by the period end
    paid_in_period: Decimal  # paid in during the period (its party on 3000/3010)
    paid_total: Decimal  # paid in by the period end
    share: Decimal  # of the compartment's paid-in capital at the period end (fraction)

    @property
    def open(self) -> Decimal:
        return self.committed - self.paid_total


@dataclass(frozen=True)
class InvestorFigures:
    investor: object
    rows: list[CapitalRow]

    @property
    def committed(self) -> Decimal:
        return sum((r.committed for r in self.rows), ZERO)

    @property
    def paid_in_period(self) -> Decimal:
        return sum((r.paid_in_period for r in self.rows), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum((r.paid_total for r in self.rows), ZERO)

    @property
    def open(self) -> Decimal:
        return self.committed - self.paid_total


def commitments_by_investor(fund: Fund, period: Period) -> dict[int, list[Commitment]]:
    """The fund's commitments made by the period end, per investor: one query."""
    result: dict[int, list[Commitment]] = defaultdict(list)
    commitments = (
        Commitment.objects.filter(compartment__fund=fund, date__lte=period.end)
        .select_related("investor", "compartment")
        .order_by("investor__code", "compartment__kind", "date", "pk")
    )
    for commitment in commitments:
        result[commitment.investor_id].append(commitment)
    return result


def investor_figures(figures: FundFigures, investor, commitments: list[Commitment]):
    """The investor's capital in the fund, from its party on the capital accounts."""
    rows = []
    for kind, label in COMPARTMENTS:
        committed = sum((c.amount.amount for c in commitments if c.compartment.kind == kind), ZERO)
        code = chart.CAPITAL_ACCOUNT[kind]
        paid_total = _euros(-figures.sums.balance(code, party=investor.code))
        if committed == 0 and paid_total == 0:
            continue
        compartment_capital = _euros(-figures.sums.balance(code))
        share = (
            (paid_total / compartment_capital).quantize(SHARE)
            if compartment_capital > 0
            else Decimal("0.0000")
        )
        rows.append(
            CapitalRow(
                compartment=kind,
                label=label,
                committed=committed,
                paid_in_period=_euros(-figures.sums.moved(code, CONTRIBUTION, party=investor.code)),
                paid_total=paid_total,
                share=share,
            )
        )
    return InvestorFigures(investor=investor, rows=rows)
