"""Where an object's page is: each app registers the detail page of its models, so any page
can link an audit event or a journal source to its object without importing the app that
owns it (the ledger is the lowest floor; see ledger/sources.py for the journal's sources).
"""

from __future__ import annotations

from collections import defaultdict

from django.apps import apps
from django.urls import NoReverseMatch, reverse

# URL name and the keyword arguments to try, per model label (``fund.grant``).
_PAGES: dict[str, tuple[str, tuple[str, ...]]] = {}


def register_page(label: str, url_name: str, keys: tuple[str, ...]) -> None:
    _PAGES[label] = (url_name, keys)


def try_reverse(name: str, *args, **kwargs) -> str:
    """``reverse`` that gives ``""`` instead of raising when the page does not exist."""
    try:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


def object_url(obj) -> str:
    """Link to the detail page of ``obj``, or ``""`` when it has none."""
    if obj is None or not hasattr(obj, "_meta"):
        return ""
    spec = _PAGES.get(obj._meta.label_lower)
    if spec is None:
        return ""
    name, keys = spec
    for key in keys:
        value = getattr(obj, key, None)
        if value in (None, ""):
            continue
        url = try_reverse(name, **{key: value})
        if url:
            return url
    return ""


def audit_object_urls(events) -> dict[tuple[str, str], str]:
    """Links for the objects of audit events, by ``(object_type, object_id)``.

    One query per object type on the page, loading only the keys the URLs need.
    """
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if event.object_type in _PAGES and str(event.object_id).isdigit():
            wanted[event.object_type].add(int(event.object_id))
    urls: dict[tuple[str, str], str] = {}
    for label, pks in wanted.items():
        model = apps.get_model(label)
        fields = [key for key in _PAGES[label][1] if key != "pk"]
        for obj in model._base_manager.filter(pk__in=pks).only(*fields):
            url = object_url(obj)
            if url:
                urls[(label, str(obj.pk))] = url
    return urls
