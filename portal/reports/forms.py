"""The reporting period (last 7 / 30 / 90 days or a custom range), the period of a service's
feedback panel (last 7 / 30 / 90 days) and the holiday form."""

from datetime import date, datetime, time, timedelta, tzinfo

from django import forms

from portal.bounds import BoundedDateField
from portal.reports.models import Holiday

PERIODS = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("custom", "Custom range"),
]
DEFAULT_PERIOD = "30"
MAX_DAYS = 366


class PeriodForm(forms.Form):
    period = forms.ChoiceField(choices=PERIODS, required=False, initial=DEFAULT_PERIOD)
    start = BoundedDateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = BoundedDateField(
        required=False,
        label="To",
        help_text="Both days included.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        period = data.get("period") or DEFAULT_PERIOD
        data["period"] = period
        if period != "custom":
            return data
        start, end = data.get("start"), data.get("end")
        if start is None and "start" not in self.errors:
            self.add_error("start", "Give the first day of the range.")
        if end is None and "end" not in self.errors:
            self.add_error("end", "Give the last day of the range.")
        if start and end:
            if end < start:
                self.add_error("end", "The last day cannot be before the first.")
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("end", f"Choose at most {MAX_DAYS} days.")
        return data

    def bounds(self, *, now: datetime, zone: tzinfo) -> tuple[datetime, datetime, str]:
        """``(start, end, label)`` of the chosen period; call after ``is_valid()``."""
        data = self.cleaned_data
        if data["period"] == "custom":
            start, end = data["start"], data["end"]
            return (
                _midnight(start, zone),
                _midnight(end + timedelta(days=1), zone),
                f"{start:%d %b %Y} – {end:%d %b %Y}",
            )
        days = int(data["period"])
        return now - timedelta(days=days), now, dict(PERIODS)[data["period"]]


def period_form(params) -> PeriodForm:
    """The form bound to the query string (an empty query string means the default)."""
    keys = {"period", "start", "end"}
    return PeriodForm(params if keys & set(params) else {"period": DEFAULT_PERIOD})


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), zone)


SERVICE_PERIODS = PERIODS[:3]  # the service feedback panel has no custom range


class ServicePeriodForm(forms.Form):
    """The period of a service's feedback panel. Its one parameter, ``feedback_period``, rides
    on the service page's own query string, so it is named apart from the other panels'."""

    feedback_period = forms.ChoiceField(
        choices=SERVICE_PERIODS,
        required=False,
        error_messages={"invalid_choice": "Choose the last 7, 30 or 90 days."},
    )

    def clean_feedback_period(self) -> str:
        return self.cleaned_data["feedback_period"] or DEFAULT_PERIOD

    def bounds(self, *, now: datetime) -> tuple[datetime, datetime, str]:
        """``(start, end, label)`` of the chosen period; call after ``is_valid()``."""
        period = self.cleaned_data["feedback_period"]
        return now - timedelta(days=int(period)), now, dict(SERVICE_PERIODS)[period]


class HolidayForm(forms.ModelForm):
    date = BoundedDateField(widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Holiday
        fields = ["date", "name"]
        labels = {"name": "Holiday"}
