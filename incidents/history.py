"""What happened over a period, as plain rows for reports: the incidents a team or a service
had, the alerts behind them and which alerts were noisiest. Read by the load and feedback
reports (``portal.reports``), which do the arithmetic."""

from __future__ import annotations

from datetime import datetime

from django.db.models import CharField, Count, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from incidents.models import Alert, Incident
from portal.people.models import Team

NOISIEST = 5


# --------------------------------------------------------------------------------------------
# A team's incidents
# --------------------------------------------------------------------------------------------


def team_incident_ids(*, team: Team) -> QuerySet:
    """The ids of all the team's incidents, as a subquery (no query of its own)."""
    return Incident.objects.filter(team=team).values("pk")


def team_incident_times(
    *, team: Team, start: datetime, end: datetime
) -> list[tuple[datetime, datetime | None, int | None, datetime | None]]:
    """``(triggered at, acknowledged at, acknowledged by id, resolved at)`` of the team's
    incidents triggered in ``[start, end)``, oldest first: one query."""
    return list(
        Incident.objects.filter(team=team, triggered_at__gte=start, triggered_at__lt=end)
        .order_by("triggered_at", "pk")
        .values_list("triggered_at", "acknowledged_at", "acknowledged_by_id", "resolved_at")
    )


def team_incidents(*, team: Team, start: datetime, end: datetime) -> list[Incident]:
    """The team's incidents triggered in ``[start, end)``, oldest first, with who acknowledged
    them: one query."""
    return list(
        Incident.objects.filter(team=team, triggered_at__gte=start, triggered_at__lt=end)
        .select_related("acknowledged_by__profile")
        .order_by("triggered_at", "pk")
    )


def team_alerts(*, team: Team, start: datetime, end: datetime) -> QuerySet[Alert]:
    """Alerts received in ``[start, end)`` for the team's incidents."""
    return Alert.objects.filter(incident__team=team, received_at__gte=start, received_at__lt=end)


# --------------------------------------------------------------------------------------------
# Services' incidents
# --------------------------------------------------------------------------------------------


def service_incident_times(
    *, service_ids: list[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, datetime | None, datetime | None, bool | None]]:
    """``(service id, triggered at, acknowledged at, resolved at, actionable)``, one row per
    service an incident triggered in ``[start, end)`` was about: one query."""
    return list(
        Incident.objects.filter(
            services__in=service_ids, triggered_at__gte=start, triggered_at__lt=end
        )
        .values_list("services", "triggered_at", "acknowledged_at", "resolved_at", "actionable")
        .order_by()
    )


def service_alerts(*, service_ids: list[int], start: datetime, end: datetime) -> QuerySet[Alert]:
    """Alerts received in ``[start, end)`` for incidents about these services."""
    return Alert.objects.filter(
        incident__services__in=service_ids, received_at__gte=start, received_at__lt=end
    )


def alert_counts_by_service(*, alerts: QuerySet[Alert]) -> dict[int, int]:
    """``{service id: how many of ``alerts`` are about it}``: one grouped query."""
    rows = alerts.values("incident__services").annotate(n=Count("pk")).order_by()
    return {row["incident__services"]: row["n"] for row in rows}


def incident_ids_of_services(*, service_ids: list[int]) -> QuerySet:
    """The ids of incidents about these services, as a subquery (no query of its own)."""
    return Incident.services.through.objects.filter(service_id__in=service_ids).values(
        "incident_id"
    )


def services_of_incidents(*, service_ids: list[int], incident_ids) -> dict[int, list[int]]:
    """``{incident id: ids of those of ``service_ids`` it is about}`` for ``incident_ids`` (ids
    or a subquery): one query."""
    services: dict[int, list[int]] = {}
    for incident_id, service_id in Incident.services.through.objects.filter(
        service_id__in=service_ids, incident_id__in=incident_ids
    ).values_list("incident_id", "service_id"):
        services.setdefault(incident_id, []).append(service_id)
    return services


# --------------------------------------------------------------------------------------------
# Noisiest alerts
# --------------------------------------------------------------------------------------------


def _named(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """An alert's name: Alertmanager's ``alertname`` label, else the summary."""
    return alerts.annotate(
        alert_name=Coalesce(KT("labels__alertname"), "summary", output_field=CharField())
    )


def noisiest_alerts(*, alerts: QuerySet[Alert], limit: int = NOISIEST) -> list[tuple[str, int]]:
    """Alert names by how many of ``alerts`` carry them, most first: one grouped query."""
    rows = (
        _named(alerts)
        .values("alert_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "alert_name")[:limit]
    )
    return [(r["alert_name"], r["n"]) for r in rows]


def noisiest_alerts_by_service(
    *, alerts: QuerySet[Alert], limit: int
) -> dict[int, list[tuple[str, int]]]:
    """``{service id: its ``limit`` noisiest alert names with counts}``: one grouped query for
    all the services."""
    rows = (
        _named(alerts)
        .values("incident__services", "alert_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "alert_name")
    )
    top: dict[int, list[tuple[str, int]]] = {}
    for row in rows:
        names = top.setdefault(row["incident__services"], [])
        if len(names) < limit:
            names.append((row["alert_name"], row["n"]))
    return top
