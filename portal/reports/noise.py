"""Service feedback: what each service caused over a period (alerts, incidents, pages and
when they came, times to acknowledge and resolve, the noisiest alerts) and its open action
items; and a team's services ranked noisiest first.

Rows are read through the selectors of the apps that own them (incidents, notifications,
people, postmortems), in a fixed number of queries for any number of services; the numbers
are worked out in :mod:`portal.reports.measures`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from incidents import history as incident_history
from incidents.postmortems import selectors as postmortems
from portal.catalog.models import Service
from portal.catalog.selectors import team_services
from portal.notifications.selectors import page_notifications
from portal.people.models import Team
from portal.people.selectors import profiles_by_user
from portal.reports import measures
from portal.reports.selectors import holiday_dates_by_team

TOP_ALERTS_IN_RANKING = 3


@dataclass
class ServiceNoise:
    service: Service
    alerts: int = 0
    incidents: int = 0
    pages: int = 0  # interruptions it caused (pages to one person within 60 s count once)
    off_hours_pages: int = 0
    sleep_pages: int = 0
    resolved: int = 0
    not_actionable: int = 0
    tta_median: float | None = None
    ttr_median: float | None = None
    tta_p90: float | None = None
    ttr_p90: float | None = None
    noisiest: list[tuple[str, int]] = field(default_factory=list)
    open_items: list = field(default_factory=list)
    open_items_count: int = 0

    @property
    def not_actionable_share(self) -> float | None:
        return self.not_actionable / self.resolved if self.resolved else None


def _service_pages(pages, incident_services, profiles, holidays) -> dict[int, tuple[int, int, int]]:
    """``{service id: (pages, off-hours pages, sleep pages)}`` from page rows ``(user id, sent
    at, incident id)``: each person's pages about one service within 60 s count once; off-hours
    in the person's own time, with the owning team's holidays (``{service id: dates}``)."""
    times: dict[tuple[int, int], list] = defaultdict(list)
    for user_id, sent_at, incident_id in pages:
        for service_id in incident_services.get(incident_id, ()):
            times[(service_id, user_id)].append(sent_at)
    result: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (service_id, user_id), moments in times.items():
        counts = measures.classify_interruptions(
            measures.count_once(moments),
            measures.work_pattern(profiles.get(user_id), holidays.get(service_id, frozenset())),
        )
        row = result[service_id]
        row[0] += counts.total
        row[1] += counts.off_hours
        row[2] += counts.sleep
    return {k: tuple(v) for k, v in result.items()}


def _add_incidents(by_id: dict[int, ServiceNoise], start: datetime, end: datetime) -> None:
    """Incidents, resolved and not actionable ones, times to acknowledge and resolve."""
    rows = incident_history.service_incident_times(service_ids=list(by_id), start=start, end=end)
    ttas, ttrs = defaultdict(list), defaultdict(list)
    for service_id, triggered, acked, resolved, actionable in rows:
        noise = by_id[service_id]
        noise.incidents += 1
        if acked is not None:
            ttas[service_id].append(measures.seconds(acked - triggered))
        if resolved is not None:
            ttrs[service_id].append(measures.seconds(resolved - triggered))
            noise.resolved += 1
            noise.not_actionable += actionable is False
    for service_id, noise in by_id.items():
        noise.tta_median, noise.tta_p90 = measures.median_and_p90(ttas[service_id])
        noise.ttr_median, noise.ttr_p90 = measures.median_and_p90(ttrs[service_id])


def _add_alerts(
    by_id: dict[int, ServiceNoise], start: datetime, end: datetime, *, detail: bool
) -> None:
    """Alert counts and the noisiest alert names: each service's top five with ``detail``
    (a query per service), else the top three of all services in one query."""
    alerts = incident_history.service_alerts(service_ids=list(by_id), start=start, end=end)
    for service_id, n in incident_history.alert_counts_by_service(alerts=alerts).items():
        by_id[service_id].alerts = n
    if detail:
        for noise in by_id.values():
            noise.noisiest = incident_history.noisiest_alerts(
                alerts=alerts.filter(incident__services=noise.service)
            )
        return
    top = incident_history.noisiest_alerts_by_service(alerts=alerts, limit=TOP_ALERTS_IN_RANKING)
    for service_id, names in top.items():
        by_id[service_id].noisiest = names


def _add_pages(
    by_id: dict[int, ServiceNoise], services: list[Service], start: datetime, end: datetime
) -> None:
    """Pages about the services' incidents, counted as interruptions in each recipient's own
    time with the owning team's holidays."""
    ids = list(by_id)
    page_qs = page_notifications(
        start=start,
        end=end,
        incident_ids=incident_history.incident_ids_of_services(service_ids=ids),
    )
    pages = list(page_qs.values_list("user_id", "sent_at", "message__incident_id").order_by())
    incident_services = incident_history.services_of_incidents(
        service_ids=ids, incident_ids=page_qs.values("message__incident_id")
    )
    profiles = profiles_by_user(user_ids={u for u, _, _ in pages})
    team_days = holiday_dates_by_team(team_ids={s.team_id for s in services})
    holidays = {s.pk: frozenset(team_days.get(s.team_id, ())) for s in services}
    counts = _service_pages(pages, incident_services, profiles, holidays)
    for service_id, (n, off, sleep) in counts.items():
        noise = by_id[service_id]
        noise.pages, noise.off_hours_pages, noise.sleep_pages = n, off, sleep


def _services_noise(services: list[Service], start: datetime, end: datetime, *, detail: bool):
    """Noise of these services over ``[start, end)``: a fixed number of queries for any
    number of services."""
    by_id = {s.pk: ServiceNoise(service=s) for s in services}
    if not by_id:
        return by_id
    _add_incidents(by_id, start, end)
    _add_alerts(by_id, start, end, detail=detail)
    _add_pages(by_id, services, start, end)
    return by_id


def service_feedback(*, service: Service, start: datetime, end: datetime) -> ServiceNoise:
    """What one service caused over ``[start, end)`` and its open action items: the same
    number of queries whatever the period or the service's history."""
    noise = _services_noise([service], start, end, detail=True)[service.pk]
    items = postmortems.service_action_items(service=service)
    noise.open_items = list(items[:10])
    noise.open_items_count = items.count()
    return noise


def team_service_ranking(*, team: Team, start: datetime, end: datetime) -> list[ServiceNoise]:
    """The team's services, noisiest first (pages, then off-hours pages, then alerts)."""
    services = list(team_services(team=team))
    ranked = list(_services_noise(services, start, end, detail=False).values())
    ranked.sort(key=lambda n: (-n.pages, -n.off_hours_pages, -n.alerts, n.service.name))
    return ranked
