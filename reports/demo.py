"""Deterministic demo data, written through the services only (never raw model saves).

Seeding lives in the top layer because it uses every app's services. The same seed gives
the same funds, collectives, applications and books on every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group, User
from django.utils import timezone

from fund import services as fs
from fund.models import ApplicationKind, CollectiveKind, CompartmentKind, Fund, LegalForm, Proposal
from ledger import clock
from ledger.models import Book

DEMO_FUNDS = ("rfb", "eof-gelderland")
PASSWORD = "demo"  # noqa: S105 - the published password of the demo users

MUNICIPALITIES = [
    ("Zwolle", "Zwolle"),
    ("Deventer", "Deventer"),
    ("Nijmegen", "Nijmegen"),
    ("Arnhem", "Arnhem"),
    ("Ede", "Ede"),
    ("Zutphen", "Zutphen"),
    ("Winterswijk", "Winterswijk"),
    ("Groningen", "Groningen"),
    ("Leeuwarden", "Leeuwarden"),
    ("Assen", "Assen"),
    ("Utrecht", "Utrecht"),
    ("Amersfoort", "Amersfoort"),
    ("Tilburg", "Tilburg"),
    ("Eindhoven", "Eindhoven"),
    ("Heerlen", "Heerlen"),
    ("Middelburg", "Middelburg"),
    ("Haarlem", "Haarlem"),
    ("Delft", "Delft"),
    ("Apeldoorn", "Apeldoorn"),
    ("Doetinchem", "Doetinchem"),
    ("Culemborg", "Culemborg"),
    ("Lochem", "Lochem"),
    ("Tiel", "Tiel"),
    ("Harderwijk", "Harderwijk"),
]

COLLECTIVES = [
    # (name, kind, legal form, SDGs)
    ("Energiecoöperatie Zonnedijk", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 13]),
    ("Windcoöperatie De Wiekslag", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 13]),
    ("Buurtstroom Oost", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 11]),
    ("Warmtecoöperatie Het Hofje", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 11, 13]),
    ("Zonnedak Sportpark Noord", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7]),
    ("Energie van Hier", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 13]),
    ("Zorgcoöperatie Samen Oud", CollectiveKind.CARE, LegalForm.COOPERATIVE, [3, 10]),
    ("Zorg in de Buurt", CollectiveKind.CARE, LegalForm.COOPERATIVE, [3]),
    ("Dorpszorg Achterhoek", CollectiveKind.CARE, LegalForm.ASSOCIATION, [3, 10]),
    ("Mantelzorgcoöperatie Rivierenland", CollectiveKind.CARE, LegalForm.COOPERATIVE, [3, 5]),
    ("Wooncoöperatie De Groene Hof", CollectiveKind.HOUSING, LegalForm.COOPERATIVE, [11, 1]),
    ("Wooncoöperatie Thuishaven", CollectiveKind.HOUSING, LegalForm.COOPERATIVE, [11]),
    ("Knarrenhof Samen", CollectiveKind.HOUSING, LegalForm.COOPERATIVE, [11, 3]),
    ("Woongemeenschap De Boomgaard", CollectiveKind.HOUSING, LegalForm.ASSOCIATION, [11]),
    ("Bewonersbedrijf Het Kruispunt", CollectiveKind.RESIDENTS, LegalForm.FOUNDATION, [8, 11]),
    ("Buurtbedrijf De Schakel", CollectiveKind.RESIDENTS, LegalForm.FOUNDATION, [8, 10]),
    ("Wijkonderneming Noordstad", CollectiveKind.RESIDENTS, LegalForm.BV, [8]),
    ("Buurthuis De Linde", CollectiveKind.RESIDENTS, LegalForm.FOUNDATION, [11, 10]),
    ("Dorpsvereniging Oldenkamp", CollectiveKind.VILLAGE, LegalForm.ASSOCIATION, [11]),
    ("Vereniging Dorpsbelang Hummelo", CollectiveKind.VILLAGE, LegalForm.ASSOCIATION, [11, 15]),
    ("Dorpshuis De Wieken", CollectiveKind.VILLAGE, LegalForm.FOUNDATION, [11]),
    ("Dorpscoöperatie Ons Belang", CollectiveKind.VILLAGE, LegalForm.COOPERATIVE, [8, 11]),
    ("Lokaal Fonds Rivierstad", CollectiveKind.LOCAL_FUND, LegalForm.FOUNDATION, [1, 10]),
    ("Buurtfonds Vlietzone", CollectiveKind.LOCAL_FUND, LegalForm.FOUNDATION, [1, 11]),
    ("Stadsfonds Hanzestad", CollectiveKind.LOCAL_FUND, LegalForm.FOUNDATION, [1, 8]),
    ("Repaircafé Onderneming Vliet", CollectiveKind.SOCIAL, LegalForm.BV, [12]),
    ("Kringloop De Tweede Kans", CollectiveKind.SOCIAL, LegalForm.FOUNDATION, [8, 12]),
    ("Voedselbos De Vruchtentuin", CollectiveKind.SOCIAL, LegalForm.COOPERATIVE, [2, 15]),
    ("Deelautocoöperatie Rijsamen", CollectiveKind.OTHER, LegalForm.COOPERATIVE, [11, 13]),
    ("Natuurcoöperatie De Uiterwaard", CollectiveKind.OTHER, LegalForm.COOPERATIVE, [15, 13]),
]

INVESTORS = [
    # (code, name, kind, contact)
    (
        "INV-BZK",
        "Ministerie van Binnenlandse Zaken en Koninkrijksrelaties",
        "government",
        "A. de Vries",
    ),
    ("INV-GLD", "Provincie Gelderland", "province", "M. Jansen"),
    ("INV-ZWL", "Gemeente Zwolle", "municipality", "P. Bakker"),
    ("INV-DOEN", "Stichting Doen Samen", "foundation", "S. Visser"),
    ("INV-BANK", "Coöperatieve Buurtbank U.A.", "bank", "R. Smit"),
    ("INV-BURG", "Burgerobligaties Oost", "citizens", "L. Mulder"),
]

PURPOSES = {
    CollectiveKind.ENERGY: "zonnepanelen op daken in de wijk en een haalbaarheidsstudie",
    CollectiveKind.CARE: "opstart van een zorgcoöperatie met vrijwillige buurtzorg",
    CollectiveKind.HOUSING: "planontwikkeling voor een wooncoöperatie met betaalbare huurwoningen",
    CollectiveKind.RESIDENTS: "verbouwing van het buurthuis tot bedrijfsverzamelgebouw",
    CollectiveKind.VILLAGE: "verduurzaming van het dorpshuis",
    CollectiveKind.LOCAL_FUND: "een lokaal fonds voor kleine bewonersinitiatieven",
    CollectiveKind.SOCIAL: "uitbreiding van de werkplaats en leerwerkplekken",
    CollectiveKind.OTHER: "aanschaf van deelauto's en laadpalen",
}


def is_seeded() -> bool:
    return Fund.objects.filter(slug__in=DEMO_FUNDS).exists()


def demo_books():
    return Book.objects.filter(slug__in=DEMO_FUNDS).order_by("slug")


def _user(
    username: str, first: str, last: str, email: str | None = None, login: bool = True
) -> User:
    """A demo user; only the five published logins get the password (hashing is slow)."""
    return User.objects.create_user(
        username=username,
        password=PASSWORD if login else None,
        first_name=first,
        last_name=last,
        email=email or f"{username}@example.org",
    )


def _postcode(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNPRSTVWXZ"
    return f"{rng.randrange(1000, 9999)} {rng.choice(letters)}{rng.choice(letters)}"


def _kvk(rng: random.Random) -> str:
    return f"{rng.randrange(10_000_000, 99_999_999):08d}"


def _iban(rng: random.Random) -> str:
    """A valid Dutch IBAN with a made-up bank code and account number."""
    from schwifty import IBAN

    bank = rng.choice(["ABNA", "INGB", "RABO", "TRIO", "ASNB", "SNSB"])
    return str(IBAN.generate("NL", bank_code=bank, account_code=f"{rng.randrange(10**9, 10**10)}"))


# --- the calendar of the story ---------------------------------------------------------------
#
# All dates are relative to today: the history starts 35 months before the current month, so the
# demo tells the same story whatever day it is run, and nothing is seeded after today.


_START: list[date] = []


def _start() -> date:
    """The story's first month, fixed when seeding begins (inside a step the clock travels)."""
    if not _START:
        _START.append(_add_months(clock.today().replace(day=1), -35))
    return _START[0]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def M(month: int, day: int = 1) -> date:  # noqa: N802 - reads as a calendar cell
    """Day ``day`` (1..28) of the ``month``-th month of the story (0 = the first)."""
    return _add_months(_start(), month).replace(day=day)


