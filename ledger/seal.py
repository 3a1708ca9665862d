"""The journal's hash chain (docs/ledger.md, "Sealed in order").

The triggers refuse UPDATE and DELETE of entries and lines, but whoever controls the database
can switch them off. The chain makes such a change visible afterwards: every entry, in order
of its id per book, gets a :class:`~ledger.models.Seal` holding the SHA-256 of its content and
lines and a chain hash over that and the previous seal. ``ledger_verify`` recomputes both from
the rows as they are now and names the first entry that no longer matches.

Sealing runs after a posting transaction commits (``transaction.on_commit``, once per book
per transaction), in the day-end run and with ``manage.py ledger_verify --seal``, never inside
the posting lock, so posting keeps its speed. A posting made outside any transaction (the
one-round-trip fast path) is sealed with the next batch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction

from .models import Book, JournalEntry, JournalLine, Seal

GENESIS = "0" * 64
BATCH = 2000


def entry_digest(entry: JournalEntry, lines: list[JournalLine]) -> str:
    """SHA-256 of everything an entry says, its lines in id order included."""
    payload = [
        entry.pk,
        entry.book_id,
        entry.date.isoformat(),
        entry.description,
        entry.source_type,
        entry.source_id,
        entry.source_ref,
        entry.idempotency_key,
        entry.reversal_of_id,
        entry.created_by_id,
        entry.created_at.isoformat(),
        entry.content_hash,
        [
            [
                ln.pk,
                ln.account_id,
                ln.debit,
                ln.credit,
                ln.currency,
                ln.contract,
                ln.party,
                ln.memo,
                ln.date.isoformat(),
            ]
            for ln in sorted(lines, key=lambda ln: ln.pk)
        ],
    ]
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()


def chain_hash(previous: str, digest: str) -> str:
    return hashlib.sha256(f"{previous}:{digest}".encode()).hexdigest()


def _lines_by_entry(entries: list[JournalEntry]) -> dict[int, list[JournalLine]]:
    out: dict[int, list[JournalLine]] = {e.pk: [] for e in entries}
    for line in JournalLine.objects.filter(entry_id__in=list(out)).order_by("id"):
        out[line.entry_id].append(line)
    return out


@transaction.atomic
def seal_book(book: Book | int) -> int:
    """Seal the book's unsealed entries in id order; returns how many were sealed. The book's
    row is locked, so two sealers take turns and the chain has one order."""
    book_id = book.pk if isinstance(book, Book) else book
    Book.objects.select_for_update().filter(pk=book_id).first()
    last = Seal.objects.filter(book_id=book_id).order_by("-sequence").first()
    previous, sequence = (last.chain, last.sequence) if last else (GENESIS, 0)
    after = last.entry_id if last else 0
    sealed = 0
    while True:
        entries = list(
            JournalEntry.objects.filter(book_id=book_id, pk__gt=after).order_by("id")[:BATCH]
        )
        if not entries:
            return sealed
        lines = _lines_by_entry(entries)
        seals = []
        for entry in entries:
            digest = entry_digest(entry, lines[entry.pk])
            previous = chain_hash(previous, digest)
            sequence += 1
            seals.append(
                Seal(book_id=book_id, entry=entry, sequence=sequence, digest=digest, chain=previous)
            )
        Seal.objects.bulk_create(seals)
        sealed += len(seals)
        after = entries[-1].pk


def seal_after_commit(book_id: int) -> None:
    """Have the book sealed once the current transaction commits, once per book and
    transaction however many entries it posts. A posting outside any transaction (its own
    one-round-trip transaction, the fast path) is left for the next batch: the next
    transaction that posts to the book, the day-end run, or ``ledger_verify --seal``."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return
    for _sids, func, *_rest in connection.run_on_commit:
        if getattr(func, "ledger_seal_book", None) == book_id:
            return

    def run():
        seal_book(book_id)

    run.ledger_seal_book = book_id
    transaction.on_commit(run)


@dataclass
class VerifyReport:
    book: Book
    sealed: int = 0
    unsealed: int = 0
    head: str = GENESIS  # the last chain hash: what an auditor writes down
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_book(book: Book) -> VerifyReport:
    """Recompute the chain from the rows as they are now. Names the first sealed entry whose
    content, lines or place in the chain no longer match, and any sealed entry that is gone."""
    report = VerifyReport(book=book)
    previous = GENESIS
    expected_sequence = 0
    seals = Seal.objects.filter(book=book).order_by("sequence")
    last_entry = 0
    for start in range(0, seals.count(), BATCH):
        batch = list(seals[start : start + BATCH])
        entries = {e.pk: e for e in JournalEntry.objects.filter(pk__in=[s.entry_id for s in batch])}
        lines = _lines_by_entry(list(entries.values()))
        for seal in batch:
            expected_sequence += 1
            entry = entries.get(seal.entry_id)
            where = f"entry #{seal.entry_id}"
            if seal.sequence != expected_sequence or seal.entry_id <= last_entry:
                skipped = (
                    JournalEntry.objects.filter(book=book, pk__gt=last_entry, pk__lt=seal.entry_id)
                    .order_by("id")
                    .first()
                )
                if skipped is not None:
                    where = (
                        f"entry #{skipped.pk} ({skipped.date:%d-%m-%Y}, {skipped.description[:60]})"
                    )
                    report.problems.append(f"{where}: its seal is gone")
                else:
                    report.problems.append(
                        f"{where}: the chain is out of order at seal {seal.sequence}"
                    )
                return report
            if entry is None:
                report.problems.append(f"{where}: sealed, but no longer in the journal")
                return report
            where = f"entry #{entry.pk} ({entry.date:%d-%m-%Y}, {entry.description[:60]})"
            digest = entry_digest(entry, lines[entry.pk])
            if digest != seal.digest:
                report.problems.append(f"{where}: its content no longer matches its seal")
                return report
            previous = chain_hash(previous, digest)
            if previous != seal.chain:
                report.problems.append(f"{where}: the chain was rewritten from here on")
                return report
            last_entry = entry.pk
            report.head = previous
        report.sealed += len(batch)
    report.unsealed = JournalEntry.objects.filter(book=book, pk__gt=last_entry).count()
    missing = JournalEntry.objects.filter(book=book, pk__lt=last_entry, seal__isnull=True)
    if missing.exists():
        report.problems.append(
            f"entry #{missing.first().pk}: in the sealed part of the journal, but has no seal"
        )
    return report
