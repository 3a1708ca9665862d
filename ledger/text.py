"""Text that becomes part of the books: keys must read the same to every reader."""

from __future__ import annotations

import unicodedata

# Control, format (right-to-left override, zero-width space), separator, private-use,
# surrogate and unassigned characters: invisible or ambiguous in a key.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def hidden_character(text: str) -> str | None:
    """The first invisible or ambiguous character of ``text``, or None."""
    return next((c for c in text if unicodedata.category(c) in HIDDEN_CATEGORIES), None)


def visible_text(text: str | None) -> str:
    """``text`` without its invisible characters (for what a bank file names a payer)."""
    return "".join(c for c in (text or "") if unicodedata.category(c) not in HIDDEN_CATEGORIES)


def ascii_digits(text: str) -> str:
    """Digits of any script as ASCII (full-width ５, Arabic-Indic ٥ -> 5); spaces and dots, as
    people type a KvK number, are dropped; other characters are kept so a validator sees them."""
    out = []
    for c in text.strip():
        if c in " .\u00a0":
            continue
        out.append(str(unicodedata.digit(c)) if c.isdigit() else c)
    return "".join(out)