_STEP = [0]


@contextmanager
def _on(day: date, hour: int | None = None):
    """Run a step as of ``day`` at a plausible office hour (Europe/Amsterdam)."""
    _STEP[0] += 1
    n = _STEP[0]
    if hour is None:
        hour = 9 + (n * 5) % 8
    moment = timezone.make_aware(
        datetime.combine(day, time(hour, (n * 17) % 60)), ZoneInfo("Europe/Amsterdam")
    )
    real_now = timezone.now()
    if moment > real_now:
        moment = real_now
    with clock.travel(moment):
        yield


FUND_IBANS = {
    "rfb": {"revolving": "NL03RABO0312456789", "grant": "NL73RABO0312456790"},
    "eof-gelderland": {"revolving": "NL49TRIO0390123456", "grant": "NL22TRIO0390123457"},
}


def _disburse(*, loan, amount, date, by, approver, milestone, invoice_reference):
    """The one place the demo pays out a tranche: proposed by one manager, approved by another."""
    from loans import services as ls

    change = ls.tranche_propose(
        loan=loan,
        amount=amount,
        date=date,
        proposed_by=by,
        milestone=milestone,
        invoice_reference=invoice_reference,
    )
    return ls.loan_change_decide(
        change=change, decided_by=approver, approve=True, reason="Mijlpaal gecontroleerd, akkoord."
    )


