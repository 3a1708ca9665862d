"""Use cases of the fund side. Each is one transaction: validate, lock, change, post, audit.

Locks are taken in a fixed order: compartment, then application, then grant. Capacity of a
compartment is always checked after the compartment row is locked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date as Date
from decimal import Decimal

from django.core.mail import send_mail
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from djmoney.money import Money

from ledger import chart, clock
from ledger.money import MoneyError, round_money, to_cents
from ledger.services import EARLIEST_DATE, Cr, Dr, audit_record, book_create, entry_post
from ledger.text import ascii_digits
from ledger.transactions import entry_point

from . import exceptions as exc
from . import workflow
from .models import (
    Application,
    ApplicationKind,
    Attachment,
    BudgetLine,
    Collective,
    CollectiveChange,
    Commitment,
    Compartment,
    CompartmentKind,
    Contribution,
    Fund,
    Grant,
    GrantPayment,
    GrantState,
    Investor,
    NumberSequence,
    PaymentState,
    Proposal,
)
from .permissions import check_fund_manager, check_member, is_member, require_independent
from .permissions import is_fund_manager as is_fund_manager  # re-exported for loans
from .role_audit import acting_as
from .selectors import compartment_position
from .uploads import content_problem

EUR = "EUR"


def _money(amount: Money | Decimal | str | int | None) -> Money:
    """Money in EUR, rounded to cents with an explicit half-up; refuses floats."""
    if amount is None or amount == "":
        raise exc.InvalidAmount(_("Vul een bedrag in."))
    if isinstance(amount, Money):
        if str(amount.currency) != EUR:
            raise exc.InvalidAmount(_("Alleen bedragen in euro."))
        amount = amount.amount
    try:
        return Money(round_money(amount), EUR)
    except MoneyError as error:
        raise exc.InvalidAmount(
            _("Dit is geen bedrag in euro en centen: %(value)s.") % {"value": str(amount)[:40]}
        ) from error


def _positive(amount: Money | Decimal | str | int) -> Money:
    money = _money(amount)
    if money.amount <= 0:
        raise exc.InvalidAmount(_("Het bedrag moet groter zijn dan nul."))
    return money


def _cents(money: Money) -> int:
    return to_cents(money.amount)


def _snapshot(obj, fields: Iterable[str]) -> dict:
    data = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, Money):
            value = str(value.amount)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif hasattr(value, "pk"):
            value = value.pk
        data[name] = value
    return data


def number_next(*, prefix: str, year: int) -> str:
    """Next gap-free number such as ``A-2026-0001``. Joins the caller's transaction."""
    NumberSequence.objects.bulk_create(
        [NumberSequence(prefix=prefix, year=year)], ignore_conflicts=True
    )
    seq = NumberSequence.objects.select_for_update().get(prefix=prefix, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{prefix}-{year}-{seq.last:04d}"


def _require_member(user, collective: Collective) -> None:
    check_member(user, collective, exc.NotAllowed)


def _require_independent(user, *, collective=None, investor=None) -> None:
    require_independent(user, exc.ConflictOfInterest, collective=collective, investor=investor)


def _require_any_manager(user) -> None:
    if not (user and user.is_authenticated and user.managed_funds.exists()):
        raise exc.NotAllowed(_("Alleen een fondsbeheerder mag dit."))


def not_after_today(day: Date, refusal=exc.InvalidDate) -> None:
    """Nothing is booked after the business date (docs/ledger.md, "The business date"):
    money that has not moved yet is booked on the day it does. Refused with ``refusal``."""
    today = clock.today()
    if day < EARLIEST_DATE:
        raise refusal(
            _("%(date)s ligt vóór %(earliest)s; controleer het jaartal.")
            % {
                "date": date_format(day, "SHORT_DATE_FORMAT"),
                "earliest": date_format(EARLIEST_DATE, "SHORT_DATE_FORMAT"),
            }
        )
    if day > today:
        raise refusal(
            _("%(date)s ligt na vandaag (%(today)s); boek dit op of na de dag zelf.")
            % {
                "date": date_format(day, "SHORT_DATE_FORMAT"),
                "today": date_format(today, "SHORT_DATE_FORMAT"),
            }
        )


def once_replay(
    queryset,
    key: str | None,
    refusal=exc.InvalidTransition,
    *,
    lookup: str = "entry__idempotency_key",
    **figures,
):
    """What a one-time key made before (docs/ledger.md, "Twice is once"), or None.

    ``queryset`` holds objects with a posting (``entry``), or objects that keep the key
    themselves (``lookup="once_key"``); a double click or a retry gets the first result back
    (marked ``once_replayed``). The same key with other ``figures`` (the user went back and changed
    the form) is refused with ``refusal``.
    """
    if not key:
        return None
    earlier = queryset.filter(**{lookup: key}).first()
    if earlier is not None and any(getattr(earlier, k) != v for k, v in figures.items()):
        raise refusal(_("Dit formulier is al verwerkt met andere gegevens; open het opnieuw."))
    if earlier is not None:
        earlier.once_replayed = True
    return earlier


def _require_manager(user, fund: Fund) -> None:
    check_fund_manager(user, fund, exc.NotAllowed)


# --- funds and capital ---------------------------------------------------------------------


@transaction.atomic(durable=True)
def fund_create(
    *, slug: str, name: str, description: str = "", managers=(), created_by=None
) -> Fund:
    """Create a fund with its books (chart seeded) and its grant and revolving compartments."""
    book = book_create(slug=slug, name=name, created_by=created_by)
    fund = Fund.objects.create(slug=slug, name=name, description=description, book=book)
    with acting_as(created_by):
        fund.managers.set(managers)
    for kind in CompartmentKind.values:
        Compartment.objects.create(fund=fund, kind=kind)
    audit_record(
        actor=created_by,
        action="fund.create",
        obj=fund,
        book=book,
        after={"slug": slug, "name": name, "managers": [u.pk for u in managers]},
    )
    return fund


@transaction.atomic(durable=True)
def investor_create(*, code: str, name: str, kind: str, created_by, **details) -> Investor:
    _require_any_manager(created_by)
    investor = Investor(code=code, name=name, kind=kind, **details)
    investor.full_clean()
    investor.save()
    audit_record(
        actor=created_by, action="investor.create", obj=investor, after={"code": code, "name": name}
    )
    return investor


@transaction.atomic(durable=True)
def commitment_create(
    *,
    investor: Investor,
    compartment: Compartment,
    amount,
    date: Date,
    reference: str = "",
    created_by,
    idempotency_key: str | None = None,
) -> Commitment:
    """An investor's promise of capital. ``idempotency_key`` (the form's one-time key) makes a
    second identical call return the first commitment."""
    _require_manager(created_by, compartment.fund)
    _require_independent(created_by, investor=investor)
    money = _positive(amount)
    compartment = Compartment.objects.select_for_update().get(pk=compartment.pk)
    earlier = once_replay(
        Commitment.objects.filter(compartment=compartment),
        idempotency_key,
        lookup="once_key",
        investor_id=investor.pk,
        amount=money,
        date=date,
        reference=reference,
    )
    if earlier is not None:
        return earlier
    commitment = Commitment.objects.create(
        investor=investor,
        compartment=compartment,
        amount=money,
        date=date,
        reference=reference,
        once_key=idempotency_key or None,
    )
    audit_record(
        actor=created_by,
        action="commitment.create",
        obj=commitment,
        book_id=compartment.fund.book_id,
        after=_snapshot(commitment, ["investor", "compartment", "amount", "date", "reference"]),
    )
    return commitment


def contribution_book(
    *,
    commitment: Commitment,
    amount,
    date: Date,
    created_by,
    idempotency_key: str | None = None,
    suspense_party: str | None = None,
) -> Contribution:
    """Capital paid in: Dr bank / Cr capital of the compartment, keyed by the investor.

    With ``suspense_party`` the money came in earlier as a receipt nobody could place, held
    on 1900 under that payer: Dr 1900 instead of the bank (only for the revolving compartment,
    whose bank account received it). Refused when it would take the paid-in capital above what
    was committed.

    ``contribution_record`` is this step in a durable transaction of its own; the step joins
    the caller's (docs/architecture.md, "Services and transactions").
    """
    commitment = (
        Commitment.objects.select_for_update(of=("self",))
        .select_related("compartment__fund__book", "investor")
        .get(pk=commitment.pk)
    )
    fund = commitment.compartment.fund
    _require_manager(created_by, fund)
    _require_independent(created_by, investor=commitment.investor)
    not_after_today(date)
    money = _positive(amount)
    earlier = once_replay(
        Contribution.objects.filter(commitment__compartment__fund=fund),
        idempotency_key,
        commitment_id=commitment.pk,
        amount=money,
        date=date,
    )
    if earlier is not None:
        return earlier
    still_open = commitment.open
    if money > still_open:
        raise exc.InvalidAmount(
            _("Storting van %(amount)s gaat boven de toezegging (nog open: %(open)s).")
            % {"amount": money, "open": still_open}
        )
    compartment = commitment.compartment
    cents = _cents(money)
    debit = Dr(compartment.bank_account, cents, party=commitment.investor.code)
    if suspense_party is not None:
        if compartment.bank_account != chart.BANK_REVOLVING:
            raise exc.InvalidTransition(
                _(
                    "Een ontvangst op de tussenrekening kwam binnen op de bankrekening van het "
                    "revolverende compartiment; kies een toezegging van dat compartiment."
                )
            )
        debit = Dr(chart.SUSPENSE, cents, party=suspense_party)
    entry = entry_post(
        book=fund.book,
        date=date,
        description=f"Storting {commitment.investor.name}",
        lines=[
            debit,
            Cr(compartment.capital_account, cents, party=commitment.investor.code),
        ],
        source_type="fund.contribution",
        source_ref=commitment.investor.code,
        created_by=created_by,
        idempotency_key=idempotency_key,
    )
    contribution = Contribution.objects.create(
        commitment=commitment, amount=money, date=date, entry=entry, created_by=created_by
    )
    audit_record(
        actor=created_by,
        action="contribution.record",
        obj=contribution,
        book=fund.book,
        after={"amount": str(money.amount), "date": date.isoformat(), "entry": entry.pk},
    )
    return contribution


contribution_record = entry_point(contribution_book, "contribution_record")


# --- collectives ---------------------------------------------------------------------------

COLLECTIVE_FIELDS = [
    "name",
    "kind",
    "legal_form",
    "kvk_number",
    "iban",
    "street",
    "postcode",
    "city",
    "municipality",
    "members_count",
    "sdgs",
    "email",
]


@transaction.atomic(durable=True)
def collective_register(*, registered_by, member=None, **fields) -> Collective:
    """Register a collective (unverified). ``member`` becomes its contact user."""
    year = clock.today().year
    code = number_next(prefix="C", year=year)
    fields["iban"] = fields.get("iban", "").replace(" ", "").upper()
    fields["kvk_number"] = ascii_digits(fields.get("kvk_number", ""))
    collective = Collective(code=code, **fields)
    collective.full_clean()
    collective.save()
    if member is not None:
        with acting_as(registered_by):
            collective.members.add(member)
    audit_record(
        actor=registered_by,
        action="collective.register",
        obj=collective,
        after=_snapshot(collective, COLLECTIVE_FIELDS),
    )
    return collective


IDENTITY_FIELDS = ("iban", "kvk_number", "legal_form", "name")


def _dealing_funds(collective: Collective):
    """The funds a collective deals with: those it has applied to."""
    return Fund.objects.filter(applications__collective=collective).distinct()


def _require_dealing_manager(user, collective: Collective) -> None:
    """A manager of a fund the collective deals with (any fund's manager for a collective
    that has not applied anywhere yet)."""
    funds = _dealing_funds(collective)
    if funds.exists():
        if not funds.filter(managers=user).exists():
            raise exc.NotAllowed(
                _(
                    "Alleen een beheerder van een fonds waarmee %(name)s werkt, mag over zijn "
                    "gegevens beslissen."
                )
                % {"name": collective.name}
            )
    elif not (user and user.is_authenticated and user.managed_funds.exists()):
        raise exc.NotAllowed(_("Alleen een fondsbeheerder mag dit."))


def _tell_contacts(collective: Collective, subject: str, body: str) -> None:
    """Mail the collective's contacts (and its own address): a change of where its money goes
    is never made without them knowing."""
    addresses = sorted(
        {m.email for m in collective.members.all() if m.email} | {collective.email or ""} - {""}
    )
    if addresses:
        transaction.on_commit(lambda: send_mail(subject, body, None, addresses, fail_silently=True))


@transaction.atomic(durable=True)
def collective_update(*, collective: Collective, changed_by, **fields) -> Collective:
    """Change a collective's details. On a verified collective a change of its identity (IBAN,
    KvK number, name, legal form) is not made at once: it becomes a proposal that another
    manager of a fund it deals with approves (:func:`collective_change_decide`); its contacts
    are told by mail, and payments to it wait until the proposal is decided."""
    collective = Collective.objects.select_for_update().get(pk=collective.pk)
    if "kvk_number" in fields:
        fields["kvk_number"] = ascii_digits(fields["kvk_number"] or "")
    if "iban" in fields:
        fields["iban"] = fields["iban"].replace(" ", "").upper()
    if not is_member(changed_by, collective):
        _require_dealing_manager(changed_by, collective)
    for name in fields:
        if name not in COLLECTIVE_FIELDS:
            raise exc.NotAllowed(f"field {name} cannot be changed here")
    before = _snapshot(collective, COLLECTIVE_FIELDS)
    identity = {
        name: value
        for name, value in fields.items()
        if name in IDENTITY_FIELDS and value != getattr(collective, name)
    }
    proposal = None
    if identity and collective.is_verified:
        if collective.identity_changes.filter(state=CollectiveChange.State.PROPOSED).exists():
            raise exc.InvalidTransition(
                _(
                    "Er wacht al een wijziging van de gegevens op goedkeuring; besluit daar "
                    "eerst over."
                )
            )
        probe = Collective.objects.get(pk=collective.pk)
        for name, value in identity.items():
            setattr(probe, name, value)
        probe.full_clean(validate_unique=True)
        proposal = CollectiveChange.objects.create(
            collective=collective,
            before={name: before[name] for name in identity},
            after=identity,
            proposed_by=changed_by,
        )
        fields = {k: v for k, v in fields.items() if k not in identity}
    for name, value in fields.items():
        setattr(collective, name, value)
    collective.full_clean()
    if fields:
        collective.save(update_fields=list(fields))
    audit_record(
        actor=changed_by,
        action="collective.update",
        obj=collective,
        before={**before, "verified": collective.is_verified},
        after={
            **_snapshot(collective, COLLECTIVE_FIELDS),
            "verified": collective.is_verified,
            **({"proposed": identity, "change": proposal.pk} if proposal else {}),
        },
    )
    if proposal is not None:
        _tell_contacts(
            collective,
            _("Wijziging van uw gegevens bij %(name)s") % {"name": collective.name},
            _(
                "Er is een wijziging voorgesteld van de gegevens van %(name)s (%(fields)s). "
                "Een fondsbeheerder beoordeelt haar; tot dan betalen wij niets uit. Heeft u "
                "dit niet zelf gevraagd? Neem dan direct contact op met het fonds."
            )
            % {"name": collective.name, "fields": ", ".join(sorted(identity))},
        )
    collective.pending_change = proposal
    return collective


@transaction.atomic(durable=True)
def collective_change_decide(
    *, change: CollectiveChange, decided_by, approve: bool, reason: str = ""
) -> CollectiveChange:
    """Second pair of eyes on a collective's new identity: a manager of a fund it deals with,
    not the proposer and not one of its contacts, approves (which applies it) or rejects."""
    change = CollectiveChange.objects.select_for_update().get(pk=change.pk)
    collective = Collective.objects.select_for_update().get(pk=change.collective_id)
    _require_dealing_manager(decided_by, collective)
    _require_independent(decided_by, collective=collective)
    if change.state != CollectiveChange.State.PROPOSED:
        raise exc.InvalidTransition(_("Over deze wijziging is al besloten."))
    if change.proposed_by_id == decided_by.pk:
        raise exc.FourEyesViolation(
            _("Vier ogen: wie de wijziging voorstelde, mag haar niet zelf goedkeuren.")
        )
    if not approve and not reason.strip():
        raise exc.InvalidTransition(_("Motiveer het besluit."))
    before = _snapshot(collective, COLLECTIVE_FIELDS)
    if approve:
        for name, value in change.after.items():
            setattr(collective, name, value)
        collective.full_clean()
        collective.save(update_fields=list(change.after))
    change.state = CollectiveChange.State.APPROVED if approve else CollectiveChange.State.REJECTED
    change.decided_by = decided_by
    change.decided_at = clock.now()
    change.reason = reason
    change.save(update_fields=["state", "decided_by", "decided_at", "reason"])
    audit_record(
        actor=decided_by,
        action="collective.change_approve" if approve else "collective.change_reject",
        obj=collective,
        before=before,
        after={**_snapshot(collective, COLLECTIVE_FIELDS), "change": change.pk, "reason": reason},
    )
    _tell_contacts(
        collective,
        _("Wijziging van uw gegevens bij %(name)s") % {"name": collective.name},
        (
            _("De voorgestelde wijziging van de gegevens van %(name)s is goedgekeurd.")
            if approve
            else _("De voorgestelde wijziging van de gegevens van %(name)s is afgewezen.")
        )
        % {"name": collective.name},
    )
    return change


def require_no_pending_identity(collective: Collective, refusal=exc.InvalidTransition) -> None:
    """Money waits while a collective's IBAN or identity is being changed."""
    if collective.identity_changes.filter(state=CollectiveChange.State.PROPOSED).exists():
        raise refusal(
            _(
                "De gegevens van %(name)s (zoals het IBAN) worden gewijzigd en wachten op "
                "goedkeuring; uitbetalen kan daarna."
            )
            % {"name": collective.name}
        )


@transaction.atomic(durable=True)
def collective_verify(*, collective: Collective, verified_by) -> Collective:
    """A fund manager confirms the collective's identity (KvK, IBAN); then it may apply."""
    if not verified_by.managed_funds.exists():
        raise exc.NotAllowed(_("Alleen een fondsbeheerder mag een collectief verifiëren."))
    _require_independent(verified_by, collective=collective)
    collective = Collective.objects.select_for_update().get(pk=collective.pk)
    if collective.is_verified:
        raise exc.InvalidTransition(_("Dit collectief is al geverifieerd."))
    collective.verified_at = clock.now()
    collective.verified_by = verified_by
    collective.save(update_fields=["verified_at", "verified_by"])
    audit_record(
        actor=verified_by,
        action="collective.verify",
        obj=collective,
        before={"verified": False},
        after={"verified": True},
    )
    return collective


# --- applications --------------------------------------------------------------------------

APPLICATION_FIELDS = [
    "state",
    "title",
    "amount_requested",
    "term_months",
    "sdgs",
    "assessor",
    "proposal",
    "proposed_amount",
    "decided_by",
    "approved_amount",
    "conditions",
    "commitment_open",
]
EDITABLE_FIELDS = {
    "title",
    "purpose",
    "amount_requested",
    "term_months",
    "sdgs",
    "households_reached",
    "kwh_per_year",
    "volunteers",
    "co2_tonnes_per_year",
}


def _locked_application(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("fund__book", "collective")
        .get(pk=application.pk)
    )


def _transition(application: Application, actor, action: str, before: dict) -> None:
    audit_record(
        actor=actor,
        action=f"application.{action}",
        obj=application,
        book_id=application.fund.book_id,
        before=before,
        after=_snapshot(application, APPLICATION_FIELDS),
    )


def _check_loan_terms(application: Application) -> None:
    if application.kind == ApplicationKind.LOAN and not application.term_months:
        raise exc.InvalidAmount(_("Een leningaanvraag noemt een looptijd in maanden."))


def _set_budget(application: Application, budget_lines) -> None:
    application.budget_lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(application=application, description=desc, amount=_positive(amount))
        for desc, amount in budget_lines
    )


