"""Swap and cover pages: the swaps page, asking, one-click answers (htmx, no reload), a
request's page with its history, and time off. Thin: parse, check access, call, render."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from oncall import access as rota_access
from oncall.swaps import access, services
from oncall.swaps import time_off as time_off_services
from oncall.swaps.actions import actions_for, with_actions
from oncall.swaps.clashes import schedule_swaps, team_clashes, upcoming_time_off
from oncall.swaps.eligibility import candidates, swappable_shifts
from oncall.swaps.forms import RejectForm, ShiftRefForm, SwapRequestForm, TimeOffForm
from oncall.swaps.lists import (
    history,
    my_requests,
    open_requests_for,
    requests_to_me,
    take_reasons,
    team_requests,
    team_schedules_of,
)
from oncall.swaps.models import SwapRequest, TimeOff
from oncall.swaps.one_request import request_detail, request_events, request_overrides
from portal.forms import apply_validation_error
from portal.people.selectors import team_members

User = get_user_model()
CHANGED_EVENT = "swapChanged"
ROTA_CHANGED_EVENT = "rotaChanged"  # what the schedule page's calendar listens to


def _shift_ref(request, data):
    """The schedule, holder and shift a request is about, from a link's parameters."""
    form = ShiftRefForm(data)
    if not form.is_valid():
        return None, None, None, form
    schedule = access.schedule_for_asker_or_404(user=request.user, pk=form.cleaned_data["schedule"])
    holder_id = form.cleaned_data.get("user") or request.user.pk
    if not access.can_ask_for(user=request.user, requester_id=holder_id, schedule=schedule):
        raise PermissionDenied("Only a manager can ask for cover for somebody else.")
    holder = get_object_or_404(User.objects.select_related("profile"), pk=holder_id)
    return schedule, holder, form.cleaned_data, form


def _next_minute(now):
    return now.replace(second=0, microsecond=0) + timedelta(minutes=1)


# --------------------------------------------------------------------------------------------
# Swaps page
# --------------------------------------------------------------------------------------------


@login_required
@require_GET
def page(request):
    user = request.user
    now = timezone.now()
    managed = access.teams_managed_on_swaps_page(user=user)
    managed_ids = {t.pk for t in managed}
    clashes = team_clashes(teams={*user.teams.all(), *managed}, now=now)
    my_clashes = [c for c in clashes if c.shift.user_id == user.pk]
    others_clashes = [
        c for c in clashes if c.shift.user_id != user.pk and c.shift.schedule.team_id in managed_ids
    ]
    rows = {
        "to_me": requests_to_me(user=user, now=now),
        "mine": my_requests(user=user, now=now),
        "open": open_requests_for(user=user, now=now, reasons=False),
        "team": team_requests(user=user, now=now) if managed else [],
    }
    with_actions(user=user, requests=[r for items in rows.values() for r in items], now=now)
    context = {
        **rows,
        "history": history(user=user, closed_only=True),
        "my_clashes": my_clashes,
        "team_clashes": others_clashes,
        "is_manager": bool(managed),
        "now": now,
    }
    return render(request, "swaps/page.html", context)


@login_required
@require_GET
def schedule_card(request, pk):
    """The swaps card under a schedule's calendar (loaded by htmx after the page, and again
    whenever a swap changes)."""
    user = request.user
    schedule = access.schedule_for_swaps_viewer_or_404(user=user, pk=pk)
    data = schedule_swaps(schedule=schedule, user=user)
    context = {
        "schedule": schedule,
        "manager": rota_access.can_manage_schedule(user=user, schedule=schedule),
        "card": data,
    }
    return render(request, "swaps/_schedule_card.html", context)


# --------------------------------------------------------------------------------------------
# Asking
# --------------------------------------------------------------------------------------------


def _new_form(request, schedule, holder, ref, data, now):
    people = (
        team_members(team=schedule.team)
        .exclude(pk=holder.pk)
        .select_related("profile")
        .order_by("username")
    )
    start = max(ref["shift_start"], _next_minute(now))
    initial = {"start": timezone.localtime(start), "end": timezone.localtime(ref["shift_end"])}
    return SwapRequestForm(
        data,
        people=people,
        swap_shifts=swappable_shifts(schedule=schedule, requester_id=holder.pk, now=now),
        can_assign=access.can_assign(user=request.user, schedule=schedule),
        initial=initial,
    )


