"""Who may see what in the reports layer: roles, visible books, audit scope, safe links.

The books (trial balance, journal, statements, audit trail) are for the managers of the
fund and for auditors only; everyone else gets a 404, as for any object outside their
scope. Funds, collectives, investors, applications and grants are scoped by
:mod:`fund.selectors`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from fund.permissions import AUDITOR, INVESTOR, MANAGER, MEMBER, roles_of
from fund.selectors import funds_for
from ledger import pages
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


# --- links to pages of other apps: registered by each app (ledger/pages.py) ----------------

object_url = pages.object_url
audit_object_urls = pages.audit_object_urls
try_reverse = pages.try_reverse


# --- investor statements ---------------------------------------------------------------------


def statements_for(user):
    """Investor statements a user may read: auditors all; managers those of their funds;
    an investor's users that investor's; everyone else none (so a 404)."""
    from .models import InvestorStatement

    statements = InvestorStatement.objects.select_related("fund", "investor", "issued_by").defer(
        "pdf"
    )
    roles = user_roles(user)
    if roles.auditor:
        return statements
    scope = Q(pk__in=[])
    if roles.manager:
        scope |= Q(fund__managers=user)
    if roles.investor:
        scope |= Q(investor__users=user)
    return statements.filter(scope).distinct()
