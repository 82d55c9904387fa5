"""The dates and times Runwell takes from outside: the years 1970-2199, everywhere.

Wide enough for any rota's history and plans, narrow enough that date arithmetic (a window's
end, next week, a rotation's next shift, a time shown in a zone east of UTC) can never leave
what Python and PostgreSQL can represent. The API's fields (``portal/api/base.py``) and every
form field below use these bounds, so a page refuses what the API refuses, with the same
message, before anything is stored or computed. A datetime is checked as written, in the
zone it was entered in: its UTC value is then at most a day outside, still safe.
"""

from datetime import UTC, date, datetime

from django import forms
from django.core.exceptions import ValidationError

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
FIRST_YEAR = EARLIEST.year
LAST_YEAR = LATEST.year - 1

DATE_MESSAGE = "Give a date between 1970 and 2200."
TIME_MESSAGE = "Give a time between 1970 and 2200."


def in_range(value: date | datetime) -> bool:
    """Whether a date or a datetime (as written: its own year) is in 1970-2199."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def check_date(value: date) -> date:
    """``value``, or a ValidationError with the bounds' message."""
    if not in_range(value):
        raise ValidationError(DATE_MESSAGE, code="out_of_range")
    return value


class BoundedDateField(forms.DateField):
    """A form's date field, in 1970-2199."""

    def to_python(self, value):
        result = super().to_python(value)
        return None if result is None else check_date(result)


class BoundedDateTimeField(forms.DateTimeField):
    """A form's date and time field, in 1970-2199 as written in the viewer's zone (checked
    before it is turned into an aware time, which for year 9999 could overflow)."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and not in_range(result):
            raise ValidationError(TIME_MESSAGE, code="out_of_range")
        return result
