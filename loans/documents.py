"""Documents a loan's readers can download, listed on the loan page.

The loans app makes no documents itself: a floor above (``reports``) registers its statements
here at start-up (``AppConfig.ready``), as ``ledger.pages`` and ``ledger.checks`` take what
the floors above define, so the loan page links them without importing the app that makes
them (docs/architecture.md).

A document's URL takes the loan number (``kind="loan"``), or the loan number and a year
(``kind="year"``: one link per year the loan ran, newest first, the year after the label).
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger import clock
from ledger.pages import try_reverse

KINDS = ("loan", "year")


@dataclass(frozen=True)
class Document:
    label: str  # may be a lazy translation: read in the reader's language
    url_name: str
    kind: str


_DOCUMENTS: dict[str, Document] = {}


def register_document(label, url_name: str, kind: str = "loan") -> None:
    """Offer the document behind ``url_name`` on every loan page (registering the same URL
    name again replaces it)."""
    if kind not in KINDS:
        raise ValueError(f"document kind {kind!r}: one of {', '.join(KINDS)}")
    _DOCUMENTS[url_name] = Document(label=label, url_name=url_name, kind=kind)


def loan_years(loan) -> list[int]:
    """The years the loan ran, newest first: from its first disbursement to the year it
    closed, or this year. None before money was paid out."""
    if loan.start_date is None:
        return []
    last = loan.closed_on.year if loan.closed_on else clock.today().year
    return list(range(min(last, clock.today().year), loan.start_date.year - 1, -1))


def documents_for(loan) -> list[tuple[str, str]]:
    """``(label, url)`` of each registered document of ``loan``; none before the first
    disbursement (there is nothing to state yet) and none whose URL does not resolve."""
    years = loan_years(loan)
    if not years:
        return []
    result = []
    for document in _DOCUMENTS.values():
        if document.kind == "loan":
            url = try_reverse(document.url_name, number=loan.number)
            if url:
                result.append((str(document.label), url))
            continue
        for year in years:
            url = try_reverse(document.url_name, number=loan.number, year=year)
            if url:
                result.append((f"{document.label} {year}", url))
    return result
