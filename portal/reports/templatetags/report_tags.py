"""Formatting for reports: hours from durations, readable durations from seconds, shares."""

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def hours(value: timedelta | None) -> str:
    """A duration as hours with one decimal: ``12.5``."""
    if value is None:
        return "–"
    return f"{value.total_seconds() / 3600:.1f}"


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as a short readable duration: ``45 s``, ``12 min``, ``3 h 05 min``, ``2 d 4 h``."""
    if seconds is None:
        return "–"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours_, minutes = divmod(minutes, 60)
    if hours_ < 48:
        return f"{hours_} h {minutes:02d} min"
    days, hours_ = divmod(hours_, 24)
    return f"{days} d {hours_} h"


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


@register.filter
def ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
