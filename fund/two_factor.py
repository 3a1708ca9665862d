"""Two-factor sign-in for fund managers and auditors (django-otp): docs/permissions.md.

A password alone must not open the books or move money. A manager or auditor confirms each
session with a six-digit code from an authenticator app (TOTP) or with one of ten one-time
backup codes. ``config.middleware.TwoFactorMiddleware`` calls :func:`gate` before every view:
with ``BURGERFONDS_REQUIRE_2FA`` one without a device is sent to set one up, and one with a
device to confirm the session; with it off (DEBUG, the test suite) only who set up a device
is asked. Members, investors and users without a role are never asked.

Backup codes are kept as keyed hashes, not as the codes themselves, so that reading the
database does not give a way past the second factor.
"""

from __future__ import annotations

import base64
import math

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render, resolve_url
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger.services import audit_record

from .permissions import AUDITOR, MANAGER, roles_of

BACKUP_CODES = 10
DEVICE_NAME = "Authenticator-app"
BACKUP_DEVICE_NAME = "Reservecodes"
_BACKUP_SALT = "burgerfonds.two_factor.backup"

# Views an unconfirmed session may still reach: signing out (also of the admin), the password
# pages, the language switch and the two-factor pages themselves. Static files never reach a
# view (WhiteNoise serves them first).
OPEN_VIEWS = frozenset(
    {
        "login",
        "logout",
        "admin:logout",
        "password_change",
        "password_change_done",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "set_language",
        "two_factor:verify",
        "two_factor:enrol",
    }
)


# --- who is asked ------------------------------------------------------------------------


def applies_to(user) -> bool:
    """Fund managers and auditors: they move money or read every fund's books."""
    return bool(getattr(user, "is_authenticated", False) and roles_of(user) & {MANAGER, AUDITOR})


def totp_devices(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True)


def has_device(user) -> bool:
    return totp_devices(user).exists()


def is_verified(user) -> bool:
    """Whether this session was confirmed with a second factor (django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def gate(request):
    """The redirect to the verification (or enrolment) page, or None to let the view run."""
    user = getattr(request, "user", None)
    if not applies_to(user) or is_verified(user):
        return None
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name in OPEN_VIEWS:
        return None
    if has_device(user):
        target = "two_factor:verify"
    elif settings.BURGERFONDS_REQUIRE_2FA:
        target = "two_factor:enrol"
    else:
        return None
    return redirect(_with_next(reverse(target), request.get_full_path()))


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def safe_next(request) -> str:
    """Where to go after the second factor: the ``next`` path if it is a path of this site,
    else the dashboard (never another host: an open redirect would help phishing)."""
    candidate = (request.POST.get("next") or request.GET.get("next") or "").strip()
    if (
        candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts=None)
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


# --- codes -------------------------------------------------------------------------------


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _backup_digest(code: str, secret: str) -> str:
    """What is stored for a backup code: an HMAC of it (StaticToken.token holds 16 characters)."""
    return salted_hmac(
        _BACKUP_SALT, _normalise(code), secret=secret, algorithm="sha256"
    ).hexdigest()[:16]


def _digests(code: str) -> list[str]:
    """The digest under the current key and under each fallback key (a rotated SECRET_KEY
    kept in SECRET_KEY_FALLBACKS leaves the codes working)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_backup_digest(code, key) for key in keys]


def new_backup_codes(user) -> list[str]:
    """Ten fresh one-time codes; the user's previous codes stop working. Shown once."""
    codes = [StaticToken.random_token() for _i in range(BACKUP_CODES)]
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=_backup_digest(code, settings.SECRET_KEY))
        for code in codes
    )
    return [f"{code[:4]}-{code[4:]}" for code in codes]


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


class Throttled(Exception):
    """Too many wrong codes in a row: django-otp makes the device wait (1, 2, 4, ... s)."""

    def __init__(self, until):
        super().__init__(until)
        self.seconds = max(1, math.ceil((until - timezone.now()).total_seconds()))


