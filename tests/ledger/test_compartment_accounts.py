"""Which accounts a compartment's money and capital are kept on: one home in ledger/chart.py
(BANK_ACCOUNT, CAPITAL_ACCOUNT), used by fund.models.Compartment, and the capital a
commitment has had paid in (fund.models.Commitment.paid / open)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from djmoney.money import Money

from fund import services as fund_services
from fund.models import Commitment, Compartment, CompartmentKind
from ledger import chart
from ledger.models import Account, AccountType, SubledgerKind
from ledger.selectors import balance_by_code
from ledger.services import entry_reverse
from tests import factories as f

KINDS = list(CompartmentKind.values)
TEMPLATES = {t.code: t for t in chart.DEFAULT_CHART}


def test_the_maps_cover_exactly_the_compartment_kinds_and_the_chart_tags():
    tags = {t.compartment for t in chart.DEFAULT_CHART if t.compartment}
    assert set(chart.BANK_ACCOUNT) == set(chart.CAPITAL_ACCOUNT) == set(KINDS) == tags


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_maps_to_its_own_bank_and_capital_account_in_the_chart(kind):
    bank = TEMPLATES[chart.BANK_ACCOUNT[kind]]
    capital = TEMPLATES[chart.CAPITAL_ACCOUNT[kind]]
    assert (bank.type, bank.subledger, bank.compartment) == (AccountType.ASSET, "", kind)
    assert (capital.type, capital.subledger, capital.compartment) == (
        AccountType.EQUITY,
        SubledgerKind.PARTY,
        kind,
    )


def test_the_named_constants_are_the_ones_mapped():
    assert chart.BANK_ACCOUNT == {"revolving": chart.BANK_REVOLVING, "grant": chart.BANK_GRANT}
    assert chart.CAPITAL_ACCOUNT == {
        "revolving": chart.CAPITAL_REVOLVING,
        "grant": chart.CAPITAL_GRANT,
    }
    assert len(set(chart.BANK_ACCOUNT.values()) | set(chart.CAPITAL_ACCOUNT.values())) == 4


def test_the_maps_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        chart.BANK_ACCOUNT["grant"] = chart.BANK_REVOLVING  # type: ignore[index]
    with pytest.raises(TypeError):
        chart.CAPITAL_ACCOUNT["grant"] = chart.CAPITAL_REVOLVING  # type: ignore[index]


@pytest.mark.parametrize("kind", KINDS)
def test_a_compartment_reads_its_accounts_from_the_chart(kind):
    compartment = Compartment(kind=kind)
    assert compartment.bank_account == chart.BANK_ACCOUNT[kind]
    assert compartment.capital_account == chart.CAPITAL_ACCOUNT[kind]


@pytest.mark.django_db
def test_a_new_fund_book_has_each_compartments_accounts_with_its_tag():
    team = f.create_fund_team()
    for compartment in team.fund.compartments.all():
        for code in (compartment.bank_account, compartment.capital_account):
            account = Account.objects.get(book=team.fund.book, code=code)
            assert account.compartment == compartment.kind


# --- what a commitment has had paid in -----------------------------------------------------


@pytest.fixture
def commitment(db):
    team = f.create_fund_team()
    commitment = f.commitment_for(team=team, kind=CompartmentKind.GRANT, amount="10000.00")
    for amount in ("2500.00", "1250.50"):
        fund_services.contribution_record(
            commitment=commitment, amount=amount, date=f.DAY, created_by=team.manager
        )
    commitment.team = team
    return commitment


def test_a_commitment_without_contributions_has_nothing_paid_and_all_open(db):
    team = f.create_fund_team()
    commitment = f.commitment_for(team=team, kind=CompartmentKind.REVOLVING, amount="500.00")
    assert commitment.paid == Money(Decimal("0.00"), "EUR")
    assert commitment.open == Money(Decimal("500.00"), "EUR")


def test_paid_and_open_add_up_its_contributions(commitment):
    assert commitment.paid == Money(Decimal("3750.50"), "EUR")
    assert commitment.open == Money(Decimal("6249.50"), "EUR")
    # What the ledger holds for the investor on the compartment's capital account.
    capital = balance_by_code(
        book=commitment.team.fund.book,
        code=commitment.compartment.capital_account,
        party=commitment.investor.code,
    )
    assert -capital == 375050


def test_paid_and_open_ask_nothing_more_when_contributions_are_prefetched(
    commitment, django_assert_num_queries
):
    expected = [(commitment.paid, commitment.open)]
    listed = list(Commitment.objects.filter(pk=commitment.pk).prefetch_related("contributions"))
    with django_assert_num_queries(0):
        assert [(c.paid, c.open) for c in listed] == expected


def test_a_contribution_whose_entry_was_reversed_still_counts(commitment):
    """As the pages and contribution_record have always counted it (fund/checks.py leaves
    it out): a reversal alone does not lower what is paid in."""
    first = commitment.contributions.order_by("id").first()
    entry_reverse(entry=first.entry, created_by=commitment.team.manager, date=f.DAY)
    commitment = Commitment.objects.get(pk=commitment.pk)
    assert commitment.paid == Money(Decimal("3750.50"), "EUR")
