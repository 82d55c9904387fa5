"""Escalation policies: which one an incident follows and how its escalation starts (a
service's own policy beats its team's default, and a service in maintenance pages nobody),
used when an incident is declared, reassigned or opened by alerts; and editing policies and
their ordered steps (each write one transaction)."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q

from incidents.models import EscalationPolicy, EscalationStep, MaintenanceWindow
from portal.catalog.models import Service
from portal.people.models import Team


def _choose(team_id: int, service_ids: list[int], own: dict, defaults: dict):
    """The rule: the first of the services (owned by the team) with its own policy of the
    team, else the team's default (``own``: service id → policy, ``defaults``: team id →
    policy)."""
    for sid in service_ids:
        policy = own.get(sid)
        if policy is not None and policy.team_id == team_id:
            return policy
    return defaults.get(team_id)


def policy_for(*, team: Team, services: Iterable[Service] = ()) -> EscalationPolicy | None:
    """A service's own policy (first service that has one, owned by the team), else the
    team's default."""
    service_ids = [s.pk for s in services if s.team_id == team.pk]
    if service_ids:
        own = {
            p.service_id: p
            for p in EscalationPolicy.objects.filter(service_id__in=service_ids, team=team)
        }
        if chosen := _choose(team.pk, service_ids, own, {}):
            return chosen
    return EscalationPolicy.objects.filter(team=team, service__isnull=True).first()


def policies_for_services(*, services: Iterable[Service]) -> dict[int, EscalationPolicy | None]:
    """``{service id: the policy an incident on that service alone follows}`` (the rule of
    :func:`policy_for`) for many services in one query, with the policies' teams."""
    services = list(services)
    if not services:
        return {}
    rows = EscalationPolicy.objects.filter(
        Q(service_id__in=[s.pk for s in services])
        | Q(service__isnull=True, team_id__in={s.team_id for s in services})
    ).select_related("team")
    own, defaults = {}, {}
    for policy in rows:
        if policy.service_id is None:
            defaults[policy.team_id] = policy
        else:
            own[policy.service_id] = policy
    return {s.pk: _choose(s.team_id, [s.pk], own, defaults) for s in services}


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


# ------------------------------------------------------------------------------- editing
@transaction.atomic
def policy_create(
    *,
    team: Team,
    name: str,
    repeat_count: int = 0,
    service: Service | None = None,
    description: str = "",
) -> EscalationPolicy:
    if service is not None and service.team_id != team.pk:
        raise ValidationError({"service": f"{service.name} is not owned by {team.name}."})
    if service is None and EscalationPolicy.objects.filter(team=team, service=None).exists():
        raise ValidationError(
            {"service": f"{team.name} already has a default policy; name a service."}
        )
    if service is not None and EscalationPolicy.objects.filter(service=service).exists():
        raise ValidationError({"service": f"{service.name} already has its own policy."})
    policy = EscalationPolicy(
        team=team, name=name, repeat_count=repeat_count, service=service, description=description
    )
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def policy_update(
    *, policy: EscalationPolicy, name: str, repeat_count: int, description: str = ""
) -> EscalationPolicy:
    policy.name, policy.repeat_count, policy.description = name, repeat_count, description
    policy.full_clean()
    policy.save(update_fields=["name", "repeat_count", "description"])
    return policy


@transaction.atomic
def policy_delete(*, policy: EscalationPolicy) -> None:
    policy.delete()


def _check_step_targets(
    policy: EscalationPolicy, schedules, users, *, notify_managers: bool, notify_team: bool
) -> None:
    if any(s.team_id != policy.team_id for s in schedules):
        raise ValidationError({"schedules": "Choose schedules of the policy's team."})
    if any(not u.is_active for u in users):
        raise ValidationError({"users": "A named person's account is disabled."})
    if not (schedules or users or notify_managers or notify_team):
        raise ValidationError("A step needs at least one target.")


def _step_save(step: EscalationStep, schedules, users) -> EscalationStep:
    step.full_clean()
    step.save()
    step.schedules.set(schedules)
    step.users.set(users)
    return step


@transaction.atomic
def step_add(
    *,
    policy: EscalationPolicy,
    wait_minutes: int,
    schedules: Iterable = (),
    users: Iterable = (),
    notify_managers: bool = False,
    notify_team: bool = False,
) -> EscalationStep:
    schedules, users = list(schedules), list(users)
    _check_step_targets(
        policy, schedules, users, notify_managers=notify_managers, notify_team=notify_team
    )
    last = policy.steps.aggregate(m=Max("position"))["m"]
    step = EscalationStep(
        policy=policy,
        position=0 if last is None else last + 1,
        wait_minutes=wait_minutes,
        notify_managers=notify_managers,
        notify_team=notify_team,
    )
    return _step_save(step, schedules, users)


@transaction.atomic
def step_update(
    *,
    step: EscalationStep,
    wait_minutes: int,
    schedules: Iterable = (),
    users: Iterable = (),
    notify_managers: bool = False,
    notify_team: bool = False,
) -> EscalationStep:
    schedules, users = list(schedules), list(users)
    _check_step_targets(
        step.policy, schedules, users, notify_managers=notify_managers, notify_team=notify_team
    )
    step.wait_minutes = wait_minutes
    step.notify_managers = notify_managers
    step.notify_team = notify_team
    return _step_save(step, schedules, users)


@transaction.atomic
def step_remove(*, step: EscalationStep) -> None:
    policy = step.policy
    step.delete()
    _renumber(policy, list(policy.steps.order_by("position", "pk")))


@transaction.atomic
def step_move(*, step: EscalationStep, up: bool) -> None:
    steps = list(step.policy.steps.select_for_update().order_by("position", "pk"))
    index = next(i for i, s in enumerate(steps) if s.pk == step.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(steps):
        steps[index], steps[other] = steps[other], steps[index]
    _renumber(step.policy, steps)


def _renumber(policy: EscalationPolicy, steps: list[EscalationStep]) -> None:
    for position, s in enumerate(steps):
        if s.position != position:
            s.position = position
            s.save(update_fields=["position"])
