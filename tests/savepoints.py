"""A savepoint a test rolls back, opened the way Django's TestCase opens its own.

Entry-point services are durable transactions (``transaction.atomic(durable=True)``,
docs/architecture.md, "Services and transactions"): inside another atomic block they raise
RuntimeError. Django's TestCase marks its own blocks so that the services still run inside a
test; a test that wraps one request or one call in a savepoint of its own, to roll it back,
marks that savepoint the same way (``Atomic._from_testcase``, which is what
``TestCase._enter_atomics`` sets)."""

from __future__ import annotations

from django.db import transaction


def savepoint_for_test(using: str | None = None) -> transaction.Atomic:
    block = transaction.atomic(using=using)
    block._from_testcase = True
    return block