@transaction.atomic(durable=True)
def application_create(
    *,
    fund: Fund,
    collective: Collective,
    kind: str,
    title: str,
    purpose: str,
    amount_requested,
    created_by,
    budget_lines: Iterable[tuple[str, object]] = (),
    idempotency_key: str | None = None,
    **details,
) -> Application:
    """A draft application of a collective to a fund. ``idempotency_key`` (the form's one-time
    key) makes a second identical call return the first draft."""
    _require_member(created_by, collective)
    unknown = set(details) - EDITABLE_FIELDS
    if unknown:
        raise exc.NotAllowed(f"unknown fields {sorted(unknown)}")
    if idempotency_key:
        collective = Collective.objects.select_for_update().get(pk=collective.pk)
        earlier = once_replay(
            Application.objects.filter(collective=collective),
            idempotency_key,
            lookup="once_key",
            fund_id=fund.pk,
            kind=kind,
            title=title,
            amount_requested=_positive(amount_requested),
        )
        if earlier is not None:
            return earlier
    number = number_next(prefix="A", year=clock.today().year)
    application = Application(
        number=number,
        fund=fund,
        collective=collective,
        kind=kind,
        title=title,
        purpose=purpose,
        amount_requested=_positive(amount_requested),
        created_by=created_by,
        once_key=idempotency_key or None,
        **details,
    )
    _check_loan_terms(application)
    application.full_clean()
    application.save()
    _set_budget(application, budget_lines)
    _transition(application, created_by, "create", before={})
    return application


