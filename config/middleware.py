"""Language, and the error pages.

Language: Dutch unless the user chose English with the language switch (a cookie).

Django's LocaleMiddleware would also follow the browser's Accept-Language header; a Dutch
fund's users with English browsers would then get English without asking, so this one
reads only the cookie set by ``/i18n/setlang/``.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found, permission_denied

from ledger import clock


class CookieLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class FriendlyErrorPagesMiddleware:
    """The app's own 404 page for everyone but a developer on this machine, also with DEBUG on.

    With ``DEBUG`` Django answers a missing page or an object outside the user's scope with its
    technical 404 page, which lists every URL pattern of the project. Only a superuser or staff
    user on a loopback address (a developer at their own machine) still gets it, or everyone
    when ``TECHNICAL_ERRORS`` (``DJANGO_TECHNICAL_ERRORS=1``) is set. A 403 is the app's page
    already in Django, also with ``DEBUG``. Without ``DEBUG`` nothing changes here.
    """

    LOOPBACK = frozenset({"127.0.0.1", "::1"})

    def __init__(self, get_response):
        self.get_response = get_response

    def technical(self, request) -> bool:
        """Whether Django's own answer stands: its technical page with DEBUG, else ours."""
        if not settings.DEBUG or getattr(settings, "TECHNICAL_ERRORS", False):
            return True
        user = getattr(request, "user", None)
        developer = bool(user and user.is_authenticated and (user.is_superuser or user.is_staff))
        return developer and request.META.get("REMOTE_ADDR", "") in self.LOOPBACK

    def __call__(self, request):
        response = self.get_response(request)
        # A path no URL pattern matches fails before any view, so process_exception never
        # sees it; Django has then already made its technical page.
        if (
            response.status_code == 404
            and getattr(request, "resolver_match", None) is None
            and not self.technical(request)
        ):
            return self.not_found(request, Http404())
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and not self.technical(request):
            return self.not_found(request, exception)
        if isinstance(exception, PermissionDenied) and not self.technical(request):
            return permission_denied(request, exception)
        return None

    @staticmethod
    def not_found(request, exception):
        return page_not_found(request, exception)


IDLE_KEY = "_last_seen"
IDLE_WRITE_EVERY = 60  # seconds; the idle clock is exact to the minute


class IdleTimeoutMiddleware:
    """Sign out a fund manager or auditor after ``SESSION_IDLE_TIMEOUT`` seconds without a
    request: they can move money or read every fund's books, so an unattended browser must not
    stay signed in. Others keep the session for the working day (``SESSION_COOKIE_AGE``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and _needs_idle_timeout(user):
            now = int(clock.now().timestamp())
            last = request.session.get(IDLE_KEY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                messages.info(
                    request,
                    _("U bent afgemeld na een half uur zonder activiteit. Meld u opnieuw aan."),
                )
                return redirect_to_login(request.get_full_path())
            if last is None or now - last >= IDLE_WRITE_EVERY:
                request.session[IDLE_KEY] = now  # a session write at most once a minute
        return self.get_response(request)


def _needs_idle_timeout(user) -> bool:
    from fund.permissions import AUDITOR, MANAGER, roles_of

    return user.is_staff or user.is_superuser or bool(roles_of(user) & {MANAGER, AUDITOR})


class NoStoreForSignedInMiddleware:
    """Pages for a signed-in user hold names, amounts and IBANs: no browser or proxy cache
    keeps them (the back button after signing out shows nothing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response


class CurrentUserMiddleware:
    """Remember the signed-in user for the request, so that a role granted in a view or the
    Django admin is audited with who granted it (fund.role_audit)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from fund.role_audit import current_actor

        user = getattr(request, "user", None)
        token = current_actor.set(user if user is not None and user.is_authenticated else None)
        try:
            return self.get_response(request)
        finally:
            current_actor.reset(token)


class RefuseNulMiddleware:
    """A NUL character in the path or query is no URL of this app (PostgreSQL refuses it in any
    text lookup): answer 404 instead of letting it reach a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in request.META.get("QUERY_STRING", ""):
            return page_not_found(request, Http404())
        return self.get_response(request)


class TwoFactorMiddleware:
    """A fund manager or auditor confirms the session with a second factor before any page
    (``fund.two_factor.gate``): a password alone must not move money or open every fund's
    books. Goes after django-otp's ``OTPMiddleware``, which tells whether the session is
    confirmed, and after the idle sign-out. ``request.two_factor_applies`` tells the base
    template whether to show the link to the two-factor page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from fund.two_factor import applies_to

        user = getattr(request, "user", None)
        request.two_factor_applies = functools.partial(applies_to, user)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from fund.two_factor import gate

        return gate(request)
