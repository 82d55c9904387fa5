"""Settings of the processes the reliability suite starts (web, workers, beat): the project's
own, with the sweeper's clock scaled down so every scenario ends in seconds.

Production values: the sweeper runs every 15 s, re-enqueues a pending delivery 20 s past its
due time and one stuck in "sending" after 2 min. Here: every 2 s, after 3 s and after 8 s
(still longer than the 5 s webhook timeout, so a delivery in flight is never taken for lost).
Everything else (escalation tick every 2 s, retries, dedup keys) is exactly as in production.
"""

from portal.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.reliability.apps.ReliabilityTimingConfig"]  # noqa: F405
CELERY_BEAT_SCHEDULE = {name: dict(entry) for name, entry in CELERY_BEAT_SCHEDULE.items()}  # noqa: F405
CELERY_BEAT_SCHEDULE["notifications-sweep"]["schedule"] = 2.0
RELIABILITY_SWEEP_GRACE_SECONDS = 3
RELIABILITY_SENDING_TIMEOUT_SECONDS = 8
