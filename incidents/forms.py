from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from incidents.models import EscalationPolicy, EscalationStep, Integration, Severity
from oncall.models import Schedule
from portal.bounds import BoundedDateTimeField
from portal.catalog.models import Service
from portal.people.models import Team

User = get_user_model()

SEVERITY_CHOICES = [(v, label) for v, label in Severity.choices]
LOOKUP_MIN_LENGTH = 2
LOOKUP_MAX_LENGTH = 100


def _people():
    return User.objects.filter(is_active=True).select_related("profile").order_by("username")


# ------------------------------------------------------------------------------- look-ups
def lookup_attrs(
    *, datalist: str, url_name: str, team: Team | None = None, query: str = "this.value"
) -> dict[str, str]:
    """Attributes of a text input that suggests values from ``<datalist id=datalist>`` (the
    page fills it with the likely ones) and, once two characters are typed, refills that
    datalist with what the look-up view finds (htmx, ``GET ?q=…``; ``team``'s first).
    ``query`` is the JavaScript expression giving the text to look up (no regular
    expressions: htmx parses it)."""
    url = reverse(url_name)
    if team is not None:
        url += "?" + urlencode({"team": team.slug})
    return {
        "list": datalist,
        "autocomplete": "off",
        "hx-get": url,
        "hx-trigger": f"input[({query}).trim().length>={LOOKUP_MIN_LENGTH}] changed delay:250ms",
        "hx-vals": f"js:{{q: {query}}}",
        "hx-params": "q",
        "hx-target": f"#{datalist}",
        "hx-swap": "innerHTML",
        "hx-sync": "this:replace",
        "hx-push-url": "false",  # not inherited from a filter form that pushes its URL
    }


class LookupForm(forms.Form):
    """The query of a look-up view: ``q`` (what was typed) and optionally ``team`` (a slug,
    whose people or services come first)."""

    q = forms.CharField(
        min_length=LOOKUP_MIN_LENGTH,
        max_length=LOOKUP_MAX_LENGTH,
        error_messages={"required": "Type at least two characters to search."},
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        to_field_name="slug",
        required=False,
        error_messages={"invalid_choice": "There is no such team."},
    )


def find_user(username: str):
    username = (username or "").strip().lstrip("@")
    if not username:
        return None
    return User.objects.filter(username__iexact=username, is_active=True).first()


class PersonField(forms.CharField):
    """An active person, typed as a username (any case, ``@`` allowed). Pages suggest likely
    people in a datalist and find anyone else as one types (``lookup_attrs``).

    ``legacy_ids``: also take a user id, as the ``<select>`` this field replaced posted (a
    page loaded before the change); a username always wins over an id."""

    default_error_messages = {"unknown": "There is no active user named “%(value)s”."}

    def __init__(self, *, legacy_ids: bool = False, **kwargs):
        self.legacy_ids = legacy_ids
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.get_username() if isinstance(value, User) else value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        user = find_user(value)
        if user is None and self.legacy_ids and value.isdigit():
            user = User.objects.filter(pk=int(value), is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                self.error_messages["unknown"], code="unknown", params={"value": value.strip()}
            )
        return user


class _SlugOrNameField(forms.CharField):
    """One row of ``queryset()``, typed as its slug or its exact name (any case). Pages
    suggest likely ones in a datalist and find any other as one types (``lookup_attrs``).

    ``legacy_ids``: also take an id, as the ``<select>`` this field replaced posted (a page
    loaded before the change); a slug always wins over an id."""

    noun = ""
    default_error_messages = {
        "unknown": "There is no %(noun)s “%(value)s”: pick one from the suggestions.",
        "ambiguous": "Several %(noun)ss are named “%(value)s”: pick one from the suggestions.",
    }

    def __init__(self, *, legacy_ids: bool = False, **kwargs):
        self.legacy_ids = legacy_ids
        kwargs.setdefault("max_length", 120)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off"}))
        super().__init__(**kwargs)

    def queryset(self):
        raise NotImplementedError

    def prepare_value(self, value):
        return getattr(value, "slug", value)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        rows = self.queryset()
        found = rows.filter(slug__in={value, value.lower()}).first()
        if found is None and self.legacy_ids and value.isdigit():
            found = rows.filter(pk=int(value)).first()
        if found is None:
            named = list(rows.filter(name__iexact=value)[:2])
            params = {"noun": self.noun, "value": value}
            if len(named) > 1:
                raise forms.ValidationError(
                    self.error_messages["ambiguous"], code="ambiguous", params=params
                )
            if not named:
                raise forms.ValidationError(
                    self.error_messages["unknown"], code="unknown", params=params
                )
            found = named[0]
        return found


