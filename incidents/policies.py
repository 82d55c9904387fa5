"""Which escalation policy an incident follows, and how its escalation starts: a service's
own policy beats its team's default, and a service in maintenance pages nobody. Used when an
incident is declared, reassigned or opened by alerts (``incidents.services``,
``incidents.ingest``); editing policies and their steps is in ``incidents.services``."""

from collections.abc import Iterable
from datetime import datetime

from incidents.models import EscalationPolicy, MaintenanceWindow
from portal.catalog.models import Service
from portal.people.models import Team


def policy_for(*, team: Team, services: Iterable[Service] = ()) -> EscalationPolicy | None:
    """A service's own policy (first service that has one, owned by the team), else the
    team's default."""
    service_ids = [s.pk for s in services if s.team_id == team.pk]
    if service_ids:
        own = {
            p.service_id: p
            for p in EscalationPolicy.objects.filter(service_id__in=service_ids, team=team)
        }
        for sid in service_ids:
            if sid in own:
                return own[sid]
    return EscalationPolicy.objects.filter(team=team, service__isnull=True).first()


def maintenance_reason(*, services: Iterable[Service], now: datetime) -> str:
    services = list(services)
    if not services:
        return ""
    window = (
        MaintenanceWindow.objects.filter(service__in=services, starts_at__lte=now, ends_at__gt=now)
        .select_related("service")
        .order_by("-ends_at")
        .first()
    )
    if window is None:
        return ""
    reason = f" ({window.reason})" if window.reason else ""
    return (
        f"{window.service.name} is in maintenance until "
        f"{window.ends_at:%Y-%m-%d %H:%M} UTC{reason}: alerts are recorded but page nobody."
    )


_UNKNOWN = object()


def escalation_plan(
    *, team: Team, services: Iterable[Service] = (), now: datetime, policy=_UNKNOWN
) -> tuple[dict, str]:
    """The escalation fields of an incident opened now, and why nobody is paged (a service in
    maintenance) or "": escalation is due at once with the policy for ``team`` and
    ``services`` (pass ``policy`` if it is known already)."""
    services = list(services)
    reason = maintenance_reason(services=services, now=now)
    if policy is _UNKNOWN:
        policy = policy_for(team=team, services=services)
    fields = {
        "escalation_policy": policy,
        "escalation_level": 0,
        "escalation_repeat": 0,
        "escalation_repeats_left": policy.repeat_count if policy else 0,
        "next_escalation_at": None if reason else now,
    }
    if reason:
        fields["paging_suppressed_reason"] = reason[:500]
    return fields, reason