def _pay_grant(*, grant, amount, date, by, approver, description):
    """The one place the demo pays a grant: proposed by one manager, approved by another."""
    payment = fs.grant_payment_propose(
        grant=grant, amount=amount, date=date, proposed_by=by, description=description
    )
    return fs.grant_payment_decide(
        payment=payment, decided_by=approver, approve=True, reason="Akkoord, vier ogen."
    )


def seed(progress: Callable[[str], object] = print) -> None:
    """Two funds, six investors, thirty collectives, applications in every state, grants at
    every stage, loans with three years of history. Everything through the services, each
    step with the clock at the moment it happened, so the books and audit trail are real.
    Each service call commits on its own, as it does in use (entry points are durable
    transactions, docs/architecture.md), so a seed that stops halfway leaves what it did."""
    rng = random.Random(20261128)  # noqa: S311 - deterministic demo data, not security
    today = clock.today()
    _START[:] = [_add_months(today.replace(day=1), -35)]
    progress("Gebruikers...")
    beheerder = _user("beheerder", "Marieke", "de Boer")
    beheerder2 = _user("beheerder2", "Joost", "van Dijk")
    collectief = _user("collectief", "Fatima", "El Amrani")
    investeerder = _user("investeerder", "Henk", "Jansen")
    auditor = _user("auditor", "Ingrid", "Kramer")
    auditor.groups.add(Group.objects.get_or_create(name="auditors")[0])

    progress("Fondsen...")
    with _on(M(0, 1) - timedelta(days=60)):
        rfb = fs.fund_create(
            slug="rfb",
            name="Revolverend Fonds Burgercollectieven",
            description=(
                "Landelijk fonds voor startsubsidies en ontwikkelleningen aan burgercollectieven."
            ),
            managers=[beheerder, beheerder2],
            created_by=beheerder,
        )
        eof = fs.fund_create(
            slug="eof-gelderland",
            name="Energie Ontwikkelfonds Gelderland",
            description="Provinciaal ontwikkelfonds voor energiecoöperaties in Gelderland.",
            managers=[beheerder, beheerder2],
            created_by=beheerder,
        )
        # The bank accounts behind 1000 (revolving: collectives repay here) and 1010.
        for fund, ibans in ((rfb, FUND_IBANS["rfb"]), (eof, FUND_IBANS["eof-gelderland"])):
            for kind, iban in ibans.items():
                fund.compartments.filter(kind=kind).update(iban=iban)

    progress("Investeerders en kapitaal...")
    investors = {}
    with _on(M(0, 1) - timedelta(days=45)):
        for code, name, kind, contact in INVESTORS:
            investors[code] = fs.investor_create(
                code=code,
                name=name,
                kind=kind,
                contact_name=contact,
                created_by=beheerder,
                email=f"{code.lower()}@example.org",
                iban=_iban(rng),
            )
    investors["INV-GLD"].users.add(investeerder)
    capital = [
        # (investor, fund, compartment, committed, [(date, paid)])
        ("INV-BZK", rfb, CompartmentKind.REVOLVING, "1500000", [(M(0, 15), "900000"), (M(12, 15), "200000")]),
        ("INV-BZK", rfb, CompartmentKind.GRANT, "600000", [(M(0, 15), "400000")]),
        ("INV-DOEN", rfb, CompartmentKind.GRANT, "250000", [(M(1, 1), "250000")]),
        ("INV-BANK", rfb, CompartmentKind.REVOLVING, "500000", [(M(5, 1), "250000")]),
        ("INV-BURG", rfb, CompartmentKind.REVOLVING, "150000", [(M(8, 1), "150000")]),
        ("INV-GLD", eof, CompartmentKind.REVOLVING, "2000000", [(M(2, 1), "1500000"), (M(14, 1), "250000")]),
        ("INV-GLD", eof, CompartmentKind.GRANT, "300000", [(M(2, 1), "300000")]),
        ("INV-ZWL", rfb, CompartmentKind.GRANT, "100000", [(M(3, 1), "100000")]),
    ]  # fmt: skip
    for number, (code, fund, kind, committed, payments) in enumerate(capital, start=1):
        signed = payments[0][0] - timedelta(days=10)
        # As a funder numbers its decision: "Beschikking 2024-003 (leningen)".
        part = "leningen" if kind == CompartmentKind.REVOLVING else "subsidies"
        with _on(signed):
            commitment = fs.commitment_create(
                investor=investors[code],
                compartment=fund.compartments.get(kind=kind),
                amount=Decimal(committed),
                date=signed,
                reference=f"Beschikking {signed.year}-{number:03d} ({part})",
                created_by=beheerder,
            )
        for day, paid in payments:
            with _on(day):
                fs.contribution_record(
                    commitment=commitment, amount=Decimal(paid), date=day, created_by=beheerder
                )

    progress("Collectieven...")
    collectives = []
    for index, (name, kind, legal_form, sdgs) in enumerate(COLLECTIVES):
        city, municipality = MUNICIPALITIES[index % len(MUNICIPALITIES)]
        member = (
            collectief
            if index == 0
            else _user(
                f"contact{index:02d}",
                "Contact",
                name.split()[-1],
                email=f"contact{index:02d}@example.org",
                login=False,
            )
        )
        # The first 27 joined before the fund opened; the last three registered lately.
        registered = (
            M(0, 1) - timedelta(days=40 - index)
            if index < 27
            else today - timedelta(days=3 * (30 - index))
        )
        with _on(registered):
            collective = fs.collective_register(
                registered_by=member,
                member=member,
                name=name,
                kind=kind,
                legal_form=legal_form,
                kvk_number=_kvk(rng),
                iban=_iban(rng),
                street=f"Dorpsstraat {index + 1}",
                postcode=_postcode(rng),
                city=city,
                municipality=municipality,
                members_count=rng.randrange(25, 900),
                sdgs=sdgs,
                email=f"info{index:02d}@example.org",
            )
        if index < 27:  # the last three wait for verification
            with _on(registered + timedelta(days=2)):
                fs.collective_verify(
                    collective=collective, verified_by=beheerder2 if index % 2 else beheerder
                )
        collectives.append((collective, member))

    progress("Leningen met bijna drie jaar geschiedenis...")
    _seed_loans(
        funds={"rfb": rfb, "eof": eof},
        managers=(beheerder, beheerder2),
        collectives=collectives,
        rng=rng,
        progress=progress,
    )

    progress("Aanvragen en subsidies...")
    stages = [
        "draft",
        "submitted",
        "in_review",
        "proposed",
        "approved",
        "rejected",
        "withdrawn",
        "awarded",
        "paying",
        "paid",
        "settled",
    ]
    for index, (collective, member) in enumerate(collectives[:27]):
        fund = eof if collective.kind == CollectiveKind.ENERGY and index % 2 == 0 else rfb
        grant_kind = index % 3 != 2
        kind = ApplicationKind.GRANT if grant_kind else ApplicationKind.LOAN
        stage = stages[index % len(stages)]
        if kind == ApplicationKind.LOAN and stage in {"awarded", "paying", "paid", "settled"}:
            stage = "approved"
        amount = (
            Decimal(rng.randrange(50, 400) * 100)
            if grant_kind
            else Decimal(rng.randrange(20, 60) * 1000)
        )
        # Open applications are recent; those further along are older.
        ago = {"draft": 5, "submitted": 12, "in_review": 25, "proposed": 40}.get(stage)
        day = today - timedelta(days=ago) if ago else M(10, 10) + timedelta(days=index * 23)
        _application_at_stage(
            fund=fund,
            collective=collective,
            member=member,
            kind=kind,
            stage=stage,
            amount=amount,
            managers=(beheerder, beheerder2),
            day=day,
            rng=rng,
        )
    # The provincial fund's own grants: studies and start-up costs of energy co-operatives.
    for index, stage, month in ((2, "settled", 4), (5, "paid", 15), (4, "paying", 30)):
        collective, member = collectives[index]
        _application_at_stage(
            fund=eof,
            collective=collective,
            member=member,
            kind=ApplicationKind.GRANT,
            stage=stage,
            amount=Decimal(rng.randrange(150, 400) * 100),
            managers=(beheerder, beheerder2),
            day=M(month, 10),
            rng=rng,
        )


