"""On a 390 px phone a wide table scrolls in its own box, not the whole page: every table of
every template sits directly in a ``.table-wrap`` (config/static/css/app.css)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    p
    for app in ("config", "fund", "loans", "ledger", "reports")
    for p in (ROOT / app).rglob("templates/**/*.html")
)
# PDFs are laid out for A4 by WeasyPrint (reports/templates/reports/pdf/); they do not scroll.
PRINT = re.compile(r"(pdf|print)", re.I)


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 30


def test_every_screen_table_scrolls_in_its_own_box():
    unwrapped = []
    for path in TEMPLATES:
        if PRINT.search(path.name) or "pdf" in path.parts:
            continue
        text = path.read_text()
        for match in re.finditer(r"<table[\s>]", text):
            before = text[: match.start()].rstrip()
            if not before.endswith('<div class="table-wrap">'):
                line = text.count("\n", 0, match.start()) + 1
                unwrapped.append(f"{path.relative_to(ROOT)}:{line}")
    assert not unwrapped, unwrapped
