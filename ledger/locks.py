"""Waiting for a lock is bounded, so a page answers "busy, try again" instead of hanging.

Every PostgreSQL connection gets ``lock_timeout`` (``BURGERFONDS_LOCK_TIMEOUT_MS``, default
5 s): a statement that would wait longer for a row another transaction holds (a day-end batch,
an import batch, a repayment on the same fund) fails with SQLSTATE 55P03, its transaction
rolls back whole, and :class:`config.busy.BusyMiddleware` shows the busy page. SQLite has no
row locks; its whole-database write lock is waited for up to the connection's ``timeout``
("database is locked" after that), and the same page answers. Long work commits in short
batches (docs/loans.md, "Day-end"), so nobody waits long.
"""

from __future__ import annotations

from django.conf import settings
from django.db import OperationalError
from django.db.backends.signals import connection_created
from django.dispatch import receiver

DEFAULT_LOCK_TIMEOUT_MS = 5000
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL: lock_timeout expired, or NOWAIT


def lock_timeout_ms() -> int:
    return int(getattr(settings, "BURGERFONDS_LOCK_TIMEOUT_MS", DEFAULT_LOCK_TIMEOUT_MS))


@receiver(connection_created)
def _bound_lock_waits(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, false)", [f"{lock_timeout_ms()}ms"]
            )


def is_busy(error: BaseException) -> bool:
    """Whether ``error`` means another transaction held what this one needed too long."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE:  # psycopg 3
        return True
    if getattr(cause, "pgcode", None) == LOCK_NOT_AVAILABLE:  # psycopg 2
        return True
    text = str(error).lower()
    return "database is locked" in text or "lock timeout" in text
