"""Entry points and building blocks (docs/architecture.md, "Services and transactions").

An entry point of a service is one durable transaction: ``transaction.atomic(durable=True)``,
which refuses to run inside another transaction. Where the same work is also a step of another
service (the bank import books each line with the repayment's step inside its batch), the step
is written once, as a building block that joins the caller's transaction, and
:func:`entry_point` makes the durable entry point of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import transaction

F = TypeVar("F", bound=Callable)


def entry_point(step: F, name: str) -> F:
    """``step`` as an entry point called ``name``: the same arguments, in a durable
    transaction of its own."""
    entry = transaction.atomic(durable=True)(step)
    entry.__name__ = entry.__qualname__ = name
    return entry