def _application_at_stage(
    *, fund, collective, member, kind, stage, amount, managers, day, rng, term_months=None
):
    """An application taken to ``stage``, each step on its own day around ``day`` (the
    decision's day; a grant is awarded on it). A step whose day has not come yet waits."""
    first, second = managers
    today = clock.today()
    steps = {
        "create": day - timedelta(days=40),
        "submit": day - timedelta(days=37),
        "review": day - timedelta(days=30),
        "assess": day - timedelta(days=16),
        "decide": day - timedelta(days=9),
    }
    if stage in {"draft", "submitted", "in_review", "proposed", "withdrawn"}:
        # An open application: its last step is ``day`` itself.
        shift = day - {"draft": steps["create"], "withdrawn": steps["submit"],
                       "submitted": steps["submit"], "in_review": steps["review"],
                       "proposed": steps["assess"]}[stage]  # fmt: skip
        steps = {k: v + shift for k, v in steps.items()}
    if steps["create"] > today:
        return None
    with _on(steps["create"]):
        application = fs.application_create(
            fund=fund,
            collective=collective,
            kind=kind,
            title=("Startsubsidie " if kind == ApplicationKind.GRANT else "Ontwikkellening ")
            + collective.name,
            purpose=f"{collective.name} vraagt steun voor {PURPOSES[collective.kind]}.",
            amount_requested=amount,
            created_by=member,
            term_months=None
            if kind == ApplicationKind.GRANT
            else term_months or rng.choice([60, 120, 180]),
            sdgs=collective.sdgs,
            households_reached=rng.randrange(20, 600),
            kwh_per_year=rng.randrange(50, 900) * 1000
            if collective.kind == CollectiveKind.ENERGY
            else None,
            volunteers=rng.randrange(3, 40),
            budget_lines=[
                ("Advies en onderzoek", amount * Decimal("0.4")),
                ("Uitvoering", amount * Decimal("0.6")),
            ],
        )
    if stage == "draft":
        return application
    if stage == "withdrawn":
        with _on(steps["submit"]):
            fs.application_withdraw(application=application, withdrawn_by=member)
        return application
    if steps["submit"] > today:
        return application
    with _on(steps["submit"]):
        fs.application_submit(application=application, submitted_by=member)
    if stage == "submitted" or steps["review"] > today:
        return application
    with _on(steps["review"]):
        fs.application_start_review(application=application, assessor=first)
    if stage == "in_review" or steps["assess"] > today:
        return application
    reject = stage == "rejected"
    with _on(steps["assess"]):
        fs.application_assess(
            application=application,
            assessor=first,
            proposal=Proposal.REJECT if reject else Proposal.APPROVE,
            assessment=(
                "Plan is onvoldoende uitgewerkt; begroting ontbreekt grotendeels."
                if reject
                else "Goed onderbouwd plan met draagvlak in de wijk; begroting realistisch."
            ),
            amount=None if reject else amount,
            conditions="" if reject else "Jaarlijkse voortgangsrapportage.",
        )
    if stage == "proposed" or steps["decide"] > today:
        return application
    with _on(steps["decide"]):
        fs.application_decide(
            application=application,
            decided_by=second,
            approve=not reject,
            reason="Conform voorstel van de beoordelaar.",
        )
    if stage in {"approved", "rejected"}:
        return application
    if day > today:
        return application
    with _on(day):
        grant = fs.grant_award(application=application, awarded_by=first, date=day)
    if stage == "awarded":
        return application
    half = (grant.amount.amount / 2).quantize(Decimal("0.01"))
    if day + timedelta(days=14) > today:
        return application
    with _on(day + timedelta(days=14)):
        _pay_grant(
            grant=grant,
            amount=half,
            date=day + timedelta(days=14),
            by=first,
            approver=second,
            description="Eerste tranche",
        )
    if stage == "paying" or day + timedelta(days=120) > today:
        return application
    with _on(day + timedelta(days=120)):
        _pay_grant(
            grant=grant,
            amount=grant.amount.amount - half,
            date=day + timedelta(days=120),
            by=first,
            approver=second,
            description="Tweede tranche na voortgangsrapportage",
        )
    if stage == "paid" or day + timedelta(days=300) > today:
        return application
    with _on(day + timedelta(days=300)):
        fs.grant_settle(
            grant=grant,
            returned=Decimal("1250.00"),
            date=day + timedelta(days=300),
            settled_by=first,
        )
    return application


