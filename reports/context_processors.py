"""The main menu, per role. Register as ``reports.context_processors.nav`` in TEMPLATES."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .access import try_reverse, user_roles

FUNDS = ("fund:fund_list", _("Fondsen"))
APPLICATIONS = ("fund:application_list", _("Aanvragen"))
COLLECTIVES = ("fund:collective_list", _("Collectieven"))
MY_COLLECTIVES = ("fund:collective_list", _("Mijn collectieven"))
GRANTS = ("fund:grant_list", _("Subsidies"))
LOANS = ("loans:loan_list", _("Leningen"))
INVESTORS = ("fund:investor_list", _("Investeerders"))
BOOKS = ("reports:book_list", _("Boeken"))
AUDIT = ("reports:audit_trail", _("Audit"))
STATEMENTS = ("reports:statement_list", _("Overzichten"))

MENUS = {
    "manager": (FUNDS, APPLICATIONS, COLLECTIVES, GRANTS, LOANS, INVESTORS, BOOKS, AUDIT),
    "auditor": (FUNDS, BOOKS, AUDIT, APPLICATIONS, GRANTS, LOANS, STATEMENTS),
    "member": (MY_COLLECTIVES, APPLICATIONS, GRANTS, LOANS),
    "investor": (INVESTORS, STATEMENTS),
}


def nav_items(request) -> list[dict]:
    """Menu items for the user's roles, in role order, each page once.

    A page that does not exist (yet) is left out rather than breaking every page. The item
    whose URL is the longest prefix of the current path is marked active.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    roles = user_roles(user)
    items: list[dict] = []
    seen: set[str] = set()
    for role in ("manager", "auditor", "member", "investor"):
        if not getattr(roles, role):
            continue
        for name, label in MENUS[role]:
            if name in seen:
                continue
            seen.add(name)
            url = try_reverse(name)
            if url:
                items.append({"label": label, "url": url, "active": False})
    path = request.path
    matches = [item for item in items if path.startswith(item["url"]) and item["url"] != "/"]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return items


def nav(request) -> dict:
    return {"nav_menu": nav_items(request)}
