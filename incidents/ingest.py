"""Alerts in, incidents out: the write side of the webhooks and the heartbeat monitor.

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

``alerts_ingest`` stores the alerts of one payload: it upserts every alert by its identity,
opens or joins the incident of the payload's group, resolves incidents whose alerts have all
resolved and starts escalation for new incidents. Nobody is paged here: escalation is only
scheduled (``next_escalation_at``) and kicked on commit. Ingesting the same payload again
changes nothing.

Per integration, ingestion is serialised by a row lock on the integration, so two drainers
(or a heartbeat) cannot open two incidents for one group (a partial unique constraint backs
this).
"""

import contextlib
import functools
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from incidents import escalation, failures, services
from incidents.models import (
    TITLE_MAX_LENGTH,
    Alert,
    EscalationPolicy,
    InboxPayload,
    Incident,
    IncidentEvent,
    Integration,
    key_digest,
)
from incidents.payloads import IncomingAlert, cut
from incidents.policies import escalation_plan, policy_for
from portal import redis_client
from portal.catalog.models import Service
from portal.enqueue import enqueue

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "heartbeat"
DRAIN_BATCH = 500  # payloads per transaction
DRAIN_ROUNDS = 50  # passes over the inbox per drain (bounded: the beat comes back in 2 s)
DRAIN_LINGER_FROM = 8  # payloads in one transaction that make a burst
DRAIN_LINGER_SECONDS = 0.5
DOORBELL_KEY = "incidents:inbox:doorbell"  # set while a drain task is queued, not started
DOORBELL_TTL_MS = 5000
DOORBELL_GRACE_SECONDS = 0.05


@dataclass
class IngestResult:
    incident_ids: list[int] = field(default_factory=list)
    opened: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0  # resolved alerts never seen firing: nothing to resolve

    def as_dict(self) -> dict:
        return {
            "incidents": self.incident_ids,
            "opened": self.opened,
            "alerts_created": self.created,
            "alerts_updated": self.updated,
            "alerts_unchanged": self.unchanged,
            "alerts_ignored": self.ignored,
        }