@dataclass
class LoanStory:
    """One demo loan: who borrows, the terms, and what happens to it (months of the story)."""

    fund: str
    collective_index: int
    amount: Decimal
    product: str
    contracted: tuple[int, int]
    tranches: list[tuple[tuple[int, int], Decimal]]
    months: int
    stops_paying: tuple[int, int] | None = None
    restructure: tuple[int, int] | None = None
    write_off: tuple[int, int] | None = None
    convert: tuple[int, int] | None = None
    settle_early: tuple[int, int] | None = None
    loan: object = field(default=None, repr=False)

    def at(self, kind: str) -> date | None:
        value = getattr(self, kind)
        return None if value is None else M(*value)


D = Decimal
LOAN_STORIES = [
    # --- the national fund (rfb) -----------------------------------------------------------
    # A performing energy loan in two tranches.
    LoanStory("rfb", 0, D("150000"), "ONT", (1, 15), [((2, 1), D("100000")), ((5, 1), D("50000"))], 120),
    # Housing co-operative on a linear quarterly loan, in arrears for over 90 days.
    LoanStory("rfb", 11, D("120000"), "WON", (3, 1), [((3, 15), D("120000"))], 180, stops_paying=(30, 1)),
    # A care co-operative that missed this month's instalment.
    LoanStory("rfb", 7, D("60000"), "ONT", (8, 1), [((8, 15), D("60000"))], 84, stops_paying=(35, 1)),
    # Residents' company: arrears, restructured with the arrears capitalised, paying again.
    LoanStory("rfb", 15, D("90000"), "ONT", (0, 15), [((1, 1), D("90000"))], 120,
              stops_paying=(14, 1), restructure=(18, 1)),
    # Village association: stopped paying, written off in full.
    LoanStory("rfb", 19, D("45000"), "ONT", (4, 1), [((4, 15), D("45000"))], 60,
              stops_paying=(17, 1), write_off=(26, 28)),
    # Wind co-operative: the project failed; the loan is forgiven (converted to a grant).
    LoanStory("rfb", 1, D("120000"), "ONT", (5, 1), [((5, 15), D("80000"))], 120, convert=(22, 28)),
    # Heat co-operative: the project succeeded; repaid early with the success premium.
    LoanStory("rfb", 3, D("100000"), "ONT", (2, 1), [((2, 15), D("100000"))], 120, settle_early=(32, 15)),
    # Bridging loans, repaid when the subsidy or the members' capital came in: the money that
    # is lent again below.
    LoanStory("rfb", 10, D("250000"), "VFS", (2, 1), [((2, 10), D("250000"))], 24, settle_early=(12, 20)),
    LoanStory("rfb", 12, D("200000"), "VFS", (4, 1), [((4, 10), D("200000"))], 24),
    LoanStory("rfb", 6, D("150000"), "VFS", (7, 1), [((7, 10), D("150000"))], 24, settle_early=(16, 20)),
    # Newer loans, paid out of what earlier borrowers repaid.
    LoanStory("rfb", 13, D("200000"), "ONT", (15, 1), [((15, 10), D("200000"))], 120),
    LoanStory("rfb", 9, D("150000"), "ONT", (19, 1), [((19, 10), D("150000"))], 120),
    LoanStory("rfb", 14, D("180000"), "ONT", (24, 1), [((24, 10), D("120000")), ((27, 10), D("60000"))], 120),
    LoanStory("rfb", 17, D("120000"), "ONT", (33, 1), [((33, 20), D("120000"))], 120),
    LoanStory("rfb", 22, D("100000"), "ONT", (34, 1), [((34, 10), D("100000"))], 84),
    # --- the provincial energy fund (eof-gelderland) ----------------------------------------
    LoanStory("eof", 2, D("250000"), "EOF", (3, 1), [((3, 15), D("250000"))], 120),
    LoanStory("eof", 4, D("180000"), "EOF", (6, 1), [((6, 15), D("180000"))], 24),
    LoanStory("eof", 5, D("300000"), "EOF", (20, 1), [((21, 1), D("200000")), ((24, 1), D("100000"))], 180),
    LoanStory("eof", 3, D("150000"), "EOF", (28, 1), [((28, 15), D("150000"))], 120),
]  # fmt: skip


