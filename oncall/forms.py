from django import forms
from django.contrib.auth import get_user_model

from oncall.models import MAX_LEAD_MINUTES, MIN_LEAD_MINUTES, Layer, Override, Schedule
from portal.bounds import BoundedDateField, BoundedDateTimeField
from portal.people.models import WEEKDAYS, Team
from portal.people.timezones import validate_time_zone, zone_names

User = get_user_model()

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ScheduleForm(forms.ModelForm):
    time_zone = forms.CharField(
        max_length=64,
        validators=[validate_time_zone],
        widget=forms.TextInput(attrs={"list": "zone-names", "autocomplete": "off"}),
        help_text="Rotation start and handoff times are read in this IANA zone, e.g. "
        "Europe/London.",
    )

    class Meta:
        model = Schedule
        fields = ["name", "time_zone", "description"]

    zone_names = staticmethod(zone_names)


class UsernamesField(forms.CharField):
    """Usernames separated by commas or spaces, in order; cleaned to a list of strings."""

    def to_python(self, value):
        value = super().to_python(value)
        return [name for name in value.replace(",", " ").split() if name]


class LayerForm(forms.Form):
    name = forms.CharField(max_length=120, initial="Primary")
    participants = UsernamesField(
        required=False,
        help_text="Usernames in rotation order, separated by commas.",
        widget=forms.TextInput(attrs={"placeholder": "alice, bob, carol", "list": "team-users"}),
    )
    shift_length = forms.IntegerField(
        initial=1,
        min_value=1,
        max_value=10_000,
        error_messages={"min_value": "A shift must be at least 1 long."},
    )
    shift_unit = forms.ChoiceField(choices=Layer.Unit.choices, initial=Layer.Unit.WEEKS)
    rotation_start = BoundedDateField(
        widget=DATE, help_text="The day the first shift starts, in the schedule's zone."
    )
    handoff_time = forms.TimeField(widget=TIME, initial="09:00")
    active_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only on these days (leave all unticked for every day).",
    )
    active_start = forms.TimeField(widget=TIME, required=False, label="Active from")
    active_end = forms.TimeField(
        widget=TIME,
        required=False,
        label="Active until",
        help_text="E.g. 09:00 to 18:00 for business hours; an end before the start crosses "
        "midnight.",
    )
    start_date = BoundedDateField(widget=DATE, required=False, label="First day (optional)")
    end_date = BoundedDateField(widget=DATE, required=False, label="Last day (optional)")

    def __init__(self, *args, team, **kwargs):
        self.team = team
        super().__init__(*args, **kwargs)

    def clean_participants(self):
        names = self.cleaned_data["participants"]
        users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
        unknown = [n for n in names if n not in users]
        if unknown:
            raise forms.ValidationError(f"No active user called {', '.join(unknown)}.")
        return [users[n] for n in names]

    def clean(self):
        data = super().clean()
        if len(data.get("active_days") or []) == 7:
            data["active_days"] = []
        return data

    @classmethod
    def initial_for(cls, layer: Layer) -> dict:
        return {
            "name": layer.name,
            "participants": ", ".join(p.user.username for p in layer.participants.all()),
            "shift_length": layer.shift_length,
            "shift_unit": layer.shift_unit,
            "rotation_start": layer.rotation_start,
            "handoff_time": layer.handoff_time,
            "active_days": layer.active_days or [],
            "active_start": layer.active_start,
            "active_end": layer.active_end,
            "start_date": layer.start_date,
            "end_date": layer.end_date,
        }


class ParticipantAddForm(forms.Form):
    username = forms.CharField(max_length=150)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist as exc:
            raise forms.ValidationError(f"No active user called {username!r}.") from exc


class OverrideForm(forms.ModelForm):
    """Who, from when, until when and why. Times are read in the viewer's zone."""

    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Who is on call")
    start = BoundedDateTimeField(widget=DATETIME)
    end = BoundedDateTimeField(widget=DATETIME)
    reason = forms.CharField(max_length=300, help_text="E.g. covering for Bob's dentist visit.")

    class Meta:
        model = Override
        fields = ["user", "start", "end", "reason"]

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
        self.fields["user"].label_from_instance = lambda u: (
            f"{u.profile.name} (@{u.username})" if hasattr(u, "profile") else u.username
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "The override must end after it starts.")
        return data

    def _post_clean(self):
        # The service validates and saves; skip ModelForm's instance validation.
        pass


class PreferencesForm(forms.Form):
    reminder_lead_minutes = forms.IntegerField(
        min_value=MIN_LEAD_MINUTES,
        max_value=MAX_LEAD_MINUTES,
        initial=60,
        label="Remind me this many minutes before a shift",
        error_messages={
            "min_value": "Remind me at least 5 minutes before.",
            "max_value": "Remind me at most a week (10080 minutes) before.",
        },
    )
    day_before = forms.BooleanField(required=False, label="Also remind me the day before")


class CalendarForm(forms.Form):
    VIEWS = {"week": 7, "2weeks": 14, "month": None}
    view = forms.ChoiceField(
        choices=[("week", "Week"), ("2weeks", "Two weeks"), ("month", "Month")], required=False
    )
    start = BoundedDateField(required=False)


class OnCallFilterForm(forms.Form):
    """The filters of "On call now": a team and a text (schedule, team or person)."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="All teams",
    )
    q = forms.CharField(required=False, max_length=100, strip=True)
