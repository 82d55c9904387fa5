from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from portal.catalog import access, consequences, selectors, services
from portal.catalog.forms import ServiceFilterForm, ServiceForm, ServiceTransferForm
from portal.forms import apply_validation_error
from portal.panels import service_list_rows, service_panels
from portal.people.access import can_manage_team, managed_teams
from portal.people.selectors import team_managers

PAGE_SIZE = 50


@login_required
@vary_on_headers("HX-Request")
def service_list(request):
    form = ServiceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    services_qs = selectors.service_search(
        q=filters.get("q") or "",
        team=filters["team"].slug if filters.get("team") else "",
        tier=filters.get("tier"),
        tag=filters.get("tag") or "",
    )
    page = Paginator(services_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    columns, rows = service_list_rows(request, page.object_list)
    context = {
        "form": form,
        "page": page,
        "columns": columns,
        "rows": rows,
        "tags": selectors.all_tags(),
        "can_create": access.can_add_service(user=request.user),
    }
    template = "catalog/service_list.html"
    if request.htmx and request.htmx.target == "service-results":
        template += "#results"
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
def service_detail(request, slug):
    service = selectors.service_detail(slug=slug)
    context = {
        "service": service,
        "can_manage": can_manage_team(user=request.user, team=service.team),
        "panels": service_panels(request, service),
    }
    return render(request, "catalog/service_detail.html", context)


def _save_form(form: ServiceForm, *, service=None):
    data = dict(form.cleaned_data)
    tags = data.pop("tags")
    dependencies = list(data.pop("dependencies"))
    if service is None:
        return services.service_create(tags=tags, dependencies=dependencies, **data)
    return services.service_update(service=service, tags=tags, dependencies=dependencies, **data)


@login_required
@require_http_methods(["GET", "POST"])
def service_create(request):
    access.adding_service_or_403(user=request.user)
    teams = managed_teams(user=request.user).order_by("name")
    form = ServiceForm(request.POST or None, teams=teams, initial={"team": request.GET.get("team")})
    if request.method == "POST" and form.is_valid():
        try:
            service = _save_form(form)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{service.name} added to the catalog.")
            return redirect(service)
    status = 400 if form.errors else 200
    return render(request, "catalog/service_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request, slug):
    service = access.service_for_manager_or_404(user=request.user, slug=slug)
    form = ServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        try:
            service = _save_form(form, service=service)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Service saved.")
            return redirect(service)
    status = 400 if form.errors else 200
    # A failed save must not leave the in-memory instance half-edited on the page.
    if form.errors and isinstance(service, Model):
        service.refresh_from_db()
    return render(
        request, "catalog/service_form.html", {"form": form, "service": service}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_transfer(request, slug):
    """The new owner is picked, then confirmed on a page that says what the transfer does (a
    POST without ``confirm`` shows it; ``back`` returns to the choice, keeping it)."""
    service = access.service_for_manager_or_404(user=request.user, slug=slug)
    form = ServiceTransferForm(request.POST or None, service=service)
    if request.method == "POST" and form.is_valid() and "back" not in request.POST:
        to_team = form.cleaned_data["to_team"]
        if "confirm" not in request.POST:
            return _transfer_confirmation(request, service, form)
        try:
            services.service_transfer(
                service=service, to_team=to_team, by=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{service.name} now belongs to {to_team}.")
            return redirect("catalog:service_detail", slug=service.slug)
    status = 400 if form.errors else 200
    return render(
        request, "catalog/service_transfer.html", {"form": form, "service": service}, status=status
    )


def _transfer_confirmation(request, service, form):
    to_team = form.cleaned_data["to_team"]
    context = {
        "service": service,
        "form": form,
        "to_team": to_team,
        "new_managers": team_managers(team=to_team).select_related("profile").order_by("username"),
        "viewer_keeps_access": can_manage_team(user=request.user, team=to_team),
        "consequences": consequences.transfer_consequences(
            service=service, to_team=to_team, user=request.user
        ),
    }
    return render(request, "catalog/service_transfer_confirm.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def service_archive(request, slug):
    """GET: what archiving does (open incidents, integrations), with the button that does it.
    POST ``action=archive`` archives, ``action=unarchive`` brings it back."""
    service = access.service_for_manager_or_404(user=request.user, slug=slug)
    if request.method == "GET":
        if service.is_archived:
            return redirect(service)
        context = {
            "service": service,
            "consequences": consequences.archive_consequences(service=service),
        }
        return render(request, "catalog/service_archive_confirm.html", context)
    if request.POST.get("action") == "unarchive":
        services.service_unarchive(service=service)
        messages.success(request, f"{service.name} is back in the catalog.")
    else:
        services.service_archive(service=service)
        messages.success(request, f"{service.name} archived.")
    return redirect(service)
