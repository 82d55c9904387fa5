"""Loaded by pytest before Django settings (``-p tests.plugin`` in pyproject.toml).

Unit and integration tests enqueue Celery tasks into an in-memory broker: what was enqueued is
asserted through ``django_capture_on_commit_callbacks`` or by running the task directly. The
reliability suite starts real workers against Redis in their own processes.
"""

import os

os.environ["CELERY_BROKER_URL"] = os.environ.get("RUNWELL_TEST_BROKER_URL", "memory://")
os.environ.setdefault("RUNWELL_BASE_URL", "http://runwell.test")


def _sleep_that_survives_libfaketime() -> None:
    """Under the calendar sweep (``make test-at``), Debian's libfaketime moves the wall clock
    and leaves the monotonic clock alone (``FAKETIME_DONT_FAKE_MONOTONIC=1``: with a faked
    monotonic clock, lock and event timeouts never end). Its ``clock_nanosleep`` wrapper then
    refuses the absolute monotonic deadline that ``time.sleep`` passes (EINVAL), so in that
    mode sleeping waits on ``select`` instead. The clock itself is not touched."""
    import select
    import time

    def sleep(seconds: float) -> None:
        deadline = time.monotonic() + max(0.0, seconds)
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = sleep


if "faketime" in os.environ.get("LD_PRELOAD", ""):
    _sleep_that_survives_libfaketime()
