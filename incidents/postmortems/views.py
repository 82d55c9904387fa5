"""Pages of postmortems and action items. Thin: parse, check access, call a service or a
selector, render.

The editor's pages (autosaving the header, sections and timeline) are in
``editor_views.py``.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from incidents.postmortems import access, action_items, export, selectors, services, workflow
from incidents.postmortems.forms import (
    ActionItemForm,
    ActionItemStatusForm,
    CommentForm,
    ReviewRequestForm,
    SearchForm,
    SettingsForm,
)
from incidents.postmortems.markdown import render_markdown
from incidents.postmortems.models import ActionItem, Postmortem
from portal.forms import apply_validation_error
from portal.people.access import can_manage_team, team_for_manager_or_404
from portal.people.models import Team

User = get_user_model()
PAGE_SIZE = 25
ITEMS_PAGE_SIZE = 100


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# ------------------------------------------------------------------------------ list, search
@login_required
@require_GET
@vary_on_headers("HX-Request")
def postmortem_list(request):
    form = SearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.published_search(
        q=filters.get("q", ""),
        team=filters.get("team"),
        service=filters.get("service"),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "postmortems": page.object_list,
        "in_progress": access.in_progress_for(user=request.user),
    }
    template = "postmortems/list.html"
    if request.htmx and request.htmx.target == "pm-results":
        template += "#results"
    return render(request, template, context, status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------- starting
@login_required
@require_POST
def postmortem_start(request, incident_id):
    incident = access.incident_for_postmortem_starter_or_403(user=request.user, pk=incident_id)
    postmortem, created = services.postmortem_start(incident=incident, by=request.user)
    if created:
        messages.success(request, "Postmortem started, pre-filled from the incident.")
    return redirect("postmortems:edit", pk=postmortem.pk)


# ------------------------------------------------------------------------------ reading it
def detail_context(request, pm: Postmortem, **extra) -> dict:
    reviewers = list(pm.reviewers.all())
    mine = next((r for r in reviewers if r.user_id == request.user.pk), None)
    can_items = access.can_manage_items(user=request.user, postmortem=pm)
    return {
        "pm": pm,
        "incident": pm.incident,
        "can_edit": access.can_edit(user=request.user, postmortem=pm),
        "can_manage_items": can_items,
        "sections": [(s, render_markdown(s.body)) for s in pm.sections.all()],
        "timeline": list(pm.timeline.all()),
        "reviewers": reviewers,
        "my_review": mine,
        "all_approved": bool(reviewers) and all(r.approved_at for r in reviewers),
        "awaiting_approval": [r.user for r in reviewers if not r.approved_at],
        "comments": [(c, render_markdown(c.body)) for c in pm.comments.all()],
        "items": list(pm.action_items.all()),
        "today": timezone.localdate(),
        "people": selectors.likely_people(postmortem=pm) if can_items else [],
        "services": selectors.likely_services(postmortem=pm) if can_items else [],
        "item_form": extra.pop("item_form", None) or _item_form(pm),
        "review_form": extra.pop("review_form", None) or ReviewRequestForm(team=pm.team),
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "next": pm.get_absolute_url(),
        **extra,
    }


def _item_data(form: ActionItemForm) -> dict:
    d = form.cleaned_data
    return {
        "title": d["title"],
        "owner": d["owner"],
        "due_date": d["due_date"],
        "service": d["service"],
        "priority": d["priority"],
        "tracker_url": d["tracker_url"],
    }


def _item_form(pm: Postmortem, data=None) -> ActionItemForm:
    default_due = action_items.default_due_date(
        team=pm.team, severity=pm.severity, today=timezone.localdate()
    )
    service = next((s for s in pm.services.all() if s.archived_at is None), None)
    initial = {"due_date": default_due, "service": service}
    # Prefixed: the editor page has a "title" field of its own.
    return ActionItemForm(data, initial=initial, prefix="item", team=pm.team)


def _render_detail(request, pm: Postmortem, *, status: int = 200, **extra):
    return render(
        request, "postmortems/detail.html", detail_context(request, pm, **extra), status=status
    )


@login_required
@require_GET
def postmortem_detail(request, pk):
    return _render_detail(request, access.postmortem_for_reader_or_403(user=request.user, pk=pk))


@login_required
@require_GET
def postmortem_export(request, pk):
    pm = access.postmortem_for_reader_or_403(user=request.user, pk=pk)
    response = HttpResponse(
        export.postmortem_markdown(pm), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename(pm)}"'
    return response


# ---------------------------------------------------------------------------------- workflow
@login_required
@require_POST
def review_request(request, pk):
    pm = access.editable_postmortem_or_403(user=request.user, pk=pk)
    form = ReviewRequestForm(request.POST, team=pm.team)
    if form.is_valid():
        try:
            workflow.review_request(
                postmortem=pm, reviewers=form.cleaned_data["reviewers"], by=request.user
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Review requested: the reviewers have been told.")
            return redirect(_next_url(request, pm.get_absolute_url()))
    return _render_detail(request, pm, status=400, review_form=form)


@login_required
@require_POST
def reviewer_remove(request, pk, user_id):
    pm = access.editable_postmortem_or_403(user=request.user, pk=pk)
    workflow.reviewer_remove(postmortem=pm, user=User(pk=user_id))
    messages.success(request, "Reviewer removed.")
    return redirect(_next_url(request, pm.get_absolute_url()))


def _workflow(request, pk, call, done: str, *, for_editor: bool = True):
    pm = (
        access.postmortem_for_editor_or_403(user=request.user, pk=pk)
        if for_editor
        else access.postmortem_for_reader_or_403(user=request.user, pk=pk)
    )
    try:
        call(pm)
    except ValidationError as exc:
        pm = selectors.postmortem_detail(pk=pk)
        return _render_detail(request, pm, status=400, workflow_error=" ".join(exc.messages))
    messages.success(request, done)
    return redirect(_next_url(request, pm.get_absolute_url()))


@login_required
@require_POST
def review_approve(request, pk):
    return _workflow(
        request,
        pk,
        lambda pm: workflow.review_approve(postmortem=pm, by=request.user),
        "Approved.",
        for_editor=False,
    )


@login_required
@require_POST
def publish(request, pk):
    return _workflow(
        request,
        pk,
        lambda pm: workflow.postmortem_publish(postmortem=pm, by=request.user),
        "Published: everyone can read it now.",
    )


@login_required
@require_POST
def back_to_draft(request, pk):
    return _workflow(
        request,
        pk,
        lambda pm: workflow.postmortem_back_to_draft(postmortem=pm, by=request.user),
        "Back to draft; approvals will be asked again.",
    )


@login_required
@require_POST
def comment_add(request, pk):
    pm = access.postmortem_for_reader_or_403(user=request.user, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        workflow.comment_add(postmortem=pm, body=form.cleaned_data["body"], by=request.user)
        messages.success(request, "Comment added.")
        return redirect(pm.get_absolute_url() + "#comments")
    return _render_detail(request, pm, status=400, comment_form=form)


# ------------------------------------------------------------------------------ action items
def _items_fragment(request, pm_pk: int, *, status: int = 200, **extra):
    pm = selectors.postmortem_detail(pk=pm_pk)
    context = detail_context(request, pm, **extra)
    context["next"] = _next_url(request, pm.get_absolute_url())
    return render(request, "postmortems/_items.html", context, status=status)


@login_required
@require_POST
def item_add(request, pk):
    pm = access.postmortem_for_editor_or_403(user=request.user, pk=pk)
    form = _item_form(pm, request.POST)
    if form.is_valid():
        try:
            action_items.action_item_create(postmortem=pm, by=request.user, **_item_data(form))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if request.htmx:
                return _items_fragment(request, pm.pk, item_added=True)
            messages.success(request, "Action item added.")
            return redirect(_next_url(request, pm.get_absolute_url()))
    if request.htmx:
        return _items_fragment(request, pm.pk, status=400, item_form=form)
    return _render_detail(request, pm, status=400, item_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def item_detail(request, pk):
    item = access.action_item_for_reader_or_403(user=request.user, pk=pk)
    can_change = access.can_change_item(user=request.user, item=item)
    initial = {
        "title": item.title,
        "owner": item.owner.username,
        "due_date": item.due_date,
        "service": item.service,
        "priority": item.priority,
        "tracker_url": item.tracker_url,
    }
    team = item.postmortem.team
    form = ActionItemForm(initial=initial, team=team)
    status_form = ActionItemStatusForm(initial={"status": item.status, "reason": item.reason})
    code = 200
    if request.method == "POST":
        access.changeable_action_item_or_403(user=request.user, item=item)
        if request.POST.get("action") == "status":
            status_form = ActionItemStatusForm(request.POST)
            if status_form.is_valid():
                try:
                    action_items.action_item_set_status(
                        item=item,
                        status=status_form.cleaned_data["status"],
                        reason=status_form.cleaned_data["reason"],
                        by=request.user,
                    )
                except ValidationError as exc:
                    apply_validation_error(status_form, exc)
                else:
                    messages.success(request, f"Marked {item.get_status_display().lower()}.")
                    return redirect(item)
        else:
            form = ActionItemForm(request.POST, initial=initial, team=team)
            if form.is_valid():
                try:
                    action_items.action_item_update(item=item, by=request.user, **_item_data(form))
                except ValidationError as exc:
                    apply_validation_error(form, exc)
                else:
                    messages.success(request, "Action item saved.")
                    return redirect(item)
        code = 400
        item = selectors.action_item_detail(pk=pk)
    context = {
        "item": item,
        "pm": item.postmortem,
        "can_change": can_change,
        "form": form,
        "status_form": status_form,
        "today": timezone.localdate(),
        "people": selectors.likely_people(postmortem=item.postmortem) if can_change else [],
        "services": selectors.likely_services(postmortem=item.postmortem) if can_change else [],
    }
    return render(request, "postmortems/item.html", context, status=code)


@login_required
@require_POST
def item_done(request, pk):
    """The one-click "done" of the lists; answers with the item's row."""
    item = access.action_item_for_changer_or_403(user=request.user, pk=pk)
    action_items.action_item_set_status(item=item, status=ActionItem.Status.DONE, by=request.user)
    if request.htmx:
        item = selectors.action_item_detail(pk=pk)
        today = timezone.localdate()
        context = {
            "item": item,
            "today": today,
            "show_done": True,
            # "3 open · 1 overdue" above My action items, swapped out of band.
            "my_counts": _my_counts(user=request.user, today=today),
        }
        return render(request, "postmortems/_item_row.html", context)
    messages.success(request, f"“{item.title}” is done.")
    return redirect(_next_url(request, reverse("postmortems:my_items")))


