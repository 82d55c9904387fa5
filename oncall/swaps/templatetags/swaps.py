"""Tags behind the small includes other pages carry (the inbox, "My shifts", the schedule page,
the profile). They query for themselves, once per page, so those pages need not know swaps."""

from __future__ import annotations

import re
from datetime import timedelta

from django import template
from django.utils import timezone

from oncall.swaps.actions import actions_for, can_view
from oncall.swaps.clashes import upcoming_time_off
from oncall.swaps.duty import person as person_name
from oncall.swaps.forms import TimeOffForm, iso
from oncall.swaps.lists import requests_qs, take_reasons
from oncall.swaps.models import SwapRequest
from oncall.swaps.notes import MyShiftNotes

register = template.Library()

# Messages about a request carry its id in their dedup key: "swap:<id>:…", "swap-remind:<id>:…".
REQUEST_KEY = re.compile(r"^swap(?:-remind)?:(\d+):")
# "My shifts" looks at most this far ahead.
MY_SHIFTS_AHEAD = timedelta(days=92)


@register.filter
def isoutc(moment) -> str:
    """A datetime as ``2024-06-03T09:00:00Z`` for links."""
    return iso(moment) if moment else ""


@register.filter
def person(user) -> str:
    return person_name(user)


def request_id_of(message) -> int | None:
    match = REQUEST_KEY.match(message.dedup_key or "")
    return int(match.group(1)) if match else None


def _inbox_requests(context) -> dict[int, SwapRequest]:
    """Every request the inbox page's messages are about, loaded in one query and kept on the
    HTTP request for the rest of the page."""
    request = context["request"]
    cache = getattr(request, "_swaps_inbox_requests", None)
    if cache is not None:
        return cache
    messages = []
    page = context.get("page")
    if page is not None:
        messages = list(getattr(page, "object_list", []))
    if "message" in context:
        messages.append(context["message"])
    ids = {i for i in (request_id_of(m) for m in messages if m.kind == "swap") if i}
    cache = requests_qs().in_bulk(list(ids))
    take_reasons(user=request.user, requests=list(cache.values()))
    request._swaps_inbox_requests = cache
    return cache


@register.inclusion_tag("swaps/_actions.html", takes_context=True)
def swap_inbox_actions(context, message):
    """Accept / decline / approve … for the request a message is about, live: once taken,
    withdrawn or expired, the buttons are gone and the state says why."""
    request_id = request_id_of(message)
    swap = _inbox_requests(context).get(request_id) if request_id else None
    if swap is None:
        return {"swap": None}
    user = context["request"].user
    if not can_view(user=user, request=swap):
        return {"swap": None}
    return {
        "swap": swap,
        "actions": actions_for(user=user, request=swap),
        "compact": True,
        "user": user,
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