def _products(funds, first):
    from loans import services as ls

    rfb, eof = funds["rfb"], funds["eof"]
    return {
        "ONT": ls.loan_product_create(
            fund=rfb,
            code="ONT",
            name="Ontwikkellening burgercollectieven",
            created_by=first,
            annual_rate=Decimal("2.5"),
            max_term_months=180,
            max_amount=Decimal("500000"),
            method="annuity",
            frequency="monthly",
            success_premium_pct=Decimal("1.5"),
            penalty_rate=Decimal("4"),
        ),
        "WON": ls.loan_product_create(
            fund=rfb,
            code="WON",
            name="Lening wooncoöperaties (lineair)",
            created_by=first,
            annual_rate=Decimal("3.0"),
            max_term_months=360,
            max_amount=Decimal("1000000"),
            method="linear",
            frequency="quarterly",
            penalty_rate=Decimal("4"),
        ),
        "VFS": ls.loan_product_create(
            fund=rfb,
            code="VFS",
            name="Voorfinanciering subsidies en ledenkapitaal",
            created_by=first,
            annual_rate=Decimal("3.5"),
            max_term_months=36,
            max_amount=Decimal("500000"),
            method="annuity",
            frequency="monthly",
            penalty_rate=Decimal("4"),
        ),
        "EOF": ls.loan_product_create(
            fund=eof,
            code="EOF",
            name="Ontwikkellening energiecoöperaties Gelderland",
            created_by=first,
            annual_rate=Decimal("3.0"),
            max_term_months=180,
            max_amount=Decimal("750000"),
            method="annuity",
            frequency="monthly",
            penalty_rate=Decimal("4"),
        ),
    }


