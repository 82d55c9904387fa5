from django import forms
from django.core.exceptions import ValidationError

from portal.notifications.addresses import validate_address
from portal.notifications.models import Channel, Kind


class ContactMethodForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices, label="Type")
    address = forms.CharField(
        max_length=500,
        help_text="An email address, or a Slack-compatible incoming webhook URL.",
    )
    label = forms.CharField(max_length=80, required=False, help_text="Optional, e.g. “Work”.")

    def clean(self):
        data = super().clean()
        if "channel" in data and data.get("address"):
            try:
                validate_address(channel=data["channel"], address=data["address"].strip())
            except ValidationError as exc:
                for field, errors in exc.error_dict.items():
                    for e in errors:
                        self.add_error(field, e)
        return data


class ContactMethodEditForm(forms.Form):
    address = forms.CharField(max_length=500)
    label = forms.CharField(max_length=80, required=False)
    enabled = forms.BooleanField(required=False)


class PreferencesForm(forms.Form):
    """One multiple-choice field per kind: which of the user's methods receive it."""

    def __init__(self, *args, methods, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(m.pk, m.name) for m in methods]
        for value, label in Kind.choices:
            self.fields[value] = forms.TypedMultipleChoiceField(
                label=label,
                choices=choices,
                coerce=int,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def choices(self) -> dict[str, set[int]]:
        return {kind: set(self.cleaned_data.get(kind) or []) for kind in Kind.values}
