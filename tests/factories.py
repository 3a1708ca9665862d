"""Test data for Burgerfonds, built through the services exactly as production code builds it.

Two layers:

* **factory_boy factories** for single objects. ``UserFactory`` writes a plain user row. The
  domain factories (``FundFactory``, ``InvestorFactory``, ``CollectiveFactory``,
  ``ApplicationFactory``) override ``_create`` to call the service (``fund_create``,
  ``investor_create``, ``collective_register``, ``application_create``), so every object gets
  its ledger book, its number (``C-2026-0001``, ``A-2026-0001``) and its audit events.
  ``Factory.build()`` is not meaningful for them: the services write.
* **helper functions** that walk objects through their life cycle with the services: fund a
  compartment (commitment and contribution), submit, review, decide, award, pay, settle.

Roles, as :mod:`fund.selectors` and :mod:`fund.services` see them:

- fund manager: in ``fund.managers``, set by ``fund_create`` (:func:`create_fund_team`);
- second manager: the other manager of the same fund, for four eyes (``FundTeam``);
- collective member: in ``collective.members``, set by ``collective_register``
  (``CollectiveFactory``, :func:`member_of`);
- investor user: in ``investor.users`` (:func:`create_investor_user`);
- auditor: in the auth group ``auditors`` (:func:`create_auditor`).

Amounts are euros as strings or Decimals (``"10000.00"``). Users get an unusable password
unless one is given (hashing is slow): log in with ``client.force_login(user)``, or pass
``UserFactory(password=PASSWORD)``. Names, KvK numbers, IBANs and codes come from sequences,
so the data is deterministic within a run.

Typical use::

    team = create_fund_team()
    fund_compartment(team=team, kind=CompartmentKind.GRANT, amount="50000.00")
    grant = paid_grant(team=team, amount="10000.00", tranches=["4000.00"])
    member = member_of(grant.collective)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from factory.django import DjangoModelFactory, Password
from schwifty import IBAN

from fund import services
from fund.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    Collective,
    CollectiveKind,
    Commitment,
    Compartment,
    CompartmentKind,
    Contribution,
    Fund,
    Grant,
    Investor,
    InvestorKind,
    LegalForm,
    Proposal,
)
from fund.selectors import compartment_position

User = get_user_model()

PASSWORD = "geheim-wachtwoord-123"  # noqa: S105 - test password for UserFactory(password=...)
AUDITORS_GROUP = "auditors"  # the group fund.selectors.is_auditor looks for
DAY = date(2026, 1, 15)  # default booking date of contributions and grant steps
DEFAULT_AMOUNT = Decimal("10000.00")
DEFAULT_LOAN_TERM = 60  # months

FIRST_NAMES = ["Anouk", "Bram", "Charlotte", "Daan", "Eva", "Fleur", "Gijs", "Hanna", "Jesse"]
LAST_NAMES = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder"]
TOWNS = ["Zutphen", "Deventer", "Lochem", "Wageningen", "Ede", "Apeldoorn", "Winterswijk"]


# --- users and roles -----------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    """A user without a role. Unusable password unless ``password=`` is given."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"gebruiker{n:03d}")
    first_name = factory.Iterator(FIRST_NAMES)
    last_name = factory.Iterator(LAST_NAMES)
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = Password(None)


def create_user(**fields) -> User:
    return UserFactory(**fields)


def create_auditor(**fields) -> User:
    """A user in the ``auditors`` group: reads every fund, decides nothing."""
    user = UserFactory(**fields)
    group, _created = Group.objects.get_or_create(name=AUDITORS_GROUP)
    user.groups.add(group)
    return user


# --- funds ---------------------------------------------------------------------------------


class FundFactory(DjangoModelFactory):
    """A fund through ``fund_create``: its book with the seeded chart and both compartments.

    Without ``managers`` it gets two fresh managers (see :func:`create_fund_team` to have
    them at hand).
    """

    class Meta:
        model = Fund

    slug = factory.Sequence(lambda n: f"fonds-{n:03d}")
    name = factory.Sequence(lambda n: f"Revolverend Fonds Burgercollectieven {n}")
    description = ""
    managers = factory.LazyFunction(lambda: [UserFactory(), UserFactory()])
    created_by = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> Fund:
        return services.fund_create(**kwargs)


@dataclass(frozen=True)
class FundTeam:
    """A fund with its two managers: ``manager`` assesses, ``second_manager`` decides."""

    fund: Fund
    manager: User
    second_manager: User

    @property
    def grant(self) -> Compartment:
        return compartment_of(self.fund, CompartmentKind.GRANT)

    @property
    def revolving(self) -> Compartment:
        return compartment_of(self.fund, CompartmentKind.REVOLVING)

    @property
    def managers(self) -> tuple[User, User]:
        return (self.manager, self.second_manager)


