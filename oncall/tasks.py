"""Celery entry points for rotas: thin, they call the reminder services."""

from celery import shared_task

from oncall import reminders


@shared_task(acks_late=True, ignore_result=True)
def send_shift_reminders() -> int:
    """Every minute: remind people whose shift starts within their lead time."""
    return reminders.shift_reminders_send()


@shared_task(acks_late=True, ignore_result=True)
def send_coverage_warnings() -> int:
    """Weekly: tell managers about gaps in their teams' schedules over the next 30 days."""
    return reminders.coverage_warnings_send()
