"""Celery entry points for swaps and time off: thin, they call ``oncall.swaps.reminders``."""

from celery import shared_task

from oncall.swaps import reminders


@shared_task(acks_late=True, ignore_result=True)
def expire_swap_requests() -> int:
    """Every minute: open requests whose shift started expire; the requester is told."""
    return reminders.swap_requests_expire()


@shared_task(acks_late=True, ignore_result=True)
def send_swap_reminders() -> int:
    """Every few minutes: remind requesters of requests still open 3 days, 1 day, 12 h before."""
    return reminders.swap_reminders_send()


@shared_task(acks_late=True, ignore_result=True)
def flag_time_off_clashes() -> int:
    """Hourly: tell people and their managers about shifts that clash with time off."""
    return reminders.time_off_clashes_notify()
