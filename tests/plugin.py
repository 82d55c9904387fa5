"""Loaded by pytest before Django settings (``-p tests.plugin`` in pyproject.toml).

Unit and integration tests enqueue Celery tasks into an in-memory broker: what was enqueued is
asserted through ``django_capture_on_commit_callbacks`` or by running the task directly. The
reliability suite starts real workers against Redis in their own processes.
"""

import os

os.environ["CELERY_BROKER_URL"] = os.environ.get("RUNWELL_TEST_BROKER_URL", "memory://")
os.environ.setdefault("RUNWELL_BASE_URL", "http://runwell.test")
