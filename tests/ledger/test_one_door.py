"""One door into the ledger: only ledger/services.py creates journal entries and lines.

The scanner reads every module of the project apps with :mod:`ast` and reports each place
that builds a ``JournalEntry`` or ``JournalLine`` (constructor, manager ``create`` and
friends, a related manager such as ``entry.lines.create``, ``apps.get_model`` of them)
or that carries raw SQL inserting into the journal tables.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "fund", "loans", "ledger", "reports")
THE_DOOR = Path("ledger/services.py")
JOURNAL_MODELS = {"JournalEntry", "JournalLine"}
CREATE_METHODS = {
    "create",
    "bulk_create",
    "get_or_create",
    "update_or_create",
    "_insert",
    "_batched_insert",
}
RELATED_MANAGERS = {"lines", "entries"}  # JournalEntry.lines, Account.lines, Book.entries
RAW_INSERT = re.compile(r"\b(INSERT\s+INTO|COPY)\s+[\"'`]?ledger_journal", re.IGNORECASE)


def _names_in(node: ast.AST) -> list[str]:
    """Names and attribute names along a dotted chain: ``a.b.c`` gives ['a', 'b', 'c']."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    elif isinstance(node, ast.Call):
        names.extend(_names_in(node.func))
    return list(reversed(names))


def find_journal_writes(source: str, filename: str = "<snippet>") -> list[str]:
    """Every place in ``source`` that creates journal rows, as 'file:line: what'."""
    tree = ast.parse(source, filename=filename)
    aliases = set(JOURNAL_MODELS)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in JOURNAL_MODELS and alias.asname:
                    aliases.add(alias.asname)
    for node in ast.walk(tree):  # model = JournalEntry; model.objects.create(...)
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name | ast.Attribute)
            and _names_in(node.value)[-1] in aliases
        ):
            aliases.update(t.id for t in node.targets if isinstance(t, ast.Name))
    found = []

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{filename}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            chain = _names_in(node.func)
            if chain and chain[-1] in aliases:
                report(node, f"{chain[-1]}(...)")
            elif (
                len(chain) >= 2
                and chain[-1] in CREATE_METHODS
                and (set(chain[:-1]) & aliases or chain[-2] in RELATED_MANAGERS)
            ):
                report(node, ".".join(chain))
            tables = [
                a.value
                for a in node.args
                if isinstance(a, ast.Constant) and a.value in JOURNAL_TABLES
            ]
            if tables:
                report(node, f"journal table {tables[0]} passed to {'.'.join(chain) or 'a call'}")
            if chain and chain[-1] == "get_model":
                args = [a.value for a in node.args if isinstance(a, ast.Constant)]
                if any(str(a).split(".")[-1] in JOURNAL_MODELS for a in args):
                    report(node, "get_model of a journal model")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if RAW_INSERT.search(node.value):
                report(node, "raw SQL insert into a journal table")
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            if RAW_INSERT.search(text):
                report(node, "raw SQL insert into a journal table")
    return sorted(set(found))


JOURNAL_TABLES = {"ledger_journalentry", "ledger_journalline"}


def project_modules() -> list[Path]:
    files = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts or rel == THE_DOOR:
                continue
            files.append(rel)
    return files


def test_only_ledger_services_creates_journal_entries_and_lines():
    modules = project_modules()
    assert Path("ledger/selectors.py") in modules and Path("ledger/models.py") in modules
    assert THE_DOOR not in modules
    offenders = []
    for rel in modules:
        offenders += find_journal_writes((ROOT / rel).read_text(encoding="utf-8"), str(rel))
    assert offenders == [], "journal rows created outside ledger/services.py:\n" + "\n".join(
        offenders
    )


def test_the_door_itself_is_seen_by_the_scanner():
    """ledger/services.py does create entries and lines: the scanner must notice it."""
    found = find_journal_writes((ROOT / THE_DOOR).read_text(encoding="utf-8"), str(THE_DOOR))
    text = "\n".join(found)
    assert "JournalEntry(...)" in text
    assert "journal table ledger_journalline passed to _execute_rows" in text


@pytest.mark.parametrize(
    "snippet",
    [
        "from ledger.models import JournalEntry\nJournalEntry(book=b, date=d)",
        "from ledger.models import JournalLine\nline = JournalLine(entry=e)\nline.save()",
        "from ledger import models\nmodels.JournalEntry(book=b)",
        "JournalEntry.objects.create(book=b)",
        "JournalLine.objects.bulk_create(rows)",
        "JournalEntry.objects.get_or_create(book=b, idempotency_key='k')",
        "JournalLine.objects.update_or_create(pk=1, defaults={})",
        "JournalEntry._default_manager.create(book=b)",
        "from ledger.models import JournalEntry as JE\nJE.objects.create(book=b)",
        "from ledger.models import JournalEntry as JE\nJE(book=b)",
        "model = JournalLine\nmodel.objects.create(entry=e)",
        "entry.lines.create(account=a, debit=1)",
        "book.entries.create(date=d)",
        "apps.get_model('ledger', 'JournalLine').objects.all()",
        "cursor.execute('INSERT INTO ledger_journalline (entry_id) VALUES (1)')",
        "insert_rows('ledger_journalline', columns, rows)",
        "cursor.execute('insert into \"ledger_journalentry\" values (1)')",
        "cursor.execute(f'INSERT INTO ledger_journalline ({cols}) VALUES ({vals})')",
        "sql = '''\n  INSERT\n  INTO ledger_journalentry (id) VALUES (%s)'''",
    ],
)
def test_scanner_catches_a_journal_write(snippet):
    assert find_journal_writes(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "JournalEntry.objects.filter(book=b).count()",
        "JournalLine.objects.select_related('account').order_by('id')",
        "from ledger.services import entry_post\nentry_post(book=b, lines=[])",
        "Balance.objects.create(account=a)",
        "cursor.execute('SELECT * FROM ledger_journalline')",
        "cursor.execute('INSERT INTO ledger_balance (account_id) VALUES (1)')",
        "isinstance(x, JournalEntry)",
        "entry.lines.all()",
        "def f(entry: JournalEntry) -> JournalLine: ...",
    ],
)
def test_scanner_lets_reads_through(snippet):
    assert find_journal_writes(snippet) == [], snippet
