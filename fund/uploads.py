"""Uploaded files are untrusted: a file's content must match its name."""

from __future__ import annotations

import filetype
from django.utils.translation import gettext as _

# What a file of each extension must start with (its magic bytes, read by ``filetype``); text
# files must be text. An HTML page renamed to .pdf is refused, not served as a PDF.
CONTENT_KINDS = {
    "pdf": {"pdf"},
    "png": {"png"},
    "jpg": {"jpg"},
    "jpeg": {"jpg"},
    "docx": {"docx", "zip"},
    "xlsx": {"xlsx", "zip"},
    "odt": {"odt", "zip"},
    "ods": {"ods", "zip"},
}


def content_problem(upload) -> str | None:
    """Why ``upload`` is not what its extension says (a message for the user), or None."""
    extension = upload.name.rsplit(".", 1)[-1].lower()
    head = upload.read(8192)
    upload.seek(0)
    guessed = filetype.guess(head)
    found = guessed.extension if guessed else None
    if extension in CONTENT_KINDS:
        ok = found in CONTENT_KINDS[extension]
    else:  # txt, csv: readable text, no binary
        ok = found is None and b"\x00" not in head and _is_text(head)
    if ok:
        return None
    return _("%(name)s is geen echt .%(ext)s-bestand (de inhoud past niet bij de naam).") % {
        "name": upload.name,
        "ext": extension,
    }


def _is_text(head: bytes) -> bool:
    for encoding in ("utf-8", "cp1252"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as error:
            if encoding == "utf-8" and error.start >= len(head) - 3:
                return True  # a character cut off at the end of the first 8 KB
            continue
        return True
    return False
