"""Celery entry points of the notifications layer: thin, they take ids and call services."""

from celery import shared_task

from portal.notifications import services


@shared_task(acks_late=True, ignore_result=True)
def deliver_notification(notification_id: int) -> str:
    """Deliver one notification. Safe to run twice or concurrently: only one run sends."""
    return services.notification_deliver(notification_id=notification_id)


@shared_task(ignore_result=True)
def sweep_notifications() -> int:
    """Beat, every 15 s: re-enqueue deliveries whose task was lost."""
    return services.notifications_sweep()
