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

# The wider portfolio's borrowers (index 30 onwards), each registered a few months before it
# first applies: (name, kind, legal form, SDGs, city, municipality). The energy co-operatives
# are in Gelderland, where the provincial fund lends.
PORTFOLIO_COLLECTIVES = [
    ("Wooncoöperatie Het Binnenerf", CollectiveKind.HOUSING, LegalForm.COOPERATIVE, [11, 10], "Leiden", "Leiden"),
    ("Zorgcoöperatie Hand in Hand", CollectiveKind.CARE, LegalForm.COOPERATIVE, [3, 10], "Enschede", "Enschede"),
    ("Bewonersbedrijf De Wijkfabriek", CollectiveKind.RESIDENTS, LegalForm.FOUNDATION, [8, 11], "Rotterdam", "Rotterdam"),
    ("Wooncoöperatie De Dwarsligger", CollectiveKind.HOUSING, LegalForm.COOPERATIVE, [11, 7], "Almere", "Almere"),
    ("Buurtzorgcoöperatie Heuvelland", CollectiveKind.CARE, LegalForm.COOPERATIVE, [3], "Gulpen", "Gulpen-Wittem"),
    ("Leerwerkbedrijf De Stadstuin", CollectiveKind.SOCIAL, LegalForm.BV, [8, 2, 12], "Den Haag", "Den Haag"),
    ("Buurtcoöperatie Oost-Indië", CollectiveKind.RESIDENTS, LegalForm.COOPERATIVE, [11, 10], "Amsterdam", "Amsterdam"),
    ("Wooncoöperatie De Lindeboom", CollectiveKind.HOUSING, LegalForm.COOPERATIVE, [11, 1], "Haren", "Groningen"),
    ("Energiecoöperatie Apeldoorn Zon", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 13], "Apeldoorn", "Apeldoorn"),
    ("Zonneveld De Hooilanden", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 13, 15], "Wapenveld", "Heerde"),
    ("Buurtwarmte Wageningen", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 11], "Wageningen", "Wageningen"),
    ("Berkelstroom", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 13], "Borculo", "Berkelland"),
    ("Betuwewind", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 13], "Maurik", "Buren"),
    ("Duurzaam Groenlo", CollectiveKind.ENERGY, LegalForm.ASSOCIATION, [7], "Groenlo", "Oost Gelre"),
    ("Rivierstroom Rheden", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 11], "Dieren", "Rheden"),
    ("Energiecoöperatie Veluwezoom", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 13], "Oosterbeek", "Renkum"),
    ("Zon op Vorden", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7], "Vorden", "Bronckhorst"),
    ("Warmtenet Barneveld", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 11, 13], "Barneveld", "Barneveld"),
    ("Liemers Energie", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 13], "Zevenaar", "Zevenaar"),
    ("Zonnewarmte Lingewaard", CollectiveKind.ENERGY, LegalForm.COOPERATIVE, [7, 11], "Bemmel", "Lingewaard"),
]  # fmt: skip

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
    """Two funds, six investors, fifty collectives, applications in every state, grants at
    every stage, forty-six loans with three years of history (most paying, some late, some
    repaid, the newest still being paid out) and the next ones approved, and the investors'
    statements of the last complete quarter and year. Everything through the services, each
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
        ("INV-BZK", rfb, CompartmentKind.REVOLVING, "1500000",
         [(M(0, 15), "900000"), (M(12, 15), "200000"), (M(24, 15), "400000")]),
        ("INV-BZK", rfb, CompartmentKind.GRANT, "600000", [(M(0, 15), "400000")]),
        ("INV-DOEN", rfb, CompartmentKind.GRANT, "250000", [(M(1, 1), "250000")]),
        ("INV-BANK", rfb, CompartmentKind.REVOLVING, "500000", [(M(5, 1), "250000"), (M(18, 1), "250000")]),
        ("INV-BURG", rfb, CompartmentKind.REVOLVING, "150000", [(M(8, 1), "150000")]),
        ("INV-GLD", eof, CompartmentKind.REVOLVING, "2000000",
         [(M(2, 1), "1500000"), (M(14, 1), "250000"), (M(26, 1), "250000")]),
        ("INV-GLD", eof, CompartmentKind.GRANT, "300000", [(M(2, 1), "300000")]),
        ("INV-ZWL", rfb, CompartmentKind.GRANT, "100000", [(M(3, 1), "100000")]),
        # As the portfolio grew: a second issue of citizens' bonds, the bank co-finances the
        # provincial energy fund, and a foundation lends through the national fund.
        ("INV-BURG", rfb, CompartmentKind.REVOLVING, "300000", [(M(20, 1), "300000")]),
        ("INV-BANK", eof, CompartmentKind.REVOLVING, "400000", [(M(18, 15), "250000")]),
        ("INV-DOEN", rfb, CompartmentKind.REVOLVING, "200000", [(M(28, 1), "200000")]),
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
    _portfolio_collectives(collectives, beheerder, beheerder2)

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
    # Approved lately, to be contracted: the next loans of both funds.
    funds = {"rfb": rfb, "eof": eof}
    for fund_key, index, amount, months, ago, impact, purpose in APPROVED_PIPELINE:
        collective, member = collectives[index]
        _application_at_stage(
            fund=funds[fund_key],
            collective=collective,
            member=member,
            kind=ApplicationKind.LOAN,
            stage="approved",
            amount=amount,
            managers=(beheerder, beheerder2),
            day=today - timedelta(days=ago - 9),  # decided ``ago`` days before today
            rng=rng,
            term_months=months,
            impact=_impact(impact),
            purpose=purpose,
        )

    progress("Investeerdersoverzichten...")
    _issue_statements((rfb, eof), beheerder, today)


def _issue_statements(funds, manager, today: date) -> None:
    """The investors' statements of the last complete quarter and the last complete year,
    issued today by a manager, as a fund would after each period (docs/statements.md)."""
    from reports.investor_statements import last_complete_quarter, parse_period
    from reports.statements import statements_issue

    for key in (last_complete_quarter(today), str(today.year - 1)):
        period = parse_period(key, today=today)
        for fund in funds:
            statements_issue(fund=fund, period=period, issued_by=manager, workers=2)


def _portfolio_collectives(collectives, first, second) -> None:
    """Register and verify the wider portfolio's borrowers (PORTFOLIO_COLLECTIVES), each about
    three months before it first applies. They draw from a random stream of their own, so
    the thirty collectives before them and everything seeded after come out as they did."""
    rng = random.Random(20261129)  # noqa: S311 - deterministic demo data, not security
    first_use: dict[int, date] = {}
    for story in LOAN_STORIES:
        day = story.at("contracted")
        first_use[story.collective_index] = min(day, first_use.get(story.collective_index, day))
    for _fund, index, _amount, _months, ago, _impact, _purpose in APPROVED_PIPELINE:
        first_use.setdefault(index, clock.today() - timedelta(days=ago))
    streets = ["Kerkstraat", "Molenweg", "Schoolstraat", "Stationsweg", "Marktplein", "Dijkweg"]
    for offset, row in enumerate(PORTFOLIO_COLLECTIVES):
        name, kind, legal_form, sdgs, city, municipality = row
        index = len(collectives)
        member = _user(
            f"contact{index:02d}",
            "Contact",
            name.split()[-1],
            email=f"contact{index:02d}@example.org",
            login=False,
        )
        registered = max(first_use[index] - timedelta(days=100), M(0, 1) - timedelta(days=12))
        with _on(registered):
            collective = fs.collective_register(
                registered_by=member,
                member=member,
                name=name,
                kind=kind,
                legal_form=legal_form,
                kvk_number=_kvk(rng),
                iban=_iban(rng),
                street=f"{streets[offset % len(streets)]} {rng.randrange(1, 120)}",
                postcode=_postcode(rng),
                city=city,
                municipality=municipality,
                members_count=rng.randrange(25, 900),
                sdgs=sdgs,
                email=f"info{index:02d}@example.org",
            )
        with _on(registered + timedelta(days=2)):
            fs.collective_verify(collective=collective, verified_by=second if index % 2 else first)
        collectives.append((collective, member))


def _application_at_stage(
    *,
    fund,
    collective,
    member,
    kind,
    stage,
    amount,
    managers,
    day,
    rng,
    term_months=None,
    impact: dict | None = None,
    purpose: str = "",
):
    """An application taken to ``stage``, each step on its own day around ``day`` (the
    decision's day; a grant is awarded on it). A step whose day has not come yet waits.
    ``impact`` (households reached, kWh a year, volunteers, CO2) and ``purpose`` as the
    collective wrote them; without them the indicators are drawn from ``rng``."""
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
            purpose=f"{collective.name} vraagt steun voor {purpose or PURPOSES[collective.kind]}.",
            amount_requested=amount,
            created_by=member,
            term_months=None
            if kind == ApplicationKind.GRANT
            else term_months or rng.choice([60, 120, 180]),
            sdgs=collective.sdgs,
            **(
                impact
                if impact is not None
                else {
                    "households_reached": rng.randrange(20, 600),
                    "kwh_per_year": rng.randrange(50, 900) * 1000
                    if collective.kind == CollectiveKind.ENERGY
                    else None,
                    "volunteers": rng.randrange(3, 40),
                }
            ),
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
    # What the application says the project does: (households reached, kWh a year or None,
    # volunteers), and what for; without them they are drawn (the first nineteen stories).
    impact: tuple[int, int | None, int] | None = None
    purpose: str = ""
    loan: object = field(default=None, repr=False)

    def at(self, kind: str) -> date | None:
        value = getattr(self, kind)
        return None if value is None else M(*value)

    def application_impact(self) -> dict | None:
        return _impact(self.impact)


# Grid electricity (and the gas a heat network replaces) avoided, roughly 0.35 kg CO2 a kWh:
# in tonnes.
CO2_TONNES_PER_KWH = Decimal("0.00035")


def _impact(impact: tuple[int, int | None, int] | None) -> dict | None:
    """The application's impact fields from (households reached, kWh a year, volunteers)."""
    if impact is None:
        return None
    households, kwh, volunteers = impact
    return {
        "households_reached": households,
        "kwh_per_year": kwh,
        "volunteers": volunteers,
        "co2_tonnes_per_year": None
        if kwh is None
        else (kwh * CO2_TONNES_PER_KWH).quantize(Decimal("0.1")),
    }


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
    # --- the wider portfolio ----------------------------------------------------------------
    # Most pay every instalment; a few fell behind lately (as of today 1-30, 31-60, 61-90 and
    # over 90 days: they stopped paying one, two, three and five months ago); bridging loans
    # repaid in full; the newest wait for their next tranche, or for their first.
    # The national fund (rfb): every kind of collective, all over the country.
    LoanStory("rfb", 8, D("40000"), "ONT", (1, 10), [((1, 20), D("40000"))], 60,
              impact=(85, None, 34), purpose="een dagvoorziening en vervoer voor ouderen in het dorp"),
    LoanStory("rfb", 16, D("85000"), "ONT", (6, 1), [((6, 15), D("50000")), ((9, 1), D("35000"))], 120,
              impact=(640, None, 25), purpose="de inrichting van een wijkrestaurant met leerwerkplekken"),
    LoanStory("rfb", 20, D("35000"), "ONT", (9, 1), [((9, 15), D("35000"))], 84,
              impact=(780, None, 40), purpose="isolatie en een warmtepomp voor het dorpshuis"),
    LoanStory("rfb", 23, D("60000"), "VFS", (11, 1), [((11, 10), D("60000"))], 24, settle_early=(21, 20),
              impact=(1200, None, 15),
              purpose="voorfinanciering van de gemeentelijke subsidie voor buurtinitiatieven"),
    LoanStory("rfb", 25, D("15000"), "ONT", (13, 1), [((13, 15), D("15000"))], 60, stops_paying=(33, 1),
              impact=(350, None, 28), purpose="gereedschap en een bedrijfsbus voor de reparatiewerkplaats"),
    LoanStory("rfb", 30, D("250000"), "WON", (14, 1), [((14, 15), D("150000")), ((20, 1), D("100000"))], 240,
              impact=(36, None, 12), purpose="de bouw van 36 betaalbare huurwoningen rond een gedeeld erf"),
    LoanStory("rfb", 26, D("50000"), "ONT", (16, 1), [((16, 15), D("50000"))], 60, stops_paying=(34, 1),
              impact=(900, None, 45), purpose="een tweede winkel met sorteerruimte"),
    LoanStory("rfb", 31, D("70000"), "ONT", (18, 1), [((18, 15), D("70000"))], 120,
              impact=(160, None, 38),
              purpose="de opstart van buurtzorgteams en een steunpunt voor mantelzorgers"),
    LoanStory("rfb", 18, D("30000"), "ONT", (21, 1), [((21, 15), D("30000"))], 60, stops_paying=(31, 1),
              impact=(420, None, 19),
              purpose="de aankoop en opknap van het oude schoolgebouw als ontmoetingsplek"),
    LoanStory("rfb", 32, D("110000"), "ONT", (23, 1), [((23, 15), D("60000")), ((26, 1), D("50000"))], 120,
              impact=(1800, None, 27),
              purpose="de verbouwing van een leegstaande fabriekshal tot wijkwerkplaats"),
    LoanStory("rfb", 24, D("100000"), "VFS", (25, 1), [((25, 10), D("100000"))], 24, settle_early=(33, 20),
              impact=(2500, None, 11),
              purpose="voorfinanciering van de toegezegde bijdragen van gemeente en fondsen"),
    LoanStory("rfb", 33, D("180000"), "WON", (27, 1), [((27, 15), D("180000"))], 300,
              impact=(24, None, 9), purpose="de ontwikkeling van 24 energieneutrale huurwoningen"),
    LoanStory("rfb", 21, D("60000"), "ONT", (29, 1), [((29, 15), D("60000"))], 120, stops_paying=(35, 1),
              impact=(610, None, 23), purpose="de overname van de dorpswinkel als coöperatieve supermarkt"),
    LoanStory("rfb", 34, D("45000"), "ONT", (31, 1), [((31, 15), D("45000"))], 84,
              impact=(120, None, 30), purpose="een kleinschalig zorghuis voor ouderen uit de kernen"),
    LoanStory("rfb", 35, D("95000"), "ONT", (33, 1), [((33, 15), D("40000")), ((36, 15), D("55000"))], 120,
              impact=(260, None, 35), purpose="een stadstuin met kas en leerwerkplekken voor jongeren"),
    LoanStory("rfb", 36, D("150000"), "ONT", (34, 10), [((34, 20), D("50000")), ((38, 1), D("100000"))], 120,
              impact=(950, None, 42),
              purpose="de inrichting van een buurthuis met kinderopvang en werkplekken"),
    # The provincial energy fund (eof-gelderland): energy co-operatives in Gelderland.
    LoanStory("eof", 38, D("120000"), "EOF", (4, 1), [((4, 15), D("120000"))], 120,
              impact=(420, 1_150_000, 18), purpose="zonnepanelen op de daken van scholen en sporthallen"),
    LoanStory("eof", 39, D("250000"), "EOF", (8, 1), [((8, 15), D("150000")), ((11, 1), D("100000"))], 180,
              impact=(3400, 9_800_000, 12),
              purpose="de ontwikkeling van een zonneveld van 10 MWp met de buurt als eigenaar"),
    LoanStory("eof", 40, D("80000"), "EOF", (10, 1), [((10, 15), D("80000"))], 84, settle_early=(30, 15),
              impact=(310, 2_400_000, 22), purpose="de haalbaarheid en het ontwerp van een buurtwarmtenet"),
    LoanStory("eof", 41, D("60000"), "EOF", (13, 1), [((13, 15), D("60000"))], 120, stops_paying=(34, 1),
              impact=(230, 640_000, 9), purpose="zonnepanelen op agrarische daken in het buitengebied"),
    LoanStory("eof", 42, D("240000"), "EOF", (17, 1), [((17, 15), D("140000")), ((21, 1), D("100000"))], 180,
              impact=(5200, 14_500_000, 31),
              purpose="de ontwikkeling van twee windturbines in eigendom van de omgeving"),
    LoanStory("eof", 43, D("45000"), "EOF", (19, 1), [((19, 15), D("45000"))], 60,
              impact=(140, 380_000, 7), purpose="een collectief zonnedak op het sportcomplex"),
    LoanStory("eof", 44, D("150000"), "EOF", (22, 1), [((22, 15), D("150000"))], 120,
              impact=(1050, 2_900_000, 14), purpose="een drijvend zonnepark op de plas bij de uiterwaarden"),
    LoanStory("eof", 45, D("90000"), "EOF", (26, 1), [((26, 15), D("90000"))], 120, stops_paying=(31, 1),
              impact=(290, 820_000, 11), purpose="zonnedaken en een buurtbatterij"),
    LoanStory("eof", 46, D("20000"), "EOF", (30, 1), [((30, 15), D("20000"))], 60,
              impact=(58, 160_000, 5), purpose="zonnepanelen op het dak van het dorpshuis"),
    LoanStory("eof", 47, D("175000"), "EOF", (32, 1), [((32, 15), D("75000")), ((37, 1), D("100000"))], 180,
              impact=(520, 4_100_000, 16),
              purpose="de aanleg van een warmtenet op aardwarmte voor de nieuwbouwwijk"),
    LoanStory("eof", 48, D("220000"), "EOF", (34, 15), [((36, 1), D("220000"))], 180,
              impact=(2100, 6_200_000, 10), purpose="de ontwikkeling van een zonnepark langs de snelweg"),
]  # fmt: skip

