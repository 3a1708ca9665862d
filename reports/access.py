"""Who may see what in the reports layer: roles, visible books, audit scope, safe links.

The books (trial balance, journal, statements, audit trail) are for the managers of the
fund and for auditors only; everyone else gets a 404, as for any object outside their
scope. Funds, collectives, investors, applications and grants are scoped by
:mod:`fund.selectors`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse

from fund.permissions import AUDITOR, INVESTOR, MANAGER, MEMBER, roles_of
from fund.selectors import funds_for
from ledger.models import AuditEvent, Book

# Audit events that belong to no book but concern objects every manager may see anyway
# (fund.selectors.collectives_for and investors_for give managers all of them).
SHARED_AUDIT_OBJECT_TYPES = ("fund.collective", "fund.investor")


@dataclass(frozen=True)
class Roles:
    manager: bool = False
    auditor: bool = False
    member: bool = False
    investor: bool = False

    @property
    def reads_books(self) -> bool:
        return self.manager or self.auditor

    @property
    def any(self) -> bool:
        return self.manager or self.auditor or self.member or self.investor


def user_roles(user) -> Roles:
    """The roles a user holds (computed once per request by fund.permissions.roles_of)."""
    held = roles_of(user)
    return Roles(
        manager=MANAGER in held,
        auditor=AUDITOR in held,
        member=MEMBER in held,
        investor=INVESTOR in held,
    )


def books_for(user) -> QuerySet[Book]:
    """Books a user may read: auditors all; managers those of their funds; others none."""
    if user_roles(user).auditor:
        return Book.objects.all()
    return Book.objects.filter(fund__in=funds_for(user))


def book_for(user, slug: str) -> Book:
    """One visible book, or 404 (also for a book that exists but is out of scope)."""
    return get_object_or_404(books_for(user).select_related("fund"), slug=slug)


def require_book_reader(user) -> Roles:
    """404 for users who read no books at all (collective members, investors)."""
    roles = user_roles(user)
    if not roles.reads_books:
        raise Http404
    return roles


def audit_events_for(user) -> QuerySet[AuditEvent]:
    """Audit events of the books the user may read.

    Auditors see every event. Managers see their funds' events, plus the book-less events
    about collectives and investors (which they may see in full anyway).
    """
    events = AuditEvent.objects.select_related("actor", "book")
    roles = user_roles(user)
    if roles.auditor:
        return events
    if not roles.manager:
        return events.none()
    return events.filter(
        Q(book__in=books_for(user))
        | Q(book__isnull=True, object_type__in=SHARED_AUDIT_OBJECT_TYPES)
    )


# --- links to pages of other apps, resolved defensively ----------------------------------

# URL name and the keyword arguments to try, per model label. Another app may not have
# the page (yet): then there is simply no link.
OBJECT_URLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "fund.fund": ("fund:fund_detail", ("slug", "pk")),
    "fund.application": ("fund:application_detail", ("pk", "number")),
    "fund.grant": ("fund:grant_detail", ("pk", "number")),
    "fund.collective": ("fund:collective_detail", ("pk", "code")),
    "fund.investor": ("fund:investor_detail", ("pk", "code")),
    "loans.loan": ("loans:loan_detail", ("number",)),
}


def try_reverse(name: str, *args, **kwargs) -> str:
    """``reverse`` that gives ``""`` instead of raising when the page does not exist."""
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


def object_url(obj) -> str:
    """Link to the detail page of a fund-side object, or ``""`` when there is none."""
    if obj is None:
        return ""
    spec = OBJECT_URLS.get(obj._meta.label_lower)
    if spec is None:
        return ""
    name, keys = spec
    for key in keys:
        value = getattr(obj, key, None)
        if value in (None, ""):
            continue
        url = try_reverse(name, **{key: value})
        if url:
            return url
    return ""


def audit_object_urls(events) -> dict[tuple[str, str], str]:
    """Links for the objects of audit events, by ``(object_type, object_id)``.

    One query per object type on the page, loading only the keys the URLs need.
    """
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.object_type in OBJECT_URLS and str(event.object_id).isdigit():
            wanted[event.object_type].add(int(event.object_id))
    urls: dict[tuple[str, str], str] = {}
    for label, pks in wanted.items():
        model = apps.get_model(label)
        fields = [key for key in OBJECT_URLS[label][1] if key != "pk"]
        for obj in model._base_manager.filter(pk__in=pks).only(*fields):
            url = object_url(obj)
            if url:
                urls[(label, str(obj.pk))] = url
    return urls
