"""Tags behind the small includes other pages carry (the inbox, "My shifts", the schedule page,
the profile). The inbox's tag shows what the inbox loaded beforehand; the others query for
themselves, once per page, so those pages need not know swaps."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone

from oncall.swaps.clashes import upcoming_time_off
from oncall.swaps.forms import TimeOffForm, iso
from oncall.swaps.notes import MyShiftNotes
from portal.people.names import person_name

register = template.Library()

# "My shifts" looks at most this far ahead.
MY_SHIFTS_AHEAD = timedelta(days=92)


@register.filter
def isoutc(moment) -> str:
    """A datetime as ``2024-06-03T09:00:00Z`` for links."""
    return iso(moment) if moment else ""


@register.filter
def person(user) -> str:
    return person_name(user, nobody="nobody")


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


def _my_notes(context) -> MyShiftNotes:
    request = context["request"]
    notes = getattr(request, "_swaps_my_notes", None)
    if notes is None:
        now = timezone.now()
        notes = MyShiftNotes(user=request.user, start=now, end=now + MY_SHIFTS_AHEAD)
        request._swaps_my_notes = notes
    return notes


@register.inclusion_tag("swaps/_shift_cell.html", takes_context=True)
def swap_shift_cell(context, shift):
    """For one of my shifts: a time-off clash flag, my open requests about it, and the
    "ask for cover" / "propose a swap" buttons (one click when it clashes)."""
    info = _my_notes(context).for_shift(shift)
    return {
        "shift": shift,
        "info": info,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("swaps/_shift_cell.html", takes_context=True)
def swap_shift_actions(context, shift, info):
    """The same, for a shift whose ``ShiftInfo`` the page has already worked out."""
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
