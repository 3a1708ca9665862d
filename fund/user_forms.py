"""Forms of the user management pages (fund.user_views); fund.users decides and writes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import ALL
from .models import Collective, Investor

COLLECTIVE, INVESTOR = "collective", "investor"


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Zoeken op naam of e-mail"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", ALL), ("active", _("Actief")), ("inactive", _("Gedeactiveerd"))],
    )


def target_value(obj) -> str:
    """The choice value of a collective or investor in :class:`UserInviteForm`."""
    kind = COLLECTIVE if isinstance(obj, Collective) else INVESTOR
    return f"{kind}:{obj.pk}"


class UserInviteForm(forms.Form):
    """Who is invited and to what: a collective or an investor in the manager's scope."""

    first_name = forms.CharField(label=_("Voornaam"), max_length=150)
    last_name = forms.CharField(label=_("Achternaam"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=150,
        help_text=_(
            "Heeft dit adres al een account, dan wordt dat gekoppeld; anders krijgt de persoon "
            "een e-mail met een link om een wachtwoord te kiezen."
        ),
    )
    target = forms.ChoiceField(label=_("Koppelen aan"))

    def __init__(self, *args, collectives, investors, **kwargs):
        super().__init__(*args, **kwargs)
        self._objects = {}
        collective_choices, investor_choices = [], []
        for collective in collectives.order_by("name"):
            self._objects[target_value(collective)] = collective
            collective_choices.append(
                (target_value(collective), f"{collective.name} ({collective.code})")
            )
        for investor in investors.order_by("name"):
            self._objects[target_value(investor)] = investor
            investor_choices.append((target_value(investor), f"{investor.name} ({investor.code})"))
        self.fields["target"].choices = [
            ("", "---------"),
            (_("Contactpersoon van collectief"), collective_choices),
            (_("Gebruiker van investeerder"), investor_choices),
        ]
        for name in ("first_name", "last_name", "email"):  # someone else's details
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def clean_target(self):
        return self._objects[self.cleaned_data["target"]]  # one of the choices

    @property
    def target_kwargs(self) -> dict:
        """``collective=`` or ``investor=`` for the service."""
        target = self.cleaned_data["target"]
        if isinstance(target, Investor):
            return {"collective": None, "investor": target}
        return {"collective": target, "investor": None}