def create_fund_team(**fund_fields) -> FundTeam:
    """A new fund and its two managers (the first assesses, the second decides)."""
    manager = UserFactory(first_name="Marieke", last_name="Beoordelaar")
    second = UserFactory(first_name="Sander", last_name="Besluiter")
    fund = FundFactory(managers=[manager, second], created_by=manager, **fund_fields)
    return FundTeam(fund=fund, manager=manager, second_manager=second)


def compartment_of(fund: Fund, kind: str) -> Compartment:
    return Compartment.objects.select_related("fund__book").get(fund=fund, kind=kind)


def compartment_for(application: Application) -> Compartment:
    """The compartment an application draws on: grant for grants, revolving for loans."""
    kind = (
        CompartmentKind.GRANT
        if application.kind == ApplicationKind.GRANT
        else CompartmentKind.REVOLVING
    )
    return compartment_of(application.fund, kind)


# --- investors and capital -----------------------------------------------------------------


def any_manager() -> User:
    """A user who manages some fund: the oldest existing one, or the manager of a new fund.

    For services that any fund manager may call (``investor_create``).
    """
    existing = User.objects.filter(managed_funds__isnull=False).order_by("pk").first()
    return existing or create_fund_team().manager


class InvestorFactory(DjangoModelFactory):
    """A funder through ``investor_create`` (code ``INV-001``, ...).

    ``created_by`` must manage a fund; by default :func:`any_manager`.
    """

    class Meta:
        model = Investor

    code = factory.Sequence(lambda n: f"INV-{n:03d}")
    name = factory.Sequence(lambda n: f"Provincie Voorbeeld {n}")
    kind = InvestorKind.PROVINCE
    email = factory.LazyAttribute(lambda o: f"{o.code.lower()}@example.org")
    created_by = factory.LazyFunction(any_manager)

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> Investor:
        return services.investor_create(**kwargs)


def create_investor_user(investor: Investor | None = None, **user_fields) -> User:
    """A user who reads the statements of ``investor`` (a new investor when not given).

    There is no service that links users to investors yet, so this adds to the
    ``investor.users`` relation directly.
    """
    investor = investor or InvestorFactory()
    user = UserFactory(**user_fields)
    investor.users.add(user)
    return user


def fund_compartment(
    *,
    team: FundTeam,
    kind: str = CompartmentKind.GRANT,
    amount: Decimal | str = "100000.00",
    investor: Investor | None = None,
    committed: Decimal | str | None = None,
    day: date = DAY,
) -> Contribution:
    """An investor commits ``committed`` (default: ``amount``) to the compartment and pays in
    ``amount``: Dr 1000|1010 / Cr 3000|3010, keyed by the investor's code."""
    commitment = commitment_for(
        team=team, kind=kind, amount=committed or amount, investor=investor, day=day
    )
    return services.contribution_record(
        commitment=commitment, amount=amount, date=day, created_by=team.manager
    )


def commitment_for(
    *,
    team: FundTeam,
    kind: str = CompartmentKind.GRANT,
    amount: Decimal | str = "100000.00",
    investor: Investor | None = None,
    day: date = DAY,
) -> Commitment:
    """A commitment of an investor (a new one when not given) to the compartment."""
    return services.commitment_create(
        investor=investor or InvestorFactory(),
        compartment=compartment_of(team.fund, kind),
        amount=amount,
        date=day,
        reference="Toezegging",
        created_by=team.manager,
    )


def create_funded_team(
    *, grant: Decimal | str | None = "100000.00", revolving: Decimal | str | None = "500000.00"
) -> FundTeam:
    """A fund team whose grant and revolving compartments hold the given cash (None: empty)."""
    team = create_fund_team()
    investor = InvestorFactory()
    if grant:
        fund_compartment(team=team, kind=CompartmentKind.GRANT, amount=grant, investor=investor)
    if revolving:
        fund_compartment(
            team=team, kind=CompartmentKind.REVOLVING, amount=revolving, investor=investor
        )
    return team


def top_up_capacity(*, team: FundTeam, kind: str, amount: Decimal | str) -> None:
    """Pay in just enough capital that the compartment can carry ``amount`` more."""
    compartment = compartment_of(team.fund, kind)
    short = Decimal(amount) - compartment_position(compartment).available
    if short > 0:
        fund_compartment(team=team, kind=kind, amount=short)


