"""Celery entry points for postmortem follow-up: thin, they call the reminder services.
Both are safe to run any number of times: every message has a per-day dedup key."""

from celery import shared_task

from incidents.postmortems import reminders


@shared_task(acks_late=True, ignore_result=True, expires=1800)
def send_postmortem_reminders() -> int:
    """Hourly: remind about resolved SEV1/SEV2 incidents still without a postmortem."""
    return reminders.postmortem_reminders_send()


@shared_task(acks_late=True, ignore_result=True, expires=1800)
def send_action_item_reminders() -> int:
    """Hourly: remind owners (and, after a week, managers) of overdue action items."""
    return reminders.action_item_reminders_send()
