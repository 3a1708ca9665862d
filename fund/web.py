"""Small helpers shared by the views of every app: pagination and showing a refusal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.utils.translation import gettext as _

from ledger.exceptions import ClosedPeriod

PAGE_SIZE = 25


def page_of(request, queryset, size: int = PAGE_SIZE) -> Page:
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def add_errors(form, error: Exception) -> None:
    """Show a service refusal or a model validation error on the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    elif isinstance(error, ClosedPeriod):
        form.add_error(
            None,
            _(
                "Deze datum valt in een afgesloten periode; boek de correctie met een datum in "
                "een open periode."
            ),
        )
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
