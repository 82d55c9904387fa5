"""Demo set-up rows for ``incidents.demo``: one Alertmanager integration ("Prometheus") and one
default escalation policy per team, created once (running the seed again adds nothing)."""

from __future__ import annotations

from collections import defaultdict

from incidents.models import (
    EscalationPolicy,
    EscalationStep,
    Integration,
    hash_token,
)
from oncall.models import Schedule
from portal.people.models import Team


def demo_token(team_slug: str, kind: str) -> str:
    return f"demo-{team_slug}-{kind}"


def ensure_integrations(teams: list[Team], *, demo_tokens: bool) -> dict[int, Integration]:
    """One Alertmanager integration ("Prometheus") per team; returns {team id: integration}."""
    have = {
        i.team_id: i
        for i in Integration.objects.filter(team__in=teams, name="Prometheus", kind="alertmanager")
    }
    fresh = []
    for team in teams:
        if team.pk in have:
            continue
        integration = Integration(name="Prometheus", kind="alertmanager", team=team)
        if demo_tokens:
            token = demo_token(team.slug, "alertmanager")
            integration.token_prefix, integration.token_hash = token[:8], hash_token(token)
        else:
            integration.set_new_token()
        fresh.append(integration)
    Integration.objects.bulk_create(fresh, batch_size=500)
    have.update(
        {
            i.team_id: i
            for i in Integration.objects.filter(
                team__in=teams, name="Prometheus", kind="alertmanager"
            )
        }
    )
    return have


def ensure_policies(teams: list[Team]) -> dict[int, EscalationPolicy]:
    """A default policy per team: its first rota's on-call person, then its second rota's
    (or the managers), then the managers; repeated once."""
    have = {p.team_id: p for p in EscalationPolicy.objects.filter(team__in=teams, service=None)}
    fresh = [t for t in teams if t.pk not in have]
    if not fresh:
        return have
    policies = EscalationPolicy.objects.bulk_create(
        [
            EscalationPolicy(
                team=t,
                name=f"{t.name} default",
                repeat_count=1,
                description="First the rota, then backup, then the managers.",
            )
            for t in fresh
        ],
        batch_size=500,
    )
    schedules = defaultdict(list)
    for s in Schedule.objects.filter(team__in=fresh).order_by("name", "pk"):
        schedules[s.team_id].append(s)
    steps, step_schedules = [], []
    for policy in policies:
        rotas = schedules.get(policy.team_id, [])
        plan = []  # (wait, schedule or None, managers?)
        if rotas:
            plan.append((5, rotas[0], False))
            plan.append((10, rotas[1], False) if len(rotas) > 1 else (10, None, True))
            if len(rotas) > 1:
                plan.append((15, None, True))
        else:
            plan.append((10, None, True))
        for position, (wait, rota, managers) in enumerate(plan):
            step = EscalationStep(
                policy=policy, position=position, wait_minutes=wait, notify_managers=managers
            )
            steps.append(step)
            step_schedules.append(rota)
    steps = EscalationStep.objects.bulk_create(steps, batch_size=1000)
    Through = EscalationStep.schedules.through
    Through.objects.bulk_create(
        [
            Through(escalationstep_id=step.pk, schedule_id=rota.pk)
            for step, rota in zip(steps, step_schedules, strict=True)
            if rota is not None
        ],
        batch_size=1000,
    )
    have.update({p.team_id: p for p in policies})
    return have
