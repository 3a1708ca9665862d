"""The life cycle of an application, as one table: which step, from which state, to which
state, and who may take it (docs/permissions.md, "The steps of an application").

:data:`TRANSITIONS` is the rule. The services ask it whether the application is in a state
that allows the step (:func:`require_state`), whether the user may take it
(:func:`require_actor`, :func:`require_four_eyes`) and which state it leads to
(:func:`target`). The pages ask it which steps to offer (:func:`allowed`,
:func:`actions_for`, :func:`waiting`), so a page never offers a step that the service refuses
and a template never decides a permission. Roles come from :mod:`fund.permissions`.

Who (``actor``):

* ``member``: a contact of the application's collective;
* ``manager``: a manager of the application's fund;
* ``system``: nobody takes this step on a page; it is a building block of another service
  (a loan's contract or tranche), whose caller checked the user.

On a page the user must also be able to write (:func:`fund.permissions.can_write`: an
auditor changes nothing). ``independent``: not a contact of the collective
(:func:`fund.permissions.conflict_of_interest`). ``four_eyes``: not the manager who assessed
the application.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q
from django.utils.translation import gettext as _

from . import exceptions as exc
from .models import Application, ApplicationKind, ApplicationState, Grant
from .permissions import (
    can_write,
    check_fund_manager,
    check_member,
    conflict_of_interest,
    manager_of,
    member_of,
    require_independent,
)

MEMBER = "member"
MANAGER = "manager"
SYSTEM = "system"

DRAFT = ApplicationState.DRAFT
SUBMITTED = ApplicationState.SUBMITTED
IN_REVIEW = ApplicationState.IN_REVIEW
APPROVED = ApplicationState.APPROVED
REJECTED = ApplicationState.REJECTED
WITHDRAWN = ApplicationState.WITHDRAWN


@dataclass(frozen=True)
class Transition:
    """One step: allowed from ``sources``, leads to ``target`` (the same state for a step that
    changes the application without moving it on), taken by ``actor``."""

    action: str
    sources: tuple[str, ...]
    target: str
    actor: str
    kind: str | None = None  # only for applications of this kind (grant or loan)
    independent: bool = False  # not a contact of the collective (conflict of interest)
    four_eyes: bool = False  # not the manager who assessed the application
    service: str = ""  # where the step is taken


TRANSITIONS: tuple[Transition, ...] = (
    Transition("edit", (DRAFT,), DRAFT, MEMBER, service="fund.services.application_update"),
    Transition("submit", (DRAFT,), SUBMITTED, MEMBER, service="fund.services.application_submit"),
    Transition(
        "withdraw",
        (DRAFT, SUBMITTED, IN_REVIEW),
        WITHDRAWN,
        MEMBER,
        service="fund.services.application_withdraw",
    ),
    Transition(
        "start_review",
        (SUBMITTED,),
        IN_REVIEW,
        MANAGER,
        independent=True,
        service="fund.services.application_start_review",
    ),
    Transition(
        "assess",
        (IN_REVIEW,),
        IN_REVIEW,
        MANAGER,
        independent=True,
        service="fund.services.application_assess",
    ),
    Transition(
        "approve",
        (IN_REVIEW,),
        APPROVED,
        MANAGER,
        independent=True,
        four_eyes=True,
        service="fund.services.application_decide",
    ),
    Transition(
        "reject",
        (IN_REVIEW,),
        REJECTED,
        MANAGER,
        independent=True,
        four_eyes=True,
        service="fund.services.application_decide",
    ),
    Transition(
        "award",
        (APPROVED,),
        APPROVED,
        MANAGER,
        kind=ApplicationKind.GRANT,
        independent=True,
        service="fund.services.grant_award",
    ),
    Transition(
        "contract",
        (APPROVED,),
        APPROVED,
        MANAGER,
        kind=ApplicationKind.LOAN,
        independent=True,
        service="loans.services.loan_contract",
    ),
    Transition(
        "commitment_use",
        (APPROVED,),
        APPROVED,
        SYSTEM,
        service="fund.services.application_commitment_use",
    ),
)

BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
DECIDE = ("approve", "reject")


def transition(action: str) -> Transition:
    try:
        return BY_ACTION[action]
    except KeyError:
        raise ValueError(f"unknown application action {action!r}") from None


def sources(action: str) -> tuple[str, ...]:
    return transition(action).sources


def target(action: str) -> str:
    return transition(action).target


def state_allows(application: Application, action: str) -> bool:
    """The application is in a state from which ``action`` may be taken."""
    return application.state in transition(action).sources


# --- the services' side ------------------------------------------------------------------


def require_state(application: Application, action: str) -> None:
    """Refuse (InvalidTransition) unless the application is in a source state of ``action``."""
    if not state_allows(application, action):
        raise exc.InvalidTransition(
            _("Aanvraag %(number)s is %(state)s; deze stap kan dan niet.")
            % {"number": application.number, "state": application.get_state_display().lower()}
        )


def require_actor(user, application: Application, action: str) -> None:
    """Refuse unless ``user`` is who the table says takes ``action``: NotAllowed for the
    wrong role, ConflictOfInterest for a contact of the collective where the step asks for
    independence. The four-eyes rule is :func:`require_four_eyes` (the service checks it
    after the state)."""
    step = transition(action)
    if step.actor == MEMBER:
        check_member(user, application.collective, exc.NotAllowed)
    elif step.actor == MANAGER:
        check_fund_manager(user, application.fund, exc.NotAllowed)
    if step.independent:
        require_independent(user, exc.ConflictOfInterest, collective=application.collective)


def require_four_eyes(user, application: Application, action: str) -> None:
    """Refuse (FourEyesViolation) the assessor a step that asks for a second pair of eyes."""
    if transition(action).four_eyes and application.assessor_id == user.pk:
        raise exc.FourEyesViolation(
            _("Vier ogen: wie de aanvraag beoordeelde, mag er niet zelf over besluiten.")
        )


# --- the pages' side ---------------------------------------------------------------------


class _Asker:
    """One user looking at one application; each role is looked up once."""

    def __init__(self, user, application: Application):
        self.user = user
        self.application = application

    @cached_property
    def writer(self) -> bool:
        return bool(can_write(self.user))

    @cached_property
    def member(self) -> bool:
        return self.writer and member_of(self.user, self.application.collective)

    @cached_property
    def manager(self) -> bool:
        return self.writer and manager_of(self.user, self.application.fund)

    @cached_property
    def independent(self) -> bool:
        return not conflict_of_interest(self.user, collective=self.application.collective)

    @property
    def assessor(self) -> bool:
        return self.application.assessor_id == self.user.pk

    def may(self, step: Transition, *, four_eyes: bool = True) -> bool:
        application = self.application
        if application.state not in step.sources:
            return False
        if step.kind and application.kind != step.kind:
            return False
        if step.actor == MEMBER:
            role = self.member
        elif step.actor == MANAGER:
            role = self.manager
        else:
            return False  # a building block, never offered
        if not role or (step.independent and not self.independent):
            return False
        if four_eyes and step.four_eyes and self.assessor:
            return False
        guard = _GUARDS.get(step.action)
        return guard is None or guard(self)


def _may_assess(asker: _Asker) -> bool:
    application = asker.application
    return not application.decided_by_id and (not application.proposal or asker.assessor)


def _may_decide(asker: _Asker) -> bool:
    application = asker.application
    return not application.decided_by_id and bool(application.proposal)


def _may_award(asker: _Asker) -> bool:
    return not Grant.objects.filter(application=asker.application).exists()


def _may_contract(asker: _Asker) -> bool:
    return not hasattr(asker.application, "loan")


# What a step needs besides its state and its actor, on a page.
_GUARDS = {
    "assess": _may_assess,
    "approve": _may_decide,
    "reject": _may_decide,
    "award": _may_award,
    "contract": _may_contract,
}


def allowed(user, application: Application, action: str) -> bool:
    """``user`` may take ``action`` on ``application`` now (the table, the roles, and what the
    step needs, such as an assessment before a decision)."""
    return _Asker(user, application).may(transition(action))


def actions_for(user, application: Application) -> set[str]:
    """The steps ``user`` may take on ``application`` now."""
    asker = _Asker(user, application)
    return {step.action for step in TRANSITIONS if asker.may(step)}


def decide_blocked(user, application: Application) -> bool:
    """``user`` could decide but assessed the application themselves (four eyes)."""
    asker = _Asker(user, application)
    return asker.assessor and asker.may(transition("approve"), four_eyes=False)


def waiting(user, action: str) -> Q:
    """A filter for applications on which a manager ``user`` may take ``action`` as far as
    the table says (state, kind, independence, four eyes), for lists such as the dashboard's;
    the caller adds what the step needs besides (an assessment, no loan yet)."""
    step = transition(action)
    condition = Q(state__in=step.sources)
    if step.kind:
        condition &= Q(kind=step.kind)
    if step.independent:
        condition &= ~Q(collective__members=user)
    if step.four_eyes:
        condition &= ~Q(assessor=user)
    return condition
