"""Alerts in, incidents out: ``alerts_ingest`` stores the alerts of one payload. It upserts
every alert by its identity, opens or joins the incident of the payload's group, resolves
incidents whose alerts have all resolved and starts escalation for new incidents. Nobody is
paged here: escalation is only scheduled (``next_escalation_at``) and kicked on commit.
Ingesting the same payload again changes nothing.

Per integration, ingestion is serialised by a row lock on the integration, so two drainers
(or a heartbeat) cannot open two incidents for one group (a partial unique constraint backs
this). Payloads reach it through the inbox (``incidents.ingest``) and the heartbeat monitor
(``incidents.heartbeats``); a drain batch shares what they need to know (``Known``) and
calls ``ingest_locked`` under the locks it holds.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents import escalation, failures, services
from incidents.models import (
    TITLE_MAX_LENGTH,
    Alert,
    EscalationPolicy,
    Incident,
    IncidentEvent,
    Integration,
    key_digest,
)
from incidents.payloads import IncomingAlert, cut
from incidents.policies import escalation_plan, policy_for
from portal.catalog.models import Service


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
class Known:
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
    def load(cls, integration: Integration, alerts: Iterable[IncomingAlert]) -> "Known":
        return cls.load_many([integration], {integration.pk: list(alerts)})[integration.pk]

    @classmethod
    def load_many(
        cls, integrations: list[Integration], alerts: dict[int, list[IncomingAlert]]
    ) -> dict[int, "Known"]:
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
    row: Alert, incoming: IncomingAlert, severity: int, now: datetime, known: Known
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
    known: Known,
) -> Incident:
    severity = min(integration.severity_for(a.severity) for a in firing)
    # The first alert's summary names the incident; how many alerts it holds is counted where
    # it is shown (a suffix such as "(+1 more)" would go stale and follow it into postmortems).
    title = cut(firing[0].summary, TITLE_MAX_LENGTH)
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
    result = ingest_locked(
        integration=integration, alerts=alerts, now=now, force_resolve=force_resolve
    )
    if alerts:
        integration.last_alert_at = now
        integration.save(update_fields=["last_alert_at"])
    return result


def ingest_locked(
    *,
    integration: Integration,
    alerts: list[IncomingAlert],
    now: datetime,
    force_resolve: bool = False,
    known: Known | None = None,
) -> IngestResult:
    """``alerts_ingest`` for a caller that holds the integration's row lock (and fetched it
    with its service and team), inside its transaction. ``known``: what was loaded for a
    batch of payloads that includes these alerts (else it is loaded for them alone)."""
    result = IngestResult()
    alone = known is None
    if known is None:
        known = Known.load(integration, alerts)
    service_list = known.services_for(integration, alerts)

    by_group: dict[str, list[IncomingAlert]] = defaultdict(list)
    for incoming in alerts:
        by_group[incoming.group_key].append(incoming)

    changed: dict[int, Incident] = {}  # by id(): incidents whose known alerts changed
    unknown_resolutions: list[IncomingAlert] = []
    opened_or_joined: list[Incident] = []
    for group_key, group_alerts in by_group.items():
        joining: list[IncomingAlert] = []
        for incoming in group_alerts:
            severity = integration.severity_for(incoming.severity)
            row = known.latest.get(incoming.dedup_key)
            if row is not None and row.updated_at > now:
                # Newer news of this alert was applied already: this is a failed payload
                # queued again after the fact, and the newest state wins.
                result.unchanged += 1
                continue
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
                unknown_resolutions.append(incoming)
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
    if unknown_resolutions:
        failures.resolutions_apply(integration=integration, resolved=unknown_resolutions, now=now)
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
    known: Known,
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


def _resolve_if_all_resolved(incident: Incident, now: datetime, known: Known) -> None:
    known.flush()  # the alerts as they are now; resolving writes the next timeline line
    if incident.alerts.filter(status=Alert.Status.FIRING).exists():
        return
    services.incident_resolve(
        incident=incident,
        by=None,
        now=now,
        note="Every alert of this incident has resolved.",
    )