class ServiceField(_SlugOrNameField):
    """A service in use (not archived), typed as its slug or its exact name."""

    noun = "service"
    default_error_messages = {
        "unknown": "There is no service “%(value)s” in use: pick one from the suggestions.",
    }

    def queryset(self):
        return Service.objects.filter(archived_at__isnull=True).select_related("team")


class TeamField(_SlugOrNameField):
    """A team, typed as its slug or its exact name."""

    noun = "team"

    def queryset(self):
        return Team.objects.all()


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        profile = getattr(obj, "profile", None)
        return f"{profile.name} (@{obj.username})" if profile else obj.username


# ------------------------------------------------------------------------------- incidents
class DeclareForm(forms.Form):
    title = forms.CharField(max_length=300)
    severity = forms.TypedChoiceField(choices=SEVERITY_CHOICES, coerce=int, initial=3)
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.filter(archived_at__isnull=True)
        .select_related("team")
        .order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="The incident goes to the team that owns the (first) service.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        help_text="Only needed when no service is affected.",
    )
    description = forms.CharField(widget=forms.Textarea, required=False, max_length=10_000)

    def clean(self):
        data = super().clean()
        if not data.get("services") and not data.get("team"):
            self.add_error("services", "Name an affected service, or choose a team.")
        return data


class IncidentFilterForm(forms.Form):
    STATUS_CHOICES = [
        ("open", "Open"),
        ("triggered", "Triggered"),
        ("acknowledged", "Acknowledged"),
        ("resolved", "Resolved"),
        ("all", "All"),
    ]
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    # Typed (a slug) with suggestions, not a <select> of every team and service.
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        to_field_name="slug",
        required=False,
        error_messages={"invalid_choice": "There is no team “%(value)s”."},
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.all(),
        to_field_name="slug",
        required=False,
        error_messages={"invalid_choice": "There is no service “%(value)s”."},
    )
    severity = forms.TypedChoiceField(
        choices=[("", "Any severity"), *SEVERITY_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
    )
    mine = forms.BooleanField(required=False, label="Mine")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label, url_name in (
            ("team", "All teams", "incidents:team_lookup"),
            ("service", "All services", "incidents:service_lookup"),
        ):
            self.fields[name].widget = forms.TextInput(
                attrs={
                    "type": "search",
                    "placeholder": label,
                    "aria-label": name.title(),
                    **lookup_attrs(datalist=f"filter-{name}s", url_name=url_name),
                }
            )


class ResolveForm(forms.Form):
    actionable = forms.TypedChoiceField(
        choices=[("yes", "Yes: it needed a person"), ("no", "No: noise, nothing to do")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Was this actionable?",
        error_messages={"required": "Say whether this needed a person: it feeds the load review."},
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10_000,
        label="Resolution note",
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000, label="Note"
    )
    status_update = forms.BooleanField(
        required=False, label="Post as a status update (for people following the incident)"
    )


class SeverityForm(forms.Form):
    severity = forms.TypedChoiceField(choices=SEVERITY_CHOICES, coerce=int)


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=[("commander", "Commander"), ("comms_lead", "Communications lead")]
    )
    user = PersonField(
        required=False,
        legacy_ids=True,
        label="Person",
        help_text="A username: the team and the people involved are suggested, type to find "
        "anyone else. Empty clears the role.",
    )

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].widget.attrs.update(
            lookup_attrs(datalist="incident-people", url_name="incidents:people_lookup", team=team)
        )


class ReassignForm(forms.Form):
    team = TeamField(
        legacy_ids=True,
        label="New team",
        help_text="The owners of the affected services (and what they depend on) and your "
        "teams are suggested; type to find any other.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].widget.attrs.update(
            lookup_attrs(datalist="reassign-teams", url_name="incidents:team_lookup")
        )


