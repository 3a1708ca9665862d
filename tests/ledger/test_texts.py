"""Texts a posting carries are refused before they reach the database when they are not
text, longer than their column, or hold a NUL character: the same on SQLite (which would
store them uncut) and on PostgreSQL (which would refuse them with a bare DataError)."""

from __future__ import annotations

import pytest

from ledger import exceptions as exc
from ledger.services import Cr, Dr, entry_post
from tests.ledger.helpers import JAN_15, nothing_written

pytestmark = pytest.mark.django_db


def post(book, *, line_keys=None, **fields):
    keys = {"party": "INV-1", **(line_keys or {})}
    return entry_post(
        book=book,
        date=JAN_15,
        description=fields.pop("description", "Storting"),
        lines=[Dr("1000", 100), Cr("3000", 100, **keys)],
        **fields,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"idempotency_key": "k" * 101}, "idempotency_key is 101 characters long; at most 100"),
        ({"source_type": "s" * 51}, "source_type is 51 characters long; at most 50"),
        ({"source_ref": "r" * 101}, "source_ref is 101 characters long; at most 100"),
        ({"line_keys": {"memo": "m" * 256}}, "memo is 256 characters long; at most 255"),
        ({"line_keys": {"party": "p" * 41}}, "party is 41 characters long; at most 40"),
        ({"line_keys": {"contract": None}}, "contract must be text, got NoneType"),
        ({"description": "nul\x00byte"}, "description holds a NUL character"),
        ({"source_ref": "nul\x00byte"}, "source_ref holds a NUL character"),
    ],
)
def test_a_text_the_database_cannot_hold_is_refused(book, fields, message):
    with nothing_written(), pytest.raises(exc.InvalidText, match=message):
        post(book, **fields)


def test_texts_at_their_limit_are_posted_whole(book):
    entry = post(
        book,
        idempotency_key="k" * 100,
        source_ref="r" * 100,
        line_keys={"memo": "m" * 255, "party": "p" * 40},
    )
    entry.refresh_from_db()
    assert entry.idempotency_key == "k" * 100
    assert sorted(len(line.memo) for line in entry.lines.all()) == [0, 255]


def test_a_long_description_is_cut_to_fit(book):
    entry = post(book, description="d" * 300)
    entry.refresh_from_db()
    assert entry.description == "d" * 255