# Loan applications approved lately and not yet contracted (what the forecast expects to go
# out): (fund, collective index, amount, months, days ago decided, impact, purpose).
APPROVED_PIPELINE = [
    ("rfb", 37, D("200000"), 300, 12, (28, None, 10),
     "de aankoop en verbouwing van een voormalig klooster tot 28 woningen"),
    ("eof", 49, D("130000"), 120, 6, (470, 1_300_000, 13),
     "een zonnewarmte-installatie met seizoensopslag voor de wijk"),
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
    from loans.models import Loan, LoanState

    first, second = managers
    today = clock.today()
    for story in LOAN_STORIES:  # a second seed in the same process starts afresh
        story.loan = None
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
                impact=story.application_impact(),
                purpose=story.purpose,
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
            # The loans as they are now and what is due on each, read once for all of them
            # (one loan's repayment changes no other loan's position).
            contracted = [s for s in LOAN_STORIES if s.loan is not None]
            fresh = Loan.objects.in_bulk([s.loan.pk for s in contracted])
            payers = []
            for s in contracted:
                s.loan = fresh[s.loan.pk]
                stops, restructured = s.at("stops_paying"), s.at("restructure")
                paying = stops is None or day < stops or (restructured and day > restructured)
                if s.loan.state in (LoanState.DISBURSING, LoanState.ACTIVE) and paying:
                    payers.append(s)
            statuses = ls.loan_statuses([s.loan for s in payers])
            for s in payers:
                due = sum((i.amount for i in statuses[s.loan.pk].items(day)), Decimal("0"))
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
