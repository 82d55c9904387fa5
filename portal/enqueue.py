"""Best-effort enqueueing, for work that has a safety net.

Celery only delivers here: the database says what is due, and a beat task (the escalation
tick, the inbox drain, the delivery sweeper) finds any work whose message was lost. So a
service that wants the work done *sooner* enqueues it best effort: on the fast-failing
connection of ``portal.celery.enqueue_now`` (a dead broker must not hold a request), and a
broker error is logged, saying what catches up, and never raised::

    enqueue_on_commit(
        "incidents.tasks.escalate_incident",
        args=[incident.pk],
        what=f"escalation of incident {incident.pk}",
        meanwhile="the beat tick will pick it up.",
        log=logger,
    )

A task is named by its registered name, so services never import the ``tasks`` module
that imports them (tasks sit above services: they take ids and call them).
"""

import logging

from celery import Task
from celery.exceptions import NotRegistered
from django.db import transaction

from portal.celery import app, enqueue_now


def task_named(name: str) -> Task:
    """The registered Celery task ``name`` (``"<module>.<function>"``). Raises ``KeyError``
    (``NotRegistered``) for a name no tasks module defines: a typo fails loudly."""
    try:
        return app.tasks[name]
    except NotRegistered:
        # Not imported yet in this process (a web process imports no tasks module by
        # itself): import every app's tasks module, as a worker does when it starts.
        app.loader.import_default_modules()
        return app.tasks[name]


def enqueue(
    task: str, *, args=(), what: str, meanwhile: str, log: logging.Logger, **options
) -> bool:
    """Publish one message for the task named ``task`` now. On a broker error, log "Could
    not enqueue <what> (<error>); <meanwhile>" on ``log`` and return False."""
    found = task_named(task)
    try:
        enqueue_now(found, args=args, **options)
    except Exception as exc:  # noqa: BLE001 - the broker is down or refused: never raise
        log.warning("Could not enqueue %s (%s: %s); %s", what, type(exc).__name__, exc, meanwhile)
        return False
    return True


def enqueue_on_commit(
    task: str, *, args=(), what: str, meanwhile: str, log: logging.Logger, **options
) -> None:
    """``enqueue`` once the current transaction commits (at once outside one)."""
    task_named(task)  # a name no task has fails here, in the caller's transaction
    transaction.on_commit(
        lambda: enqueue(task, args=args, what=what, meanwhile=meanwhile, log=log, **options)
    )
