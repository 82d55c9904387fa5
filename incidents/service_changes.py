"""What archiving or transferring a service does to its incidents, integrations and escalation,
for the catalog's confirmation pages (``portal.catalog.consequences``). Told as the code does
it: neither action touches an incident, an integration or a policy row."""

import copy
from collections import Counter

from incidents.models import EscalationPolicy, Incident, Integration, Severity
from incidents.policies import policy_for
from portal.catalog.models import Service
from portal.panels import Panel
from portal.people.models import Team


def _open_incidents(service: Service) -> list[Incident]:
    return list(
        Incident.objects.filter(services=service, status__in=Incident.OPEN_STATUSES)
        .select_related("team")
        .order_by("severity", "-triggered_at")
    )


def _by_severity(incidents: list[Incident]) -> list[tuple[str, int]]:
    """[("SEV2", 1), ("SEV3", 2)]: how many open incidents of each severity, worst first."""
    counts = Counter(i.severity for i in incidents)
    return [(Severity(sev).label, counts[sev]) for sev in sorted(counts)]


def _integrations(service: Service) -> list[Integration]:
    return list(Integration.objects.filter(service=service).order_by("name", "pk"))


def archive_consequences(*, service: Service) -> Panel:
    """Open incidents stay open and keep escalating; the service's own integrations keep
    accepting alerts and opening incidents for it (archiving disables nothing); alerts to the
    team's integrations no longer match it by their ``service`` label."""
    incidents = _open_incidents(service)
    integrations = _integrations(service)
    return Panel(
        title="Incidents and alerts",
        template="incidents/_service_archive.html",
        context={
            "service": service,
            "incidents": incidents,
            "by_severity": _by_severity(incidents),
            "integrations": integrations,
            "enabled": [i for i in integrations if i.enabled],
        },
    )


def transfer_consequences(*, service: Service, to_team: Team, user) -> Panel:
    """Open incidents stay with the team they were opened for; the service's integrations move
    with it, so new alerts open incidents for ``to_team``, paged by the policy that team
    would use for it (its own one for the service, else its default)."""
    moved = copy.copy(service)
    moved.team = to_team
    moved.team_id = to_team.pk
    own = EscalationPolicy.objects.filter(service=service).select_related("team").first()
    incidents = _open_incidents(service)
    return Panel(
        title="Incidents and alerts",
        template="incidents/_service_transfer.html",
        context={
            "service": service,
            "to_team": to_team,
            "incidents": incidents,
            "by_severity": _by_severity(incidents),
            "integrations": _integrations(service),
            "new_policy": policy_for(team=to_team, services=[moved]),
            "own_policy_left_behind": own if own and own.team_id != to_team.pk else None,
        },
    )