def _my_counts(*, user, today) -> dict:
    open_items = selectors.action_items_of_owner(user=user, include_closed=False).order_by()
    return {"open": open_items.count(), "overdue": open_items.filter(due_date__lt=today).count()}


@login_required
@require_GET
def my_items(request):
    include_closed = request.GET.get("closed") == "1"
    items = list(
        selectors.action_items_of_owner(user=request.user, include_closed=include_closed)[:500]
    )
    today = timezone.localdate()
    context = {
        "items": items,
        "include_closed": include_closed,
        "today": today,
        "overdue": sum(1 for i in items if i.is_overdue(today)),
        "open": sum(1 for i in items if i.is_open),
        "reviews": list(selectors.reviews_waiting_for(user=request.user)[:20]),
    }
    return render(request, "postmortems/my_items.html", context)


@login_required
@require_GET
def team_items(request, slug):
    team = get_object_or_404(Team, slug=slug)
    include_closed = request.GET.get("closed") == "1"
    today = timezone.localdate()
    qs = access.items_visible_to(
        selectors.team_action_items(team=team, include_closed=include_closed), user=request.user
    )
    if request.GET.get("overdue") == "1":
        qs = qs.filter(status=ActionItem.Status.OPEN, due_date__lt=today)
    page = Paginator(qs, ITEMS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "team": team,
        "page": page,
        "items": page.object_list,
        "counts": selectors.team_item_counts(team=team, today=today),
        "today": today,
        "include_closed": include_closed,
        "overdue_only": request.GET.get("overdue") == "1",
        "needing": list(selectors.incidents_needing_postmortem(teams=[team])[:20]),
        "can_manage": can_manage_team(user=request.user, team=team),
    }
    return render(request, "postmortems/team_items.html", context)


# ---------------------------------------------------------------------------------- settings
@login_required
@require_http_methods(["GET", "POST"])
def team_settings(request, slug):
    team = team_for_manager_or_404(user=request.user, slug=slug)
    row = selectors.settings_for(team=team)
    form = SettingsForm(request.POST or None, initial=SettingsForm.initial_for(row))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.settings_update(
                team=team,
                sections=d["sections"],
                due_days={n: d[f"due_days_sev{n}"] for n in (1, 2, 3, 4)},
                postmortem_due_business_days=d["postmortem_due_business_days"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Postmortem settings saved.")
            return redirect("postmortems:team_settings", slug=team.slug)
    status = 400 if form.errors else 200
    return render(request, "postmortems/settings.html", {"team": team, "form": form}, status=status)
