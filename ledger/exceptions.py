"""Typed refusals of the ledger. Each message says what was wrong, in one line."""


class LedgerError(Exception):
    """Base class: the posting was refused and nothing was written."""


class TooFewLines(LedgerError):
    pass


class UnbalancedEntry(LedgerError):
    pass


class InvalidAmount(LedgerError):
    pass


class InvalidCurrency(LedgerError):
    pass


class InvalidText(LedgerError):
    """A key, reference or memo that is not text, is longer than its column, or holds a NUL
    character."""


class UnknownAccount(LedgerError):
    pass


class ForeignAccount(LedgerError):
    """The account belongs to another book."""


class InactiveAccount(LedgerError):
    pass


class MissingSubledgerKey(LedgerError):
    """The account keeps a sub-ledger and the line does not name its contract or party."""


class ClosedPeriod(LedgerError):
    pass


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before for an entry with different content."""


class AlreadyReversed(LedgerError):
    pass


class PeriodError(LedgerError):
    """A period that overlaps another, or a close that is not allowed."""


class DateOutOfRange(LedgerError):
    """An entry dated before the ledger's earliest date (a typing error, not history)."""