@transaction.atomic(durable=True)
def application_update(
    *, application: Application, changed_by, budget_lines=None, **fields
) -> Application:
    application = _locked_application(application)
    workflow.require_actor(changed_by, application, "edit")
    workflow.require_state(application, "edit")
    before = _snapshot(application, APPLICATION_FIELDS)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise exc.NotAllowed(f"unknown fields {sorted(unknown)}")
    if "amount_requested" in fields:
        fields["amount_requested"] = _positive(fields["amount_requested"])
    for name, value in fields.items():
        setattr(application, name, value)
    _check_loan_terms(application)
    application.full_clean()
    application.save()
    if budget_lines is not None:
        _set_budget(application, budget_lines)
    _transition(application, changed_by, "update", before)
    return application


@transaction.atomic(durable=True)
def attachment_add(
    *, application: Application, file, uploaded_by, description: str = ""
) -> Attachment:
    """Attach a file to a draft application (members of the collective only)."""
    application = _locked_application(application)
    workflow.require_actor(uploaded_by, application, "edit")
    if not workflow.state_allows(application, "edit"):
        raise exc.InvalidTransition(_("Bijlagen kunnen alleen bij een concept worden toegevoegd."))
    problem = content_problem(file)
    if problem:
        raise exc.InvalidFile(problem)
    attachment = Attachment.objects.create(
        application=application, file=file, description=description, uploaded_by=uploaded_by
    )
    audit_record(
        actor=uploaded_by,
        action="application.attach",
        obj=application,
        book_id=application.fund.book_id,
        after={"attachment": attachment.pk, "file": attachment.file.name},
    )
    return attachment


