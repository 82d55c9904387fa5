"""Inbox, unread badge, contact methods and preferences. Thin: parse, check, call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from portal.forms import apply_validation_error
from portal.notifications import access, methods, selectors, services
from portal.notifications.forms import ContactMethodEditForm, ContactMethodForm, PreferencesForm
from portal.notifications.models import Message, Notification
from portal.notifications.templatetags.notifications import profile_section_context

READ_EVENT = "notificationsRead"

# Apps that show something of their own under inbox messages, as dotted paths of functions
# ``(*, user, messages) -> None``: each loads what it shows for those messages in a fixed
# number of queries and sets it on them before the page renders (its template tags query
# nothing), the way ``portal.panels`` lists the panels.
INBOX_PREPARERS: list[str] = []
INBOX_PREPARERS.append("oncall.swaps.inbox.inbox_messages_prepare")


def _prepare(user, messages) -> None:
    for path in INBOX_PREPARERS:
        import_string(path)(user=user, messages=messages)


# ------------------------------------------------------------------------------------ inbox
@login_required
@require_GET
def inbox(request):
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.inbox(user=request.user, unread_only=unread_only).prefetch_related(
        Prefetch("deliveries", queryset=Notification.objects.order_by("created_at", "pk"))
    )
    page = Paginator(qs, selectors.INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    _prepare(request.user, page.object_list)
    context = {"page": page, "unread_only": unread_only}
    template = "notifications/inbox.html#list" if request.htmx else "notifications/inbox.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@never_cache
@require_GET
def badge(request):
    if not request.user.is_authenticated:
        # A poll from a page whose session ended: 286 tells htmx to stop polling.
        if request.htmx:
            return HttpResponse(status=286)
        return redirect_to_login(request.get_full_path())
    count = selectors.unread_count(user=request.user)
    return render(request, "notifications/_badge.html", {"unread_count": count})


@login_required
@require_POST
def mark_read(request, pk):
    try:
        message = services.message_mark_read(user=request.user, message_id=pk)
    except Message.DoesNotExist as exc:
        raise Http404("No such message.") from exc
    if request.htmx:
        message = selectors.inbox(user=request.user).prefetch_related("deliveries").get(pk=pk)
        _prepare(request.user, [message])
        response = render(request, "notifications/inbox.html#message", {"message": message})
        return trigger_client_event(response, READ_EVENT)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request):
    services.messages_mark_all_read(user=request.user)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return trigger_client_event(response, READ_EVENT)
    messages.success(request, "All messages marked read.")
    return redirect("notifications:inbox")


# --------------------------------------------------------------------------- contact methods
def _section(
    request,
    *,
    add_form=None,
    pref_form=None,
    edit_form=None,
    edit_pk=None,
    template="notifications/profile_section.html#section",
    status=200,
):
    """The profile's notifications section, the target of every htmx form in it. A rejected
    edit comes back with ``edit_form`` and ``edit_pk``: that method's row shows it, open."""
    context = profile_section_context(user=request.user, add_form=add_form, pref_form=pref_form)
    context.update(edit_form=edit_form, edit_pk=edit_pk)
    return render(request, template, context, status=status)


def _done(request, note: str):
    if request.htmx:
        return _section(request)
    messages.success(request, note)
    return redirect("people:profile")


@login_required
@require_POST
def method_add(request):
    form = ContactMethodForm(request.POST)
    if form.is_valid():
        try:
            methods.contact_method_create(
                user=request.user,
                channel=form.cleaned_data["channel"],
                address=form.cleaned_data["address"],
                label=form.cleaned_data["label"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
    if form.errors:
        if request.htmx:
            return _section(request, add_form=form, status=400)
        return render(
            request,
            "notifications/method_form.html",
            {"form": form, "action": "add"},
            status=400,
        )
    return _done(request, "Contact method added. Send it a test to check it works.")


def _method_row_response(request, pk, *, test_error: str = "", status: int = 200):
    method = next((m for m in selectors.contact_methods(user=request.user) if m.pk == pk), None)
    if method is None:
        raise Http404("No such contact method.")
    context = {"method": method, "test_error": test_error}
    return render(request, "notifications/profile_section.html#method_row", context, status=status)


@login_required
@require_GET
def method_row(request, pk):
    return _method_row_response(request, pk)


@login_required
@require_POST
def method_edit(request, pk):
    method = access.contact_method_for_owner_or_404(user=request.user, pk=pk)
    form = ContactMethodEditForm(request.POST)
    if form.is_valid():
        try:
            methods.contact_method_update(
                method=method,
                address=form.cleaned_data["address"],
                label=form.cleaned_data["label"],
                enabled=form.cleaned_data["enabled"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
    if form.errors:
        if request.htmx:
            return _section(request, edit_form=form, edit_pk=method.pk, status=400)
        return render(
            request,
            "notifications/method_form.html",
            {"form": form, "action": "edit", "method": method},
            status=400,
        )
    return _done(request, "Contact method saved.")


@login_required
@require_POST
def method_delete(request, pk):
    method = access.contact_method_for_owner_or_404(user=request.user, pk=pk)
    methods.contact_method_delete(method=method)
    return _done(request, "Contact method removed.")


@login_required
@require_POST
def method_test(request, pk):
    method = access.contact_method_for_owner_or_404(user=request.user, pk=pk)
    try:
        methods.contact_method_send_test(method=method)
    except methods.TestThrottled as exc:
        if request.htmx:
            response = _method_row_response(request, pk, test_error=exc.message, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        messages.error(request, exc.message)
        return redirect("people:profile")
    if request.htmx:
        return _method_row_response(request, pk)
    messages.success(request, "Test message on its way.")
    return redirect("people:profile")


@login_required
@require_POST
def preferences(request):
    methods = selectors.contact_methods(user=request.user)
    form = PreferencesForm(request.POST, methods=methods)
    if not form.is_valid():
        if request.htmx:
            return _section(request, pref_form=form, status=400)
        return _section(
            request, pref_form=form, template="notifications/preferences_form.html", status=400
        )
    services.preferences_set(user=request.user, choices=form.choices())
    return _done(request, "Notification preferences saved.")
