"""Password rules beyond Django's: the words Dutch users pick first are refused, also with a
year or a few digits and signs around them (``Zomer2026``, ``Welkom123!``)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Lowercase; what is left of a password once digits, signs and spaces are stripped.
COMMON_WORDS = frozenset(
    [
        "wachtwoord",
        "welkom",
        "welkomwelkom",
        "geheim",
        "geheimpje",
        "zomer",
        "winter",
        "lente",
        "herfst",
        "voorjaar",
        "najaar",
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
        "amsterdam",
        "rotterdam",
        "utrecht",
        "denhaag",
        "eindhoven",
        "groningen",
        "nederland",
        "holland",
        "oranje",
        "ajax",
        "feyenoord",
        "psv",
        "voetbal",
        "burgerfonds",
        "fonds",
        "coöperatie",
        "cooperatie",
        "energie",
        "zonnepanelen",
        "buurt",
        "dorpshuis",
        "password",
        "passwort",
        "qwerty",
        "qwertyuiop",
        "azerty",
        "asdfgh",
        "asdfghjkl",
        "letmein",
        "admin",
        "administrator",
        "beheerder",
        "gebruiker",
        "test",
        "testen",
        "welcome",
        "iloveyou",
        "hallo",
        "hoihoi",
        "liefde",
        "schat",
    ]
)
_NOISE = re.compile(r"[\W\d_]+", re.UNICODE)


class CommonDutchWordValidator:
    """Refuse a password that is a common (Dutch) word with digits or signs around it."""

    def validate(self, password: str, user=None) -> None:
        core = _NOISE.sub("", password).lower()
        if not core or core in COMMON_WORDS or (len(set(core)) <= 2):
            raise ValidationError(
                _(
                    "Dit wachtwoord is te makkelijk te raden (een veelgebruikt woord met cijfers). "
                    "Kies bijvoorbeeld drie of vier losse woorden achter elkaar."
                ),
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return _("Geen veelgebruikt woord met een jaartal of cijfers, zoals Zomer2026.")


def axes_username(request, credentials) -> str:
    """The user name django-axes records for a sign-in attempt, cut to the 150 characters a
    user name can have (a longer one, as a fuzzer sends, would not fit its column)."""
    name = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(name)[:150]
