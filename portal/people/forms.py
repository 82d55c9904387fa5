from django import forms
from django.contrib.auth import get_user_model

from portal.people.models import WEEKDAYS, Membership, Profile, Team
from portal.people.timezones import zone_names

User = get_user_model()


class ProfileForm(forms.ModelForm):
    time_zone = forms.CharField(
        max_length=64,
        widget=forms.TextInput(attrs={"list": "zone-names", "autocomplete": "off"}),
        help_text="An IANA zone name, such as Europe/London or America/Chicago.",
    )
    work_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Profile
        fields = [
            "display_name",
            "time_zone",
            "work_days",
            "work_start",
            "work_end",
            "sleep_start",
            "sleep_end",
        ]
        widgets = {
            "work_start": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
            "work_end": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
            "sleep_start": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
            "sleep_end": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        }

    zone_names = staticmethod(zone_names)


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "slug", "description", "swap_approval_required", "max_consecutive_days"]


class TeamCreateForm(forms.ModelForm):
    first_manager = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
        widget=forms.TextInput(attrs={"placeholder": "username"}),
        help_text="The username of the team's first manager.",
    )

    class Meta:
        model = Team
        fields = ["name", "slug", "description"]


class MemberAddForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        try:
            return User.objects.get(username=username, is_active=True)
        except User.DoesNotExist as exc:
            raise forms.ValidationError(f"No active user called {username!r}.") from exc


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
