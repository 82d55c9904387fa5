"""Pages of the reports area: the team load review (and its CSV exports), the weekly on-call
review, the team's noisiest services, the team's holiday list and the service feedback panel
(for its htmx period choice).

Access: the team's members and staff see the reports; only managers and staff see other
people's rows, the per-person charts and flags, and the compensation export.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import bounds
from portal.catalog.access import service_for_member_or_403
from portal.forms import apply_validation_error
from portal.people.access import can_manage_team, team_for_manager_or_404, team_for_member_or_403
from portal.reports import access, exports, panels, selectors, services, svg, weekly
from portal.reports.forms import HolidayForm, period_form
from portal.reports.load import team_load
from portal.reports.noise import team_service_ranking


def _period(request):
    """``(form, start, end, label)``; start/end are None when the form is invalid."""
    form = period_form(request.GET)
    if not form.is_valid():
        return form, None, None, ""
    start, end, label = form.bounds(now=timezone.now(), zone=timezone.get_current_timezone())
    return form, start, end, label


def _hours_rows(load, people, can_manage):
    def row(name, split, divisor=1):
        return (
            name,
            split.working.total_seconds() / 3600 / divisor,
            split.off.total_seconds() / 3600 / divisor,
            split.sleep.total_seconds() / 3600 / divisor,
        )

    rows = [row(p.name, p.hours) for p in people if p.on_rota or p.hours.total]
    if not can_manage and load.rota_size:
        rows.append(row("Team average", load.hours, load.rota_size))
    return rows


@login_required
@require_GET
def load_review(request, slug):
    team = team_for_member_or_403(user=request.user, slug=slug)
    can_manage = can_manage_team(user=request.user, team=team)
    form, start, end, label = _period(request)
    context = {"team": team, "form": form, "can_manage": can_manage, "label": label}
    template = "reports/load_review.html#report" if request.htmx else "reports/load_review.html"
    if start is None:
        return render(request, template, context, status=400)
    load = team_load(team=team, start=start, end=end)
    people = access.visible_people(load=load, user=request.user, can_manage=can_manage)
    context.update(
        {
            "load": load,
            "people": people,
            "flags": [(p.name, f) for p in people for f in p.flags],
            "hours_chart": svg.hours_chart(_hours_rows(load, people, can_manage)),
            "daily_chart": svg.daily_chart(load.daily),
            "heatmap": svg.heatmap(load.heatmap),
            "query": request.GET.urlencode(),
        }
    )
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@login_required
@require_GET
def load_csv(request, slug):
    team = team_for_member_or_403(user=request.user, slug=slug)
    form, start, end, _label = _period(request)
    if start is None:
        return render(request, "reports/load_review.html", {"team": team, "form": form}, status=400)
    load = team_load(team=team, start=start, end=end)
    people = access.visible_people(
        load=load, user=request.user, can_manage=can_manage_team(user=request.user, team=team)
    )
    return exports.csv_response(
        name="load",
        team_slug=team.slug,
        start=start,
        end=end,
        header=exports.TABLE_HEADER,
        rows=exports.table_rows(people),
    )


@login_required
@require_GET
def compensation_csv(request, slug):
    team = team_for_manager_or_404(user=request.user, slug=slug)
    form, start, end, _label = _period(request)
    if start is None:
        return render(request, "reports/load_review.html", {"team": team, "form": form}, status=400)
    load = team_load(team=team, start=start, end=end)
    return exports.csv_response(
        name="oncall-hours",
        team_slug=team.slug,
        start=start,
        end=end,
        header=exports.COMPENSATION_HEADER,
        rows=exports.compensation_rows(load.people),
    )


@login_required
@require_GET
def weekly_latest(request, slug):
    team = team_for_member_or_403(user=request.user, slug=slug)
    year, week = weekly.previous_week(timezone.now(), timezone.get_current_timezone())
    return redirect("reports:weekly_review", team.slug, year, week)


@login_required
@require_GET
def weekly_review(request, slug, year, week):
    team = team_for_member_or_403(user=request.user, slug=slug)
    if not bounds.FIRST_YEAR <= year <= bounds.LAST_YEAR:
        context = {"team": team, "error": "Give a week between 1970 and 2200."}
        return render(request, "reports/weekly_out_of_range.html", context, status=400)
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise Http404("No such week.") from exc
    can_manage = can_manage_team(user=request.user, team=team)
    review = weekly.weekly_review(
        team=team, year=year, week=week, zone=timezone.get_current_timezone()
    )
    people = access.visible_people(load=review.load, user=request.user, can_manage=can_manage)
    prev_iso = date.fromordinal(monday.toordinal() - 7).isocalendar()
    next_iso = date.fromordinal(monday.toordinal() + 7).isocalendar()
    return render(
        request,
        "reports/weekly_review.html",
        {
            "team": team,
            "review": review,
            "people": [p for p in people if p.interruptions.total or p.hours.total],
            "flags": [(p.name, f) for p in people for f in p.flags],
            "can_manage": can_manage,
            "previous": (prev_iso.year, prev_iso.week),
            "next": (next_iso.year, next_iso.week),
            "is_future": review.start > timezone.now(),
        },
    )


@login_required
@require_GET
def service_ranking(request, slug):
    team = team_for_member_or_403(user=request.user, slug=slug)
    form, start, end, label = _period(request)
    context = {"team": team, "form": form, "label": label}
    if start is None:
        return render(request, "reports/service_ranking.html", context, status=400)
    context["ranking"] = team_service_ranking(team=team, start=start, end=end)
    return render(request, "reports/service_ranking.html", context)


@login_required
@require_GET
def service_feedback(request, slug):
    """The service page's feedback panel alone, for another period (``?feedback_period=7``):
    what its period links swap in with htmx. Without JavaScript the same links reload the
    service page. An invalid period answers 400 with the message, as the ranking page does."""
    service = service_for_member_or_403(user=request.user, slug=slug)
    context = panels.service_feedback_context(service=service, params=request.GET)
    return render(
        request,
        "reports/_panel_service.html#feedback",
        {"ctx": context},
        status=400 if context["noise"] is None else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def holidays(request, slug):
    team = team_for_member_or_403(user=request.user, slug=slug)
    can_manage = can_manage_team(user=request.user, team=team)
    form = HolidayForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only the team's managers can change its holidays.")
        if form.is_valid():
            try:
                holiday = services.holiday_create(
                    team=team, day=form.cleaned_data["date"], name=form.cleaned_data["name"]
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{holiday.name} added.")
                return redirect("reports:holidays", team.slug)
        status = 400
    return render(
        request,
        "reports/holidays.html",
        {
            "team": team,
            "form": form,
            "can_manage": can_manage,
            "holidays": selectors.team_holidays(team=team),
        },
        status=status,
    )


@login_required
@require_POST
def holiday_delete(request, slug, pk):
    team = team_for_manager_or_404(user=request.user, slug=slug)
    holiday = access.holiday_of_team_or_404(team=team, pk=pk)
    services.holiday_delete(holiday=holiday)
    messages.success(request, f"{holiday.name} removed.")
    return redirect("reports:holidays", team.slug)