# --- collectives ---------------------------------------------------------------------------


def _iban(n: int) -> str:
    return str(IBAN.generate("NL", bank_code="INGB", account_code=f"{1_000_000 + n:010d}"))


class CollectiveFactory(DjangoModelFactory):
    """A collective through ``collective_register``, with ``member`` as its contact user.

    Unverified unless ``verified_by`` (a fund manager) is given; then ``collective_verify``
    runs too. ``member=None`` registers a collective without members.
    """

    class Meta:
        model = Collective

    name = factory.Sequence(lambda n: f"Energiecoöperatie {TOWNS[n % len(TOWNS)]} {n}")
    kind = CollectiveKind.ENERGY
    legal_form = LegalForm.COOPERATIVE
    kvk_number = factory.Sequence(lambda n: f"{80_000_000 + n:08d}")
    iban = factory.Sequence(_iban)
    street = factory.Sequence(lambda n: f"Dorpsstraat {n + 1}")
    postcode = "7201 AB"
    city = factory.Sequence(lambda n: TOWNS[n % len(TOWNS)])
    municipality = factory.SelfAttribute("city")
    members_count = 120
    sdgs = factory.LazyFunction(lambda: [7, 11, 13])
    email = factory.LazyAttribute(lambda o: f"info@{o.kvk_number}.example.org")
    member = factory.SubFactory(UserFactory)
    registered_by = factory.SelfAttribute("member")
    verified_by = None

    @classmethod
    def _create(cls, model_class, *args, verified_by=None, **kwargs) -> Collective:
        collective = services.collective_register(**kwargs)
        if verified_by is not None:
            collective = services.collective_verify(collective=collective, verified_by=verified_by)
        return collective


def create_verified_collective(*, verified_by: User, **fields) -> Collective:
    """A registered collective that a fund manager has verified (so it may apply)."""
    return CollectiveFactory(verified_by=verified_by, **fields)


def member_of(collective: Collective) -> User | None:
    """The collective's first contact user (the one it was registered with)."""
    return collective.members.order_by("pk").first()


# --- applications --------------------------------------------------------------------------


def _applicant(collective: Collective) -> User:
    return member_of(collective) or UserFactory()


class ApplicationFactory(DjangoModelFactory):
    """A draft application through ``application_create``, made by a collective member.

    A loan gets a term of 60 months unless ``term_months`` is given. Pass ``fund`` and
    ``collective`` to place it; otherwise new ones are made.
    """

    class Meta:
        model = Application

    fund = factory.SubFactory(FundFactory)
    collective = factory.SubFactory(CollectiveFactory)
    kind = ApplicationKind.GRANT
    title = factory.Sequence(lambda n: f"Zonnepanelen op het dorpshuis ({n})")
    purpose = "Zonnepanelen op het dak van het dorpshuis, eigendom van de leden."
    amount_requested = DEFAULT_AMOUNT
    term_months = factory.LazyAttribute(
        lambda o: DEFAULT_LOAN_TERM if o.kind == ApplicationKind.LOAN else None
    )
    sdgs = factory.LazyFunction(lambda: [7, 13])
    households_reached = 85
    created_by = factory.LazyAttribute(lambda o: _applicant(o.collective))
    budget_lines = factory.LazyAttribute(lambda o: [("Panelen en montage", o.amount_requested)])

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> Application:
        return services.application_create(**kwargs)


