"""The inbox: the write side of the webhooks.

Accept fast, process asynchronously. The webhook validates a payload (``incidents.payloads``)
and ``inbox_accept`` stores it as one :class:`~incidents.models.InboxPayload` row (a single
INSERT, no lock), then rings the doorbell: an ``inbox_drain`` task, enqueued after the row is
committed. The beat drains the inbox every 2 s as well, so a lost doorbell (broker down) only
delays processing; the alert is already in the database.

``inbox_drain`` takes one integration at a time, locked with ``FOR UPDATE SKIP LOCKED`` (a
second drainer moves on to another integration instead of waiting), and ingests its pending
payloads in arrival order, each with ``now`` = the time it was received, in one transaction:
a payload that fails is rolled back to its savepoint and kept as failed; the others proceed,
and the ingested rows are deleted in the same transaction, so none is ingested twice.

What ingesting a payload does is in ``incidents.alert_upsert`` (``alerts_ingest``); the
heartbeat monitor is in ``incidents.heartbeats``.
"""

import contextlib
import functools
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import redis
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from incidents import escalation, failures
from incidents.alert_upsert import Known, ingest_locked
from incidents.models import InboxPayload, Integration
from incidents.payloads import IncomingAlert
from portal import redis_client
from portal.enqueue import enqueue

logger = logging.getLogger(__name__)

DRAIN_BATCH = 500  # payloads per transaction
DRAIN_ROUNDS = 50  # passes over the inbox per drain (bounded: the beat comes back in 2 s)
DRAIN_LINGER_FROM = 8  # payloads in one transaction that make a burst
DRAIN_LINGER_SECONDS = 0.5
DOORBELL_KEY = "incidents:inbox:doorbell"  # set while a drain task is queued, not started
DOORBELL_TTL_MS = 5000
DOORBELL_GRACE_SECONDS = 0.05


def inbox_accept(
    *,
    integration_id: int,
    alerts: list[IncomingAlert],
    now: datetime | None = None,
    drain_seen_at: float | None = None,
) -> None:
    """Keep a validated payload for ``inbox_drain``: one INSERT (no lock, no transaction of
    its own), then, once it is committed, ring the doorbell (see ``ring_doorbell`` for
    ``drain_seen_at``). A database error propagates (the webhook answers 503: nothing was
    stored); a broker error is logged, never raised.

    This is the webhooks' hot path, so the INSERT is prepared once, with each value adapted
    by its model field, instead of going through the ORM's query compiler per request."""
    insert, fields = _inbox_insert()
    values = (integration_id, [a.as_json() for a in alerts], len(alerts), now or timezone.now())
    params = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(insert, params)
    if drain_seen_at is None:
        transaction.on_commit(ring_doorbell)
    else:
        transaction.on_commit(functools.partial(ring_doorbell, drain_seen_at=drain_seen_at))


@functools.cache
def _inbox_insert() -> tuple[str, list]:
    meta = InboxPayload._meta
    fields = [meta.get_field(n) for n in ("integration", "alerts", "alert_count", "received_at")]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    # ``error`` is NOT NULL with a blank default, which the database does not know about.
    error = quote(meta.get_field("error").column)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}, {error}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}, '')"
    )
    return sql, fields


def ring_doorbell(*, drain_seen_at: float | None = None) -> None:
    """Enqueue one ``inbox_drain`` task, unless a drain is at work or queued already.

    A drain holds a flag in Redis (``DOORBELL_KEY``) while it works, and whoever rings sets
    it (``SET NX``) for the drain it enqueues. Once a drain lets go of the flag it waits
    ``DOORBELL_GRACE_SECONDS`` and looks at the inbox once more. So a payload committed
    while the flag is held is seen: the webhook found the flag set (``drain_seen_at``, the
    ``time.monotonic()`` before it asked, in the same round trip as its rate limit) less
    than the grace ago, or it sets the flag itself, or finds it set. The flag expires by
    itself, so a drain that died holds the doorbell back for ``DOORBELL_TTL_MS`` at most;
    the beat drains the inbox every 2 s anyway. Without Redis every payload rings. A broker
    outage is logged and swallowed."""
    if drain_seen_at is not None and time.monotonic() - drain_seen_at < DOORBELL_GRACE_SECONDS:
        return
    flag = redis_client.shared()
    if flag is not None:
        try:
            if not flag.set(DOORBELL_KEY, 1, nx=True, px=DOORBELL_TTL_MS):
                return
        except redis.RedisError:
            flag = None  # ring anyway
    rang = enqueue(
        "incidents.tasks.inbox_drain",
        what="an inbox drain",
        meanwhile="the beat drains the inbox within 2 s.",
        log=logger,
    )
    if not rang and flag is not None:
        with contextlib.suppress(redis.RedisError):
            flag.delete(DOORBELL_KEY)