# ---------------------------------------------------------------------------- integrations
def _parse_severity_map(text: str) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise forms.ValidationError(f"Line {n}: write value=SEVn, e.g. critical=SEV2.")
        key, _, value = (part.strip() for part in line.partition("="))
        value = value.upper().removeprefix("SEV")
        if not key or value not in {"1", "2", "3", "4"}:
            raise forms.ValidationError(f"Line {n}: write value=SEVn with n from 1 to 4.")
        mapping[key.lower()] = int(value)
    return mapping


def severity_map_text(mapping: dict) -> str:
    return "\n".join(f"{k}=SEV{v}" for k, v in sorted(mapping.items(), key=lambda kv: kv[1]))


class IntegrationForm(forms.ModelForm):
    severity_map_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Severity mapping",
        initial="critical=SEV2\nwarning=SEV3",
        help_text="One per line: value of the alert's severity label = SEV1…SEV4.",
    )

    class Meta:
        model = Integration
        fields = [
            "name",
            "kind",
            "service",
            "enabled",
            "auto_resolve",
            "default_severity",
            "rate_limit_per_minute",
            "heartbeat_minutes",
        ]
        labels = {
            "service": "Service (empty: the whole team)",
            "default_severity": "Severity when the label is missing or not mapped",
            "heartbeat_minutes": "Heartbeat: expect a ping every N minutes",
        }

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(
            team=team, archived_at__isnull=True
        ).order_by("name")
        self.fields["service"].required = False
        if self.instance.pk:
            # Kind and owner are fixed once alerts may have arrived.
            self.fields.pop("kind")
            self.fields.pop("service")
            self.initial["severity_map_text"] = severity_map_text(self.instance.severity_map)
        else:
            self.fields.pop("enabled")

    def clean_severity_map_text(self):
        return _parse_severity_map(self.cleaned_data["severity_map_text"])

    def settings_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["severity_map"] = data.pop("severity_map_text")
        data.pop("kind", None)
        data.pop("service", None)
        return data


# ------------------------------------------------------------------------------- policies
class PolicyForm(forms.ModelForm):
    class Meta:
        model = EscalationPolicy
        fields = ["name", "service", "repeat_count", "description"]
        labels = {"service": "Service (empty: the team's default policy)"}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(
            team=team, archived_at__isnull=True
        ).order_by("name")
        self.fields["service"].required = False
        if self.instance.pk:
            self.fields.pop("service")


class StepForm(forms.ModelForm):
    users = PeopleChoiceField(
        queryset=_people(),
        required=False,
        label="Named people",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = EscalationStep
        fields = ["wait_minutes", "schedules", "users", "notify_managers", "notify_team"]
        labels = {
            "wait_minutes": "Then wait (minutes) before the next step",
            "schedules": "On call for",
            "notify_managers": "The team's managers",
            "notify_team": "The whole team",
        }

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schedules"].queryset = Schedule.objects.filter(team=team).order_by("name")
        self.fields["schedules"].required = False
        self.fields["schedules"].widget.attrs["size"] = 4

    def clean(self):
        data = super().clean()
        if not (
            data.get("schedules")
            or data.get("users")
            or data.get("notify_managers")
            or data.get("notify_team")
        ):
            raise forms.ValidationError("A step needs at least one target.")
        return data


# ---------------------------------------------------------------------------- maintenance
class MaintenanceForm(forms.Form):
    DURATIONS = [
        ("30", "30 minutes"),
        ("60", "1 hour"),
        ("120", "2 hours"),
        ("240", "4 hours"),
        ("480", "8 hours"),
        ("1440", "1 day"),
        ("", "until…"),
    ]
    duration = forms.ChoiceField(choices=DURATIONS, required=False, initial="60")
    until = BoundedDateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In your time zone. Only when the duration is “until…”.",
    )
    reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def clean(self):
        data = super().clean()
        if data.get("duration"):
            data["ends_at"] = self.now + timedelta(minutes=int(data["duration"]))
        elif data.get("until"):
            if data["until"] <= self.now:
                self.add_error("until", "Choose a time in the future.")
            else:
                data["ends_at"] = data["until"]
        elif "until" not in self.errors:
            self.add_error("until", "Choose a duration or the time the maintenance ends.")
        return data
