"""Pages and webhooks of the incidents area. Thin: parse, check access, call a service or a
selector, render."""

import logging
import time

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from incidents import escalation, ingest, payloads, ratelimit, selectors, services
from incidents.forms import (
    DeclareForm,
    IncidentFilterForm,
    IntegrationForm,
    LookupForm,
    MaintenanceForm,
    NoteForm,
    PolicyForm,
    ReassignForm,
    ResolveForm,
    RoleForm,
    SeverityForm,
    StepForm,
)
from incidents.models import EscalationStep, Incident, Integration
from portal.catalog.selectors import service_detail
from portal.forms import apply_validation_error
from portal.people.access import can_manage_team, team_for_manager_or_404

logger = logging.getLogger(__name__)
PAGE_SIZE = 50


# ---------------------------------------------------------------------------------- webhooks
def _json_error(message: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _read_body(request) -> bytes:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise payloads.PayloadError("The Content-Length header is not a number.") from exc
    if length > payloads.MAX_BODY_BYTES:
        raise payloads.PayloadError(
            f"The body is larger than {payloads.MAX_BODY_BYTES} bytes (1 MiB)."
        )
    return request.read(payloads.MAX_BODY_BYTES + 1)


def _rate_limited(integration: Integration, message: str) -> JsonResponse | None:
    """Count one request against the integration's limit: the 429 to answer when it is over
    the limit, else None."""
    retry_after = ratelimit.hit(
        f"integration:{integration.pk}", limit=integration.rate_limit_per_minute
    )
    if retry_after is None:
        return None
    response = _json_error(message, 429)
    response["Retry-After"] = str(retry_after)
    return response


def _hook(request, token: str, kind: str):
    integration = selectors.integration_for_hook(token=token, kind=kind)
    if integration is None:
        return _json_error("No such integration (or it is disabled).", 404)
    # One round trip to Redis counts the request and tells whether a drain is at work.
    asked_at = time.monotonic()
    verdict = ratelimit.check(
        f"integration:{integration.pk}",
        limit=integration.rate_limit_per_minute,
        peek=ingest.DOORBELL_KEY,
    )
    if verdict.retry_after is not None:
        message = f"Rate limit of {integration.rate_limit_per_minute} requests per minute exceeded."
        response = _json_error(message, 429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    try:
        body = _read_body(request)
        if body.strip():  # an empty body gets "empty", whatever its type
            payloads.check_content_type(request.META.get("CONTENT_TYPE"))
        alerts = payloads.parse(kind, body)
    except payloads.MediaTypeError as exc:
        return JsonResponse(exc.as_dict(), status=415)
    except payloads.PayloadError as exc:
        return JsonResponse(exc.as_dict(), status=400)
    try:
        ingest.inbox_accept(
            integration_id=integration.pk,
            alerts=alerts,
            drain_seen_at=asked_at if verdict.peeked else None,
        )
    except DatabaseError:
        logger.exception("Could not store alerts for integration %s", integration.pk)
        return _json_error("The alerts could not be stored; please retry.", 503)
    # Stored: incidents are opened (or joined) in the background, in arrival order.
    return JsonResponse({"status": "accepted", "alerts": len(alerts)}, status=202)


@csrf_exempt
@require_POST
def hook_alertmanager(request, token):
    return _hook(request, token, "alertmanager")


@csrf_exempt
@require_POST
def hook_generic(request, token):
    return _hook(request, token, "generic")


@csrf_exempt
@require_POST
def hook_heartbeat(request, token):
    integration = selectors.integration_for_token(token=token)
    if integration is None or not integration.heartbeat_minutes:
        return _json_error("No such heartbeat (or it is disabled).", 404)
    limited = _rate_limited(integration, "Rate limit exceeded.")
    if limited is not None:
        return limited
    try:
        result = ingest.heartbeat_ping(integration=integration)
    except DatabaseError:
        logger.exception("Could not record a heartbeat for integration %s", integration.pk)
        return _json_error("The ping could not be stored; please retry.", 503)
    return JsonResponse({"status": "accepted", **result.as_dict()}, status=202)


# ------------------------------------------------------------------------------- incidents
@login_required
@require_GET
@vary_on_headers("HX-Request")
def incident_list(request):
    form = IncidentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or "open"
    qs = selectors.incident_search(
        user=request.user,
        status="" if status == "all" else status,
        team=filters.get("team"),
        service=filters.get("service"),
        severity=filters.get("severity"),
        mine=bool(filters.get("mine")),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "status": status,
        "page": page,
        "incidents": page.object_list,
        "inbox_failures": selectors.inbox_failures(user=request.user),
    }
    template = "incidents/list.html"
    if request.htmx and request.htmx.target == "incident-results":
        template += "#results"
    else:
        context["suggestions"] = selectors.list_filter_suggestions(user=request.user)
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def incident_declare(request):
    form = DeclareForm(request.POST or None, initial={"services": request.GET.getlist("service")})
    attempt = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        attempt = services.incident_declare_attempt(by=request.user)
        if attempt.refused:
            form.add_error(None, services.incident_declare_refusal(attempt))
        else:
            try:
                incident = services.incident_declare(
                    title=data["title"],
                    severity=data["severity"],
                    services=list(data["services"]),
                    team=data["team"],
                    description=data["description"],
                    by=request.user,
                )
            except ValidationError as exc:
                attempt.undo()
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"Incident #{incident.pk} declared; paging its team.")
                return redirect(incident)
    status = 400 if form.errors else 200
    if attempt is not None and attempt.refused:
        status = 429
    response = render(request, "incidents/declare.html", {"form": form}, status=status)
    if status == 429:
        response["Retry-After"] = str(attempt.retry_after)
    return response


def _detail_context(request, incident: Incident, **forms) -> dict:
    can_act = selectors.can_act(user=request.user, incident=incident)
    return {
        "incident": incident,
        "can_act": can_act,
        "escalation": selectors.escalation_view(incident=incident),
        "failed_updates": selectors.incident_failed_updates(incident=incident),
        "alerts": selectors.incident_alerts(incident=incident)[:100],
        "events": selectors.incident_timeline(incident=incident)[:300],
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "severity_form": forms.get("severity_form")
        or SeverityForm(initial={"severity": incident.severity}),
        "role_form": forms.get("role_form") or RoleForm(team=incident.team),
        "reassign_form": forms.get("reassign_form") or ReassignForm(),
    }


def _render_detail(request, incident: Incident, *, status: int = 200, **forms):
    context = _detail_context(request, incident, **forms)
    template = "incidents/detail.html"
    if request.htmx and request.htmx.target == "incident-live":
        template += "#live"  # the 5-second poll: no forms, so no suggestions
    elif context["can_act"]:
        context["people"] = selectors.incident_people(incident=incident)
        if incident.is_open:
            context["teams"] = selectors.reassign_teams(incident=incident, user=request.user)
    return render(request, template, context, status=status)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def incident_detail(request, pk):
    return _render_detail(request, selectors.incident_detail(pk=pk))


def _act(request, pk, action, *, done: str):
    """Run a form-less action for a team member; a refused action shows its reason."""
    incident = selectors.incident_for_actor_or_403(user=request.user, pk=pk)
    try:
        action(incident)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    if request.htmx:
        return _render_detail(request, selectors.incident_detail(pk=pk))
    return redirect(incident)


@login_required
@require_POST
def incident_acknowledge(request, pk):
    return _act(
        request,
        pk,
        lambda i: services.incident_acknowledge(incident=i, by=request.user),
        done="Acknowledged: escalation stopped.",
    )


@login_required
@require_POST
def incident_escalate(request, pk):
    return _act(
        request,
        pk,
        lambda i: services.incident_escalate(incident=i, by=request.user),
        done="Escalating now.",
    )


def _form_action(request, pk, form_class, key, call, done: str):
    incident = selectors.incident_for_actor_or_403(user=request.user, pk=pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(incident, form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, done)
            return redirect(incident)
    return _render_detail(request, incident, status=400, **{key: form})


@login_required
@require_POST
def incident_resolve(request, pk):
    return _form_action(
        request,
        pk,
        ResolveForm,
        "resolve_form",
        lambda i, d: services.incident_resolve(
            incident=i, by=request.user, actionable=d["actionable"], note=d["note"]
        ),
        "Resolved.",
    )


@login_required
@require_POST
def incident_note(request, pk):
    return _form_action(
        request,
        pk,
        NoteForm,
        "note_form",
        lambda i, d: services.incident_add_note(
            incident=i, text=d["text"], by=request.user, status_update=d["status_update"]
        ),
        "Added to the timeline.",
    )


@login_required
@require_POST
def incident_severity(request, pk):
    return _form_action(
        request,
        pk,
        SeverityForm,
        "severity_form",
        lambda i, d: services.incident_set_severity(
            incident=i, severity=d["severity"], by=request.user
        ),
        "Severity changed.",
    )


@login_required
@require_POST
def incident_role(request, pk):
    return _form_action(
        request,
        pk,
        RoleForm,
        "role_form",
        lambda i, d: services.incident_set_role(
            incident=i, role=d["role"], user=d["user"], by=request.user
        ),
        "Role set.",
    )


@login_required
@require_POST
def incident_reassign(request, pk):
    return _form_action(
        request,
        pk,
        ReassignForm,
        "reassign_form",
        lambda i, d: services.incident_reassign(incident=i, team=d["team"], by=request.user),
        "Reassigned; the new team is being paged.",
    )


# -------------------------------------------------------------------------------- look-ups
def _lookup(request, partial: str, find):
    form = LookupForm(request.GET)
    if not form.is_valid():
        return render(request, "incidents/_lookup.html#errors", {"form": form}, status=400)
    found = find(q=form.cleaned_data["q"], team=form.cleaned_data["team"])
    return render(request, f"incidents/_lookup.html#{partial}", {"found": found})


@login_required
@require_GET
def people_lookup(request):
    """``?q=`` (and ``&team=`` to put its members first): matching active people as the
    ``<option>``s of a datalist, for the person fields of the incident and postmortem pages."""
    return _lookup(request, "people-options", selectors.people_lookup)


@login_required
@require_GET
def service_lookup(request):
    """``?q=`` (and ``&team=`` to put its services first): matching services in use as the
    ``<option>``s of a datalist, for the service fields and the incident list's filter."""
    return _lookup(request, "service-options", selectors.service_lookup)


@login_required
@require_GET
def team_lookup(request):
    """``?q=``: matching teams (the user's own first) as the ``<option>``s of a datalist, for
    the incident page's reassign field and the incident list's team filter."""
    return _lookup(
        request, "team-options", lambda q, team: selectors.team_lookup(q=q, user=request.user)
    )


# -------------------------------------------------------------------- answering from a page
@never_cache
@require_http_methods(["GET", "POST"])
def respond(request, token):
    """The signed link in a page: GET shows a confirmation page (link scanners GET, so it
    changes nothing); its POST acknowledges or resolves as the paged person."""
    try:
        incident_id, user_id = escalation.page_link_read(token)
    except signing.SignatureExpired:
        return render(request, "incidents/respond.html", {"expired": True}, status=410)
    except signing.BadSignature as exc:
        raise Http404("This link is not valid.") from exc
    incident = selectors.incident_detail(pk=incident_id)
    person = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    form = ResolveForm(request.POST or None)
    done = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "acknowledge":
                services.incident_acknowledge(incident=incident, by=person)
                done = "Acknowledged. Escalation has stopped."
            elif action == "resolve":
                if form.is_valid():
                    services.incident_resolve(
                        incident=incident,
                        by=person,
                        actionable=form.cleaned_data["actionable"],
                        note=form.cleaned_data["note"],
                    )
                    done = "Resolved. Thank you."
                else:
                    status = 400
            else:
                status = 400
                form.add_error(None, "Choose acknowledge or resolve.")
        except ValidationError as exc:
            status = 400
            form.add_error(None, " ".join(exc.messages))
        incident.refresh_from_db()
    context = {"incident": incident, "person": person, "form": form, "done": done}
    return render(request, "incidents/respond.html", context, status=status)


# ---------------------------------------------------------------------------- integrations
def _integration_for_manager(request, pk) -> Integration:
    integration = get_object_or_404(Integration.objects.select_related("team", "service"), pk=pk)
    team = selectors.integration_owner_team(integration)
    if not can_manage_team(user=request.user, team=team):
        raise PermissionDenied("Only the owning team's managers can change its integrations.")
    return integration


def _hook_urls(request, integration: Integration, token: str) -> dict:
    urls = {"webhook": request.build_absolute_uri(integration.webhook_path(token))}
    if integration.heartbeat_minutes:
        urls["heartbeat"] = request.build_absolute_uri(
            reverse("incidents:hook_heartbeat", args=[token])
        )
    return urls


@login_required
@require_http_methods(["GET", "POST"])
def integration_list(request, slug):
    team = team_for_manager_or_404(user=request.user, slug=slug)
    form = IntegrationForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        data = form.settings_data()
        service = form.cleaned_data.get("service")
        try:
            integration, token = services.integration_create(
                kind=form.cleaned_data["kind"],
                by=request.user,
                team=None if service else team,
                service=service,
                **data,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return _show_token(request, integration, token, created=True)
    context = {
        "team": team,
        "integrations": selectors.team_integrations(team=team),
        "inbox_failures": selectors.inbox_failures(team=team),
        "form": form,
    }
    return render(
        request, "incidents/integrations.html", context, status=400 if form.errors else 200
    )


def _show_token(request, integration: Integration, token: str, *, created: bool):
    response = render(
        request,
        "incidents/integration_token.html",
        {
            "integration": integration,
            "team": selectors.integration_owner_team(integration),
            "token": token,
            "urls": _hook_urls(request, integration, token),
            "created": created,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def integration_edit(request, pk):
    integration = _integration_for_manager(request, pk)
    team = selectors.integration_owner_team(integration)
    form = IntegrationForm(request.POST or None, instance=integration, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            services.integration_update(integration=integration, **form.settings_data())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{integration.name} saved.")
            return redirect("incidents:integration_list", slug=team.slug)
    if form.errors:
        integration.refresh_from_db()
    return render(
        request,
        "incidents/integration_form.html",
        {"form": form, "integration": integration, "team": team},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def integration_rotate(request, pk):
    integration = _integration_for_manager(request, pk)
    integration, token = services.integration_rotate_token(integration=integration)
    return _show_token(request, integration, token, created=False)


# ------------------------------------------------------------------------------- policies
@login_required
@require_http_methods(["GET", "POST"])
def policy_list(request, slug):
    team = team_for_manager_or_404(user=request.user, slug=slug)
    form = PolicyForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_create(team=team, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{policy.name} created. Add its steps.")
            return redirect("incidents:policy_detail", pk=policy.pk)
    context = {"team": team, "policies": selectors.team_policies(team=team), "form": form}
    return render(request, "incidents/policies.html", context, status=400 if form.errors else 200)


def _policy_for_manager(request, pk):
    policy = selectors.policy_detail(pk=pk)
    if not can_manage_team(user=request.user, team=policy.team):
        raise PermissionDenied("Only the team's managers can change its escalation policies.")
    return policy


def _policy_page(request, policy, *, status=200, form=None, step_form=None, edit_forms=None):
    steps = list(policy.steps.all())
    edit_forms = edit_forms or {}
    context = {
        "policy": policy,
        "team": policy.team,
        "form": form or PolicyForm(instance=policy, team=policy.team),
        "step_form": step_form or StepForm(team=policy.team),
        "steps": [
            (
                s,
                edit_forms.get(s.pk)
                or StepForm(instance=s, team=policy.team, prefix=f"step{s.pk}"),
            )
            for s in steps
        ],
    }
    return render(request, "incidents/policy_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def policy_detail(request, pk):
    policy = _policy_for_manager(request, pk)
    if request.method == "GET":
        return _policy_page(request, policy)
    form = PolicyForm(request.POST, instance=policy, team=policy.team)
    if form.is_valid():
        try:
            services.policy_update(
                policy=policy,
                name=form.cleaned_data["name"],
                repeat_count=form.cleaned_data["repeat_count"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Policy saved.")
            return redirect("incidents:policy_detail", pk=policy.pk)
    policy = _policy_for_manager(request, pk)
    return _policy_page(request, policy, status=400, form=form)


@login_required
@require_POST
def policy_delete(request, pk):
    policy = _policy_for_manager(request, pk)
    slug = policy.team.slug
    services.policy_delete(policy=policy)
    messages.success(request, f"{policy.name} deleted.")
    return redirect("incidents:policy_list", slug=slug)


def _step_data(form) -> dict:
    d = form.cleaned_data
    return {
        "wait_minutes": d["wait_minutes"],
        "schedules": d["schedules"],
        "users": d["users"],
        "notify_managers": d["notify_managers"],
        "notify_team": d["notify_team"],
    }


@login_required
@require_POST
def step_add(request, pk):
    policy = _policy_for_manager(request, pk)
    form = StepForm(request.POST, team=policy.team)
    if form.is_valid():
        try:
            services.step_add(policy=policy, **_step_data(form))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Step added.")
            return redirect("incidents:policy_detail", pk=policy.pk)
    return _policy_page(request, policy, status=400, step_form=form)


def _step_for_manager(request, pk) -> EscalationStep:
    step = get_object_or_404(EscalationStep.objects.select_related("policy__team"), pk=pk)
    if not can_manage_team(user=request.user, team=step.policy.team):
        raise PermissionDenied("Only the team's managers can change its escalation policies.")
    return step


@login_required
@require_POST
def step_edit(request, pk):
    step = _step_for_manager(request, pk)
    action = request.POST.get("action", "save")
    if action in ("up", "down"):
        services.step_move(step=step, up=action == "up")
        return redirect("incidents:policy_detail", pk=step.policy_id)
    if action == "delete":
        services.step_remove(step=step)
        messages.success(request, "Step removed.")
        return redirect("incidents:policy_detail", pk=step.policy_id)
    form = StepForm(request.POST, instance=step, team=step.policy.team, prefix=f"step{step.pk}")
    if form.is_valid():
        try:
            services.step_update(step=step, **_step_data(form))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Step saved.")
            return redirect("incidents:policy_detail", pk=step.policy_id)
    policy = _policy_for_manager(request, step.policy_id)
    return _policy_page(request, policy, status=400, edit_forms={step.pk: form})


# ----------------------------------------------------------------------------- maintenance
@login_required
@require_http_methods(["GET", "POST"])
def maintenance(request, slug):
    service = service_detail(slug=slug)
    if not can_manage_team(user=request.user, team=service.team):
        raise PermissionDenied("Only the owning team's managers can put it in maintenance.")
    now = timezone.now()
    form = MaintenanceForm(request.POST or None, now=now)
    if request.method == "POST":
        if request.POST.get("action") == "end":
            services.maintenance_end(service=service)
            messages.success(request, f"{service.name} is out of maintenance: alerts page again.")
            return redirect(service)
        if form.is_valid():
            try:
                services.maintenance_start(
                    service=service,
                    ends_at=form.cleaned_data["ends_at"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                    now=now,
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, f"{service.name} is in maintenance: alerts page nobody.")
                return redirect(service)
    context = {
        "service": service,
        "form": form,
        "window": selectors.active_maintenance(service=service),
    }
    status = 400 if form.errors else 200
    return render(request, "incidents/maintenance.html", context, status=status)
