"""Readable names for audit actions, shared by every page that shows history."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy

from fund.templatetags.figures import format_number, format_rate
from ledger.money import format_amount

ACTION_LABELS = {
    "fund.create": gettext_lazy("Fonds aangemaakt"),
    "investor.create": gettext_lazy("Investeerder vastgelegd"),
    "commitment.create": gettext_lazy("Toezegging vastgelegd"),
    "contribution.record": gettext_lazy("Storting geboekt"),
    "collective.register": gettext_lazy("Collectief aangemeld"),
    "collective.update": gettext_lazy("Gegevens gewijzigd"),
    "collective.verify": gettext_lazy("Geverifieerd door fondsbeheerder"),
    "application.create": gettext_lazy("Aanvraag aangemaakt"),
    "application.update": gettext_lazy("Aanvraag gewijzigd"),
    "application.attach": gettext_lazy("Bijlage toegevoegd"),
    "application.submit": gettext_lazy("Ingediend"),
    "application.withdraw": gettext_lazy("Ingetrokken"),
    "application.start_review": gettext_lazy("In behandeling genomen"),
    "application.assess": gettext_lazy("Beoordeeld, met voorstel"),
    "application.approve": gettext_lazy("Goedgekeurd"),
    "application.reject": gettext_lazy("Afgewezen"),
    "application.commitment_use": gettext_lazy("Reservering verlaagd"),
    "grant.award": gettext_lazy("Subsidie toegekend"),
    "grant.pay": gettext_lazy("Betaling gedaan"),
    "grant.pay_propose": gettext_lazy("Betaling voorgesteld"),
    "grant.pay_approve": gettext_lazy("Betaling goedgekeurd en geboekt"),
    "grant.pay_reject": gettext_lazy("Betaling afgewezen"),
    "grant.settle": gettext_lazy("Afgerekend"),
    "book.create": gettext_lazy("Boeken geopend"),
    "account.create": gettext_lazy("Rekening aangemaakt"),
    "period.create": gettext_lazy("Periode aangemaakt"),
    "period.close": gettext_lazy("Periode afgesloten"),
    "collective.change_approve": gettext_lazy("Wijziging collectiefgegevens goedgekeurd"),
    "collective.change_reject": gettext_lazy("Wijziging collectiefgegevens afgewezen"),
    "role.grant": gettext_lazy("Rol toegekend"),
    "account.locked": gettext_lazy("Account vergrendeld na verkeerde wachtwoorden"),
    "account.unlock": gettext_lazy("Account ontgrendeld"),
    "otp.enrol": gettext_lazy("Tweestapsverificatie ingesteld"),
    "otp.backup_used": gettext_lazy("Aangemeld met een reservecode"),
    "otp.backup_renew": gettext_lazy("Nieuwe reservecodes gemaakt"),
    "role.revoke": gettext_lazy("Rol ingetrokken"),
    "user.invite": gettext_lazy("Gebruiker uitgenodigd"),
    "user.deactivate": gettext_lazy("Account gedeactiveerd"),
    "user.activate": gettext_lazy("Account weer geactiveerd"),
}


# --- what an event changed, for people ---------------------------------------------------------
#
# An event stores ``before`` and ``after`` as JSON: raw field names and values ("value_date":
# "2026-11-03", "amount": "780.72"). Pages show them with Dutch labels and formatted values, and
# a field counts as changed only when it is in both and differs; the other after-values are the
# facts of the event (what was paid, which entry). Some after-values share a name with the
# object's snapshot but mean something else: a repayment's "principal" is the part of the payment
# that went to principal, not the loan's principal, so it is a fact of that event.

OBJECT_LABELS = {
    "fund": gettext_lazy("Fonds"),
    "investor": gettext_lazy("Investeerder"),
    "commitment": gettext_lazy("Toezegging"),
    "contribution": gettext_lazy("Storting"),
    "collective": gettext_lazy("Collectief"),
    "application": gettext_lazy("Aanvraag"),
    "grant": gettext_lazy("Subsidie"),
    "book": gettext_lazy("Boeken"),
    "account": gettext_lazy("Rekening"),
    "period": gettext_lazy("Periode"),
    "loan_product": gettext_lazy("Leningproduct"),
    "loan": gettext_lazy("Lening"),
    "user": gettext_lazy("Gebruiker"),
}

FIELD_LABELS = {
    "role": gettext_lazy("Rol"),
    "user": gettext_lazy("Gebruiker"),
    "on": gettext_lazy("Bij"),
    "active": gettext_lazy("Actief"),
    "new_account": gettext_lazy("Nieuw account"),
    "state": gettext_lazy("Status"),
    "principal": gettext_lazy("Hoofdsom"),
    "disbursed": gettext_lazy("Uitbetaald"),
    "annual_rate": gettext_lazy("Rente per jaar"),
    "penalty_rate": gettext_lazy("Boeterente"),
    "periods": gettext_lazy("Aantal termijnen"),
    "first_due": gettext_lazy("Eerste vervaldatum"),
    "amount": gettext_lazy("Bedrag"),
    "value_date": gettext_lazy("Valutadatum"),
    "date": gettext_lazy("Datum"),
    "effective_date": gettext_lazy("Ingangsdatum"),
    "fees": gettext_lazy("Kosten en boeterente"),
    "interest": gettext_lazy("Rente"),
    "prepayment": gettext_lazy("Vervroegd afgelost"),
    "advance": gettext_lazy("Vooruitbetaald"),
    "repayment": gettext_lazy("Betaling"),
    "payment": gettext_lazy("Betaling"),
    "version": gettext_lazy("Versie van het aflosschema"),
    "entry": gettext_lazy("Journaalpost"),
    "change": gettext_lazy("Wijzigingsvoorstel"),
    "params": gettext_lazy("Inhoud"),
    "reason": gettext_lazy("Reden"),
    "payer": gettext_lazy("Betaler"),
    "slug": gettext_lazy("Code"),
    "code": gettext_lazy("Code"),
    "name": gettext_lazy("Naam"),
    "managers": gettext_lazy("Beheerders"),
    "investor": gettext_lazy("Investeerder"),
    "compartment": gettext_lazy("Compartiment"),
    "reference": gettext_lazy("Kenmerk"),
    "kind": gettext_lazy("Soort"),
    "type": gettext_lazy("Soort"),
    "subledger": gettext_lazy("Subadministratie"),
    "legal_form": gettext_lazy("Rechtsvorm"),
    "kvk_number": gettext_lazy("KvK-nummer"),
    "iban": gettext_lazy("IBAN"),
    "street": gettext_lazy("Straat"),
    "postcode": gettext_lazy("Postcode"),
    "city": gettext_lazy("Plaats"),
    "municipality": gettext_lazy("Gemeente"),
    "members_count": gettext_lazy("Aantal leden"),
    "sdgs": gettext_lazy("SDG's"),
    "email": gettext_lazy("E-mail"),
    "verified": gettext_lazy("Geverifieerd"),
    "title": gettext_lazy("Titel"),
    "amount_requested": gettext_lazy("Gevraagd bedrag"),
    "term_months": gettext_lazy("Looptijd (maanden)"),
    "assessor": gettext_lazy("Beoordelaar"),
    "proposal": gettext_lazy("Voorstel"),
    "proposed_amount": gettext_lazy("Voorgesteld bedrag"),
    "decided_by": gettext_lazy("Besloten door"),
    "approved_amount": gettext_lazy("Toegekend bedrag"),
    "conditions": gettext_lazy("Voorwaarden"),
    "commitment_open": gettext_lazy("Gereserveerd, nog open"),
    "attachment": gettext_lazy("Bijlage"),
    "file": gettext_lazy("Bestand"),
    "paid": gettext_lazy("Betaald"),
    "returned": gettext_lazy("Terugbetaald"),
    "released": gettext_lazy("Vrijgevallen"),
    "start": gettext_lazy("Begin"),
    "end": gettext_lazy("Einde"),
    "closed": gettext_lazy("Afgesloten"),
    "remaining": gettext_lazy("Ongebruikte reservecodes"),
    "rebooked": gettext_lazy("Opnieuw geboekte aflossingen"),
    "replaces": gettext_lazy("Herboeking van aflossing"),
}

# The same name, another meaning in one event: labelled for what it is there. The apps above
# register their own (``register``), as loans/audit.py does for the loans.
ACTION_FIELD_LABELS: dict[tuple[str, str], object] = {}

# After-values that are facts of the event, never a change of the object's snapshot.
ACTION_FACTS: dict[str, tuple[str, ...]] = {}


def register(*, actions: dict, field_labels: dict | None = None, facts: dict | None = None):
    """Labels of an app's audit actions, registered from its ``AppConfig.ready`` (the app
    that records an action names it; this floor only reads the names)."""
    ACTION_LABELS.update(actions)
    ACTION_FIELD_LABELS.update(field_labels or {})
    ACTION_FACTS.update(facts or {})


# The loan proposal's parameters ("params"), as the proposal form names them.
PARAM_LABELS = {
    "annual_rate": gettext_lazy("Nieuwe rente (% per jaar)"),
    "periods": gettext_lazy("Resterende termijnen"),
    "grace_principal": gettext_lazy("Aflossingsvrije termijnen"),
    "capitalise_arrears": gettext_lazy("Achterstand bijschrijven op de hoofdsom"),
    "amount": gettext_lazy("Af te schrijven hoofdsom"),
    "include_interest": gettext_lazy("Ook de achterstallige rente afschrijven"),
}

MONEY_FIELDS = frozenset(
    {
        "amount",
        "principal",
        "disbursed",
        "fees",
        "interest",
        "prepayment",
        "advance",
        "paid",
        "returned",
        "released",
        "amount_requested",
        "proposed_amount",
        "approved_amount",
        "commitment_open",
    }
)
DATE_FIELDS = frozenset({"value_date", "date", "first_due", "effective_date", "start", "end"})
RATE_FIELDS = frozenset({"annual_rate", "penalty_rate", "success_premium_pct"})
USER_FIELDS = frozenset({"assessor", "decided_by", "managers"})
NUMBER_FIELDS = frozenset({"entry", "repayment", "payment", "change", "attachment"})
OBJECT_FIELDS = {"investor": "fund.investor", "compartment": "fund.compartment"}
# The model whose choices name a field's values, per action prefix ("loan.repayment": loan).
PREFIX_MODELS = {
    "loan": "loans.loan",
    "application": "fund.application",
    "grant": "fund.grant",
    "collective": "fund.collective",
    "investor": "fund.investor",
    "account": "ledger.account",
}
EMPTY = "—"


def _humanize(code: str) -> str:
    return code.replace("_", " ").strip().capitalize()


def action_label(action: str) -> str:
    """The readable name of an audit action; an unknown code reads as its object and verb
    ("loan.foo_bar" -> "Lening: foo bar"), never as the bare code."""
    known = ACTION_LABELS.get(action)
    if known is not None:
        return str(known)
    if not action:
        return EMPTY
    prefix, _dot, verb = str(action).partition(".")
    subject = OBJECT_LABELS.get(prefix)
    subject = str(subject) if subject is not None else _humanize(prefix)
    return f"{subject}: {verb.replace('_', ' ')}" if verb else subject


def field_label(key: str, action: str = "") -> str:
    label = ACTION_FIELD_LABELS.get((action, key)) or FIELD_LABELS.get(key)
    return str(label) if label is not None else _humanize(str(key))


class ValueFormatter:
    """Formats the stored values of events; names of users and objects are looked up once."""

    def __init__(self):
        self._names: dict[tuple[str, object], str] = {}

    def _name(self, model_label: str, pk) -> str:
        key = (model_label, pk)
        if key not in self._names:
            model = get_user_model() if model_label == "user" else apps.get_model(model_label)
            obj = model._default_manager.filter(pk=pk).first() if str(pk).isdigit() else None
            if obj is None:
                name = f"#{pk}"
            elif model_label == "user":
                name = obj.get_full_name() or obj.get_username()
            else:
                name = str(obj)
            self._names[key] = name
        return self._names[key]

    @staticmethod
    def _choice(action: str, key: str, value) -> str | None:
        model_label = PREFIX_MODELS.get(action.partition(".")[0])
        if not model_label:
            return None
        try:
            field = apps.get_model(model_label)._meta.get_field(key)
        except (LookupError, FieldDoesNotExist):
            return None
        if not getattr(field, "choices", None):
            return None
        label = dict(field.flatchoices).get(value)
        return None if label is None else str(label)

    def format(self, key: str, value, action: str = "") -> str:
        if value is None or value == "" or value == []:
            return EMPTY
        if isinstance(value, bool):
            return str(gettext_lazy("Ja") if value else gettext_lazy("Nee"))
        if key == "params" and isinstance(value, dict):
            parts = [
                f"{PARAM_LABELS.get(k, _humanize(k))}: {self.format(k, v, 'param')}"
                for k, v in value.items()
            ]
            return "; ".join(parts) or EMPTY
        if isinstance(value, list):
            return ", ".join(self.format(key, item, action) for item in value)
        if key in USER_FIELDS:
            return self._name("user", value)
        if key in OBJECT_FIELDS:
            return self._name(OBJECT_FIELDS[key], value)
        if key in NUMBER_FIELDS:
            return f"#{value}"
        choice = self._choice(action, key, value) if isinstance(value, str) else None
        if choice is not None:
            return choice
        try:
            if key in MONEY_FIELDS:
                return format_amount(Decimal(str(value)))
            if key in RATE_FIELDS:
                return format_rate(value)
            if key in DATE_FIELDS and isinstance(value, str):
                return date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except (InvalidOperation, ValueError):
            return str(value)
        if isinstance(value, int):
            return format_number(value) if key.endswith("count") else str(value)
        if isinstance(value, float):
            return number_format(value)
        if isinstance(value, dict):
            return "; ".join(
                f"{_humanize(k)}: {self.format(k, v, action)}" for k, v in value.items()
            )
        return str(value)


def describe_changes(action: str, before, after, formatter: ValueFormatter | None = None) -> dict:
    """The event's fields for people: ``changed`` (in before and after, and different),
    ``facts`` (the event's own after-values), ``unchanged`` (in both, the same), each with a
    label and formatted values. ``raw`` when before or after is no mapping (shown formatted)."""
    fmt = formatter or ValueFormatter()
    before = {} if before is None else before
    after = {} if after is None else after
    if not isinstance(before, dict) or not isinstance(after, dict):
        return {
            "raw": True,
            "before": fmt.format("", before, action) if before != {} else None,
            "after": fmt.format("", after, action) if after != {} else None,
        }
    facts_only = ACTION_FACTS.get(action, ())
    changed, facts, unchanged = [], [], []
    for key, value in after.items():
        label = field_label(key, action)
        if key in before and key not in facts_only:
            if before[key] != value:
                changed.append(
                    {
                        "key": key,
                        "label": label,
                        "before": fmt.format(key, before[key], action),
                        "after": fmt.format(key, value, action),
                    }
                )
            else:
                unchanged.append(
                    {"key": key, "label": label, "value": fmt.format(key, value, action)}
                )
        elif value not in (None, "", []):  # an empty fact says nothing
            facts.append({"key": key, "label": label, "value": fmt.format(key, value, action)})
    for key, value in before.items():
        if key not in after:  # a field the event removed
            changed.append(
                {
                    "key": key,
                    "label": field_label(key, action),
                    "before": fmt.format(key, value, action),
                    "after": EMPTY,
                }
            )
    # The event's own facts in their natural order (amount, date, then its parts).
    order = {key: n for n, key in enumerate(facts_only)}
    facts.sort(key=lambda fact: order.get(fact["key"], -1))
    return {"raw": False, "changed": changed, "facts": facts, "unchanged": unchanged}
