"""Calendar feeds: the iCal feed behind its unguessable token, and new feed addresses for a
schedule (its managers) or for oneself, each shown once."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from oncall import access, ical, selectors, services


def feed_address_page(request, token: str, *, title: str, back: str):
    """The new feed address, shown this once (only its hash is stored): rendered, not put in
    a message, so it is never written to the session."""
    feed_url = request.build_absolute_uri(reverse("oncall:feed", args=[token]))
    context = {"feed_url": feed_url, "title": title, "back": back}
    response = render(request, "oncall/feed_address.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def schedule_token(request, pk):
    schedule = access.schedule_for_manager_or_404(user=request.user, pk=pk)
    token = services.schedule_token_regenerate(schedule=schedule)
    return feed_address_page(
        request, token, title=f"Calendar feed of {schedule.name}", back=schedule.get_absolute_url()
    )


@login_required
@require_POST
def preferences_token(request):
    _prefs, token = services.preferences_token_regenerate(user=request.user)
    return feed_address_page(
        request, token, title="Your calendar feed", back=reverse("people:profile")
    )


@require_safe
def feed(request, token):
    """An iCal feed, behind its unguessable token (calendar apps cannot log in)."""
    schedule = selectors.schedule_for_token(token=token)
    if schedule is not None:
        body, name = ical.schedule_feed(schedule=schedule), f"schedule-{schedule.pk}"
    else:
        user = selectors.user_for_token(token=token)
        if user is None:
            raise Http404("No such calendar feed.")
        body, name = ical.user_feed(user=user), "my-shifts"
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