def _range(data, ref, now):
    """The part of the shift being given away as typed so far (default: the rest of it)."""
    start, end = max(ref["shift_start"], _next_minute(now)), ref["shift_end"]
    probe = SwapRequestForm(data, people=User.objects.none(), swap_shifts=[], can_assign=False)
    probe.is_valid()
    return probe.cleaned_data.get("start") or start, probe.cleaned_data.get("end") or end


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def new(request):
    """Ask for cover or propose a swap for one shift (from the calendar or "My shifts"). The
    suggestions refresh (htmx) as the time range is edited."""
    schedule, holder, ref, ref_form = _shift_ref(request, request.GET)
    if schedule is None:
        context = {
            "bare": not request.GET,
            "problems": [
                message
                for errors in ref_form.errors.as_data().values()
                for error in errors
                if error.code != "required"
                for message in error.messages
            ],
            "schedules": team_schedules_of(user=request.user),
        }
        return render(request, "swaps/bad_link.html", context, status=400)
    now = timezone.now()
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        if data.get("ask"):  # "Ask Carol" from the suggestions: a cover request to her
            data["target"] = data["ask"]
            data["kind"] = SwapRequest.Kind.COVER
    form = _new_form(request, schedule, holder, ref, data, now)
    if request.method == "POST" and form.is_valid():
        try:
            swap = services.swap_request_create(
                schedule=schedule,
                requester=holder,
                by=request.user,
                shift_start=ref["shift_start"],
                shift_end=ref["shift_end"],
                now=now,
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if swap.status == SwapRequest.Status.ACCEPTED:
                messages.success(request, "Done: the shift is reassigned and in the calendar.")
            else:
                messages.success(request, "Request sent: you will hear as soon as it is answered.")
            return redirect(swap)
    start, end = _range(data or request.GET, ref, now)
    suggestions = []
    if start < end:
        suggestions = candidates(
            schedule=schedule, start=start, end=end, exclude_user_ids=[holder.pk], now=now
        )
    form.show_load({c.user.pk: c.load_hours for c in suggestions})
    context = {
        "schedule": schedule,
        "holder": holder,
        "ref": ref,
        "for_someone_else": holder.pk != request.user.pk,
        "form": form,
        "suggestions": suggestions,
        "query": request.GET.urlencode(),
        "start": start,
        "end": end,
    }
    if request.htmx and request.method == "GET" and request.htmx.target == "suggestions":
        return render(request, "swaps/new.html#suggestions", context)
    return render(request, "swaps/new.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def quick(request):
    """One click: ask the whole team to cover a shift (from a time-off clash)."""
    schedule, holder, ref, ref_form = _shift_ref(request, request.POST)
    if schedule is None:
        return _fragment(request, error="This link is broken: open the shift again.", status=400)
    now = timezone.now()
    try:
        swap = services.swap_request_create(
            schedule=schedule,
            requester=holder,
            by=request.user,
            shift_start=ref["shift_start"],
            shift_end=ref["shift_end"],
            start=max(ref["shift_start"], _next_minute(now)),
            end=ref["shift_end"],
            reason=request.POST.get("reason", "")[:300],
            now=now,
        )
    except ValidationError as exc:
        return _fragment(request, error=" ".join(exc.messages), status=400)
    if request.htmx:
        return _fragment(request, swap=swap)
    messages.success(request, "Cover requested from everyone eligible on the team.")
    return redirect(swap)


def _fragment(request, *, swap=None, error="", status=200):
    if not request.htmx:
        messages.error(request, error)
        return redirect("swaps:page")
    response = render(
        request, "swaps/_quick_result.html", {"swap": swap, "error": error}, status=status
    )
    return trigger_client_event(response, CHANGED_EVENT) if swap else response


# --------------------------------------------------------------------------------------------
# A request
# --------------------------------------------------------------------------------------------


def _detail_context(request, swap, *, error="", reject_form=None):
    now = timezone.now()
    if not error:  # a refused change already says why
        take_reasons(user=request.user, requests=[swap], now=now)
    actions = actions_for(user=request.user, request=swap, now=now)
    suggestions = []
    manager = access.can_manage_request(user=request.user, request=swap)
    if (
        swap.status == SwapRequest.Status.PENDING
        and swap.target_id is None
        and swap.expires_at > now
        and (request.user.pk in (swap.requester_id, swap.created_by_id) or manager)
    ):
        suggestions = candidates(
            schedule=swap.schedule,
            start=swap.start,
            end=swap.end,
            exclude_user_ids=[swap.requester_id],
            now=now,
        )
    return {
        "swap": swap,
        "actions": actions,
        "error": error,
        "events": request_events(request=swap),
        "overrides": request_overrides(request=swap),
        "suggestions": suggestions,
        "reject_form": reject_form or RejectForm(),
        "now": now,
    }


# The parts of a request's page that reload themselves whenever a swap changes
# (CHANGED_EVENT): an element's id -> its partial in swaps/detail.html.
DETAIL_PANELS = {
    "request-facts": "facts",
    "request-reject": "reject",
    "history": "history",
    "suggestions": "suggestions",
}


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def detail(request, pk):
    swap = access.request_for_viewer_or_404(user=request.user, pk=pk)
    template = "swaps/detail.html"
    panel = DETAIL_PANELS.get(request.htmx.target) if request.htmx else None
    if panel:
        template += f"#{panel}"
    return render(request, template, _detail_context(request, swap))


def _answer(request, pk, change):
    """Run a state change (``change(swap)`` returns what to tell the viewer) and answer: the
    request's action block (htmx, swapped in place in the inbox or on the swaps page) or a
    redirect; a refused change is a 400 with the reason and nothing changed."""
    swap = access.request_for_viewer_or_404(user=request.user, pk=pk)
    try:
        done = change(swap)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        swap = request_detail(pk=pk)
        if request.htmx:
            return _actions_response(request, swap, error=error, status=400)
        return render(
            request,
            "swaps/detail.html",
            _detail_context(request, swap, error=error),
            status=400,
        )
    swap = request_detail(pk=pk)
    if request.htmx:
        response = _actions_response(request, swap, note=done)
        trigger_client_event(response, CHANGED_EVENT)
        return trigger_client_event(response, ROTA_CHANGED_EVENT)  # the calendar reloads
    messages.success(request, done)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(swap)


def _actions_response(request, swap, *, note="", error="", status=200):
    context = {
        "swap": swap,
        "actions": actions_for(user=request.user, request=swap),
        "note": note,
        "error": error,
    }
    return render(request, "swaps/_actions.html", context, status=status)


@login_required
@require_POST
def accept(request, pk):
    def change(swap):
        swap = services.swap_request_accept(request=swap, by=request.user)
        if swap.status == SwapRequest.Status.AWAITING_APPROVAL:
            return "Accepted: a manager must approve it before it takes effect."
        return "Accepted: the shift is yours and it is in the calendar."

    return _answer(request, pk, change)


@login_required
@require_POST
def decline(request, pk):
    def change(swap):
        services.swap_request_decline(request=swap, by=request.user)
        return "Declined." if swap.target_id else "Passed: it no longer shows in your lists."

    return _answer(request, pk, change)


@login_required
@require_POST
def withdraw(request, pk):
    def change(swap):
        services.swap_request_withdraw(request=swap, by=request.user)
        return "Withdrawn: nothing changes on the rota."

    return _answer(request, pk, change)


@login_required
@require_POST
def approve(request, pk):
    def change(swap):
        services.swap_request_approve(request=swap, by=request.user)
        return "Approved: the change is in the calendar."

    return _answer(request, pk, change)


@login_required
@require_POST
def reject(request, pk):
    form = RejectForm(request.POST)
    note = form.cleaned_data.get("note", "") if form.is_valid() else ""

    def change(swap):
        services.swap_request_reject(request=swap, by=request.user, note=note)
        return "Rejected: the rota stays as it was."

    return _answer(request, pk, change)


@login_required
@require_POST
def revert(request, pk):
    def change(swap):
        swap = services.swap_request_revert(request=swap, by=request.user)
        if swap.status == SwapRequest.Status.ACCEPTED:
            return "Asked: it is undone once the other person confirms."
        return "Reverted: the rota is back as it was."

    return _answer(request, pk, change)


# --------------------------------------------------------------------------------------------
# Time off
# --------------------------------------------------------------------------------------------


def _time_off_context(request, form=None) -> dict:
    zone = timezone.get_current_timezone()
    return {
        "time_off": upcoming_time_off(user=request.user),
        "time_off_form": form or TimeOffForm(zone=zone),
    }


@login_required
@require_http_methods(["GET", "POST"])
def time_off(request):
    if request.method == "GET":
        return render(request, "swaps/time_off.html", _time_off_context(request))
    form = TimeOffForm(request.POST, zone=timezone.get_current_timezone())
    if form.is_valid():
        try:
            time_off_services.time_off_create(
                user=request.user,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
    if form.errors:
        template = "swaps/_time_off.html" if request.htmx else "swaps/time_off.html"
        return render(request, template, _time_off_context(request, form), status=400)
    if request.htmx:
        response = render(request, "swaps/_time_off.html", _time_off_context(request))
        return trigger_client_event(response, CHANGED_EVENT)
    messages.success(request, "Time off saved. Shifts that clash with it are flagged.")
    return redirect("swaps:time_off")


@login_required
@require_POST
def time_off_delete(request, pk):
    row = get_object_or_404(TimeOff, pk=pk)
    time_off_services.time_off_delete(time_off=row, by=request.user)
    if request.htmx:
        return render(request, "swaps/_time_off.html", _time_off_context(request))
    messages.success(request, "Time off removed.")
    return redirect("swaps:time_off")
