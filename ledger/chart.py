"""The chart-of-accounts template seeded into every new book (ARCHITECTURE section 3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .models import AccountType as T
from .models import SubledgerKind as S


@dataclass(frozen=True)
class AccountTemplate:
    code: str
    name: str
    type: str
    subledger: str = ""
    compartment: str = ""


BANK_REVOLVING = "1000"
BANK_GRANT = "1010"
LOANS_PRINCIPAL = "1200"
INTEREST_RECEIVABLE = "1210"
FEES_RECEIVABLE = "1220"
INTEREST_ACCRUED = "1230"
SUSPENSE = "1900"
GRANTS_PAYABLE = "2000"
ADVANCES = "2100"
CAPITAL_REVOLVING = "3000"
CAPITAL_GRANT = "3010"
INTEREST_INCOME = "4000"
FEE_INCOME = "4100"
GRANTS_EXPENSE = "5000"
LOAN_LOSSES = "5100"

# The one home of which account a compartment's money and capital are kept on, keyed by the
# compartment kind (the ``compartment`` tag of the templates below, and the values of
# ``fund.models.CompartmentKind``).
BANK_ACCOUNT: Mapping[str, str] = MappingProxyType(
    {"revolving": BANK_REVOLVING, "grant": BANK_GRANT}
)
CAPITAL_ACCOUNT: Mapping[str, str] = MappingProxyType(
    {"revolving": CAPITAL_REVOLVING, "grant": CAPITAL_GRANT}
)

DEFAULT_CHART: tuple[AccountTemplate, ...] = (
    AccountTemplate(BANK_REVOLVING, "Bank, revolverend compartiment", T.ASSET, "", "revolving"),
    AccountTemplate(BANK_GRANT, "Bank, subsidiecompartiment", T.ASSET, "", "grant"),
    AccountTemplate(
        LOANS_PRINCIPAL, "Vorderingen leningen, hoofdsom", T.ASSET, S.CONTRACT, "revolving"
    ),
    AccountTemplate(INTEREST_RECEIVABLE, "Te ontvangen rente", T.ASSET, S.CONTRACT, "revolving"),
    AccountTemplate(
        FEES_RECEIVABLE, "Te ontvangen kosten en premies", T.ASSET, S.CONTRACT, "revolving"
    ),
    AccountTemplate(
        INTEREST_ACCRUED, "Opgelopen, nog niet vervallen rente", T.ASSET, S.CONTRACT, "revolving"
    ),
    AccountTemplate(SUSPENSE, "Nog niet toegewezen ontvangsten", T.LIABILITY, S.PARTY, ""),
    AccountTemplate(GRANTS_PAYABLE, "Te betalen subsidies", T.LIABILITY, S.CONTRACT, "grant"),
    AccountTemplate(ADVANCES, "Vooruitontvangen termijnen", T.LIABILITY, S.CONTRACT, "revolving"),
    AccountTemplate(
        CAPITAL_REVOLVING, "Kapitaal, revolverend compartiment", T.EQUITY, S.PARTY, "revolving"
    ),
    AccountTemplate(CAPITAL_GRANT, "Kapitaal, subsidiecompartiment", T.EQUITY, S.PARTY, "grant"),
    AccountTemplate(INTEREST_INCOME, "Rentebaten", T.INCOME, S.CONTRACT, "revolving"),
    AccountTemplate(FEE_INCOME, "Baten uit kosten en premies", T.INCOME, S.CONTRACT, "revolving"),
    AccountTemplate(GRANTS_EXPENSE, "Subsidielasten", T.EXPENSE, S.CONTRACT, "grant"),
    AccountTemplate(
        LOAN_LOSSES, "Afboekingen en kwijtschelding leningen", T.EXPENSE, S.CONTRACT, "revolving"
    ),
)
