"""The code's comments point into the repository's own docs: every ``docs/<file>.md`` named in
the code, the templates, the tests or the docs exists, and a section named with it
(``docs/loans.md, "Day-end"``) is a heading of that file. Nothing points outside the
repository (``../shared``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SKIP = {".venv", ".git", "node_modules", "staticfiles", "media"}
SUFFIXES = {".py", ".html", ".md", ".txt", ".toml"}

# docs/loans.md, "Paying early" (the section may wrap over a comment or docstring line).
REFERENCE = re.compile(r"docs/([\w-]+\.md)(?:\s*,\s*(?:#\s*)?\"([^\"]+)\")?")


def _files() -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if path.suffix in SUFFIXES and not SKIP.intersection(parts) and path.is_file():
            found.append(path)
    return sorted(found)


def _references() -> list[tuple[str, str, str | None]]:
    refs = []
    for path in _files():
        text = path.read_text(encoding="utf-8")
        for match in REFERENCE.finditer(text):
            section = match.group(2)
            if section is not None:
                section = " ".join(section.replace("#", " ").split())
            refs.append((str(path.relative_to(ROOT)), match.group(1), section))
    return refs


def _headings(name: str) -> set[str]:
    lines = (DOCS / name).read_text(encoding="utf-8").splitlines()
    return {line.lstrip("#").strip().replace("`", "") for line in lines if line.startswith("#")}


REFERENCES = _references()


def test_the_code_names_its_docs():
    # The scan finds what it is meant to find: the code does point into docs/.
    assert len(REFERENCES) > 30
    assert any(section == "Day-end" for _where, _name, section in REFERENCES)


@pytest.mark.parametrize(("where", "name", "section"), REFERENCES)
def test_each_reference_names_a_doc_and_a_section_that_exist(where, name, section):
    assert (DOCS / name).is_file(), f"{where} names docs/{name}, which does not exist"
    if section is not None:
        missing = f'{where} names docs/{name}, "{section}": no such heading'
        assert section in _headings(name), missing


def test_nothing_points_outside_the_repository():
    outside = [
        str(path.relative_to(ROOT))
        for path in _files()
        if "../shared" in path.read_text(encoding="utf-8") and path.name != Path(__file__).name
    ]
    assert outside == []
