"""Pages of a team's incident set-up (integrations and their tokens, escalation policies and
their steps) and of a service's maintenance window: for the team's managers and staff. Thin:
parse, check access, call a service or a selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import access, policies, selectors, services
from incidents.forms import IntegrationForm, MaintenanceForm, PolicyForm, StepForm
from incidents.models import Integration
from portal.forms import apply_validation_error
from portal.people.access import team_for_manager_or_404


# ---------------------------------------------------------------------------- integrations
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
            return _token_once(request, integration, token, created=True)
    context = {
        "team": team,
        "integrations": selectors.team_integrations(team=team),
        "inbox_failures": selectors.inbox_failures(team=team),
        "form": form,
    }
    return render(
        request, "incidents/integrations.html", context, status=400 if form.errors else 200
    )


# The plaintext token is shown once, on the page a create or rotate POST redirects to (so a
# reload re-posts nothing): the POST leaves it in the session, the page's first GET takes it.
def _token_key(integration_id: int) -> str:
    return f"integration-token-{integration_id}"


def _token_once(request, integration: Integration, token: str, *, created: bool):
    request.session[_token_key(integration.pk)] = {"token": token, "created": created}
    return redirect("incidents:integration_token", pk=integration.pk)


@login_required
@require_GET
def integration_token(request, pk):
    integration = access.integration_for_manager_or_404(user=request.user, pk=pk)
    shown = request.session.pop(_token_key(integration.pk), None)
    context = {
        "integration": integration,
        "team": selectors.integration_owner_team(integration),
        "token": shown and shown["token"],
        "created": bool(shown and shown["created"]),
        "urls": _hook_urls(request, integration, shown["token"]) if shown else {},
    }
    response = render(request, "incidents/integration_token.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def integration_edit(request, pk):
    integration = access.integration_for_manager_or_404(user=request.user, pk=pk)
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
    integration = access.integration_for_manager_or_404(user=request.user, pk=pk)
    integration, token = services.integration_rotate_token(integration=integration)
    return _token_once(request, integration, token, created=False)


# ------------------------------------------------------------------------------- policies
@login_required
@require_http_methods(["GET", "POST"])
def policy_list(request, slug):
    team = team_for_manager_or_404(user=request.user, slug=slug)
    form = PolicyForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            policy = policies.policy_create(team=team, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, f"{policy.name} created. Add its steps.")
            return redirect("incidents:policy_detail", pk=policy.pk)
    context = {"team": team, "policies": selectors.team_policies(team=team), "form": form}
    return render(request, "incidents/policies.html", context, status=400 if form.errors else 200)


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
    policy = access.policy_for_manager_or_404(user=request.user, pk=pk)
    if request.method == "GET":
        return _policy_page(request, policy)
    form = PolicyForm(request.POST, instance=policy, team=policy.team)
    if form.is_valid():
        try:
            policies.policy_update(
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
    policy = access.policy_for_manager_or_404(user=request.user, pk=pk)
    return _policy_page(request, policy, status=400, form=form)


@login_required
@require_POST
def policy_delete(request, pk):
    policy = access.policy_for_manager_or_404(user=request.user, pk=pk)
    slug = policy.team.slug
    policies.policy_delete(policy=policy)
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
    policy = access.policy_for_manager_or_404(user=request.user, pk=pk)
    form = StepForm(request.POST, team=policy.team)
    if form.is_valid():
        try:
            policies.step_add(policy=policy, **_step_data(form))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Step added.")
            return redirect("incidents:policy_detail", pk=policy.pk)
    return _policy_page(request, policy, status=400, step_form=form)


@login_required
@require_POST
def step_edit(request, pk):
    step = access.step_for_manager_or_404(user=request.user, pk=pk)
    action = request.POST.get("action", "save")
    if action in ("up", "down"):
        policies.step_move(step=step, up=action == "up")
        return redirect("incidents:policy_detail", pk=step.policy_id)
    if action == "delete":
        policies.step_remove(step=step)
        messages.success(request, "Step removed.")
        return redirect("incidents:policy_detail", pk=step.policy_id)
    form = StepForm(request.POST, instance=step, team=step.policy.team, prefix=f"step{step.pk}")
    if form.is_valid():
        try:
            policies.step_update(step=step, **_step_data(form))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Step saved.")
            return redirect("incidents:policy_detail", pk=step.policy_id)
    policy = access.policy_for_manager_or_404(user=request.user, pk=step.policy_id)
    return _policy_page(request, policy, status=400, edit_forms={step.pk: form})


# ----------------------------------------------------------------------------- maintenance
@login_required
@require_http_methods(["GET", "POST"])
def maintenance(request, slug):
    service = access.service_for_maintenance_or_403(user=request.user, slug=slug)
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
