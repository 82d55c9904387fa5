"""``{% rota_preferences_box %}``: the reminder settings and feed link on the profile page."""

from django import template
from django.urls import reverse

from oncall.forms import PreferencesForm
from oncall.models import RotaPreferences

register = template.Library()


@register.inclusion_tag("oncall/_preferences_box.html", takes_context=True)
def rota_preferences_box(context):
    request = context["request"]
    user = request.user
    prefs = RotaPreferences.objects.filter(user=user).first()
    if prefs is None:  # created with the defaults on first view, so the feed has a token
        from oncall.services import preferences_for

        prefs = preferences_for(user=user)
    form = PreferencesForm(
        initial={
            "reminder_lead_minutes": prefs.reminder_lead_minutes,
            "day_before": prefs.day_before,
        }
    )
    feed_url = request.build_absolute_uri(reverse("oncall:feed", args=[prefs.ical_token]))
    return {"form": form, "feed_url": feed_url, "csrf_token": context.get("csrf_token")}
