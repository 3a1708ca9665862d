"""Properties of the pure allocation (loans/allocation.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loans.allocation import (
    AllocationError,
    Component,
    Mode,
    OpenItem,
    allocate,
    parse_order,
)

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2))
orders = st.permutations(list(Component)).map(tuple)


@st.composite
def open_items(draw):
    items = []
    for n in range(1, draw(st.integers(0, 8)) + 1):
        day = date(2026, 1, 1) + timedelta(days=30 * n)
        items.append(OpenItem(Component.INTEREST, n, day, draw(cents)))
        items.append(OpenItem(Component.PRINCIPAL, n, day, draw(cents)))
    for fee in range(1, draw(st.integers(0, 3)) + 1):
        day = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
        items.append(OpenItem(Component.FEE, 100 + fee, day, draw(cents)))
    return items


@given(cents, open_items(), orders, st.sampled_from(list(Mode)))
def test_parts_add_up_nothing_beyond_due_rest_is_prepayment(amount, items, order, mode):
    result = allocate(amount, items, order=order, mode=mode)
    assert result.allocated + result.prepayment == amount
    owed = {(i.component, i.ref): i.amount for i in items}
    for part in result.parts:
        assert 0 < part.amount <= owed[(part.component, part.ref)]
    assert len({(p.component, p.ref) for p in result.parts}) == len(result.parts)
    total_owed = sum(owed.values(), Decimal("0"))
    assert result.prepayment == max(Decimal("0"), amount - total_owed)
    if result.prepayment > 0:
        got = {(p.component, p.ref): p.amount for p in result.parts}
        assert all(got.get(key, 0) == value for key, value in owed.items())


@given(cents, open_items())
def test_default_order_pays_fees_then_interest_then_principal_oldest_first(amount, items):
    result = allocate(amount, items)
    rank = {Component.FEE: 0, Component.INTEREST: 1, Component.PRINCIPAL: 2}
    due = {(i.component, i.ref): i.due_date for i in items}
    keys = [(rank[p.component], due[(p.component, p.ref)], p.ref) for p in result.parts]
    assert keys == sorted(keys)
    # only the last part may be partial
    owed = {(i.component, i.ref): i.amount for i in items}
    for part in result.parts[:-1]:
        assert part.amount == owed[(part.component, part.ref)]


def test_instalment_mode_pays_the_oldest_instalment_in_full_first():
    d1, d2 = date(2026, 2, 1), date(2026, 3, 1)
    items = [
        OpenItem(Component.INTEREST, 1, d1, Decimal("60.00")),
        OpenItem(Component.PRINCIPAL, 1, d1, Decimal("972.80")),
        OpenItem(Component.INTEREST, 2, d2, Decimal("55.14")),
        OpenItem(Component.PRINCIPAL, 2, d2, Decimal("977.66")),
    ]
    by_instalment = allocate(Decimal("1100.00"), items, mode=Mode.INSTALMENT)
    assert [(p.component, p.ref, p.amount) for p in by_instalment.parts] == [
        ("interest", 1, Decimal("60.00")),
        ("principal", 1, Decimal("972.80")),
        ("interest", 2, Decimal("55.14")),
        ("principal", 2, Decimal("12.06")),
    ]
    by_component = allocate(Decimal("1100.00"), items)
    assert [(p.component, p.ref) for p in by_component.parts] == [
        ("interest", 1),
        ("interest", 2),
        ("principal", 1),
        ("principal", 2),
    ]
    assert by_component.parts[-1].amount == Decimal("12.06")


@pytest.mark.parametrize("order", ["fee,interest", "fee,interest,interest", "fee,rent,principal"])
def test_an_order_must_name_each_component_once(order):
    with pytest.raises(AllocationError):
        parse_order(order)


def test_negative_amounts_are_refused():
    with pytest.raises(AllocationError):
        allocate(Decimal("-1"), [])