def _seed_loans(*, funds, managers, collectives, rng, progress) -> None:
    """Loans with history: day by day the day-end run catches up, the collectives pay what
    is due on its due date (or stop), and the managers contract, pay out, restructure, write
    off, convert and settle, each on its day."""
    from loans import services as ls
    from loans.models import LoanState

    first, second = managers
    today = clock.today()
    with _on(M(0, 1) - timedelta(days=50)):
        products = _products(funds, first)

    events: list[tuple[date, int, str, LoanStory | None, object]] = []
    for order, story in enumerate(LOAN_STORIES):
        events.append((story.at("contracted"), 10 + order, "contract", story, None))
        for month_day, amount in story.tranches:
            events.append((M(*month_day), 10 + order, "tranche", story, amount))
        for kind in ("restructure", "write_off", "convert", "settle_early"):
            day = story.at(kind)
            if day is not None:
                events.append((day, 10 + order, kind, story, None))
    month = M(1, 1)
    while month <= today:
        events.append((month, 0, "payments", None, None))
        month = clock.first_of_next_month(month)
    events.sort(key=lambda e: (e[0], e[1]))

    processed = {"rfb": None, "eof": None}

    def run_days(to: date) -> None:
        """Catch the day-end up to ``to``, each run as of that evening, on the days where it
        changes the books (:func:`day_end_days`): the books are those of a run every day,
        only the day-run log (DayRun) lists just these days."""
        for key, fund in funds.items():
            day = processed[key]
            if day is None:
                if not any(s.fund == key and s.loan is not None and s.loan.start_date
                           for s in LOAN_STORIES):  # fmt: skip
                    continue
                day = min(M(*s.tranches[0][0]) for s in LOAN_STORIES if s.fund == key) - timedelta(
                    days=1
                )
            for next_day in day_end_days(fund, after=day, to=to):
                # A skipped day still counts as a step, so every later step keeps the moment
                # (and every entry its created_at) it had when the day-end ran daily.
                _STEP[0] += (next_day - day).days - 1
                day = next_day
                with _on(day, hour=18):
                    ls.loan_day_process(fund=fund, date=day, run_by=first)
            processed[key] = day

    year = None
    for day, _order, kind, story, amount in events:
        if day > today:
            break
        if day.year != year:
            year = day.year
            progress(f"  {year}...")
        run_days(day - timedelta(days=1))
        if kind == "contract":
            collective, member = collectives[story.collective_index]
            application = _application_at_stage(
                fund=funds[story.fund],
                collective=collective,
                member=member,
                kind=ApplicationKind.LOAN,
                stage="approved",
                amount=story.amount,
                managers=managers,
                day=day,
                rng=rng,
                term_months=story.months,
            )
            with _on(day):
                story.loan = ls.loan_contract(
                    application=application,
                    product=products[story.product],
                    contracted_by=first,
                    date=day,
                    first_due=clock.first_of_next_month(M(*story.tranches[0][0])),
                )
        elif kind == "tranche":
            with _on(day):
                _disburse(
                    loan=story.loan,
                    amount=amount,
                    date=day,
                    by=second,
                    approver=first,
                    milestone="Mijlpaal volgens projectplan",
                    invoice_reference=f"F{day:%Y%m}-{story.collective_index:02d}",
                )
        elif kind == "payments":
            for s in LOAN_STORIES:
                if s.loan is None:
                    continue
                s.loan.refresh_from_db()
                stops, restructured = s.at("stops_paying"), s.at("restructure")
                paying = stops is None or day < stops or (restructured and day > restructured)
                if s.loan.state not in (LoanState.DISBURSING, LoanState.ACTIVE) or not paying:
                    continue
                due = sum((i.amount for i in ls.loan_status(s.loan).items(day)), Decimal("0"))
                if due > 0:
                    with _on(day):
                        ls.repayment_record(
                            loan=s.loan,
                            amount=due,
                            value_date=day,
                            recorded_by=second,
                            reference=f"Termijn {day:%m-%Y}",
                        )
        elif kind == "settle_early":
            quote = ls.loan_settlement_quote(loan=story.loan, date=day)
            with _on(day):
                ls.repayment_record(
                    loan=story.loan,
                    amount=quote.total,
                    value_date=day,
                    recorded_by=second,
                    reference="Vervroegde aflossing",
                )
        else:
            change_kind = {
                "restructure": "restructure",
                "write_off": "write_off",
                "convert": "conversion",
            }[kind]
            reasons = {
                "restructure": (
                    "Achterstand door vertraagde subsidie; achterstand bijschrijven, "
                    "looptijd verlengen."
                ),
                "write_off": "Vereniging opgeheven; geen verhaal mogelijk.",
                "convert": (
                    "Windproject gestrand op vergunning; ontwikkellening wordt kwijtgescholden."
                ),
            }
            with _on(day - timedelta(days=3)):
                change = ls.loan_change_propose(
                    loan=story.loan,
                    kind=change_kind,
                    effective_date=day,
                    proposed_by=first,
                    reason=reasons[kind],
                    capitalise_arrears=kind == "restructure",
                    periods=120 if kind == "restructure" else None,
                )
            with _on(day):
                ls.loan_change_decide(
                    change=change,
                    decided_by=second,
                    approve=True,
                    reason="Akkoord, tweede paar ogen.",
                )
    run_days(today)
    _receipts_in_suspense(funds["rfb"], first, second, today)


