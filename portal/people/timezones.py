"""Time-zone helpers shared by profiles, schedules and display."""

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def validate_time_zone(value: str) -> None:
    if value not in zone_names():
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(
                "Unknown time zone %(value)s: use an IANA name such as Europe/London.",
                code="unknown_time_zone",
                params={"value": value},
            ) from exc
