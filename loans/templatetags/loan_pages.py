"""Helpers of the loan page: the repayment account and the folded schedule."""

from django import template

from fund.models import CompartmentKind

register = template.Library()

UPCOMING = 3  # instalments not yet due shown before the fold


@register.filter
def repayment_account(fund):
    """``fund|repayment_account``: the revolving compartment, where collectives repay, when
    its IBAN is known (else None)."""
    compartment = fund.compartments.filter(kind=CompartmentKind.REVOLVING).exclude(iban="").first()
    return compartment


@register.simple_tag
def schedule_fold(rows, upcoming=UPCOMING) -> dict:
    """The schedule rows to show at once: the open ones that fell due and the next
    ``upcoming`` not yet due (the last ones when all is settled); ``all`` when there are more."""
    rows = list(rows)
    shown, future = [], 0
    for item in rows:
        if item["status"] == "settled":
            continue
        if item["status"] == "future":
            if future >= upcoming:
                break
            future += 1
        shown.append(item)
    if not shown:
        shown = rows[-upcoming:]
    return {"shown": shown, "folded": len(rows) > len(shown)}
