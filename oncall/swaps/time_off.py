"""Writes about time off: recording it (its person and their managers hear about the shifts
it clashes with) and removing it."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from oncall.swaps import access
from oncall.swaps.models import TimeOff
from oncall.swaps.reminders import time_off_clashes_notify
from portal.timefmt import in_message


@transaction.atomic
def time_off_create(
    *, user, start: datetime, end: datetime, note: str = "", now: datetime | None = None
) -> TimeOff:
    """Record time off; the person and their managers hear about shifts it clashes with."""
    now = now or timezone.now()
    if end <= start:
        raise ValidationError({"end": "The last day cannot be before the first."})
    if end <= now:
        raise ValidationError({"end": "This time off is already over."})
    clash = TimeOff.objects.filter(user=user, start__lt=end, end__gt=start).first()
    if clash is not None:
        raise ValidationError(
            f"You already have time off from {in_message(clash.start, user)} to "
            f"{in_message(clash.end, user)}."
        )
    row = TimeOff.objects.create(user=user, start=start, end=end, note=note.strip())
    time_off_clashes_notify(rows=[row], now=now)
    return row


@transaction.atomic
def time_off_delete(*, time_off: TimeOff, by) -> None:
    access.time_off_delete_or_403(user=by, time_off=time_off)
    time_off.delete()
