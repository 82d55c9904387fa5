from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from portal import outbound
from portal.notifications.models import Channel, Kind

_email = EmailValidator(message="Enter a valid email address.")
_url = URLValidator(schemes=["http", "https"], message="Enter an http(s):// webhook URL.")


def validate_address(*, channel: str, address: str) -> None:
    """Raise ValidationError({"address": ...}) unless ``address`` suits the channel."""
    if channel not in Channel.values:
        raise ValidationError({"channel": "Choose email or chat webhook."})
    if not address:
        raise ValidationError({"address": "Enter an address."})
    try:
        (_email if channel == Channel.EMAIL else _url)(address)
    except ValidationError as exc:
        raise ValidationError({"address": exc.messages}) from exc
    if len(address) > 500:
        raise ValidationError({"address": "At most 500 characters."})
    if channel == Channel.CHAT_WEBHOOK:
        try:
            outbound.check_url(address)
        except outbound.OutboundRefused as exc:
            raise ValidationError({"address": exc.reason}) from exc


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
