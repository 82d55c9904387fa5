"""Pages of incidents: the list, declaring one, its page and the actions on it, the look-ups
its fields use, and the signed link a page carries. Thin: parse, check access, call a service
or a selector, render.

Webhooks are in ``hook_views.py``; a team's set-up (integrations, escalation policies) and a
service's maintenance in ``setup_views.py``."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from incidents import access, escalation, selectors, services
from incidents.forms import (
    DeclareForm,
    IncidentFilterForm,
    LookupForm,
    NoteForm,
    ReassignForm,
    ResolveForm,
    RoleForm,
    SeverityForm,
)
from incidents.models import Incident, Integration
from portal.forms import apply_validation_error
from portal.timefmt import zone_of

PAGE_SIZE = 50
NOTE_ADDED = "Added to the timeline."
CHANGED_EVENT = "incidentChanged"  # the incident page's live part (timeline) reloads on it


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
        "inbox_failures": selectors.inbox_failures(
            integrations=access.integrations_visible_to(
                Integration.objects.all(), user=request.user
            )
        ),
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
    can_act = access.can_act(user=request.user, incident=incident)
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
@vary_on_headers("HX-Request", "HX-Target")
def incident_detail(request, pk):
    return _render_detail(request, selectors.incident_detail(pk=pk))


def _act(request, pk, action, *, done: str):
    """Run a form-less action for a team member; a refused action shows its reason."""
    incident = access.incident_for_actor_or_403(user=request.user, pk=pk)
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
    incident = access.incident_for_actor_or_403(user=request.user, pk=pk)
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
    """Add a note: from the page's htmx form, the note card comes back in place (with the
    form's errors and 400 on bad input; fresh, and the timeline told to reload, on success);
    without htmx, the incident page with the errors, or a redirect back to it."""
    if not request.htmx:
        return _form_action(request, pk, NoteForm, "note_form", _add_note(request), NOTE_ADDED)
    incident = access.incident_for_actor_or_403(user=request.user, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            _add_note(request)(incident, form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
    context = {"incident": incident, "note_form": form}
    if form.errors:
        return render(request, "incidents/detail.html#note", context, status=400)
    context.update(note_form=NoteForm(), note_added=NOTE_ADDED)
    response = render(request, "incidents/detail.html#note", context)
    return trigger_client_event(response, CHANGED_EVENT)  # the timeline reloads


def _add_note(request):
    return lambda incident, data: services.incident_add_note(
        incident=incident, text=data["text"], by=request.user, status_update=data["status_update"]
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
    person = get_object_or_404(
        get_user_model().objects.select_related("profile"), pk=user_id, is_active=True
    )
    action = request.POST.get("action") if request.method == "POST" else None
    # Only a resolve submits the form: after Acknowledge it is shown unbound, without errors.
    form = ResolveForm(request.POST if action == "resolve" else None)
    done = ""
    status = 200
    if request.method == "POST":
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
    zone = zone_of(person)  # the page names the person: show times in their zone
    context = {"incident": incident, "person": person, "form": form, "done": done, "zone": zone}
    with timezone.override(zone):
        return render(request, "incidents/respond.html", context, status=status)
