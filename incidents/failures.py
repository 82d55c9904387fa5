"""A payload that was accepted (202) but could not be ingested is loud, never silent.

A 202 is a promise: the sender (Alertmanager) will not send it again. So when the inbox drain
cannot ingest a payload (``incidents.ingest``), ``payload_failed``:

- keeps the alerts that could not be applied in the inbox row, marked failed with the error
  (the admin's "Queue again" and ``manage.py inbox_requeue`` ingest them once fixed; the
  ``runwell_inbox_failed`` metric counts them);
- writes an "Update not applied" line on the timeline of every incident the payload was
  about (its group's latest, its alerts'), which the incident page shows as a warning while the
  payload stays failed;
- pages the managers of the integration's team (staff, if the team has none) with "Alerts
  from <integration> could not be processed" and the error: once per integration and hour
  (the integration page and the incident list show every failure).
"""

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import Alert, InboxPayload, Incident, IncidentEvent, Integration, key_digest
from incidents.payloads import cut
from portal.notifications.models import Kind
from portal.notifications.services import notify
from portal.people.selectors import team_managers

logger = logging.getLogger(__name__)

ERROR_MAX = 2000


def describe(exc: BaseException) -> str:
    return cut(f"{type(exc).__name__}: {exc}", ERROR_MAX)


def payload_failed(
    *,
    integration: Integration,
    payload: InboxPayload,
    failed_alerts: list,
    error: BaseException,
    now: datetime,
) -> None:
    """Keep ``failed_alerts`` (the raw JSON of the payload's alerts that could not be applied)
    as the failed payload, and tell the incidents and people concerned. Inside the drain's
    transaction: it all stands or falls with it."""
    payload.failed_at = now
    payload.error = describe(error)
    payload.alerts = failed_alerts
    payload.alert_count = len(failed_alerts)
    payload.save(update_fields=["failed_at", "error", "alerts", "alert_count"])
    for incident in _incidents_about(integration, failed_alerts):
        IncidentEvent.objects.create(
            incident=incident,
            kind=IncidentEvent.Kind.UPDATE_FAILED,
            at=now,
            message=(
                f"An update from {integration.name} could not be applied "
                f"({len(failed_alerts)} alert(s)): {cut(payload.error, 300)} "
                f"It waits in the inbox as payload #{payload.pk}."
            ),
            data={"payload_id": payload.pk},
        )
    try:
        with transaction.atomic():
            _page_owners(integration=integration, payload=payload, now=now)
    except Exception:  # noqa: BLE001 - the failure is kept and shown even if paging fails
        logger.exception("Could not page about failed inbox payload %s", payload.pk)


def payload_set_aside(*, integration_id: int, error: BaseException) -> int:
    """Last resort of the drain: the integration's oldest pending payload broke even the
    one-at-a-time ingestion (``payload_failed`` itself failed), so mark it failed as it is,
    in a transaction of its own, and still try to tell the owners. 1 if a payload was set
    aside, 0 if none was pending."""
    now = timezone.now()
    with transaction.atomic():
        payload = (
            InboxPayload.objects.select_for_update(skip_locked=True)
            .filter(integration_id=integration_id, failed_at__isnull=True)
            .order_by("pk")
            .first()
        )
        if payload is None:
            return 0
        payload.failed_at = now
        payload.error = describe(error)
        payload.save(update_fields=["failed_at", "error"])
    logger.error("Inbox payload %s set aside as failed: %s", payload.pk, payload.error)
    try:
        with transaction.atomic():
            _page_owners(integration=payload.integration, payload=payload, now=now)
    except Exception:  # noqa: BLE001 - the failure is kept and shown even if paging fails
        logger.exception("Could not page about failed inbox payload %s", payload.pk)
    return 1


FAILED_SCANNED = 200  # the most recent failed payloads searched for a late resolution


def resolutions_apply(*, integration: Integration, resolved: list, now: datetime) -> int:
    """Resolutions arrived for alerts Runwell never stored (``resolved``: ``IncomingAlert``s):
    if such an alert waits in a failed payload of the integration, firing, write the
    resolution into it, so that queuing it again does not page for an alert that is already
    over (Alertmanager sends a resolution once). Only failed payloads that arrived before
    ``now`` are touched. Returns how many alerts were marked resolved."""
    failed = list(
        InboxPayload.objects.filter(
            integration=integration, failed_at__isnull=False, received_at__lte=now
        ).order_by("-pk")[:FAILED_SCANNED]
    )
    if not failed:
        return 0
    news = {alert.dedup_key: alert for alert in resolved}
    marked = 0
    for payload in failed:
        touched = False
        for raw in payload.alerts if isinstance(payload.alerts, list) else []:
            alert = news.get(raw.get("dedup_key")) if isinstance(raw, dict) else None
            if alert is None or raw.get("status") != "firing":
                continue
            raw["status"] = "resolved"
            raw["ends_at"] = (alert.ends_at or now).isoformat()
            touched, marked = True, marked + 1
        if touched:
            payload.save(update_fields=["alerts"])
    return marked


def _incidents_about(integration: Integration, raw_alerts: list) -> list[Incident]:
    """The incidents the alerts were about: the latest of each of their groups and the one
    each alert last belonged to (open or already resolved: a resolution that could not be
    applied matters as much as a new alert)."""
    groups, identities = set(), set()
    for raw in raw_alerts:
        if isinstance(raw, dict):
            if isinstance(raw.get("group_key"), str):
                groups.add(key_digest(raw["group_key"]))
            if isinstance(raw.get("dedup_key"), str):
                identities.add(key_digest(raw["dedup_key"]))
    found: dict[int, Incident] = {}
    for digest in sorted(groups):
        incident = (
            Incident.objects.filter(integration=integration, group_hash=digest)
            .order_by("-triggered_at", "-pk")
            .first()
        )
        if incident is not None:
            found[incident.pk] = incident
    for digest in sorted(identities)[:100]:  # a failure path: bounded
        alert = (
            Alert.objects.filter(integration=integration, dedup_hash=digest)
            .select_related("incident")
            .order_by("-received_at", "-pk")
            .first()
        )
        if alert is not None:
            found[alert.incident_id] = alert.incident
    return [found[pk] for pk in sorted(found)]


def _people_to_page(integration: Integration) -> list:
    team = integration.service.team if integration.service_id else integration.team
    people = list(team_managers(team=team)) if team is not None else []
    if not people:
        people = list(get_user_model().objects.filter(is_staff=True, is_active=True))
    return people


def _page_owners(*, integration: Integration, payload: InboxPayload, now: datetime) -> None:
    team = integration.service.team if integration.service_id else integration.team
    url = reverse("incidents:integration_list", args=[team.slug])
    subject = f"Alerts from {integration.name} could not be processed"
    body = (
        f"Runwell accepted a webhook payload from {integration.name} at "
        f"{payload.received_at:%Y-%m-%d %H:%M:%S} UTC but could not process "
        f"{payload.alert_count} of its alerts:\n\n{payload.error}\n\n"
        "Nobody was paged for them. They are kept (Django admin, Inbox payloads, filter "
        '"Failed"); once the cause is fixed, queue them again there or with '
        "`python manage.py inbox_requeue`."
    )
    for person in _people_to_page(integration):
        notify(
            user=person,
            kind=Kind.PAGE,
            dedup_key=f"inbox-failed:{integration.pk}:{now:%Y%m%d%H}:{person.pk}",
            subject=subject,
            body=body,
            url=url,
        )