@dataclass
class _Pending:
    """Writes that a batch of payloads defers so that each kind takes one INSERT: new alerts
    and timeline lines; also the escalation policies looked up and the incidents opened
    whose escalation is due (to kick once committed). Shared by the batch's integrations."""

    incidents: list[Incident] = field(default_factory=list)
    services: list[tuple[Incident, list[Service]]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    events: list[tuple[IncidentEvent, Alert | None]] = field(default_factory=list)
    policies: dict[tuple, EscalationPolicy | None] = field(default_factory=dict)
    due: list[Incident] = field(default_factory=list)

    def flush(self) -> None:
        """Write the new incidents (and their services), the new alerts, then the timeline
        lines, each kind in one INSERT. Before anything reads them back or writes a line
        itself (resolving an incident), so what it reads is complete and the timeline keeps
        its order."""
        if self.incidents:
            Incident.objects.bulk_create(self.incidents)
            self.incidents.clear()
        if self.services:
            Through = Incident.services.through
            rows = {(i.pk, s.pk) for i, services in self.services for s in services}
            Through.objects.bulk_create(
                [Through(incident_id=i, service_id=s) for i, s in sorted(rows)],
                ignore_conflicts=True,
            )
            self.services.clear()
        if self.alerts:
            Alert.objects.bulk_create(self.alerts)
            self.alerts.clear()
        if self.events:
            for event, alert in self.events:
                if alert is not None:
                    event.data["alert_id"] = alert.pk
            IncidentEvent.objects.bulk_create([event for event, _ in self.events])
            self.events.clear()


@dataclass
class _Known:
    """What the ingestion of one or more payloads of an integration needs to know, loaded
    once under the integration's lock and kept up to date as they are ingested in order:
    the latest alert per identity (written or pending), the open incident per group
    (locked), and the team's services named by ``service`` labels. One instance for a whole
    drain batch spares each payload those queries."""

    latest: dict[str, Alert]
    open_by_group: dict[str, Incident]
    services_by_slug: dict[str, Service]
    pending: _Pending = field(default_factory=_Pending)

    def event(
        self,
        *,
        incident: Incident,
        kind: str,
        message: str,
        at: datetime,
        alert: Alert | None = None,
    ):
        """A timeline line (about ``alert``, if given), written at the next ``flush``."""
        data = {"alert_id": alert.pk, "status": alert.status} if alert is not None else {}
        line = IncidentEvent(incident=incident, kind=kind, message=message, at=at, data=data)
        self.pending.events.append((line, alert))

    def flush(self) -> None:
        self.pending.flush()

    @classmethod
    def load(cls, integration: Integration, alerts: Iterable[IncomingAlert]) -> "_Known":
        return cls.load_many([integration], {integration.pk: list(alerts)})[integration.pk]

    @classmethod
    def load_many(
        cls, integrations: list[Integration], alerts: dict[int, list[IncomingAlert]]
    ) -> dict[int, "_Known"]:
        """For each integration (whose lock the caller holds) and its alerts to come: three
        queries whatever their number."""
        ids = [i.pk for i in integrations]
        everything = [a for pk in ids for a in alerts.get(pk, ())]
        pending = _Pending()  # shared: one INSERT of each kind, one look-up, for all
        known = {pk: cls({}, {}, {}, pending) for pk in ids}
        open_incidents = Incident.objects.filter(
            integration_id__in=ids,
            group_hash__in={key_digest(a.group_key) for a in everything},
            status__in=Incident.OPEN_STATUSES,
        )
        # One object per incident, so a change made while ingesting one payload (say, the
        # incident resolved) is what the next payload sees.
        incidents: dict[int, Incident] = {}
        for incident in open_incidents.select_for_update(of=("self",)):
            known[incident.integration_id].open_by_group[incident.group_key] = incident
            incidents[incident.pk] = incident
        for row in (
            Alert.objects.filter(
                integration_id__in=ids, dedup_hash__in={key_digest(a.dedup_key) for a in everything}
            )
            .select_related("incident")
            .order_by("integration_id", "dedup_hash", "-received_at", "-pk")
        ):
            latest = known[row.integration_id].latest
            if row.dedup_key not in latest:
                row.incident = incidents.setdefault(row.incident_id, row.incident)
                latest[row.dedup_key] = row
        by_team: dict[int, list[int]] = defaultdict(list)  # team integrations
        for integration in integrations:
            if not integration.service_id:
                by_team[integration.team_id].append(integration.pk)
        slugs = {
            a.labels["service"]
            for pks in by_team.values()
            for pk in pks
            for a in alerts.get(pk, ())
            if a.labels.get("service")
        }
        if slugs:
            for service in Service.objects.filter(
                slug__in=slugs, team_id__in=list(by_team), archived_at__isnull=True
            ).select_related("team"):
                for pk in by_team[service.team_id]:
                    known[pk].services_by_slug[service.slug] = service
        return known

    def services_for(self, integration: Integration, alerts: list[IncomingAlert]) -> list[Service]:
        """The integration's service; for a team integration, services named by a ``service``
        label (by slug) that the team owns."""
        if integration.service_id:
            return [integration.service]
        slugs = {a.labels.get("service") for a in alerts if a.labels.get("service")}
        found = [self.services_by_slug[slug] for slug in slugs if slug in self.services_by_slug]
        return sorted(found, key=lambda service: service.pk)

    def open_incident(self, group_key: str) -> Incident | None:
        incident = self.open_by_group.get(group_key)
        return incident if incident is not None and incident.is_open else None


def _alert_fields(incoming: IncomingAlert, severity: int) -> dict:
    return {
        "status": incoming.status,
        "summary": incoming.summary,
        "severity": severity,
        "source": incoming.source,
        "labels": incoming.labels,
        "annotations": incoming.annotations,
        "starts_at": incoming.starts_at,
        "ends_at": incoming.ends_at,
    }


def _update_alert(
    row: Alert, incoming: IncomingAlert, severity: int, now: datetime, known: _Known
) -> bool:
    """Bring the stored alert in line with what arrived; False (and no write) if equal."""
    fields = _alert_fields(incoming, severity)
    changed = [name for name, value in fields.items() if getattr(row, name) != value]
    if not changed:
        return False
    was = row.status
    for name in changed:
        setattr(row, name, fields[name])
    row.payload = incoming.payload
    row.updated_at = now
    update = [*changed, "payload", "updated_at"]
    if was != row.status:
        row.resolved_at = (incoming.ends_at or now) if row.status == Alert.Status.RESOLVED else None
        update.append("resolved_at")
        verb = "resolved" if row.status == Alert.Status.RESOLVED else "firing again"
        known.event(
            incident=row.incident,
            kind=IncidentEvent.Kind.ALERT,
            message=f"Alert {verb}: {row.summary}",
            at=now,
            alert=row,
        )
    if row.pk is not None:  # else it is still pending: written as it is now, at the flush
        row.save(update_fields=update)
    return True


def _open_incident(
    *,
    integration: Integration,
    group_key: str,
    firing: list[IncomingAlert],
    service_list: list[Service],
    now: datetime,
    known: _Known,
) -> Incident:
    severity = min(integration.severity_for(a.severity) for a in firing)
    more = f" (+{len(firing) - 1} more)" if len(firing) > 1 else ""
    title = cut(firing[0].summary, TITLE_MAX_LENGTH - len(more)) + more
    team = service_list[0].team if service_list else integration.owner_team
    # Escalation starts with the incident (``services.escalation_start``, in one INSERT).
    key = (team.pk, tuple(s.pk for s in service_list))
    policies = known.pending.policies
    if key not in policies:
        policies[key] = policy_for(team=team, services=service_list)
    plan, reason = escalation_plan(team=team, services=service_list, now=now, policy=policies[key])
    incident = Incident(
        title=title,
        severity=severity,
        team=team,
        integration=integration,
        group_key=group_key,
        triggered_at=now,
        **plan,
    )
    known.pending.incidents.append(incident)  # written at the next flush
    if service_list:
        known.pending.services.append((incident, service_list))
    known.event(
        incident=incident,
        kind=IncidentEvent.Kind.TRIGGERED,
        message=f"Opened by {integration.name} ({integration.get_kind_display()}).",
        at=now,
    )
    if reason:
        known.event(incident=incident, kind=IncidentEvent.Kind.MAINTENANCE, message=reason, at=now)
    if incident.next_escalation_at is not None:
        known.pending.due.append(incident)
    return incident


def _locked(queryset):
    # NO KEY UPDATE: ingestion excludes ingestion (and the drain), but the webhooks' INSERTs
    # into the inbox (whose foreign key takes KEY SHARE on the integration) never wait.
    return queryset.select_for_update(of=("self",), no_key=True).select_related(
        "service__team", "team"
    )


@transaction.atomic
def alerts_ingest(
    *,
    integration: Integration,
    alerts: list[IncomingAlert],
    now: datetime | None = None,
    force_resolve: bool = False,
) -> IngestResult:
    """Store the alerts of one payload. ``force_resolve`` resolves an incident whose alerts
    have all resolved even when the integration does not auto-resolve (heartbeats)."""
    now = now or timezone.now()
    integration = _locked(Integration.objects).get(pk=integration.pk)
    result = _ingest_locked(
        integration=integration, alerts=alerts, now=now, force_resolve=force_resolve
    )
    if alerts:
        integration.last_alert_at = now
        integration.save(update_fields=["last_alert_at"])
    return result


def _ingest_locked(
    *,
    integration: Integration,
    alerts: list[IncomingAlert],
    now: datetime,
    force_resolve: bool = False,
    known: _Known | None = None,
) -> IngestResult:
    """``alerts_ingest`` for a caller that holds the integration's row lock (and fetched it
    with its service and team), inside its transaction. ``known``: what was loaded for a
    batch of payloads that includes these alerts (else it is loaded for them alone)."""
    result = IngestResult()
    alone = known is None
    if known is None:
        known = _Known.load(integration, alerts)
    service_list = known.services_for(integration, alerts)

    by_group: dict[str, list[IncomingAlert]] = defaultdict(list)
    for incoming in alerts:
        by_group[incoming.group_key].append(incoming)

    changed: dict[int, Incident] = {}  # by id(): incidents whose known alerts changed
    opened_or_joined: list[Incident] = []
    for group_key, group_alerts in by_group.items():
        joining: list[IncomingAlert] = []
        for incoming in group_alerts:
            severity = integration.severity_for(incoming.severity)
            row = known.latest.get(incoming.dedup_key)
            if row is not None and (row.incident.is_open or not incoming.firing):
                # Known alert: it stays in its incident (even if its group changed since).
                if _update_alert(row, incoming, severity, now, known):
                    result.updated += 1
                    changed[id(row.incident)] = row.incident
                else:
                    result.unchanged += 1
                if row.incident.is_open:
                    opened_or_joined.append(row.incident)
            elif incoming.firing:
                joining.append(incoming)
            else:
                result.ignored += 1
        if not joining:
            continue
        incident = known.open_incident(group_key)
        if incident is None:
            incident = _open_incident(
                integration=integration,
                group_key=group_key,
                firing=joining,
                service_list=service_list,
                now=now,
                known=known,
            )
            known.open_by_group[group_key] = incident
            result.opened += 1
        else:
            _raise_severity(incident, joining, integration, now, known)
            if service_list:
                known.pending.services.append((incident, service_list))
        for incoming in joining:
            severity = integration.severity_for(incoming.severity)
            alert = Alert(
                integration=integration,
                incident=incident,
                dedup_key=incoming.dedup_key,
                payload=incoming.payload,
                received_at=now,
                updated_at=now,
                **_alert_fields(incoming, severity),
            )
            known.pending.alerts.append(alert)
            known.latest[incoming.dedup_key] = alert
            known.event(
                incident=incident,
                kind=IncidentEvent.Kind.ALERT,
                message=f"Alert firing: {alert.summary}",
                at=now,
                alert=alert,
            )
            result.created += 1
        opened_or_joined.append(incident)

    # Only an incident whose known alerts changed can have resolved them all (one that an
    # alert joined has a firing alert).
    for incident in changed.values():
        if incident.is_open and (integration.auto_resolve or force_resolve):
            _resolve_if_all_resolved(incident, now, known)
    if alone:
        known.flush()
        for incident in known.pending.due:
            escalation.kick_on_commit(incident)

    # In a batch, incidents opened by it have no id until its flush.
    result.incident_ids = sorted({i.pk for i in opened_or_joined if i.pk is not None})
    return result


def _raise_severity(
    incident: Incident,
    joining: list[IncomingAlert],
    integration: Integration,
    now: datetime,
    known: _Known,
) -> None:
    """A more severe alert joining raises the incident's severity, unless a person set it."""
    worst = min(integration.severity_for(a.severity) for a in joining)
    if worst < incident.severity and not incident.severity_set_by_hand:
        old = incident.severity
        incident.severity = worst
        if incident.pk is not None:  # else it is still pending: written as it is, at the flush
            incident.save(update_fields=["severity"])
        known.event(
            incident=incident,
            kind=IncidentEvent.Kind.SEVERITY,
            message=f"Severity raised from SEV{old} to SEV{worst} by a new alert.",
            at=now,
        )


def _resolve_if_all_resolved(incident: Incident, now: datetime, known: _Known) -> None:
    known.flush()  # the alerts as they are now; resolving writes the next timeline line
    if incident.alerts.filter(status=Alert.Status.FIRING).exists():
        return
    services.incident_resolve(
        incident=incident,
        by=None,
        now=now,
        note="Every alert of this incident has resolved.",
    )


# ---------------------------------------------------------------------------------- heartbeats
def _heartbeat_alert(integration: Integration, *, status: str, last: datetime | None):
    when = f"last ping {last:%Y-%m-%d %H:%M} UTC" if last else "no ping received yet"
    return IncomingAlert(
        dedup_key=HEARTBEAT_KEY,
        group_key=HEARTBEAT_KEY,
        status=status,
        summary=(
            f"Missed heartbeat: {integration.name} expects a ping every "
            f"{integration.heartbeat_minutes} min ({when})"
        ),
        severity="critical",
        source="heartbeat",
        payload={"heartbeat_minutes": integration.heartbeat_minutes},
    )


def heartbeat_ping(*, integration: Integration, now: datetime | None = None) -> IngestResult:
    """A ping arrived: remember it, and resolve the missed-heartbeat incident if one is open."""
    now = now or timezone.now()
    with transaction.atomic():
        Integration.objects.filter(pk=integration.pk).update(last_ping_at=now)
        open_alert = Alert.objects.filter(
            integration=integration,
            dedup_hash=key_digest(HEARTBEAT_KEY),
            status=Alert.Status.FIRING,
            incident__status__in=Incident.OPEN_STATUSES,
        ).first()
        if open_alert is None:
            return IngestResult()
        resolved = IncomingAlert(
            dedup_key=HEARTBEAT_KEY,
            group_key=HEARTBEAT_KEY,
            status="resolved",
            summary=open_alert.summary,
            severity="critical",
            source="heartbeat",
            labels=open_alert.labels,
            annotations=open_alert.annotations,
            payload=open_alert.payload,
            ends_at=now,
        )
        # Same fields but status and end: the alert row records the resolution.
        return alerts_ingest(
            integration=integration, alerts=[resolved], now=now, force_resolve=True
        )


def heartbeat_deadline(integration: Integration) -> datetime | None:
    if not integration.heartbeat_minutes:
        return None
    since = integration.last_ping_at or integration.heartbeat_since or integration.created_at
    return since + timedelta(minutes=integration.heartbeat_minutes)


def heartbeats_check(*, now: datetime | None = None) -> list[int]:
    """Open an incident for every heartbeat integration whose ping is overdue and that has
    none open yet. Returns the ids of the integrations that missed their ping."""
    now = now or timezone.now()
    candidates = list(
        Integration.objects.filter(enabled=True, heartbeat_minutes__isnull=False).select_related(
            "service__team", "team"
        )
    )
    already = set(
        Alert.objects.filter(
            integration__in=candidates,
            dedup_hash=key_digest(HEARTBEAT_KEY),
            status=Alert.Status.FIRING,
            incident__status__in=Incident.OPEN_STATUSES,
        ).values_list("integration_id", flat=True)
    )
    missed = []
    for integration in candidates:
        deadline = heartbeat_deadline(integration)
        if integration.pk in already or deadline is None or deadline > now:
            continue
        with transaction.atomic():
            # Re-read under the integration lock: a ping may have arrived meanwhile.
            locked = Integration.objects.select_for_update(no_key=True).get(pk=integration.pk)
            deadline = heartbeat_deadline(locked)
            if deadline is None or deadline > now or not locked.enabled:
                continue
            alert = _heartbeat_alert(locked, status="firing", last=locked.last_ping_at)
            alerts_ingest(integration=locked, alerts=[alert], now=now)
            missed.append(integration.pk)
    return missed


# --------------------------------------------------------------------------------- the inbox
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
    one transaction: first all at once, sharing what they need to know (``_Known``); if one
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
    return sum(_drain_batch(pk, limit=limit, one_by_one=True) for pk in sorted(waiting))


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
            known = _Known.load_many(list(integrations.values()), by_integration)
            for payload in payloads:  # in arrival order
                _ingest_locked(
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
            _ingest_locked(integration=integration, alerts=alerts, now=payload.received_at)
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
                _ingest_locked(integration=integration, alerts=incoming, now=payload.received_at)
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
    their place by arrival (id) and as received then (``received_at``), so a later payload
    about the same alerts that was ingested meanwhile may be overtaken: check before."""
    count = InboxPayload.objects.filter(pk__in=list(payload_ids), failed_at__isnull=False).update(
        failed_at=None, error=""
    )
    if count:
        transaction.on_commit(ring_doorbell)
    return count
