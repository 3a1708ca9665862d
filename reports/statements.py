"""Issuing investor statements: a run per fund and period (docs/statements.md, "Issuing and
keeping").

:func:`statements_issue` is the entry point. It checks the user (a manager of the fund), reads
the fund's figures once (:func:`reports.investor_statements.fund_figures`, a constant number of
queries), renders each investor's HTML in this process, lays the PDFs out in ``workers``
processes, and stores them in batches, each batch one durable transaction. A statement already
issued for the investor and period is not issued again (the run says so); ``reason`` issues a
new version for the investors named, and the old one stays. The notification mails go out
when a batch has committed.
"""

from __future__ import annotations

import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import connections, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from fund.exceptions import NotAllowed
from fund.models import Fund, Investor
from fund.permissions import check_fund_manager
from ledger import clock
from ledger.services import audit_record

from . import charts
from .audit import ReportAction
from .forecast import pool_forecast
from .investor_statements import (
    FundFigures,
    Period,
    commitments_by_investor,
    fund_figures,
    investor_figures,
)
from .models import InvestorStatement
from .pdf import html_to_pdf, language_of, render_html

BATCH = 25  # statements stored per transaction
TEMPLATE = "reports/pdf/investor_statement.html"


class StatementError(Exception):
    """A run that cannot be issued; the message says why."""


@dataclass
class RunResult:
    fund: Fund
    period: Period
    issued: list[InvestorStatement] = field(default_factory=list)
    skipped: list[Investor] = field(default_factory=list)  # issued before, not again

    @property
    def nothing_new(self) -> bool:
        return not self.issued


def statement_number(fund: Fund, period: Period, investor: Investor, version: int) -> str:
    return f"IO-{fund.slug.upper()}-{period.key}-{investor.code}-v{version}"


def fund_charts(figures: FundFigures, forecast) -> dict[str, str]:
    """The statement's charts (the same for every investor of the fund), as SVG."""
    impact = figures.impact
    return {
        "pool": charts.line_chart(
            _("Pool per maand (bank revolverend compartiment)"),
            [f"{day:%m-%Y}" for day, _v in figures.pool_months],
            {_("Banksaldo 1000"): [v for _d, v in figures.pool_months]},
        ),
        "flows": charts.bar_chart(
            _("Uitgeleend en terugbetaald per kwartaal (hoofdsom)"),
            [label for label, _o, _b in figures.quarters],
            {
                _("Uitgeleend"): [o for _l, o, _b in figures.quarters],
                _("Afgelost"): [b for _l, _o, b in figures.quarters],
            },
        ),
        "sdg": charts.share_chart(
            _("Financiering per SDG"), {s.label: s.amount for s in impact.by_sdg}
        ),
        "kind": charts.share_chart(
            _("Financiering per soort collectief"), {s.label: s.amount for s in impact.by_kind}
        ),
        "forecast": charts.line_chart(
            _("Verwachte uitleenruimte, komende 12 maanden"),
            [f"{m.month:%m-%Y}" for m in forecast.rows],
            {
                _("Verwacht"): [m.pool_end for m in forecast.rows],
                _("Voorzichtig"): [m.cautious_pool_end for m in forecast.rows],
            },
        ),
    }


def _context(figures, forecast, investor_part, number, version, issued_on, chart_svgs) -> dict:
    fund, period = figures.fund, figures.period
    return {
        "figures": figures,
        "forecast": forecast,
        "investor": investor_part.investor,
        "capital": investor_part,
        "number": number,
        "version": version,
        "issued_on": issued_on,
        "charts": chart_svgs,
        "document_title": _("Investeerdersoverzicht %(fund)s") % {"fund": fund.name},
        "document_subject": f"{investor_part.investor.name} · {period.label}",
        "document_number": number,
    }


@dataclass(frozen=True)
class Job:
    investor: Investor
    version: int
    number: str
    language: str
    html: str


def _render(html: str) -> bytes:
    """In a worker: lay one statement's HTML out as PDF."""
    return html_to_pdf(html)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def laid_out(jobs: Iterable[Job], workers: int) -> Iterator[tuple[list[Job], list[bytes]]]:
    """The jobs, ``BATCH`` at a time, with their PDFs laid out by ``workers`` processes.

    Inside a transaction (a test, a caller's block) the PDFs are laid out here, one by one:
    forking workers needs this process's connections closed, which would end the caller's
    transaction."""
    if workers <= 1 or any(c.in_atomic_block for c in connections.all(initialized_only=True)):
        for chunk in _chunks(jobs, BATCH):
            yield chunk, [_render(job.html) for job in chunk]
        return
    # The workers only lay out HTML; they never touch the database. They are forked before
    # this process reads anything (the first task starts them all, with fork), with its
    # connections closed, so none of them holds this process's database connection.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pool.submit(int).result()
        for chunk in _chunks(jobs, BATCH):
            yield chunk, list(pool.map(_render, [job.html for job in chunk]))


def statement_htmls(fund: Fund, period: Period, todo, commitments) -> Iterator[Job]:
    """The HTML of each statement to issue (``todo``: investor and version), rendered in this
    process from the fund's figures, read once, one job at a time (so a run of thousands never
    holds all of them). The figures and the charts are the same for every investor."""
    figures = fund_figures(fund, period)
    issued_on = clock.today()
    forecast = pool_forecast(fund, issued_on, months=12)
    svgs: dict[str, dict] = {}
    for inv, version in todo:
        language = language_of(inv.language)
        if language not in svgs:
            with translation.override(language):
                svgs[language] = fund_charts(figures, forecast)
        number = statement_number(fund, period, inv, version)
        part = investor_figures(figures, inv, commitments[inv.pk])
        with translation.override(language):
            context = _context(figures, forecast, part, number, version, issued_on, svgs[language])
        html = render_html(TEMPLATE, context, language=language)
        yield Job(investor=inv, version=version, number=number, language=language, html=html)


