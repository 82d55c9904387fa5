"""Forms of the postmortem pages: parsing and field-level messages; the rules live in the
services (which raise ValidationError naming the field)."""

import re

from django import forms
from django.contrib.auth import get_user_model

from incidents.forms import PersonField, ServiceField, find_user, lookup_attrs
from incidents.models import Severity
from incidents.postmortems.editing import BODY_MAX, COMMENT_MAX, ENTRY_TEXT_MAX, REASON_MAX
from incidents.postmortems.models import (
    MAX_SECTIONS,
    TITLE_MAX,
    ActionItem,
    PostmortemSettings,
)
from incidents.postmortems.selectors import SEARCH_MAX_LENGTH
from portal.bounds import BoundedDateField, BoundedDateTimeField
from portal.catalog.models import Service
from portal.people.models import Team

User = get_user_model()

SEVERITY_CHOICES = list(Severity.choices)
DATETIME_WIDGET = forms.DateTimeInput(
    attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"
)
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_REVIEWERS = 10


class HeaderForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, required=False)
    severity = forms.TypedChoiceField(choices=SEVERITY_CHOICES, coerce=int)
    started_at = BoundedDateTimeField(label="Started", widget=DATETIME_WIDGET)
    acknowledged_at = BoundedDateTimeField(
        label="Acknowledged", widget=DATETIME_WIDGET, required=False
    )
    resolved_at = BoundedDateTimeField(label="Resolved", widget=DATETIME_WIDGET, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def clean_title(self):
        title = self.cleaned_data.get("title", "").strip()
        if not title:
            raise forms.ValidationError("A postmortem needs a title.")
        return title


class SectionForm(forms.Form):
    body = forms.CharField(required=False, max_length=BODY_MAX, strip=False)
    version = forms.IntegerField(min_value=0)


class EntryForm(forms.Form):
    at = BoundedDateTimeField(label="When", widget=DATETIME_WIDGET)
    text = forms.CharField(max_length=ENTRY_TEXT_MAX, required=False)
    annotation = forms.CharField(
        label="Note", max_length=ENTRY_TEXT_MAX, required=False, widget=forms.Textarea
    )

    def clean_text(self):
        text = self.cleaned_data.get("text", "").strip()
        if not text:
            raise forms.ValidationError("Say what happened.")
        return text


class EntrySaveForm(EntryForm):
    version = forms.IntegerField(min_value=0)


def _people_lookup(team: Team | None, **kwargs) -> dict[str, str]:
    return lookup_attrs(datalist="people", url_name="incidents:people_lookup", team=team, **kwargs)


class ReviewRequestForm(forms.Form):
    reviewers = forms.CharField(
        max_length=1000,
        help_text="Usernames, separated by commas or spaces.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Look up the name being typed: the last one of the list.
        query = "this.value.trim().split(' ').pop().split(',').pop()"
        self.fields["reviewers"].widget.attrs.update(_people_lookup(team, query=query))

    def clean_reviewers(self):
        names = [n.lstrip("@") for n in re.split(r"[\s,;]+", self.cleaned_data["reviewers"]) if n]
        if not names:
            raise forms.ValidationError("Name at least one reviewer.")
        if len(names) > MAX_REVIEWERS:
            raise forms.ValidationError(f"At most {MAX_REVIEWERS} reviewers.")
        found = {
            u.username.lower(): u
            for u in User.objects.filter(is_active=True).filter(username__in=names)
        }
        # Case-insensitive fallback, one query per unknown spelling (few).
        users, unknown = [], []
        for name in names:
            user = found.get(name.lower()) or find_user(name)
            (users.append(user) if user else unknown.append(name))
        if unknown:
            raise forms.ValidationError(
                "No active user named " + ", ".join(f"“{n}”" for n in unknown) + "."
            )
        return users


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment (Markdown)",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def clean_body(self):
        body = self.cleaned_data.get("body", "").strip()
        if not body:
            raise forms.ValidationError("Write something first.")
        return body


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, required=False)
    owner = PersonField(required=False, help_text="Username of the person who will do it.")
    due_date = BoundedDateField(
        widget=DATE_WIDGET, required=False, help_text="Empty: the team's default for the severity."
    )
    service = ServiceField(
        required=False,
        legacy_ids=True,
        help_text="The postmortem's and the team's services are suggested; type to find others.",
    )
    priority = forms.TypedChoiceField(
        choices=ActionItem.Priority.choices, coerce=int, initial=ActionItem.Priority.MEDIUM
    )
    tracker_url = forms.URLField(
        label="Tracker link", max_length=500, required=False, assume_scheme="https"
    )

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].widget.attrs.update(_people_lookup(team))
        self.fields["service"].widget.attrs.update(
            lookup_attrs(datalist="services", url_name="incidents:service_lookup", team=team)
        )

    def clean_title(self):
        title = self.cleaned_data.get("title", "").strip()
        if not title:
            raise forms.ValidationError("An action item needs a title.")
        return title

    def clean_owner(self):
        owner = self.cleaned_data.get("owner")
        if owner is None and "owner" not in self.errors:
            raise forms.ValidationError("Who will do it? Name an owner.")
        return owner


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)
    reason = forms.CharField(
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required for won't do.",
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == ActionItem.Status.WONT_DO and not data.get("reason", "").strip():
            self.add_error("reason", "Say why this will not be done.")
        return data


class SettingsForm(forms.Form):
    sections = forms.CharField(
        label="Template sections",
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=(
            "One section per line, in order: “Title” or “Title | prompt shown to the "
            f"author”. At most {MAX_SECTIONS}. Changes apply to postmortems started later."
        ),
    )
    due_days_sev1 = forms.IntegerField(
        label="SEV1 action items due after (days)", min_value=1, max_value=365
    )
    due_days_sev2 = forms.IntegerField(
        label="SEV2 action items due after (days)", min_value=1, max_value=365
    )
    due_days_sev3 = forms.IntegerField(
        label="SEV3 action items due after (days)", min_value=1, max_value=365
    )
    due_days_sev4 = forms.IntegerField(
        label="SEV4 action items due after (days)", min_value=1, max_value=365
    )
    postmortem_due_business_days = forms.IntegerField(
        label="SEV1/SEV2 postmortem due after (business days)", min_value=1, max_value=30
    )

    @staticmethod
    def initial_for(row: PostmortemSettings) -> dict:
        lines = [
            f"{s['title']} | {s['prompt']}" if s.get("prompt") else s["title"] for s in row.sections
        ]
        return {
            "sections": "\n".join(lines),
            **{f"due_days_sev{n}": row.due_days(n) for n in Severity.values},
            "postmortem_due_business_days": row.postmortem_due_business_days,
        }

    def clean_sections(self):
        result = []
        for line in self.cleaned_data["sections"].splitlines():
            if not line.strip():
                continue
            title, _, prompt = line.partition("|")
            result.append({"title": title.strip(), "prompt": prompt.strip()})
        return result


class SearchForm(forms.Form):
    q = forms.CharField(max_length=SEARCH_MAX_LENGTH, required=False, label="Search")
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), to_field_name="slug", required=False
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.order_by("name"), to_field_name="slug", required=False
    )
    date_from = BoundedDateField(widget=DATE_WIDGET, required=False, label="From")
    date_to = BoundedDateField(widget=DATE_WIDGET, required=False, label="To")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end of the range is before its start.")
        return data