def create_application(
    state: str = ApplicationState.DRAFT,
    *,
    team: FundTeam,
    collective: Collective | None = None,
    kind: str = ApplicationKind.GRANT,
    amount: Decimal | str = DEFAULT_AMOUNT,
    proposal: str | None = None,
    approved_amount: Decimal | str | None = None,
    ensure_capacity: bool = True,
    **fields,
) -> Application:
    """An application of ``team.fund`` walked through the services to ``state``.

    - draft: ``application_create`` by a collective member (the collective is verified);
    - submitted: ``application_submit``;
    - in_review: ``application_start_review`` and ``application_assess`` by ``team.manager``
      with ``proposal`` (default: approve for in_review and approved, reject for rejected)
      and ``amount``;
    - approved / rejected: ``application_decide`` by ``team.second_manager``; an approval of
      ``approved_amount`` (default ``amount``) reserves capacity: with ``ensure_capacity``
      just enough capital is paid in first, otherwise it may raise InsufficientCapacity;
    - withdrawn: withdrawn by the member after submitting.
    """
    if state not in ApplicationState.values:
        raise ValueError(f"unknown application state {state!r}")
    collective = collective or create_verified_collective(verified_by=team.manager)
    application = ApplicationFactory(
        fund=team.fund, collective=collective, kind=kind, amount_requested=amount, **fields
    )
    if state == ApplicationState.DRAFT:
        return application
    applicant = application.created_by
    application = services.application_submit(application=application, submitted_by=applicant)
    if state == ApplicationState.SUBMITTED:
        return application
    if state == ApplicationState.WITHDRAWN:
        return services.application_withdraw(application=application, withdrawn_by=applicant)
    proposal = proposal or (
        Proposal.REJECT if state == ApplicationState.REJECTED else Proposal.APPROVE
    )
    application = services.application_start_review(application=application, assessor=team.manager)
    application = services.application_assess(
        application=application,
        assessor=team.manager,
        proposal=proposal,
        assessment="Goed plan, draagvlak in het dorp, begroting klopt.",
        amount=amount if proposal == Proposal.APPROVE else None,
    )
    if state == ApplicationState.IN_REVIEW:
        return application
    approve = state == ApplicationState.APPROVED
    decided_amount = Decimal(approved_amount or amount) if approve else None
    if approve and ensure_capacity:
        top_up_capacity(team=team, kind=compartment_for(application).kind, amount=decided_amount)
    return services.application_decide(
        application=application,
        decided_by=team.second_manager,
        approve=approve,
        reason="Past binnen het fondsreglement." if approve else "Past niet in het reglement.",
        amount=decided_amount,
    )


def draft_application(**kwargs) -> Application:
    return create_application(ApplicationState.DRAFT, **kwargs)


def submitted_application(**kwargs) -> Application:
    return create_application(ApplicationState.SUBMITTED, **kwargs)


def in_review_application(**kwargs) -> Application:
    """In review with an assessment and a proposal by ``team.manager``: ready to decide."""
    return create_application(ApplicationState.IN_REVIEW, **kwargs)


def approved_application(**kwargs) -> Application:
    return create_application(ApplicationState.APPROVED, **kwargs)


def rejected_application(**kwargs) -> Application:
    return create_application(ApplicationState.REJECTED, **kwargs)


def withdrawn_application(**kwargs) -> Application:
    return create_application(ApplicationState.WITHDRAWN, **kwargs)


# --- grants --------------------------------------------------------------------------------


def awarded_grant(
    *,
    team: FundTeam,
    amount: Decimal | str = DEFAULT_AMOUNT,
    day: date = DAY,
    application: Application | None = None,
    **application_fields,
) -> Grant:
    """A grant awarded from an approved grant application (Dr 5000 / Cr 2000).

    Without ``application`` a new one is approved first (paying in capital as needed).
    """
    application = application or approved_application(
        team=team, kind=ApplicationKind.GRANT, amount=amount, **application_fields
    )
    return services.grant_award(application=application, awarded_by=team.manager, date=day)


def pay_grant(*, grant: Grant, amount, date: date = DAY, team: FundTeam, description: str = ""):
    """A tranche with four eyes: proposed by ``team.manager``, approved (and booked) by
    ``team.second_manager``."""
    payment = services.grant_payment_propose(
        grant=grant, amount=amount, date=date, proposed_by=team.manager, description=description
    )
    return services.grant_payment_decide(
        payment=payment, decided_by=team.second_manager, approve=True
    )


def paid_grant(
    *,
    team: FundTeam,
    amount: Decimal | str = DEFAULT_AMOUNT,
    tranches: Sequence[Decimal | str] | None = None,
    day: date = DAY,
    **award_kwargs,
) -> Grant:
    """An awarded grant with ``tranches`` paid (Dr 2000 / Cr 1010 each); default: all of it.

    Partial tranches leave it in state ``paying``; the whole amount makes it ``paid``.
    """
    grant = awarded_grant(team=team, amount=amount, day=day, **award_kwargs)
    for tranche in tranches if tranches is not None else [amount]:
        pay_grant(grant=grant, amount=tranche, date=day, team=team)
    grant.refresh_from_db()
    return grant


def settled_grant(
    *,
    team: FundTeam,
    amount: Decimal | str = DEFAULT_AMOUNT,
    tranches: Sequence[Decimal | str] | None = None,
    returned: Decimal | str = "0.00",
    day: date = DAY,
    **award_kwargs,
) -> Grant:
    """A paid (or partly paid) grant, settled: the unpaid rest released, ``returned`` booked."""
    grant = paid_grant(team=team, amount=amount, tranches=tranches, day=day, **award_kwargs)
    return services.grant_settle(grant=grant, returned=returned, date=day, settled_by=team.manager)
