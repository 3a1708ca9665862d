"""Small helpers shared by the views of every app: pagination and showing a refusal."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.utils.translation import gettext_lazy

from ledger import exceptions as ledger_exc

PAGE_SIZE = 25
logger = logging.getLogger(__name__)

# The ledger speaks to developers (English, with codes and keys, in the log); a user on a page
# reads what happened and what to do, in the page's language.
LEDGER_REFUSALS = {
    ledger_exc.ClosedPeriod: gettext_lazy(
        "Deze datum valt in een afgesloten periode; boek de correctie met een datum in "
        "een open periode."
    ),
    ledger_exc.InactiveAccount: gettext_lazy(
        "Een rekening van deze boeking is niet meer in gebruik; vraag de beheerder van de "
        "administratie haar weer te openen of een andere te kiezen."
    ),
    ledger_exc.InvalidText: gettext_lazy(
        "Een omschrijving of kenmerk is te lang of bevat tekens die niet kunnen worden "
        "geboekt; maak het korter en probeer het opnieuw."
    ),
    ledger_exc.IdempotencyConflict: gettext_lazy(
        "Dit formulier is al verwerkt met andere gegevens; open het opnieuw."
    ),
    ledger_exc.AlreadyReversed: gettext_lazy("Deze boeking is al teruggedraaid."),
    ledger_exc.DateOutOfRange: gettext_lazy(
        "Deze datum ligt te ver terug; controleer het jaartal."
    ),
}
LEDGER_REFUSAL = gettext_lazy(
    "De boeking is geweigerd en er is niets vastgelegd; de technische reden staat in het "
    "logboek. Neem contact op met de beheerder van de applicatie."
)


def page_of(request, queryset, size: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def add_errors(form, error: Exception) -> None:
    """Show a service refusal or a model validation error on the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    elif isinstance(error, ledger_exc.LedgerError):
        logger.warning("ledger refused a posting: %s: %s", type(error).__name__, error)
        message = next(
            (text for kind, text in LEDGER_REFUSALS.items() if isinstance(error, kind)),
            LEDGER_REFUSAL,
        )
        form.add_error(None, str(message))
    elif isinstance(error, ValidationError):
        for message in error.messages:
            form.add_error(None, message)
    else:
        form.add_error(None, str(error))


def call_service(form, service, refusals: tuple[type[Exception], ...], **kwargs):
    """One service call; on a refusal the message lands on ``form`` and None is returned."""
    try:
        return service(**kwargs)
    except refusals as error:
        add_errors(form, error)
        return None
