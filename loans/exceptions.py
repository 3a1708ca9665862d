"""Refusals of loan services. Messages are shown to users, so they are translatable."""


class LoanError(Exception):
    """The operation was refused and nothing was written."""


class InvalidTransition(LoanError):
    """The loan (or proposal, or repayment) is not in a state that allows this step."""


class NotAllowed(LoanError):
    """The user has no right to take this step on this loan."""


class FourEyesViolation(LoanError):
    """The manager who proposed a change may not approve it."""


class InsufficientPool(LoanError):
    """The revolving pool cannot carry the tranche."""


class InvalidAmount(LoanError):
    pass


class InvalidTerms(LoanError):
    """Terms outside the product's limits, or terms that make no schedule."""


class ScheduleConflict(LoanError):
    """A new schedule version would replace instalments that were already posted or paid."""


class InvalidDate(LoanError):
    """A date after today (the business date), or a reversal dated before what it reverses."""


class ConflictOfInterest(NotAllowed):
    """The user is a contact of the collective (or a user of the investor) whose case it is."""
