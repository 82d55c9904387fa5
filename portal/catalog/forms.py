from django import forms

from portal.catalog.models import Service
from portal.people.models import Team


class ServiceFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), to_field_name="slug", required=False
    )
    tier = forms.TypedChoiceField(
        choices=[("", "Any tier")] + list(Service.Tier.choices),
        coerce=int,
        required=False,
        empty_value=None,
    )
    tag = forms.CharField(required=False, max_length=50)


class ServiceForm(forms.ModelForm):
    runbook_url = forms.URLField(required=False, max_length=200, assume_scheme="https")
    repository_url = forms.URLField(required=False, max_length=200, assume_scheme="https")
    tags = forms.CharField(
        required=False,
        help_text="Comma-separated, e.g. payments, api",
        max_length=500,
    )
    dependencies = forms.ModelMultipleChoiceField(
        queryset=Service.objects.filter(archived_at__isnull=True).order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Services this one needs in order to work.",
    )

    class Meta:
        model = Service
        fields = [
            "name",
            "slug",
            "team",
            "tier",
            "description",
            "runbook_url",
            "repository_url",
            "dependencies",
        ]

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is not None:
            self.fields["team"].queryset = teams
        if self.instance.pk:
            self.fields.pop("team")
            self.fields["dependencies"].queryset = self.fields["dependencies"].queryset.exclude(
                pk=self.instance.pk
            )
            self.initial["tags"] = ", ".join(t.name for t in self.instance.tags.all())

    def clean_tags(self):
        names = [t.strip().lower() for t in self.cleaned_data["tags"].split(",") if t.strip()]
        field = forms.SlugField()
        for name in names:
            try:
                field.clean(name)
            except forms.ValidationError as exc:
                raise forms.ValidationError(
                    f"Tag {name!r} may contain only letters, numbers, hyphens and underscores."
                ) from exc
        return names


class ServiceTransferForm(forms.Form):
    """The new owner of ``service``: any team but the one that owns it now."""

    to_team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        label="New owner",
        error_messages={"invalid_choice": "Pick one of the teams offered (not the current owner)."},
    )
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].queryset = Team.objects.exclude(pk=service.team_id).order_by("name")
