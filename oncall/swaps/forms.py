from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from oncall.forms import DATE, DATETIME
from oncall.swaps.models import SwapRequest
from portal.bounds import BoundedDateField, BoundedDateTimeField
from portal.people.names import person_name
from portal.timefmt import on_page

User = get_user_model()


def iso(moment: datetime) -> str:
    """A UTC ISO 8601 form that travels in a URL without escaping (``…Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ShiftRefForm(forms.Form):
    """Which shift a request is about, as links from the calendar and "My shifts" carry it:
    the schedule, whose shift (default: the viewer's), and its start and end."""

    schedule = forms.IntegerField(min_value=1)
    user = forms.IntegerField(min_value=1, required=False)
    shift_start = BoundedDateTimeField()
    shift_end = BoundedDateTimeField()

    def clean(self):
        data = super().clean()
        start, end = data.get("shift_start"), data.get("shift_end")
        if start and end and end <= start:
            raise forms.ValidationError("The shift must end after it starts.")
        return data


class SwapRequestForm(forms.Form):
    """Cover (someone takes my shift or a part of it) or swap (I take a colleague's shift in
    exchange). Times are read in the viewer's zone."""

    kind = forms.ChoiceField(
        choices=[
            (SwapRequest.Kind.COVER, "Ask for cover: someone takes my shift"),
            (SwapRequest.Kind.SWAP, "Propose a swap: I take one of their shifts in exchange"),
        ],
        initial=SwapRequest.Kind.COVER,
        widget=forms.RadioSelect,
        label="What do you want?",
    )
    start = BoundedDateTimeField(
        widget=DATETIME, label="From", help_text="Give away only a part of the shift if you like."
    )
    end = BoundedDateTimeField(widget=DATETIME, label="Until")
    target = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Anyone eligible on the team (first to accept takes it)",
        label="Ask",
    )
    swap_shift = forms.ChoiceField(
        required=False,
        label="Their shift you take in exchange (swap only)",
    )
    reason = forms.CharField(
        max_length=300, required=False, help_text="E.g. a wedding, a dentist visit, sickness."
    )
    assign = forms.BooleanField(
        required=False,
        label="Assign it now (manager): the colleague takes it without having to accept",
    )

    def __init__(self, *args, people, swap_shifts, can_assign: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = people
        self.show_load({})
        self.swap_shifts = {self._key(s): s for s in swap_shifts}
        zone = timezone.get_current_timezone()
        self.fields["swap_shift"].choices = [("", "—")] + [
            (
                key,
                f"{s.user_name}: {on_page(s.start, zone)} – {on_page(s.end, zone)}",
            )
            for key, s in self.swap_shifts.items()
        ]
        if not can_assign:
            del self.fields["assign"]

    def show_load(self, load: dict[int, float]) -> None:
        """Show each colleague's on-call hours over the last 90 days next to their name."""

        def label(user):
            hours = load.get(user.pk)
            extra = f" — {hours:.0f} h on call in 90 days" if hours is not None else ""
            return f"{person_name(user)} (@{user.username}){extra}"

        self.fields["target"].label_from_instance = label

    @staticmethod
    def _key(shift) -> str:
        return f"{shift.user_id}|{iso(shift.start)}|{iso(shift.end)}"

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end must be after the start.")
        if data.get("kind") == SwapRequest.Kind.SWAP:
            shift = self.swap_shifts.get(data.get("swap_shift") or "")
            if shift is None:
                self.add_error("swap_shift", "Choose the colleague's shift you take in exchange.")
            else:
                data["target"] = shift.user
                data["swap_start"], data["swap_end"] = shift.start, shift.end
            if data.get("assign"):
                self.add_error("assign", "A swap needs the colleague's agreement: ask them.")
        elif data.get("assign") and not data.get("target"):
            self.add_error("target", "Choose who takes the shift.")
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "kind": data["kind"],
            "start": data["start"],
            "end": data["end"],
            "target": data.get("target"),
            "reason": data.get("reason") or "",
            "assign": bool(data.get("assign")),
        }
        if data["kind"] == SwapRequest.Kind.SWAP:
            kwargs["swap_start"], kwargs["swap_end"] = data["swap_start"], data["swap_end"]
        return kwargs


class RejectForm(forms.Form):
    note = forms.CharField(max_length=300, required=False, label="Why (optional)")


class TimeOffForm(forms.Form):
    """Whole days in the person's own zone, first to last inclusive."""

    first_day = BoundedDateField(widget=DATE)
    last_day = BoundedDateField(widget=DATE)
    note = forms.CharField(max_length=200, required=False, help_text="E.g. holiday, conference.")

    def __init__(self, *args, zone: ZoneInfo, **kwargs):
        self.zone = zone
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", "The last day cannot be before the first.")
            else:
                data["start"] = datetime.combine(first, time(0), self.zone)
                data["end"] = datetime.combine(last + timedelta(days=1), time(0), self.zone)
        return data