def _check_throttle(device) -> None:
    allowed, info = device.verify_is_allowed()
    if not allowed:
        raise Throttled((info or {}).get("locked_until") or timezone.now())


def looks_like_app_code(code: str) -> bool:
    code = _normalise(code)
    return len(code) == 6 and code.isdigit()


def verify_totp(user, code: str, devices=None):
    """The TOTP device that accepts ``code``, or None; a wrong code counts towards the
    device's throttle. Raises :class:`Throttled` while every device is made to wait."""
    if not looks_like_app_code(code):
        return None
    code = _normalise(code)
    with transaction.atomic():
        candidates = list(
            (devices if devices is not None else totp_devices(user)).select_for_update()
        )
        refusals = []
        for device in candidates:
            try:
                _check_throttle(device)
            except Throttled as refusal:
                refusals.append(refusal)
                continue
            if device.verify_token(code):
                return device
        if candidates and len(refusals) == len(candidates):
            raise min(refusals, key=lambda refusal: refusal.seconds)
    return None


def verify_backup(user, code: str):
    """The backup-code device if ``code`` is one of the user's unused codes (then used up),
    else None; audited as ``otp.backup_used``. A wrong code counts towards its throttle."""
    code = _normalise(code)
    if not code:
        return None
    with transaction.atomic():
        device = StaticDevice.objects.devices_for_user(user, confirmed=True).select_for_update()
        device = device.first()
        if device is None:
            return None
        _check_throttle(device)
        digests = _digests(code)
        stored = device.token_set.filter(token__in=digests).values_list("token", flat=True)
        if not device.verify_token(stored.first() or digests[0]):
            return None
        audit_record(
            actor=user,
            action="otp.backup_used",
            obj=user,
            after={"user": user.get_username(), "remaining": device.token_set.count()},
        )
    return device


def _confirm_session(request, device) -> None:
    """Mark the session as confirmed with ``device``; a new session key, as at sign-in."""
    request.session.cycle_key()
    otp_login(request, device)


def _throttle_message(refusal: Throttled) -> str:
    return _(
        "Te veel onjuiste codes achter elkaar. Wacht %(seconds)s seconden en probeer het opnieuw."
    ) % {"seconds": refusal.seconds}


# --- forms -------------------------------------------------------------------------------


def _app_code(form, user, devices=None):
    """The device whose current code the (valid) ``form`` holds, or None with the form's
    error set (a wrong code, or too many in a row)."""
    try:
        device = verify_totp(user, form.cleaned_data["code"], devices=devices)
    except Throttled as refusal:
        form.add_error("code", _throttle_message(refusal))
        return None
    if device is None:
        form.add_error("code", _("Deze code klopt niet. Probeer de volgende code."))
    return device


class AppCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code uit de app"),
        max_length=12,
        help_text=gettext_lazy("De zes cijfers die uw authenticator-app nu toont."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self):
        code = self.cleaned_data["code"]
        if not looks_like_app_code(code):
            raise forms.ValidationError(_("Vul de zes cijfers uit uw app in."))
        return _normalise(code)


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        help_text=gettext_lazy(
            "De zes cijfers uit uw authenticator-app, of een van uw reservecodes."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


# --- pages -------------------------------------------------------------------------------


def _require_role(user) -> None:
    if not applies_to(user):
        raise PermissionDenied


def _qr_svg(device) -> str:
    """The enrolment QR code as inline SVG (no script, no style attribute: the CSP allows it)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5,
        dark="#000",
        light="#fff",
        svgclass="qr-code",
        lineclass=None,
        title=_("QR-code voor uw authenticator-app"),
    )


def _text_key(device) -> str:
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _codes_page(request, codes, next_url):
    return render(request, "two_factor/backup_codes.html", {"codes": codes, "next_url": next_url})


@login_required
def enrol(request):
    """Set up the authenticator app: scan the QR code (or type the key), confirm with a code,
    then see ten backup codes once. A user who has a device must confirm with it instead: a
    stolen password must not be enough to link another app."""
    user = request.user
    _require_role(user)
    next_url = safe_next(request)
    if has_device(user):
        if is_verified(user):
            messages.info(request, _("Tweestapsverificatie staat al aan."))
            return redirect("two_factor:overview")
        return redirect(_with_next(reverse("two_factor:verify"), next_url))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified = _app_code(form, user, devices=_only(device))
        if verified is not None:
            with transaction.atomic():
                verified.confirmed = True
                verified.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
                codes = new_backup_codes(user)
                audit_record(
                    actor=user,
                    action="otp.enrol",
                    obj=user,
                    after={"user": user.get_username(), "remaining": len(codes)},
                )
            _confirm_session(request, verified)
            messages.success(request, _("Tweestapsverificatie staat aan."))
            return _codes_page(request, codes, next_url)
    return render(
        request,
        "two_factor/enrol.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device),
            "text_key": _text_key(device),
            "next_url": next_url,
            "required": settings.BURGERFONDS_REQUIRE_2FA,
        },
    )


def _only(device):
    return TOTPDevice.objects.filter(pk=device.pk)


@login_required
def verify(request):
    """Confirm this session with a code from the app or a backup code, then go on to
    ``next``."""
    user = request.user
    next_url = safe_next(request)
    if is_verified(user):
        return redirect(next_url)
    if not has_device(user):
        if applies_to(user):
            return redirect(_with_next(reverse("two_factor:enrol"), next_url))
        return redirect(next_url)
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            # Six digits are the app's code; anything else can only be a backup code.
            check = verify_totp if looks_like_app_code(code) else verify_backup
            device = check(user, code)
        except Throttled as refusal:
            form.add_error("code", _throttle_message(refusal))
        else:
            if device is None:
                form.add_error("code", _("Deze code klopt niet."))
            else:
                _confirm_session(request, device)
                if isinstance(device, StaticDevice):
                    left = backup_codes_left(user)
                    messages.warning(
                        request,
                        _(
                            "U bent aangemeld met een reservecode; u heeft er nog %(left)s. "
                            "Maak nieuwe reservecodes onder Tweestapsverificatie."
                        )
                        % {"left": left},
                    )
                return redirect(next_url)
    return render(request, "two_factor/verify.html", {"form": form, "next_url": next_url})


@login_required
def overview(request):
    """Whether two-factor sign-in is on, how many backup codes are left, and new ones."""
    user = request.user
    role = applies_to(user)
    device = totp_devices(user).order_by("pk").first() if role else None
    return render(
        request,
        "two_factor/overview.html",
        {
            "applies": role,
            "device": device,
            "codes_left": backup_codes_left(user) if device else 0,
            "required": settings.BURGERFONDS_REQUIRE_2FA,
            "form": AppCodeForm(),
        },
    )


@require_POST
@login_required
def backup_codes_renew(request):
    """New backup codes after a current code from the app; the old ones stop working."""
    user = request.user
    _require_role(user)
    if not has_device(user):
        return redirect("two_factor:enrol")
    form = AppCodeForm(request.POST)
    if form.is_valid():
        device = _app_code(form, user)
        if device is not None:
            with transaction.atomic():
                codes = new_backup_codes(user)
                audit_record(
                    actor=user,
                    action="otp.backup_renew",
                    obj=user,
                    after={"user": user.get_username(), "remaining": len(codes)},
                )
            messages.success(request, _("Nieuwe reservecodes gemaakt; de oude werken niet meer."))
            return _codes_page(request, codes, reverse("two_factor:overview"))
    return render(
        request,
        "two_factor/overview.html",
        {
            "applies": True,
            "device": totp_devices(user).order_by("pk").first(),
            "codes_left": backup_codes_left(user),
            "required": settings.BURGERFONDS_REQUIRE_2FA,
            "form": form,
        },
    )


app_name = "two_factor"

urlpatterns = [
    path("", overview, name="overview"),
    path("instellen/", enrol, name="enrol"),
    path("controleren/", verify, name="verify"),
    path("reservecodes/", backup_codes_renew, name="backup_codes_renew"),
]
