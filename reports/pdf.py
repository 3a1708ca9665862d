"""PDF documents from HTML templates, with WeasyPrint (docs/statements.md, "PDF layout").

Every PDF of the app is an HTML template that extends ``reports/pdf/base.html``: A4, a header
and a footer on every page (the document's title and the fund on top, its number and
"page x of y" below), tables whose rows never break across a page and whose heads repeat.
The template is rendered in the reader's language (Dutch unless the reader's language is
English), so amounts read ``€ 1.234,56`` and dates ``28-11-2026``. The charts are inline SVG
(:mod:`reports.charts`), the same ones the web pages show. Nothing is fetched over the
network: the stylesheet is in the template and fonts come from the machine (DejaVu Sans).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

LANGUAGES = ("nl", "en")


def language_of(preferred: str | None) -> str:
    """Dutch unless the reader's language is English."""
    return preferred if preferred in LANGUAGES else "nl"


def render_html(template: str, context: dict, *, language: str = "nl") -> str:
    """The document as HTML, rendered in ``language``."""
    with translation.override(language_of(language)):
        return render_to_string(template, {**context, "language": language_of(language)})


def html_to_pdf(html: str) -> bytes:
    """Lay ``html`` out as a PDF. The only place WeasyPrint is called."""
    from weasyprint import HTML  # heavy import: only where a PDF is made

    return HTML(string=html, base_url=None).write_pdf()


def render_pdf(template: str, context: dict, *, language: str = "nl") -> bytes:
    return html_to_pdf(render_html(template, context, language=language))


def pdf_response(content: bytes, filename: str, *, inline: bool = False) -> HttpResponse:
    """A download of ``content``; the file name is the document's, ASCII and safe."""
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in filename)
    response = HttpResponse(content, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{safe}"'
    response["Content-Length"] = str(len(content))
    response["X-Content-Type-Options"] = "nosniff"
    return response
