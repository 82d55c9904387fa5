"""The postmortem editor's pages: the editor itself, and autosaving its header, sections and
timeline entries.

The editor autosaves with htmx: every section (and the header) is a form that posts itself
a moment after typing stops, carrying the ``version`` it was loaded at; the answer replaces a
small status area inside the form, which holds the next version. A stale save answers 409 with
the other person's text and two ways on: save mine over theirs (explicitly, with their
version) or load theirs (``_stale_save``). Without JavaScript the same forms post normally.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.postmortems import access, selectors, services
from incidents.postmortems.editing import VersionConflict
from incidents.postmortems.forms import EntryForm, EntrySaveForm, HeaderForm, SectionForm
from incidents.postmortems.models import Postmortem
from incidents.postmortems.views import detail_context
from portal.forms import apply_validation_error


def _base_version(request) -> int | None:
    raw = request.POST.get("overwrite_version") or request.POST.get("version")
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------- editing
def _header_form(pm: Postmortem, data=None) -> HeaderForm:
    return HeaderForm(
        data,
        initial={
            "title": pm.title,
            "severity": pm.severity,
            "started_at": pm.started_at,
            "acknowledged_at": pm.acknowledged_at,
            "resolved_at": pm.resolved_at,
        },
    )


def _edit_context(request, pm: Postmortem, **extra) -> dict:
    context = detail_context(request, pm)
    context.update(
        {
            "header_form": extra.pop("header_form", None) or _header_form(pm),
            "entry_form": extra.pop("entry_form", None) or EntryForm(),
            "raw_sections": list(pm.sections.all()),
            "next": reverse("postmortems:edit", args=[pm.pk]),
        }
    )
    context.update(extra)
    return context


@login_required
@require_GET
def postmortem_edit(request, pk):
    pm = access.postmortem_for_editor_or_403(user=request.user, pk=pk)
    if not pm.is_editable:
        messages.info(request, "This postmortem is published: it reads as it was approved.")
        return redirect(pm)
    return render(request, "postmortems/edit.html", _edit_context(request, pm))


def _conflict_page(request, pm, current, *, what: str, theirs: str, fields: dict, action: str):
    """The no-JavaScript answer to a stale save: ``current`` (the row as somebody else saved
    it) next to what this person typed, to save over theirs at their version or load theirs."""
    context = {
        "pm": pm,
        "what": what,
        "theirs": theirs,
        "their_author": current.updated_by,
        "their_time": current.updated_at,
        "fields": fields,
        "action": action,
        "version": current.version,
    }
    return render(request, "postmortems/conflict.html", context, status=409)


def _stale_save(request, pm, current, *, template: str, context: dict, **page):
    """The answer to a save based on an old version (``current``: the row as somebody else
    saved it). With htmx, the form's status area (``template``) shows theirs next to what this
    person typed; without JavaScript, the conflict page (``page``: what, theirs, fields,
    action). Both 409."""
    if not request.htmx:
        return _conflict_page(request, pm, current, **page)
    context.update(current=current, state="conflict")
    return render(request, template, context, status=409)


@login_required
@require_POST
def header_save(request, pk):
    pm = access.editable_postmortem_or_403(user=request.user, pk=pk)
    form = _header_form(pm, request.POST)
    base = _base_version(request)
    context = {"pm": pm, "base_version": base, "header_form": form}
    if base is None:
        form.add_error(None, "This page is out of date: reload it.")
    elif form.is_valid():
        d = form.cleaned_data
        try:
            pm = services.postmortem_update_header(
                postmortem=pm,
                base_version=base,
                title=d["title"],
                severity=d["severity"],
                started_at=d["started_at"],
                acknowledged_at=d["acknowledged_at"],
                resolved_at=d["resolved_at"],
                by=request.user,
            )
        except VersionConflict as conflict:
            current = conflict.current
            return _stale_save(
                request,
                pm,
                current,
                template="postmortems/edit.html#header-status",
                context=context,
                what="the title, severity and times",
                theirs=f"{current.title} · SEV{current.severity}",
                fields={k: request.POST.get(k, "") for k in form.fields},
                action=reverse("postmortems:header_save", args=[pm.pk]),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if not request.htmx:
                messages.success(request, "Saved.")
                return redirect("postmortems:edit", pk=pm.pk)
            context.update(pm=pm, base_version=pm.version, state="saved", saved_at=timezone.now())
            return render(request, "postmortems/edit.html#header-status", context)
    if not request.htmx:
        return render(
            request,
            "postmortems/edit.html",
            _edit_context(request, pm, header_form=form),
            status=400,
        )
    context["state"] = "error"
    return render(request, "postmortems/edit.html#header-status", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def section_save(request, pk, section_id):
    pm = access.editable_postmortem_or_403(user=request.user, pk=pk)
    section = selectors.section_of(postmortem=pm, section_id=section_id)
    if request.method == "GET":  # "load theirs": the section's form as it is now
        return render(request, "postmortems/edit.html#section", {"pm": pm, "section": section})
    form = SectionForm({"body": request.POST.get("body", ""), "version": _base_version(request)})
    base = _base_version(request)
    context = {"pm": pm, "section": section, "base_version": base}
    if form.is_valid():
        try:
            section = services.section_save(
                section=section, base_version=base, body=form.cleaned_data["body"], by=request.user
            )
        except VersionConflict as conflict:
            return _stale_save(
                request,
                pm,
                conflict.current,
                template="postmortems/edit.html#section-status",
                context=context,
                what=f"the section “{section.title}”",
                theirs=conflict.current.body,
                fields={"body": request.POST.get("body", "")},
                action=reverse("postmortems:section_save", args=[pm.pk, section.pk]),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if not request.htmx:
                messages.success(request, f"“{section.title}” saved.")
                return redirect(
                    reverse("postmortems:edit", args=[pm.pk]) + f"#section-{section.pk}"
                )
            context.update(
                section=section,
                base_version=section.version,
                state="saved",
                saved_at=timezone.now(),
            )
            return render(request, "postmortems/edit.html#section-status", context)
    if base is None:
        form.add_error(None, "This page is out of date: reload it.")
    context.update(state="error", errors=[e for errs in form.errors.values() for e in errs])
    if not request.htmx:
        messages.error(request, " ".join(context["errors"]))
        return render(request, "postmortems/edit.html", _edit_context(request, pm), status=400)
    return render(request, "postmortems/edit.html#section-status", context, status=400)


# ---------------------------------------------------------------------------------- timeline
def _timeline_response(request, pm_pk: int, *, status: int = 200, **extra):
    pm = selectors.postmortem_detail(pk=pm_pk)
    if not request.htmx:
        if status >= 400:
            return render(
                request, "postmortems/edit.html", _edit_context(request, pm, **extra), status=status
            )
        return redirect(reverse("postmortems:edit", args=[pm.pk]) + "#timeline")
    context = {"pm": pm, "timeline": list(pm.timeline.all()), "entry_form": EntryForm(), **extra}
    return render(request, "postmortems/edit.html#timeline", context, status=status)


@login_required
@require_POST
def entry_add(request, pk):
    pm = access.editable_postmortem_or_403(user=request.user, pk=pk)
    form = EntryForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.timeline_entry_add(
                postmortem=pm,
                at=d["at"],
                text=d["text"],
                annotation=d["annotation"],
                by=request.user,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return _timeline_response(request, pm.pk)
    return _timeline_response(request, pm.pk, status=400, entry_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def entry_save(request, pk, entry_id):
    pm = access.editable_postmortem_or_403(user=request.user, pk=pk)
    entry = selectors.entry_of(postmortem=pm, entry_id=entry_id)
    if request.method == "GET":  # "load theirs"
        return render(request, "postmortems/edit.html#entry", {"pm": pm, "entry": entry})
    action = request.POST.get("action", "save")
    try:
        if action in ("up", "down"):
            services.timeline_entry_move(entry=entry, up=action == "up")
            return _timeline_response(request, pm.pk)
        if action == "delete":
            services.timeline_entry_delete(entry=entry)
            return _timeline_response(request, pm.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _timeline_response(request, pm.pk, status=400)
    form = EntrySaveForm({**request.POST.dict(), "version": _base_version(request)})
    base = _base_version(request)
    context = {"pm": pm, "entry": entry, "base_version": base, "entry_errors": []}
    if form.is_valid():
        d = form.cleaned_data
        try:
            entry = services.timeline_entry_save(
                entry=entry,
                base_version=base,
                at=d["at"],
                text=d["text"],
                annotation=d["annotation"],
                by=request.user,
            )
        except VersionConflict as conflict:
            current = conflict.current
            # Keep what this person typed in the form; show theirs next to it.
            entry.text = request.POST.get("text", "")
            entry.annotation = request.POST.get("annotation", "")
            if d.get("at"):
                entry.at = d["at"]
            return _stale_save(
                request,
                pm,
                current,
                template="postmortems/edit.html#entry",
                context=context,
                what="a timeline entry",
                theirs=f"{current.text}\n\n{current.annotation}".strip(),
                fields={k: request.POST.get(k, "") for k in ("at", "text", "annotation")},
                action=reverse("postmortems:entry_save", args=[pm.pk, entry.pk]),
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            if not request.htmx:
                return redirect(reverse("postmortems:edit", args=[pm.pk]) + f"#entry-{entry.pk}")
            context.update(entry=entry, base_version=entry.version, state="saved")
            return render(request, "postmortems/edit.html#entry", context)
    errors = [e for errs in form.errors.values() for e in errs]
    if not request.htmx:
        messages.error(request, " ".join(errors))
        return _timeline_response(request, pm.pk, status=400)
    entry.text = request.POST.get("text", "")
    entry.annotation = request.POST.get("annotation", "")
    context.update(state="error", entry_errors=errors)
    return render(request, "postmortems/edit.html#entry", context, status=400)