def _check(fund: Fund, issued_by) -> None:
    """A user who issues must manage the fund; ``None`` is the scheduled run of the command
    (who can run it has the server, docs/statements.md)."""
    if issued_by is not None:
        check_fund_manager(issued_by, fund, NotAllowed)


def _plan(fund, period, investors, reason) -> tuple[list[tuple[Investor, int]], list[Investor]]:
    """Which investors get which version, and which already have one (skipped)."""
    latest = dict(
        InvestorStatement.objects.filter(fund=fund, period=period.key)
        .values("investor_id")
        .annotate(v=Max("version"))
        .values_list("investor_id", "v")
    )
    todo, skipped = [], []
    for investor in investors:
        version = latest.get(investor.pk)
        if version is None:
            todo.append((investor, 1))
        elif reason:
            todo.append((investor, version + 1))
        else:
            skipped.append(investor)
    return todo, skipped


def statements_issue(
    *,
    fund: Fund,
    period: Period,
    issued_by,
    investor: Investor | None = None,
    reason: str = "",
    workers: int = 1,
    out_dir: Path | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> RunResult:
    """Issue the statements of ``fund`` for ``period``: to every investor with a commitment in
    the fund by the period end, or to ``investor`` alone. Idempotent: an investor who has a
    statement for the period gets none again, unless ``reason`` asks for a new version.
    ``issued_by`` is a manager of the fund, or None for the scheduled run of the command."""
    _check(fund, issued_by)
    reason = reason.strip()
    commitments = commitments_by_investor(fund, period)
    investors = sorted(
        {c.investor for rows in commitments.values() for c in rows}, key=lambda i: i.code
    )
    if investor is not None:
        if investor.pk not in commitments:
            raise StatementError(
                _("%(investor)s had geen toezegging in %(fund)s op %(date)s.")
                % {"investor": investor, "fund": fund, "date": period.end.strftime("%d-%m-%Y")}
            )
        investors = [i for i in investors if i.pk == investor.pk]
    todo, skipped = _plan(fund, period, investors, reason)
    result = RunResult(fund=fund, period=period, skipped=skipped)
    if not todo:
        return result
    done = 0
    for chunk, pdfs in laid_out(statement_htmls(fund, period, todo, commitments), workers):
        batch = [
            InvestorStatement(
                fund=fund,
                investor=job.investor,
                period=period.key,
                period_start=period.start,
                period_end=period.end,
                version=job.version,
                number=job.number,
                reason=reason if job.version > 1 else "",
                language=job.language,
                issued_by=issued_by,
                pdf=content,
            )
            for job, content in zip(chunk, pdfs, strict=True)
        ]
        if out_dir is not None:
            for statement in batch:
                (out_dir / statement.filename).write_bytes(bytes(statement.pdf))
        result.issued += _store(batch, issued_by)
        done += len(batch)
        if progress:
            progress(done, len(todo))
    return result


@transaction.atomic(durable=True)
def _store(batch: list[InvestorStatement], issued_by) -> list[InvestorStatement]:
    """Store one batch (one transaction) and send its mails once it has committed."""
    for statement in batch:
        statement.save()
        audit_record(
            actor=issued_by,
            action=ReportAction.STATEMENT_ISSUE,
            obj=statement,
            book_id=statement.fund.book_id,
            after={
                "number": statement.number,
                "investor": statement.investor.code,
                "period": statement.period,
                "version": statement.version,
                "sha256": statement.sha256,
                **({"reason": statement.reason} if statement.reason else {}),
            },
        )
    for statement in batch:
        # The bytes are stored; let the instance load them again only when asked (a deferred
        # field), so a run of thousands does not keep every PDF in memory.
        del statement.__dict__["pdf"]
    saved = list(batch)
    transaction.on_commit(lambda: _notify(saved))
    return saved


def _notify(statements: list[InvestorStatement]) -> None:
    """Tell each investor's contacts that a statement is ready (after the commit)."""
    users: dict[int, set[str]] = defaultdict(set)
    links = Investor.users.through.objects.filter(
        investor_id__in={s.investor_id for s in statements}, user__is_active=True
    ).values_list("investor_id", "user__email")
    for investor_id, email in links:  # one query for the whole batch
        users[investor_id].add(email)
    for statement in statements:
        investor = statement.investor
        to = sorted(({investor.email} | users[investor.pk]) - {""})
        if not to:
            continue
        with translation.override(statement.language):
            subject = _("Uw investeerdersoverzicht %(period)s van %(fund)s") % {
                "period": statement.period,
                "fund": statement.fund.name,
            }
            body = _(
                "Beste %(name)s,\n\nHet overzicht %(number)s over %(period)s staat voor u klaar "
                "in het portaal van Burgerfonds: %(url)s\n\nMet vriendelijke groet,\n%(fund)s"
            ) % {
                "name": investor.contact_name or investor.name,
                "number": statement.number,
                "period": statement.period,
                "url": settings.SITE_URL + reverse("reports:statement_list"),
                "fund": statement.fund.name,
            }
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=True)
