"""The Celery application. Every ``CELERY_*`` Django setting configures it."""

import contextlib
import os
import threading

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# redis:// brokers use kombu's Redis transport with a lost-connection race made recoverable
# (see portal/broker.py).
TRANSPORT_ALIASES["redis"] = "portal.broker:Transport"

app = Celery("runwell")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A broker connection per thread (and process) for enqueueing from a web request or a task
# at once: kept open between calls, and failing fast instead of retrying while a request
# waits. Only for work that has a safety net (a beat tick finds it anyway).
FAST_CONNECT_TIMEOUT = 1.0  # seconds
_fast = threading.local()


def enqueue_now(task, args=(), **options) -> None:
    """Publish one message for ``task`` on this thread's fast-failing connection. Raises the
    broker's error (the connection is then dropped and opened afresh next time)."""
    key = (os.getpid(), task.app.conf.broker_write_url or task.app.conf.broker_url)
    if getattr(_fast, "key", None) != key:
        _drop_fast_connection()
        _fast.connection = task.app.connection_for_write(
            connect_timeout=FAST_CONNECT_TIMEOUT, transport_options={"max_retries": 0}
        )
        _fast.key = key
    try:
        task.apply_async(args=args, retry=False, connection=_fast.connection, **options)
    except Exception:
        _drop_fast_connection()
        raise


def _drop_fast_connection() -> None:
    connection = getattr(_fast, "connection", None)
    _fast.connection = _fast.key = None
    if connection is not None:
        with contextlib.suppress(Exception):  # a broken connection may fail to close
            connection.release()
