"""Reads of the fund side: pool positions, pipelines, and what each user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from djmoney.money import Money

from ledger import chart, clock
from ledger.money import from_cents
from ledger.selectors import account_balance, balances_by_code

from . import permissions
from .models import (
    Application,
    ApplicationKind,
    ApplicationState,
    Collective,
    Compartment,
    CompartmentKind,
    Contribution,
    Fund,
    Grant,
    Investor,
)


@dataclass(frozen=True)
class CompartmentPosition:
    """Cash, what is promised and not yet paid, and what is free to promise (EUR)."""

    compartment: Compartment
    cash: Decimal
    payable: Decimal  # awarded grants not yet paid (account 2000)
    reserved: Decimal  # approvals not yet awarded (grants) or disbursed (loans)
    capital: Decimal  # paid-in capital

    @property
    def committed(self) -> Decimal:
        return self.payable + self.reserved

    @property
    def available(self) -> Decimal:
        return self.cash - self.committed


def _reserved(compartment: Compartment) -> Decimal:
    kind = (
        ApplicationKind.GRANT if compartment.kind == CompartmentKind.GRANT else ApplicationKind.LOAN
    )
    # Summed in Python: SQLite stores decimals as REAL, and money must not drift.
    amounts = Application.objects.filter(
        fund_id=compartment.fund_id,
        kind=kind,
        state=ApplicationState.APPROVED,
        commitment_open__gt=0,
    ).values_list("commitment_open", flat=True)
    return sum(amounts, Decimal("0.00"))


def compartment_position(
    compartment: Compartment, balances: dict[str, int] | None = None
) -> CompartmentPosition:
    """Position of one compartment. Lock the compartment row first when deciding on it."""
    book = compartment.fund.book
    balances = balances if balances is not None else balances_by_code(book=book)
    payable = (
        -balances.get(chart.GRANTS_PAYABLE, 0) if compartment.kind == CompartmentKind.GRANT else 0
    )
    return CompartmentPosition(
        compartment=compartment,
        cash=from_cents(balances.get(compartment.bank_account, 0)),
        payable=from_cents(payable),
        reserved=_reserved(compartment),
        capital=from_cents(-balances.get(compartment.capital_account, 0)),
    )


def fund_positions(fund: Fund) -> list[CompartmentPosition]:
    balances = balances_by_code(book=fund.book)
    return [
        compartment_position(c, balances) for c in fund.compartments.select_related("fund__book")
    ]


def pool_history(fund: Fund, months: int = 12, today: Date | None = None) -> list[dict]:
    """Cash per compartment at each of the last ``months`` month ends (and today)."""
    today = today or clock.today()
    ends = []
    cursor = today.replace(day=1) - timedelta(days=1)
    for _ in range(months):
        ends.append(cursor)
        cursor = cursor.replace(day=1) - timedelta(days=1)
    ends = sorted(ends) + [today]
    accounts = {
        a.code: a
        for a in fund.book.accounts.filter(code__in=[chart.BANK_REVOLVING, chart.BANK_GRANT])
    }
    return [
        {
            "date": day,
            "revolving": from_cents(
                account_balance(account=accounts[chart.BANK_REVOLVING], as_of=day)
            ),
            "grant": from_cents(account_balance(account=accounts[chart.BANK_GRANT], as_of=day)),
        }
        for day in ends
    ]


def pipeline(fund: Fund) -> dict[str, int]:
    counts = dict(
        Application.objects.filter(fund=fund)
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    return {state: counts.get(state, 0) for state in ApplicationState.values}


def money_total(values) -> Money:
    return Money(
        sum((v.amount if isinstance(v, Money) else v for v in values), Decimal("0.00")), "EUR"
    )


# --- what a user may see ------------------------------------------------------------------


def is_manager(user) -> bool:
    return permissions.has_role(user, permissions.MANAGER)


def is_auditor(user) -> bool:
    return permissions.is_auditor(user)


def funds_for(user) -> QuerySet[Fund]:
    """Funds a user may see: managers their own funds; auditors all; others none."""
    if not user.is_authenticated:
        return Fund.objects.none()
    if is_auditor(user):
        return Fund.objects.all()
    return Fund.objects.filter(managers=user)


def collectives_for(user) -> QuerySet[Collective]:
    if not user.is_authenticated:
        return Collective.objects.none()
    if is_auditor(user) or is_manager(user):
        return Collective.objects.all()
    return Collective.objects.filter(members=user)


def applications_for(user) -> QuerySet[Application]:
    if not user.is_authenticated:
        return Application.objects.none()
    qs = Application.objects.select_related("fund", "collective")
    if is_auditor(user):
        return qs
    if is_manager(user):
        return qs.filter(Q(fund__managers=user) | Q(collective__members=user)).distinct()
    return qs.filter(collective__members=user)


def grants_for(user) -> QuerySet[Grant]:
    if not user.is_authenticated:
        return Grant.objects.none()
    qs = Grant.objects.select_related("fund", "collective", "application")
    if is_auditor(user):
        return qs
    if is_manager(user):
        return qs.filter(Q(fund__managers=user) | Q(collective__members=user)).distinct()
    return qs.filter(collective__members=user)


def investors_for(user) -> QuerySet[Investor]:
    if not user.is_authenticated:
        return Investor.objects.none()
    if is_auditor(user) or is_manager(user):
        return Investor.objects.all()
    return Investor.objects.filter(users=user)


def contributions_for_investor(investor: Investor) -> QuerySet[Contribution]:
    return Contribution.objects.filter(commitment__investor=investor).select_related(
        "commitment__compartment__fund"
    )