def _doorbell(*, hold: bool) -> None:
    """Hold the flag (a drain is at work: webhooks need not ring), or let go of it and wait
    out the grace of webhooks that saw it held (see ``ring_doorbell``)."""
    flag = redis_client.shared()
    if flag is None:
        return
    with contextlib.suppress(redis.RedisError):
        if hold:
            flag.set(DOORBELL_KEY, 1, px=DOORBELL_TTL_MS)
        else:
            flag.delete(DOORBELL_KEY)
    if not hold:
        time.sleep(DOORBELL_GRACE_SECONDS)


def inbox_drain(*, limit: int = DRAIN_BATCH, rounds: int = DRAIN_ROUNDS) -> int:
    """Ingest the pending payloads of every integration until none is left, in at most
    ``rounds`` transactions of at most ``limit`` payloads (then it rings the doorbell for the
    rest). While it works it holds the doorbell flag; when a round finds nothing it lets go,
    waits out the grace and looks once more, for payloads stored meanwhile whose doorbell
    did not ring. Integrations another drainer holds are skipped: that drainer looks again
    after its commit. Returns the number of payloads handled (ingested or marked failed).
    Safe to run at once in several processes and as often as you like."""
    pending = InboxPayload.objects.filter(failed_at__isnull=True)
    handled = 0
    for _ in range(rounds):
        _doorbell(hold=True)
        progress = _drain_some(limit=limit)
        if not progress:
            _doorbell(hold=False)
            if not pending.exists():
                return handled
            progress = _drain_some(limit=limit)
            if not progress:  # what is left, other drainers hold
                return handled
        handled += progress
        if DRAIN_LINGER_FROM <= progress < limit:
            # Payloads are pouring in (but there is no backlog): let the next batch grow.
            # Each transaction costs a dozen queries whatever its size, so in a burst bigger
            # batches leave the web processes the CPU they need to accept alerts, for at
            # most DRAIN_LINGER_SECONDS more latency.
            time.sleep(DRAIN_LINGER_SECONDS)
    _doorbell(hold=False)
    if pending.exists():
        ring_doorbell()  # out of rounds: another drain carries on
    return handled


def _drain_some(*, limit: int) -> int:
    """Ingest up to ``limit`` pending payloads of the integrations no other drainer holds, in
    one transaction: first all at once, sharing what they need to know (``Known``); if one
    of them fails, everything is rolled back and done again one integration and one payload
    at a time, each payload under a savepoint, to keep the one that fails aside."""
    try:
        return _drain_batch(None, limit=limit, one_by_one=False)
    except (OperationalError, InterfaceError):
        raise  # the database itself failed: a later drain tries again
    except Exception as exc:  # noqa: BLE001 - find the payload that fails, below
        logger.warning(
            "Draining the inbox failed (%s: %s); again, one payload at a time.",
            type(exc).__name__,
            exc,
        )
    waiting = set(
        InboxPayload.objects.filter(failed_at__isnull=True).values_list("integration_id", flat=True)
    )
    return sum(_drain_integration(pk, limit=limit) for pk in sorted(waiting))


def _drain_integration(integration_id: int, *, limit: int) -> int:
    """One integration's pending payloads, one at a time. If even that fails outside the
    payload's own savepoint (keeping a failed payload aside failed too), each payload is
    taken in a transaction of its own, and the one that breaks it is set aside as failed
    (``failures.payload_set_aside``): it blocks neither the integration's later payloads
    nor the other integrations."""
    try:
        return _drain_batch(integration_id, limit=limit, one_by_one=True)
    except (OperationalError, InterfaceError):
        raise
    except Exception:  # noqa: BLE001 - find the payload, below
        logger.exception("Draining integration %s one by one failed.", integration_id)
    handled = 0
    for _ in range(limit):
        try:
            done = _drain_batch(integration_id, limit=1, one_by_one=True)
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:  # noqa: BLE001 - this payload cannot even be kept aside
            done = failures.payload_set_aside(integration_id=integration_id, error=exc)
        if not done:
            break
        handled += done
    return handled