def _receipts_in_suspense(fund, first, second, today: date) -> None:
    """What a real bank statement always holds: money nobody can place at once. One gift
    waits for a manager; one transfer made twice is proposed for refund, for the second
    manager to approve (four eyes)."""
    from loans import services as ls

    with _on(today - timedelta(days=6)):
        ls.receipt_record_unmatched(
            fund=fund,
            amount=Decimal("250.00"),
            value_date=today - timedelta(days=6),
            payer_reference="Buurtvereniging De Hoven",
            recorded_by=first,
            description="Bijdrage buurtfeest, geen kenmerk",
            bank_reference=f"DEMO-{today:%Y%m%d}-1",
        )
    with _on(today - timedelta(days=3)):
        double = ls.receipt_record_unmatched(
            fund=fund,
            amount=Decimal("1424.69"),
            value_date=today - timedelta(days=3),
            payer_reference="NL20INGB0001234567",
            recorded_by=first,
            description="Termijn december (tweede keer overgemaakt)",
            bank_reference=f"DEMO-{today:%Y%m%d}-2",
        )
    with _on(today - timedelta(days=2)):
        ls.receipt_disposal_propose(
            receipt=double,
            kind="refund",
            proposed_by=second,
            reason="Dezelfde termijn is twee keer overgemaakt; de tweede gaat terug.",
            iban="NL20INGB0001234567",
            name="Energiecoöperatie Zonnedijk",
        )


# --- which days the day-end has to run -------------------------------------------------------
#
# Replaying three years a day at a time is most of the seeding time, yet on most days the
# day-end (loans.services.loan_day_process) changes nothing but the days-past-due snapshot,
# which the next run overwrites. It changes the books only
#
# * on the due date of an instalment of a serviced loan whose interest is not yet posted due:
#   it posts that interest (dated the due date), reverses the open accruals, capitalises
#   interest under full grace, and allocates money paid ahead (held on 2100) to what falls
#   due; an instalment already posted (a repayment on the day posts it itself) leaves
#   nothing to do;
# * at a month end: interest accrued but not yet due, and penalty interest on arrears;
# * and the snapshot itself (days past due, arrears bucket, status date) matters as of the
#   last day run, ``to``: a repayment or change on the next day starts from it.
#
# Schedules change between runs (tranches, prepayments, restructurings), so the next day
# is computed from the current schedule rows just before it is run.


def next_day_end(fund: Fund, after: date, to: date) -> date | None:
    """The first day after ``after``, up to and including ``to``, on which the day-end of
    ``fund`` changes its books: the earliest of the next due date of an instalment not yet
    posted due (of a loan the day-end services, under its current schedule), the next month
    end, and ``to`` itself. An instalment due on or before ``after`` still unposted (a
    backdated schedule row) makes it the day after ``after``. None once ``after`` reaches
    ``to``."""
    from django.db.models import Min

    from loans.models import SERVICED_STATES, Instalment

    if after >= to:
        return None
    tomorrow = after + timedelta(days=1)
    month_end = clock.month_end(tomorrow.year, tomorrow.month)
    due = Instalment.objects.filter(
        version__loan__fund=fund,
        version__loan__state__in=SERVICED_STATES,
        version__is_current=True,
        interest_posted=False,
    ).aggregate(first=Min("due_date"))["first"]
    candidates = [to, month_end]
    if due is not None:
        candidates.append(max(due, tomorrow))
    return min(candidates)


def day_end_days(fund: Fund, after: date, to: date) -> Iterator[date]:
    """The days after ``after`` up to ``to`` on which to run the day-end of ``fund``, so that
    its books come out as if it ran every day (:func:`next_day_end`). Lazy: run the day-end of
    each day before asking for the next, as that is computed from the schedules then."""
    day = next_day_end(fund, after, to)
    while day is not None:
        yield day
        day = next_day_end(fund, day, to)


def logins_text() -> str:
    return (
        "Demo-logins (wachtwoord overal: demo):\n"
        "  beheerder     fondsbeheerder (beoordeelt)\n"
        "  beheerder2    fondsbeheerder (besluit: vier ogen)\n"
        "  collectief    contactpersoon van Energiecoöperatie Zonnedijk\n"
        "  investeerder  Provincie Gelderland\n"
        "  auditor       leest alles, wijzigt niets"
    )