@transaction.atomic(durable=True)
def application_submit(*, application: Application, submitted_by) -> Application:
    """Draft to submitted. The collective must be verified."""
    application = _locked_application(application)
    workflow.require_actor(submitted_by, application, "submit")
    workflow.require_state(application, "submit")
    _check_loan_terms(application)
    if not application.collective.is_verified:
        raise exc.InvalidTransition(
            _(
                "%(collective)s is nog niet geverifieerd door een fondsbeheerder; "
                "indienen kan daarna."
            )
            % {"collective": application.collective}
        )
    before = _snapshot(application, APPLICATION_FIELDS)
    application.state = workflow.target("submit")
    application.submitted_at = clock.now()
    application.save(update_fields=["state", "submitted_at"])
    _transition(application, submitted_by, "submit", before)
    return application


@transaction.atomic(durable=True)
def application_withdraw(*, application: Application, withdrawn_by) -> Application:
    """The collective withdraws its application (before a decision)."""
    application = _locked_application(application)
    workflow.require_actor(withdrawn_by, application, "withdraw")
    workflow.require_state(application, "withdraw")
    before = _snapshot(application, APPLICATION_FIELDS)
    application.state = workflow.target("withdraw")
    application.save(update_fields=["state"])
    _transition(application, withdrawn_by, "withdraw", before)
    return application


