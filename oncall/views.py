"""Rota pages: a schedule's page (calendar, layers and overrides cards), a team's schedules,
creating and editing schedules, adding and removing overrides, "My shifts" and reminder
settings. Layers are in :mod:`oncall.layer_views`, calendar feeds in :mod:`oncall.feed_views`."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from oncall import access, calendar, coverage, selectors, services
from oncall.forms import CalendarForm, OverrideForm, PreferencesForm, ScheduleForm
from oncall.stretches import my_stretches
from oncall.swaps import notes as swap_notes
from portal.forms import apply_validation_error
from portal.people.access import can_manage_team, team_for_manager_or_404
from portal.people.models import Team
from portal.people.selectors import team_members

User = get_user_model()

MY_SHIFT_DAYS = (7, 30, 90)
CHANGED_EVENT = "rotaChanged"


def _override_people(request, schedule):
    """Whom the viewer may put on call: anyone in the team for managers, else themselves."""
    if access.can_manage_schedule(user=request.user, schedule=schedule):
        return team_members(team=schedule.team).select_related("profile").order_by("username")
    return User.objects.filter(pk=request.user.pk).select_related("profile")


# --------------------------------------------------------------------------------------------
# Schedule page
# --------------------------------------------------------------------------------------------


def _calendar_for(request, schedule):
    """The calendar the query asks for, and the query's errors (then the calendar of today:
    the page answers 400 with the errors shown above it)."""
    form = CalendarForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    zone = timezone.get_current_timezone()
    now = timezone.now()
    cal = calendar.build(
        schedule=schedule,
        view=data.get("view") or calendar.DEFAULT_VIEW,
        start_day=data.get("start") or now.astimezone(zone).date(),
        zone=zone,
        viewer_id=request.user.pk,
        now=now,
    )
    return cal, [f"{name}: {m}" for name, errors in form.errors.items() for m in errors]


def layers_context(request, schedule, *, layer_errors=None) -> dict:
    can_manage = access.can_manage_schedule(user=request.user, schedule=schedule)
    layers = selectors.current_layers(schedule=schedule)
    layers.reverse()  # highest (winning) layer first
    for layer in layers:
        layer.error = (layer_errors or {}).get(layer.lineage)
    team_users = []
    if can_manage:
        team_users = list(
            team_members(team=schedule.team).order_by("username").values_list("username", flat=True)
        )
    return {
        "schedule": schedule,
        "layers": layers,
        "can_manage": can_manage,
        "team_users": team_users,
        "layer_errors": layer_errors or {},
    }


def _overrides_context(request, schedule, *, override_form=None) -> dict:
    can_manage = access.can_manage_schedule(user=request.user, schedule=schedule)
    member = access.is_rota_member(user=request.user, schedule=schedule)
    now = timezone.now()
    overrides = list(selectors.upcoming_overrides(schedule=schedule, at=now))
    for o in overrides:
        o.removable = access.can_change_override(user=request.user, override=o, schedule=schedule)
        o.running = o.start <= now
    if override_form is None and member:
        local_now = timezone.localtime(now).replace(second=0, microsecond=0)
        override_form = OverrideForm(
            people=_override_people(request, schedule),
            initial={
                "user": request.user.pk,
                "start": local_now,
                "end": local_now + timedelta(hours=8),
            },
        )
    return {
        "schedule": schedule,
        "overrides": overrides,
        "override_form": override_form,
        "can_manage": can_manage,
        "is_member": member,
    }


def _summary_context(schedule) -> dict:
    """Who is on call now and next, and the coverage gaps ahead (the cards at the top)."""
    now = timezone.now()
    current, upcoming = selectors.schedule_now_next(schedule=schedule, at=now)
    return {
        "schedule": schedule,
        "now_shift": current,
        "next_shift": upcoming,
        "coverage_gaps": coverage.schedule_gaps(schedule=schedule, start=now),
        "coverage_days": coverage.COVERAGE_DAYS,
    }


def detail_response(request, schedule, *, status=200, layer_errors=None, override_form=None):
    can_manage = access.can_manage_schedule(user=request.user, schedule=schedule)
    member = access.is_rota_member(user=request.user, schedule=schedule)
    cal, calendar_errors = _calendar_for(request, schedule)
    if calendar_errors and status == 200:
        status = 400
    context = {
        **_summary_context(schedule),
        "team": schedule.team,
        "cal": cal,
        "calendar_errors": calendar_errors,
        "views": calendar.VIEWS,
        "can_manage": can_manage,
        "is_member": member,
        "has_feed": schedule.ical_token_hash is not None,
        **layers_context(request, schedule, layer_errors=layer_errors),
        **_overrides_context(request, schedule, override_form=override_form),
    }
    return render(request, "oncall/schedule_detail.html", context, status=status)


@login_required
@require_GET
@vary_on_headers("HX-Request", "HX-Target")
def schedule_detail(request, pk):
    schedule = selectors.schedule_detail(pk=pk)
    target = request.htmx.target if request.htmx else None
    if target == "rota-summary":  # reloaded whenever the rota changes (CHANGED_EVENT)
        return render(request, "oncall/schedule_detail.html#summary", _summary_context(schedule))
    if target == "overrides":
        # reloaded whenever a swap changes (accepting one adds overrides)
        return render(
            request,
            "oncall/schedule_detail.html#overrides",
            _overrides_context(request, schedule),
        )
    if target == "calendar":
        cal, calendar_errors = _calendar_for(request, schedule)
        context = {
            "schedule": schedule,
            "cal": cal,
            "calendar_errors": calendar_errors,
            "views": calendar.VIEWS,
        }
        status = 400 if calendar_errors else 200
        return render(request, "oncall/schedule_detail.html#calendar", context, status=status)
    return detail_response(request, schedule)


def after_change(request, schedule, partial: str, context: dict, message: str, status=200):
    """Answer a change: the changed card (htmx, and tell the calendar to reload) or a
    redirect back to the schedule page."""
    if request.htmx:
        response = render(request, f"oncall/schedule_detail.html#{partial}", context, status=status)
        if status == 200:
            trigger_client_event(response, CHANGED_EVENT)
        return response
    messages.success(request, message)
    return redirect(schedule)


# --------------------------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------------------------


@login_required
@require_GET
def team_schedules(request, slug):
    team = get_object_or_404(Team, slug=slug)
    now = timezone.now()
    rows = selectors.team_oncall(team=team, at=now)
    gaps = coverage.schedules_gaps(schedules=[r[0] for r in rows], start=now)
    context = {
        "team": team,
        "rows": [(s, now_shift, next_shift, gaps[s.pk]) for s, now_shift, next_shift in rows],
        "can_manage": can_manage_team(user=request.user, team=team),
        "coverage_days": coverage.COVERAGE_DAYS,
    }
    return render(request, "oncall/team_schedules.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def schedule_create(request, slug):
    team = team_for_manager_or_404(user=request.user, slug=slug)
    form = ScheduleForm(request.POST or None, initial={"time_zone": _viewer_zone(request)})
    if request.method == "POST" and form.is_valid():
        try:
            schedule = services.schedule_create(team=team, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"Schedule {schedule.name} created: now add a layer.")
            return redirect("oncall:layer_create", pk=schedule.pk)
    status = 400 if form.errors else 200
    return render(request, "oncall/schedule_form.html", {"form": form, "team": team}, status=status)


def _viewer_zone(request) -> str:
    profile = getattr(request.user, "profile", None)
    return profile.time_zone if profile is not None else "UTC"


@login_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request, pk):
    schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
    form = ScheduleForm(request.POST or None, instance=schedule)
    if request.method == "POST" and form.is_valid():
        try:
            schedule = services.schedule_update(
                schedule=schedule, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Schedule saved.")
            return redirect(schedule)
    status = 400 if form.errors else 200
    if form.errors:
        schedule.refresh_from_db()
    return render(
        request,
        "oncall/schedule_form.html",
        {"form": form, "team": schedule.team, "schedule": schedule},
        status=status,
    )


# --------------------------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------------------------


@login_required
@require_POST
def override_create(request, pk):
    schedule = access.schedule_for_member_or_404(user=request.user, pk=pk)
    form = OverrideForm(request.POST, people=_override_people(request, schedule))
    if not access.can_manage_schedule(user=request.user, schedule=schedule):
        form.fields["user"].error_messages["invalid_choice"] = (
            "You can add overrides only for yourself: ask a manager to put someone else on call."
        )
    if form.is_valid():
        try:
            services.override_create(schedule=schedule, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
    if form.errors:
        if request.htmx:
            return render(
                request,
                "oncall/schedule_detail.html#overrides",
                _overrides_context(request, schedule, override_form=form),
                status=400,
            )
        return detail_response(request, schedule, status=400, override_form=form)
    return after_change(
        request,
        schedule,
        "overrides",
        _overrides_context(request, schedule),
        "Override added.",
    )


@login_required
@require_POST
def override_remove(request, pk, override_pk):
    override = access.override_for_changer_or_404(
        user=request.user, schedule_pk=pk, pk=override_pk, verb="remove"
    )
    schedule = override.schedule
    try:
        services.override_remove(override=override)
    except ValidationError as exc:
        if request.htmx:
            context = _overrides_context(request, schedule)
            context["override_error"] = " ".join(exc.messages)
            return render(request, "oncall/schedule_detail.html#overrides", context, status=400)
        messages.error(request, " ".join(exc.messages))
        return redirect(schedule)
    return after_change(
        request, schedule, "overrides", _overrides_context(request, schedule), "Override removed."
    )


# --------------------------------------------------------------------------------------------
# Me
# --------------------------------------------------------------------------------------------


@login_required
@require_GET
def my_shifts(request):
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    if days not in MY_SHIFT_DAYS:
        days = 30
    now = timezone.now()
    horizon = now + timedelta(days=days)
    stretches = my_stretches(user=request.user, start=now, end=horizon)
    per_schedule: dict[int, dict] = {}
    for stretch in stretches:
        entry = per_schedule.setdefault(
            stretch.schedule_id, {"schedule": stretch.schedule, "hours": 0}
        )
        entry["hours"] += stretch.window_hours
    notes = None
    if stretches:  # the swaps column: my time off and requests, two queries for all rows
        notes = swap_notes.MyShiftNotes(
            user=request.user, start=now, end=now + swap_notes.MY_SHIFTS_AHEAD
        )
    context = {
        "stretches": stretches,
        "rows": [(s, notes.for_shift(s.shift)) for s in stretches] if notes else [],
        "now": now,
        "horizon": horizon,
        "days": days,
        "day_choices": MY_SHIFT_DAYS,
        "total_hours": sum(s.window_hours for s in stretches),
        "per_schedule": sorted(per_schedule.values(), key=lambda e: e["schedule"].name),
    }
    return render(request, "oncall/my_shifts.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    prefs = services.preferences_for(user=request.user)
    form = PreferencesForm(
        request.POST or None,
        initial={
            "reminder_lead_minutes": prefs.reminder_lead_minutes,
            "day_before": prefs.day_before,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_update(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Reminder settings saved.")
            return redirect("people:profile")
    return render(
        request,
        "oncall/preferences.html",
        {"form": form, "prefs": prefs, "has_feed": prefs.ical_token_hash is not None},
        status=400 if form.errors else 200,
    )