def _drain_batch(integration_id: int | None, *, limit: int, one_by_one: bool) -> int:
    """One transaction: lock the integrations with pending payloads (or just
    ``integration_id``), skipping those another drainer has, ingest their pending payloads
    in arrival order, each as received then, and delete them; with ``one_by_one``, each
    under a savepoint, and a payload that fails is marked failed."""
    pending = InboxPayload.objects.filter(failed_at__isnull=True)
    with transaction.atomic():
        locked = (
            Integration.objects.select_for_update(skip_locked=True, of=("self",), no_key=True)
            .select_related("service__team", "team")
            .order_by()
        )
        if integration_id is None:
            locked = locked.filter(pk__in=pending.values("integration_id"))
        else:
            locked = locked.filter(pk=integration_id)
        integrations = {i.pk: i for i in locked}
        if not integrations:  # nothing pending, or held by other drainers
            return 0
        payloads = list(
            pending.filter(integration_id__in=list(integrations)).order_by("pk")[:limit]
        )
        ingested: list[InboxPayload] = []
        if one_by_one:
            ingested = [p for p in payloads if _ingest_alone(integrations[p.integration_id], p)]
        else:
            alerts = {p.pk: [IncomingAlert.from_json(a) for a in p.alerts] for p in payloads}
            by_integration: dict[int, list[IncomingAlert]] = defaultdict(list)
            for payload in payloads:
                by_integration[payload.integration_id] += alerts[payload.pk]
            known = Known.load_many(list(integrations.values()), by_integration)
            for payload in payloads:  # in arrival order
                ingest_locked(
                    integration=integrations[payload.integration_id],
                    alerts=alerts[payload.pk],
                    now=payload.received_at,
                    known=known[payload.integration_id],
                )
            pending = next(iter(known.values())).pending  # shared by the batch
            pending.flush()
            if pending.due:  # one escalation run for all the incidents it opened
                escalation.tick_on_commit()
            ingested = payloads
        if ingested:
            InboxPayload.objects.filter(pk__in=[p.pk for p in ingested]).delete()
        latest: dict[int, datetime] = {}
        for payload in ingested:
            seen = (
                latest.get(payload.integration_id)
                or integrations[payload.integration_id].last_alert_at
            )
            if seen is None or payload.received_at > seen:
                latest[payload.integration_id] = payload.received_at
        for pk, at in latest.items():
            integrations[pk].last_alert_at = at
        if latest:
            Integration.objects.bulk_update([integrations[pk] for pk in latest], ["last_alert_at"])
    return len(payloads)


def _ingest_alone(integration: Integration, payload: InboxPayload) -> bool:
    """Ingest one payload under a savepoint; if it cannot be, each of its alerts under a
    savepoint of its own, so one bad alert holds back neither the others (a resolution
    travelling with it) nor later payloads. False if any alert could not be applied: those
    stay as the failed payload, loudly (``incidents.failures``)."""
    try:
        with transaction.atomic():
            alerts = [IncomingAlert.from_json(a) for a in payload.alerts]
            ingest_locked(integration=integration, alerts=alerts, now=payload.received_at)
    except (OperationalError, InterfaceError):
        raise
    except Exception:  # noqa: BLE001 - find the alerts that cannot be ingested, below
        logger.warning(
            "Inbox payload %s of integration %s failed; again, one alert at a time.",
            payload.pk,
            integration.pk,
            exc_info=True,
        )
    else:
        return True
    failed, first_error = [], None
    for raw in payload.alerts if isinstance(payload.alerts, list) else [payload.alerts]:
        try:
            with transaction.atomic():
                incoming = [IncomingAlert.from_json(raw)]
                ingest_locked(integration=integration, alerts=incoming, now=payload.received_at)
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:  # noqa: BLE001 - this alert cannot be ingested: keep it
            failed.append(raw)
            first_error = first_error or exc
    if not failed:
        return True
    logger.error(
        "Inbox payload %s of integration %s: %s of its alerts failed (%s); kept as failed.",
        payload.pk,
        integration.pk,
        len(failed),
        failures.describe(first_error),
    )
    failures.payload_failed(
        integration=integration,
        payload=payload,
        failed_alerts=failed,
        error=first_error,
        now=timezone.now(),
    )
    return False


def inbox_retry(*, payload_ids: Iterable[int]) -> int:
    """Queue failed payloads again, once their cause is fixed. The next drain ingests them in
    their place by arrival (id) and as received then (``received_at``). The newest news of
    an alert wins: an alert updated after the payload arrived is left as it is, and a
    resolution that came while its firing alert waited failed has already been written into
    the failed payload (``failures.resolutions_apply``), so nothing pages for an alert that
    is over."""
    count = InboxPayload.objects.filter(pk__in=list(payload_ids), failed_at__isnull=False).update(
        failed_at=None, error=""
    )
    if count:
        transaction.on_commit(ring_doorbell)
    return count