@transaction.atomic(durable=True)
def application_start_review(*, application: Application, assessor) -> Application:
    """Submitted to in review; ``assessor`` (a manager of the fund) takes it on."""
    application = _locked_application(application)
    workflow.require_actor(assessor, application, "start_review")
    workflow.require_state(application, "start_review")
    before = _snapshot(application, APPLICATION_FIELDS)
    application.state = workflow.target("start_review")
    application.assessor = assessor
    application.save(update_fields=["state", "assessor"])
    _transition(application, assessor, "start_review", before)
    return application


@transaction.atomic(durable=True)
def application_assess(
    *,
    application: Application,
    assessor,
    proposal: str,
    assessment: str,
    amount=None,
    conditions: str = "",
) -> Application:
    """First pair of eyes: the assessment and a proposal (approve with an amount, or reject)."""
    application = _locked_application(application)
    workflow.require_actor(assessor, application, "assess")
    workflow.require_state(application, "assess")
    if application.decided_by_id:
        raise exc.InvalidTransition(_("Over deze aanvraag is al besloten."))
    if application.assessor_id and application.assessor_id != assessor.pk:
        raise exc.NotAllowed(
            _(
                "%(name)s beoordeelt deze aanvraag; alleen die beoordelaar kan het voorstel "
                "aanpassen."
            )
            % {"name": application.assessor.get_full_name() or application.assessor.username}
        )
    if proposal not in Proposal.values:
        raise exc.InvalidTransition(f"unknown proposal {proposal!r}")
    if not assessment.strip():
        raise exc.InvalidTransition(_("Schrijf de beoordeling uit."))
    before = _snapshot(application, APPLICATION_FIELDS)
    application.assessor = assessor
    application.assessed_at = clock.now()
    application.assessment = assessment
    application.proposal = proposal
    application.proposed_amount = _positive(amount) if proposal == Proposal.APPROVE else None
    application.conditions = conditions
    application.save(
        update_fields=[
            "assessor",
            "assessed_at",
            "assessment",
            "proposal",
            "proposed_amount",
            "conditions",
        ]
    )
    _transition(application, assessor, "assess", before)
    return application


