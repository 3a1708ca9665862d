"""Deterministic demo data, written through the services only (never raw model saves).

Seeding lives in the top layer because it uses every app's services. The same seed gives
the same funds, collectives, applications and books on every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction

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

    progress("Leningen met twee à drie jaar geschiedenis...")
    _seed_loans(
        rfb=rfb,
        managers=(beheerder, beheerder2),
        collectives=collectives,
        rng=rng,
        progress=progress,
    )


def _application_at_stage(
    *, fund, collective, member, kind, stage, amount, managers, day, rng, term_months=None
):
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
    # A step whose day has not come yet waits: the demo books nothing after today.
    if day > clock.today():
        return application
    grant = fs.grant_award(application=application, awarded_by=first, date=day)
    if stage == "awarded":
        return application
    half = (grant.amount.amount / 2).quantize(Decimal("0.01"))
    if day + timedelta(days=14) > clock.today():
        return application
    fs.grant_pay(
        grant=grant,
        amount=half,
        date=day + timedelta(days=14),
        paid_by=second,
        description="Eerste tranche",
    )
    if stage == "paying" or day + timedelta(days=120) > clock.today():
        return application
    fs.grant_pay(
        grant=grant,
        amount=grant.amount.amount - half,
        date=day + timedelta(days=120),
        paid_by=second,
        description="Tweede tranche na voortgangsrapportage",
    )
    if stage == "paid" or day + timedelta(days=300) > clock.today():
        return application
    fs.grant_settle(
        grant=grant, returned=Decimal("1250.00"), date=day + timedelta(days=300), settled_by=first
    )
    return application


@dataclass
class LoanStory:
    """One demo loan: who borrows, the terms, and what happens to it."""

    collective_index: int
    amount: Decimal
    product: str
    contracted: date
    tranches: list[tuple[date, Decimal]]
    months: int
    stops_paying: date | None = None
    restructure: date | None = None
    write_off: date | None = None
    convert: date | None = None
    settle_early: date | None = None
    loan: object = field(default=None, repr=False)


LOAN_STORIES = [
    # A performing energy loan in two tranches.
    LoanStory(
        0,
        Decimal("150000"),
        "ONT",
        date(2024, 2, 15),
        [(date(2024, 3, 1), Decimal("100000")), (date(2024, 6, 1), Decimal("50000"))],
        120,
    ),
    # Housing co-operative on a linear quarterly loan, in arrears for over 90 days.
    LoanStory(
        11,
        Decimal("240000"),
        "WON",
        date(2024, 4, 1),
        [(date(2024, 4, 15), Decimal("240000"))],
        180,
        stops_paying=date(2026, 7, 1),
    ),
    # A care co-operative a month behind.
    LoanStory(
        7,
        Decimal("60000"),
        "ONT",
        date(2024, 9, 1),
        [(date(2024, 9, 15), Decimal("60000"))],
        84,
        stops_paying=date(2026, 10, 1),
    ),
    # Residents' company: arrears in 2025, restructured with the arrears capitalised, paying again.
    LoanStory(
        15,
        Decimal("90000"),
        "ONT",
        date(2024, 1, 15),
        [(date(2024, 2, 1), Decimal("90000"))],
        120,
        stops_paying=date(2025, 3, 1),
        restructure=date(2025, 7, 1),
    ),
    # Village association: stopped paying, written off in full.
    LoanStory(
        19,
        Decimal("45000"),
        "ONT",
        date(2024, 5, 1),
        [(date(2024, 5, 15), Decimal("45000"))],
        60,
        stops_paying=date(2025, 6, 1),
        write_off=date(2026, 3, 31),
    ),
    # Wind co-operative: the project failed; the loan is forgiven (converted to a grant).
    LoanStory(
        1,
        Decimal("120000"),
        "ONT",
        date(2024, 6, 1),
        [(date(2024, 6, 15), Decimal("80000"))],
        120,
        convert=date(2025, 11, 30),
    ),
    # Heat co-operative: the project succeeded; repaid early with the success premium.
    LoanStory(
        3,
        Decimal("100000"),
        "ONT",
        date(2024, 3, 1),
        [(date(2024, 3, 15), Decimal("100000"))],
        120,
        settle_early=date(2026, 9, 15),
    ),
]


def _seed_loans(*, rfb, managers, collectives, rng, progress) -> None:
    """Loans with history: month by month the day-end run catches up, the collectives pay
    what is due (or stop), and the managers restructure, write off, convert and settle."""
    from loans import services as ls
    from loans.models import LoanState

    first, second = managers
    today = clock.today()
    products = {
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
    }
    for story in LOAN_STORIES:
        collective, member = collectives[story.collective_index]
        application = _application_at_stage(
            fund=rfb,
            collective=collective,
            member=member,
            kind=ApplicationKind.LOAN,
            stage="approved",
            amount=story.amount,
            managers=managers,
            day=story.contracted,
            rng=rng,
            term_months=story.months,
        )
        story.loan = ls.loan_contract(
            application=application,
            product=products[story.product],
            contracted_by=first,
            date=story.contracted,
            first_due=_first_of_next_month(story.tranches[0][0]),
        )

    events: list[tuple[date, int, str, LoanStory, object]] = []
    for order, story in enumerate(LOAN_STORIES):
        for day, amount in story.tranches:
            events.append((day, order, "tranche", story, amount))
        for kind in ("restructure", "write_off", "convert", "settle_early"):
            day = getattr(story, kind)
            if day is not None:
                events.append((day, order, kind, story, None))
    month = date(2024, 3, 1)
    while month <= today:
        events.append((month + timedelta(days=2), 99, "payments", None, None))
        month = _first_of_next_month(month)
    events.sort(key=lambda e: (e[0], e[1]))

    for day, _order, kind, story, amount in events:
        if day > today:
            break
        ls.loans_run_days(date_to=day - timedelta(days=1), funds=[rfb], run_by=first)
        if kind == "tranche":
            ls.loan_disburse(
                loan=story.loan,
                amount=amount,
                date=day,
                disbursed_by=second,
                milestone="Mijlpaal volgens projectplan",
                invoice_reference=f"F{day:%Y%m}-{story.collective_index:02d}",
            )
        elif kind == "payments":
            if day.month == 1:
                progress(f"  {day.year}...")
            for s in LOAN_STORIES:
                s.loan.refresh_from_db()
                paying = (
                    s.stops_paying is None
                    or day < s.stops_paying
                    or (s.restructure is not None and day > s.restructure)
                )
                if s.loan.state not in (LoanState.DISBURSING, LoanState.ACTIVE) or not paying:
                    continue
                due = sum((i.amount for i in ls.loan_status(s.loan).items(day)), Decimal("0"))
                if due > 0:
                    ls.repayment_record(
                        loan=s.loan,
                        amount=due,
                        value_date=day,
                        recorded_by=second,
                        reference=f"Termijn {day:%m-%Y}",
                    )
        elif kind == "settle_early":
            quote = ls.loan_settlement_quote(loan=story.loan, date=day)
            ls.repayment_record(
                loan=story.loan,
                amount=quote.total,
                value_date=day,
                recorded_by=second,
                reference="Vervroegde aflossing na succesvol project",
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
            change = ls.loan_change_propose(
                loan=story.loan,
                kind=change_kind,
                effective_date=day,
                proposed_by=first,
                reason=reasons[kind],
                capitalise_arrears=kind == "restructure",
                periods=120 if kind == "restructure" else None,
            )
            ls.loan_change_decide(
                change=change, decided_by=second, approve=True, reason="Akkoord, tweede paar ogen."
            )
    ls.loans_run_days(date_to=today, funds=[rfb], run_by=first)


def _first_of_next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def logins_text() -> str:
    return (
        "Demo-logins (wachtwoord overal: demo):\n"
        "  beheerder     fondsbeheerder (beoordeelt)\n"
        "  beheerder2    fondsbeheerder (besluit: vier ogen)\n"
        "  collectief    contactpersoon van Energiecoöperatie Zonnedijk\n"
        "  investeerder  Provincie Gelderland\n"
        "  auditor       leest alles, wijzigt niets"
    )
