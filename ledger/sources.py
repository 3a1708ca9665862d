"""What caused a journal entry: each app registers the source types it posts under.

An entry names its cause with ``source_type`` (for example ``loans.repayment``) and
``source_id``/``source_ref``. The ledger does not know the apps above it, so each app
registers, in its ``AppConfig.ready``, a label for every source type it posts and a finder
that leads from an entry to the object behind it (docs/ledger.md, "Sources"). The journal,
the entry page and the exports read labels and objects here, so a new kind of posting is
labelled and traceable the moment its app registers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Traced:
    """The object behind an entry: ``obj`` is shown, ``detail`` beside it, ``link`` is the
    object whose page the entry links to (often ``obj`` itself)."""

    obj: object
    detail: object = None
    link: object = None


Finder = Callable[[object], Traced | None]


@dataclass(frozen=True)
class Source:
    label: str
    find: Finder | None = None


_SOURCES: dict[str, Source] = {}


def register_source(source_type: str, label, find: Finder | None = None) -> None:
    """Register ``source_type`` (``<app>.<kind>``) with its label and finder; once."""
    known = _SOURCES.get(source_type)
    if known is not None and (known.label, known.find) != (label, find):
        raise ValueError(f"journal source {source_type!r} is registered twice")
    _SOURCES[source_type] = Source(label=label, find=find)


def source_types() -> list[str]:
    return sorted(_SOURCES)


def source_label(source_type: str) -> str:
    """The reader's word for a source type; an unregistered one shows as it is stored."""
    if not source_type:
        return str(_("(geen bron)"))
    known = _SOURCES.get(source_type)
    return str(known.label) if known else source_type


def trace(entry) -> Traced | None:
    """The object behind ``entry``; a reversal is traced through the entry it reverses."""
    target = entry.reversal_of or entry
    known = _SOURCES.get(target.source_type)
    if known is None or known.find is None:
        return None
    return known.find(target)


register_source("demo", _("Demogegevens"))
