"""Tags behind the small includes other pages carry (the inbox, "My shifts", the schedule page,
the profile). The inbox and "My shifts" load what their tags show beforehand; the profile's
time-off section still loads its own rows."""

from __future__ import annotations

from django import template
from django.utils import timezone

from oncall.swaps.clashes import upcoming_time_off
from oncall.swaps.forms import TimeOffForm, iso

register = template.Library()


@register.filter
def isoutc(moment) -> str:
    """A datetime as ``2024-06-03T09:00:00Z`` for links."""
    return iso(moment) if moment else ""


@register.inclusion_tag("swaps/_actions.html", takes_context=True)
def swap_inbox_actions(context, message):
    """Accept / decline / approve … for the request a message is about, live: once taken,
    withdrawn or expired, the buttons are gone and the state says why. The inbox loaded the
    request and the buttons beforehand (:func:`oncall.swaps.inbox.inbox_messages_prepare`)."""
    swap = getattr(message, "swap_request", None)
    if swap is None:
        return {"swap": None}
    return {
        "swap": swap,
        "actions": message.swap_actions,
        "compact": True,
        "user": context["request"].user,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("swaps/_shift_cell.html", takes_context=True)
def swap_shift_actions(context, shift, info):
    """For one of my shifts: a time-off clash flag, my open requests about it, and the
    "ask for cover" / "propose a swap" buttons (one click when it clashes), from the
    ``ShiftInfo`` the page worked out beforehand."""
    return {
        "shift": shift,
        "info": info,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("swaps/_time_off.html", takes_context=True)
def swaps_time_off_section(context):
    request = context["request"]
    return {
        "time_off": upcoming_time_off(user=request.user),
        "time_off_form": TimeOffForm(zone=timezone.get_current_timezone()),
        "csrf_token": context.get("csrf_token"),
    }
