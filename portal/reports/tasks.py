"""Celery entry points of the reports area: thin, they call the services."""

from celery import shared_task

from portal.reports import services


@shared_task(acks_late=True, ignore_result=True)
def send_weekly_reviews() -> int:
    """Hourly: send last week's on-call review to managers whose local time is Monday 08:00 or
    later that day and who have not had it yet (a late tick catches up)."""
    return services.weekly_reviews_send()
