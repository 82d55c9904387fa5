"""Installed only in the processes the reliability suite starts (``tests.reliability.settings``):
scales the delivery sweeper's grace periods down so that a scenario ends in seconds."""

from datetime import timedelta

from django.apps import AppConfig
from django.conf import settings


class ReliabilityTimingConfig(AppConfig):
    name = "tests.reliability"
    label = "reliability_timing"

    def ready(self) -> None:
        from portal.notifications import services

        services.SWEEP_GRACE = timedelta(seconds=settings.RELIABILITY_SWEEP_GRACE_SECONDS)
        services.SENDING_TIMEOUT = timedelta(seconds=settings.RELIABILITY_SENDING_TIMEOUT_SECONDS)
