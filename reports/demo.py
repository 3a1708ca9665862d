"""Deterministic demo data, written through the services only (never raw model saves).

Seeding lives in the top layer because it uses every app's services. The same seed gives
the same funds, collectives, applications and books on every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction

from fund import services as fs
from fund.models import ApplicationKind, CollectiveKind, CompartmentKind, Fund, LegalForm, Proposal
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


@transaction.atomic
def seed(progress: Callable[[str], object] = print) -> None:
    """Two funds, six investors, thirty collectives, applications in every state, grants at
    every stage. Everything through the services, so the books and audit trail are real."""
    rng = random.Random(20261128)  # noqa: S311 - deterministic demo data, not security
    progress("Gebruikers...")
    beheerder = _user("beheerder", "Marieke", "de Boer")
    beheerder2 = _user("beheerder2", "Joost", "van Dijk")
    collectief = _user("collectief", "Fatima", "El Amrani")
    investeerder = _user("investeerder", "Henk", "Jansen")
    auditor = _user("auditor", "Ingrid", "Kramer")
    auditor.groups.add(Group.objects.get_or_create(name="auditors")[0])

    progress("Fondsen...")
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

    progress("Investeerders en kapitaal...")
    investors = {}
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
        (
            "INV-BZK",
            rfb,
            CompartmentKind.REVOLVING,
            "3000000",
            [(date(2024, 1, 15), "2000000"), (date(2025, 1, 15), "500000")],
        ),
        ("INV-BZK", rfb, CompartmentKind.GRANT, "600000", [(date(2024, 1, 15), "400000")]),
        ("INV-DOEN", rfb, CompartmentKind.GRANT, "250000", [(date(2024, 2, 1), "250000")]),
        ("INV-BANK", rfb, CompartmentKind.REVOLVING, "1000000", [(date(2024, 6, 1), "750000")]),
        ("INV-BURG", rfb, CompartmentKind.REVOLVING, "150000", [(date(2024, 9, 1), "150000")]),
        (
            "INV-GLD",
            eof,
            CompartmentKind.REVOLVING,
            "2000000",
            [(date(2024, 3, 1), "1500000"), (date(2025, 3, 1), "250000")],
        ),
        ("INV-GLD", eof, CompartmentKind.GRANT, "300000", [(date(2024, 3, 1), "300000")]),
        ("INV-ZWL", rfb, CompartmentKind.GRANT, "100000", [(date(2024, 4, 1), "100000")]),
    ]
    for code, fund, kind, committed, payments in capital:
        commitment = fs.commitment_create(
            investor=investors[code],
            compartment=fund.compartments.get(kind=kind),
            amount=Decimal(committed),
            date=payments[0][0],
            reference=f"Overeenkomst {code} {fund.slug}",
            created_by=beheerder,
        )
        for day, paid in payments:
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
            fs.collective_verify(
                collective=collective, verified_by=beheerder2 if index % 2 else beheerder
            )
        collectives.append((collective, member))

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
            else Decimal(rng.randrange(50, 250) * 1000)
        )
        _application_at_stage(
            fund=fund,
            collective=collective,
            member=member,
            kind=kind,
            stage=stage,
            amount=amount,
            managers=(beheerder, beheerder2),
            day=date(2025, 1, 10) + timedelta(days=index * 23),
            rng=rng,
        )


def _application_at_stage(*, fund, collective, member, kind, stage, amount, managers, day, rng):
    first, second = managers
    application = fs.application_create(
        fund=fund,
        collective=collective,
        kind=kind,
        title=("Startsubsidie " if kind == ApplicationKind.GRANT else "Ontwikkellening ")
        + collective.name,
        purpose=f"{collective.name} vraagt steun voor {PURPOSES[collective.kind]}.",
        amount_requested=amount,
        created_by=member,
        term_months=None if kind == ApplicationKind.GRANT else rng.choice([60, 120, 180]),
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
        fs.application_withdraw(application=application, withdrawn_by=member)
        return application
    fs.application_submit(application=application, submitted_by=member)
    if stage == "submitted":
        return application
    fs.application_start_review(application=application, assessor=first)
    if stage == "in_review":
        return application
    reject = stage == "rejected"
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
    if stage == "proposed":
        return application
    fs.application_decide(
        application=application,
        decided_by=second,
        approve=not reject,
        reason="Conform voorstel van de beoordelaar.",
    )
    if stage in {"approved", "rejected"}:
        return application
    grant = fs.grant_award(application=application, awarded_by=first, date=day)
    if stage == "awarded":
        return application
    half = (grant.amount.amount / 2).quantize(Decimal("0.01"))
    fs.grant_pay(
        grant=grant,
        amount=half,
        date=day + timedelta(days=14),
        paid_by=second,
        description="Eerste tranche",
    )
    if stage == "paying":
        return application
    fs.grant_pay(
        grant=grant,
        amount=grant.amount.amount - half,
        date=day + timedelta(days=120),
        paid_by=second,
        description="Tweede tranche na voortgangsrapportage",
    )
    if stage == "paid":
        return application
    fs.grant_settle(
        grant=grant, returned=Decimal("1250.00"), date=day + timedelta(days=300), settled_by=first
    )
    return application


def logins_text() -> str:
    return (
        "Demo-logins (wachtwoord overal: demo):\n"
        "  beheerder     fondsbeheerder (beoordeelt)\n"
        "  beheerder2    fondsbeheerder (besluit: vier ogen)\n"
        "  collectief    contactpersoon van Energiecoöperatie Zonnedijk\n"
        "  investeerder  Provincie Gelderland\n"
        "  auditor       leest alles, wijzigt niets"
    )
