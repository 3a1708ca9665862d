"""Refusals of fund services. Messages are shown to users, so they are translatable."""


class FundError(Exception):
    """The operation was refused and nothing was written."""


class InvalidTransition(FundError):
    """The object is not in a state that allows this step."""


class FourEyesViolation(FundError):
    """The same person may not assess and decide."""


class NotAllowed(FundError):
    """The user has no right to take this step on this object."""


class InsufficientCapacity(FundError):
    """The compartment cannot carry the amount."""


class InvalidAmount(FundError):
    pass


class InvalidDate(FundError):
    """A date after today, the business date: money is booked on the day it moves."""


class ConflictOfInterest(NotAllowed):
    """The user is a contact of the collective (or a user of the investor) whose case it is."""


class InvalidFile(FundError):
    """An uploaded file whose content does not match its name."""
