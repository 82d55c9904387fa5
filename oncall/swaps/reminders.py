"""Periodic work on requests and time off, run by Celery beat (see ``oncall.swaps.tasks``):

* open requests expire when their shift starts, and the requester is told;
* the requester of a request still open is reminded 3 days, 1 day and 12 hours before;
* shifts that clash with someone's time off are flagged to them and their team's managers.

Every message carries a dedup key, so a tick that runs twice (or two beat processes at once)
sends nothing twice; each expiry locks its row and skips rows another run holds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from oncall.swaps.duty import Duty, duties
from oncall.swaps.history import event_record, request_save
from oncall.swaps.messages import clash_key, remind_key, request_text, span_text, tell
from oncall.swaps.models import SwapEvent, SwapRequest, TimeOff
from oncall.swaps.one_request import requests_qs
from portal.notifications.models import Kind
from portal.notifications.services import notify
from portal.people.models import Membership
from portal.people.names import person_name
from portal.people.selectors import team_managers
from portal.timefmt import in_message

User = get_user_model()
# Smallest first: the reminder due is the smallest threshold the time left has passed.
REMINDERS = (("12h", timedelta(hours=12)), ("1d", timedelta(days=1)), ("3d", timedelta(days=3)))
EXPIRE_BATCH = 500
# Clashes are looked for this far ahead; stretches are read from this far back so a running
# stretch is whole (its start, part of the message's key, does not move with "now").
CLASH_HORIZON = timedelta(days=90)
CLASH_LOOKBEHIND = timedelta(days=35)


def swap_requests_expire(*, now: datetime | None = None) -> int:
    """Mark open requests whose shift has started as expired and tell the requester (and a
    taker who waited for approval). Returns how many expired in this run."""
    now = now or timezone.now()
    due = list(
        SwapRequest.objects.filter(
            status__in=SwapRequest.OPEN_STATUSES, expires_at__lte=now
        ).values_list("pk", flat=True)[:EXPIRE_BATCH]
    )
    expired = 0
    for pk in due:
        with transaction.atomic():
            locked = (
                SwapRequest.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=pk, status__in=SwapRequest.OPEN_STATUSES, expires_at__lte=now)
                .first()
            )
            if locked is None:  # done by another run, or being changed right now
                continue
            request = requests_qs().get(pk=pk)
            request.status = SwapRequest.Status.EXPIRED
            request_save(request, now, "status")
            event_record(request, actor=None, action=SwapEvent.Action.EXPIRED, now=now)
            for user in {request.requester, request.taker} - {None}:
                tell(
                    request,
                    user,
                    "expired",
                    f"Expired: request about {request.schedule.name}",
                    f"The shift started before anyone took it, so the request about "
                    f"{request_text(request, user)} expired. "
                    f"{person_name(request.requester)} stays on call.",
                )
            expired += 1
    return expired


def swap_reminders_send(*, now: datetime | None = None) -> int:
    """Remind requesters (and, while a request waits for approval, the team's managers) that a
    request is still open 3 days, 1 day and 12 hours before it expires. Returns how many
    reminders were due (sent now or before)."""
    now = now or timezone.now()
    longest = REMINDERS[-1][1]
    due = 0
    requests = requests_qs().filter(
        status__in=SwapRequest.OPEN_STATUSES, expires_at__gt=now, expires_at__lte=now + longest
    )
    for request in requests:
        left = request.expires_at - now
        label, threshold = next((lbl, t) for lbl, t in REMINDERS if left <= t)
        if request.created_at > request.expires_at - threshold:
            continue  # asked after this point: the requester knows how little time is left
        due += 1
        waiting = (
            "nobody has taken it yet"
            if request.status == SwapRequest.Status.PENDING
            else f"{person_name(request.taker)} accepted; it waits for a manager's approval"
        )
        user = request.requester
        if user.is_active:
            notify(
                user=user,
                kind=Kind.SWAP,
                dedup_key=remind_key(request.pk, label),
                subject=f"Still open: your request about {request.schedule.name}",
                body=(
                    f"Your request about {request_text(request, user)} is still open: {waiting}. "
                    f"It expires when the shift starts, {in_message(request.expires_at, user)}."
                ),
                url=request.get_absolute_url(),
            )
        if request.status == SwapRequest.Status.AWAITING_APPROVAL:
            for manager in team_managers(team=request.schedule.team).select_related("profile"):
                notify(
                    user=manager,
                    kind=Kind.SWAP,
                    dedup_key=remind_key(request.pk, label, manager.pk),
                    subject=f"Waiting for your approval: {request.schedule.name}",
                    body=(
                        f"{person_name(request.taker)} would take "
                        f"{request_text(request, manager)} from "
                        f"{person_name(request.requester)}. Approve or reject it before "
                        f"{in_message(request.expires_at, manager)}."
                    ),
                    url=request.get_absolute_url(),
                )
    return due


def time_off_clashes_notify(*, rows: list[TimeOff] | None = None, now=None) -> int:
    """Tell people whose stretch of duty meets their time off, and their team's managers, once
    per clash. ``rows`` defaults to every time off in the next 90 days. Returns how many
    clashes were found."""
    now = now or timezone.now()
    horizon = now + CLASH_HORIZON
    if rows is None:
        rows = list(TimeOff.objects.filter(end__gt=now, start__lt=horizon))
    rows = [r for r in rows if r.end > now and r.start < horizon]
    if not rows:
        return 0
    by_user: dict[int, list[TimeOff]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    duty = duties(
        user_ids=list(by_user),
        start=min(r.start for r in rows) - CLASH_LOOKBEHIND,
        end=min(max(r.end for r in rows), horizon),
    )
    found = []  # (time off, schedule, stretch start, stretch end)
    for user_id, user_rows in by_user.items():
        for start, end, schedule in _stretches(duty.get(user_id, [])):
            if end <= now:
                continue
            for row in user_rows:
                if start < row.end and row.start < end:
                    found.append((row, schedule, start, end))
    if not found:
        return 0
    team_ids = {schedule.team_id for _, schedule, _, _ in found}
    managers: dict[int, list] = defaultdict(list)
    for m in Membership.objects.filter(
        team_id__in=team_ids, role=Membership.Role.MANAGER, user__is_active=True
    ).select_related("user__profile"):
        managers[m.team_id].append(m.user)
    holders = {u.pk: u for u in User.objects.filter(pk__in=list(by_user)).select_related("profile")}
    url = reverse("swaps:page") + "#clashes"
    for row, schedule, start, end in found:
        holder = holders[row.user_id]
        clash_start = max(start, row.start)
        if holder.is_active:
            notify(
                user=holder,
                kind=Kind.SWAP,
                dedup_key=clash_key(row, schedule.pk, clash_start, holder.pk),
                subject=f"Your time off clashes with a shift on {schedule.name}",
                body=(
                    f"You are on call for {schedule.name} {span_text(start, end, holder)}, "
                    f"during your time off ({span_text(row.start, row.end, holder)}). "
                    "Ask for cover in one click from the swaps page or My shifts."
                ),
                url=url,
            )
        for manager in managers.get(schedule.team_id, []):
            if manager.pk == holder.pk:
                continue
            notify(
                user=manager,
                kind=Kind.SWAP,
                dedup_key=clash_key(row, schedule.pk, clash_start, manager.pk),
                subject=f"{person_name(holder)} is on time off during a shift on {schedule.name}",
                body=(
                    f"{person_name(holder)} is on call for {schedule.name} "
                    f"{span_text(start, end, manager)} but has time off "
                    f"{span_text(row.start, row.end, manager)}. Ask for cover for them in one "
                    "click from the swaps page."
                ),
                url=url,
            )
    return len(found)


def _stretches(duty: list[Duty]):
    """Touching pieces of one schedule joined into stretches: ``(start, end, schedule)``."""
    merged: list[list] = []
    for d in sorted(duty, key=lambda d: (d.schedule.pk, d.start)):
        last = merged[-1] if merged else None
        if last is not None and last[2].pk == d.schedule.pk and last[1] == d.start:
            last[1] = d.end
        else:
            merged.append([d.start, d.end, d.schedule])
    return [tuple(m) for m in merged]
