from django import template

from fund.audit_labels import ValueFormatter, describe_changes
from fund.audit_labels import action_label as _action_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return _action_label(action)


@register.simple_tag(takes_context=True)
def audit_changes(context, event) -> dict:
    """``{% audit_changes event as changes %}``: the event's labelled changes, facts and
    unchanged fields (see :func:`fund.audit_labels.describe_changes`). Names of users and
    objects are looked up once per page."""
    formatter = context.render_context.setdefault("audit_formatter", ValueFormatter())
    return describe_changes(event.action, event.before, event.after, formatter)
