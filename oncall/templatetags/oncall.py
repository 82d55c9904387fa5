"""``{% rota_preferences_box %}``: the reminder settings and feed link on the profile page."""

from django import template

from oncall.forms import PreferencesForm
from oncall.models import RotaPreferences

register = template.Library()


@register.inclusion_tag("oncall/_preferences_box.html", takes_context=True)
def rota_preferences_box(context):
    request = context["request"]
    user = request.user
    # Nothing is stored until the person saves a setting or makes a feed address.
    prefs = RotaPreferences.objects.filter(user=user).first() or RotaPreferences(user=user)
    form = PreferencesForm(
        initial={
            "reminder_lead_minutes": prefs.reminder_lead_minutes,
            "day_before": prefs.day_before,
        }
    )
    has_feed = prefs.ical_token_hash is not None
    return {"form": form, "has_feed": has_feed, "csrf_token": context.get("csrf_token")}
