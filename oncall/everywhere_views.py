"""The "On call now" page: who is on call right now on every schedule of every team, until
when, and the next hand-off; filterable by team and by text."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from oncall import access
from oncall.everywhere import oncall_everywhere, row_matches, schedules_of
from oncall.forms import OnCallFilterForm


@login_required
@require_GET
@vary_on_headers("HX-Request")
def oncall_now(request):
    form = OnCallFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    team = filters.get("team")
    q = filters.get("q") or ""
    schedules = schedules_of(
        schedules=access.schedules_visible_to(user=request.user),
        team=team.slug if team else "",
    )
    now = timezone.now()
    rows = [r for r in oncall_everywhere(schedules=schedules, at=now) if row_matches(r, q)]
    context = {"form": form, "rows": rows, "now": now, "filtered": bool(team or q)}
    template = "oncall/everywhere.html"
    if request.htmx and request.htmx.target == "oncall-results":
        template += "#results"
    return render(request, template, context, status=400 if form.errors else 200)
