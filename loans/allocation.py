"""Allocation of a repayment over what a loan has open: pure Python, no Django.

A repayment is spread over open items (fees and premiums, the interest and the principal of each
instalment that has fallen due) in the order the loan product names; what is left when every open
item is paid is a prepayment. The loans app turns the result into ledger lines (Cr 1220, 1210,
1200) and allocation rows; this module only decides the split.

Two modes:

* ``component`` (the default): all open fees first, then the interest of every instalment oldest
  first, then the principal oldest first (with the default order);
* ``instalment``: the oldest instalment (or fee) is paid in full, component by component in the
  order, before the next one is touched.

Guarantees (tested with hypothesis): the parts and the prepayment add up to the payment exactly;
no item receives more than is open on it; a prepayment is only left when every item is paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "DEFAULT_ORDER",
    "Allocation",
    "AllocationError",
    "Component",
    "Mode",
    "OpenItem",
    "Part",
    "allocate",
    "parse_order",
]

ZERO = Decimal("0.00")


class AllocationError(ValueError):
    """Inputs that cannot be allocated (a negative amount, an order that misses a component)."""


class Component(StrEnum):
    FEE = "fee"  # fees, penalty interest and premiums (account 1220)
    INTEREST = "interest"  # interest posted due (account 1210)
    PRINCIPAL = "principal"  # principal (account 1200)


class Mode(StrEnum):
    COMPONENT = "component"
    INSTALMENT = "instalment"


DEFAULT_ORDER: tuple[Component, ...] = (Component.FEE, Component.INTEREST, Component.PRINCIPAL)


def parse_order(text: str | tuple | list) -> tuple[Component, ...]:
    """``"fee,interest,principal"`` (or a sequence) to a validated order of all three components."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    try:
        order = tuple(Component(str(p).strip()) for p in parts)
    except ValueError as error:
        raise AllocationError(f"unknown component in allocation order {text!r}") from error
    if sorted(order) != sorted(DEFAULT_ORDER):
        raise AllocationError(
            f"allocation order {text!r} must name fee, interest and principal once each"
        )
    return order


@dataclass(frozen=True)
class OpenItem:
    """Something owed: ``ref`` is the instalment number (or the fee's id); ``amount`` is open."""

    component: Component
    ref: int
    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class Part:
    component: Component
    ref: int
    amount: Decimal


@dataclass(frozen=True)
class Allocation:
    amount: Decimal
    parts: tuple[Part, ...]
    prepayment: Decimal

    @property
    def allocated(self) -> Decimal:
        return sum((p.amount for p in self.parts), ZERO)

    def total(self, component: Component) -> Decimal:
        return sum((p.amount for p in self.parts if p.component == component), ZERO)


def allocate(
    amount: Decimal,
    items: list[OpenItem] | tuple[OpenItem, ...],
    *,
    order: tuple[Component, ...] = DEFAULT_ORDER,
    mode: Mode | str = Mode.COMPONENT,
) -> Allocation:
    """Spread ``amount`` over ``items`` in ``order`` (see the module docstring for the modes).

    Items with nothing open are skipped; the rest of the payment is the prepayment.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise AllocationError(f"amount must be a finite Decimal, got {amount!r}")
    if amount < 0:
        raise AllocationError(f"amount must not be negative, got {amount}")
    order = parse_order(order)
    mode = Mode(mode)
    rank = {component: i for i, component in enumerate(order)}
    for item in items:
        if item.amount < 0:
            raise AllocationError(f"open {item.component} of {item.ref} is negative")
    if mode is Mode.COMPONENT:
        key = lambda i: (rank[i.component], i.due_date, i.ref)  # noqa: E731
    else:
        key = lambda i: (i.due_date, i.component != Component.FEE, i.ref, rank[i.component])  # noqa: E731
    left = amount
    parts: list[Part] = []
    for item in sorted(items, key=key):
        if left <= 0:
            break
        if item.amount <= 0:
            continue
        take = min(item.amount, left)
        parts.append(Part(item.component, item.ref, take))
        left -= take
    return Allocation(amount=amount, parts=tuple(parts), prepayment=left)