@transaction.atomic(durable=True)
def application_decide(
    *,
    application: Application,
    decided_by,
    approve: bool,
    reason: str,
    amount=None,
    conditions: str | None = None,
) -> Application:
    """Second pair of eyes: a different manager of the same fund approves or rejects.

    An approval reserves ``amount`` of the compartment (grant or revolving); it is refused
    when the compartment's available capacity, checked after locking the compartment row,
    cannot carry it.
    """
    fund = application.fund
    step = "approve" if approve else "reject"
    workflow.require_actor(decided_by, application, step)
    kind = (
        CompartmentKind.GRANT
        if application.kind == ApplicationKind.GRANT
        else CompartmentKind.REVOLVING
    )
    compartment = Compartment.objects.select_for_update().get(fund=fund, kind=kind)
    application = _locked_application(application)
    workflow.require_state(application, step)
    if not application.proposal:
        raise exc.InvalidTransition(_("Er ligt nog geen beoordeling met voorstel."))
    workflow.require_four_eyes(decided_by, application, step)
    if not reason.strip():
        raise exc.InvalidTransition(_("Motiveer het besluit."))
    before = _snapshot(application, APPLICATION_FIELDS)
    application.decided_by = decided_by
    application.decided_at = clock.now()
    application.decision_reason = reason
    if conditions is not None:
        application.conditions = conditions
    if approve:
        if application.proposal != Proposal.APPROVE:
            raise exc.FourEyesViolation(
                _(
                    "De beoordelaar stelde afwijzen voor; laat de aanvraag opnieuw beoordelen "
                    "voordat u haar toekent."
                )
            )
        money = _positive(amount if amount is not None else application.proposed_amount)
        if money > application.proposed_amount:
            raise exc.FourEyesViolation(
                _(
                    "Vier ogen: u kunt niet meer toekennen dan de beoordelaar voorstelde "
                    "(%(proposed)s)."
                )
                % {"proposed": application.proposed_amount}
            )
        position = compartment_position(compartment)
        if money.amount > position.available:
            raise exc.InsufficientCapacity(
                _("Het compartiment kan %(amount)s niet dragen: beschikbaar is %(available)s.")
                % {"amount": money, "available": Money(position.available, EUR)}
            )
        application.approved_amount = money
        application.commitment_open = money
    application.state = workflow.target(step)
    application.save()
    _transition(application, decided_by, step, before)
    return application


def application_commitment_use(
    *, application: Application, amount: Money, used_by, reason: str
) -> None:
    """Lower an approval's open reservation (a loan tranche paid out, a cancellation).

    Building block: the caller holds the compartment lock and its transaction.
    """
    application = _locked_application(application)
    money = _positive(amount)
    workflow.require_state(application, "commitment_use")
    if money > application.commitment_open:
        raise exc.InsufficientCapacity(
            _("Meer dan nog gereserveerd is (%(open)s).") % {"open": application.commitment_open}
        )
    before = _snapshot(application, ["commitment_open"])
    application.commitment_open -= money
    application.save(update_fields=["commitment_open"])
    audit_record(
        actor=used_by,
        action="application.commitment_use",
        obj=application,
        book_id=application.fund.book_id,
        before=before,
        after={"commitment_open": str(application.commitment_open.amount), "reason": reason},
    )


# --- grants --------------------------------------------------------------------------------


def _grant_compartment(fund: Fund) -> Compartment:
    return Compartment.objects.select_for_update().get(fund=fund, kind=CompartmentKind.GRANT)


def _locked_grant(grant: Grant) -> Grant:
    return (
        Grant.objects.select_for_update(of=("self",))
        .select_related("fund__book", "collective")
        .get(pk=grant.pk)
    )


