"""Who would be paged for a service right now: the escalation policy an incident on it follows
(the rule of :func:`incidents.policies.policy_for`), that policy's steps, and the people its
first step would page at ``now`` (the rule of :func:`incidents.escalation.resolve_step`).

Shown on the service page (``incidents.panels.paging_panel``) and in the catalog's "On call
now" column (``incidents.panels.oncall_column``); for any number of services in a fixed
number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Prefetch

from incidents.escalation import targets_from
from incidents.models import EscalationPolicy, EscalationStep
from incidents.policies import policies_for_services
from oncall.models import Schedule
from oncall.selectors import schedules_oncall_at
from portal.catalog.models import Service
from portal.people.models import Membership
from portal.people.selectors import active_memberships

User = get_user_model()


@dataclass
class PagingNow:
    """What an incident on ``service`` opened now would do first.

    ``people``: whom the first step pages now (with ``via``: as what), or, when no policy
    applies or it has no steps (``fallback``), the team's managers, whom escalation pages
    instead. Empty ``people`` means nobody: ``nobody_reasons`` says why."""

    service: Service
    policy: EscalationPolicy | None
    steps: list[EscalationStep]
    people: list = field(default_factory=list)
    via: dict[int, str] = field(default_factory=dict)
    nobody_reasons: tuple[str, ...] = ()
    fallback: bool = False

    @property
    def nobody(self) -> bool:
        return not self.people

    @property
    def paged(self) -> list[tuple]:
        """``[(person, as what), …]``."""
        return [(u, self.via.get(u.pk, "")) for u in self.people]


def _steps_by_policy(policies: Iterable[EscalationPolicy]) -> dict[int, list[EscalationStep]]:
    steps = (
        EscalationStep.objects.filter(policy__in=list(policies))
        .prefetch_related(
            Prefetch("schedules", queryset=Schedule.objects.order_by("name")),
            Prefetch("users", queryset=User.objects.select_related("profile")),
        )
        .order_by("policy_id", "position", "pk")
    )
    by_policy: dict[int, list[EscalationStep]] = defaultdict(list)
    for step in steps:
        by_policy[step.policy_id].append(step)
    return by_policy


def paging_now(*, services: Iterable[Service], now: datetime) -> dict[int, PagingNow]:
    """``{service id: PagingNow}`` at ``now`` for the services (their ``team`` loaded): eight
    queries whatever their number."""
    services = list(services)
    if not services:
        return {}
    policies = policies_for_services(services=services)
    by_policy = _steps_by_policy({p for p in policies.values() if p is not None})
    firsts = {pid: steps[0] for pid, steps in by_policy.items()}
    schedules = {s.pk: s for step in firsts.values() for s in step.schedules.all()}
    oncall = schedules_oncall_at(schedules=schedules.values(), at=now)
    people = active_memberships(team_ids={s.team_id for s in services})

    def managers(team_id: int) -> list:
        return [m.user for m in people[team_id] if m.role == Membership.Role.MANAGER]

    users = {m.user_id: m.user for ms in people.values() for m in ms}
    users.update({u.pk: u for us in oncall.values() for u in us})
    result = {}
    for service in services:
        policy = policies[service.pk]
        steps = by_policy.get(policy.pk, []) if policy is not None else []
        row = PagingNow(service=service, policy=policy, steps=steps)
        if not steps:
            row.fallback = True
            row.people = managers(service.team_id)
            row.via = {u.pk: f"manager of {service.team.name}" for u in row.people}
            if not row.people:
                row.nobody_reasons = (f"{service.team.name} has no managers",)
        else:
            team = policy.team
            first = steps[0]
            for u in first.users.all():
                users[u.pk] = u
            targets = targets_from(
                first,
                team=team,
                oncall=oncall,
                managers=lambda tid=team.pk: managers(tid),
                members=lambda tid=team.pk: [m.user for m in people.get(tid, [])],
            )
            row.people = [users[pk] for pk in targets.user_ids]
            row.via = targets.via
            row.nobody_reasons = targets.empty_reasons
        result[service.pk] = row
    return result


def service_paging_now(*, service: Service, now: datetime) -> PagingNow:
    return paging_now(services=[service], now=now)[service.pk]
