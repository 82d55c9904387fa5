"""Template helpers of the postmortems area, and the box it adds to the incident page:

{% load postmortems %}
{% incident_postmortem_box incident %}
"""

from datetime import timedelta

from django import template
from django.utils import timezone

from incidents.postmortems import access, reminders, selectors
from incidents.postmortems.export import format_duration
from incidents.postmortems.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str):
    """Markdown rendered to sanitised HTML."""
    return render_markdown(text or "")


@register.filter
def duration(delta: timedelta | None) -> str:
    return format_duration(delta)


@register.inclusion_tag("postmortems/_incident_box.html", takes_context=True)
def incident_postmortem_box(context, incident):
    """The incident page's postmortem box: a link to it and its action items, or the
    one-click "Start postmortem" button (and when it is due, for SEV1/SEV2)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    postmortem = selectors.postmortem_of_incident(incident=incident)
    items = []
    if postmortem:
        found = selectors.incident_action_items(incident=incident)
        if user is not None:
            found = access.items_visible_to(found, user=user)
        items = list(found[:50])
    due_at = None
    if postmortem is None and incident.severity <= 2 and incident.resolved_at:
        days = selectors.settings_for(team=incident.team).postmortem_due_business_days
        due_at = reminders.postmortem_due_at(incident=incident, business_days=days)
    can_read = bool(postmortem and user and access.can_read(user=user, postmortem=postmortem))
    return {
        "incident": incident,
        "postmortem": postmortem,
        "can_read": can_read,
        "can_start": postmortem is None
        and user is not None
        and access.can_start(user=user, incident=incident),
        "items": items,
        "due_at": due_at,
        "overdue_pm": bool(due_at and due_at <= timezone.now()),
        "today": timezone.localdate(),
        "csrf_token": context.get("csrf_token"),
    }