@transaction.atomic(durable=True)
def grant_award(*, application: Application, awarded_by, date: Date) -> Grant:
    """Award the grant of an approved application: Dr 5000 grants expense / Cr 2000 payable.

    The reservation moves from the application into the payable account.
    """
    workflow.require_actor(awarded_by, application, "award")
    not_after_today(date)
    _grant_compartment(application.fund)
    application = _locked_application(application)
    if application.kind != workflow.transition("award").kind:
        raise exc.InvalidTransition(_("Dit is geen subsidieaanvraag."))
    workflow.require_state(application, "award")
    if Grant.objects.filter(application=application).exists():
        raise exc.InvalidTransition(_("Deze subsidie is al toegekend."))
    number = number_next(prefix="S", year=date.year)
    cents = _cents(application.approved_amount)
    entry = entry_post(
        book=application.fund.book,
        date=date,
        description=f"Toekenning subsidie {number} {application.collective.name}",
        lines=[
            Dr(chart.GRANTS_EXPENSE, cents, contract=number, party=application.collective.code),
            Cr(chart.GRANTS_PAYABLE, cents, contract=number, party=application.collective.code),
        ],
        source_type="fund.grant_award",
        source_ref=number,
        created_by=awarded_by,
    )
    grant = Grant.objects.create(
        number=number,
        application=application,
        fund=application.fund,
        collective=application.collective,
        state=GrantState.AWARDED,
        amount=application.approved_amount,
        awarded_at=date,
        awarded_by=awarded_by,
        award_entry=entry,
    )
    before = _snapshot(application, ["commitment_open"])
    application.commitment_open = Money(0, EUR)
    application.save(update_fields=["commitment_open"])
    audit_record(
        actor=awarded_by,
        action="grant.award",
        obj=grant,
        book=application.fund.book,
        before=before,
        after={"amount": str(grant.amount.amount), "entry": entry.pk, "commitment_open": "0.00"},
    )
    return grant


def _pending(grant: Grant) -> Money:
    """What proposed payments of ``grant`` (not yet decided) would pay."""
    proposed = grant.payments.filter(state=PaymentState.PROPOSED)
    return sum((p.amount for p in proposed), Money(0, EUR))


def _check_cash(compartment: Compartment, money: Money) -> None:
    position = compartment_position(compartment)
    if money.amount > position.cash:
        raise exc.InsufficientCapacity(
            _("Onvoldoende saldo in het subsidiecompartiment (%(cash)s).")
            % {"cash": Money(position.cash, EUR)}
        )


def _require_open_grant(grant: Grant) -> None:
    if grant.state not in (GrantState.AWARDED, GrantState.PAYING):
        raise exc.InvalidTransition(_("Deze subsidie is volledig betaald of afgerekend."))


@transaction.atomic(durable=True)
def grant_payment_propose(
    *,
    grant: Grant,
    amount,
    date: Date,
    proposed_by,
    description: str = "",
    idempotency_key: str | None = None,
) -> GrantPayment:
    """First pair of eyes: propose a tranche. Nothing is booked until a different manager
    approves (:func:`grant_payment_decide`). A proposal counts against what may still be
    paid, so proposals together never exceed the award. ``idempotency_key`` (the form's
    one-time key) makes a second identical call return the first proposal."""
    _require_manager(proposed_by, grant.fund)
    _require_independent(proposed_by, collective=grant.collective)
    not_after_today(date)
    money = _positive(amount)
    compartment = _grant_compartment(grant.fund)
    grant = _locked_grant(grant)
    earlier = once_replay(
        grant.payments.all(),
        idempotency_key,
        lookup="once_key",
        amount=money,
        date=date,
        description=description,
    )
    if earlier is not None:
        return earlier
    _require_open_grant(grant)
    pending = _pending(grant)
    if money > grant.unpaid - pending:
        if pending.amount:
            raise exc.InvalidAmount(
                _(
                    "Meer dan nog te betalen (%(open)s): %(pending)s wacht al op een tweede "
                    "fondsbeheerder."
                )
                % {"open": grant.unpaid - pending, "pending": pending}
            )
        raise exc.InvalidAmount(
            _("Meer dan nog te betalen (%(unpaid)s).") % {"unpaid": grant.unpaid}
        )
    _check_cash(compartment, money)
    payment = GrantPayment.objects.create(
        grant=grant,
        amount=money,
        date=date,
        description=description,
        state=PaymentState.PROPOSED,
        created_by=proposed_by,
        proposed_by=proposed_by,
        once_key=idempotency_key or None,
    )
    audit_record(
        actor=proposed_by,
        action="grant.pay_propose",
        obj=grant,
        book=grant.fund.book,
        after={
            "payment": payment.pk,
            "amount": str(money.amount),
            "date": date.isoformat(),
            "description": description,
        },
    )
    return payment


