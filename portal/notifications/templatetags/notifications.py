"""Template tags behind the two includes other pages carry (the nav badge and the profile
section; they query for themselves, so the pages that include them need not know), and the
inbox's way of showing a message."""

from django import template

from portal.notifications import selectors
from portal.notifications.display import InboxEntry
from portal.notifications.display import inbox_entry as _inbox_entry
from portal.notifications.forms import ContactMethodForm
from portal.notifications.models import Kind

register = template.Library()


def profile_section_context(*, user, add_form=None, pref_form=None) -> dict:
    methods = selectors.contact_methods(user=user)
    return {
        "user": user,
        "methods": methods,
        "kinds": Kind.choices,
        "add_form": add_form or ContactMethodForm(),
        "pref_form": pref_form,
        "unreachable": not any(m.is_working for m in methods),
    }


@register.inclusion_tag("notifications/profile_section.html", takes_context=True)
def notifications_profile_section(context):
    return profile_section_context(user=context["request"].user)


@register.inclusion_tag("notifications/_badge.html", takes_context=True)
def unread_badge(context):
    return {"unread_count": selectors.unread_count(user=context["request"].user)}


@register.filter
def inbox_entry(message) -> InboxEntry:
    """``{% with entry=message|inbox_entry %}``: the message as the inbox shows it."""
    return _inbox_entry(message)