@transaction.atomic(durable=True)
def grant_payment_decide(
    *, payment: GrantPayment, decided_by, approve: bool, reason: str = ""
) -> GrantPayment:
    """Second pair of eyes: a different manager of the fund approves the proposed tranche,
    which books it (Dr 2000 payable / Cr 1010 bank), or rejects it with a reason (nothing
    booked). The same decision sent twice by the same manager returns the first."""
    grant = payment.grant
    _require_manager(decided_by, grant.fund)
    _require_independent(decided_by, collective=grant.collective)
    compartment = _grant_compartment(grant.fund)
    grant = _locked_grant(grant)
    payment = GrantPayment.objects.select_for_update().get(pk=payment.pk)
    outcome = PaymentState.APPROVED if approve else PaymentState.REJECTED
    if payment.state != PaymentState.PROPOSED:
        if payment.state == outcome and payment.decided_by_id == decided_by.pk:
            payment.once_replayed = True
            return payment
        raise exc.InvalidTransition(_("Over deze betaling is al besloten."))
    if payment.proposed_by_id == decided_by.pk:
        raise exc.FourEyesViolation(
            _("Vier ogen: wie de betaling voorstelde, mag haar niet zelf goedkeuren.")
        )
    payment.decided_by = decided_by
    payment.decided_at = clock.now()
    payment.reason = reason
    payment.state = outcome
    if not approve:
        if not reason.strip():
            raise exc.InvalidTransition(_("Motiveer het besluit."))
        payment.save(update_fields=["state", "decided_by", "decided_at", "reason"])
        audit_record(
            actor=decided_by,
            action="grant.pay_reject",
            obj=grant,
            book=grant.fund.book,
            after={"payment": payment.pk, "amount": str(payment.amount.amount), "reason": reason},
        )
        return payment
    _require_open_grant(grant)
    require_no_pending_identity(grant.collective)
    money = payment.amount
    if money > grant.unpaid:
        raise exc.InvalidAmount(
            _("Meer dan nog te betalen (%(unpaid)s).") % {"unpaid": grant.unpaid}
        )
    _check_cash(compartment, money)
    cents = _cents(money)
    payment.entry = entry_post(
        book=grant.fund.book,
        date=payment.date,
        description=f"Betaling subsidie {grant.number} {grant.collective.name}",
        lines=[
            Dr(chart.GRANTS_PAYABLE, cents, contract=grant.number, party=grant.collective.code),
            Cr(chart.BANK_GRANT, cents, contract=grant.number, party=grant.collective.code),
        ],
        source_type="fund.grant_payment",
        source_id=str(payment.pk),
        source_ref=grant.number,
        created_by=decided_by,
        idempotency_key=payment.once_key,
    )
    payment.save(update_fields=["state", "decided_by", "decided_at", "reason", "entry"])
    before = _snapshot(grant, ["state", "paid"])
    grant.paid += money
    grant.state = GrantState.PAID if grant.paid == grant.amount else GrantState.PAYING
    grant.save(update_fields=["paid", "state"])
    audit_record(
        actor=decided_by,
        action="grant.pay_approve",
        obj=grant,
        book=grant.fund.book,
        before=before,
        after={
            **_snapshot(grant, ["state", "paid"]),
            "payment": payment.pk,
            "entry": payment.entry.pk,
        },
    )
    return payment


@transaction.atomic(durable=True)
def grant_settle(*, grant: Grant, returned, date: Date, settled_by) -> Grant:
    """Settle: release what was awarded and not paid (Dr 2000 / Cr 5000) and book money the
    collective returned unused (Dr 1010 / Cr 5000)."""
    _require_manager(settled_by, grant.fund)
    _require_independent(settled_by, collective=grant.collective)
    not_after_today(date)
    _grant_compartment(grant.fund)
    grant = _locked_grant(grant)
    if grant.state == GrantState.SETTLED:
        raise exc.InvalidTransition(_("Deze subsidie is al afgerekend."))
    if grant.payments.filter(state=PaymentState.PROPOSED).exists():
        raise exc.InvalidTransition(
            _("Er wacht nog een betaling op een tweede fondsbeheerder; besluit daar eerst over.")
        )
    returned_money = _money(returned)
    if returned_money.amount < 0 or returned_money > grant.paid:
        raise exc.InvalidAmount(
            _("Terugbetaling moet tussen 0 en het uitbetaalde bedrag (%(paid)s) liggen.")
            % {"paid": grant.paid}
        )
    release = grant.unpaid
    lines = []
    party = grant.collective.code
    if release.amount > 0:
        lines += [
            Dr(chart.GRANTS_PAYABLE, _cents(release), contract=grant.number, party=party),
            Cr(chart.GRANTS_EXPENSE, _cents(release), contract=grant.number, party=party),
        ]
    if returned_money.amount > 0:
        lines += [
            Dr(chart.BANK_GRANT, _cents(returned_money), contract=grant.number, party=party),
            Cr(chart.GRANTS_EXPENSE, _cents(returned_money), contract=grant.number, party=party),
        ]
    entry = None
    if lines:
        entry = entry_post(
            book=grant.fund.book,
            date=date,
            description=f"Afrekening subsidie {grant.number} {grant.collective.name}",
            lines=lines,
            source_type="fund.grant_settlement",
            source_ref=grant.number,
            created_by=settled_by,
        )
    before = _snapshot(grant, ["state", "returned", "released"])
    grant.state = GrantState.SETTLED
    grant.released = release
    grant.returned = returned_money
    grant.settled_at = date
    grant.save(update_fields=["state", "released", "returned", "settled_at"])
    audit_record(
        actor=settled_by,
        action="grant.settle",
        obj=grant,
        book=grant.fund.book,
        before=before,
        after={
            **_snapshot(grant, ["state", "returned", "released"]),
            "entry": entry.pk if entry else None,
        },
    )
    return grant
